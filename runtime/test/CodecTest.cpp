#include "vm/Codec.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

namespace tessel::vm {
namespace {

// Every type with at most 16 bits: all integers 1..16 bits, every lowp eXmY, every named
// float except f32 (tested by sampling).
std::vector<DType> smallTypes() {
  std::vector<DType> types;
  for (unsigned bits = 1; bits <= 16; ++bits) {
    types.push_back(DType::signlessInt(bits));
    types.push_back(DType::signedInt(bits));
    types.push_back(DType::unsignedInt(bits));
  }
  for (unsigned x = 1; x <= 7; ++x)
    for (unsigned y = 0; 1 + x + y <= 8; ++y)
      types.push_back(DType::lowpFloat(x, y));
  for (FloatName n : {FloatName::kF16, FloatName::kBF16, FloatName::kF8E4M3FN,
                      FloatName::kF8E5M2, FloatName::kF8E4M3, FloatName::kF8E3M4,
                      FloatName::kF8E4M3FNUZ, FloatName::kF8E5M2FNUZ,
                      FloatName::kF8E4M3B11FNUZ, FloatName::kF6E2M3FN, FloatName::kF6E3M2FN,
                      FloatName::kF4E2M1FN})
    types.push_back(DType::namedFloat(n));
  return types;
}

uint32_t canonical(DType t, uint32_t code) {
  // -0 of a float is its own code; NaNs re-encode to the canonical NaN.
  if (isNan(t, code))
    return encode(t, NAN);
  return code;
}

TEST(Codec, EveryCodeOfEveryTypeRoundTrips) {
  for (DType t : smallTypes()) {
    for (uint32_t code = 0; code < codeCount(t); ++code) {
      double v = decode(t, code);
      uint32_t back = encode(t, v, Overflow::kIeee);
      ASSERT_EQ(back, canonical(t, code)) << t.name() << " code " << code << " = " << v;
      ASSERT_EQ(encode(t, v, Overflow::kSaturate), canonical(t, code)) << t.name();
    }
  }
}

TEST(Codec, F32SampledCodesRoundTrip) {
  DType t = DType::f32();
  for (uint64_t code = 0; code < (uint64_t(1) << 32); code += 65537) {
    float expected;
    uint32_t c = uint32_t(code);
    std::memcpy(&expected, &c, 4);
    double v = decode(t, c);
    if (std::isnan(expected)) {
      ASSERT_TRUE(std::isnan(v));
      continue;
    }
    ASSERT_EQ(v, double(expected)) << std::hex << c;
    ASSERT_EQ(encode(t, v, Overflow::kIeee), c) << std::hex << c;
  }
}

TEST(Codec, KnownValues) {
  DType e2m1 = DType::lowpFloat(2, 1);
  const double expected[] = {0, 0.5, 1, 1.5, 2, 3, 4, 6};
  for (uint32_t c = 0; c < 8; ++c) {
    EXPECT_EQ(decode(e2m1, c), expected[c]);
    EXPECT_EQ(decode(e2m1, c | 8), -expected[c]);
  }
  EXPECT_EQ(decode(DType::f16(), 0x3C00), 1.0);
  EXPECT_EQ(decode(DType::f16(), 0x0001), std::ldexp(1.0, -24));
  EXPECT_TRUE(std::isinf(decode(DType::f16(), 0x7C00)));
  EXPECT_EQ(decode(DType::bf16(), 0x3F80), 1.0);
  EXPECT_EQ(decode(DType::signedInt(3), 0b100), -4.0);
  EXPECT_EQ(decode(DType::signlessInt(3), 0b111), -1.0);
  EXPECT_EQ(decode(DType::unsignedInt(3), 0b111), 7.0);
  EXPECT_TRUE(std::isnan(decode(DType::namedFloat(FloatName::kF8E4M3FN), 0x7F)));
  EXPECT_EQ(decode(DType::namedFloat(FloatName::kF8E4M3FN), 0x7E), 448.0);
  EXPECT_TRUE(std::isnan(decode(DType::namedFloat(FloatName::kF8E4M3FNUZ), 0x80)));
  // e1m0 (2 bits): exponent field 0 is zero, 1 is 2^(1-0) = 2.
  EXPECT_EQ(decode(DType::lowpFloat(1, 0), 1), 2.0);
}

// Ties go to the code with an even mantissa; just off the tie goes to the nearer code.
TEST(Codec, RoundsToNearestEvenBetweenEveryAdjacentPair) {
  for (DType t : smallTypes()) {
    if (!t.isFloat() || t.bits() > 8)
      continue;
    // Codes of the non-negative finite values in increasing order (code order).
    std::vector<uint32_t> codes;
    uint32_t signBit = 1u << (t.bits() - 1);
    for (uint32_t c = 0; c < signBit; ++c)
      if (std::isfinite(decode(t, c)))
        codes.push_back(c);
    for (size_t i = 0; i + 1 < codes.size(); ++i) {
      double a = decode(t, codes[i]), b = decode(t, codes[i + 1]);
      ASSERT_LT(a, b) << t.name();
      double mid = (a + b) / 2;
      uint32_t even = (codes[i] & 1) == 0 ? codes[i] : codes[i + 1];
      ASSERT_EQ(encode(t, mid), even) << t.name() << " tie " << mid;
      ASSERT_EQ(encode(t, std::nextafter(mid, a)), codes[i]) << t.name();
      ASSERT_EQ(encode(t, std::nextafter(mid, b)), codes[i + 1]) << t.name();
      // Negative side mirrors (the sign is a separate bit).
      uint32_t neg = t.floatFormat().nan == NanEncoding::kNegativeZero && even == 0 ? 0 : even | signBit;
      ASSERT_EQ(encode(t, -mid), neg) << t.name() << " tie " << -mid;
    }
  }
}

TEST(Codec, SaturatesAndOverflows) {
  DType e4m3fn = DType::namedFloat(FloatName::kF8E4M3FN);
  EXPECT_EQ(encode(e4m3fn, 1000.0), 0x7Eu);                 // saturate to 448
  EXPECT_EQ(encode(e4m3fn, -1000.0), 0xFEu);
  EXPECT_EQ(encode(e4m3fn, 1000.0, Overflow::kIeee), 0x7Fu); // no inf: NaN
  EXPECT_EQ(encode(e4m3fn, 460.0, Overflow::kIeee), 0x7Eu);  // below the halfway point
  EXPECT_EQ(encode(e4m3fn, INFINITY), 0x7Eu);
  DType f16 = DType::f16();
  EXPECT_EQ(encode(f16, 1e6, Overflow::kIeee), 0x7C00u);
  EXPECT_EQ(encode(f16, 1e6), 0x7BFFu);
  EXPECT_EQ(encode(f16, 65519.0, Overflow::kIeee), 0x7BFFu); // rounds down to 65504
  EXPECT_EQ(encode(f16, 65520.0, Overflow::kIeee), 0x7C00u); // tie to even: inf
  EXPECT_EQ(encode(f16, INFINITY), 0x7C00u);                 // inf stays inf
  DType e3m2 = DType::lowpFloat(3, 2);
  EXPECT_EQ(decode(e3m2, encode(e3m2, 1e9)), 28.0);
  EXPECT_EQ(decode(e3m2, encode(e3m2, -INFINITY, Overflow::kIeee)), -28.0);
  // NaN: canonical NaN where the format has one, +0 otherwise.
  EXPECT_EQ(encode(f16, NAN), 0x7E00u);
  EXPECT_EQ(encode(DType::f32(), NAN), 0x7FC00000u);
  EXPECT_EQ(encode(e3m2, NAN), 0u);
  EXPECT_EQ(encode(DType::signedInt(4), NAN), 0u);
  // FNUZ has no -0.
  EXPECT_EQ(encode(DType::namedFloat(FloatName::kF8E5M2FNUZ), -0.0), 0u);
  EXPECT_EQ(encode(DType::namedFloat(FloatName::kF8E5M2FNUZ), -1e-30), 0u);
  EXPECT_EQ(encode(f16, -0.0), 0x8000u);
}

TEST(Codec, SubnormalsAreKept) {
  DType e3m2 = DType::lowpFloat(3, 2); // bias 3: smallest subnormal 2^(1-3-2) = 1/16
  EXPECT_EQ(decode(e3m2, 1), 1.0 / 16);
  EXPECT_EQ(encode(e3m2, 1.0 / 16), 1u);
  EXPECT_EQ(encode(e3m2, 1.0 / 32), 0u);           // tie between 0 and 1/16: even is 0
  EXPECT_EQ(encode(e3m2, 1.0 / 32 + 1e-9), 1u);
  EXPECT_EQ(encode(e3m2, 3.0 / 32), 2u);           // tie between 1/16 and 2/16: even
  EXPECT_EQ(encode(e3m2, 0.25 - 1.0 / 64), 4u);    // rounds up into the first normal
}

TEST(Codec, IntegersRoundHalfToEvenAndSaturate) {
  DType s4 = DType::signedInt(4), u3 = DType::unsignedInt(3), i2 = DType::signlessInt(2);
  EXPECT_EQ(decode(s4, encode(s4, 2.5)), 2);
  EXPECT_EQ(decode(s4, encode(s4, 3.5)), 4);
  EXPECT_EQ(decode(s4, encode(s4, -2.5)), -2);
  EXPECT_EQ(decode(s4, encode(s4, -7.5)), -8);
  EXPECT_EQ(decode(s4, encode(s4, 100)), 7);
  EXPECT_EQ(decode(s4, encode(s4, -100)), -8);
  EXPECT_EQ(decode(u3, encode(u3, -1)), 0);
  EXPECT_EQ(decode(u3, encode(u3, 6.5)), 6);
  EXPECT_EQ(decode(u3, encode(u3, 1e30)), 7);
  EXPECT_EQ(encode(i2, -1), 0b11u);
  EXPECT_EQ(decode(DType::signedInt(32), encode(DType::signedInt(32), -3e9)), -2147483648.0);
}

TEST(Codec, RoundDirected) {
  DType f16 = DType::f16();
  double third = 1.0 / 3;
  double up = roundDirected(f16, third, Direction::kUp);
  double down = roundDirected(f16, third, Direction::kDown);
  EXPECT_GT(up, third);
  EXPECT_LT(down, third);
  EXPECT_EQ(encode(f16, up) - encode(f16, down), 1u);
  EXPECT_EQ(roundDirected(f16, 0.5, Direction::kUp), 0.5);
  EXPECT_EQ(roundDirected(f16, -third, Direction::kDown), -up);
  EXPECT_EQ(roundDirected(f16, -third, Direction::kUp), -down);
  EXPECT_EQ(roundDirected(f16, 1e-9, Direction::kUp), std::ldexp(1.0, -24));
  EXPECT_EQ(roundDirected(f16, 1e-9, Direction::kDown), 0.0);
  EXPECT_EQ(roundDirected(f16, -1e-9, Direction::kDown), -std::ldexp(1.0, -24));
  EXPECT_EQ(roundDirected(f16, 1e9, Direction::kUp), 65504.0); // saturates
  EXPECT_EQ(roundDirected(DType::signedInt(4), 2.2, Direction::kUp), 3.0);
  EXPECT_EQ(roundDirected(DType::signedInt(4), 2.7, Direction::kDown), 2.0);
}

} // namespace
} // namespace tessel::vm
