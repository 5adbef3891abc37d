#include "Report.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

#include <algorithm>
#include <cmath>
#include <fstream>

namespace tessel::bench {

TimingStats summarize(std::vector<double> samplesUs) {
  TimingStats stats;
  if (samplesUs.empty())
    return stats;
  std::sort(samplesUs.begin(), samplesUs.end());
  size_t n = samplesUs.size();
  stats.count = int(n);
  stats.minUs = samplesUs.front();
  stats.medianUs = n % 2 ? samplesUs[n / 2] : (samplesUs[n / 2 - 1] + samplesUs[n / 2]) / 2;
  // Nearest rank: the smallest value with at least 90% of the samples at or below it.
  size_t rank = size_t(std::ceil(0.9 * double(n)));
  stats.p90Us = samplesUs[std::max<size_t>(rank, 1) - 1];
  double sum = 0;
  for (double s : samplesUs)
    sum += s;
  stats.meanUs = sum / double(n);
  return stats;
}

double ResultRow::gbPerSecond() const {
  if (time.medianUs <= 0)
    return 0;
  return double(bytesMoved) / (time.medianUs * 1e-6) / 1e9;
}

std::optional<double> ResultRow::tflopPerSecond() const {
  if (flops <= 0 || time.medianUs <= 0)
    return std::nullopt;
  return flops / (time.medianUs * 1e-6) / 1e12;
}

std::optional<double> ResultRow::speedupVsCublas() const {
  if (!cublasUs || time.medianUs <= 0)
    return std::nullopt;
  return *cublasUs / time.medianUs;
}

std::optional<double> Report::percentOfCopy(const ResultRow &row) const {
  if (!copyGbPerSecond || *copyGbPerSecond <= 0)
    return std::nullopt;
  return 100.0 * row.gbPerSecond() / *copyGbPerSecond;
}

namespace {

std::string fixed(double value, int digits) { return absl::StrFormat("%.*f", digits, value); }

std::string optionalFixed(const std::optional<double> &value, int digits, const char *none) {
  return value ? fixed(*value, digits) : none;
}

// Quotes a CSV field when it needs it (RFC 4180).
std::string csvField(const std::string &text) {
  if (text.find_first_of(",\"\n") == std::string::npos)
    return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"')
      out += '"';
    out += c;
  }
  return out + "\"";
}

std::string jsonString(const std::string &text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\t':
      out += "\\t";
      break;
    default:
      if (c < 0x20)
        out += absl::StrFormat("\\u%04x", c);
      else
        out += char(c);
    }
  }
  return out + "\"";
}

std::string jsonNumber(const std::optional<double> &value, int digits) {
  if (!value || !std::isfinite(*value))
    return "null";
  return fixed(*value, digits);
}

} // namespace

std::string formatMarkdown(const Report &report) {
  std::string out = absl::StrCat(
      "Device: ", report.device, ", driver ", report.driver,
      report.cublas.empty() ? "" : absl::StrCat(", cuBLAS: ", report.cublas), "\n",
      "Median of ", report.iterations, " runs after ", report.warmup, " warm-up runs",
      report.l2Flush.empty()
          ? std::string(", L2 not flushed")
          : absl::StrCat(", L2 flushed before each run (", report.l2Flush,
                         report.l2Flush == "clean" ? ": a read of " : ": a write of ",
                         report.l2FlushBytes >> 20, " MiB)"),
      "; copy bandwidth ",
      report.copyGbPerSecond ? absl::StrCat(fixed(*report.copyGbPerSecond, 1), " GB/s")
                             : std::string("not measured"),
      "\n\n");
  absl::StrAppend(&out, "| case | shape | time (us) | min (us) | p90 (us) | GB/s | % of copy "
                        "| TFLOP/s | cuBLAS (us) | speedup vs cuBLAS |\n");
  absl::StrAppend(&out, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const ResultRow &row : report.rows)
    absl::StrAppend(&out, "| ", row.name, " | ", row.shape, " | ", fixed(row.time.medianUs, 2),
                    " | ", fixed(row.time.minUs, 2), " | ", fixed(row.time.p90Us, 2), " | ",
                    fixed(row.gbPerSecond(), 1), " | ",
                    optionalFixed(report.percentOfCopy(row), 1, "-"), " | ",
                    optionalFixed(row.tflopPerSecond(), 1, "-"), " | ",
                    optionalFixed(row.cublasUs, 2, "-"), " | ",
                    optionalFixed(row.speedupVsCublas(), 2, "-"), " |\n");
  return out;
}

