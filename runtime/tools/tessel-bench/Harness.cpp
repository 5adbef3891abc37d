#include "Harness.h"

#include <algorithm>

namespace tessel::bench {

absl::StatusOr<std::unique_ptr<L2Flusher>> L2Flusher::create(cuda::CudaBackend &backend) {
  // Twice the L2 (the driver reports it; 256 MiB when it does not), whole MiB.
  uint64_t l2 = uint64_t(std::max<int64_t>(backend.info().l2CacheBytes, 0));
  uint64_t bytes = l2 > 0 ? 2 * l2 : uint64_t(256) << 20;
  bytes = (bytes + (uint64_t(1) << 20) - 1) & ~((uint64_t(1) << 20) - 1);
  absl::StatusOr<cuda::DeviceBuffer> buffer = backend.allocateBuffer(bytes);
  if (!buffer.ok())
    return buffer.status();
  std::unique_ptr<L2Flusher> flusher(new L2Flusher());
  flusher->backend_ = &backend;
  flusher->buffer_ = std::move(*buffer);
  return flusher;
}

absl::Status L2Flusher::flush() {
  // A different value each time, so no layer can skip a write of unchanged data.
  return backend_->fillAsync(buffer_.address(), ++value_, buffer_.size());
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
