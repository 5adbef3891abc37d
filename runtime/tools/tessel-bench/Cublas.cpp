#include "Cublas.h"

#include "absl/strings/str_cat.h"

#include <climits>
#include <cstdlib>
#include <type_traits>

#include <dlfcn.h>

namespace tessel::bench {

// The spelled-out types must be exactly the header's prototypes. For the overloaded
// cublasGemmEx, the static_cast selects the overload with this exact type or fails to
// compile (unevaluated: no reference to the symbol is emitted).
static_assert(std::is_same_v<CublasCreateFn, decltype(&::cublasCreate_v2)>);
static_assert(std::is_same_v<CublasDestroyFn, decltype(&::cublasDestroy_v2)>);
static_assert(std::is_same_v<CublasSetStreamFn, decltype(&::cublasSetStream_v2)>);
static_assert(std::is_same_v<CublasGetVersionFn, decltype(&::cublasGetVersion_v2)>);
static_assert(std::is_same_v<CublasGetStatusStringFn, decltype(&::cublasGetStatusString)>);
static_assert(std::is_same_v<CublasGemmExFn,
                             decltype(static_cast<CublasGemmExFn>(&::cublasGemmEx))>);
// cudaStream_t and CUstream name the same struct, so the backend's stream can be passed.
static_assert(std::is_same_v<cudaStream_t, CUstream>);

absl::StatusOr<GemmCall> rowMajorGemmCall(int64_t m, int64_t n, int64_t k) {
  if (m <= 0 || n <= 0 || k <= 0 || m > INT_MAX || n > INT_MAX || k > INT_MAX)
    return absl::InvalidArgumentError(
        absl::StrCat("GEMM M=", m, " N=", n, " K=", k, ": sizes must be in 1..2^31-1"));
  GemmCall call;
  call.transa = CUBLAS_OP_T; // cuBLAS's A is W: column-major K x N (W^T), transposed
  call.transb = CUBLAS_OP_N; // cuBLAS's B is A: column-major K x M (A^T)
  call.m = int(n);
  call.n = int(m);
  call.k = int(k);
  call.lda = int(k);
  call.ldb = int(k);
  call.ldc = int(n); // C^T[N,M] column-major = C[M,N] row-major
  call.aIsWeights = true;
  return call;
}

absl::StatusOr<std::unique_ptr<Cublas>> Cublas::load(const std::string &path) {
  std::vector<std::string> candidates;
  if (!path.empty()) {
    candidates.push_back(path);
  } else if (const char *env = std::getenv("TESSEL_CUBLAS_LIBRARY"); env && *env) {
    candidates.push_back(env);
  } else {
    const char *names[] = {"libcublas.so.13", "libcublas.so.12", "libcublas.so"};
    for (const char *name : names)
      candidates.push_back(name);
    std::vector<std::string> dirs;
    if (const char *home = std::getenv("CUDA_HOME"); home && *home)
      dirs.push_back(absl::StrCat(home, "/lib64"));
    dirs.push_back("/usr/local/cuda/lib64");
    for (const std::string &dir : dirs)
      for (const char *name : names)
        candidates.push_back(absl::StrCat(dir, "/", name));
  }
  std::string tried;
  for (const std::string &candidate : candidates) {
    void *handle = dlopen(candidate.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      const char *why = dlerror();
      absl::StrAppend(&tried, "\n  ", candidate, ": ", why ? why : "not loadable");
      continue;
    }
    std::unique_ptr<Cublas> blas(new Cublas());
    blas->handle_ = handle;
    blas->library_ = candidate;
    struct {
      const char *symbol;
      void **slot;
    } entries[] = {
        {"cublasCreate_v2", reinterpret_cast<void **>(&blas->create_)},
        {"cublasDestroy_v2", reinterpret_cast<void **>(&blas->destroy_)},
        {"cublasSetStream_v2", reinterpret_cast<void **>(&blas->setStream_)},
        {"cublasGetVersion_v2", reinterpret_cast<void **>(&blas->getVersion_)},
        {"cublasGetStatusString", reinterpret_cast<void **>(&blas->getStatusString_)},
        {"cublasGemmEx", reinterpret_cast<void **>(&blas->gemmEx_)},
    };
    std::string missing;
    for (const auto &entry : entries) {
      *entry.slot = dlsym(handle, entry.symbol);
      if (!*entry.slot)
        absl::StrAppend(&missing, missing.empty() ? "" : ", ", entry.symbol);
    }
    if (!missing.empty()) {
      absl::StrAppend(&tried, "\n  ", candidate, ": lacks ", missing);
      blas->handle_ = nullptr;
      dlclose(handle);
      continue;
    }
    return blas;
  }
  return absl::NotFoundError(absl::StrCat(
      "cannot load cuBLAS (pass --cublas-library=PATH or set TESSEL_CUBLAS_LIBRARY); tried:",
      tried));
}

Cublas::~Cublas() {
  if (blas_)
    destroy_(blas_);
  // The library stays loaded: its own exit-time destructors expect to run last.
}

absl::Status Cublas::check(cublasStatus_t status, const char *what) const {
  if (status == CUBLAS_STATUS_SUCCESS)
    return absl::OkStatus();
  const char *text = getStatusString_ ? getStatusString_(status) : nullptr;
  return absl::InternalError(absl::StrCat(what, " failed: ", text ? text : "cuBLAS error",
                                          " (", int(status), ")"));
}

absl::StatusOr<std::string> Cublas::bind(CUstream stream) {
  if (!blas_)
    if (absl::Status s = check(create_(&blas_), "cublasCreate_v2"); !s.ok()) {
      blas_ = nullptr;
      return s;
    }
  if (absl::Status s = check(setStream_(blas_, stream), "cublasSetStream_v2"); !s.ok())
    return s;
  int version = 0;
  if (absl::Status s = check(getVersion_(blas_, &version), "cublasGetVersion_v2"); !s.ok())
    return s;
  // cuBLAS 12+: major * 10000 + minor * 100 + patch.
  return absl::StrCat(version / 10000, ".", (version / 100) % 100, ".", version % 100);
}

absl::Status Cublas::gemmF16RowMajor(int64_t m, int64_t n, int64_t k, CUdeviceptr a,
                                     CUdeviceptr w, CUdeviceptr c) {
  if (!blas_)
    return absl::FailedPreconditionError("cuBLAS is not bound to a stream (call bind)");
  absl::StatusOr<GemmCall> call = rowMajorGemmCall(m, n, k);
  if (!call.ok())
    return call.status();
  const float alpha = 1.0f, beta = 0.0f; // host scalars of the compute type (f32)
  const void *first = reinterpret_cast<const void *>(call->aIsWeights ? w : a);
  const void *second = reinterpret_cast<const void *>(call->aIsWeights ? a : w);
  return check(gemmEx_(blas_, call->transa, call->transb, call->m, call->n, call->k, &alpha,
                       first, CUDA_R_16F, call->lda, second, CUDA_R_16F, call->ldb, &beta,
                       reinterpret_cast<void *>(c), CUDA_R_16F, call->ldc, CUBLAS_COMPUTE_32F,
                       CUBLAS_GEMM_DEFAULT),
               "cublasGemmEx");
}

} // namespace tessel::bench
