//===- LowPOps.h - lowp operations ------------------------------*- C++ -*-===//
#ifndef TESSEL_DIALECTS_LOWP_IR_LOWPOPS_H
#define TESSEL_DIALECTS_LOWP_IR_LOWPOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialects/LowP/IR/LowPAttrs.h"
#include "dialects/LowP/IR/LowPDialect.h"
#include "dialects/LowP/IR/LowPTypes.h"

#include <vector>

#include <optional>

#define GET_OP_CLASSES
#include "dialects/LowP/IR/LowPOps.h.inc"

namespace tessel::lowp {

/// The bytes of a packed bit stream held in a 1-D i8 elements attribute (dense, splat or
/// a dense resource). nullopt when it is not one or its data is not available.
std::optional<std::vector<uint8_t>> getPackedBytes(mlir::ElementsAttr attr);

} // namespace tessel::lowp

#endif
