// The CUDA backend's compile path: PTX -> (kernel cache | driver JIT) -> loaded module.
// Part of CudaBackend (CudaBackend.h); split from CudaBackend.cpp for size.
#include "cuda/CudaBackend.h"

#include "cuda/Aot.h"

#include "absl/strings/str_cat.h"

#include <cstdio>
#include <cstdlib>

namespace tessel::cuda {

namespace {

// The JIT options that are part of the cache key (the defaults: -O4, no debug info).
constexpr const char *kJitOptions = "cuLink:defaults";
// Each JIT log buffer (error and info). Errors for a large kernel can be long.
constexpr unsigned kJitLogBytes = 1u << 16;
// Above this, a kernel must opt into more dynamic shared memory.
constexpr int64_t kDefaultSharedLimit = 48 * 1024;

void *optionValue(uintptr_t value) { return reinterpret_cast<void *>(value); }

} // namespace

absl::StatusOr<std::shared_ptr<LoadedKernel>>
CudaBackend::loadPtx(const std::string &ptx, const std::string &entry, int64_t sharedBytes,
                     int64_t threads, const std::vector<ParamKind> *expectedParams) {
  if (absl::Status s = usable(); !s.ok())
    return s;
  if (expectedParams) {
    absl::StatusOr<std::vector<PtxParam>> declared = parsePtxEntryParams(ptx, entry);
    if (!declared.ok())
      return declared.status();
    if (absl::Status s = checkPtxParams(entry, *declared, *expectedParams); !s.ok())
      return s;
  }
  KernelCacheKey key{ptx, jitArch_, info_.driverVersion, kJitOptions};
  if (std::optional<std::vector<uint8_t>> cached = cache_->lookup(key)) {
    absl::StatusOr<std::shared_ptr<LoadedKernel>> loaded =
        loadCubin(*cached, entry, sharedBytes, threads, "the kernel cache");
    if (loaded.ok()) {
      (*loaded)->fromCache_ = true;
      return loaded;
    }
    // The driver refused a cached cubin (damage the checksum cannot see, a driver
    // update that kept its version number): compile again and replace the entry.
  }
  // A cubin compiled ahead of time for this architecture (Aot.h); a driver older than
  // its ptxas refuses it, and then the JIT compiles as if there were none.
  if (std::optional<std::vector<uint8_t>> aot = cache_->lookup(aotCacheKey(ptx, jitArch_))) {
    absl::StatusOr<std::shared_ptr<LoadedKernel>> loaded =
        loadCubin(*aot, entry, sharedBytes, threads, "a cubin compiled ahead of time");
    if (loaded.ok()) {
      (*loaded)->fromCache_ = true;
      return loaded;
    }
  }
  absl::StatusOr<std::vector<uint8_t>> cubin = jit(ptx, entry);
  if (!cubin.ok())
    return cubin.status();
  cache_->store(key, cubin->data(), cubin->size());
  return loadCubin(*cubin, entry, sharedBytes, threads, "the driver's JIT");
}

absl::StatusOr<std::vector<uint8_t>> CudaBackend::jit(const std::string &ptx,
                                                      const std::string &entry) {
  ScopedContext scope(driver(), context());
  if (!scope.status().ok())
    return scope.status();
  std::vector<char> errorLog(kJitLogBytes, '\0'), infoLog(kJitLogBytes, '\0');
  std::vector<CUjit_option> options = {CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES,
                                       CU_JIT_INFO_LOG_BUFFER, CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES};
  // Option values are passed in pointer-sized slots; unsigned ints by value.
  std::vector<void *> values = {errorLog.data(), optionValue(kJitLogBytes), infoLog.data(),
                                optionValue(kJitLogBytes)};
  if (target_.archSpecific) {
    // sm_90a PTX compiles only for the sm_90a target; the default (the context's
    // compute_90) would refuse it.
    options.push_back(CU_JIT_TARGET);
    values.push_back(optionValue(uintptr_t(CU_TARGET_COMPUTE_90A)));
  }
  auto failure = [&](CUresult result, const char *step) {
    errorLog.back() = '\0';
    std::string log = errorLog.data();
    absl::Status s = check(result, absl::StrCat("JIT of kernel '", entry, "' for ", jitArch_,
                                                " failed in ", step));
    return absl::Status(s.code(), absl::StrCat(s.message(), log.empty() ? "" : "\n", log));
  };
  CUlinkState link = nullptr;
  CUresult result = driver().linkCreate(unsigned(options.size()), options.data(), values.data(), &link);
  if (result != CUDA_SUCCESS)
    return failure(result, "cuLinkCreate");
  // The PTX must be NUL-terminated and its size must count the NUL.
  result = driver().linkAddData(link, CU_JIT_INPUT_PTX, const_cast<char *>(ptx.c_str()),
                                ptx.size() + 1, entry.c_str(), 0, nullptr, nullptr);
  void *image = nullptr;
  size_t imageBytes = 0;
  if (result == CUDA_SUCCESS)
    result = driver().linkComplete(link, &image, &imageBytes);
  if (result != CUDA_SUCCESS) {
    absl::Status s = failure(result, "cuLinkAddData/cuLinkComplete");
    driver().linkDestroy(link);
    return s;
  }
  // The image belongs to the link state: copy it before destroying the state.
  const uint8_t *bytes = static_cast<const uint8_t *>(image);
  std::vector<uint8_t> cubin(bytes, bytes + imageBytes);
  driver().linkDestroy(link);
  return cubin;
}

absl::StatusOr<std::shared_ptr<LoadedKernel>>
CudaBackend::loadCubin(const std::vector<uint8_t> &cubin, const std::string &entry,
                       int64_t sharedBytes, int64_t threads, const char *origin) {
  ScopedContext scope(driver(), context());
  if (!scope.status().ok())
    return scope.status();
  std::shared_ptr<LoadedKernel> kernel(new LoadedKernel());
  kernel->context_ = context_;
  kernel->entry_ = entry;
  kernel->sharedBytes_ = sharedBytes;
  kernel->threads_ = threads;
  if (absl::Status s = check(driver().moduleLoadData(&kernel->module_, cubin.data()),
                             absl::StrCat("loading the cubin of '", entry, "' (cuModuleLoadData)"));
      !s.ok()) {
    kernel->module_ = nullptr;
    return s;
  }
  CUresult result = driver().moduleGetFunction(&kernel->function_, kernel->module_, entry.c_str());
  if (result == CUDA_ERROR_NOT_FOUND)
    return absl::InternalError(absl::StrCat("the PTX has no .entry ", entry));
  if (absl::Status s = check(result, "cuModuleGetFunction"); !s.ok())
    return s;
  int maxThreads = 0, staticShared = 0;
  for (auto [value, attribute] : {std::pair{&maxThreads, CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK},
                                  std::pair{&kernel->registers_, CU_FUNC_ATTRIBUTE_NUM_REGS},
                                  std::pair{&kernel->localBytes_, CU_FUNC_ATTRIBUTE_LOCAL_SIZE_BYTES},
                                  std::pair{&staticShared, CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES}})
    if (absl::Status s = check(driver().funcGetAttribute(value, attribute, kernel->function_),
                               "cuFuncGetAttribute");
        !s.ok())
      return s;
  if (const char *log = std::getenv("TESSEL_CUDA_LOG_KERNELS"); log && *log && *log != '0')
    std::fprintf(stderr,
                 "tessel: loaded %s from %s: %d registers, %d bytes of local memory, %d threads, %lld bytes of "
                 "shared memory\n",
                 entry.c_str(), origin, kernel->registers_, kernel->localBytes_, static_cast<int>(threads),
                 static_cast<long long>(staticShared + sharedBytes));
  if (threads > maxThreads)
    return absl::ResourceExhaustedError(absl::StrCat(
        "'", entry, "' uses ", kernel->registers_, " registers per thread, so a block may have at most ",
        maxThreads, " threads, but it needs ", threads));
  if (staticShared + sharedBytes > info_.maxSharedBytesPerBlock)
    return absl::ResourceExhaustedError(absl::StrCat(
        "'", entry, "' needs ", staticShared, " bytes of static and ", sharedBytes,
        " bytes of dynamic shared memory; the GPU allows ", info_.maxSharedBytesPerBlock,
        " per block"));
  if (sharedBytes > kDefaultSharedLimit)
    if (absl::Status s = check(driver().funcSetAttribute(kernel->function_,
                                                         CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                                                         int(sharedBytes)),
                               "allowing more than 48 KiB of dynamic shared memory (cuFuncSetAttribute)");
        !s.ok())
      return s;
  return kernel;
}

} // namespace tessel::cuda
