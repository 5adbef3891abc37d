//===- PTX.h - tbvm -> PTX --------------------------------------*- C++ -*-===//
#ifndef TESSEL_TARGET_PTX_H
#define TESSEL_TARGET_PTX_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

namespace tessel {

/// The PTX of every kernel of a tbvm module for `arch` (sm_80, sm_86, sm_89, sm_90,
/// sm_90a), through the bytecode, the runtime's loader and the runtime's emitter.
mlir::LogicalResult writePTX(mlir::ModuleOp module, const std::string &arch,
                             llvm::raw_ostream &os);

/// Registers --tbvm-to-ptx (with its --arch option).
void registerPTXTranslation();

} // namespace tessel

#endif
