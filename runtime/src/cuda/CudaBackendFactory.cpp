#include "cuda/CudaBackendFactory.h"

#include "cuda/CudaBackend.h"

namespace tessel::cuda {

bool cudaBackendBuilt() { return true; }

absl::StatusOr<int> cudaDeviceCount() {
  absl::StatusOr<const CudaDriver *> driver = CudaDriver::get();
  if (!driver.ok())
    return driver.status();
  int count = 0;
  if (absl::Status s = (*driver)->check((*driver)->deviceGetCount(&count), "cuDeviceGetCount");
      !s.ok())
    return s;
  return count;
}

absl::StatusOr<std::unique_ptr<vm::Backend>> openCudaBackend(int ordinal,
                                                             const std::string &cacheDir) {
  absl::StatusOr<std::unique_ptr<CudaBackend>> backend = CudaBackend::create(ordinal, cacheDir);
  if (!backend.ok())
    return backend.status();
  return std::unique_ptr<vm::Backend>(std::move(*backend));
}

} // namespace tessel::cuda
