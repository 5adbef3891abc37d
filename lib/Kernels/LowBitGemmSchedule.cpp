//===- LowBitGemmSchedule.cpp - the low-bit GEMM template's default schedules -===//
//
// Which #tbvm.schedule the template gets when the caller names none: the choices
// measured on GPUs (docs/perf.md) and the register limits ptxas was checked against
// (test/Kernels/lowbit-gemm-sass.test, lowbit-gemm-bench.test). The template itself
// (LowBitGemm.cpp) reads only the attribute.
//
//===----------------------------------------------------------------------===//

#include "tessel/Kernels/LowBitGemm.h"

#include <algorithm>

using namespace mlir;
using namespace tessel;
using namespace tessel::tbvm;

ScheduleAttr tessel::kernels::defaultLowBitGemmSchedule(MLIRContext *context, int64_t m,
                                                        unsigned bits, bool floatCodes,
                                                        bool offsets, int64_t group,
                                                        int64_t stages) {
  const bool perChannel = group == 0;
  // Decode: one 16-row tile, 4 warps of 4 n-tiles (a 128-column block), 128 of K per
  // step (256 for some codes up to 8 rows, below), the register pipeline (stages = 1),
  // split-K chosen at run time. Measured on an
  // H200 (docs/perf.md) against k_step 128/256/512, n_per_warp 1/2/4 and 3..6 shared
  // stages: fastest or within 5% at N x K = 57344 x 8192 and 8192 x 8192, with at most
  // 128 registers and no spills for 1..7 bits. (The shared pipeline was 1.4x slower then;
  // since its scales come through shared memory it is within -4..+8% of this one, 2026-11-27.)
  // min_blocks = 3 (at most 170 registers) makes ptxas economize registers again: left
  // alone it spends ~150-200 on the shorter loop; with 3 it keeps 115-140 for 1..7 bits
  // (si4: 118, so 4 blocks of 128 threads fit, the occupancy that was measured) without
  // spills on sm_80..sm_90, where 4 spills. (On an H200, 2026-11-27, without min_blocks
  // or with 3 at 8 rows the decode was 0-55% slower.)
  // Up to 8 rows (bm = 8): the same, transposed on the tensor cores (the weights as the
  // mma's A operand): no 16-row padding, so half the mmas, accumulators, scale fmas and
  // activation copy; 9-16% fewer SASS instructions per K step for every width (si4 416
  // -> 348) and fewer registers; on an H200 (2026-11-27) 3-27% faster than bm = 16 at
  // M = 1.
  // min_blocks at 8 rows keeps 4 blocks of 128 threads per SM (<= 128 registers): 4,
  // where ptxas then holds its registers under 128 without spills (with 3 it takes 132-160
  // for 6- and 8-bit and float codes of 4 bits and more, and for the others 0-3% fewer
  // instructions, si4 322 -> 315), but 3 for 5- and 7-bit codes and 8-bit ones with
  // offsets, which 4 spills on sm_80 or sm_90 (so 7- and 8-bit unsigned codes get 3
  // blocks per SM). ptxas 13.0; lowbit-gemm-sass.test keeps the registers on sm_90,
  // lowbit-gemm-bench.test the spills on sm_80, sm_86 and sm_90a.
  // Measured on an H200 (2026-11-27, docs/perf.md, the bundle's variants at 8192 x 8192
  // and 57344 x 8192): split-K sized to the device (target_blocks = 0) is 1-19% faster
  // than about 256 blocks in 15 of the 18 cases (si4 at 57344 x 8192 is 6% slower: six
  // rounds of 7 splits restart its pipeline; ui4 there and si8 at 8192 x 8192 ~1%). 4-bit
  // codes with offsets, which keep their scales in registers in the register pipeline
  // (see build), take the shared pipeline (3 stages): 84 vs 111 us at 57344 x 8192,
  // 21.3 vs 24.0 at 8192 x 8192 with 6 blocks per SM, which spills a register on sm_86
  // and sm_89 (ptxas 13.0); 5 blocks per SM (84-94 registers) spill nowhere. (Not with
  // per-channel scales, which the register pipeline applies once after the loop, nor
  // when the register pipeline is asked for.)
  // Most codes take 256 of K per step in the register pipeline with shared memory
  // (stages = 1) when their groups divide it (or per channel; 2026-11-27, tenth session,
  // SASS only, not yet timed): each iteration's copies, loads, bounds and loop control
  // then serve 512 of K. SASS per 128 of K on sm_90 / sm_86 / sm_80 (the variant the
  // backend keeps; both k_steps with the same emitter, so some k_step 128 figures differ
  // from lowbit-gemm-sass.test's history), k_step 128 -> 256: ui1 274 -> 231, ui2
  // 284.5 -> 255.5, si2 243.5 ->
  // 223.5 / 251.5 -> 217.5 / 234.5 -> 222, si3 297.5 -> 279.5 / 314 -> 304 / 293.5 -> 280,
  // si4 226.5 -> 206 / 235.5 -> 242.5 (exact casts: its folded kernel spills there) /
  // 219.5 -> 204, FP4 (e2m1; the other small floats of 4 bits alike, untested) 367.5 ->
  // 339.5 / 369.5 -> 346 / 362 -> 338 (per channel too: si4
  // 202.5 -> 186), at 128 registers or fewer without spills (the next chunk's weights
  // load sub-chunk by sub-chunk: LowBitGemm.cpp). The rest stay at 128: 5- and 7-bit
  // codes take 9-12% fewer instructions at 256 (si5 348.5 -> 316.5, si7 362.5 -> 319.5)
  // but 168 registers, 3 blocks per SM instead of 4; 6- and 8-bit codes and FP6 spill or
  // take more (si6 324.5 -> 332, si8 243 -> 259.5, FP6 487 -> 529.5); 3- and 4-bit codes
  // with offsets spill (ui3 on sm_80, 344.5 -> 376; the 4-bit ones default to the shared
  // pipeline). Groups that do not divide 256 spill there (384: 8-24 bytes).
  if (m <= 8) {
    if (offsets && bits == 4 && !perChannel && (stages < 0 || stages >= 2))
      return ScheduleAttr::get(context, 8, 4, 4, 128, 0, 3, 5, 1, 0, 0, 0);
    bool spills = bits == 7 || bits == 5 || (offsets && bits == 8);
    bool wide = floatCodes ? bits == 4 : bits <= 2 || ((bits == 3 || bits == 4) && !offsets);
    int64_t kStep = wide && 256 % std::max<int64_t>(group, 1) == 0 && (stages < 0 || stages == 1) ? 256 : 128;
    return ScheduleAttr::get(context, 8, 4, 4, kStep, 0, 1, spills ? 3 : 4, 1, 0, 0, 0);
  }
  if (m <= 16)
    return ScheduleAttr::get(context, 16, 4, 4, 128, 0, 1, 3, 1, 256, 0, 0);
  // Larger M: 64 x 128 block tiles, each of the 4 warps 64 x 32 (4 x 4 mma tiles, so a
  // decoded weight fragment feeds 4 mmas and an A fragment 4), a 3-stage cp.async ring
  // of activations and weights, 32-wide K slices. min_blocks = 2 lets ptxas use up to
  // 255 registers (it keeps 240-255, no spills) while 2 blocks fit an SM. SASS on sm_90:
  // 4.5-5.2 instructions per HMMA for 1, 2, 4, 8 bits, 5.6-7.7 for 3, 5, 6, 7 (their
  // 32-wide slices need funnel shifts); the previous schedule (bm 32, all warps on all
  // rows, register pipeline) took 12.5 for 4 bits. On an H200 (2026-11-27): 1.05-1.15x
  // cuBLAS at M = 64 on 57344 x 8192, 0.4-0.7x at M = 128 and 4096.
  return ScheduleAttr::get(context, 64, 4, 4, 128, 0, 3, 2, 1, 256, 0, 0);
}
