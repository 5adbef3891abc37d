#include "vm/Repack.h"

#include "vm/BitPack.h"

#include <cstring>

namespace tessel::vm {

size_t mmaK128Bytes(int64_t n, int64_t k, unsigned bits) {
  return size_t(n) * size_t(k) * bits / 8;
}

uint64_t mmaK128BitOffset(int64_t n, int64_t k, int64_t numN, unsigned bits) {
  int64_t kc = k / 128, kr = k % 128, nt = n / 8, nr = n % 8;
  int64_t j = kr / 16, kk = kr % 16; // k-tile and position inside it
  int64_t half = kk / 8, inHalf = kk % 8;
  int64_t q = inHalf / 2, f = half * 2 + inHalf % 2;
  int64_t lane = nr * 4 + q;
  int64_t unit = kc * (numN / 8) + nt; // (kc, nt) units, kc major
  uint64_t unitBits = 128ull * 8 * bits;
  uint64_t laneBits = 32ull * bits;
  int64_t c = 4 * j + f; // the code's place in the lane's run
  if (bits == 1 || bits == 2 || bits == 4) {
    // Each 32-bit word's 32 / bits codes interleaved: f16 pair (2i, 2i + 1) at codes i and
    // i + 16 / bits, i.e. 16 bits apart, so one lop3 masks both (see Repack.h).
    int64_t half = 16 / bits, r = c % (2 * half);
    c += half * (r % 2) + r / 2 - r;
  }
  return uint64_t(unit) * unitBits + uint64_t(lane) * laneBits + uint64_t(c) * bits;
}

void repackMmaK128(const uint8_t *codes, int64_t n, int64_t k, unsigned bits, uint8_t *out) {
  std::memset(out, 0, mmaK128Bytes(n, k, bits));
  for (int64_t r = 0; r < n; ++r)
    for (int64_t c = 0; c < k; ++c)
      writeBitsAt(out, size_t(mmaK128BitOffset(r, c, n, bits)), bits, codes[r * k + c]);
}

} // namespace tessel::vm
