//===- LowPDialect.cpp - the lowp dialect ---------------------------------===//
#include "dialects/LowP/IR/LowPDialect.h"

#include "dialects/LowP/IR/LowPOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"

using namespace mlir;
using namespace tessel::lowp;

#include "dialects/LowP/IR/LowPDialect.cpp.inc"

void LowPDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/LowP/IR/LowPOps.cpp.inc"
      >();
  registerTypes();
  registerAttributes();
}

// The constant value of a quantized tensor is its packed bit stream (a 1-D i8
// ElementsAttr); it materializes as lowp.constant. Everything else is an arith.constant.
Operation *LowPDialect::materializeConstant(OpBuilder &builder, Attribute value, Type type,
                                            Location loc) {
  if (getQuantEncoding(type)) {
    auto packed = dyn_cast<ElementsAttr>(value);
    if (!packed)
      return nullptr;
    return ConstantOp::create(builder, loc, type, packed);
  }
  return arith::ConstantOp::materialize(builder, value, type, loc);
}
