// The C API (tessel/runtime.h) over the C++ API.
#include "tessel/runtime.h"

#include "tessel/runtime/Runtime.h"

#include <cstring>
#include <string>

using namespace tessel::runtime;

struct tessel_rt_instance {
  std::shared_ptr<Instance> instance;
};
struct tessel_rt_device {
  std::shared_ptr<Device> device;
  std::string name;
};
struct tessel_rt_module {
  std::shared_ptr<Module> module;
};
struct tessel_rt_function {
  Function function;
};
struct tessel_rt_tensor {
  Tensor tensor;
  std::string dtype;
};

namespace {
thread_local std::string lastError;

tessel_rt_status fail(const absl::Status &status) {
  lastError = std::string(status.message());
  switch (status.code()) {
  case absl::StatusCode::kInvalidArgument: return TESSEL_RT_INVALID_ARGUMENT;
  case absl::StatusCode::kNotFound: return TESSEL_RT_NOT_FOUND;
  case absl::StatusCode::kUnavailable: return TESSEL_RT_UNAVAILABLE;
  case absl::StatusCode::kFailedPrecondition: return TESSEL_RT_FAILED_PRECONDITION;
  case absl::StatusCode::kUnimplemented: return TESSEL_RT_UNIMPLEMENTED;
  case absl::StatusCode::kOutOfRange: return TESSEL_RT_OUT_OF_RANGE;
  default: return TESSEL_RT_INTERNAL;
  }
}

tessel_rt_status nullArgument(const char *what) {
  return fail(absl::InvalidArgumentError(std::string(what) + " is NULL"));
}
} // namespace

extern "C" {

const char *tessel_rt_last_error(void) { return lastError.c_str(); }

tessel_rt_status tessel_rt_instance_create(tessel_rt_instance **out) {
  if (!out)
    return nullArgument("out");
  *out = new tessel_rt_instance{Instance::create()};
  return TESSEL_RT_OK;
}

void tessel_rt_instance_destroy(tessel_rt_instance *instance) { delete instance; }

tessel_rt_status tessel_rt_device_open(tessel_rt_instance *instance, const char *spec,
                                       tessel_rt_device **out) {
  if (!instance || !spec || !out)
    return nullArgument("instance, spec or out");
  absl::StatusOr<std::shared_ptr<Device>> device = instance->instance->openDevice(spec);
  if (!device.ok())
    return fail(device.status());
  *out = new tessel_rt_device{*device, (*device)->name()};
  return TESSEL_RT_OK;
}

const char *tessel_rt_device_name(const tessel_rt_device *device) {
  return device ? device->name.c_str() : "";
}

void tessel_rt_device_destroy(tessel_rt_device *device) { delete device; }

tessel_rt_status tessel_rt_module_load_file(tessel_rt_device *device, const char *path,
                                            tessel_rt_module **out) {
  if (!device || !path || !out)
    return nullArgument("device, path or out");
  absl::StatusOr<std::shared_ptr<Module>> module = Module::loadFile(device->device, path);
  if (!module.ok())
    return fail(module.status());
  *out = new tessel_rt_module{*module};
  return TESSEL_RT_OK;
}

tessel_rt_status tessel_rt_module_load_bytes(tessel_rt_device *device, const void *data,
                                             size_t size, tessel_rt_module **out) {
  if (!device || !out)
    return nullArgument("device or out");
  absl::StatusOr<std::shared_ptr<Module>> module = Module::loadBytes(device->device, data, size);
  if (!module.ok())
    return fail(module.status());
  *out = new tessel_rt_module{*module};
  return TESSEL_RT_OK;
}

void tessel_rt_module_destroy(tessel_rt_module *module) { delete module; }

tessel_rt_status tessel_rt_function_get(tessel_rt_module *module, const char *name,
                                        tessel_rt_function **out) {
  if (!module || !out)
    return nullArgument("module or out");
  absl::StatusOr<Function> function = module->module->function(name ? name : "");
  if (!function.ok())
    return fail(function.status());
  *out = new tessel_rt_function{*function};
  return TESSEL_RT_OK;
}

size_t tessel_rt_function_input_count(const tessel_rt_function *function) {
  return function ? function->function.inputs().size() : 0;
}

size_t tessel_rt_function_output_count(const tessel_rt_function *function) {
  return function ? function->function.outputs().size() : 0;
}

void tessel_rt_function_destroy(tessel_rt_function *function) { delete function; }

tessel_rt_status tessel_rt_function_invoke(tessel_rt_function *function,
                                           tessel_rt_tensor *const *inputs, size_t num_inputs,
                                           tessel_rt_tensor **outputs, size_t capacity,
                                           size_t *count) {
  if (!function || (num_inputs > 0 && !inputs) || (capacity > 0 && !outputs) || !count)
    return nullArgument("function, inputs, outputs or count");
  std::vector<Tensor> in;
  for (size_t i = 0; i < num_inputs; ++i) {
    if (!inputs[i])
      return nullArgument("an input tensor");
    in.push_back(inputs[i]->tensor);
  }
  absl::StatusOr<std::vector<Tensor>> result = function->function.invoke(in);
  if (!result.ok())
    return fail(result.status());
  *count = result->size();
  if (result->size() > capacity)
    return fail(absl::OutOfRangeError("the function has " + std::to_string(result->size()) +
                                      " outputs; room for " + std::to_string(capacity)));
  for (size_t i = 0; i < result->size(); ++i)
    outputs[i] = new tessel_rt_tensor{(*result)[i], (*result)[i].dtype().name()};
  return TESSEL_RT_OK;
}

tessel_rt_status tessel_rt_tensor_create(const char *dtype, const int64_t *shape, size_t rank,
                                         const void *data, tessel_rt_tensor **out) {
  if (!dtype || (rank > 0 && !shape) || !out)
    return nullArgument("dtype, shape or out");
  std::optional<DType> type = DType::parse(dtype);
  if (!type)
    return fail(absl::InvalidArgumentError(std::string("unknown element type '") + dtype + "'"));
  std::vector<int64_t> dims(shape, shape + rank);
  for (int64_t d : dims)
    if (d < 0)
      return fail(absl::InvalidArgumentError("tensor dimensions cannot be negative"));
  Tensor t = Tensor::allocate(*type, dims);
  if (data && t.sizeInBytes() > 0)
    std::memcpy(t.data(), data, t.sizeInBytes());
  *out = new tessel_rt_tensor{t, type->name()};
  return TESSEL_RT_OK;
}

size_t tessel_rt_tensor_rank(const tessel_rt_tensor *t) { return t ? size_t(t->tensor.rank()) : 0; }
int64_t tessel_rt_tensor_dim(const tessel_rt_tensor *t, size_t i) {
  return t && i < size_t(t->tensor.rank()) ? t->tensor.shape()[i] : -1;
}
const char *tessel_rt_tensor_dtype(const tessel_rt_tensor *t) { return t ? t->dtype.c_str() : ""; }
size_t tessel_rt_tensor_size_bytes(const tessel_rt_tensor *t) { return t ? t->tensor.sizeInBytes() : 0; }
const void *tessel_rt_tensor_data(const tessel_rt_tensor *t) { return t ? t->tensor.data() : nullptr; }
void tessel_rt_tensor_destroy(tessel_rt_tensor *t) { delete t; }

} // extern "C"
