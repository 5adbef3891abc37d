// Fast, exact conversions and roundings of the arithmetic floats (f16, bf16, f32) that the
// executors compute with, and scalar integer helpers. The codec library (Codec.h) covers
// every type; these are its hot paths for the three types PTX computes in.
//
// Arithmetic on f16 and bf16 is done in f32 and rounded to the type once: for +, -, *,
// / and sqrt that is exactly the correctly rounded result, because f32 has at least
// 2p + 2 bits for p = 11 (f16) and p = 8 (bf16), which makes the double rounding
// innocuous.
#ifndef TESSEL_VM_NUMERICS_H
#define TESSEL_VM_NUMERICS_H

#include "vm/DType.h"

#include <cmath>
#include <cstdint>
#include <cstring>

namespace tessel::vm {

inline uint32_t floatToBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
inline float bitsToFloat(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
inline uint64_t doubleToBits(double d) {
  uint64_t u;
  std::memcpy(&u, &d, 8);
  return u;
}
inline double bitsToDouble(uint64_t u) {
  double d;
  std::memcpy(&d, &u, 8);
  return d;
}

/// The NaN that arithmetic produces (PTX's canonical NaN: positive, all exponent and
/// mantissa bits set).
constexpr uint32_t kCanonicalNanF32 = 0x7FFFFFFFu;
constexpr uint32_t kCanonicalNanF16 = 0x7FFFu;
constexpr uint32_t kCanonicalNanBF16 = 0x7FFFu;

/// f16 code -> f32 value (exact), through a table of all 65536 codes.
const float *halfTable();
inline float halfToFloat(uint32_t code) { return halfTable()[code & 0xFFFFu]; }

/// f32 -> f16 code, round to nearest even, overflow to inf, subnormals kept, NaN canonical.
inline uint32_t floatToHalf(float value) {
  uint32_t x = floatToBits(value);
  uint32_t sign = (x >> 16) & 0x8000u;
  uint32_t ax = x & 0x7FFFFFFFu;
  if (ax > 0x7F800000u)
    return kCanonicalNanF16;
  if (ax >= 0x477FF000u) // >= 65520 (the midpoint past 65504) and inf
    return sign | 0x7C00u;
  if (ax >= 0x38800000u) { // normal: rebias the exponent (127 -> 15), round 13 bits away
    uint32_t r = ax - 0x38000000u;
    return sign | ((r + 0xFFFu + ((r >> 13) & 1u)) >> 13);
  }
  // Subnormal or zero: adding 0.5 makes the f32 quantum 2^-24, the f16 subnormal step, so
  // the hardware's round-to-nearest-even does the rounding.
  float t = bitsToFloat(ax) + 0.5f;
  return sign | (floatToBits(t) - 0x3F000000u);
}

inline float bf16ToFloat(uint32_t code) { return bitsToFloat((code & 0xFFFFu) << 16); }
/// f32 -> bf16 code, round to nearest even, NaN canonical.
inline uint32_t floatToBF16(float value) {
  uint32_t x = floatToBits(value);
  if ((x & 0x7FFFFFFFu) > 0x7F800000u)
    return kCanonicalNanBF16;
  return (x + 0x7FFFu + ((x >> 16) & 1u)) >> 16;
}

/// The arithmetic float types.
enum class ArithFloat : uint8_t { kF16, kBF16, kF32, kNone };
inline ArithFloat arithFloatOf(DType t) {
  switch (t.floatName()) {
  case FloatName::kF16: return ArithFloat::kF16;
  case FloatName::kBF16: return ArithFloat::kBF16;
  case FloatName::kF32: return ArithFloat::kF32;
  default: return ArithFloat::kNone;
  }
}

inline float codeToFloat(uint32_t code, ArithFloat t) {
  switch (t) {
  case ArithFloat::kF16: return halfToFloat(code);
  case ArithFloat::kBF16: return bf16ToFloat(code);
  default: return bitsToFloat(code);
  }
}

/// Rounds an f32 value to `t` and returns its code (NaN canonical).
inline uint32_t floatToCode(float value, ArithFloat t) {
  switch (t) {
  case ArithFloat::kF16: return floatToHalf(value);
  case ArithFloat::kBF16: return floatToBF16(value);
  default: {
    uint32_t x = floatToBits(value);
    return (x & 0x7FFFFFFFu) > 0x7F800000u ? kCanonicalNanF32 : x;
  }
  }
}

/// Rounds an f32 value to `t`, as an f32 value.
inline float roundFloat(float value, ArithFloat t) {
  return t == ArithFloat::kF32 ? value : codeToFloat(floatToCode(value, t), t);
}

/// Rounds a double once to f16, bf16 or f32 (IEEE overflow), as an f32 value.
float roundToFloatType(double value, DType type);

/// a * b + c rounded once to `t` (exactly: the exact result is rounded to odd in double
/// first, which makes the second rounding innocuous).
float fmaRounded(float a, float b, float c, ArithFloat t);

/// PTX max/min of floats (tbvm.binary max/min, reduce max): a NaN operand yields the other
/// one; -0 < +0.
inline float maxNumber(float x, float y, bool isMax) {
  if (std::isnan(x))
    return y;
  if (std::isnan(y))
    return x;
  if (x == y)
    return std::signbit(x) == isMax ? y : x;
  return (x > y) == isMax ? x : y;
}

/// The low `bits` bits of v, sign-extended (bits in 1..64).
inline int64_t wrapToBits(int64_t v, unsigned bits) {
  if (bits >= 64)
    return v;
  unsigned shift = 64 - bits;
  return int64_t(uint64_t(v) << shift) >> shift;
}
/// The low `bits` bits of v, zero-extended.
inline uint64_t zeroExtendBits(int64_t v, unsigned bits) {
  return bits >= 64 ? uint64_t(v) : uint64_t(v) & ((uint64_t(1) << bits) - 1);
}

/// An integer element code (the low `bits` bits) read as signed or unsigned.
inline int64_t intCodeValue(uint32_t code, unsigned bits, bool isSigned) {
  uint64_t v = bits >= 32 ? code : code & ((uint32_t(1) << bits) - 1);
  return isSigned ? wrapToBits(int64_t(v), bits) : int64_t(v);
}
/// The code of an integer value wrapped to `bits` bits.
inline uint32_t intToCode(int64_t v, unsigned bits) { return uint32_t(zeroExtendBits(v, bits)); }

} // namespace tessel::vm

#endif // TESSEL_VM_NUMERICS_H
