// Kernel arguments as cuLaunchKernel takes them, per the parameter ABI that
// PtxEmitter.h states (one entry per kernel argument, in order):
//   global tensor      -> .u64 address, then one .s64 per dimension (all of them)
//   index, i64         -> .s64
//   integers <= 32 bits -> .s32, sign-extended (i1 true is -1)
//   f32                -> .f32
//   f16, bf16          -> .b16 (the bits)
// Integers of 33..63 bits, which the ABI does not name, travel as .s64 (sign-extended)
// like i64. Other scalar types (f8 and narrower floats) have no ABI: an error.
//
// Everything here is plain C++ (no CUDA headers), so the ABI is unit-tested without a GPU,
// and the PTX text's own .param list is checked against it before a kernel is loaded
// (a mismatch would make the driver read past the argument array).
#ifndef TESSEL_CUDA_KERNELPARAMS_H
#define TESSEL_CUDA_KERNELPARAMS_H

#include "vm/Backend.h"
#include "vm/Program.h"

#include "absl/status/statusor.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tessel::cuda {

/// The PTX type of one kernel parameter.
enum class ParamKind : uint8_t { kU64, kS64, kS32, kF32, kB16 };

/// ".u64", ".s64", ".s32", ".f32", ".b16".
const char *paramKindName(ParamKind kind);
/// Bytes of a parameter of this kind (8, 8, 4, 4, 2).
unsigned paramKindBytes(ParamKind kind);

/// The parameters (kinds, in order) of a kernel whose arguments have `types`: what the
/// PTX entry must declare. Errors name the argument whose type has no ABI.
absl::StatusOr<std::vector<ParamKind>> paramKindsFor(const std::vector<vm::ValueType> &types);
/// The same for kernel `kernel` of `program`.
absl::StatusOr<std::vector<ParamKind>> paramKindsFor(const vm::Program &program,
                                                     uint32_t kernel);

/// The values of a launch's parameters, each in its own 8-byte-aligned slot, and the
/// array of pointers to them that cuLaunchKernel's kernelParams wants.
class KernelParams {
public:
  void addU64(uint64_t value) { add(ParamKind::kU64, value); }
  void addS64(int64_t value) { add(ParamKind::kS64, uint64_t(value)); }
  void addS32(int32_t value) { add(ParamKind::kS32, uint64_t(uint32_t(value))); }
  void addF32(float value);
  void addB16(uint16_t value) { add(ParamKind::kB16, value); }

  size_t size() const { return slots_.size(); }
  ParamKind kind(size_t i) const { return kinds_[i]; }
  /// The parameter's bits, zero-extended from its size (an s32 -1 is 0xffffffff).
  uint64_t bits(size_t i) const { return slots_[i]; }
  /// Pointers to each value, for cuLaunchKernel. Valid until *this is changed or dies.
  void **pointers();

private:
  void add(ParamKind kind, uint64_t bits);

  std::vector<ParamKind> kinds_;
  // One slot per parameter: the value in its low bytes (little-endian host, as x86-64 and
  // aarch64 are), so a pointer to the slot is a pointer to a value of the parameter's
  // size and alignment.
  std::vector<uint64_t> slots_;
  std::vector<void *> pointers_;
};

/// Marshals `args` for a kernel whose argument types are `types` (as declared: tensor
/// dimensions may be -1; the argument's actual dimensions are passed). Checks that the
/// argument kinds (tensor or scalar) match; the rest is checkKernelArguments' job.
absl::StatusOr<KernelParams> marshalKernelArguments(const std::vector<vm::ValueType> &types,
                                                    const std::vector<vm::KernelArgument> &args);
/// The same for kernel `kernel` of `program`.
absl::StatusOr<KernelParams> marshalKernelArguments(const vm::Program &program,
                                                    uint32_t kernel,
                                                    const std::vector<vm::KernelArgument> &args);

/// One parameter as a PTX entry declares it.
struct PtxParam {
  std::string type; // ".u64", ".b32", ".f16", ...
  unsigned bytes = 0;
};

/// The parameters that `.entry entry(...)` in `ptx` declares, in order. Understands
/// `.param .<type> [.ptr [.<space>] [.align N]] name`; arrays, `.align` on the parameter
/// itself and unknown types are errors, as is a missing entry.
absl::StatusOr<std::vector<PtxParam>> parsePtxEntryParams(std::string_view ptx,
                                                          std::string_view entry);

/// OK when the PTX's parameters `declared` can receive `expected` (the ABI's): same count,
/// same sizes, and a float where the PTX says float and an integer where it says integer
/// (.bN types take either). Else an Internal error naming the first parameter that differs
/// (a PTX emitter bug, caught before the driver reads past the argument array).
absl::Status checkPtxParams(std::string_view entry, const std::vector<PtxParam> &declared,
                            const std::vector<ParamKind> &expected);

} // namespace tessel::cuda

#endif // TESSEL_CUDA_KERNELPARAMS_H
