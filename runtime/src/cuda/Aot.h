// Kernels compiled ahead of time: the CUDA backend's PTX for a given GPU architecture,
// compiled by ptxas on a build machine (one without a GPU) into the on-disk kernel
// cache, where the backend looks when it has no JIT result of its own, so a GPU machine
// skips the driver JIT (seconds per large kernel). `tessel-run --precompile=sm_90`
// writes them; docs/cuda-runtime.md.
//
// Such a cubin is keyed by the PTX and the JIT architecture only (not the driver
// version): any driver that accepts the cubin runs it, and one that refuses it (older
// than the ptxas that made it) leaves the backend to JIT as if there were none.
#ifndef TESSEL_CUDA_AOT_H
#define TESSEL_CUDA_AOT_H

#include "cuda/KernelCache.h"
#include "cuda/PtxEmitter.h"
#include "vm/Program.h"

#include "absl/status/statusor.h"

#include <string>

namespace tessel::cuda {

/// What the CUDA backend compiles for a device: the PTX target and the JIT architecture
/// (the cache key's; sm_90a on 9.0, else the device's own sm_XY).
struct DeviceTarget {
  Target target;
  std::string jitArch;
};
/// The backend's choice for a device of architecture `device` ("sm_80", "sm_86",
/// "sm_89", "sm_90", ... as sm_<major><minor>), with the environment's knobs
/// (applyTargetEnvironment: $TESSEL_CUDA_MIN_BLOCKS, $TESSEL_CUDA_EXACT_CASTS).
absl::StatusOr<DeviceTarget> deviceTarget(const std::string &device);

/// The cache key of a cubin that ptxas compiled ahead of time for `jitArch`.
KernelCacheKey aotCacheKey(const std::string &ptx, const std::string &jitArch);

/// Compiles every kernel of `program` as the backend emits it for `device` with `ptxas`
/// (a path or a name looked up in PATH) and stores the cubins in `cache`; for a kernel
/// that spills registers, also the variants the backend then tries (spillVariants, up to
/// the first that does not spill). Returns how many of each; errors name the kernel and
/// carry
/// ptxas's messages.
struct Precompiled {
  int kernels = 0;
  int variants = 0; // other variants of kernels that spill (spillVariants), compiled too
};
absl::StatusOr<Precompiled> precompileKernels(const vm::Program &program, const DeviceTarget &device,
                                      const std::string &ptxas, KernelCache &cache);

} // namespace tessel::cuda

#endif // TESSEL_CUDA_AOT_H
