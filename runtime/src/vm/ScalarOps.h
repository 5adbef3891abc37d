// Evaluation of the scalar instructions (arith.*), shared by the host interpreter and the
// kernel executors. Integers wrap at their width; division and remainder by zero are
// errors (statuses), never undefined behaviour.
#ifndef TESSEL_VM_SCALAROPS_H
#define TESSEL_VM_SCALAROPS_H

#include "vm/Backend.h"
#include "vm/Program.h"

#include "absl/status/statusor.h"

namespace tessel::vm {

/// Whether `opcode` is one of the scalar arith instructions (arith.constant included).
inline bool isScalarOpcode(Opcode opcode) {
  return opcode >= Opcode::Constant && opcode <= Opcode::TruncF;
}

/// The result of scalar instruction `instruction` of `function` applied to `operands`
/// (one per operand, in order).
absl::StatusOr<Scalar> evalScalar(const Program &program, const Function &function,
                                  const Instruction &instruction, const Scalar *operands);

/// Rounds an integer (signed, or unsigned when `isUnsigned`) once to f16, bf16 or f32.
float intToFloatType(int64_t value, bool isUnsigned, DType type);

/// Converts a scalar of type `from` to an element code of `to` as tbvm.binary and friends
/// do for scalar operands: floats round to `to`, integers wrap to its width.
uint32_t scalarToElementCode(const Scalar &value, const ValueType &from, DType to);

/// Text of a number as tbvm.print writes it (integers exactly, floats with 9 digits).
std::string formatNumber(double value);

/// Text of a scalar for tbvm.print and messages.
std::string scalarToString(const Scalar &value, const ValueType &type);

} // namespace tessel::vm

#endif // TESSEL_VM_SCALAROPS_H
