// MLIR element types and codec dtypes map onto each other one to one.
#include "dialects/LowP/IR/LowPDialect.h"
#include "dialects/LowP/IR/LowPTypes.h"

#include "mlir/IR/MLIRContext.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace tessel;

namespace {

TEST(TypeMapping, EveryDTypeRoundTripsThroughMLIR) {
  MLIRContext ctx;
  ctx.loadDialect<lowp::LowPDialect>();
  std::vector<vm::DType> all;
  for (unsigned bits = 1; bits <= 32; ++bits) {
    all.push_back(vm::DType::signlessInt(bits));
    all.push_back(vm::DType::signedInt(bits));
    all.push_back(vm::DType::unsignedInt(bits));
  }
  for (unsigned x = 1; x <= 7; ++x)
    for (unsigned y = 0; 1 + x + y <= 8; ++y)
      all.push_back(vm::DType::lowpFloat(x, y));
  for (const char *name : {"f16", "bf16", "f32", "f8E4M3FN", "f8E5M2", "f8E4M3", "f8E3M4",
                           "f8E4M3FNUZ", "f8E5M2FNUZ", "f8E4M3B11FNUZ", "f6E2M3FN",
                           "f6E3M2FN", "f4E2M1FN"})
    all.push_back(*vm::DType::parse(name));
  for (vm::DType d : all) {
    Type t = lowp::fromDType(&ctx, d);
    ASSERT_TRUE(t) << d.name();
    std::optional<vm::DType> back = lowp::toDType(t);
    ASSERT_TRUE(back) << d.name();
    EXPECT_EQ(*back, d) << d.name();
    EXPECT_EQ(lowp::isStorageType(t), d.bits() <= 8) << d.name();
  }
}

TEST(TypeMapping, UnsupportedTypesHaveNoDType) {
  MLIRContext ctx;
  EXPECT_FALSE(lowp::toDType(IndexType::get(&ctx)));
  EXPECT_FALSE(lowp::toDType(IntegerType::get(&ctx, 64)));
  EXPECT_FALSE(lowp::toDType(Float64Type::get(&ctx)));
}

} // namespace
