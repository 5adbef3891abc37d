// tessel-bench's timing harness: warm-up runs, then timed runs each preceded by an L2
// flush, timed with CUDA events around the work only; reports median, min and p90.
#ifndef TESSEL_BENCH_HARNESS_H
#define TESSEL_BENCH_HARNESS_H

#include "Report.h"
#include "cuda/CudaBackend.h"

#include "absl/status/statusor.h"

#include <functional>
#include <memory>
#include <string>

namespace tessel::bench {

struct MeasureOptions {
  int warmup = 10;
  /// Timed runs (DESIGN.md: at least 50 for reported numbers).
  int iterations = 50;
  /// How the L2 is flushed before each timed run (L2Flusher), if at all.
  enum class Flush { kNone, kClean, kDirty } flush = Flush::kClean;
};

/// Evicts the L2 cache before each timed run with a buffer of twice its size, so every run
/// starts from DRAM as it would inside a model, not from the previous run's cached
/// weights. Clean (the default): a kernel reads the buffer, so the L2 is left holding
/// clean lines, as after the previous layer's weights in a model. Dirty: the buffer is
/// written (cuMemsetD8Async), so the L2 is left holding up to its size of dirty lines,
/// which the timed run's misses write back to DRAM on top of its own traffic (the
/// method of the figures before 2026-11-27's thirteenth session, and of the common
/// `cache.zero_()` flush).
class L2Flusher {
public:
  static absl::StatusOr<std::unique_ptr<L2Flusher>> create(cuda::CudaBackend &backend,
                                                           MeasureOptions::Flush mode);
  /// Enqueues the flush on the backend's stream.
  absl::Status flush();
  uint64_t bytes() const { return buffer_.size(); }
  /// "clean" or "dirty", for the report.
  const char *mode() const;

private:
  cuda::CudaBackend *backend_ = nullptr;
  MeasureOptions::Flush mode_ = MeasureOptions::Flush::kClean;
  cuda::DeviceBuffer buffer_;
  cuda::DeviceBuffer sink_;
  std::shared_ptr<cuda::LoadedKernel> evict_;
  int64_t blocks_ = 0;
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
