// Pre-shuffled ("repacked") orders of quantized weights, in which each thread of a kernel
// finds the codes of its mma fragments contiguous, so one wide load fetches them.
// Shared by the compiler (lowp-repack-for-kernel, the kernel templates) and the runtime's
// tools and tests.
#ifndef TESSEL_VM_REPACK_H
#define TESSEL_VM_REPACK_H

#include <cstddef>
#include <cstdint>

namespace tessel::vm {

/// The order "mma_k128" of an N x K weight of `bits`-bit codes (N multiple of 8, K of
/// 128): bytes [K/128][N/8][32 lanes][4 * bits]. Lane l of the (k-chunk kc, n-tile nt)
/// holds 32 codes, code c = 4j + f at bits [c*bits, (c+1)*bits) of its 4*bits bytes,
/// with j the k-tile (0..7) and f the mma.m16n8k16 B-fragment register slot (b0..b3):
///   k = 128 kc + 16 j + 2 (l % 4) + (f % 2) + 8 (f / 2),   n = 8 nt + l / 4.
/// 1-, 2- and 4-bit codes are interleaved within each 32-bit word of P = 32 / bits codes:
/// code c = P w + r (r = 2i + e, the element e of the i-th f16 pair of the fragment) sits
/// at place P w + i + (P / 2) e, so the two codes of every pair are 16 bits apart and a
/// cast masks both with one lop3 (the kernel views the bytes in this order and casts into
/// the fragment's). Other widths keep c.
/// A warp's load of a (kc, nt) unit is 128 * bits contiguous bytes.
size_t mmaK128Bytes(int64_t n, int64_t k, unsigned bits);

/// Position of code (n, k) in the order: its bit offset from the start.
uint64_t mmaK128BitOffset(int64_t n, int64_t k, int64_t numN, unsigned bits);

/// Repacks `codes` (n x k, row-major, one code per byte) into `out` (mmaK128Bytes bytes).
void repackMmaK128(const uint8_t *codes, int64_t n, int64_t k, unsigned bits, uint8_t *out);

} // namespace tessel::vm

#endif // TESSEL_VM_REPACK_H
