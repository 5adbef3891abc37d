// What tessel-bench measures. A case is a callable that enqueues work on the backend's
// stream, plus the bytes that work must move; the harness (Harness.h) times it. The cases
// that need no compiler are here: the device-to-device copy (the bandwidth reference) and
// cuBLAS f16 GEMMs (the speed reference). Tessel's own kernels, from compiled modules,
// become cases the same way: setup() loads the module and binds buffers, run() calls
// CudaBackend::launchAsync.
#ifndef TESSEL_BENCH_CASES_H
#define TESSEL_BENCH_CASES_H

#include "Cublas.h"
#include "cuda/CudaBackend.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tessel::bench {

/// C[M,N] = A[M,K] * W[N,K]^T.
struct GemmShape {
  int64_t m = 0, n = 0, k = 0;
  /// "M=16 N=4096 K=4096".
  std::string str() const;
  friend bool operator<(const GemmShape &a, const GemmShape &b) {
    return std::tie(a.m, a.n, a.k) < std::tie(b.m, b.n, b.k);
  }
};

/// The default shapes: M in {1, 16, 64, 128, 4096} times (N, K) in {4096x4096,
/// 11008x4096, 4096x11008, 8192x8192, 28672x8192, 57344x8192} (LLaMA-class projections).
std::vector<int64_t> defaultGemmRows();
std::vector<std::pair<int64_t, int64_t>> defaultGemmColumns();

struct BenchCase {
  std::string name;  // "copy", "cublas-f16", later "tessel-w4a16-g128", ...
  std::string shape; // "M=16 N=4096 K=4096"
  /// Bytes that must move between DRAM and the chip (see ResultRow::bytesMoved).
  uint64_t bytesMoved = 0;
  /// 2*M*N*K for GEMMs; 0 when not meaningful.
  double flops = 0;
  /// When set, cuBLAS's f16 GEMM at this shape is reported beside the case.
  std::optional<GemmShape> compareWithCublas;
  /// This case *is* the cuBLAS reference at compareWithCublas (its time is reused).
  bool isCublasReference = false;
  /// This case is the copy whose bandwidth is the "% of copy" reference.
  bool isCopyReference = false;

  /// Allocates and initializes what run() needs (not timed).
  std::function<absl::Status(cuda::CudaBackend &)> setup;
  /// Enqueues one run on the backend's stream. Timed; must not synchronize.
  std::function<absl::Status()> run;
  /// What run() will launch, for --list (optional; needs no GPU).
  std::function<absl::StatusOr<std::string>()> plan;
  /// Releases what setup() made (optional).
  std::function<void()> teardown;
};

/// Pseudo-random f16 values in [-1, 1) written on the GPU by a small hand-written PTX
/// kernel (data-dependent clocks make all-zero inputs unrepresentatively fast). The
/// value of element i for `seed` is expectedF16(i, seed), so a host can check the output.
class DeviceRandom {
public:
  /// The kernel's PTX (sm_80, forward compatible) and entry name.
  static const char *ptx();
  static const char *entry();
  /// The f16 bits the kernel writes at `index` (index < 2^32).
  static uint16_t expectedF16(uint64_t index, uint32_t seed);

  static absl::StatusOr<std::shared_ptr<DeviceRandom>> create(cuda::CudaBackend &backend);
  /// Enqueues the fill of `count` f16 elements at `address`.
  absl::Status fillF16(vm::DeviceAddress address, uint64_t count, uint32_t seed);

private:
  cuda::CudaBackend *backend_ = nullptr;
  std::shared_ptr<cuda::LoadedKernel> kernel_;
};

/// What the cuBLAS cases share: the library and the A, W and C buffers, grown to the
/// largest shape asked for and filled with random f16 values once.
struct GemmContext {
  Cublas *cublas = nullptr;
  std::shared_ptr<DeviceRandom> random;
  cuda::DeviceBuffer a, w, c;
  /// Makes the buffers large enough for `shape`.
  absl::Status ensure(cuda::CudaBackend &backend, const GemmShape &shape);
};

/// Copies `bytes` from one device buffer to another (cuMemcpyDtoDAsync); moves 2 * bytes.
BenchCase makeCopyCase(uint64_t bytes);
/// cuBLAS f16 GEMM (f32 accumulation) at `shape`; moves 2 * (M*K + N*K + M*N) bytes.
BenchCase makeCublasCase(const GemmShape &shape, std::shared_ptr<GemmContext> context);

/// GPU self-checks, run before measuring: the random fill (JIT, launch, parameters)
/// against its host replica, and cuBLAS's row-major mapping against an f64 reference at a
/// few small shapes.
absl::Status checkRandomFill(cuda::CudaBackend &backend, DeviceRandom &random);
absl::Status checkCublasGemm(cuda::CudaBackend &backend, Cublas &cublas, DeviceRandom &random);

} // namespace tessel::bench

#endif // TESSEL_BENCH_CASES_H
