// cuBLAS, loaded at run time (dlopen of libcublas.so.13, .so.12 or .so), for the f16 GEMM
// that tessel-bench compares Tessel's kernels with. Never linked: the bench must start on
// machines where cuBLAS lives outside the loader's path, and report that clearly.
#ifndef TESSEL_BENCH_CUBLAS_H
#define TESSEL_BENCH_CUBLAS_H

#include <cublas_api.h>
#include <cuda.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace tessel::bench {

// Function-pointer types of the entry points, spelled out because cublasGemmEx is
// overloaded in C++ (cublas_api.h adds an inline wrapper); Cublas.cpp checks each against
// the header's prototype at compile time.
using CublasCreateFn = cublasStatus_t (*)(cublasHandle_t *);
using CublasDestroyFn = cublasStatus_t (*)(cublasHandle_t);
using CublasSetStreamFn = cublasStatus_t (*)(cublasHandle_t, cudaStream_t);
using CublasGetVersionFn = cublasStatus_t (*)(cublasHandle_t, int *);
using CublasGetStatusStringFn = const char *(*)(cublasStatus_t);
using CublasGemmExFn = cublasStatus_t (*)(cublasHandle_t, cublasOperation_t, cublasOperation_t,
                                          int, int, int, const void *, const void *,
                                          cudaDataType, int, const void *, cudaDataType, int,
                                          const void *, void *, cudaDataType, int,
                                          cublasComputeType_t, cublasGemmAlgo_t);

/// The arguments of one column-major cublasGemmEx call.
struct GemmCall {
  cublasOperation_t transa = CUBLAS_OP_N, transb = CUBLAS_OP_N;
  int m = 0, n = 0, k = 0;
  int lda = 0, ldb = 0, ldc = 0;
  bool aIsWeights = false; // which row-major operand is cuBLAS's A
};

/// How the row-major product C[M,N] = A[M,K] * W[N,K]^T maps onto column-major cuBLAS:
/// a row-major X[r,c] is the column-major X^T[c,r], so C^T[N,M] = W[N,K] * A^T[K,M], i.e.
/// cublasGemmEx(OP_T, OP_N, m=N, n=M, k=K, A:=W (ld K), B:=A (ld K), C (ld N)).
/// Pure, so the mapping is unit-tested without a GPU. Errors when a size exceeds int.
absl::StatusOr<GemmCall> rowMajorGemmCall(int64_t m, int64_t n, int64_t k);

class Cublas {
public:
  /// Loads cuBLAS from `path` when given, else $TESSEL_CUBLAS_LIBRARY, else the first of
  /// libcublas.so.13, libcublas.so.12, libcublas.so that the loader finds, else the same
  /// names under $CUDA_HOME/lib64 and /usr/local/cuda/lib64. Errors list what was tried.
  static absl::StatusOr<std::unique_ptr<Cublas>> load(const std::string &path = "");

  ~Cublas();
  Cublas(const Cublas &) = delete;
  Cublas &operator=(const Cublas &) = delete;

  /// Where it was loaded from.
  const std::string &library() const { return library_; }

  /// Creates the handle and binds it to `stream`. The CUDA context of `stream` must be
  /// current on the calling thread (cuBLAS uses the current context). Returns the version
  /// text, e.g. "13.0.0".
  absl::StatusOr<std::string> bind(CUstream stream);

  /// Enqueues C[M,N] = A[M,K] * W[N,K]^T, all f16 row-major, f32 accumulation
  /// (CUBLAS_COMPUTE_32F), on the bound stream.
  absl::Status gemmF16RowMajor(int64_t m, int64_t n, int64_t k, CUdeviceptr a, CUdeviceptr w,
                               CUdeviceptr c);

private:
  Cublas() = default;
  absl::Status check(cublasStatus_t status, const char *what) const;

  void *handle_ = nullptr; // dlopen handle; kept open for the life of the process
  std::string library_;
  cublasHandle_t blas_ = nullptr;
  CublasCreateFn create_ = nullptr;
  CublasDestroyFn destroy_ = nullptr;
  CublasSetStreamFn setStream_ = nullptr;
  CublasGetVersionFn getVersion_ = nullptr;
  CublasGetStatusStringFn getStatusString_ = nullptr;
  CublasGemmExFn gemmEx_ = nullptr;
};

} // namespace tessel::bench

#endif // TESSEL_BENCH_CUBLAS_H
