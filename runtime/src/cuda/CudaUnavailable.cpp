// The CUDA backend factory of a runtime built without the CUDA toolkit's headers
// (CMake found no CUDAToolkit): every request for a GPU says so.
#include "cuda/CudaBackendFactory.h"

namespace tessel::cuda {

namespace {
absl::Status builtWithoutCuda() {
  return absl::UnavailableError(
      "no CUDA support: this Tessel runtime was built without CUDA headers (install the "
      "CUDA toolkit on the build machine and reconfigure)");
}
} // namespace

bool cudaBackendBuilt() { return false; }

absl::StatusOr<int> cudaDeviceCount() { return builtWithoutCuda(); }

absl::StatusOr<std::unique_ptr<vm::Backend>> openCudaBackend(int, const std::string &) {
  return builtWithoutCuda();
}

} // namespace tessel::cuda
