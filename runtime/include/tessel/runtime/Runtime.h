// The Tessel runtime's C++ API: load a compiled module (.tslm) and run its functions on
// the CPU reference executor or an NVIDIA GPU.
//
//   auto instance = tessel::runtime::Instance::create();
//   auto device = instance->openDevice("auto");          // cuda if present, else cpu
//   auto module = tessel::runtime::Module::loadFile(*device, "model.tslm");
//   auto main = (*module)->function();                    // the only or "main" function
//   auto outputs = main->invoke({x});                     // std::vector<Tensor>
//
// Errors are absl::Status values (never exceptions or aborts): a malformed module, an
// input of the wrong type or shape, a missing GPU driver.
#ifndef TESSEL_RUNTIME_RUNTIME_H
#define TESSEL_RUNTIME_RUNTIME_H

#include "tessel/runtime/Tensor.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace tessel::vm {
class Backend;
class Program;
} // namespace tessel::vm

namespace tessel::runtime {

/// The declared type of a function input or output; -1 in `shape` marks a dimension the
/// caller chooses (bound when the function is invoked).
struct TensorSpec {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
};

struct InstanceOptions {
  /// Threads of the CPU executor's pool; 0 uses every hardware thread.
  int cpuThreads = 0;
  /// Where compiled GPU code is cached; "" uses $TESSEL_CACHE_DIR, else
  /// $XDG_CACHE_HOME/tessel, else ~/.cache/tessel.
  std::string cacheDir;
  /// Receives one-line notices (e.g. "auto" falling back to the CPU). Default: stderr.
  std::function<void(std::string_view)> notice;
};

enum class DeviceKind { kCpu, kCuda };

/// Where functions run. Obtained from Instance::openDevice.
class Device {
public:
  virtual ~Device() = default;
  virtual DeviceKind kind() const = 0;
  /// "cpu", "cuda:0 (NVIDIA H100 80GB HBM3, sm_90)", ...
  virtual std::string name() const = 0;
  /// The execution engine (internal).
  virtual vm::Backend &backend() = 0;
};

class Instance {
public:
  static std::shared_ptr<Instance> create(InstanceOptions options = {});
  virtual ~Instance() = default;

  /// "cpu", "cuda", "cuda:N", or "auto" (the first GPU when a CUDA driver and a GPU are
  /// present, else the CPU, with a notice). Errors: an unknown spec, no CUDA driver, no
  /// such GPU.
  virtual absl::StatusOr<std::shared_ptr<Device>> openDevice(std::string_view spec) = 0;
  virtual const InstanceOptions &options() const = 0;
};

class Module;

/// A function of a loaded module. Cheap to copy; keeps its module alive.
class Function {
public:
  const std::string &name() const;
  const std::vector<TensorSpec> &inputs() const { return inputs_; }
  const std::vector<TensorSpec> &outputs() const { return outputs_; }

  /// Runs the function. `inputs` match inputs() in order: same element type, same rank,
  /// the declared static dimensions; dynamic ones are bound from the tensors. Returns
  /// the outputs in host memory.
  absl::StatusOr<std::vector<Tensor>> invoke(const std::vector<Tensor> &inputs) const;

private:
  friend class Module;
  std::shared_ptr<const Module> module_;
  uint32_t index_ = 0;
  std::vector<TensorSpec> inputs_, outputs_;
};

class Module : public std::enable_shared_from_this<Module> {
public:
  /// Loads a .tslm file (memory-mapped; constants are used in place).
  static absl::StatusOr<std::shared_ptr<Module>> loadFile(std::shared_ptr<Device> device,
                                                          const std::string &path);
  /// Loads .tslm bytes (copied).
  static absl::StatusOr<std::shared_ptr<Module>> loadBytes(std::shared_ptr<Device> device,
                                                           const void *data, size_t size);
  ~Module();

  /// Names of the module's host functions, in order.
  std::vector<std::string> functionNames() const;
  /// The host function `name`; "" picks the only host function, else one called "main".
  absl::StatusOr<Function> function(std::string_view name = "") const;

  const Device &device() const { return *device_; }

private:
  friend class Function;
  struct Storage;
  Module(std::shared_ptr<Device> device, std::unique_ptr<Storage> storage,
         std::shared_ptr<const vm::Program> program);

  std::shared_ptr<Device> device_;
  std::unique_ptr<Storage> storage_;
  std::shared_ptr<const vm::Program> program_;
};

} // namespace tessel::runtime

#endif // TESSEL_RUNTIME_RUNTIME_H
