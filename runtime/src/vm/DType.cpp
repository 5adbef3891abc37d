#include "vm/DType.h"

#include <cmath>
#include <cstdlib>

namespace tessel::vm {
namespace {

struct NamedFloat {
  FloatName name;
  const char *text;
  FloatFormat format;
};

// The named formats and their semantics (matching llvm::APFloat's of the same name).
constexpr NamedFloat kNamedFloats[] = {
    {FloatName::kF16, "f16", {5, 10, 15, NanEncoding::kIeee}},
    {FloatName::kBF16, "bf16", {8, 7, 127, NanEncoding::kIeee}},
    {FloatName::kF32, "f32", {8, 23, 127, NanEncoding::kIeee}},
    {FloatName::kF8E4M3FN, "f8E4M3FN", {4, 3, 7, NanEncoding::kAllOnes}},
    {FloatName::kF8E5M2, "f8E5M2", {5, 2, 15, NanEncoding::kIeee}},
    {FloatName::kF8E4M3, "f8E4M3", {4, 3, 7, NanEncoding::kIeee}},
    {FloatName::kF8E3M4, "f8E3M4", {3, 4, 3, NanEncoding::kIeee}},
    {FloatName::kF8E4M3FNUZ, "f8E4M3FNUZ", {4, 3, 8, NanEncoding::kNegativeZero}},
    {FloatName::kF8E5M2FNUZ, "f8E5M2FNUZ", {5, 2, 16, NanEncoding::kNegativeZero}},
    {FloatName::kF8E4M3B11FNUZ, "f8E4M3B11FNUZ", {4, 3, 11, NanEncoding::kNegativeZero}},
    {FloatName::kF6E2M3FN, "f6E2M3FN", {2, 3, 1, NanEncoding::kNone}},
    {FloatName::kF6E3M2FN, "f6E3M2FN", {3, 2, 3, NanEncoding::kNone}},
    {FloatName::kF4E2M1FN, "f4E2M1FN", {2, 1, 1, NanEncoding::kNone}},
};

// Parses a decimal number of 1..3 digits at the front of `s`; advances `s`.
std::optional<unsigned> takeNumber(std::string_view &s) {
  unsigned value = 0;
  size_t n = 0;
  while (n < s.size() && n < 3 && s[n] >= '0' && s[n] <= '9')
    value = value * 10 + unsigned(s[n++] - '0');
  if (n == 0 || (n > 1 && s[0] == '0'))
    return std::nullopt;
  s.remove_prefix(n);
  return value;
}

} // namespace

std::optional<std::string> DType::checkLowpFloat(int64_t exponentBits,
                                                 int64_t mantissaBits) {
  if (exponentBits < 1)
    return "a lowp float needs at least one exponent bit (X >= 1 in eXmY)";
  if (mantissaBits < 0)
    return "the mantissa width of a lowp float cannot be negative";
  if (1 + exponentBits + mantissaBits > 8)
    return "a lowp float eXmY has 1 + X + Y bits and at most 8 (here " +
           std::to_string(1 + exponentBits + mantissaBits) + ")";
  return std::nullopt;
}

DType DType::lowpFloat(unsigned exponentBits, unsigned mantissaBits) {
  if (checkLowpFloat(exponentBits, mantissaBits))
    return DType();
  DType t(TypeKind::kFloat, 1 + exponentBits + mantissaBits);
  t.floatName_ = FloatName::kLowp;
  t.format_ = FloatFormat{static_cast<uint8_t>(exponentBits),
                          static_cast<uint8_t>(mantissaBits),
                          (1 << (exponentBits - 1)) - 1, NanEncoding::kNone};
  return t;
}

DType DType::namedFloat(FloatName name) {
  for (const NamedFloat &f : kNamedFloats) {
    if (f.name != name)
      continue;
    DType t(TypeKind::kFloat, f.format.bits());
    t.floatName_ = name;
    t.format_ = f.format;
    return t;
  }
  return DType();
}

std::optional<DType> DType::parse(std::string_view name) {
  for (const NamedFloat &f : kNamedFloats)
    if (name == f.text)
      return namedFloat(f.name);
  std::string_view s = name;
  TypeKind kind;
  if (s.substr(0, 2) == "si") {
    kind = TypeKind::kSignedInt;
    s.remove_prefix(2);
  } else if (s.substr(0, 2) == "ui") {
    kind = TypeKind::kUnsignedInt;
    s.remove_prefix(2);
  } else if (s.substr(0, 1) == "i") {
    kind = TypeKind::kSignlessInt;
    s.remove_prefix(1);
  } else if (s.substr(0, 1) == "e") {
    s.remove_prefix(1);
    std::optional<unsigned> x = takeNumber(s);
    if (!x || s.substr(0, 1) != "m")
      return std::nullopt;
    s.remove_prefix(1);
    std::optional<unsigned> y = takeNumber(s);
    if (!y || !s.empty() || checkLowpFloat(*x, *y))
      return std::nullopt;
    return lowpFloat(*x, *y);
  } else {
    return std::nullopt;
  }
  std::optional<unsigned> bits = takeNumber(s);
  if (!bits || !s.empty() || *bits < 1 || *bits > 32)
    return std::nullopt;
  return DType(kind, *bits);
}

std::string DType::name() const {
  if (!isValid())
    return "<invalid>";
  switch (kind_) {
  case TypeKind::kSignlessInt:
    return "i" + std::to_string(bits_);
  case TypeKind::kSignedInt:
    return "si" + std::to_string(bits_);
  case TypeKind::kUnsignedInt:
    return "ui" + std::to_string(bits_);
  case TypeKind::kFloat:
    break;
  }
  if (floatName_ == FloatName::kLowp)
    return "e" + std::to_string(format_.exponentBits) + "m" +
           std::to_string(format_.mantissaBits);
  for (const NamedFloat &f : kNamedFloats)
    if (f.name == floatName_)
      return f.text;
  return "<invalid>";
}

int64_t DType::intMin() const {
  if (isUnsignedInteger())
    return 0;
  return -(int64_t(1) << (bits_ - 1));
}

int64_t DType::intMax() const {
  if (isUnsignedInteger())
    return (int64_t(1) << bits_) - 1;
  return (int64_t(1) << (bits_ - 1)) - 1;
}

double DType::maxFinite() const {
  if (!isFloat())
    return double(intMax());
  const FloatFormat &f = format_;
  int maxExponentField = (1 << f.exponentBits) - 1;
  int64_t maxMantissa = (int64_t(1) << f.mantissaBits) - 1;
  switch (f.nan) {
  case NanEncoding::kIeee:
    maxExponentField -= 1; // the all-ones exponent is inf/NaN
    break;
  case NanEncoding::kAllOnes:
    maxMantissa -= 1; // S.1..1.1..1 is NaN
    break;
  case NanEncoding::kNone:
  case NanEncoding::kNegativeZero:
    break;
  }
  // value = (1 + m / 2^M) * 2^(e - bias), with e >= 1 for a normal number.
  double significand = 1.0 + std::ldexp(double(maxMantissa), -int(f.mantissaBits));
  return std::ldexp(significand, maxExponentField - f.bias);
}

} // namespace tessel::vm
