//===- LowPDialect.h - the lowp dialect -------------------------*- C++ -*-===//
#ifndef TESSEL_DIALECTS_LOWP_IR_LOWPDIALECT_H
#define TESSEL_DIALECTS_LOWP_IR_LOWPDIALECT_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Dialect.h"

#include "dialects/LowP/IR/LowPDialect.h.inc"

#endif
