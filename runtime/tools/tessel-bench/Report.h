// tessel-bench's results: timing statistics and the results table (Markdown on stdout,
// CSV or JSON in a file). Plain C++, no CUDA, so it is unit-tested without a GPU.
#ifndef TESSEL_BENCH_REPORT_H
#define TESSEL_BENCH_REPORT_H

#include "absl/status/status.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tessel::bench {

/// Summary of the timed runs of one case, in microseconds.
struct TimingStats {
  int count = 0;
  double medianUs = 0, minUs = 0, p90Us = 0, meanUs = 0;
};

/// Median (the mean of the two middle values for an even count), minimum, 90th percentile
/// (nearest rank: the ceil(0.9 n)-th smallest) and mean of `samplesUs`. Empty: all zero.
TimingStats summarize(std::vector<double> samplesUs);

/// One row of the results table.
struct ResultRow {
  std::string name;  // "cublas-f16", "copy", later "tessel-w4a16-g128", ...
  std::string shape; // "M=16 N=4096 K=4096"
  TimingStats time;
  /// Bytes that must move between DRAM and the chip at least once: packed weights +
  /// scales + activations + output (for a copy: bytes read + bytes written).
  uint64_t bytesMoved = 0;
  /// Floating-point operations (2*M*N*K for a GEMM); 0 when not meaningful.
  double flops = 0;
  /// cuBLAS f16 GEMM's median at the same shape, when compared.
  std::optional<double> cublasUs;

  /// Decimal GB/s of bytesMoved in the median time.
  double gbPerSecond() const;
  std::optional<double> tflopPerSecond() const;
  /// cuBLAS time / this time: above 1 means faster than cuBLAS.
  std::optional<double> speedupVsCublas() const;
};

struct Report {
  std::string device;  // "cuda:0 (NVIDIA H100 80GB HBM3, sm_90)"
  std::string driver;  // "13.0"
  std::string cublas;  // the library loaded, "" when not used
  int warmup = 0, iterations = 0;
  /// How the L2 was flushed before each run: "clean" (a read) or "dirty" (a write) of
  /// l2FlushBytes; "" when it was not.
  std::string l2Flush;
  uint64_t l2FlushBytes = 0;
  /// Measured device-to-device copy bandwidth (read + write), the "% of copy" reference.
  std::optional<double> copyGbPerSecond;
  std::vector<ResultRow> rows;

  /// gbPerSecond() as a percentage of copyGbPerSecond.
  std::optional<double> percentOfCopy(const ResultRow &row) const;
};

std::string formatMarkdown(const Report &report);
std::string formatCsv(const Report &report);
std::string formatJson(const Report &report);

/// Writes the report to `path`: JSON for *.json, CSV for *.csv; any other extension is an
/// InvalidArgument error, as is a file that cannot be written.
absl::Status writeReport(const Report &report, const std::string &path);

} // namespace tessel::bench

#endif // TESSEL_BENCH_REPORT_H
