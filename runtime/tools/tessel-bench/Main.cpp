// tessel-bench: GPU kernel benchmarks against cuBLAS and the copy bandwidth
// (DESIGN.md §6; docs/cuda-runtime.md). Runtime only: no LLVM, statically linked, so it
// is built on a build machine and run on a GPU machine.
#include "Cases.h"
#include "Harness.h"
#include "ModuleCase.h"
#include "Report.h"

#include "cpu/CpuBackend.h"
#include "cuda/CudaBackend.h"
#include "cuda/PtxSimBackend.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

using namespace tessel;
using namespace tessel::bench;

namespace {

const char kUsage[] = R"(usage: tessel-bench [options]

Times GPU work with CUDA events (warm-up runs, then timed runs each after an L2 flush;
median, min and p90), next to a cuBLAS f16 GEMM of the same shape and the device-to-device
copy bandwidth. Prints a Markdown table; --output writes CSV or JSON too.

Options:
  --device=N             GPU ordinal (default 0)
  --output=FILE          also write the results to FILE (.csv or .json)
  --cases=LIST           comma-separated: copy, cublas, tessel (default: all)
  --modules=FILE         manifest of compiled low-bit GEMM modules to time (the
                         "tessel" cases; format in ModuleCase.h); each runs at the
                         --m values inside its m range, on every --nk shape
  --m=LIST               GEMM rows M (default 1,16,64,128,4096)
  --nk=LIST              GEMM NxK pairs (default 4096x4096,11008x4096,4096x11008,
                         8192x8192,28672x8192,57344x8192)
  --copy-bytes=N         bytes of the copy case (default 1073741824 = 1 GiB)
  --warmup=N             warm-up runs per case (default 10)
  --iterations=N         timed runs per case (default 50; fewer is not reportable)
  --l2-flush=MODE        how the L2 is flushed before each timed run: clean (default;
                         a kernel reads a buffer of twice the L2, leaving it clean)
                         or dirty (the buffer is written: the L2 is left full of
                         dirty lines that the timed run's misses write back)
  --no-l2-flush          do not flush the L2 before each timed run
  --cublas-library=PATH  the cuBLAS to dlopen (default: $TESSEL_CUBLAS_LIBRARY, then
                         libcublas.so.13/.12/.so on the loader path and in
                         $CUDA_HOME/lib64 and /usr/local/cuda/lib64)
  --no-cublas            do not load cuBLAS (no cuBLAS cases or comparisons)
  --no-check             skip the GPU self-checks (random fill, cuBLAS layout)
  --cache-dir=DIR        kernel cache directory (default $TESSEL_CACHE_DIR, ...)
  --list                 print the cases (with the launches of the tessel cases) and
                         exit (needs no GPU)
  --check-on=EXECUTOR    run each tessel case once on `cpu` or `ptx-sim` with the
                         inputs the GPU run gets, check its output as the GPU run
                         does, and exit (needs no GPU; use small shapes)
  --help                 this text

Exit status: 0 on success; 1 when there is no usable GPU (no CUDA driver, ...), a
self-check fails or a case fails; 2 for bad options.
)";

struct Options {
  int device = 0;
  std::string output;
  bool copy = true, cublas = true, tessel = true;
  std::string modules;
  std::vector<int64_t> rows = defaultGemmRows();
  std::vector<std::pair<int64_t, int64_t>> columns = defaultGemmColumns();
  uint64_t copyBytes = uint64_t(1) << 30;
  MeasureOptions measure;
  std::string cublasLibrary;
  bool check = true;
  std::string cacheDir;
  bool list = false;
  std::string checkOn;
};

int usageError(const std::string &message) {
  std::fprintf(stderr, "tessel-bench: %s\n(see tessel-bench --help)\n", message.c_str());
  return 2;
}

template <typename T> bool parseNumber(const std::string &text, T *out, T minimum) {
  return absl::SimpleAtoi(text, out) && *out >= minimum;
}

// Parses argv into `options`; returns an exit code when the program should stop.
std::optional<int> parseOptions(int argc, char **argv, Options &options) {
  bool flushModeGiven = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    size_t eq = arg.find('=');
    std::string name = arg.substr(0, eq);
    if (eq != std::string::npos)
      value = arg.substr(eq + 1);
    auto needsValue = [&] { return eq == std::string::npos || value.empty(); };
    if (name == "--help" || name == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (name == "--list") {
      options.list = true;
    } else if (name == "--no-l2-flush") {
      if (flushModeGiven)
        return usageError("--l2-flush and --no-l2-flush exclude each other");
      options.measure.flush = MeasureOptions::Flush::kNone;
    } else if (name == "--no-cublas") {
      options.cublas = false;
    } else if (name == "--no-check") {
      options.check = false;
    } else if (needsValue()) {
      return usageError(absl::StrCat("unknown option or missing value: ", arg));
    } else if (name == "--l2-flush") {
      if (options.measure.flush == MeasureOptions::Flush::kNone)
        return usageError("--l2-flush and --no-l2-flush exclude each other");
      if (value == "clean")
        options.measure.flush = MeasureOptions::Flush::kClean;
      else if (value == "dirty")
        options.measure.flush = MeasureOptions::Flush::kDirty;
      else
        return usageError("--l2-flush takes clean or dirty");
      flushModeGiven = true;
    } else if (name == "--device") {
      if (!parseNumber(value, &options.device, 0))
        return usageError("--device takes a GPU ordinal (0, 1, ...)");
    } else if (name == "--check-on") {
      if (value != "cpu" && value != "ptx-sim")
        return usageError("--check-on takes cpu or ptx-sim");
      options.checkOn = value;
    } else if (name == "--modules") {
      options.modules = value;
    } else if (name == "--output") {
      options.output = value;
    } else if (name == "--cases") {
      options.copy = options.cublas = options.tessel = false;
      for (const std::string &c : std::vector<std::string>(absl::StrSplit(value, ','))) {
        if (c == "copy")
          options.copy = true;
        else if (c == "cublas")
          options.cublas = true;
        else if (c == "tessel")
          options.tessel = true;
        else
          return usageError(absl::StrCat("unknown case '", c, "' (copy, cublas, tessel)"));
      }
    } else if (name == "--m") {
      options.rows.clear();
      for (const std::string &m : std::vector<std::string>(absl::StrSplit(value, ','))) {
        int64_t rows = 0;
        if (!parseNumber(m, &rows, int64_t(1)))
          return usageError(absl::StrCat("--m: '", m, "' is not a positive integer"));
        options.rows.push_back(rows);
      }
    } else if (name == "--nk") {
      options.columns.clear();
      for (const std::string &pair : std::vector<std::string>(absl::StrSplit(value, ','))) {
        std::vector<std::string> parts = absl::StrSplit(pair, 'x');
        int64_t n = 0, k = 0;
        if (parts.size() != 2 || !parseNumber(parts[0], &n, int64_t(1)) ||
            !parseNumber(parts[1], &k, int64_t(1)))
          return usageError(absl::StrCat("--nk: '", pair, "' is not NxK (e.g. 4096x4096)"));
        options.columns.push_back({n, k});
      }
    } else if (name == "--copy-bytes") {
      if (!parseNumber(value, &options.copyBytes, uint64_t(1)))
        return usageError("--copy-bytes takes a positive byte count");
    } else if (name == "--warmup") {
      if (!parseNumber(value, &options.measure.warmup, 0))
        return usageError("--warmup takes a count >= 0");
    } else if (name == "--iterations") {
      if (!parseNumber(value, &options.measure.iterations, 1))
        return usageError("--iterations takes a count >= 1");
    } else if (name == "--cublas-library") {
      options.cublasLibrary = value;
    } else if (name == "--cache-dir") {
      options.cacheDir = value;
    } else {
      return usageError(absl::StrCat("unknown option: ", arg));
    }
  }
  return std::nullopt;
}

std::vector<BenchCase> makeCases(const Options &options, std::shared_ptr<GemmContext> gemm,
                                 const std::vector<LowBitGemmModule> &modules) {
  std::vector<BenchCase> cases;
  // The copy first: its bandwidth is every later row's "% of copy".
  if (options.copy)
    cases.push_back(makeCopyCase(options.copyBytes));
  for (auto [n, k] : options.columns)
    for (int64_t m : options.rows) {
      GemmShape shape{m, n, k};
      // cuBLAS first, so the Tessel rows of the shape reuse its time.
      if (options.cublas)
        cases.push_back(makeCublasCase(shape, gemm));
      if (options.tessel)
        for (const LowBitGemmModule &module : modules)
          if (m >= module.minRows && m <= module.maxRows)
            cases.push_back(makeLowBitGemmCase(module, shape, gemm));
    }
  return cases;
}

int fail(const absl::Status &status) {
  std::fprintf(stderr, "tessel-bench: %s\n", std::string(status.message()).c_str());
  return 1;
}

} // namespace

