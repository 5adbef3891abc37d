//===- Passes.h - kernel template generators ---------------------*- C++ -*-===//
#ifndef TESSEL_KERNELS_PASSES_H
#define TESSEL_KERNELS_PASSES_H

#include "dialects/LowP/IR/LowPDialect.h"
#include "dialects/TBVM/IR/TBVMDialect.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Pass/Pass.h"

namespace tessel::kernels {

#define GEN_PASS_DECL
#include "tessel/Kernels/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "tessel/Kernels/Passes.h.inc"

} // namespace tessel::kernels

#endif
