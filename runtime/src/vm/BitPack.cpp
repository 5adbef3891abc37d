#include "vm/BitPack.h"

namespace tessel::vm {

// Both directions handle the unaligned head and the short tail one element at a time and
// the byte-aligned body 8 elements (exactly `bits` bytes) at a time.

void packBits(const uint8_t *codes, size_t count, unsigned bits, uint8_t *out,
              size_t bitOffset) {
  const uint64_t mask = (uint64_t(1) << bits) - 1;
  size_t i = 0, bit = bitOffset;
  for (; i < count && bit % 8 != 0; ++i, bit += bits)
    writeBitsAt(out, bit, bits, codes[i]);
  uint8_t *dst = out + bit / 8;
  for (; i + 8 <= count; i += 8, bit += 8 * bits) {
    uint64_t word = 0;
    for (unsigned j = 0; j < 8; ++j)
      word |= (uint64_t(codes[i + j]) & mask) << (j * bits);
    for (unsigned b = 0; b < bits; ++b)
      *dst++ = uint8_t(word >> (8 * b));
  }
  for (; i < count; ++i, bit += bits)
    writeBitsAt(out, bit, bits, codes[i]);
}

void unpackBits(const uint8_t *in, size_t bitOffset, size_t count, unsigned bits,
                uint8_t *codes) {
  const uint64_t mask = (uint64_t(1) << bits) - 1;
  size_t i = 0, bit = bitOffset;
  for (; i < count && bit % 8 != 0; ++i, bit += bits)
    codes[i] = readBitsAt(in, bit, bits);
  const uint8_t *src = in + bit / 8;
  for (; i + 8 <= count; i += 8, bit += 8 * bits) {
    uint64_t word = 0;
    for (unsigned b = 0; b < bits; ++b)
      word |= uint64_t(*src++) << (8 * b);
    for (unsigned j = 0; j < 8; ++j)
      codes[i + j] = uint8_t((word >> (j * bits)) & mask);
  }
  for (; i < count; ++i, bit += bits)
    codes[i] = readBitsAt(in, bit, bits);
}

} // namespace tessel::vm
