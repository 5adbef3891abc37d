// Tessel's own kernels as tessel-bench cases. A manifest names compiled low-bit GEMM
// modules (from tessel-opt's tessel-generate-lowbit-gemm, translated to .tslm):
//
//   # label          type  group  m-min  m-max  module (relative to the manifest)
//   w4a16-si4-g128   si4   128    1      16     lowbit_si4_decode.tslm
//
// Each module's host function is `main(x[M,K] f16, w[K/128, N/8, 128*bits] i8 (the
// mma_k128 order, vm/Repack.h), s[K/group, N] f16 [, m[K/group, N] f16]) -> y[M,N] f32`,
// y = x * (s * decode(w) + m)^T. The bench runs the host function once on a dry-run
// backend that allocates nothing and records the launches (so the grid, split-K and
// arguments are exactly what the runtime would use), then times the replay of those
// launches on the GPU, each run preceded by the zero-fill of the outputs that the
// host function's alloc_global does (none for those it allocates uninitialized). Before timing, one run is checked on the host at a
// few output elements against an fp64 evaluation of the definition.
#ifndef TESSEL_BENCH_MODULECASE_H
#define TESSEL_BENCH_MODULECASE_H

#include "Cases.h"

#include "vm/Backend.h"
#include "vm/DType.h"

#include "absl/status/statusor.h"

#include <memory>
#include <string>
#include <vector>

namespace tessel::bench {

struct LowBitGemmModule {
  std::string label;   // "w4a16-si4-g128"
  vm::DType codeType;  // the weight codes
  int64_t group = 128; // 0 = one group over all of K (per channel)
  int64_t minRows = 1, maxRows = 1 << 30;
  std::string path;    // the .tslm file
};

/// Reads a manifest (format above). Errors name the file and line.
absl::StatusOr<std::vector<LowBitGemmModule>> readManifest(const std::string &path);

/// The case "tessel-<label>" at `shape` (needs N % 8 == 0, K % 128 == 0, K % group == 0).
/// Its inputs are filled by context->random (set before setup runs). Moves the packed weights, scales (and offsets), x and y.
BenchCase makeLowBitGemmCase(const LowBitGemmModule &module, const GemmShape &shape,
                             std::shared_ptr<GemmContext> context);

/// Runs the module at `shape` on `backend` (the CPU executor, the PTX simulator) with the
/// inputs the GPU case would get (DeviceRandom's values) and checks y as the GPU case
/// does, so the bench's input generation and check are tested without a GPU.
absl::Status checkOnExecutor(const LowBitGemmModule &module, const GemmShape &shape,
                             vm::Backend &backend);

} // namespace tessel::bench

#endif // TESSEL_BENCH_MODULECASE_H
