// tessel-bench's timing harness: warm-up runs, then timed runs each preceded by an L2
// flush, timed with CUDA events around the work only; reports median, min and p90.
#ifndef TESSEL_BENCH_HARNESS_H
#define TESSEL_BENCH_HARNESS_H

#include "Report.h"
#include "cuda/CudaBackend.h"

#include "absl/status/statusor.h"

#include <functional>
#include <memory>

namespace tessel::bench {

struct MeasureOptions {
  int warmup = 10;
  /// Timed runs (DESIGN.md: at least 50 for reported numbers).
  int iterations = 50;
  bool flushL2 = true;
};

/// Evicts the L2 cache by writing a buffer of twice its size (cuMemsetD8Async), so every
/// timed run starts from DRAM as it would inside a model, not from the previous run's
/// cached weights.
class L2Flusher {
public:
  static absl::StatusOr<std::unique_ptr<L2Flusher>> create(cuda::CudaBackend &backend);
  /// Enqueues the flush on the backend's stream.
  absl::Status flush();
  uint64_t bytes() const { return buffer_.size(); }

private:
  cuda::CudaBackend *backend_ = nullptr;
  cuda::DeviceBuffer buffer_;
  uint8_t value_ = 0;
};

/// Runs `run` options.warmup times (each after a flush when `flusher` is given), waits,
/// then times options.iterations runs with CudaBackend::timeRuns (flush, event, run, event;
/// one wait at the end) and summarizes them in microseconds.
absl::StatusOr<TimingStats> measure(cuda::CudaBackend &backend, L2Flusher *flusher,
                                    const std::function<absl::Status()> &run,
                                    const MeasureOptions &options);

} // namespace tessel::bench

#endif // TESSEL_BENCH_HARNESS_H
