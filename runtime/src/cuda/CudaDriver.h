// The CUDA driver API, loaded at run time with dlopen("libcuda.so.1").
//
// Tessel never links libcuda (nor its link stub): the runtime and its tools must start on
// machines without a GPU, where they run on the CPU executor and report "no CUDA driver"
// only when asked for a GPU. Each entry point is resolved by the exact symbol that cuda.h
// maps its name to (cuMemAlloc -> cuMemAlloc_v2, cuCtxPushCurrent -> cuCtxPushCurrent_v2,
// ...): the symbol string is the stringified macro expansion of the name, and the
// function-pointer type is decltype of the cuda.h prototype, so names and signatures
// cannot drift from the header (CudaDriverTest checks both).
//
// The entry points need a driver for CUDA 12.0 or newer (cuEventElapsedTime_v2 is used
// when the driver has it, else cuEventElapsedTime, which has the same signature).
#ifndef TESSEL_CUDA_CUDADRIVER_H
#define TESSEL_CUDA_CUDADRIVER_H

#include <cuda.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

// Per-thread default-stream variants (_ptds/_ptsz) would change the resolved symbols;
// Tessel always passes its own stream, so it uses the legacy names.
#ifdef CUDA_API_PER_THREAD_DEFAULT_STREAM
#error "build the CUDA backend without CUDA_API_PER_THREAD_DEFAULT_STREAM"
#endif

namespace tessel::cuda {

#define TESSEL_CUDA_STRINGIFY_EXPANDED(x) TESSEL_CUDA_STRINGIFY(x)
#define TESSEL_CUDA_STRINGIFY(x) #x

// X(member, api): `member` holds cuda.h's `api` (macro-expanded to its versioned name).
#define TESSEL_CUDA_DRIVER_ENTRY_POINTS(X)                                                 \
  X(getErrorName, cuGetErrorName)                                                          \
  X(getErrorString, cuGetErrorString)                                                      \
  X(init, cuInit)                                                                          \
  X(driverGetVersion, cuDriverGetVersion)                                                  \
  X(deviceGetCount, cuDeviceGetCount)                                                      \
  X(deviceGet, cuDeviceGet)                                                                \
  X(deviceGetName, cuDeviceGetName)                                                        \
  X(deviceGetAttribute, cuDeviceGetAttribute)                                              \
  X(deviceTotalMem, cuDeviceTotalMem)                                                      \
  X(devicePrimaryCtxRetain, cuDevicePrimaryCtxRetain)                                      \
  X(devicePrimaryCtxRelease, cuDevicePrimaryCtxRelease)                                    \
  X(ctxPushCurrent, cuCtxPushCurrent)                                                      \
  X(ctxPopCurrent, cuCtxPopCurrent)                                                        \
  X(memAlloc, cuMemAlloc)                                                                  \
  X(memFree, cuMemFree)                                                                    \
  X(memsetD8Async, cuMemsetD8Async)                                                        \
  X(memcpyHtoDAsync, cuMemcpyHtoDAsync)                                                    \
  X(memcpyDtoHAsync, cuMemcpyDtoHAsync)                                                    \
  X(memcpyDtoDAsync, cuMemcpyDtoDAsync)                                                    \
  X(streamCreate, cuStreamCreate)                                                          \
  X(streamDestroy, cuStreamDestroy)                                                        \
  X(streamSynchronize, cuStreamSynchronize)                                                \
  X(eventCreate, cuEventCreate)                                                            \
  X(eventDestroy, cuEventDestroy)                                                          \
  X(eventRecord, cuEventRecord)                                                            \
  X(eventSynchronize, cuEventSynchronize)                                                  \
  X(eventElapsedTime, cuEventElapsedTime)                                                  \
  X(linkCreate, cuLinkCreate)                                                              \
  X(linkAddData, cuLinkAddData)                                                            \
  X(linkComplete, cuLinkComplete)                                                          \
  X(linkDestroy, cuLinkDestroy)                                                            \
  X(moduleLoadData, cuModuleLoadData)                                                      \
  X(moduleUnload, cuModuleUnload)                                                          \
  X(moduleGetFunction, cuModuleGetFunction)                                                \
  X(funcGetAttribute, cuFuncGetAttribute)                                                  \
  X(funcSetAttribute, cuFuncSetAttribute)                                                  \
  X(occupancyMaxActiveBlocksPerMultiprocessor, cuOccupancyMaxActiveBlocksPerMultiprocessor) \
  X(launchKernel, cuLaunchKernel)                                                          \
  X(launchKernelEx, cuLaunchKernelEx)

/// The driver's entry points. Obtain the process-wide instance with get().
class CudaDriver {
public:
#define TESSEL_CUDA_DECLARE_ENTRY(member, api) decltype(&::api) member = nullptr;
  TESSEL_CUDA_DRIVER_ENTRY_POINTS(TESSEL_CUDA_DECLARE_ENTRY)
#undef TESSEL_CUDA_DECLARE_ENTRY

