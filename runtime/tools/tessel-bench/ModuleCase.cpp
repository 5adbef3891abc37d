#include "ModuleCase.h"

#include "vm/Backend.h"
#include "vm/BitPack.h"
#include "vm/Codec.h"
#include "vm/Numerics.h"
#include "vm/HostInterpreter.h"
#include "vm/Program.h"
#include "vm/Repack.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>

namespace tessel::bench {

absl::StatusOr<std::vector<LowBitGemmModule>> readManifest(const std::string &path) {
  std::ifstream in(path);
  if (!in)
    return absl::NotFoundError(absl::StrCat(path, ": cannot open the module manifest"));
  std::string directory;
  if (size_t slash = path.rfind('/'); slash != std::string::npos)
    directory = path.substr(0, slash + 1);
  std::vector<LowBitGemmModule> modules;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (size_t hash = line.find('#'); hash != std::string::npos)
      line.resize(hash);
    std::vector<std::string> fields = absl::StrSplit(line, ' ', absl::SkipWhitespace());
    if (fields.empty())
      continue;
    auto error = [&](const std::string &what) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", number, ": ", what));
    };
    if (fields.size() != 6)
      return error("expected 'label type group m-min m-max module'");
    LowBitGemmModule m;
    m.label = fields[0];
    std::optional<vm::DType> type = vm::DType::parse(fields[1]);
    if (!type || type->bits() > 8 || type->bits() == 0)
      return error(absl::StrCat("'", fields[1], "' is not a 1..8-bit code type"));
    m.codeType = *type;
    if (!absl::SimpleAtoi(fields[2], &m.group) || m.group < 0 ||
        !absl::SimpleAtoi(fields[3], &m.minRows) || m.minRows < 1 ||
        !absl::SimpleAtoi(fields[4], &m.maxRows) || m.maxRows < m.minRows)
      return error("group must be >= 0 and 1 <= m-min <= m-max");
    m.path = fields[5].front() == '/' ? fields[5] : directory + fields[5];
    modules.push_back(std::move(m));
  }
  return modules;
}

namespace {

/// A backend that runs a host function without a device: allocations get addresses in a
/// range no real allocation uses, copies do nothing, launches are recorded.
class DryRunBackend final : public vm::Backend {
public:
  static constexpr vm::DeviceAddress kBase = vm::DeviceAddress(1) << 60;
  struct Launch {
    uint32_t kernel;
    vm::Grid grid;
    std::vector<vm::KernelArgument> args;
  };

  /// Constants come from `real`; without one (tessel-bench --list) a module with
  /// constants can not be dry-run.
  explicit DryRunBackend(cuda::CudaBackend *real) : real_(real) {}
  std::string name() const override { return "dry-run"; }
  absl::StatusOr<vm::DeviceAddress> allocate(uint64_t bytes) override {
    vm::DeviceAddress address = next_;
    next_ += (bytes + 511) / 256 * 256;
    allocations[address] = bytes;
    return address;
  }
  absl::StatusOr<vm::DeviceAddress> allocateUninitialized(uint64_t bytes) override {
    absl::StatusOr<vm::DeviceAddress> address = allocate(bytes);
    if (address.ok())
      uninitialized.insert(*address);
    return address;
  }
  void deallocate(vm::DeviceAddress) override {}
  absl::Status copyToDevice(vm::DeviceAddress dst, const void *src, uint64_t) override {
    uploads[dst] = src;
    return absl::OkStatus();
  }
  absl::Status copyToHost(void *, vm::DeviceAddress, uint64_t) override { return absl::OkStatus(); }
  absl::StatusOr<vm::DeviceAddress> constantAddress(const vm::Program &program,
                                                    uint32_t index) override {
    if (!real_)
      return absl::UnimplementedError("constants need a GPU");
    return real_->constantAddress(program, index);
  }
  absl::Status launch(const vm::Program &, uint32_t kernel, const vm::Grid &grid,
                      const std::vector<vm::KernelArgument> &args) override {
    launches.push_back({kernel, grid, args});
    return absl::OkStatus();
  }
  /// The GPU's answer; without one (--list), an H100's 132 SMs times the blocks the
  /// kernel asks to fit on one (min_blocks_per_sm, at least 1).
  absl::StatusOr<int64_t> residentBlocks(const vm::Program &program, uint32_t kernel) override {
    if (real_)
      return real_->residentBlocks(program, kernel);
    return int64_t(132) * std::max<int64_t>(1, program.functions()[kernel].minBlocksPerSm);
  }

