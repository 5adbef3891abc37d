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

/// Packs row-major `codes` (rows x reduction, one code per byte) into the bit stream of
/// `encoding`'s order; `out` holds packedBytes(count, bits) bytes, zeroed.
void packCodes(QuantAttr encoding, WeightShape shape, const uint8_t *codes, uint8_t *out);
/// The inverse: row-major codes of the bit stream `packed`.
void unpackCodes(QuantAttr encoding, WeightShape shape, const uint8_t *packed, uint8_t *codes);

} // namespace tessel::lowp

#endif
