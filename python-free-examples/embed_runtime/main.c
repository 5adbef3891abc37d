/* The same as main.cpp through the C API. */
#include "tessel/runtime.h"

#include <stdio.h>

static int check(tessel_rt_status s, const char *what) {
  if (s != TESSEL_RT_OK) {
    fprintf(stderr, "%s: %s\n", what, tessel_rt_last_error());
    return 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s MODULE.tslm [DEVICE]\n", argv[0]);
    return 2;
  }
  tessel_rt_instance *instance;
  tessel_rt_device *device;
  tessel_rt_module *module;
  tessel_rt_function *function;
  if (check(tessel_rt_instance_create(&instance), "instance") ||
      check(tessel_rt_device_open(instance, argc > 2 ? argv[2] : "auto", &device), "device") ||
      check(tessel_rt_module_load_file(device, argv[1], &module), "module") ||
      check(tessel_rt_function_get(module, NULL, &function), "function"))
    return 1;
  enum { N = 1000 };
  static float x[N], y[N];
  for (int i = 0; i < N; ++i) {
    x[i] = (float)i;
    y[i] = 0.5f;
  }
  int64_t shape[1] = {N};
  tessel_rt_tensor *inputs[2], *outputs[1];
  size_t count = 0;
  if (check(tessel_rt_tensor_create("f32", shape, 1, x, &inputs[0]), "x") ||
      check(tessel_rt_tensor_create("f32", shape, 1, y, &inputs[1]), "y"))
    return 1;
  /* Too little room for the outputs is an error, not an overflow. */
  if (tessel_rt_function_invoke(function, inputs, 2, outputs, 0, &count) != TESSEL_RT_OUT_OF_RANGE) {
    fprintf(stderr, "expected an out-of-range status\n");
    return 1;
  }
  if (check(tessel_rt_function_invoke(function, inputs, 2, outputs, 1, &count), "invoke"))
    return 1;
  const float *z = (const float *)tessel_rt_tensor_data(outputs[0]);
  for (int i = 0; i < N; ++i)
    if (z[i] != (float)i + 0.5f) {
      fprintf(stderr, "z[%d] = %g\n", i, z[i]);
      return 1;
    }
  printf("C API: %s %lld elements on %s: ok\n", tessel_rt_tensor_dtype(outputs[0]),
         (long long)tessel_rt_tensor_dim(outputs[0], 0), tessel_rt_device_name(device));
  tessel_rt_tensor_destroy(outputs[0]);
  tessel_rt_tensor_destroy(inputs[0]);
  tessel_rt_tensor_destroy(inputs[1]);
  tessel_rt_function_destroy(function);
  tessel_rt_module_destroy(module);
  tessel_rt_device_destroy(device);
  tessel_rt_instance_destroy(instance);
  return 0;
}
