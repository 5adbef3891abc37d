// tessel-run: run a function of a compiled module (.tslm) on the CPU, a GPU or the PTX
// simulator, with inputs from .npy files or random, and print or save the outputs.
// Links only the runtime (no LLVM, no MLIR).
#include "tessel/runtime/Npy.h"
#include "tessel/runtime/Runtime.h"

#include "cuda/Aot.h"
#include "vm/BitPack.h"
#include "vm/Codec.h"
#include "vm/Program.h"

#include "absl/strings/str_cat.h"

#include <chrono>
#include <cmath>
#include <fstream>
#include <iterator>
#include <cstdio>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <sys/stat.h>
#include <vector>

using namespace tessel::runtime;

namespace {

const char *kHelp = R"(usage: tessel-run MODULE.tslm [options]

Runs a function of a compiled Tessel module and prints each output's shape, type and a
summary.

options:
  --function=NAME        the function to run (default: the only one, or "main")
  --device=DEVICE        cpu | cuda | cuda:N | auto | ptx-sim[:sm_XX][:exact-casts]
                         [:narrow-cast-views][:no-row-pair-ldmatrix] (default auto: the
                         GPU when a CUDA driver and GPU are present, else the CPU).
                         ptx-sim runs the GPU code path in a PTX simulator on the CPU
                         (the flags: the CUDA backend's spill variants).
  --input=NAME=FILE.npy  an input from a .npy file; NAME is the input's name or its
                         position (0, 1, ...). Repeat for each input.
  --random-inputs        fill inputs not given with --input with random values
  --seed=N               seed of --random-inputs (default 0)
  --dim=N                size of dynamic dimensions of random inputs (default 16)
  --output-dir=DIR       write each output to DIR/<name>.npy (its position if unnamed)
  --compare-with=DEVICE  also run on DEVICE and report the largest absolute and
                         relative differences per output; exit 1 beyond --tolerance
  --tolerance=R[,A]      relative (and absolute) tolerance of --compare-with
                         (default: 1e-3,1e-5 for f32 outputs, 1e-2,1e-3 for 16-bit floats,
                         exact for integers)
  --iterations=N         run N times and print the mean time per call
  --list                 list the module's functions and their inputs and outputs
  --precompile=ARCH[,..] run nothing: compile the module's kernels ahead of time for GPUs
                         of these architectures (sm_80, sm_86, sm_89, sm_90, ...) with
                         ptxas into the kernel cache ($TESSEL_CACHE_DIR, else
                         ~/.cache/tessel), where the CUDA backend finds them instead of
                         JIT-compiling (no GPU needed; a driver older than that ptxas
                         JIT-compiles as before)
  --ptxas=PATH           the ptxas of --precompile (default $TESSEL_PTXAS, else
                         /usr/local/cuda/bin/ptxas, else ptxas in PATH)
  --help                 this text

Inputs must have the function's element type; .npy float32 data is converted (rounded)
to f16/bf16 inputs, and uint8/int8 data are the codes of any type of at most 8 bits
(integer or float: si3, e2m1, f8E4M3FN, ...), packed for sub-byte inputs.)";

struct Options {
  std::string module, function, device = "auto", outputDir, compareWith, precompile, ptxas;
  std::map<std::string, std::string> inputs;
  bool randomInputs = false, list = false;
  uint64_t seed = 0;
  int64_t dim = 16;
  int iterations = 0;
  double rtol = -1, atol = -1;
};

int usageError(const std::string &message) {
  std::fprintf(stderr, "tessel-run: %s\n(see tessel-run --help)\n", message.c_str());
  return 2;
}

bool parseInt(const std::string &text, int64_t &out) {
  char *end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0')
    return false;
  out = v;
  return true;
}

std::string specName(const TensorSpec &spec, size_t i) {
  return spec.name.empty() ? std::to_string(i) : spec.name;
}

// An input tensor from a .npy file, converted where the type differs in a way the help
// text documents.
absl::StatusOr<Tensor> inputFromNpy(const std::string &path, const TensorSpec &spec) {
  absl::StatusOr<Tensor> loaded = readNpy(path);
  if (!loaded.ok())
    return loaded.status();
  Tensor t = *loaded;
  DType want = spec.dtype;
  if (t.dtype() == want)
    return t;
  if (t.dtype() == DType::f32() && (want == DType::f16() || want == DType::bf16())) {
    Tensor c = Tensor::allocate(want, t.shape());
    auto *dst = c.dataAs<uint16_t>();
    const auto *src = t.dataAs<float>();
    for (int64_t i = 0; i < t.numElements(); ++i)
      dst[i] = uint16_t(tessel::vm::encode(want, src[i], tessel::vm::Overflow::kIeee));
    return c;
  }
  if (want.bits() <= 8 && t.dtype().bits() == 8 && t.dtype().isInteger()) {
    // Codes: bytes of int8/uint8 data are the codes of any type of at most 8 bits
    // (integer or float), packed LSB first below 8 bits.
    Tensor c = Tensor::allocate(want, t.shape());
    if (want.bits() == 8) {
      std::memcpy(c.dataAs<uint8_t>(), t.dataAs<uint8_t>(), size_t(t.numElements()));
      return c;
    }
    std::vector<uint8_t> codes(size_t(t.numElements()));
    const auto *src = t.dataAs<uint8_t>();
    for (size_t i = 0; i < codes.size(); ++i)
      codes[i] = uint8_t(src[i] & ((1u << want.bits()) - 1));
    tessel::vm::packBits(codes.data(), codes.size(), want.bits(), c.dataAs<uint8_t>());
    return c;
  }
  return absl::InvalidArgumentError(path + ": holds " + t.dtype().name() + ", the input needs " +
                                    want.name());
}

Tensor randomInput(const TensorSpec &spec, int64_t dim, std::mt19937_64 &rng) {
  std::vector<int64_t> shape = spec.shape;
  for (int64_t &d : shape)
    if (d < 0)
      d = dim;
  Tensor t = Tensor::allocate(spec.dtype, shape);
  DType dt = spec.dtype;
  int64_t n = t.numElements();
  std::uniform_real_distribution<double> uniform(-1.0, 1.0);
  if (dt.isFloat() && dt.bits() >= 16) {
    for (int64_t i = 0; i < n; ++i) {
      uint32_t code = tessel::vm::encode(dt, uniform(rng), tessel::vm::Overflow::kIeee);
      std::memcpy(t.dataAs<uint8_t>() + i * (dt.bits() / 8), &code, dt.bits() / 8);
    }
  } else {
    std::vector<uint8_t> bytes(t.sizeInBytes());
    for (auto &b : bytes)
      b = uint8_t(rng());
    std::memcpy(t.data(), bytes.data(), bytes.size());
  }
  return t;
}

// The value of element i as a double.
double valueAt(const Tensor &t, int64_t i) {
  DType dt = t.dtype();
  if (dt.bits() < 8)
    return tessel::vm::decode(dt, tessel::vm::readBits(t.dataAs<uint8_t>(), size_t(i), dt.bits()));
  uint32_t code = 0;
  std::memcpy(&code, t.dataAs<uint8_t>() + i * (dt.bits() / 8), dt.bits() / 8);
  return tessel::vm::decode(dt, code);
}

void printSummary(const std::string &name, const Tensor &t) {
  std::printf("%s: %s\n", name.c_str(), t.describe().c_str());
  int64_t n = t.numElements();
  if (n == 0)
    return;
  double lo = INFINITY, hi = -INFINITY, sum = 0;
  int64_t nans = 0;
  for (int64_t i = 0; i < n; ++i) {
    double v = valueAt(t, i);
    if (std::isnan(v)) {
      ++nans;
      continue;
    }
    lo = std::min(lo, v);
    hi = std::max(hi, v);
    sum += v;
  }
  std::printf("  min %.6g  max %.6g  mean %.6g", lo, hi, sum / double(n - nans));
  if (nans)
    std::printf("  NaN %lld", (long long)nans);
  std::printf("\n  first:");
  for (int64_t i = 0; i < std::min<int64_t>(n, 8); ++i)
    std::printf(" %.6g", valueAt(t, i));
  std::printf("%s\n", n > 8 ? " ..." : "");
}

absl::StatusOr<std::vector<Tensor>> runOn(const std::string &deviceSpec, const Options &o,
                                          const std::vector<Tensor> &inputs,
                                          std::string *deviceName) {
  std::shared_ptr<Instance> instance = Instance::create();
  absl::StatusOr<std::shared_ptr<Device>> device = instance->openDevice(deviceSpec);
  if (!device.ok())
    return device.status();
  if (deviceName)
    *deviceName = (*device)->name();
  absl::StatusOr<std::shared_ptr<Module>> module = Module::loadFile(*device, o.module);
  if (!module.ok())
    return module.status();
  absl::StatusOr<Function> fn = (*module)->function(o.function);
  if (!fn.ok())
    return fn.status();
  return fn->invoke(inputs);
}

// --precompile: every kernel of the module, for each architecture, into the kernel cache.
int precompile(const Options &o) {
  std::ifstream in(o.module, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) {
    std::fprintf(stderr, "tessel-run: cannot read %s\n", o.module.c_str());
    return 1;
  }
  absl::StatusOr<std::shared_ptr<const tessel::vm::Program>> program =
      tessel::vm::loadProgram(reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size());
  if (!program.ok()) {
    std::fprintf(stderr, "tessel-run: %s: %s\n", o.module.c_str(),
                 std::string(program.status().message()).c_str());
    return 1;
  }
  std::string ptxas = o.ptxas;
  if (ptxas.empty()) {
    const char *env = std::getenv("TESSEL_PTXAS");
    struct stat st;
    ptxas = env && *env ? env : stat("/usr/local/cuda/bin/ptxas", &st) == 0 ? "/usr/local/cuda/bin/ptxas" : "ptxas";
  }
  tessel::cuda::KernelCache cache;
  size_t start = 0;
  while (start <= o.precompile.size()) {
    size_t comma = o.precompile.find(',', start);
    std::string arch = o.precompile.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    start = comma == std::string::npos ? o.precompile.size() + 1 : comma + 1;
    absl::StatusOr<tessel::cuda::DeviceTarget> device = tessel::cuda::deviceTarget(arch);
    if (!device.ok())
      return usageError("--precompile: " + std::string(device.status().message()));
    absl::StatusOr<tessel::cuda::Precompiled> n = tessel::cuda::precompileKernels(**program, *device, ptxas, cache);
    if (!n.ok()) {
      std::fprintf(stderr, "tessel-run: %s: precompiling for %s: %s\n", o.module.c_str(), arch.c_str(),
                   std::string(n.status().message()).c_str());
      return 1;
    }
    std::string variants =
        n->variants == 0 ? "" : absl::StrCat(" (and ", n->variants, " variant", n->variants == 1 ? "" : "s",
                                             " of kernels that spill)");
    std::printf("precompiled %d kernel%s%s of %s for %s (%s) into %s\n", n->kernels, n->kernels == 1 ? "" : "s",
                variants.c_str(), o.module.c_str(), arch.c_str(), device->jitArch.c_str(),
                cache.directory().c_str());
  }
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const char *prefix, std::string &out) {
      size_t n = std::strlen(prefix);
      if (arg.compare(0, n, prefix) != 0)
        return false;
      out = arg.substr(n);
      return true;
    };
    std::string v;
    if (arg == "--help" || arg == "-h") {
      std::printf("%s\n", kHelp);
      return 0;
    } else if (arg == "--random-inputs") {
      o.randomInputs = true;
    } else if (arg == "--list") {
      o.list = true;
    } else if (value("--function=", o.function) || value("--device=", o.device) ||
               value("--output-dir=", o.outputDir) || value("--compare-with=", o.compareWith) ||
               value("--precompile=", o.precompile) || value("--ptxas=", o.ptxas)) {
    } else if (value("--input=", v)) {
      size_t eq = v.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == v.size())
        return usageError("--input takes NAME=FILE.npy, got '" + v + "'");
      o.inputs[v.substr(0, eq)] = v.substr(eq + 1);
    } else if (value("--seed=", v)) {
      int64_t s;
      if (!parseInt(v, s))
        return usageError("--seed takes an integer");
      o.seed = uint64_t(s);
    } else if (value("--dim=", v)) {
      if (!parseInt(v, o.dim) || o.dim < 0)
        return usageError("--dim takes a non-negative integer");
    } else if (value("--iterations=", v)) {
      int64_t n;
      if (!parseInt(v, n) || n < 1)
        return usageError("--iterations takes a positive integer");
      o.iterations = int(n);
    } else if (value("--tolerance=", v)) {
      char *end = nullptr;
      o.rtol = std::strtod(v.c_str(), &end);
      if (*end == ',')
        o.atol = std::strtod(end + 1, &end);
      if (*end != '\0' || o.rtol < 0)
        return usageError("--tolerance takes R or R,A");
      if (o.atol < 0)
        o.atol = 0;
    } else if (!arg.empty() && arg[0] == '-') {
      return usageError("unknown option '" + arg + "'");
    } else if (o.module.empty()) {
      o.module = arg;
    } else {
      return usageError("one module only (got '" + o.module + "' and '" + arg + "')");
    }
  }
  if (o.module.empty())
    return usageError("no module given");
  if (!o.precompile.empty())
    return precompile(o);

  // Learn the function's signature (and list it) on the CPU, which always exists.
  std::shared_ptr<Instance> instance = Instance::create();
  absl::StatusOr<std::shared_ptr<Device>> cpu = instance->openDevice("cpu");
  absl::StatusOr<std::shared_ptr<Module>> module = Module::loadFile(*cpu, o.module);
  if (!module.ok()) {
    std::fprintf(stderr, "tessel-run: %s\n", std::string(module.status().message()).c_str());
    return 1;
  }
  if (o.list) {
    for (const std::string &name : (*module)->functionNames()) {
      absl::StatusOr<Function> f = (*module)->function(name);
      std::printf("%s(", name.c_str());
      for (size_t i = 0; i < f->inputs().size(); ++i)
        std::printf("%s%s: %s %s", i ? ", " : "", specName(f->inputs()[i], i).c_str(),
                    f->inputs()[i].dtype.name().c_str(), formatShape(f->inputs()[i].shape).c_str());
      std::printf(") ->");
      for (size_t i = 0; i < f->outputs().size(); ++i)
        std::printf("%s %s: %s %s", i ? "," : "", specName(f->outputs()[i], i).c_str(),
                    f->outputs()[i].dtype.name().c_str(), formatShape(f->outputs()[i].shape).c_str());
      std::printf("\n");
    }
    return 0;
  }
  absl::StatusOr<Function> fn = (*module)->function(o.function);
  if (!fn.ok()) {
    std::fprintf(stderr, "tessel-run: %s\n", std::string(fn.status().message()).c_str());
    return 1;
  }
  std::vector<Tensor> inputs(fn->inputs().size());
  std::mt19937_64 rng(o.seed);
  std::map<std::string, std::string> pending = o.inputs;
  for (size_t i = 0; i < fn->inputs().size(); ++i) {
    const TensorSpec &spec = fn->inputs()[i];
    std::string file;
    for (const std::string &key : {spec.name, std::to_string(i)}) {
      auto it = key.empty() ? pending.end() : pending.find(key);
      if (it != pending.end()) {
        file = it->second;
        pending.erase(it);
      }
    }
    if (!file.empty()) {
      absl::StatusOr<Tensor> t = inputFromNpy(file, spec);
      if (!t.ok()) {
        std::fprintf(stderr, "tessel-run: input %s: %s\n", specName(spec, i).c_str(),
                     std::string(t.status().message()).c_str());
        return 1;
      }
      inputs[i] = *t;
    } else if (o.randomInputs) {
      inputs[i] = randomInput(spec, o.dim, rng);
    } else {
      std::fprintf(stderr, "tessel-run: no value for input %s (%s %s); give --input=%s=FILE.npy or --random-inputs\n",
                   specName(spec, i).c_str(), spec.dtype.name().c_str(), formatShape(spec.shape).c_str(),
                   specName(spec, i).c_str());
      return 1;
    }
  }
  if (!pending.empty())
    return usageError("no input named '" + pending.begin()->first + "'");

  std::string deviceName;
  auto start = std::chrono::steady_clock::now();
  absl::StatusOr<std::vector<Tensor>> outputs = runOn(o.device, o, inputs, &deviceName);
  if (!outputs.ok()) {
    std::fprintf(stderr, "tessel-run: %s\n", std::string(outputs.status().message()).c_str());
    return 1;
  }
  double firstSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::fprintf(stderr, "tessel-run: %s on %s (%.3f s)\n", fn->name().c_str(), deviceName.c_str(), firstSeconds);
  for (size_t i = 0; i < outputs->size(); ++i) {
    std::string name = specName(fn->outputs()[i], i);
    printSummary(name, (*outputs)[i]);
    if (!o.outputDir.empty()) {
      ::mkdir(o.outputDir.c_str(), 0755);
      absl::Status s = writeNpy(o.outputDir + "/" + name + ".npy", (*outputs)[i]);
      if (!s.ok()) {
        std::fprintf(stderr, "tessel-run: %s\n", std::string(s.message()).c_str());
        return 1;
      }
    }
  }
  if (o.iterations > 0) {
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < o.iterations; ++i) {
      absl::StatusOr<std::vector<Tensor>> again = runOn(o.device, o, inputs, nullptr);
      if (!again.ok()) {
        std::fprintf(stderr, "tessel-run: %s\n", std::string(again.status().message()).c_str());
        return 1;
      }
    }
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("time: %.3f ms per call (%d calls, module load included)\n", 1e3 * s / o.iterations, o.iterations);
  }
  if (!o.compareWith.empty()) {
    std::string otherName;
    absl::StatusOr<std::vector<Tensor>> other = runOn(o.compareWith, o, inputs, &otherName);
    if (!other.ok()) {
      std::fprintf(stderr, "tessel-run: %s\n", std::string(other.status().message()).c_str());
      return 1;
    }
    bool allOk = true;
    for (size_t i = 0; i < outputs->size(); ++i) {
      const Tensor &a = (*outputs)[i], &b = (*other)[i];
      DType dt = a.dtype();
      double rtol = o.rtol, atol = o.atol;
      if (rtol < 0) {
        rtol = dt == DType::f32() ? 1e-3 : dt.isFloat() ? 1e-2 : 0;
        atol = dt == DType::f32() ? 1e-5 : dt.isFloat() ? 1e-3 : 0;
      }
      double maxAbs = 0, maxRel = 0;
      int64_t bad = 0;
      for (int64_t e = 0; e < a.numElements(); ++e) {
        double x = valueAt(a, e), y = valueAt(b, e);
        if ((std::isnan(x) && std::isnan(y)) || x == y) // equal infinities too
          continue;
        double d = std::fabs(x - y);
        if (std::isnan(d))
          d = INFINITY;
        maxAbs = std::max(maxAbs, d);
        if (y != 0)
          maxRel = std::max(maxRel, d / std::fabs(y));
        if (!(d <= atol + rtol * std::fabs(y)))
          ++bad;
      }
      std::printf("compare %s: %s vs %s: max abs %.3g, max rel %.3g, %lld of %lld beyond tolerance (rtol %g, atol %g)\n",
                  specName(fn->outputs()[i], i).c_str(), deviceName.c_str(), otherName.c_str(), maxAbs,
                  maxRel, (long long)bad, (long long)a.numElements(), rtol, atol);
      allOk = allOk && bad == 0;
    }
    if (!allOk)
      return 1;
  }
  return 0;
}
