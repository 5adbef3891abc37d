#include "vm/DType.h"

#include <gtest/gtest.h>

namespace tessel::vm {
namespace {

TEST(DType, IntegerNamesRoundTrip) {
  for (unsigned bits = 1; bits <= 32; ++bits) {
    for (DType t : {DType::signlessInt(bits), DType::signedInt(bits), DType::unsignedInt(bits)}) {
      std::optional<DType> parsed = DType::parse(t.name());
      ASSERT_TRUE(parsed) << t.name();
      EXPECT_EQ(*parsed, t) << t.name();
      EXPECT_EQ(t.bits(), bits);
    }
  }
}

TEST(DType, IntegerRanges) {
  EXPECT_EQ(DType::signedInt(3).intMin(), -4);
  EXPECT_EQ(DType::signedInt(3).intMax(), 3);
  EXPECT_EQ(DType::signlessInt(1).intMin(), -1);
  EXPECT_EQ(DType::signlessInt(1).intMax(), 0);
  EXPECT_EQ(DType::unsignedInt(5).intMin(), 0);
  EXPECT_EQ(DType::unsignedInt(5).intMax(), 31);
  EXPECT_EQ(DType::signedInt(32).intMin(), -2147483648LL);
}

TEST(DType, EveryLowpFloatFormat) {
  int valid = 0;
  for (int x = 0; x <= 8; ++x) {
    for (int y = 0; y <= 8; ++y) {
      std::string name = "e" + std::to_string(x) + "m" + std::to_string(y);
      bool ok = x >= 1 && 1 + x + y <= 8;
      EXPECT_EQ(!DType::checkLowpFloat(x, y), ok) << name;
      std::optional<DType> parsed = DType::parse(name);
      EXPECT_EQ(parsed.has_value(), ok) << name;
      if (!ok)
        continue;
      ++valid;
      EXPECT_EQ(parsed->name(), name);
      EXPECT_EQ(parsed->bits(), unsigned(1 + x + y));
      EXPECT_EQ(parsed->floatFormat().bias, (1 << (x - 1)) - 1);
      EXPECT_FALSE(parsed->floatFormat().hasNan());
    }
  }
  EXPECT_EQ(valid, 28); // X in 1..7, Y in 0..7-X
}

TEST(DType, NamedFloatsRoundTrip) {
  for (const char *name : {"f16", "bf16", "f32", "f8E4M3FN", "f8E5M2", "f8E4M3", "f8E3M4",
                           "f8E4M3FNUZ", "f8E5M2FNUZ", "f8E4M3B11FNUZ", "f6E2M3FN",
                           "f6E3M2FN", "f4E2M1FN"}) {
    std::optional<DType> t = DType::parse(name);
    ASSERT_TRUE(t) << name;
    EXPECT_EQ(t->name(), name);
    EXPECT_TRUE(t->isFloat());
  }
}

TEST(DType, RejectsMalformedNames) {
  for (const char *name : {"", "i", "i0", "i33", "si", "ui09", "e0m3", "e4m4", "e1m7x", "em2",
                           "e3", "f12", "float", "i3 ", "e01m2"})
    EXPECT_FALSE(DType::parse(name)) << '"' << name << '"';
}

TEST(DType, MaxFinite) {
  EXPECT_EQ(DType::f16().maxFinite(), 65504.0);
  EXPECT_EQ(DType::namedFloat(FloatName::kF8E4M3FN).maxFinite(), 448.0);
  EXPECT_EQ(DType::namedFloat(FloatName::kF8E5M2).maxFinite(), 57344.0);
  EXPECT_EQ(DType::namedFloat(FloatName::kF4E2M1FN).maxFinite(), 6.0);
  EXPECT_EQ(DType::namedFloat(FloatName::kF6E3M2FN).maxFinite(), 28.0);
  EXPECT_EQ(DType::namedFloat(FloatName::kF6E2M3FN).maxFinite(), 7.5);
  EXPECT_EQ(DType::namedFloat(FloatName::kF8E4M3FNUZ).maxFinite(), 240.0);
  EXPECT_EQ(DType::lowpFloat(2, 1).maxFinite(), 6.0);
  EXPECT_EQ(DType::lowpFloat(5, 2).maxFinite(), 114688.0); // no inf: exponent 31 is finite
  EXPECT_EQ(DType::lowpFloat(1, 0).maxFinite(), 2.0);      // e1m0: {0, 2} and signs
  EXPECT_EQ(DType::signedInt(4).maxFinite(), 7.0);
}

} // namespace
} // namespace tessel::vm
