#include "vm/Codec.h"

#include <cmath>
#include <limits>

namespace tessel::vm {
namespace {

uint32_t lowMask(unsigned bits) {
  return bits >= 32 ? 0xFFFFFFFFu : ((uint32_t(1) << bits) - 1);
}

struct FloatFields {
  uint32_t sign, exponent, mantissa;
};

FloatFields split(const FloatFormat &f, uint32_t code) {
  return {(code >> (f.exponentBits + f.mantissaBits)) & 1u,
          (code >> f.mantissaBits) & lowMask(f.exponentBits), code & lowMask(f.mantissaBits)};
}

uint32_t join(const FloatFormat &f, uint32_t sign, uint32_t exponent, uint32_t mantissa) {
  return (sign << (f.exponentBits + f.mantissaBits)) | (exponent << f.mantissaBits) |
         mantissa;
}

uint32_t signBit(const FloatFormat &f) { return uint32_t(1) << (f.exponentBits + f.mantissaBits); }

uint32_t nanCode(const FloatFormat &f) {
  switch (f.nan) {
  case NanEncoding::kIeee:
    return join(f, 0, lowMask(f.exponentBits), uint32_t(1) << (f.mantissaBits - 1));
  case NanEncoding::kAllOnes:
    return join(f, 0, lowMask(f.exponentBits), lowMask(f.mantissaBits));
  case NanEncoding::kNegativeZero:
    return signBit(f);
  case NanEncoding::kNone:
    break;
  }
  return 0; // no NaN: +0
}

// The largest exponent field of a finite number and the largest mantissa allowed with it.
uint32_t maxFiniteExponent(const FloatFormat &f) {
  return lowMask(f.exponentBits) - (f.nan == NanEncoding::kIeee ? 1 : 0);
}
uint32_t maxFiniteMantissa(const FloatFormat &f) {
  return lowMask(f.mantissaBits) - (f.nan == NanEncoding::kAllOnes ? 1 : 0);
}

uint32_t maxFiniteCode(const FloatFormat &f, uint32_t sign) {
  return join(f, sign, maxFiniteExponent(f), maxFiniteMantissa(f));
}

uint32_t overflowCode(const FloatFormat &f, uint32_t sign, Overflow overflow) {
  if (overflow == Overflow::kIeee) {
    if (f.hasInf())
      return join(f, sign, lowMask(f.exponentBits), 0);
    if (f.hasNan())
      return nanCode(f);
  }
  return maxFiniteCode(f, sign);
}

uint32_t encodeFloat(const FloatFormat &f, double value, Overflow overflow) {
  if (std::isnan(value))
    return nanCode(f);
  uint32_t sign = std::signbit(value) ? 1 : 0;
  // FNUZ formats have no -0: its code is NaN.
  uint32_t zero = f.nan == NanEncoding::kNegativeZero ? 0 : join(f, sign, 0, 0);
  double a = std::fabs(value);
  if (std::isinf(a)) {
    if (f.hasInf())
      return join(f, sign, lowMask(f.exponentBits), 0);
    return overflow == Overflow::kIeee ? overflowCode(f, sign, overflow)
                                       : maxFiniteCode(f, sign);
  }
  if (a == 0)
    return zero;

  const int minExponent = 1 - f.bias; // exponent of the smallest normal number
  const int m = f.mantissaBits;
  int frexpExponent;
  std::frexp(a, &frexpExponent);
  int e = std::max(frexpExponent - 1, minExponent);
  // a / 2^(e - m) is exact in double; rounding it to an integer is the one rounding.
  double scaled = std::ldexp(a, m - e);
  double q = std::nearbyint(scaled);
  // With no mantissa bits the significand is always 1, so "even" cannot refer to it: a tie
  // between 2^e and 2^(e+1) goes to the code whose last bit (the exponent's) is 0, as it
  // does for every other format.
  if (m == 0 && scaled >= 1 && scaled - std::floor(scaled) == 0.5)
    q = (e + f.bias) % 2 == 0 ? 1 : 2;
  if (q == 0)
    return zero;
  if (q >= std::ldexp(1.0, m + 1)) { // rounded up to the next binade
    e += 1;
    q = std::ldexp(1.0, m);
  }
  uint32_t quantum = static_cast<uint32_t>(q);
  uint32_t exponentField, mantissaField;
  if (quantum < (uint32_t(1) << m)) { // subnormal (only possible at e == minExponent)
    exponentField = 0;
    mantissaField = quantum;
  } else {
    int64_t biased = int64_t(e) + f.bias;
    if (biased > int64_t(maxFiniteExponent(f)))
      return overflowCode(f, sign, overflow);
    exponentField = uint32_t(biased);
    mantissaField = quantum - (uint32_t(1) << m);
  }
  if (exponentField == maxFiniteExponent(f) && mantissaField > maxFiniteMantissa(f))
    return overflowCode(f, sign, overflow);
  return join(f, sign, exponentField, mantissaField);
}

double decodeFloat(const FloatFormat &f, uint32_t code) {
  FloatFields x = split(f, code);
  double sign = x.sign ? -1.0 : 1.0;
  uint32_t allOnes = lowMask(f.exponentBits);
  switch (f.nan) {
  case NanEncoding::kIeee:
    if (x.exponent == allOnes)
      return x.mantissa == 0 ? sign * std::numeric_limits<double>::infinity()
                             : std::numeric_limits<double>::quiet_NaN();
    break;
  case NanEncoding::kAllOnes:
    if (x.exponent == allOnes && x.mantissa == lowMask(f.mantissaBits))
      return std::numeric_limits<double>::quiet_NaN();
    break;
  case NanEncoding::kNegativeZero:
    if (x.sign && x.exponent == 0 && x.mantissa == 0)
      return std::numeric_limits<double>::quiet_NaN();
    break;
  case NanEncoding::kNone:
    break;
  }
  const int m = f.mantissaBits;
  if (x.exponent == 0)
    return sign * std::ldexp(double(x.mantissa), 1 - f.bias - m);
  return sign * std::ldexp(double((uint64_t(1) << m) + x.mantissa),
                           int(x.exponent) - f.bias - m);
}

// The next float code above (up) or below the value of `code`, saturating at +-max
// finite. `code` must not be NaN.
uint32_t stepFloat(const FloatFormat &f, uint32_t code, bool up) {
  FloatFields x = split(f, code);
  uint32_t magnitude = code & (signBit(f) - 1);
  bool negative = x.sign != 0 && !(magnitude == 0); // -0 behaves as +0
  bool growMagnitude = (up && !negative) || (!up && negative);
  uint32_t sign = negative ? 1 : (up ? 0 : 1);
  if (magnitude == 0) // from zero: the smallest subnormal of the direction's sign
    return (sign ? signBit(f) : 0) | 1u;
  if (growMagnitude) {
    if (magnitude == (maxFiniteCode(f, 0)))
      return code; // saturate
    return (x.sign ? signBit(f) : 0) | (magnitude + 1);
  }
  magnitude -= 1;
  if (magnitude == 0)
    return 0;
  return (x.sign ? signBit(f) : 0) | magnitude;
}

} // namespace

double decode(DType type, uint32_t code) {
  code &= lowMask(type.bits());
  if (type.isFloat())
    return decodeFloat(type.floatFormat(), code);
  if (type.isUnsignedInteger())
    return double(code);
  // Two's complement: sign-extend from bits().
  uint32_t signBitValue = uint32_t(1) << (type.bits() - 1);
  int64_t value = int64_t(code) - ((code & signBitValue) ? (int64_t(1) << type.bits()) : 0);
  return double(value);
}

uint32_t encode(DType type, double value, Overflow overflow) {
  if (type.isFloat())
    return encodeFloat(type.floatFormat(), value, overflow);
  if (std::isnan(value))
    return 0;
  double r = std::nearbyint(value);
  double lo = double(type.intMin()), hi = double(type.intMax());
  r = r < lo ? lo : (r > hi ? hi : r);
  return static_cast<uint32_t>(static_cast<int64_t>(r)) & lowMask(type.bits());
}

double roundDirected(DType type, double value, Direction direction) {
  if (std::isnan(value))
    return value;
  uint32_t code = encode(type, value, Overflow::kSaturate);
  double rounded = decode(type, code);
  bool up = direction == Direction::kUp;
  if ((up && rounded >= value) || (!up && rounded <= value))
    return rounded;
  if (!type.isFloat()) {
    double next = rounded + (up ? 1.0 : -1.0);
    return next < double(type.intMin()) || next > double(type.intMax()) ? rounded : next;
  }
  return decode(type, stepFloat(type.floatFormat(), code, up));
}

bool isNan(DType type, uint32_t code) {
  return type.isFloat() && std::isnan(decode(type, code));
}

bool isInf(DType type, uint32_t code) {
  return type.isFloat() && std::isinf(decode(type, code));
}

} // namespace tessel::vm
