//===- LowPOps.cpp - lowp operations --------------------------------------===//
#include "dialects/LowP/IR/LowPOps.h"

#include "tessel/IR/Bytes.h"
#include "vm/BitPack.h"
#include "vm/Codec.h"
#include "vm/Quantize.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace tessel;
using namespace tessel::lowp;

//===----------------------------------------------------------------------===//
// Helpers shared by the verifiers and folders
//===----------------------------------------------------------------------===//

static double toDouble(APFloat value) {
  bool lost;
  value.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven, &lost);
  return value.convertToDouble();
}

static std::optional<std::vector<double>> getFloatValues(Attribute attr) {
  auto dense = dyn_cast_or_null<DenseFPElementsAttr>(attr);
  if (!dense)
    return std::nullopt;
  std::vector<double> values;
  values.reserve(dense.getNumElements());
  for (APFloat v : dense.getValues<APFloat>())
    values.push_back(toDouble(v));
  return values;
}

// Checks that `type` is a quantized tensor and returns its encoding.
static FailureOr<QuantAttr> verifyQuantizedTensor(Operation *op, Type type, StringRef what) {
  QuantAttr encoding = getQuantEncoding(type);
  if (!encoding)
    return op->emitOpError() << "expects " << what
                             << " to be a tensor with a #lowp.quant encoding, got " << type;
  return encoding;
}

// Checks scales (and offsets) against the quantized tensor type they describe: shape
// [rows, groups per row], the encoding's scale type, offsets iff asymmetric.
static LogicalResult verifyScaleOperands(Operation *op, RankedTensorType quantized,
                                         QuantAttr encoding, Value scales, Value offsets) {
  auto scalesType = cast<RankedTensorType>(scales.getType());
  if (scalesType.getElementType() != encoding.getScaleType())
    return op->emitOpError() << "expects scales of the encoding's scale type "
                             << encoding.getScaleType() << ", got " << scalesType;
  WeightShape shape = getWeightShape(quantized.getShape());
  int64_t groups = ShapedType::kDynamic;
  if (encoding.getGroupSize() == 0)
    groups = 1;
  else if (!ShapedType::isDynamic(shape.reduction))
    groups = shape.reduction / encoding.getGroupSize();
  auto mismatch = [](int64_t a, int64_t b) {
    return !ShapedType::isDynamic(a) && !ShapedType::isDynamic(b) && a != b;
  };
  if (scalesType.getRank() != 2 || mismatch(scalesType.getDimSize(0), shape.rows) ||
      mismatch(scalesType.getDimSize(1), groups)) {
    auto diag = op->emitOpError() << "expects scales of shape [rows, groups] = [";
    auto dim = [&](int64_t d) {
      if (ShapedType::isDynamic(d))
        diag << "?";
      else
        diag << d;
    };
    dim(shape.rows);
    diag << ", ";
    dim(groups);
    diag << "] for " << quantized << ", got " << scalesType;
    return diag;
  }
  if (encoding.getSymmetric() && offsets)
    return op->emitOpError() << "takes no offsets: the encoding is symmetric";
  if (!encoding.getSymmetric() && !offsets)
    return op->emitOpError() << "needs offsets: the encoding is asymmetric";
  if (offsets && offsets.getType() != scalesType)
    return op->emitOpError() << "expects offsets of the scales' type " << scalesType << ", got "
                             << offsets.getType();
  return success();
}

static int64_t packedByteCount(RankedTensorType type) {
  auto bits = toDType(type.getElementType())->bits();
  return int64_t(vm::packedBytes(size_t(type.getNumElements()), bits));
}

//===----------------------------------------------------------------------===//
// QuantizeOp
//===----------------------------------------------------------------------===//

