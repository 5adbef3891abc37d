// The codec library agrees with llvm::APFloat on every builtin MLIR float format: every
// code decodes to the same value, and encoding rounds the way APFloat's
// round-to-nearest-even conversion does.
#include "dialects/LowP/IR/LowPTypes.h"

#include "vm/Codec.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/APFloat.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

using namespace mlir;
using namespace tessel;

namespace {

std::vector<Type> builtinFloats(MLIRContext &ctx) {
  Builder b(&ctx);
  return {b.getF16Type(),
          b.getBF16Type(),
          Float8E4M3FNType::get(&ctx),
          Float8E5M2Type::get(&ctx),
          Float8E4M3Type::get(&ctx),
          Float8E3M4Type::get(&ctx),
          Float8E4M3FNUZType::get(&ctx),
          Float8E5M2FNUZType::get(&ctx),
          Float8E4M3B11FNUZType::get(&ctx),
          Float6E2M3FNType::get(&ctx),
          Float6E3M2FNType::get(&ctx),
          Float4E2M1FNType::get(&ctx)};
}

double apDecode(const llvm::fltSemantics &sem, unsigned bits, uint32_t code) {
  llvm::APFloat v(sem, llvm::APInt(bits, code));
  bool lost;
  v.convert(llvm::APFloat::IEEEdouble(), llvm::APFloat::rmNearestTiesToEven, &lost);
  return v.convertToDouble();
}

TEST(CodecAPFloat, EveryCodeDecodesLikeAPFloat) {
  MLIRContext ctx;
  for (Type type : builtinFloats(ctx)) {
    auto ft = cast<FloatType>(type);
    std::optional<vm::DType> dtype = lowp::toDType(type);
    ASSERT_TRUE(dtype);
    unsigned bits = ft.getWidth();
    ASSERT_EQ(dtype->bits(), bits);
    for (uint32_t code = 0; code < (1u << bits); ++code) {
      double expected = apDecode(ft.getFloatSemantics(), bits, code);
      double actual = vm::decode(*dtype, code);
      if (std::isnan(expected)) {
        ASSERT_TRUE(std::isnan(actual)) << dtype->name() << " code " << code;
        continue;
      }
      ASSERT_EQ(actual, expected) << dtype->name() << " code " << code;
      ASSERT_EQ(std::signbit(actual), std::signbit(expected)) << dtype->name() << " " << code;
    }
  }
}

TEST(CodecAPFloat, EncodeRoundsLikeAPFloat) {
  MLIRContext ctx;
  std::mt19937_64 rng(7);
  for (Type type : builtinFloats(ctx)) {
    auto ft = cast<FloatType>(type);
    vm::DType dtype = *lowp::toDType(type);
    double max = dtype.maxFinite();
    // Random values across the whole range (log-uniform magnitudes) and every midpoint
    // between adjacent codes.
    std::vector<double> values;
    std::uniform_real_distribution<double> exponent(std::log2(max) - 30, std::log2(max));
    for (int i = 0; i < 20000; ++i) {
      double v = std::exp2(exponent(rng));
      values.push_back(rng() & 1 ? v : -v);
    }
    if (ft.getWidth() <= 8) {
      for (uint32_t c = 0; c + 1 < (1u << (ft.getWidth() - 1)); ++c) {
        double a = vm::decode(dtype, c), b = vm::decode(dtype, c + 1);
        if (std::isfinite(a) && std::isfinite(b))
          values.push_back((a + b) / 2);
      }
    }
    for (double v : values) {
      llvm::APFloat ap(v);
      bool lost;
      ap.convert(ft.getFloatSemantics(), llvm::APFloat::rmNearestTiesToEven, &lost);
      double expected = ap.isNaN() ? NAN : apDecode(ft.getFloatSemantics(), ft.getWidth(),
                                                    ap.bitcastToAPInt().getZExtValue());
      double actual = vm::decode(dtype, vm::encode(dtype, v, vm::Overflow::kIeee));
      if (std::isnan(expected)) {
        ASSERT_TRUE(std::isnan(actual)) << dtype.name() << " " << v;
        continue;
      }
      ASSERT_EQ(actual, expected) << dtype.name() << " value " << v;
    }
  }
}

TEST(CodecAPFloat, LowpFormatsMatchTheirBuiltinTwins) {
  MLIRContext ctx;
  struct Twin {
    Type builtin;
    unsigned x, y;
  } twins[] = {{Float6E3M2FNType::get(&ctx), 3, 2},
               {Float6E2M3FNType::get(&ctx), 2, 3},
               {Float4E2M1FNType::get(&ctx), 2, 1}};
  for (const Twin &t : twins) {
    vm::DType lowpType = vm::DType::lowpFloat(t.x, t.y);
    auto ft = cast<FloatType>(t.builtin);
    for (uint32_t c = 0; c < (1u << lowpType.bits()); ++c)
      ASSERT_EQ(vm::decode(lowpType, c), apDecode(ft.getFloatSemantics(), ft.getWidth(), c))
          << lowpType.name() << " code " << c;
  }
}

} // namespace