int main(int argc, char **argv) {
  Options options;
  if (std::optional<int> exit = parseOptions(argc, argv, options))
    return *exit;
  auto gemm = std::make_shared<GemmContext>();
  std::vector<LowBitGemmModule> modules;
  if (!options.modules.empty()) {
    absl::StatusOr<std::vector<LowBitGemmModule>> read = readManifest(options.modules);
    if (!read.ok())
      return fail(read.status());
    modules = std::move(*read);
  }
  std::vector<BenchCase> cases = makeCases(options, gemm, modules);

  if (!options.checkOn.empty()) {
    std::unique_ptr<vm::Backend> executor;
    if (options.checkOn == "cpu")
      executor = std::make_unique<cpu::CpuBackend>();
    else
      executor = std::make_unique<cuda::PtxSimBackend>(cuda::Target{});
    int failures = 0;
    for (auto [n, k] : options.columns)
      for (int64_t m : options.rows)
        for (const LowBitGemmModule &module : modules) {
          if (m < module.minRows || m > module.maxRows)
            continue;
          GemmShape shape{m, n, k};
          absl::Status s = checkOnExecutor(module, shape, *executor);
          std::printf("%s tessel-%s %s on %s%s%s\n", s.ok() ? "ok" : "FAILED",
                      module.label.c_str(), shape.str().c_str(), options.checkOn.c_str(),
                      s.ok() ? "" : ": ", std::string(s.message()).c_str());
          failures += !s.ok();
        }
    return failures ? 1 : 0;
  }
  if (options.list) {
    std::printf("| case | shape | bytes moved | GFLOP | launches |\n|---|---|---:|---:|---|\n");
    for (const BenchCase &c : cases) {
      std::string plan;
      if (c.plan) {
        absl::StatusOr<std::string> planned = c.plan();
        if (!planned.ok())
          return fail(planned.status());
        plan = *planned;
      }
      std::printf("| %s | %s | %llu | %.3f | %s |\n", c.name.c_str(), c.shape.c_str(),
                  static_cast<unsigned long long>(c.bytesMoved), c.flops / 1e9, plan.c_str());
    }
    return 0;
  }
  if (options.measure.iterations < 50)
    std::fprintf(stderr, "tessel-bench: warning: %d timed runs (< 50): not a reportable measurement\n",
                 options.measure.iterations);

  absl::StatusOr<std::unique_ptr<cuda::CudaBackend>> created =
      cuda::CudaBackend::create(options.device, options.cacheDir);
  if (!created.ok())
    return fail(created.status());
  cuda::CudaBackend &backend = **created;
  // cuBLAS works in the current context: make the backend's the current one throughout.
  cuda::ScopedContext current(backend.driver(), backend.context());
  if (!current.status().ok())
    return fail(current.status());

  const cuda::DeviceInfo &info = backend.info();
  std::fprintf(stderr,
               "tessel-bench: %s, %d SMs, %lld MiB L2, %lld MiB memory, driver %s, PTX "
               "target %s, kernel cache %s\n",
               backend.name().c_str(), info.multiprocessors,
               static_cast<long long>(info.l2CacheBytes >> 20),
               static_cast<long long>(info.totalMemoryBytes >> 20),
               backend.driver().versionString().c_str(), backend.target().smName().c_str(),
               backend.kernelCache().enabled() ? backend.kernelCache().directory().c_str()
                                               : "disabled");

  Report report;
  report.device = backend.name();
  report.driver = backend.driver().versionString();
  report.warmup = options.measure.warmup;
  report.iterations = options.measure.iterations;

  absl::StatusOr<std::shared_ptr<DeviceRandom>> random = DeviceRandom::create(backend);
  if (!random.ok())
    return fail(random.status());
  gemm->random = *random;
  std::unique_ptr<Cublas> cublas;
  if (options.cublas) {
    absl::StatusOr<std::unique_ptr<Cublas>> loaded = Cublas::load(options.cublasLibrary);
    if (!loaded.ok())
      return fail(loaded.status());
    cublas = std::move(*loaded);
    absl::StatusOr<std::string> version = cublas->bind(backend.stream());
    if (!version.ok())
      return fail(version.status());
    report.cublas = absl::StrCat(*version, " (", cublas->library(), ")");
    gemm->cublas = cublas.get();
    std::fprintf(stderr, "tessel-bench: cuBLAS %s\n", report.cublas.c_str());
  }
  if (options.check) {
    if (absl::Status s = checkRandomFill(backend, **random); !s.ok())
      return fail(s);
    if (cublas)
      if (absl::Status s = checkCublasGemm(backend, *cublas, **random); !s.ok())
        return fail(s);
    std::fprintf(stderr, "tessel-bench: self-checks passed (random fill%s)\n",
                 cublas ? ", cuBLAS row-major GEMM" : "");
  }

  std::unique_ptr<L2Flusher> flusher;
  if (options.measure.flush != MeasureOptions::Flush::kNone) {
    absl::StatusOr<std::unique_ptr<L2Flusher>> created =
        L2Flusher::create(backend, options.measure.flush);
    if (!created.ok())
      return fail(created.status());
    flusher = std::move(*created);
    report.l2Flush = flusher->mode();
    report.l2FlushBytes = flusher->bytes();
  }

  std::map<GemmShape, double> cublasMedian;
  for (size_t i = 0; i < cases.size(); ++i) {
    BenchCase &c = cases[i];
    absl::Status status = c.setup ? c.setup(backend) : absl::OkStatus();
    absl::StatusOr<TimingStats> stats =
        status.ok() ? measure(backend, flusher.get(), c.run, options.measure)
                    : absl::StatusOr<TimingStats>(status);
    if (c.teardown)
      c.teardown();
    if (!stats.ok())
      return fail(absl::Status(stats.status().code(),
                               absl::StrCat(c.name, " ", c.shape, ": ", stats.status().message())));
    ResultRow row;
    row.name = c.name;
    row.shape = c.shape;
    row.time = *stats;
    row.bytesMoved = c.bytesMoved;
    row.flops = c.flops;
    if (c.isCublasReference && c.compareWithCublas)
      cublasMedian[*c.compareWithCublas] = stats->medianUs;
    if (c.compareWithCublas) {
      auto found = cublasMedian.find(*c.compareWithCublas);
      if (found == cublasMedian.end() && cublas) {
        BenchCase reference = makeCublasCase(*c.compareWithCublas, gemm);
        absl::Status s = reference.setup(backend);
        absl::StatusOr<TimingStats> referenceStats =
            s.ok() ? measure(backend, flusher.get(), reference.run, options.measure)
                   : absl::StatusOr<TimingStats>(s);
        if (!referenceStats.ok())
          return fail(referenceStats.status());
        found = cublasMedian.emplace(*c.compareWithCublas, referenceStats->medianUs).first;
      }
      if (found != cublasMedian.end())
        row.cublasUs = found->second;
    }
    if (c.isCopyReference)
      report.copyGbPerSecond = row.gbPerSecond();
    std::fprintf(stderr, "[%zu/%zu] %s %s: %.2f us (min %.2f, p90 %.2f), %.1f GB/s\n", i + 1,
                 cases.size(), c.name.c_str(), c.shape.c_str(), row.time.medianUs,
                 row.time.minUs, row.time.p90Us, row.gbPerSecond());
    report.rows.push_back(std::move(row));
  }

  std::fputs(formatMarkdown(report).c_str(), stdout);
  if (!options.output.empty())
    if (absl::Status s = writeReport(report, options.output); !s.ok())
      return fail(s);
  return 0;
}