LogicalResult QuantizeOp::verify() {
  auto resultType = cast<RankedTensorType>(getResult().getType());
  FailureOr<QuantAttr> encoding = verifyQuantizedTensor(*this, resultType, "the result");
  if (failed(encoding))
    return failure();
  if (failed(verifyCompatibleShape(getInput().getType(), resultType)))
    return emitOpError() << "input shape " << getInput().getType()
                         << " differs from the result's " << resultType;
  return verifyScaleOperands(*this, resultType, *encoding, getScales(), getOffsets());
}

OpFoldResult QuantizeOp::fold(FoldAdaptor adaptor) {
  auto resultType = cast<RankedTensorType>(getResult().getType());
  if (!resultType.hasStaticShape())
    return {};
  std::optional<std::vector<double>> input = getFloatValues(adaptor.getInput());
  std::optional<std::vector<double>> scales = getFloatValues(adaptor.getScales());
  std::optional<std::vector<double>> offsets;
  if (getOffsets()) {
    offsets = getFloatValues(adaptor.getOffsets());
    if (!offsets)
      return {};
  }
  if (!input || !scales)
    return {};
  QuantAttr encoding = getQuantEncoding(resultType);
  vm::QuantScheme scheme = encoding.getScheme();
  WeightShape shape = getWeightShape(resultType.getShape());
  int64_t groups = encoding.getGroupsPerRow(shape.reduction);
  int64_t group = shape.reduction / groups;
  std::vector<uint8_t> codes(input->size());
  for (size_t i = 0; i < codes.size(); ++i) {
    size_t row = i / size_t(shape.reduction), col = i % size_t(shape.reduction);
    size_t g = row * size_t(groups) + col / size_t(group);
    codes[i] = vm::quantize(scheme, (*input)[i], (*scales)[g], offsets ? (*offsets)[g] : 0.0);
  }
  std::vector<int8_t> packed(size_t(packedByteCount(resultType)), 0);
  packCodes(encoding, shape, codes.data(), reinterpret_cast<uint8_t *>(packed.data()));
  auto packedType = RankedTensorType::get({int64_t(packed.size())},
                                          IntegerType::get(getContext(), 8));
  return DenseElementsAttr::get(packedType, ArrayRef<int8_t>(packed));
}

//===----------------------------------------------------------------------===//
// DequantizeOp
//===----------------------------------------------------------------------===//

LogicalResult DequantizeOp::verify() {
  auto inputType = cast<RankedTensorType>(getInput().getType());
  FailureOr<QuantAttr> encoding = verifyQuantizedTensor(*this, inputType, "the input");
  if (failed(encoding))
    return failure();
  if (failed(verifyCompatibleShape(inputType, getResult().getType())))
    return emitOpError() << "result shape " << getResult().getType()
                         << " differs from the input's " << inputType;
  return verifyScaleOperands(*this, inputType, *encoding, getScales(), getOffsets());
}

OpFoldResult DequantizeOp::fold(FoldAdaptor adaptor) {
  auto inputType = cast<RankedTensorType>(getInput().getType());
  auto resultType = cast<RankedTensorType>(getResult().getType());
  auto packedAttr = dyn_cast_or_null<ElementsAttr>(adaptor.getInput());
  if (!packedAttr || !inputType.hasStaticShape() || !resultType.hasStaticShape())
    return {};
  std::optional<std::vector<uint8_t>> bytes = getBytes(packedAttr);
  std::optional<std::vector<double>> scales = getFloatValues(adaptor.getScales());
  std::optional<std::vector<double>> offsets;
  if (getOffsets())
    offsets = getFloatValues(adaptor.getOffsets());
  if (!bytes || !scales || (getOffsets() && !offsets))
    return {};
  QuantAttr encoding = getQuantEncoding(inputType);
  vm::QuantScheme scheme = encoding.getScheme();
  WeightShape shape = getWeightShape(inputType.getShape());
  int64_t groups = encoding.getGroupsPerRow(shape.reduction);
  int64_t group = shape.reduction / groups;
  size_t count = size_t(inputType.getNumElements());
  if (bytes->size() < vm::packedBytes(count, scheme.storage.bits()))
    return {};
  std::vector<uint8_t> codes(count);
  unpackCodes(encoding, shape, bytes->data(), codes.data());
  auto floatType = cast<FloatType>(resultType.getElementType());
  std::vector<APFloat> values;
  values.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    size_t row = i / size_t(shape.reduction), col = i % size_t(shape.reduction);
    size_t g = row * size_t(groups) + col / size_t(group);
    APFloat v(vm::dequantize(scheme, codes[i], (*scales)[g], offsets ? (*offsets)[g] : 0.0));
    bool lost;
    v.convert(floatType.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
    values.push_back(v);
  }
  return DenseElementsAttr::get(resultType, values);
}

