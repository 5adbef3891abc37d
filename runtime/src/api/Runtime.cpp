// The C++ API of the runtime (tessel/runtime/Runtime.h) over the loader, the host
// interpreter and the backends.
#include "tessel/runtime/Runtime.h"

#include "cpu/CpuBackend.h"
#include "cuda/CudaBackendFactory.h"
#include "cuda/PtxSimBackend.h"
#include "vm/HostInterpreter.h"
#include "vm/Program.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/str_join.h"

#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace tessel::runtime {
namespace {

// The PTX simulator's device string; its flags select the CUDA backend's spill variants.
constexpr const char *kPtxSimUsage = "ptx-sim[:sm_XX][:exact-casts][:narrow-cast-views][:no-row-pair-ldmatrix]";

class BackendDevice : public Device {
public:
  BackendDevice(DeviceKind kind, std::unique_ptr<vm::Backend> backend)
      : kind_(kind), backend_(std::move(backend)) {}
  DeviceKind kind() const override { return kind_; }
  std::string name() const override { return backend_->name(); }
  vm::Backend &backend() override { return *backend_; }

private:
  DeviceKind kind_;
  std::unique_ptr<vm::Backend> backend_;
};

class InstanceImpl : public Instance {
public:
  explicit InstanceImpl(InstanceOptions options) : options_(std::move(options)) {
    if (!options_.notice)
      options_.notice = [](std::string_view text) {
        std::fprintf(stderr, "tessel: %.*s\n", int(text.size()), text.data());
      };
  }
  const InstanceOptions &options() const override { return options_; }

  absl::StatusOr<std::shared_ptr<Device>> openDevice(std::string_view spec) override {
    if (spec == "cpu") {
      cpu::CpuBackendOptions o;
      o.threads = unsigned(std::max(0, options_.cpuThreads));
      return std::shared_ptr<Device>(
          new BackendDevice(DeviceKind::kCpu, std::make_unique<cpu::CpuBackend>(o)));
    }
    if (spec == "ptx-sim" || spec.rfind("ptx-sim:", 0) == 0) {
      // kPtxSimUsage: an architecture and flags, each at most once.
      std::string arch;
      bool exactCasts = false, narrowViews = false, noRowPairs = false;
      if (spec.size() > 7) {
        for (absl::string_view part : absl::StrSplit(absl::string_view(spec.data() + 8, spec.size() - 8), ':')) {
          bool *flag = part == "exact-casts"            ? &exactCasts
                       : part == "narrow-cast-views"    ? &narrowViews
                       : part == "no-row-pair-ldmatrix" ? &noRowPairs
                                                        : nullptr;
          bool isArch = part.rfind("sm_", 0) == 0;
          std::string what = part.empty()                          ? "an empty option"
                             : (flag && *flag) || (isArch && !arch.empty()) ? "a repeated option"
                             : !flag && !isArch                    ? "an unknown option"
                                                                   : "";
          if (!what.empty())
            return absl::InvalidArgumentError(
                absl::StrCat(what, " '", std::string(part), "' in device '", std::string(spec),
                             "' (", kPtxSimUsage, ")"));
          if (flag)
            *flag = true;
          else
            arch = std::string(part);
        }
      }
      if (arch.empty())
        arch = "sm_80";
      absl::StatusOr<cuda::Target> target = cuda::Target::parse(arch);
      if (!target.ok())
        return target.status();
      target->foldCastConstants = !exactCasts;
      target->narrowCastViews = narrowViews;
      target->rowPairsByLdmatrix = !noRowPairs;
      return std::shared_ptr<Device>(
          new BackendDevice(DeviceKind::kCpu, std::make_unique<cuda::PtxSimBackend>(*target)));
    }
    if (spec == "cuda" || spec.rfind("cuda:", 0) == 0) {
      int ordinal = 0;
      if (spec.size() > 5) {
        std::string digits(spec.substr(5));
        char *end = nullptr;
        long v = std::strtol(digits.c_str(), &end, 10);
        if (digits.empty() || *end != '\0' || v < 0)
          return absl::InvalidArgumentError(absl::StrCat("bad device '", std::string(spec), "': cuda:N needs a GPU number"));
        ordinal = int(v);
      }
      absl::StatusOr<std::unique_ptr<vm::Backend>> backend = cuda::openCudaBackend(ordinal, options_.cacheDir);
      if (!backend.ok())
        return backend.status();
      return std::shared_ptr<Device>(new BackendDevice(DeviceKind::kCuda, std::move(*backend)));
    }
    if (spec == "auto") {
      absl::StatusOr<std::shared_ptr<Device>> gpu = openDevice("cuda:0");
      if (gpu.ok())
        return gpu;
      options_.notice(absl::StrCat("no usable GPU (", gpu.status().message(), "); running on the CPU"));
      return openDevice("cpu");
    }
    return absl::InvalidArgumentError(
        absl::StrCat("unknown device '", std::string(spec), "' (cpu, cuda, cuda:N, auto, ", kPtxSimUsage, ")"));
  }

private:
  InstanceOptions options_;
};

std::vector<TensorSpec> specsOf(const vm::Program &program, const vm::Function &fn,
                                const std::vector<uint32_t> &types,
                                const std::vector<std::string> &names) {
  std::vector<TensorSpec> specs;
  for (size_t i = 0; i < types.size(); ++i) {
    const vm::ValueType &t = program.type(types[i]);
    TensorSpec s;
    s.name = i < names.size() ? names[i] : "";
    s.dtype = t.dtype;
    s.shape = t.shape;
    specs.push_back(std::move(s));
  }
  (void)fn;
  return specs;
}

} // namespace

