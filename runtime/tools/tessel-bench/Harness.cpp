#include "Harness.h"
#include "HelperPtx.h"

#include <algorithm>

namespace tessel::bench {

namespace {
constexpr int64_t kEvictThreads = 256;
} // namespace

absl::StatusOr<std::unique_ptr<L2Flusher>> L2Flusher::create(cuda::CudaBackend &backend,
                                                              MeasureOptions::Flush mode) {
  if (mode == MeasureOptions::Flush::kNone)
    return absl::InvalidArgumentError("L2Flusher: a flush mode (clean or dirty) is needed");
  // Twice the L2 (the driver reports it; 256 MiB when it does not), whole MiB.
  uint64_t l2 = uint64_t(std::max<int64_t>(backend.info().l2CacheBytes, 0));
  uint64_t bytes = l2 > 0 ? 2 * l2 : uint64_t(256) << 20;
  bytes = (bytes + (uint64_t(1) << 20) - 1) & ~((uint64_t(1) << 20) - 1);
  absl::StatusOr<cuda::DeviceBuffer> buffer = backend.allocateBuffer(bytes);
  if (!buffer.ok())
    return buffer.status();
  std::unique_ptr<L2Flusher> flusher(new L2Flusher());
  flusher->backend_ = &backend;
  flusher->mode_ = mode;
  flusher->buffer_ = std::move(*buffer);
  if (mode == MeasureOptions::Flush::kClean) {
    const std::vector<cuda::ParamKind> params = {cuda::ParamKind::kU64, cuda::ParamKind::kU64,
                                                 cuda::ParamKind::kU64};
    absl::StatusOr<std::shared_ptr<cuda::LoadedKernel>> kernel =
        backend.loadPtx(kL2EvictPtx, "tessel_bench_l2_evict", 0, kEvictThreads, &params);
    if (!kernel.ok())
      return kernel.status();
    flusher->evict_ = *kernel;
    absl::StatusOr<cuda::DeviceBuffer> sink = backend.allocateBuffer(16);
    if (!sink.ok())
      return sink.status();
    flusher->sink_ = std::move(*sink);
    // Zeros: the kernel's xor is 0 and it never stores to the sink.
    if (absl::Status s = backend.fillAsync(flusher->buffer_.address(), 0, bytes); !s.ok())
      return s;
    // Eight blocks of 256 threads per SM: 2048 loads of 16 bytes in flight per SM where
    // that many threads fit (sm_80, sm_90; on sm_86 and sm_89 the rest run after).
    flusher->blocks_ = 8 * std::max(backend.info().multiprocessors, 1);
  }
  return flusher;
}

absl::Status L2Flusher::flush() {
  if (mode_ == MeasureOptions::Flush::kDirty)
    // A different value each time, so no layer can skip a write of unchanged data.
    return backend_->fillAsync(buffer_.address(), ++value_, buffer_.size());
  vm::Grid grid;
  grid.x = blocks_;
  cuda::KernelParams params;
  params.addU64(buffer_.address());
  params.addU64(buffer_.size() / 16);
  params.addU64(sink_.address());
  return backend_->launchAsync(*evict_, grid, kEvictThreads, params);
}

const char *L2Flusher::mode() const {
  return mode_ == MeasureOptions::Flush::kClean ? "clean" : "dirty";
}

absl::StatusOr<TimingStats> measure(cuda::CudaBackend &backend, L2Flusher *flusher,
                                    const std::function<absl::Status()> &run,
                                    const MeasureOptions &options) {
  for (int i = 0; i < options.warmup; ++i) {
    if (flusher)
      if (absl::Status s = flusher->flush(); !s.ok())
        return s;
    if (absl::Status s = run(); !s.ok())
      return s;
  }
  if (absl::Status s = backend.synchronize(); !s.ok())
    return s;
  auto prepare = [&](int) { return flusher ? flusher->flush() : absl::OkStatus(); };
  absl::StatusOr<std::vector<float>> milliseconds =
      backend.timeRuns(options.iterations, prepare, run);
  if (!milliseconds.ok())
    return milliseconds.status();
  std::vector<double> microseconds;
  for (float ms : *milliseconds)
    microseconds.push_back(double(ms) * 1000.0);
  return summarize(std::move(microseconds));
}

} // namespace tessel::bench
