// The packed storage of sub-byte elements: a little-endian (LSB-first) bit stream, element
// i at bits [i*n, (i+1)*n) of the stream, crossing byte boundaries when n does not divide
// 8. Bit b of the stream is bit (b % 8) of byte b / 8.
#ifndef TESSEL_VM_BITPACK_H
#define TESSEL_VM_BITPACK_H

#include <cstddef>
#include <cstdint>

namespace tessel::vm {

/// Bytes needed to hold `count` elements of `bits` bits from bit 0.
inline size_t packedBytes(size_t count, unsigned bits) { return (count * bits + 7) / 8; }

/// Writes the low `bits` bits (1..8) of codes[0..count) into the stream `out` starting at
/// bit `bitOffset`. Bits of `out` outside [bitOffset, bitOffset + count*bits) are kept.
void packBits(const uint8_t *codes, size_t count, unsigned bits, uint8_t *out,
              size_t bitOffset = 0);

/// Reads `count` elements of `bits` bits (1..8) from the stream `in` starting at bit
/// `bitOffset` into codes[0..count), one per byte, zero-extended.
void unpackBits(const uint8_t *in, size_t bitOffset, size_t count, unsigned bits,
                uint8_t *codes);

/// The `bits` bits (1..8) of the stream starting at bit `bit`.
inline uint8_t readBitsAt(const uint8_t *in, size_t bit, unsigned bits) {
  unsigned shift = bit % 8;
  unsigned word = in[bit / 8];
  if (shift + bits > 8)
    word |= unsigned(in[bit / 8 + 1]) << 8;
  return uint8_t((word >> shift) & ((1u << bits) - 1));
}

/// Element `index` of a stream of `bits`-bit elements.
inline uint8_t readBits(const uint8_t *in, size_t index, unsigned bits) {
  return readBitsAt(in, index * bits, bits);
}

/// Overwrites the `bits` bits (1..8) of the stream starting at bit `bit` with `code`.
inline void writeBitsAt(uint8_t *out, size_t bit, unsigned bits, uint8_t code) {
  unsigned shift = bit % 8;
  unsigned mask = ((1u << bits) - 1) << shift;
  unsigned value = (unsigned(code) << shift) & mask;
  out[bit / 8] = uint8_t((out[bit / 8] & ~mask) | value);
  if (shift + bits > 8)
    out[bit / 8 + 1] = uint8_t((out[bit / 8 + 1] & ~(mask >> 8)) | (value >> 8));
}

} // namespace tessel::vm

#endif // TESSEL_VM_BITPACK_H
