// libFuzzer target of the .tslm loader: any bytes either load or give an error; nothing
// crashes, leaks or reads out of bounds (built with -fsanitize=fuzzer,address,undefined by
// scripts/fuzz-loader.sh, which the test suite runs briefly).
#include "vm/Program.h"

#include <cstdint>
#include <cstring>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // The runtime's own callers hand it 64-byte aligned bytes (mmap, Module::loadBytes).
  std::vector<uint64_t> aligned((size + 7) / 8 + 8);
  std::memcpy(aligned.data(), data, size);
  auto program = tessel::vm::loadProgram(reinterpret_cast<const uint8_t *>(aligned.data()), size);
  if (program.ok()) {
    // Touch what an executor reads first.
    size_t n = 0;
    for (const auto &f : (*program)->functions())
      n += f.body.body.size() + f.valueTypes.size();
    for (const auto &c : (*program)->constants())
      n += c.size;
    (void)n;
  }
  return 0;
}
