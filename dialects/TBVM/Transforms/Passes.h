//===- Passes.h - tbvm passes -----------------------------------*- C++ -*-===//
#ifndef TESSEL_DIALECTS_TBVM_TRANSFORMS_PASSES_H
#define TESSEL_DIALECTS_TBVM_TRANSFORMS_PASSES_H

#include "dialects/TBVM/IR/TBVMOps.h"

#include "mlir/Pass/Pass.h"

namespace tessel::tbvm {

#define GEN_PASS_DECL
#include "dialects/TBVM/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "dialects/TBVM/Transforms/Passes.h.inc"

} // namespace tessel::tbvm

#endif
