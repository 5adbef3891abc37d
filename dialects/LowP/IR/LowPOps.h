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


#endif
