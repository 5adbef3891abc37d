//===- TBVMTypes.h - tbvm types ---------------------------------*- C++ -*-===//
#ifndef TESSEL_DIALECTS_TBVM_IR_TBVMTYPES_H
#define TESSEL_DIALECTS_TBVM_IR_TBVMTYPES_H

#include "dialects/TBVM/IR/TBVMAttrs.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Types.h"

#define GET_TYPEDEF_CLASSES
#include "dialects/TBVM/IR/TBVMTypes.h.inc"

namespace tessel::tbvm {

/// Element types a tbvm tensor can hold: integers of 1..32 bits and every float the
/// codec library knows (f32, f16, bf16, the small floats, !lowp.float<eXmY>).
bool isElementType(mlir::Type type);

/// Bits of one element of a valid element type.
unsigned getElementBits(mlir::Type type);

} // namespace tessel::tbvm

#endif
