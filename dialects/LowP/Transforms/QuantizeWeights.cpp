//===- QuantizeWeights.cpp - lowp-quantize-weights ------------------------===//
//
// Constant float weights of tosa.matmul, tosa.conv2d and linalg.matmul become packed
// low-bit codes with group scales, consumed by lowp.matmul / lowp.conv2d. The numbers
// come from the codec library (runtime/src/vm/Quantize.h); this pass only finds the
// weights, lays them out output-channel major and builds the IR.
//
//===----------------------------------------------------------------------===//
#include "dialects/LowP/Transforms/Passes.h"

#include "tessel/IR/Bytes.h"
#include "vm/BitPack.h"
#include "vm/Quantize.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/SetVector.h"

namespace tessel::lowp {
#define GEN_PASS_DEF_QUANTIZEWEIGHTSPASS
#include "dialects/LowP/Transforms/Passes.h.inc"
} // namespace tessel::lowp

using namespace mlir;
using namespace tessel;
using namespace tessel::lowp;

namespace {

struct Config {
  vm::QuantScheme scheme;
  bool matmul = true, conv = true, linalgMatmul = true;
};

// The quantized form of one weight: packed codes, scales and (asymmetric) offsets.
struct QuantizedWeight {
  Value weights, scales, offsets;
};

std::optional<std::vector<double>> readFloatConstant(Value value) {
  DenseFPElementsAttr attr;
  if (!matchPattern(value, m_Constant(&attr)))
    return std::nullopt;
  std::vector<double> values;
  values.reserve(attr.getNumElements());
  for (APFloat v : attr.getValues<APFloat>()) {
    bool lost;
    v.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven, &lost);
    values.push_back(v.convertToDouble());
  }
  return values;
}

// A [K, N] weight (row-major) as N rows of K: output-channel major.
std::vector<double> transposeToRows(const std::vector<double> &w, int64_t k, int64_t n) {
  std::vector<double> rows(size_t(n * k));
  for (int64_t kk = 0; kk < k; ++kk)
    for (int64_t nn = 0; nn < n; ++nn)
      rows[size_t(nn * k + kk)] = w[size_t(kk * n + nn)];
  return rows;
}

bool isZeroConstant(Value value) {
  if (matchPattern(value, m_AnyZeroFloat()))
    return true;
  if (auto fill = value.getDefiningOp<linalg::FillOp>())
    return matchPattern(fill.getInputs()[0], m_AnyZeroFloat());
  return false;
}

