// Encoding real numbers into codes of a DType and decoding them back.
//
// A code is the type's bit pattern in the low bits of a uint32_t (a 3-bit type uses bits
// 0..2). Decoding is exact (every code of every supported type is a double). Encoding
// rounds to nearest, ties to even, exactly once.
//
// Special values (documented in docs/numerics.md):
// - NaN encodes to the format's canonical NaN (all-ones exponent and mantissa for IEEE and
//   f8E4M3FN, the -0 code for FNUZ formats). Formats without NaN and integers encode NaN
//   as +0, as PTX's cvt with .sat does for integers.
// - Overflow: in Overflow::kSaturate (the default, used for quantization) a finite value
//   beyond the largest finite value encodes to +-max finite, and +-inf encodes to +-inf
//   where the format has inf and to +-max finite otherwise. Overflow::kIeee is
//   IEEE/PTX cvt.rn behavior for arithmetic: overflow gives inf where the format has
//   inf, NaN where it has NaN only, and saturates otherwise. Integers always saturate.
#ifndef TESSEL_VM_CODEC_H
#define TESSEL_VM_CODEC_H

#include "vm/DType.h"

#include <cstdint>

namespace tessel::vm {

enum class Overflow : uint8_t { kSaturate, kIeee };

/// Value of `code` (only its low type.bits() bits are read). Integers: two's complement
/// for signed and signless types.
double decode(DType type, uint32_t code);

/// The code of `value` rounded to nearest-even in `type`.
uint32_t encode(DType type, double value, Overflow overflow = Overflow::kSaturate);

/// Round `value` to a finite value of `type` that is >= value (kUp) or <= value (kDown).
/// Saturates at +-max finite. Used to pick scales that are exactly representable in the
/// scale type without losing the coverage RTN needs.
enum class Direction : uint8_t { kUp, kDown };
double roundDirected(DType type, double value, Direction direction);

/// True when `code` is NaN (floats only; integers never are).
bool isNan(DType type, uint32_t code);
/// True when `code` is +-inf.
bool isInf(DType type, uint32_t code);

/// Number of distinct codes of a type with at most 16 bits (2^bits).
inline uint32_t codeCount(DType type) { return uint32_t(1) << type.bits(); }

} // namespace tessel::vm

#endif // TESSEL_VM_CODEC_H
