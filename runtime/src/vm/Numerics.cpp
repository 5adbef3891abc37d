#include "vm/Numerics.h"

#include "vm/Codec.h"

#include <cmath>
#include <limits>
#include <vector>

namespace tessel::vm {

const float *halfTable() {
  static const std::vector<float> table = [] {
    std::vector<float> t(65536);
    for (uint32_t code = 0; code < 65536; ++code) {
      uint32_t sign = (code & 0x8000u) << 16, exponent = (code >> 10) & 0x1Fu,
               mantissa = code & 0x3FFu;
      uint32_t bits;
      if (exponent == 0) // zero or subnormal: mantissa * 2^-24, exact in f32
        bits = floatToBits(std::ldexp(float(mantissa), -24)) | sign;
      else if (exponent == 31)
        bits = sign | 0x7F800000u | (mantissa << 13);
      else
        bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
      t[code] = bitsToFloat(bits);
    }
    return t;
  }();
  return table.data();
}

float roundToFloatType(double value, DType type) {
  uint32_t code = encode(type, value, Overflow::kIeee);
  ArithFloat t = arithFloatOf(type);
  return t == ArithFloat::kNone ? float(decode(type, code)) : codeToFloat(code, t);
}

float fmaRounded(float a, float b, float c, ArithFloat t) {
  double p = double(a) * double(b); // exact: 24 + 24 bits
  double dc = c;
  double s = p + dc;
  if (!std::isfinite(s))
    return float(s);
  // TwoSum: the exact error of the addition; then round to odd, so that the final
  // rounding to the (much narrower) target is the correct rounding of a*b + c.
  double bv = s - p;
  double err = (p - (s - bv)) + (dc - bv);
  if (err != 0 && (doubleToBits(s) & 1) == 0)
    s = std::nextafter(s, err > 0 ? std::numeric_limits<double>::infinity()
                                  : -std::numeric_limits<double>::infinity());
  // Past the midpoint above FLT_MAX every target overflows.
  if (std::fabs(s) >= 0x1.ffffffp127)
    return std::copysign(std::numeric_limits<float>::infinity(), float(s > 0 ? 1 : -1));
  float f = float(s);
  if (t == ArithFloat::kF32)
    return f;
  // Round to odd again at f32 precision (>= p + 2 bits for f16 and bf16).
  if (double(f) != s && (floatToBits(f) & 1) == 0)
    f = std::nextafter(f, double(f) < s ? std::numeric_limits<float>::infinity()
                                        : -std::numeric_limits<float>::infinity());
  return roundFloat(f, t);
}

} // namespace tessel::vm