std::string formatCsv(const Report &report) {
  std::string out = "case,shape,median_us,min_us,p90_us,mean_us,runs,bytes_moved,gb_per_s,"
                    "percent_of_copy,tflop_per_s,cublas_us,speedup_vs_cublas\n";
  for (const ResultRow &row : report.rows)
    absl::StrAppend(&out, csvField(row.name), ",", csvField(row.shape), ",",
                    fixed(row.time.medianUs, 3), ",", fixed(row.time.minUs, 3), ",",
                    fixed(row.time.p90Us, 3), ",", fixed(row.time.meanUs, 3), ",",
                    row.time.count, ",", row.bytesMoved, ",", fixed(row.gbPerSecond(), 3), ",",
                    optionalFixed(report.percentOfCopy(row), 3, ""), ",",
                    optionalFixed(row.tflopPerSecond(), 3, ""), ",",
                    optionalFixed(row.cublasUs, 3, ""), ",",
                    optionalFixed(row.speedupVsCublas(), 4, ""), "\n");
  return out;
}

std::string formatJson(const Report &report) {
  std::string out = absl::StrCat(
      "{\n  \"device\": ", jsonString(report.device), ",\n  \"driver\": ",
      jsonString(report.driver), ",\n  \"cublas\": ", jsonString(report.cublas),
      ",\n  \"warmup\": ", report.warmup, ",\n  \"iterations\": ", report.iterations,
      ",\n  \"l2_flush\": ", report.l2Flush.empty() ? "false" : "true",
      ",\n  \"l2_flush_mode\": ", jsonString(report.l2Flush),
      ",\n  \"l2_flush_bytes\": ", report.l2Flush.empty() ? 0 : report.l2FlushBytes,
      ",\n  \"copy_gb_per_s\": ", jsonNumber(report.copyGbPerSecond, 3), ",\n  \"rows\": [");
  for (size_t i = 0; i < report.rows.size(); ++i) {
    const ResultRow &row = report.rows[i];
    absl::StrAppend(
        &out, i ? "," : "", "\n    {\"case\": ", jsonString(row.name),
        ", \"shape\": ", jsonString(row.shape), ", \"median_us\": ", fixed(row.time.medianUs, 3),
        ", \"min_us\": ", fixed(row.time.minUs, 3), ", \"p90_us\": ", fixed(row.time.p90Us, 3),
        ", \"mean_us\": ", fixed(row.time.meanUs, 3), ", \"runs\": ", row.time.count,
        ", \"bytes_moved\": ", row.bytesMoved, ", \"gb_per_s\": ", fixed(row.gbPerSecond(), 3),
        ", \"percent_of_copy\": ", jsonNumber(report.percentOfCopy(row), 3),
        ", \"tflop_per_s\": ", jsonNumber(row.tflopPerSecond(), 3),
        ", \"cublas_us\": ", jsonNumber(row.cublasUs, 3),
        ", \"speedup_vs_cublas\": ", jsonNumber(row.speedupVsCublas(), 4), "}");
  }
  absl::StrAppend(&out, report.rows.empty() ? "]\n}\n" : "\n  ]\n}\n");
  return out;
}

absl::Status writeReport(const Report &report, const std::string &path) {
  auto endsWith = [&](const std::string &suffix) {
    return path.size() >= suffix.size() &&
           path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  std::string text;
  if (endsWith(".json"))
    text = formatJson(report);
  else if (endsWith(".csv"))
    text = formatCsv(report);
  else
    return absl::InvalidArgumentError(
        absl::StrCat("--output=", path, ": the file name must end in .json or .csv"));
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << text;
  file.close();
  if (!file)
    return absl::InvalidArgumentError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

} // namespace tessel::bench
