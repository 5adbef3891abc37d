// tessel-bench's GPU-free parts: statistics, the results table in its three formats, the
// row-major to column-major cuBLAS mapping (checked by running the BLAS definition on the
// CPU), loading cuBLAS's symbols, and the helper kernels' PTX (assembled with ptxas).
#include "Cublas.h"
#include "HelperPtx.h"
#include "Report.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <unistd.h>

namespace tessel::bench {
namespace {

TEST(BenchStatsTest, MedianMinP90Mean) {
  TimingStats odd = summarize({5, 1, 4, 2, 3});
  EXPECT_EQ(odd.count, 5);
  EXPECT_DOUBLE_EQ(odd.medianUs, 3);
  EXPECT_DOUBLE_EQ(odd.minUs, 1);
  EXPECT_DOUBLE_EQ(odd.p90Us, 5); // ceil(4.5) = 5th smallest
  EXPECT_DOUBLE_EQ(odd.meanUs, 3);
  TimingStats even = summarize({4, 1, 3, 2});
  EXPECT_DOUBLE_EQ(even.medianUs, 2.5);
  std::vector<double> fifty;
  for (int i = 1; i <= 50; ++i)
    fifty.push_back(double(51 - i));
  TimingStats s = summarize(fifty);
  EXPECT_DOUBLE_EQ(s.medianUs, 25.5);
  EXPECT_DOUBLE_EQ(s.p90Us, 45); // the 45th of 50
  EXPECT_EQ(summarize({}).count, 0);
}

Report sampleReport() {
  Report report;
  report.device = "cuda:0 (NVIDIA H100 80GB HBM3, sm_90)";
  report.driver = "13.0";
  report.cublas = "13.0.0 (libcublas.so.13)";
  report.warmup = 10;
  report.iterations = 50;
  report.copyGbPerSecond = 3000;
  ResultRow copy;
  copy.name = "copy";
  copy.shape = "1024 MiB";
  copy.bytesMoved = uint64_t(2) << 30;
  copy.time = summarize({715.8, 716.0, 716.2});
  report.rows.push_back(copy);
  ResultRow gemm;
  gemm.name = "cublas-f16";
  gemm.shape = "M=16 N=4096 K=4096";
  gemm.bytesMoved = 2 * uint64_t(16 * 4096 + 4096 * 4096 + 16 * 4096);
  gemm.flops = 2.0 * 16 * 4096 * 4096;
  gemm.time = summarize({20, 22, 21});
  gemm.cublasUs = 21;
  report.rows.push_back(gemm);
  return report;
}

TEST(BenchReportTest, DerivedColumns) {
  Report report = sampleReport();
  const ResultRow &gemm = report.rows[1];
  EXPECT_NEAR(gemm.gbPerSecond(), double(gemm.bytesMoved) / 21e-6 / 1e9, 1e-9);
  EXPECT_NEAR(*report.percentOfCopy(gemm), 100 * gemm.gbPerSecond() / 3000, 1e-9);
  EXPECT_NEAR(*gemm.tflopPerSecond(), 2.0 * 16 * 4096 * 4096 / 21e-6 / 1e12, 1e-9);
  EXPECT_DOUBLE_EQ(*gemm.speedupVsCublas(), 1.0);
  EXPECT_FALSE(report.rows[0].tflopPerSecond());
  EXPECT_FALSE(report.rows[0].speedupVsCublas());
}

TEST(BenchReportTest, Markdown) {
  std::string md = formatMarkdown(sampleReport());
  EXPECT_NE(md.find("| case | shape | time (us) |"), std::string::npos) << md;
  EXPECT_NE(md.find("| copy | 1024 MiB | 716.00 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| cublas-f16 | M=16 N=4096 K=4096 | 21.00 | 20.00 | 22.00 |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("copy bandwidth 3000.0 GB/s"), std::string::npos) << md;
}

TEST(BenchReportTest, SaysHowTheL2WasFlushed) {
  Report report = sampleReport();
  report.l2Flush = "clean";
  report.l2FlushBytes = uint64_t(120) << 20;
  std::string md = formatMarkdown(report);
  EXPECT_NE(md.find("L2 flushed before each run (clean: a read of 120 MiB);"), std::string::npos)
      << md;
  std::string json = formatJson(report);
  EXPECT_NE(json.find("\"l2_flush_mode\": \"clean\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"l2_flush_bytes\": 125829120"), std::string::npos) << json;
  report.l2Flush = "dirty";
  EXPECT_NE(formatMarkdown(report).find("(dirty: a write of 120 MiB);"), std::string::npos);
  report.l2Flush = "";
  md = formatMarkdown(report);
  EXPECT_NE(md.find("L2 not flushed;"), std::string::npos) << md;
  EXPECT_EQ(md.find("clean"), std::string::npos) << md;
}

TEST(BenchReportTest, CsvHasOneLinePerRowAndQuotes) {
  Report report = sampleReport();
  report.rows[1].shape = "M=16, \"odd\"";
  std::string csv = formatCsv(report);
  std::istringstream lines(csv);
  std::string header, first, second, extra;
  std::getline(lines, header);
  std::getline(lines, first);
  std::getline(lines, second);
  EXPECT_FALSE(std::getline(lines, extra));
  EXPECT_EQ(header.rfind("case,shape,median_us,", 0), 0u);
  EXPECT_EQ(first.rfind("copy,1024 MiB,716.000,715.800,716.200,", 0), 0u) << first;
  EXPECT_EQ(second.rfind("cublas-f16,\"M=16, \"\"odd\"\"\",21.000,", 0), 0u) << second;
  EXPECT_NE(first.find(",,"), std::string::npos) << "missing values are empty fields";
}

TEST(BenchReportTest, JsonEscapesAndUsesNull) {
  Report report = sampleReport();
  report.device = "a \"quoted\"\\name";
  std::string json = formatJson(report);
  EXPECT_NE(json.find("\"device\": \"a \\\"quoted\\\"\\\\name\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"tflop_per_s\": null"), std::string::npos) << json;
  EXPECT_NE(json.find("\"speedup_vs_cublas\": 1.0000"), std::string::npos) << json;
  EXPECT_EQ(json.back(), '\n');
  Report empty;
  EXPECT_NE(formatJson(empty).find("\"rows\": []"), std::string::npos) << formatJson(empty);
}

TEST(BenchReportTest, WriteReportPicksTheFormatByExtension) {
  Report report = sampleReport();
  std::string base = "/tmp/tessel-bench-test-" + std::to_string(::getpid());
  ASSERT_TRUE(writeReport(report, base + ".json").ok());
  ASSERT_TRUE(writeReport(report, base + ".csv").ok());
  std::ifstream json(base + ".json"), csv(base + ".csv");
  std::stringstream j, c;
  j << json.rdbuf();
  c << csv.rdbuf();
  EXPECT_EQ(j.str(), formatJson(report));
  EXPECT_EQ(c.str(), formatCsv(report));
  std::remove((base + ".json").c_str());
  std::remove((base + ".csv").c_str());
  EXPECT_EQ(writeReport(report, base + ".txt").code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(writeReport(report, "/nonexistent-dir/x.json").ok());
}

// The BLAS definition of gemm (column-major, op(A) m x k, op(B) k x n), on the CPU.
void referenceGemm(const GemmCall &call, const std::vector<double> &a, const std::vector<double> &b,
                   std::vector<double> &c) {
  for (int i = 0; i < call.m; ++i)
    for (int j = 0; j < call.n; ++j) {
      double sum = 0;
      for (int p = 0; p < call.k; ++p) {
        double x = call.transa == CUBLAS_OP_N ? a[size_t(i + p * call.lda)] : a[size_t(p + i * call.lda)];
        double y = call.transb == CUBLAS_OP_N ? b[size_t(p + j * call.ldb)] : b[size_t(j + p * call.ldb)];
        sum += x * y;
      }
      c[size_t(i + j * call.ldc)] = sum;
    }
}

TEST(BenchCublasTest, RowMajorMappingComputesAWTransposed) {
  const int64_t m = 3, n = 5, k = 7;
  absl::StatusOr<GemmCall> call = rowMajorGemmCall(m, n, k);
  ASSERT_TRUE(call.ok());
  std::vector<double> a(m * k), w(n * k), c(m * n, -1);
  for (size_t i = 0; i < a.size(); ++i)
    a[i] = double(i % 5) - 2 + 0.25 * double(i);
  for (size_t i = 0; i < w.size(); ++i)
    w[i] = double(i % 7) - 3 - 0.5 * double(i % 3);
  // Hand the row-major buffers to the BLAS definition exactly as the call says.
  referenceGemm(*call, call->aIsWeights ? w : a, call->aIsWeights ? a : w, c);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double expected = 0;
      for (int64_t p = 0; p < k; ++p)
        expected += a[size_t(i * k + p)] * w[size_t(j * k + p)];
      EXPECT_DOUBLE_EQ(c[size_t(i * n + j)], expected) << i << "," << j;
    }
  EXPECT_FALSE(rowMajorGemmCall(0, 1, 1).ok());
  EXPECT_FALSE(rowMajorGemmCall(1, int64_t(1) << 31, 1).ok());
}

TEST(BenchCublasTest, LoadsOrExplains) {
  absl::StatusOr<std::unique_ptr<Cublas>> missing = Cublas::load("/nonexistent/libcublas.so.13");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("/nonexistent/libcublas.so.13"),
            absl::string_view::npos)
      << missing.status();
  EXPECT_NE(missing.status().message().find("--cublas-library"), absl::string_view::npos);
  // The toolkit's cuBLAS, when this machine has it: every symbol must resolve (no handle
  // is created; that needs a GPU).
  const char *toolkit = "/usr/local/cuda/lib64/libcublas.so.13";
  if (::access(toolkit, R_OK) != 0)
    GTEST_SKIP() << "no " << toolkit;
  absl::StatusOr<std::unique_ptr<Cublas>> blas = Cublas::load(toolkit);
  ASSERT_TRUE(blas.ok()) << blas.status();
  EXPECT_EQ((*blas)->library(), toolkit);
}

// The helper kernels are JIT-compiled by the driver on the GPU machine; here ptxas (from
// the CUDA toolkit, $TESSEL_PTXAS or /usr/local/cuda/bin/ptxas) checks each for the
// oldest and newest architecture the runtime targets, and cuobjdump (scripts/install-deps.sh
// puts it in /opt/tessel-tools/bin) that the machine code keeps the access that is the
// kernel's point: the eviction's 16-byte loads (whose results only a never-taken store
// reads) and the fill's 16-bit stores.
std::string runCommand(const std::string &command, int *status) {
  std::string out;
  FILE *pipe = ::popen(command.c_str(), "r");
  if (!pipe) {
    *status = -1;
    return out;
  }
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0)
    out.append(buffer, n);
  *status = ::pclose(pipe);
  return out;
}

TEST(BenchHelperPtxTest, AssemblesForSm80AndSm90AndKeepsItsAccesses) {
  const char *env = std::getenv("TESSEL_PTXAS");
  std::string ptxas = env && *env ? env : "/usr/local/cuda/bin/ptxas";
  if (::access(ptxas.c_str(), X_OK) != 0)
    GTEST_SKIP() << "no ptxas at " << ptxas;
  std::string cuobjdump;
  for (const char *c : {"/opt/tessel-tools/bin/cuobjdump", "/usr/local/cuda/bin/cuobjdump"})
    if (::access(c, X_OK) == 0) {
      cuobjdump = c;
      break;
    }
  struct Helper {
    const char *name, *text, *access;
  } helpers[] = {{"fill_f16", kFillF16Ptx, "STG.E.U16"}, {"l2_evict", kL2EvictPtx, "LDG.E.128"}};
  std::string dir = ::testing::TempDir();
  for (const Helper &helper : helpers) {
    std::string ptx = dir + "/tessel_bench_" + helper.name + ".ptx";
    std::ofstream(ptx) << helper.text;
    for (const char *arch : {"sm_80", "sm_90"}) {
      std::string cubin = ptx + "." + arch + ".cubin";
      int status = 0;
      std::string log = runCommand(ptxas + " -arch=" + arch + " " + ptx + " -o " + cubin + " 2>&1", &status);
      EXPECT_EQ(status, 0) << helper.name << " for " << arch << ": " << log;
      if (status != 0 || cuobjdump.empty())
        continue;
      std::string sass = runCommand(cuobjdump + " -sass " + cubin + " 2>&1", &status);
      EXPECT_EQ(status, 0) << sass;
      EXPECT_NE(sass.find(helper.access), std::string::npos)
          << helper.name << " for " << arch << " lost its " << helper.access << ":\n" << sass;
    }
  }
}

} // namespace
} // namespace tessel::bench
