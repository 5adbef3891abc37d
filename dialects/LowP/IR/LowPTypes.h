//===- LowPTypes.h - lowp types and the map to codec dtypes -----*- C++ -*-===//
#ifndef TESSEL_DIALECTS_LOWP_IR_LOWPTYPES_H
#define TESSEL_DIALECTS_LOWP_IR_LOWPTYPES_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Types.h"

#include "tessel/IR/DType.h"
#include "vm/DType.h"

#include <optional>

#define GET_TYPEDEF_CLASSES
#include "dialects/LowP/IR/LowPTypes.h.inc"

namespace tessel::lowp {

/// The codec dtype of an element type (tessel::toDType, which knows !lowp.float through
/// DTypeInterface).
using tessel::toDType;

/// The MLIR type of a dtype (the inverse of toDType).
mlir::Type fromDType(mlir::MLIRContext *context, vm::DType dtype);

/// True for the element types a quantized weight can be stored in: integers and floats
/// of 1..8 bits.
bool isStorageType(mlir::Type type);

} // namespace tessel::lowp

#endif
