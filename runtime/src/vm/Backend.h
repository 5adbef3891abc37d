// What the host program needs from a device: memory, copies, constants and kernel
// launches. The CPU reference executor (runtime/src/cpu) implements it; the CUDA backend
// (PTX JIT + driver) will implement it beside it. The host interpreter
// (HostInterpreter.h) runs a host function's instructions against a Backend.
#ifndef TESSEL_VM_BACKEND_H
#define TESSEL_VM_BACKEND_H

#include "vm/DType.h"
#include "vm/Program.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include <cstdint>
#include <string>
#include <vector>

namespace tessel::vm {

/// An address in a backend's memory: a host pointer for the CPU, a CUdeviceptr for CUDA.
using DeviceAddress = uint64_t;

/// A scalar value. Integers (and index) are held sign-extended from their width in `i`
/// (an i1 true is -1); f16, bf16 and f32 as their (already rounded) f32 value in `f`.
struct Scalar {
  int64_t i = 0;
  float f = 0;
};

/// A global tensor: contiguous, row-major, sub-byte elements packed LSB-first from
/// `address`. All dimensions are known.
struct GlobalTensor {
  DeviceAddress address = 0;
  /// Bytes that may be accessed from `address` (to the end of its allocation); at least
  /// the tensor's packed size.
  uint64_t extent = 0;
  DType dtype;
  std::vector<int64_t> shape;
  /// Constants of the module: kernels may not write them.
  bool readOnly = false;

  int64_t numElements() const {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    return n;
  }
};

/// The packed size in bytes of `count` elements of `dtype`.
uint64_t packedSize(int64_t count, DType dtype);

/// One argument of a kernel launch: a global tensor or a scalar, in the kernel's order.
struct KernelArgument {
  bool isTensor = false;
  GlobalTensor tensor;
  Scalar scalar;
};

struct Grid {
  int64_t x = 1, y = 1, z = 1;
  /// The kernel may begin before the launch queued just before it has ended (tbvm.launch
  /// {overlap} right after a launch that runs blocks and does not overlap one itself): a
  /// GPU of sm_90 and newer lets it start as that one's blocks reach
  /// tbvm.launch_dependents; it waits for that one with tbvm.grid_dependency_wait. Other
  /// backends run launches one after another.
  bool overlapPrevious = false;
  int64_t numBlocks() const { return x * y * z; }
};

class Backend {
public:
  virtual ~Backend() = default;
  /// "cpu", "cuda:0", ...
  virtual std::string name() const = 0;

  /// `bytes` of device memory, zero-filled.
  virtual absl::StatusOr<DeviceAddress> allocate(uint64_t bytes) = 0;
  /// `bytes` of device memory of undefined contents (tbvm.alloc_global {uninitialized}):
  /// no fill on a GPU. By default zero-filled as allocate().
  virtual absl::StatusOr<DeviceAddress> allocateUninitialized(uint64_t bytes) { return allocate(bytes); }
  virtual void deallocate(DeviceAddress address) = 0;
  virtual absl::Status copyToDevice(DeviceAddress dst, const void *src, uint64_t bytes) = 0;
  virtual absl::Status copyToHost(void *dst, DeviceAddress src, uint64_t bytes) = 0;

  /// The address of constant `index` of `program`, uploaded on first use and kept for as
  /// long as the program lives (a backend may attach it to Program::getOrCreateCache).
  virtual absl::StatusOr<DeviceAddress> constantAddress(const Program &program, uint32_t index) = 0;

  /// Runs kernel `kernel` (a function index) of `program` on `grid` blocks and returns
  /// when it is done. `args` match the kernel's arguments (checkKernelArguments).
  virtual absl::Status launch(const Program &program, uint32_t kernel, const Grid &grid,
                              const std::vector<KernelArgument> &args) = 0;
  /// As launch, but may return before the kernel is done: the host interpreter uses it
  /// for a launch that another follows directly, whose launch() then waits for both and
  /// reports a fault of either (one wait per run of launches). By default launch().
  virtual absl::Status launchQueued(const Program &program, uint32_t kernel, const Grid &grid,
                                    const std::vector<KernelArgument> &args) {
    return launch(program, kernel, grid, args);
  }

  /// How many blocks of kernel `kernel` run at once (tbvm.resident_blocks): a GPU's
  /// multiprocessors times the blocks of the kernel one holds; a CPU backend's worker
  /// threads. At least 1.
  virtual absl::StatusOr<int64_t> residentBlocks(const Program &program, uint32_t kernel) = 0;
};

/// Checks that `args` fit kernel `kernel`'s arguments: kinds, element types, ranks, static
/// dimensions, scalar types, and that every tensor lies within its extent.
absl::Status checkKernelArguments(const Program &program, uint32_t kernel,
                                  const std::vector<KernelArgument> &args);

} // namespace tessel::vm

#endif // TESSEL_VM_BACKEND_H
