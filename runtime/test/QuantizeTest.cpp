#include "vm/Quantize.h"

#include "vm/Codec.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace tessel::vm {
namespace {

std::vector<double> randomMatrix(int64_t rows, int64_t cols, unsigned seed, double spread = 1) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> normal(0.0, spread);
  std::vector<double> w(size_t(rows * cols));
  for (double &x : w)
    x = normal(rng);
  return w;
}

void expectWithinRtnBound(const std::vector<double> &w, int64_t rows, int64_t cols,
                          const QuantScheme &scheme) {
  QuantizedRows q;
  std::optional<std::string> error = quantizeRows(w.data(), rows, cols, scheme, q);
  ASSERT_FALSE(error) << *error;
  int64_t group = scheme.groupSize ? scheme.groupSize : cols;
  ASSERT_EQ(q.groupsPerRow, cols / group);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      size_t gi = size_t(r * q.groupsPerRow + c / group);
      double s = q.scales[gi];
      double m = scheme.symmetric ? 0.0 : q.offsets[gi];
      // Scales and offsets are exactly representable in the scale type.
      ASSERT_EQ(decode(scheme.scaleType, encode(scheme.scaleType, s)), s);
      ASSERT_EQ(decode(scheme.scaleType, encode(scheme.scaleType, m)), m);
      uint8_t code = q.codes[size_t(r * cols + c)];
      ASSERT_LT(code, 1u << scheme.storage.bits());
      double x = w[size_t(r * cols + c)];
      double err = std::fabs(dequantize(scheme, code, s, m) - x);
      double bound = roundingBound(scheme, code, s);
      ASSERT_LE(err, bound * (1 + 1e-12))
          << scheme.storage.name() << " r=" << r << " c=" << c << " w=" << x
          << " code=" << int(code) << " s=" << s;
    }
  }
}

TEST(Quantize, SymmetricSignedIntegersEveryWidth) {
  for (unsigned bits = 2; bits <= 8; ++bits)
    for (int64_t group : {0, 16, 32})
      for (DType scale : {DType::f16(), DType::bf16(), DType::f32()})
        expectWithinRtnBound(randomMatrix(5, 64, bits), 5, 64,
                             {DType::signedInt(bits), scale, group, true});
}

TEST(Quantize, AsymmetricUnsignedIntegersEveryWidth) {
  for (unsigned bits = 1; bits <= 8; ++bits)
    for (int64_t group : {0, 8, 32})
      for (DType scale : {DType::f16(), DType::bf16(), DType::f32()}) {
        auto w = randomMatrix(4, 64, 100 + bits);
        for (size_t i = 0; i < w.size(); i += 7)
          w[i] += 3.0; // off-centre groups
        expectWithinRtnBound(w, 4, 64, {DType::unsignedInt(bits), scale, group, false});
      }
}

TEST(Quantize, SymmetricFloatFormats) {
  for (unsigned x = 1; x <= 7; ++x)
    for (unsigned y = 0; 1 + x + y <= 8; ++y)
      expectWithinRtnBound(randomMatrix(3, 32, x * 8 + y), 3, 32,
                           {DType::lowpFloat(x, y), DType::f16(), 16, true});
  expectWithinRtnBound(randomMatrix(3, 32, 7), 3, 32,
                       {DType::namedFloat(FloatName::kF8E4M3FN), DType::f32(), 0, true});
}

TEST(Quantize, ScaleUsesTheWholeCodeRange) {
  // Symmetric si3: qmax = 3, the group's largest magnitude maps to +-3.
  std::vector<double> w = {0.5, -1.5, 0.75, 1.0};
  QuantizedRows q;
  ASSERT_FALSE(quantizeRows(w.data(), 1, 4, {DType::signedInt(3), DType::f32(), 0, true}, q));
  EXPECT_EQ(q.scales[0], 0.5);
  EXPECT_EQ(decode(DType::signedInt(3), q.codes[1]), -3);
  EXPECT_EQ(decode(DType::signedInt(3), q.codes[0]), 1);
  EXPECT_EQ(decode(DType::signedInt(3), q.codes[2]), 2); // 1.5 ties to even
  EXPECT_EQ(decode(DType::signedInt(3), q.codes[3]), 2);
}

TEST(Quantize, AllZeroGroupIsExact) {
  std::vector<double> w(8, 0.0);
  QuantizedRows q;
  ASSERT_FALSE(quantizeRows(w.data(), 1, 8, {DType::signedInt(4), DType::f16(), 4, true}, q));
  for (uint8_t c : q.codes)
    EXPECT_EQ(c, 0);
}

TEST(Quantize, RejectsInconsistentSchemes) {
  auto why = [](QuantScheme s, int64_t k = 64) { return checkQuantScheme(s, k).value_or(""); };
  EXPECT_NE(why({DType::unsignedInt(4), DType::f16(), 32, true}).find("signed"), std::string::npos);
  EXPECT_NE(why({DType::signedInt(1), DType::f16(), 32, true}).find("no positive code"), std::string::npos);
  EXPECT_NE(why({DType::signedInt(4), DType::f16(), 32, false}).find("unsigned"), std::string::npos);
  EXPECT_NE(why({DType::signedInt(4), DType::signedInt(8), 32, true}).find("scale type"), std::string::npos);
  EXPECT_NE(why({DType::signedInt(4), DType::f16(), 48}).find("does not divide"), std::string::npos);
  EXPECT_NE(why({DType::signedInt(16), DType::f16(), 0}).find("1..8-bit"), std::string::npos);
  EXPECT_NE(why({DType::signedInt(4), DType::f16(), -2}).find("positive"), std::string::npos);
  EXPECT_EQ(why({DType::signedInt(4), DType::f16(), 32, true}), "");
}

TEST(Quantize, ReportsValuesTheScaleTypeCannotCover) {
  std::vector<double> w = {1e6, -2.0};
  QuantizedRows q;
  auto error = quantizeRows(w.data(), 1, 2, {DType::signedInt(2), DType::f16(), 0, true}, q);
  ASSERT_TRUE(error);
  EXPECT_NE(error->find("wider scale type"), std::string::npos) << *error;
  w = {NAN, 1.0};
  error = quantizeRows(w.data(), 1, 2, {DType::signedInt(4), DType::f16(), 0, true}, q);
  ASSERT_TRUE(error);
  EXPECT_NE(error->find("not finite"), std::string::npos) << *error;
}

} // namespace
} // namespace tessel::vm
