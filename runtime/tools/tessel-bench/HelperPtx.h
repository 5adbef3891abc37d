// The benchmark's hand-written helper kernels as PTX text (HelperPtx.cpp).
#ifndef TESSEL_BENCH_HELPER_PTX_H
#define TESSEL_BENCH_HELPER_PTX_H

namespace tessel::bench {

/// tessel_bench_fill_f16(out, count, seed): the random f16 fill (DeviceRandom).
extern const char kFillF16Ptx[];
/// tessel_bench_l2_evict(buffer, vectors, sink): reads `vectors` 16-byte vectors of
/// `buffer` through the L2, leaving it full of clean lines (L2Flusher, clean mode).
extern const char kL2EvictPtx[];

} // namespace tessel::bench

#endif // TESSEL_BENCH_HELPER_PTX_H
