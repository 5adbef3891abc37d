//===- TBVMDialect.h - the thread-block VM dialect --------------*- C++ -*-===//
#ifndef TESSEL_DIALECTS_TBVM_IR_TBVMDIALECT_H
#define TESSEL_DIALECTS_TBVM_IR_TBVMDIALECT_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Dialect.h"

#include "dialects/TBVM/IR/TBVMDialect.h.inc"

#endif
