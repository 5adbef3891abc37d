// A simulator of the structured PTX the emitter produces (Ptx.h), so the GPU code path is
// tested on machines without a GPU: every block of the grid runs its threads in lockstep
// (the emitter only branches on block-uniform values), warp instructions (shfl, ldmatrix,
// mma) see their whole warp, and every global access is checked against the buffers the
// launch passed.
//
// Floating point follows PTX: .rn operations round once (f16/bf16 through exact f32 or
// double arithmetic), fma is fused, .approx functions use the C library (within their PTX
// error bounds), mma accumulates exact products in f32.
#ifndef TESSEL_CUDA_PTXSIMULATOR_H
#define TESSEL_CUDA_PTXSIMULATOR_H

#include "cuda/Ptx.h"

#include "absl/status/status.h"

#include <cstdint>
#include <vector>

namespace tessel::cuda {

struct SimRange {
  uint64_t begin, end; // host addresses [begin, end)
  bool writable;
};

struct SimLaunch {
  const ptx::Kernel *kernel = nullptr;
  /// Parameter values in the kernel's parameter order (their bits, zero-extended).
  std::vector<uint64_t> params;
  int64_t grid[3] = {1, 1, 1};
  int64_t sharedBytes = 0;
  /// The global memory the kernel may touch; anything else is an error.
  std::vector<SimRange> memory;
};

/// Runs the kernel over the whole grid; the first fault (an access outside `memory` or
/// the shared memory, a divergent branch, an unsupported instruction) is the status.
absl::Status simulate(const SimLaunch &launch);

} // namespace tessel::cuda

#endif // TESSEL_CUDA_PTXSIMULATOR_H
