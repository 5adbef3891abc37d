#include "cuda/CudaDriver.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include <dlfcn.h>

namespace tessel::cuda {

namespace {

constexpr const char *kDefaultLibrary = "libcuda.so.1";

template <typename Fn> bool resolveSymbol(void *handle, const char *symbol, Fn &out) {
  dlerror(); // clear
  void *address = dlsym(handle, symbol);
  if (!address)
    return false;
  out = reinterpret_cast<Fn>(address);
  return true;
}

// Errors of cuInit and friends that mean "there is no usable GPU here", as opposed to a
// bug in how we call the driver.
bool meansNoGpu(CUresult result) {
  switch (result) {
  case CUDA_ERROR_NO_DEVICE:
  case CUDA_ERROR_NOT_INITIALIZED:
  case CUDA_ERROR_DEINITIALIZED:
  case CUDA_ERROR_STUB_LIBRARY:
  case CUDA_ERROR_DEVICE_UNAVAILABLE:
  case CUDA_ERROR_CALL_REQUIRES_NEWER_DRIVER:
  case CUDA_ERROR_SYSTEM_NOT_READY:
  case CUDA_ERROR_SYSTEM_DRIVER_MISMATCH:
  case CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE:
    return true;
  default:
    return false;
  }
}

} // namespace

const std::vector<CudaDriver::EntryPoint> &CudaDriver::entryPoints() {
#define TESSEL_CUDA_LIST_ENTRY(member, api) {#member, TESSEL_CUDA_STRINGIFY_EXPANDED(api)},
  static const std::vector<EntryPoint> entries = {
      TESSEL_CUDA_DRIVER_ENTRY_POINTS(TESSEL_CUDA_LIST_ENTRY)};
#undef TESSEL_CUDA_LIST_ENTRY
  return entries;
}

absl::StatusOr<std::unique_ptr<CudaDriver>> CudaDriver::load(const std::string &library) {
  // RTLD_LOCAL: the driver's symbols stay out of the global namespace (a cuBLAS loaded
  // later finds the driver on its own). RTLD_NOW: a broken install fails here, not later.
  void *handle = dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char *why = dlerror();
    return absl::UnavailableError(absl::StrCat("no CUDA driver: ", library, " not found (",
                                               why ? why : "dlopen failed", ")"));
  }
  std::unique_ptr<CudaDriver> driver(new CudaDriver());
  driver->handle_ = handle;
  driver->library_ = library;
  std::vector<std::string> missing;
#define TESSEL_CUDA_RESOLVE_ENTRY(member, api)                                             \
  if (!resolveSymbol(handle, TESSEL_CUDA_STRINGIFY_EXPANDED(api), driver->member))         \
    missing.push_back(TESSEL_CUDA_STRINGIFY_EXPANDED(api));
  TESSEL_CUDA_DRIVER_ENTRY_POINTS(TESSEL_CUDA_RESOLVE_ENTRY)
#undef TESSEL_CUDA_RESOLVE_ENTRY
  // cuEventElapsedTime_v2 is new in CUDA 12.8; the original has the same signature and
  // the same behavior for two events of one stream.
  if (!driver->eventElapsedTime &&
      resolveSymbol(handle, "cuEventElapsedTime", driver->eventElapsedTime))
    missing.erase(std::remove(missing.begin(), missing.end(),
                              std::string(TESSEL_CUDA_STRINGIFY_EXPANDED(cuEventElapsedTime))),
                  missing.end());
  if (!missing.empty())
    return absl::UnavailableError(absl::StrCat(
        "no usable CUDA driver: ", library, " lacks ", absl::StrJoin(missing, ", "),
        " (Tessel needs a driver for CUDA 12.0 or newer)"));
  return driver;
}

absl::Status CudaDriver::initialize() {
  CUresult result = init(0);
  if (result != CUDA_SUCCESS)
    return absl::UnavailableError(
        absl::StrCat("no usable CUDA driver: cuInit failed: ", errorText(result)));
  if (absl::Status s = check(driverGetVersion(&version_), "cuDriverGetVersion"); !s.ok())
    return s;
  return absl::OkStatus();
}

absl::StatusOr<const CudaDriver *> CudaDriver::get() {
  // Leaked on purpose: the driver stays loaded until the process exits, because objects
  // destroyed at exit (backends, buffers) still call into it.
  static const absl::StatusOr<std::unique_ptr<CudaDriver>> *instance = [] {
    const char *overridden = std::getenv("TESSEL_CUDA_DRIVER");
    std::string library = overridden && *overridden ? overridden : kDefaultLibrary;
    absl::StatusOr<std::unique_ptr<CudaDriver>> driver = load(library);
    if (driver.ok())
      if (absl::Status s = (*driver)->initialize(); !s.ok())
        driver = s;
    return new absl::StatusOr<std::unique_ptr<CudaDriver>>(std::move(driver));
  }();
  if (!instance->ok())
    return instance->status();
  return instance->value().get();
}

CudaDriver::~CudaDriver() {
  if (handle_)
    dlclose(handle_);
}

std::string CudaDriver::versionString() const {
  return absl::StrCat(version_ / 1000, ".", (version_ % 1000) / 10);
}

std::string CudaDriver::errorText(CUresult result) const {
  const char *name = nullptr;
  const char *text = nullptr;
  // Both calls leave the pointer alone (and return an error) for unknown codes.
  if (getErrorName == nullptr || getErrorName(result, &name) != CUDA_SUCCESS)
    name = nullptr;
  if (getErrorString == nullptr || getErrorString(result, &text) != CUDA_SUCCESS)
    text = nullptr;
  std::string out = absl::StrCat(name ? name : "CUDA error", " (", int(result), ")");
  if (text)
    absl::StrAppend(&out, ": ", text);
  return out;
}

absl::Status CudaDriver::check(CUresult result, std::string_view what) const {
  if (result == CUDA_SUCCESS)
    return absl::OkStatus();
  std::string message = absl::StrCat(std::string(what), ": ", errorText(result));
  if (result == CUDA_ERROR_OUT_OF_MEMORY)
    return absl::ResourceExhaustedError(message);
  if (meansNoGpu(result))
    return absl::UnavailableError(message);
  return absl::InternalError(message);
}

ScopedContext::ScopedContext(const CudaDriver &driver, CUcontext context) : driver_(driver) {
  status_ = driver.check(driver.ctxPushCurrent(context), "cuCtxPushCurrent");
}

ScopedContext::~ScopedContext() {
  if (status_.ok()) {
    CUcontext popped = nullptr;
    driver_.ctxPopCurrent(&popped);
  }
}

} // namespace tessel::cuda