  /// One entry point: the member's name and the symbol it is resolved from.
  struct EntryPoint {
    const char *member;
    const char *symbol;
  };
  /// Every entry point, in declaration order (for tests and diagnostics).
  static const std::vector<EntryPoint> &entryPoints();

  /// The process-wide driver: loaded, resolved and initialized (cuInit) on the first
  /// call, which is thread-safe; the outcome, success or error, is kept for the life of the
  /// process. The library is "libcuda.so.1", or $TESSEL_CUDA_DRIVER when set (a driver at
  /// a non-standard path, or a missing one to test the no-driver path). Errors:
  /// Unavailable "no CUDA driver: libcuda.so.1 not found (<dlerror>)", Unavailable
  /// naming a missing entry point (a driver older than CUDA 12), Unavailable with
  /// cuInit's error (no device, driver/kernel-module mismatch, the link stub).
  static absl::StatusOr<const CudaDriver *> get();

  /// Loads `library` and resolves the entry points, without calling cuInit. Each call
  /// opens its own handle (closed by the destructor). For tests; use get().
  static absl::StatusOr<std::unique_ptr<CudaDriver>> load(const std::string &library);

  /// cuInit(0) and cuDriverGetVersion. get() calls it once.
  absl::Status initialize();

  ~CudaDriver();
  CudaDriver(const CudaDriver &) = delete;
  CudaDriver &operator=(const CudaDriver &) = delete;

  /// The path or name it was loaded from.
  const std::string &library() const { return library_; }
  /// cuDriverGetVersion after initialize(): 1000 * major + 10 * minor (13000 = 13.0).
  int version() const { return version_; }
  /// "13.0".
  std::string versionString() const;

  /// "CUDA_ERROR_OUT_OF_MEMORY (2): out of memory".
  std::string errorText(CUresult result) const;
  /// OK for CUDA_SUCCESS, else a status "<what>: <errorText>" whose code reflects the
  /// error (ResourceExhausted for out of memory, Unavailable for no device, Internal
  /// otherwise).
  absl::Status check(CUresult result, std::string_view what) const;

private:
  CudaDriver() = default;

  void *handle_ = nullptr;
  std::string library_;
  int version_ = 0;
};

/// Makes a context current on the calling thread for the guard's lifetime and restores
/// the previous one after (cuCtxPushCurrent / cuCtxPopCurrent), so callers that use their
/// own contexts are not disturbed.
class ScopedContext {
public:
  ScopedContext(const CudaDriver &driver, CUcontext context);
  ~ScopedContext();
  ScopedContext(const ScopedContext &) = delete;
  ScopedContext &operator=(const ScopedContext &) = delete;
  /// Whether the push succeeded (it fails only when the context is gone or broken).
  absl::Status status() const { return status_; }

private:
  const CudaDriver &driver_;
  absl::Status status_;
};

} // namespace tessel::cuda

#endif // TESSEL_CUDA_CUDADRIVER_H