Value floatConstant(OpBuilder &b, Location loc, RankedTensorType type,
                    const std::vector<double> &values) {
  auto floatType = cast<FloatType>(type.getElementType());
  SmallVector<APFloat> apValues;
  apValues.reserve(values.size());
  for (double v : values) {
    APFloat f(v);
    bool lost;
    f.convert(floatType.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
    apValues.push_back(f);
  }
  return arith::ConstantOp::create(b, loc, type, DenseElementsAttr::get(type, apValues));
}

class QuantizeWeights : public lowp::impl::QuantizeWeightsPassBase<QuantizeWeights> {
public:
  using QuantizeWeightsPassBase::QuantizeWeightsPassBase;

  void runOnOperation() override {
    Operation *root = getOperation();
    std::string error;
    std::optional<Config> config = parseOptions(error);
    if (!config) {
      // Located at the input (the root op's location); the op itself is not printed.
      emitError(root->getLoc()) << "lowp-quantize-weights: " << error;
      return signalPassFailure();
    }
    config_ = *config;
    SmallVector<Operation *> candidates;
    root->walk([&](Operation *op) {
      if ((config_.matmul && isa<tosa::MatMulOp>(op)) ||
          (config_.conv && isa<tosa::Conv2DOp>(op)) ||
          (config_.linalgMatmul && isa<linalg::MatmulOp>(op)))
        candidates.push_back(op);
    });
    for (Operation *op : candidates) {
      LogicalResult result = success();
      if (auto mm = dyn_cast<tosa::MatMulOp>(op))
        result = rewrite(mm);
      else if (auto conv = dyn_cast<tosa::Conv2DOp>(op))
        result = rewrite(conv);
      else if (auto lmm = dyn_cast<linalg::MatmulOp>(op))
        result = rewrite(lmm);
      if (failed(result))
        return signalPassFailure();
    }
  }

private:
  std::optional<Config> parseOptions(std::string &error) {
    Config config;
    if (bits < 1 || bits > 8) {
      error = "option 'bits' must be in 1..8, got " + std::to_string(bits);
      return std::nullopt;
    }
    if (kind == "int") {
      config.scheme.storage = vm::DType::signedInt(bits);
    } else if (kind == "uint") {
      config.scheme.storage = vm::DType::unsignedInt(bits);
    } else if (kind == "float") {
      if (bits < 2) {
        error = "kind=float needs bits >= 2 (a sign and at least one exponent bit)";
        return std::nullopt;
      }
      int x = exponentBits >= 0 ? int(exponentBits) : std::max(1, int(bits) / 2);
      int y = int(bits) - 1 - x;
      if (x < 1 || y < 0) {
        error = "kind=float with bits=" + std::to_string(bits) + " takes exponent-bits in 1.." +
                std::to_string(bits - 1) + ", got " + std::to_string(x);
        return std::nullopt;
      }
      config.scheme.storage = vm::DType::lowpFloat(x, y);
    } else {
      error = "option 'kind' must be int, uint or float, got '" + kind + "'";
      return std::nullopt;
    }
    if (exponentBits >= 0 && kind != "float") {
      error = "option 'exponent-bits' applies to kind=float only";
      return std::nullopt;
    }
    if (symmetric == "auto") {
      config.scheme.symmetric = kind != "uint";
    } else if (symmetric == "true" || symmetric == "false") {
      config.scheme.symmetric = symmetric == "true";
    } else {
      error = "option 'symmetric' must be true, false or auto, got '" + symmetric + "'";
      return std::nullopt;
    }
    std::optional<vm::DType> scale = vm::DType::parse(scaleType);
    if (!scale) {
      error = "option 'scale-type' must be f16, bf16 or f32, got '" + scaleType + "'";
      return std::nullopt;
    }
    config.scheme.scaleType = *scale;
    config.scheme.groupSize = groupSize;
    if (std::optional<std::string> why = vm::checkQuantScheme(config.scheme)) {
      error = *why;
      return std::nullopt;
    }
    if (!ops.empty()) {
      config.matmul = config.conv = config.linalgMatmul = false;
      for (const std::string &name : ops) {
        if (name == "tosa.matmul")
          config.matmul = true;
        else if (name == "tosa.conv2d")
          config.conv = true;
        else if (name == "linalg.matmul")
          config.linalgMatmul = true;
        else {
          error = "option 'ops' names '" + name +
                  "'; known: tosa.matmul, tosa.conv2d, linalg.matmul";
          return std::nullopt;
        }
      }
    }
    return config;
  }

  // Quantizes rows[N][K] (row-major) into a weight of type `shape` x storage.
  FailureOr<QuantizedWeight> quantize(OpBuilder &b, Operation *op,
                                      const std::vector<double> &rows,
                                      ArrayRef<int64_t> shape) {
    MLIRContext *ctx = op->getContext();
    const vm::QuantScheme &scheme = config_.scheme;
    WeightShape ws = getWeightShape(shape);
    vm::QuantizedRows q;
    if (std::optional<std::string> why =
            vm::quantizeRows(rows.data(), ws.rows, ws.reduction, scheme, q))
      return op->emitError() << "cannot quantize the weights: " << *why;

    Type storageType = fromDType(ctx, scheme.storage);
    Type scaleElementType = fromDType(ctx, scheme.scaleType);
    auto encoding = QuantAttr::get(ctx, storageType, scaleElementType, scheme.groupSize,
                                   scheme.symmetric, PackedOrder::plain);
    auto weightType = RankedTensorType::get(shape, storageType, encoding);

    std::vector<uint8_t> packed(vm::packedBytes(q.codes.size(), scheme.storage.bits()), 0);
    vm::packBits(q.codes.data(), q.codes.size(), scheme.storage.bits(), packed.data());
    ElementsAttr packedAttr = makeBytesAttr(ctx, packed, "lowp_weights");

    QuantizedWeight result;
    Location loc = op->getLoc();
    result.weights = lowp::ConstantOp::create(b, loc, weightType, packedAttr);
    auto scalesType = RankedTensorType::get({ws.rows, q.groupsPerRow}, scaleElementType);
    result.scales = floatConstant(b, loc, scalesType, q.scales);
    if (!scheme.symmetric)
      result.offsets = floatConstant(b, loc, scalesType, q.offsets);
    return result;
  }

  // Whether the group size fits a reduction of length k; warns and skips otherwise.
  bool groupFits(Operation *op, int64_t k) {
    if (config_.scheme.groupSize == 0 || k % config_.scheme.groupSize == 0)
      return true;
    op->emitWarning() << "not quantized: group size " << config_.scheme.groupSize
                      << " does not divide the reduction length " << k
                      << " (use a group size that divides it, or group-size=0)";
    return false;
  }

  static bool isActivationType(Type t) { return t.isF16() || t.isBF16() || t.isF32(); }

  // lowp.matmul of `a` with the row-major [K, N] float weight `w`, quantized output-channel
  // major; a null Value (with a warning) when the group size does not divide K.
  FailureOr<Value> quantizedMatmul(OpBuilder &b, Operation *op, Type resultType, Value a,
                                   const std::vector<double> &w, int64_t k, int64_t n) {
    if (!groupFits(op, k))
      return Value();
    FailureOr<QuantizedWeight> q = quantize(b, op, transposeToRows(w, k, n), {n, k});
    if (failed(q))
      return failure();
    return Value(MatmulOp::create(b, op->getLoc(), resultType, a, q->weights, q->scales,
                                  q->offsets, /*bias=*/Value(), /*activation=*/ActivationAttr()));
  }

  LogicalResult rewrite(tosa::MatMulOp op) {
    auto bType = cast<RankedTensorType>(op.getB().getType());
    auto aType = cast<RankedTensorType>(op.getA().getType());
    std::optional<std::vector<double>> w = readFloatConstant(op.getB());
    if (!w || !bType.hasStaticShape() || !isActivationType(aType.getElementType()))
      return success(); // not a constant float weight: nothing to do
    if (bType.getDimSize(0) != 1) {
      op.emitWarning() << "not quantized: weights with a batch of " << bType.getDimSize(0)
                       << " (only a batch of 1 is shared by all inputs)";
      return success();
    }
    FailureOr<int64_t> aZp = op.getAZeroPoint(), bZp = op.getBZeroPoint();
    if (failed(aZp) || failed(bZp) || *aZp != 0 || *bZp != 0) {
      op.emitWarning() << "not quantized: non-zero or non-constant zero points";
      return success();
    }
    OpBuilder b(op);
    FailureOr<Value> result = quantizedMatmul(b, op, op.getType(), op.getA(), *w,
                                              bType.getDimSize(1), bType.getDimSize(2));
    if (failed(result))
      return failure();
    if (*result)
      replace(op, *result);
    return success();
  }

  LogicalResult rewrite(tosa::Conv2DOp op) {
    auto wType = cast<RankedTensorType>(op.getWeight().getType());
    auto inputType = cast<RankedTensorType>(op.getInput().getType());
    std::optional<std::vector<double>> w = readFloatConstant(op.getWeight());
    if (!w || !wType.hasStaticShape() || !isActivationType(inputType.getElementType()))
      return success();
    FailureOr<int64_t> inZp = op.getInputZeroPoint(), wZp = op.getWeightZeroPoint();
    if (failed(inZp) || failed(wZp) || *inZp != 0 || *wZp != 0) {
      op.emitWarning() << "not quantized: non-zero or non-constant zero points";
      return success();
    }
    int64_t oc = wType.getDimSize(0);
    WeightShape ws = getWeightShape(wType.getShape());
    if (!groupFits(op, ws.reduction))
      return success();

    OpBuilder b(op);
    // lowp.conv2d takes a bias per output channel: a constant broadcast bias of one
    // element is expanded, a zero bias dropped.
    Value bias = op.getBias();
    auto biasType = cast<RankedTensorType>(bias.getType());
    if (isZeroConstant(bias)) {
      bias = Value();
    } else if (biasType.getDimSize(0) != oc) {
      std::optional<std::vector<double>> biasValues = readFloatConstant(bias);
      if (!biasValues || biasValues->size() != 1) {
        op.emitWarning() << "not quantized: a bias of " << biasType
                         << " is neither per output channel nor a constant to broadcast";
        return success();
      }
      bias = floatConstant(b, op.getLoc(),
                           RankedTensorType::get({oc}, biasType.getElementType()),
                           std::vector<double>(size_t(oc), biasValues->front()));
    }
    FailureOr<QuantizedWeight> q = quantize(b, op, *w, wType.getShape());
    if (failed(q))
      return failure();
    Value result = Conv2DOp::create(b, op.getLoc(), op.getType(), op.getInput(), q->weights,
                                    q->scales, q->offsets, bias, op.getPadAttr(),
                                    op.getStrideAttr(), op.getDilationAttr(),
                                    /*activation=*/ActivationAttr());
    replace(op, result);
    return success();
  }

  LogicalResult rewrite(linalg::MatmulOp op) {
    if (!op.hasPureTensorSemantics() || op.hasUserDefinedMaps() || op.getInputs().size() != 2)
      return success();
    Value a = op.getInputs()[0], bWeights = op.getInputs()[1], init = op.getOutputs()[0];
    auto aType = dyn_cast<RankedTensorType>(a.getType());
    auto bType = dyn_cast<RankedTensorType>(bWeights.getType());
    auto cType = dyn_cast<RankedTensorType>(init.getType());
    if (!aType || !bType || !cType || !bType.hasStaticShape() ||
        !isActivationType(aType.getElementType()) || !isActivationType(cType.getElementType()))
      return success();
    std::optional<std::vector<double>> w = readFloatConstant(bWeights);
    if (!w)
      return success();
    OpBuilder b(op);
    FailureOr<Value> result =
        quantizedMatmul(b, op, cType, a, *w, bType.getDimSize(0), bType.getDimSize(1));
    if (failed(result))
      return failure();
    if (!*result)
      return success();
    // linalg.matmul accumulates into its init; keep that unless the init is zero.
    Value sum = *result;
    if (!isZeroConstant(init))
      sum = arith::AddFOp::create(b, op.getLoc(), sum, init);
    replace(op, sum);
    return success();
  }

  // Replaces `op`'s result with `result`, erases `op` and the constants (the float
  // weights, zero points) nothing else uses any more.
  static void replace(Operation *op, Value result) {
    llvm::SetVector<Operation *> constants; // an operand may appear twice (zero points)
    for (Value operand : op->getOperands())
      if (Operation *def = operand.getDefiningOp();
          def && def->hasTrait<OpTrait::ConstantLike>())
        constants.insert(def);
    op->getResult(0).replaceAllUsesWith(result);
    op->erase();
    for (Operation *def : constants)
      if (def->use_empty())
        def->erase();
  }

  Config config_;
};

} // namespace