std::shared_ptr<Instance> Instance::create(InstanceOptions options) {
  return std::make_shared<InstanceImpl>(std::move(options));
}

// The module's bytes: a read-only mapping of the file, or an owned aligned copy.
struct Module::Storage {
  void *mapping = nullptr;
  size_t size = 0;
  std::vector<uint8_t> owned;
  const uint8_t *data = nullptr;
  ~Storage() {
    if (mapping)
      munmap(mapping, size);
  }
};

Module::Module(std::shared_ptr<Device> device, std::unique_ptr<Storage> storage,
               std::shared_ptr<const vm::Program> program)
    : device_(std::move(device)), storage_(std::move(storage)), program_(std::move(program)) {}

Module::~Module() { program_.reset(); } // before the bytes it points into

absl::StatusOr<std::shared_ptr<Module>> Module::loadFile(std::shared_ptr<Device> device,
                                                         const std::string &path) {
  if (!device)
    return absl::InvalidArgumentError("Module::loadFile: no device");
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return absl::NotFoundError(absl::StrCat(path, ": cannot open (", std::strerror(errno), ")"));
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a regular file"));
  }
  auto storage = std::make_unique<Storage>();
  storage->size = size_t(st.st_size);
  if (storage->size > 0) {
    storage->mapping = mmap(nullptr, storage->size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (storage->mapping == MAP_FAILED) {
      storage->mapping = nullptr;
      ::close(fd);
      return absl::InternalError(absl::StrCat(path, ": mmap failed (", std::strerror(errno), ")"));
    }
  }
  ::close(fd);
  storage->data = static_cast<const uint8_t *>(storage->mapping);
  absl::StatusOr<std::shared_ptr<const vm::Program>> program = vm::loadProgram(storage->data, storage->size);
  if (!program.ok())
    return absl::Status(program.status().code(), absl::StrCat(path, ": ", program.status().message()));
  return std::shared_ptr<Module>(new Module(std::move(device), std::move(storage), std::move(*program)));
}

