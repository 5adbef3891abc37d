// lowp-quantize-weights end to end: quantize random tosa.matmul weights with the pass,
// dequantize its output with lowp.dequantize's folder, and check the round-to-nearest
// promise for every element: |w - dequant| <= half a quantization step (for float codes,
// half the local code spacing), for every width, kind and group size.
#include "dialects/LowP/IR/LowPOps.h"
#include "dialects/LowP/Transforms/Passes.h"
#include "tessel/InitAll.h"

#include "vm/Quantize.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <gtest/gtest.h>

#include <random>
#include <sstream>

using namespace mlir;
using namespace tessel;

namespace {

constexpr int64_t K = 256, N = 24;

std::string matmulModule(const std::vector<float> &w) {
  std::ostringstream os;
  os.precision(9);
  os << "func.func @f(%a: tensor<1x4x" << K << "xf32>) -> tensor<1x4x" << N << "xf32> {\n"
     << "  %w = \"tosa.const\"() {values = dense<[[";
  for (int64_t k = 0; k < K; ++k) {
    os << (k ? ", [" : "[");
    for (int64_t n = 0; n < N; ++n)
      os << (n ? ", " : "") << w[size_t(k * N + n)];
    os << "]";
  }
  os << "]]> : tensor<1x" << K << "x" << N << "xf32>} : () -> tensor<1x" << K << "x" << N
     << "xf32>\n"
     << "  %zp = \"tosa.const\"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>\n"
     << "  %0 = tosa.matmul %a, %w, %zp, %zp : (tensor<1x4x" << K << "xf32>, tensor<1x" << K
     << "x" << N << "xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x" << N << "xf32>\n"
     << "  return %0 : tensor<1x4x" << N << "xf32>\n}\n";
  return os.str();
}

std::vector<double> floatValues(Value v) {
  DenseFPElementsAttr attr;
  EXPECT_TRUE(matchPattern(v, m_Constant(&attr)));
  std::vector<double> out;
  if (!attr)
    return out;
  for (APFloat f : attr.getValues<APFloat>()) {
    bool lost;
    f.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven, &lost);
    out.push_back(f.convertToDouble());
  }
  return out;
}

void checkRtnBound(const std::string &options) {
  SCOPED_TRACE(options);
  static bool registered = (registerAllPasses(), true);
  (void)registered;
  DialectRegistry registry;
  registerAllDialects(registry);
  MLIRContext ctx(registry);
  std::mt19937 rng(1234);
  std::normal_distribution<float> normal(0.f, 0.05f);
  std::vector<float> w(size_t(K * N));
  for (float &x : w)
    x = normal(rng);
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(matmulModule(w), &ctx);
  ASSERT_TRUE(module);

  PassManager pm(&ctx);
  std::string pipeline = "lowp-quantize-weights{" + options + "}";
  ASSERT_TRUE(succeeded(parsePassPipeline(pipeline, pm)));
  ASSERT_TRUE(succeeded(pm.run(*module)));

  lowp::MatmulOp mm;
  module->walk([&](lowp::MatmulOp op) { mm = op; });
  ASSERT_TRUE(mm) << "the pass produced no lowp.matmul";
  lowp::QuantAttr encoding = lowp::getQuantEncoding(mm.getWeights().getType());
  vm::QuantScheme scheme = encoding.getScheme();

  // Dequantize through the op's folder, into f64 so no rounding hides an error.
  OpBuilder b(mm);
  auto f64Type = RankedTensorType::get({N, K}, b.getF64Type());
  Value dequantized = b.createOrFold<lowp::DequantizeOp>(mm.getLoc(), f64Type, mm.getWeights(),
                                                          mm.getScales(), mm.getOffsets());
  std::vector<double> values = floatValues(dequantized);
  std::vector<double> scales = floatValues(mm.getScales());
  ASSERT_EQ(values.size(), size_t(N * K));
  int64_t groups = encoding.getGroupsPerRow(K);
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t k = 0; k < K; ++k) {
      double original = w[size_t(k * N + n)];
      double v = values[size_t(n * K + k)];
      double s = scales[size_t(n * groups + k / (K / groups))];
      // The bound of the code v stands for: s/2 for integers, the local spacing for floats.
      uint8_t code = 0;
      if (scheme.storage.isFloat())
        code = vm::quantize(scheme, original, s, 0.0);
      double bound = vm::roundingBound(scheme, code, s);
      ASSERT_LE(std::abs(original - v), bound * (1 + 1e-9))
          << "w[" << k << ", " << n << "] = " << original << " dequantized to " << v;
    }
  }
}

TEST(QuantizeWeights, ThreeBitWeightsStayWithinHalfAStep) {
  checkRtnBound("bits=3 group-size=64");
}

TEST(QuantizeWeights, EverySignedWidthAndGroup) {
  for (int bits = 2; bits <= 8; ++bits)
    for (int group : {0, 32, 128})
      checkRtnBound("bits=" + std::to_string(bits) + " group-size=" + std::to_string(group));
}

TEST(QuantizeWeights, EveryUnsignedWidthWithOffsets) {
  for (int bits = 1; bits <= 8; ++bits)
    checkRtnBound("bits=" + std::to_string(bits) + " kind=uint group-size=64 scale-type=bf16");
}

TEST(QuantizeWeights, FloatCodes) {
  for (int bits = 2; bits <= 8; ++bits)
    checkRtnBound("bits=" + std::to_string(bits) + " kind=float group-size=128 scale-type=f32");
}

} // namespace
