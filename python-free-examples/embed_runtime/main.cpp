// Loads a module whose main function adds two f32 vectors (z = x + y), runs it on the
// best device available, and checks the result.
#include "tessel/runtime/Runtime.h"

#include <cstdio>
#include <string>

using namespace tessel::runtime;

int main(int argc, char **argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MODULE.tslm [DEVICE]\n", argv[0]);
    return 2;
  }
  std::shared_ptr<Instance> instance = Instance::create();
  absl::StatusOr<std::shared_ptr<Device>> device = instance->openDevice(argc > 2 ? argv[2] : "auto");
  if (!device.ok()) {
    std::fprintf(stderr, "%s\n", std::string(device.status().message()).c_str());
    return 1;
  }
  absl::StatusOr<std::shared_ptr<Module>> module = Module::loadFile(*device, argv[1]);
  if (!module.ok()) {
    std::fprintf(stderr, "%s\n", std::string(module.status().message()).c_str());
    return 1;
  }
  absl::StatusOr<Function> main = (*module)->function();
  if (!main.ok()) {
    std::fprintf(stderr, "%s\n", std::string(main.status().message()).c_str());
    return 1;
  }
  const int64_t n = 1000;
  Tensor x = Tensor::allocate(DType::f32(), {n}), y = Tensor::allocate(DType::f32(), {n});
  for (int64_t i = 0; i < n; ++i) {
    x.dataAs<float>()[i] = float(i);
    y.dataAs<float>()[i] = 0.5f;
  }
  // A wrong input is an error, not a crash.
  absl::StatusOr<std::vector<Tensor>> bad = main->invoke({x});
  if (bad.ok()) {
    std::fprintf(stderr, "invoke with one input should have failed\n");
    return 1;
  }
  absl::StatusOr<std::vector<Tensor>> out = main->invoke({x, y});
  if (!out.ok()) {
    std::fprintf(stderr, "%s\n", std::string(out.status().message()).c_str());
    return 1;
  }
  const float *z = (*out)[0].dataAs<float>();
  for (int64_t i = 0; i < n; ++i)
    if (z[i] != float(i) + 0.5f) {
      std::fprintf(stderr, "z[%lld] = %g\n", (long long)i, z[i]);
      return 1;
    }
  std::printf("C++ API: %s on %s: z = x + y for %lld elements: ok\n", main->name().c_str(),
              (*device)->name().c_str(), (long long)n);
  return 0;
}