absl::StatusOr<std::shared_ptr<Module>> Module::loadBytes(std::shared_ptr<Device> device,
                                                          const void *data, size_t size) {
  if (!device)
    return absl::InvalidArgumentError("Module::loadBytes: no device");
  if (!data && size > 0)
    return absl::InvalidArgumentError("Module::loadBytes: no data");
  auto storage = std::make_unique<Storage>();
  // 64-byte aligned so constants can be used in place.
  storage->owned.resize(size + 64);
  uint8_t *aligned = storage->owned.data() + (64 - reinterpret_cast<uintptr_t>(storage->owned.data()) % 64) % 64;
  if (size)
    std::memcpy(aligned, data, size);
  storage->data = aligned;
  storage->size = size;
  absl::StatusOr<std::shared_ptr<const vm::Program>> program = vm::loadProgram(storage->data, size);
  if (!program.ok())
    return program.status();
  return std::shared_ptr<Module>(new Module(std::move(device), std::move(storage), std::move(*program)));
}

std::vector<std::string> Module::functionNames() const {
  std::vector<std::string> names;
  for (const vm::Function &f : program_->functions())
    if (f.kind == vm::FunctionKind::kHost)
      names.push_back(f.name);
  return names;
}

absl::StatusOr<Function> Module::function(std::string_view name) const {
  std::vector<std::string> names = functionNames();
  std::string wanted(name);
  if (wanted.empty()) {
    if (names.size() == 1)
      wanted = names[0];
    else if (std::find(names.begin(), names.end(), "main") != names.end())
      wanted = "main";
    else
      return absl::InvalidArgumentError(absl::StrCat(
          "the module has ", names.size(), " functions (", absl::StrJoin(names, ", "),
          ") and none is called main: name one"));
  }
  std::optional<uint32_t> index = program_->findFunction(wanted);
  if (!index || program_->functions()[*index].kind != vm::FunctionKind::kHost)
    return absl::NotFoundError(absl::StrCat("no function '", wanted, "' (the module has: ",
                                            absl::StrJoin(names, ", "), ")"));
  Function f;
  f.module_ = shared_from_this();
  f.index_ = *index;
  const vm::Function &fn = program_->functions()[*index];
  std::vector<uint32_t> argTypes;
  for (uint32_t id : fn.arguments())
    argTypes.push_back(fn.valueTypes[id]);
  f.inputs_ = specsOf(*program_, fn, argTypes, fn.argumentNames);
  f.outputs_ = specsOf(*program_, fn, fn.resultTypes, fn.resultNames);
  return f;
}

const std::string &Function::name() const { return module_->program_->functions()[index_].name; }

absl::StatusOr<std::vector<Tensor>> Function::invoke(const std::vector<Tensor> &inputs) const {
  if (!module_)
    return absl::FailedPreconditionError("Function::invoke on an empty Function");
  if (inputs.size() != inputs_.size())
    return absl::InvalidArgumentError(absl::StrCat(name(), " takes ", inputs_.size(),
                                                   " inputs, got ", inputs.size()));
  std::vector<vm::HostTensorRef> refs;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor &t = inputs[i];
    if (!t.isValid())
      return absl::InvalidArgumentError(absl::StrCat("input ", i, " is an empty Tensor"));
    if (t.sizeInBytes() < Tensor::bytesFor(t.dtype(), t.shape()))
      return absl::InvalidArgumentError(absl::StrCat("input ", i, " (", t.describe(), ") has ",
                                                     t.sizeInBytes(), " bytes, needs ",
                                                     Tensor::bytesFor(t.dtype(), t.shape())));
    refs.push_back({t.dtype(), t.shape(), t.data(), t.sizeInBytes()});
  }
  Module &module = const_cast<Module &>(*module_);
  absl::StatusOr<std::vector<vm::HostTensor>> results =
      vm::runHostFunction(*module.program_, index_, module.device_->backend(), refs);
  if (!results.ok())
    return results.status();
  std::vector<Tensor> outputs;
  for (vm::HostTensor &r : *results) {
    Tensor t = Tensor::allocate(r.dtype, r.shape);
    std::memcpy(t.data(), r.data.data(), std::min(r.data.size(), t.sizeInBytes()));
    outputs.push_back(std::move(t));
  }
  return outputs;
}

} // namespace tessel::runtime
