// Helpers of the loader and executor tests: layouts from text, typed host tensors,
// running a module's host function on the CPU executor.
#ifndef TESSEL_RUNTIME_TEST_EXECTESTUTIL_H
#define TESSEL_RUNTIME_TEST_EXECTESTUTIL_H

#include "ModuleBuilder.h"

#include "cpu/CpuBackend.h"
#include "vm/BitPack.h"
#include "vm/Codec.h"
#include "vm/HostInterpreter.h"
#include "vm/Numerics.h"
#include "vm/Program.h"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>

namespace tessel::test {

inline vm::Layout layoutOf(const std::string &text) {
  std::string error;
  std::optional<vm::Layout> l = vm::Layout::parse(text, &error);
  EXPECT_TRUE(l) << text << ": " << error;
  return l ? *l : vm::Layout();
}

/// A host tensor of plain C++ elements (float, uint16_t codes, int32_t, uint8_t).
template <class T>
vm::HostTensorRef tensorRef(vm::DType dtype, std::vector<int64_t> shape, const std::vector<T> &v) {
  return vm::HostTensorRef{dtype, std::move(shape), v.data(), v.size() * sizeof(T)};
}

template <class T> std::vector<T> elementsOf(const vm::HostTensor &t) {
  std::vector<T> out(t.data.size() / sizeof(T));
  if (!out.empty())
    std::memcpy(out.data(), t.data.data(), out.size() * sizeof(T));
  return out;
}

/// Loads `bytes` (kept alive by the caller) and runs host function `name`.
inline absl::StatusOr<std::vector<vm::HostTensor>>
runModule(const std::vector<uint8_t> &bytes, const std::string &name,
          const std::vector<vm::HostTensorRef> &inputs, unsigned threads = 1) {
  absl::StatusOr<std::shared_ptr<const vm::Program>> program =
      vm::loadProgram(bytes.data(), bytes.size());
  if (!program.ok())
    return program.status();
  std::optional<uint32_t> f = (*program)->findFunction(name);
  if (!f)
    return absl::NotFoundError(name);
  cpu::CpuBackend backend(cpu::CpuBackendOptions{threads});
  return vm::runHostFunction(**program, *f, backend, inputs);
}

inline float halfValue(uint16_t code) { return vm::halfToFloat(code); }
inline uint16_t halfCode(float v) { return uint16_t(vm::floatToHalf(v)); }

} // namespace tessel::test

#endif // TESSEL_RUNTIME_TEST_EXECTESTUTIL_H