//===----------------------------------------------------------------------===//
// PackOp and ConstantOp
//===----------------------------------------------------------------------===//

LogicalResult PackOp::verify() {
  auto inputType = cast<RankedTensorType>(getInput().getType());
  if (failed(verifyQuantizedTensor(*this, inputType, "the input")))
    return failure();
  if (!inputType.hasStaticShape())
    return emitOpError() << "needs a statically shaped input, got " << inputType;
  int64_t bytes = packedByteCount(inputType);
  if (getResult().getType().getDimSize(0) != bytes)
    return emitOpError() << "packs " << inputType << " into " << bytes << " bytes, not "
                         << getResult().getType();
  return success();
}

OpFoldResult PackOp::fold(FoldAdaptor adaptor) {
  // The constant value of a quantized tensor already is its packed bit stream.
  auto packed = dyn_cast_or_null<ElementsAttr>(adaptor.getInput());
  if (packed && packed.getType() == getResult().getType())
    return packed;
  return {};
}

LogicalResult ConstantOp::verify() {
  auto resultType = cast<RankedTensorType>(getResult().getType());
  if (failed(verifyQuantizedTensor(*this, resultType, "the result")))
    return failure();
  if (!resultType.hasStaticShape())
    return emitOpError() << "needs a statically shaped result, got " << resultType;
  auto packedType = dyn_cast<RankedTensorType>(getPacked().getType());
  int64_t bytes = packedByteCount(resultType);
  if (!packedType || packedType.getRank() != 1 || !packedType.getElementType().isInteger(8) ||
      packedType.getDimSize(0) != bytes)
    return emitOpError() << "expects the packed bit stream of " << resultType << " as tensor<"
                         << bytes << "xi8>, got " << getPacked().getType();
  return success();
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getPacked(); }

//===----------------------------------------------------------------------===//
// MatmulOp and Conv2DOp
//===----------------------------------------------------------------------===//

static bool differ(int64_t a, int64_t b) {
  return !ShapedType::isDynamic(a) && !ShapedType::isDynamic(b) && a != b;
}

static LogicalResult verifyBias(Operation *op, Value bias, int64_t channels) {
  if (!bias)
    return success();
  auto biasType = cast<RankedTensorType>(bias.getType());
  if (biasType.getRank() != 1 || differ(biasType.getDimSize(0), channels))
    return op->emitOpError() << "expects a bias of shape [" << channels << "], got " << biasType;
  return success();
}