  std::map<vm::DeviceAddress, uint64_t> allocations;
  std::set<vm::DeviceAddress> uninitialized; // of allocations: no fill before a run
  std::map<vm::DeviceAddress, const void *> uploads;
  std::vector<Launch> launches;

private:
  cuda::CudaBackend *real_;
  vm::DeviceAddress next_ = kBase;
};

struct ModuleState {
  std::vector<uint8_t> bytes;
  std::shared_ptr<const vm::Program> program;
  uint32_t function = 0;
};

absl::StatusOr<std::shared_ptr<ModuleState>> loadModule(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  auto state = std::make_shared<ModuleState>();
  std::ostringstream contents;
  contents << in.rdbuf();
  std::string text = contents.str();
  state->bytes.assign(text.begin(), text.end());
  absl::StatusOr<std::shared_ptr<const vm::Program>> program =
      vm::loadProgram(state->bytes.data(), state->bytes.size());
  if (!program.ok())
    return absl::Status(program.status().code(),
                        absl::StrCat(path, ": ", program.status().message()));
  state->program = *program;
  std::optional<uint32_t> main = state->program->findFunction("main");
  if (!main)
    return absl::InvalidArgumentError(absl::StrCat(path, ": no host function 'main'"));
  state->function = *main;
  return state;
}

struct GemmRun {
  std::shared_ptr<ModuleState> module;
  cuda::CudaBackend *backend = nullptr;
  /// x, w, s[, m] on the device, and the outputs the host function allocates (zeroed
  /// before every run unless allocated uninitialized).
  std::vector<cuda::DeviceBuffer> inputs, outputs;
  std::vector<bool> outputZeroed;
  std::vector<DryRunBackend::Launch> launches;
};

uint32_t codeAt(const std::vector<uint8_t> &packed, int64_t n, int64_t k, int64_t numN,
                unsigned bits) {
  return vm::readBitsAt(packed.data(), vm::mmaK128BitOffset(n, k, numN, bits), bits);
}
double f16At(const std::vector<uint8_t> &bytes, int64_t index) {
  return vm::halfToFloat(uint32_t(bytes[2 * index]) | uint32_t(bytes[2 * index + 1]) << 8);
}

/// The random fill's seed of input i (x, w, s, m).
constexpr uint32_t kInputSeeds[4] = {11, 12, 13, 14};

/// Distinct addresses that stand for the host function's inputs in the dry run.
const char *inputMarkers() {
  static const char markers[8] = {};
  return markers;
}

/// The host function's inputs at `shape`: x, w, s and, when it takes four, m. Their data
/// pointers are inputMarkers() + i (nothing to read: for the dry run).
std::vector<vm::HostTensorRef> inputRefs(const ModuleState &module, const GemmShape &shape,
                                         unsigned bits, int64_t groups) {
  const vm::Function &main = module.program->functions()[module.function];
  std::vector<vm::HostTensorRef> refs;
  auto add = [&](vm::DType dtype, std::vector<int64_t> dims, uint64_t bytes) {
    refs.push_back({dtype, std::move(dims), inputMarkers() + refs.size(), bytes});
  };
  add(vm::DType::f16(), {shape.m, shape.k}, 2 * uint64_t(shape.m * shape.k));
  add(vm::DType::signlessInt(8), {shape.k / 128, shape.n / 8, 128 * int64_t(bits)},
      vm::mmaK128Bytes(shape.n, shape.k, bits));
  add(vm::DType::f16(), {groups, shape.n}, 2 * uint64_t(groups * shape.n));
  if (main.arguments().size() == 4)
    add(vm::DType::f16(), {groups, shape.n}, 2 * uint64_t(groups * shape.n));
  return refs;
}

/// Runs the module's host function for `shape` on `dry`.
absl::Status dryRun(const ModuleState &module, DryRunBackend &dry, const GemmShape &shape,
                    unsigned bits, int64_t groups) {
  return vm::runHostFunction(*module.program, module.function, dry,
                             inputRefs(module, shape, bits, groups))
      .status();
}

/// Enqueues one run as the host function does: the zero-fill of the outputs it allocates
/// zeroed, then the recorded launches.
absl::Status runOnce(const std::shared_ptr<GemmRun> &run) {
  for (size_t i = 0; i < run->outputs.size(); ++i)
    if (run->outputZeroed[i])
      if (absl::Status s = run->backend->fillAsync(run->outputs[i].address(), 0, run->outputs[i].size());
          !s.ok())
        return s;
  for (const DryRunBackend::Launch &launch : run->launches)
    if (absl::Status s = run->backend->launchAsync(*run->module->program, launch.kernel,
                                                   launch.grid, launch.args);
        !s.ok())
      return s;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<uint8_t>> download(cuda::CudaBackend &backend,
                                              const cuda::DeviceBuffer &buffer, uint64_t bytes) {
  std::vector<uint8_t> host(bytes);
  if (absl::Status s = backend.copyToHost(host.data(), buffer.address(), bytes); !s.ok())
    return s;
  return host;
}

/// Checks 48 elements of `y` (M x N f32) against an fp64 evaluation of
/// y[i,n] = sum_k x[i,k] * (s[g,n] * decode(w[n,k]) + m[g,n]), g = k / group, from the
/// host bytes of x, w, s (and m). The kernel rounds the dequantized weight to f16 and
/// accumulates in f32, so each term may be off by about 2^-10 of its magnitude; a wrong
/// fragment or order mapping is off by O(1).
absl::Status checkResult(const LowBitGemmModule &module, const GemmShape &shape, unsigned bits,
                         int64_t group, const std::vector<std::vector<uint8_t>> &in,
                         const std::vector<uint8_t> &y) {
  if (in.size() < 3 || y.size() < 4 * uint64_t(shape.m * shape.n))
    return absl::InternalError("the host function's inputs or output are missing");
  std::mt19937_64 rng(uint64_t(shape.m * 31 + shape.n * 7 + shape.k));
  int checked = 0;
  for (int t = 0; t < 48; ++t) {
    int64_t i = t == 0 ? 0 : int64_t(rng() % uint64_t(shape.m));
    int64_t n = t == 0 ? 0 : int64_t(rng() % uint64_t(shape.n));
    if (t == 1) // the last element: tails of the grid
      i = shape.m - 1, n = shape.n - 1;
    double sum = 0, magnitude = 0;
    for (int64_t k = 0; k < shape.k; ++k) {
      int64_t g = k / group;
      double w = vm::decode(module.codeType, codeAt(in[1], n, k, shape.n, bits)) *
                 f16At(in[2], g * shape.n + n);
      if (in.size() > 3)
        w += f16At(in[3], g * shape.n + n);
      double term = f16At(in[0], i * shape.k + k) * w;
      sum += term;
      magnitude += std::fabs(term);
    }
    if (!std::isfinite(sum))
      continue; // a NaN code in the random weights
    float got;
    std::memcpy(&got, y.data() + 4 * (i * shape.n + n), 4);
    double tolerance = magnitude * 0x1p-9 + 1e-3;
    if (!(std::fabs(double(got) - sum) <= tolerance))
      return absl::InternalError(absl::StrCat("tessel-", module.label, " at ", shape.str(), ": y[", i,
                                              ",", n, "] = ", got, ", expected ", sum,
                                              " (tolerance ", tolerance, ")"));
    ++checked;
  }
  if (checked == 0)
    return absl::InternalError(absl::StrCat("tessel-", module.label, ": no finite reference to check"));
  return absl::OkStatus();
}

/// checkResult on the GPU run's buffers.
absl::Status checkOnHost(const GemmRun &run, const LowBitGemmModule &module,
                         const GemmShape &shape, unsigned bits, int64_t group) {
  cuda::CudaBackend &backend = *run.backend;
  if (absl::Status s = backend.synchronize(); !s.ok())
    return s;
  if (run.outputs.empty())
    return absl::InternalError("the host function did not allocate an output");
  std::vector<std::vector<uint8_t>> in;
  for (const cuda::DeviceBuffer &buffer : run.inputs) {
    absl::StatusOr<std::vector<uint8_t>> host = download(backend, buffer, buffer.size());
    if (!host.ok())
      return host.status();
    in.push_back(std::move(*host));
  }
  absl::StatusOr<std::vector<uint8_t>> y =
      download(backend, run.outputs[0], 4 * uint64_t(shape.m * shape.n));
  if (!y.ok())
    return y.status();
  return checkResult(module, shape, bits, group, in, *y);
}

} // namespace

BenchCase makeLowBitGemmCase(const LowBitGemmModule &module, const GemmShape &shape,
                             std::shared_ptr<GemmContext> context) {
  const unsigned bits = module.codeType.bits();
  const int64_t group = module.group == 0 ? shape.k : module.group;
  const int64_t groups = shape.k / group;
  const uint64_t weightBytes = vm::mmaK128Bytes(shape.n, shape.k, bits);
  const bool offsets = module.codeType.isUnsignedInteger();
  const uint64_t scaleBytes = 2 * uint64_t(groups * shape.n) * (offsets ? 2 : 1);

  BenchCase c;
  c.name = absl::StrCat("tessel-", module.label);
  c.shape = shape.str();
  c.bytesMoved = weightBytes + scaleBytes + 2 * uint64_t(shape.m * shape.k) +
                 4 * uint64_t(shape.m * shape.n);
  c.flops = 2.0 * double(shape.m) * double(shape.n) * double(shape.k);
  c.compareWithCublas = shape;
  auto run = std::make_shared<GemmRun>();

  c.setup = [run, module, shape, context, bits, group, groups](
                cuda::CudaBackend &backend) -> absl::Status {
    if (shape.n % 8 != 0 || shape.k % 128 != 0 || shape.k % group != 0)
      return absl::InvalidArgumentError("needs N % 8 == 0, K % 128 == 0, K % group == 0");
    run->backend = &backend;
    DeviceRandom *random = context->random.get();
    if (!random)
      return absl::FailedPreconditionError("no random fill kernel");
    if (!run->module) {
      absl::StatusOr<std::shared_ptr<ModuleState>> loaded = loadModule(module.path);
      if (!loaded.ok())
        return loaded.status();
      run->module = *loaded;
    }
    const vm::Program &program = *run->module->program;
    DryRunBackend dry(&backend);
    if (absl::Status s = dryRun(*run->module, dry, shape, bits, groups); !s.ok())
      return absl::Status(s.code(), absl::StrCat(module.path, ": ", s.message()));
    const char *markers = inputMarkers();
    
    // Real buffers for the dry run's allocations: inputs filled with random f16 bits, the
    // rest (outputs, temporaries) zero-filled before every run unless the host function
    // allocates them uninitialized.
    std::map<vm::DeviceAddress, std::pair<bool, size_t>> real; // dry address -> (input?, index)
    run->inputs.clear();
    run->outputs.clear();
    run->outputZeroed.clear();
    for (auto [address, bytes] : dry.allocations) {
      auto upload = dry.uploads.find(address);
      absl::StatusOr<cuda::DeviceBuffer> buffer = backend.allocateBuffer((bytes + 1) / 2 * 2);
      if (!buffer.ok())
        return buffer.status();
      if (upload != dry.uploads.end()) {
        size_t input = size_t(static_cast<const char *>(upload->second) - markers);
        if (absl::Status s = random->fillF16(buffer->address(), (bytes + 1) / 2, kInputSeeds[input]); !s.ok())
          return s;
        real[address] = {true, input};
        if (run->inputs.size() <= input)
          run->inputs.resize(input + 1);
        run->inputs[input] = std::move(*buffer);
      } else {
        real[address] = {false, run->outputs.size()};
        run->outputs.push_back(std::move(*buffer));
        run->outputZeroed.push_back(!dry.uninitialized.count(address));
      }
    }
    run->launches = dry.launches;
    for (DryRunBackend::Launch &launch : run->launches)
      for (vm::KernelArgument &arg : launch.args) {
        if (!arg.isTensor || arg.tensor.address < DryRunBackend::kBase)
          continue;
        auto owner = std::prev(real.upper_bound(arg.tensor.address));
        uint64_t offset = arg.tensor.address - owner->first;
        const cuda::DeviceBuffer &buffer = owner->second.first ? run->inputs[owner->second.second]
                                                               : run->outputs[owner->second.second];
        arg.tensor.address = buffer.address() + offset;
      }
    for (const DryRunBackend::Launch &launch : run->launches)
      if (absl::StatusOr<std::shared_ptr<cuda::LoadedKernel>> k = backend.prepareKernel(program, launch.kernel);
          !k.ok())
        return k.status();

    // One run, checked on the host at a few elements of y (the first output).
    if (absl::Status s = runOnce(run); !s.ok())
      return s;
    return checkOnHost(*run, module, shape, bits, group);
  };
  c.run = [run] { return runOnce(run); };
  c.plan = [module, shape, bits, groups]() -> absl::StatusOr<std::string> {
    absl::StatusOr<std::shared_ptr<ModuleState>> loaded = loadModule(module.path);
    if (!loaded.ok())
      return loaded.status();
    DryRunBackend dry(nullptr);
    if (absl::Status s = dryRun(**loaded, dry, shape, bits, groups); !s.ok())
      return absl::Status(s.code(), absl::StrCat(module.path, ": ", s.message()));
    std::string text;
    for (const DryRunBackend::Launch &launch : dry.launches)
      absl::StrAppend(&text, text.empty() ? "" : "; ",
                      (*loaded)->program->functions()[launch.kernel].name, " grid ",
                      launch.grid.x, "x", launch.grid.y, "x", launch.grid.z,
                      launch.grid.overlapPrevious ? " overlapping" : "");
    return text;
  };
  c.teardown = [run] {
    run->inputs.clear();
    run->outputs.clear();
    run->outputZeroed.clear();
    run->launches.clear();
  };
  return c;
}

absl::Status checkOnExecutor(const LowBitGemmModule &module, const GemmShape &shape,
                             vm::Backend &backend) {
  const unsigned bits = module.codeType.bits();
  const int64_t group = module.group == 0 ? shape.k : module.group;
  if (shape.n % 8 != 0 || shape.k % 128 != 0 || shape.k % group != 0)
    return absl::InvalidArgumentError("needs N % 8 == 0, K % 128 == 0, K % group == 0");
  absl::StatusOr<std::shared_ptr<ModuleState>> loaded = loadModule(module.path);
  if (!loaded.ok())
    return loaded.status();
  // The inputs the GPU case gets: DeviceRandom's f16 values over every input's bytes.
  std::vector<vm::HostTensorRef> refs = inputRefs(**loaded, shape, bits, shape.k / group);
  std::vector<std::vector<uint8_t>> in(refs.size());
  for (size_t i = 0; i < refs.size(); ++i) {
    in[i].resize((refs[i].bytes + 1) / 2 * 2);
    for (uint64_t e = 0; e < in[i].size() / 2; ++e) {
      uint16_t v = DeviceRandom::expectedF16(e, kInputSeeds[i]);
      in[i][2 * e] = uint8_t(v), in[i][2 * e + 1] = uint8_t(v >> 8);
    }
    refs[i].data = in[i].data();
  }
  absl::StatusOr<std::vector<vm::HostTensor>> result =
      vm::runHostFunction(*(*loaded)->program, (*loaded)->function, backend, refs);
  if (!result.ok())
    return result.status();
  if (result->empty())
    return absl::InternalError("the host function returned nothing");
  return checkResult(module, shape, bits, group, in, result->front().data);
}

} // namespace tessel::bench
