// Constants of the .tslm format shared by its writer (the compiler) and its loader.
#ifndef TESSEL_VM_BYTECODE_H
#define TESSEL_VM_BYTECODE_H

#include <cstdint>

namespace tessel::vm {

/// The format version this runtime reads and the compiler writes (module.fbs).
constexpr uint32_t kFormatVersion = 1;

} // namespace tessel::vm

#endif // TESSEL_VM_BYTECODE_H
