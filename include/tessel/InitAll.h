//===- InitAll.h - register Tessel's dialects and passes --------*- C++ -*-===//
//
// The one place the tools learn what Tessel offers: a curated list of upstream dialects
// (never registerAllDialects) plus ours, and our passes and pipelines.
//
//===----------------------------------------------------------------------===//
#ifndef TESSEL_INITALL_H
#define TESSEL_INITALL_H

#include "mlir/IR/DialectRegistry.h"

namespace tessel {

/// Upstream dialects Tessel's inputs and pipelines use (func, arith, math, tensor, tosa,
/// linalg, scf) and Tessel's own.
void registerAllDialects(mlir::DialectRegistry &registry);

/// Tessel's passes and the upstream passes its pipelines use.
void registerAllPasses();

} // namespace tessel

#endif
