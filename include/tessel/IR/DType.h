//===- DType.h - MLIR element types as codec dtypes -------------*- C++ -*-===//
#ifndef TESSEL_IR_DTYPE_H
#define TESSEL_IR_DTYPE_H

#include "mlir/IR/Types.h"

#include "vm/DType.h"

#include <optional>

#include "tessel/IR/DTypeInterface.h.inc"

namespace tessel {

/// The codec dtype of an element type: builtin integers of 1..32 bits, f16, bf16, f32,
/// the builtin small floats, and any type implementing DTypeInterface. nullopt otherwise.
std::optional<vm::DType> toDType(mlir::Type type);

} // namespace tessel

#endif
