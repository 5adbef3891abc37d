//===- Passes.h - lowp passes -----------------------------------*- C++ -*-===//
#ifndef TESSEL_DIALECTS_LOWP_TRANSFORMS_PASSES_H
#define TESSEL_DIALECTS_LOWP_TRANSFORMS_PASSES_H

#include "dialects/LowP/IR/LowPOps.h"

#include "mlir/Pass/Pass.h"

namespace tessel::lowp {

#define GEN_PASS_DECL
#include "dialects/LowP/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "dialects/LowP/Transforms/Passes.h.inc"

} // namespace tessel::lowp

#endif
