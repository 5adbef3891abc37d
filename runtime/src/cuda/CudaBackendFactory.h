// Opening a CUDA device without depending on the CUDA headers: the runtime API uses these,
// and they exist in every build. In a runtime built without the CUDA toolkit's headers
// they report that ("built without CUDA headers") instead of failing to link.
#ifndef TESSEL_CUDA_CUDABACKENDFACTORY_H
#define TESSEL_CUDA_CUDABACKENDFACTORY_H

#include "vm/Backend.h"

#include "absl/status/statusor.h"

#include <memory>
#include <string>

namespace tessel::cuda {

/// Whether this runtime was built with the CUDA backend.
bool cudaBackendBuilt();

/// How many CUDA GPUs the driver sees. Errors: Unavailable "no CUDA driver: ..." when
/// libcuda cannot be loaded or initialized, or when the runtime was built without CUDA.
absl::StatusOr<int> cudaDeviceCount();

/// CudaBackend::create(ordinal, cacheDir) as a vm::Backend; see CudaBackend.h for the
/// errors. `cacheDir` "" uses KernelCache::defaultDirectory().
absl::StatusOr<std::unique_ptr<vm::Backend>> openCudaBackend(int ordinal,
                                                             const std::string &cacheDir);

} // namespace tessel::cuda

#endif // TESSEL_CUDA_CUDABACKENDFACTORY_H