LogicalResult MatmulOp::verify() {
  auto weightType = cast<RankedTensorType>(getWeights().getType());
  FailureOr<QuantAttr> encoding = verifyQuantizedTensor(*this, weightType, "the weights");
  if (failed(encoding))
    return failure();
  if (weightType.getRank() != 2 || !weightType.hasStaticShape())
    return emitOpError() << "expects static weights of shape [N, K], got " << weightType;
  int64_t n = weightType.getDimSize(0), k = weightType.getDimSize(1);
  auto inputType = cast<RankedTensorType>(getInput().getType());
  auto resultType = cast<RankedTensorType>(getResult().getType());
  if (inputType.getRank() < 2)
    return emitOpError() << "expects an input of rank >= 2 ([..., M, K]), got " << inputType;
  if (differ(inputType.getShape().back(), k))
    return emitOpError() << "input reduction length " << inputType.getShape().back()
                         << " differs from the weights' K = " << k;
  if (resultType.getRank() != inputType.getRank())
    return emitOpError() << "expects a result of the input's rank " << inputType.getRank()
                         << ", got " << resultType;
  for (int64_t d = 0; d + 1 < inputType.getRank(); ++d)
    if (differ(inputType.getDimSize(d), resultType.getDimSize(d)))
      return emitOpError() << "result dimension " << d << " (" << resultType.getDimSize(d)
                           << ") differs from the input's (" << inputType.getDimSize(d) << ")";
  if (differ(resultType.getShape().back(), n))
    return emitOpError() << "result's last dimension " << resultType.getShape().back()
                         << " differs from the weights' N = " << n;
  if (failed(verifyBias(*this, getBias(), n)))
    return failure();
  return verifyScaleOperands(*this, weightType, *encoding, getScales(), getOffsets());
}

LogicalResult Conv2DOp::verify() {
  auto weightType = cast<RankedTensorType>(getWeights().getType());
  FailureOr<QuantAttr> encoding = verifyQuantizedTensor(*this, weightType, "the weights");
  if (failed(encoding))
    return failure();
  if (weightType.getRank() != 4 || !weightType.hasStaticShape())
    return emitOpError() << "expects static weights [OC, KH, KW, IC], got " << weightType;
  auto inputType = cast<RankedTensorType>(getInput().getType());
  auto resultType = cast<RankedTensorType>(getResult().getType());
  if (inputType.getRank() != 4 || resultType.getRank() != 4)
    return emitOpError() << "expects NHWC input and result, got " << inputType << " and "
                         << resultType;
  if (getPad().size() != 4 || getStride().size() != 2 || getDilation().size() != 2)
    return emitOpError() << "expects pad = [top, bottom, left, right], stride = [y, x] and "
                            "dilation = [y, x]";
  if (llvm::any_of(getPad(), [](int64_t p) { return p < 0; }) ||
      llvm::any_of(getStride(), [](int64_t s) { return s < 1; }) ||
      llvm::any_of(getDilation(), [](int64_t d) { return d < 1; }))
    return emitOpError() << "expects pad >= 0, stride >= 1 and dilation >= 1";
  int64_t oc = weightType.getDimSize(0), ic = weightType.getDimSize(3);
  if (differ(inputType.getDimSize(3), ic))
    return emitOpError() << "input channels " << inputType.getDimSize(3)
                         << " differ from the weights' IC = " << ic;
  if (differ(inputType.getDimSize(0), resultType.getDimSize(0)) ||
      differ(resultType.getDimSize(3), oc))
    return emitOpError() << "expects a result [N, OH, OW, " << oc << "], got " << resultType;
  for (int axis = 0; axis < 2; ++axis) {
    int64_t in = inputType.getDimSize(1 + axis), out = resultType.getDimSize(1 + axis);
    if (ShapedType::isDynamic(in) || ShapedType::isDynamic(out))
      continue;
    int64_t kernel = weightType.getDimSize(1 + axis);
    int64_t padded = in + getPad()[2 * axis] + getPad()[2 * axis + 1];
    int64_t span = (kernel - 1) * getDilation()[axis] + 1;
    int64_t expected = padded < span ? 0 : (padded - span) / getStride()[axis] + 1;
    if (expected != out)
      return emitOpError() << "output " << (axis == 0 ? "height " : "width ") << out
                           << " should be " << expected << " for this input, kernel, pad, "
                           << "stride and dilation";
  }
  if (failed(verifyBias(*this, getBias(), oc)))
    return failure();
  return verifyScaleOperands(*this, weightType, *encoding, getScales(), getOffsets());
}

#define GET_OP_CLASSES
#include "dialects/LowP/IR/LowPOps.cpp.inc"
