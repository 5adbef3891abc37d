//===- LowPAttrs.h - lowp attributes ----------------------------*- C++ -*-===//
#ifndef TESSEL_DIALECTS_LOWP_IR_LOWPATTRS_H
#define TESSEL_DIALECTS_LOWP_IR_LOWPATTRS_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/TensorEncoding.h"

#include "vm/Quantize.h"

#include "dialects/LowP/IR/LowPEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/LowP/IR/LowPAttrs.h.inc"

namespace tessel::lowp {

/// The #lowp.quant encoding of a tensor type, or null.
QuantAttr getQuantEncoding(mlir::Type type);

/// Rows (dimension 0) and reduction length (the other dimensions, flattened) of a weight
/// shape.
struct WeightShape {
  int64_t rows;
  int64_t reduction;
};
WeightShape getWeightShape(llvm::ArrayRef<int64_t> shape);

} // namespace tessel::lowp

#endif
