/* The Tessel runtime's C API: load a compiled module (.tslm) and run its functions, for
 * programs in C and languages with a C FFI.
 *
 *   tessel_rt_instance *inst;  tessel_rt_instance_create(&inst);
 *   tessel_rt_device *dev;     tessel_rt_device_open(inst, "auto", &dev);
 *   tessel_rt_module *mod;     tessel_rt_module_load_file(dev, "model.tslm", &mod);
 *   tessel_rt_function *fn;    tessel_rt_function_get(mod, NULL, &fn);
 *   tessel_rt_tensor *x;       tessel_rt_tensor_create("f16", shape, 2, data, &x);
 *   tessel_rt_tensor *out[4];  size_t n;
 *   tessel_rt_function_invoke(fn, &x, 1, out, 4, &n);
 *
 * Every call returns a status; on anything but TESSEL_RT_OK, tessel_rt_last_error()
 * says what went wrong (per thread, until the next failing call). Objects are released
 * with their _destroy function; a module keeps its device and instance alive.
 */
#ifndef TESSEL_RUNTIME_H
#define TESSEL_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum tessel_rt_status {
  TESSEL_RT_OK = 0,
  TESSEL_RT_INVALID_ARGUMENT = 1, /* bad input: a malformed module, wrong shapes, ... */
  TESSEL_RT_NOT_FOUND = 2,        /* no such file or function */
  TESSEL_RT_UNAVAILABLE = 3,      /* no CUDA driver or GPU */
  TESSEL_RT_FAILED_PRECONDITION = 4,
  TESSEL_RT_UNIMPLEMENTED = 5,
  TESSEL_RT_INTERNAL = 6,
  TESSEL_RT_OUT_OF_RANGE = 7,     /* a buffer too small for the results */
} tessel_rt_status;

typedef struct tessel_rt_instance tessel_rt_instance;
typedef struct tessel_rt_device tessel_rt_device;
typedef struct tessel_rt_module tessel_rt_module;
typedef struct tessel_rt_function tessel_rt_function;
typedef struct tessel_rt_tensor tessel_rt_tensor;

/* The message of the calling thread's last failure ("" if none). */
const char *tessel_rt_last_error(void);

tessel_rt_status tessel_rt_instance_create(tessel_rt_instance **out);
void tessel_rt_instance_destroy(tessel_rt_instance *instance);

/* spec: "cpu", "cuda", "cuda:N", "auto" or "ptx-sim". */
tessel_rt_status tessel_rt_device_open(tessel_rt_instance *instance, const char *spec,
                                       tessel_rt_device **out);
/* The device's name ("cpu", "cuda:0 (NVIDIA H100 ...)"); valid while the device lives. */
const char *tessel_rt_device_name(const tessel_rt_device *device);
void tessel_rt_device_destroy(tessel_rt_device *device);

tessel_rt_status tessel_rt_module_load_file(tessel_rt_device *device, const char *path,
                                            tessel_rt_module **out);
tessel_rt_status tessel_rt_module_load_bytes(tessel_rt_device *device, const void *data,
                                             size_t size, tessel_rt_module **out);
void tessel_rt_module_destroy(tessel_rt_module *module);

/* name NULL or "": the module's only function, else "main". */
tessel_rt_status tessel_rt_function_get(tessel_rt_module *module, const char *name,
                                        tessel_rt_function **out);
size_t tessel_rt_function_input_count(const tessel_rt_function *function);
size_t tessel_rt_function_output_count(const tessel_rt_function *function);
void tessel_rt_function_destroy(tessel_rt_function *function);

/* Runs the function. Outputs are new tensors the caller destroys; `capacity` is the room
 * in `outputs`, `*count` receives the number of outputs. */
tessel_rt_status tessel_rt_function_invoke(tessel_rt_function *function,
                                           tessel_rt_tensor *const *inputs, size_t num_inputs,
                                           tessel_rt_tensor **outputs, size_t capacity,
                                           size_t *count);

/* A tensor of `dtype` ("f16", "f32", "bf16", "i8", "ui3", "e3m2", ...) and shape, its
 * bytes copied from `data` (row-major, sub-byte elements packed), or zero when NULL. */
tessel_rt_status tessel_rt_tensor_create(const char *dtype, const int64_t *shape, size_t rank,
                                         const void *data, tessel_rt_tensor **out);
size_t tessel_rt_tensor_rank(const tessel_rt_tensor *tensor);
int64_t tessel_rt_tensor_dim(const tessel_rt_tensor *tensor, size_t i);
/* The element type's name; valid while the tensor lives. */
const char *tessel_rt_tensor_dtype(const tessel_rt_tensor *tensor);
size_t tessel_rt_tensor_size_bytes(const tessel_rt_tensor *tensor);
const void *tessel_rt_tensor_data(const tessel_rt_tensor *tensor);
void tessel_rt_tensor_destroy(tessel_rt_tensor *tensor);

#ifdef __cplusplus
}
#endif

#endif /* TESSEL_RUNTIME_H */
