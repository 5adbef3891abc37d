// Runs a host function of a Program (the module's host program: allocations, constants,
// index arithmetic, scf control flow and kernel launches) against a Backend.
#ifndef TESSEL_VM_HOSTINTERPRETER_H
#define TESSEL_VM_HOSTINTERPRETER_H

#include "vm/Backend.h"
#include "vm/Program.h"

#include "absl/status/statusor.h"

#include <vector>

namespace tessel::vm {

/// An input of a host function: packed bytes that stay the caller's (they are copied to
/// the backend before anything runs).
struct HostTensorRef {
  DType dtype;
  std::vector<int64_t> shape;
  const void *data = nullptr;
  uint64_t bytes = 0;
};

/// An output of a host function, copied back from the backend.
struct HostTensor {
  DType dtype;
  std::vector<int64_t> shape;
  std::vector<uint8_t> data; // packed, row-major
};

/// Runs host function `function` (an index into program.functions()) with `inputs`.
/// Dynamic dimensions of the declared input types bind to the inputs' dimensions; an
/// input whose count, element type, rank or static dimensions differ from the declared
/// type, or whose bytes are too few, is an InvalidArgumentError naming the input and
/// both shapes. Errors of kernels (a division by zero, an index out of a shared tile)
/// stop the run and are returned. Buffers the function allocated are freed on return.
absl::StatusOr<std::vector<HostTensor>> runHostFunction(const Program &program, uint32_t function,
                                                        Backend &backend,
                                                        const std::vector<HostTensorRef> &inputs);

/// "[?, 4096] f16" style text of a shape and element type, for messages.
std::string shapeToString(const std::vector<int64_t> &shape, DType dtype);

} // namespace tessel::vm

#endif // TESSEL_VM_HOSTINTERPRETER_H
