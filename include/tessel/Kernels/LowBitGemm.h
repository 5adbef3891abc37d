//===- LowBitGemm.h - the low-bit GEMM kernel template -----------*- C++ -*-===//
//
// y[M, N] = x[M, K] * dequant(w)^T with w an N x K weight of 1..8-bit codes (integer or
// float) in the mma_k128 order (runtime/src/vm/Repack.h), group scales along K (and
// offsets when asymmetric). One template serves decode (M = 1..16: one 16-row tile,
// split-K over the K chunks to fill the GPU) and larger M (bm-row tiles over a grid):
// weights are streamed once with wide loads in the order the mma B fragments want, cast
// to f16 with the fast paths of the PTX emitter, multiplied on tensor cores in f32, and
// scaled per group on the accumulator.
//
//===----------------------------------------------------------------------===//
#ifndef TESSEL_KERNELS_LOWBITGEMM_H
#define TESSEL_KERNELS_LOWBITGEMM_H

#include "dialects/TBVM/IR/TBVMOps.h"

#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace tessel::kernels {

struct LowBitGemmSpec {
  /// The weight codes' type (ui3, si4, !lowp.float<e2m3>, ...): 1..8 bits.
  mlir::Type weightType;
  /// Elements per scale along K: a multiple of 128, or 0 for one scale per output channel.
  int64_t groupSize = 128;
  /// False: per-group offsets m (w = s * q + m).
  bool symmetric = true;
  /// The template's choices (bm, warps, n_per_warp, k_step, split_k, stages).
  tbvm::ScheduleAttr schedule;
  /// Base name of the kernel and host function.
  std::string name = "lowbit_gemm";
};

/// Appends to `module` the kernel `<name>_kernel`, the kernel `<name>_zero` (zeroes y
/// before split-K or stream-K blocks add into it; not launched when every block has whole
/// tiles) and the host function `<name>`:
///   <name>(x: [M, K] f16, w: [K/128, N/8, 128 * bits] i8 (mma_k128 order),
///          s: [groups, N] f16 (, m: [groups, N] f16)) -> y: [M, N] f32
/// with groups = K / groupSize (1 when per channel). N must be a multiple of 8 and K of
/// 128 at run time. Errors are emitted at `loc`.
mlir::LogicalResult buildLowBitGemm(mlir::ModuleOp module, const LowBitGemmSpec &spec,
                                    mlir::Location loc);

/// The default schedule for a problem with M rows of `bits`-bit codes (float codes when
/// `floatCodes`, with offsets when `offsets`, scales per group of `group` along K, 0 per
/// channel): decode shapes get 8- or 16-row tiles and run-time split-K. `stages`, when
/// not negative, is the pipeline asked for (the other fields' defaults follow it).
tbvm::ScheduleAttr defaultLowBitGemmSchedule(mlir::MLIRContext *context, int64_t m,
                                             unsigned bits, bool floatCodes, bool offsets,
                                             int64_t group, int64_t stages);

} // namespace tessel::kernels

#endif
