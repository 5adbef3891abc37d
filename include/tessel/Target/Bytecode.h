//===- Bytecode.h - tbvm <-> .tslm ------------------------------*- C++ -*-===//
//
// The compiler's side of the .tslm format (runtime/schema/module.fbs): serializing a
// module of tbvm kernels, host functions and globals, and reading one back into MLIR
// (for debugging and round-trip tests).
//
//===----------------------------------------------------------------------===//
#ifndef TESSEL_TARGET_BYTECODE_H
#define TESSEL_TARGET_BYTECODE_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/raw_ostream.h"

namespace tessel {

/// Writes `module` as .tslm bytes. Anything the bytecode cannot hold (an op outside
/// the documented subset, an unplanned alloc_shared, ...) is a located error.
mlir::LogicalResult writeBytecode(mlir::ModuleOp module, llvm::raw_ostream &os);

/// Reads .tslm bytes into a tbvm module, after the runtime loader's full verification.
/// Errors are emitted at `loc`.
mlir::OwningOpRef<mlir::ModuleOp> readBytecode(llvm::StringRef bytes, mlir::Location loc);

/// Registers the --tbvm-to-bytecode and --bytecode-to-tbvm translations.
void registerBytecodeTranslations();

} // namespace tessel

#endif
