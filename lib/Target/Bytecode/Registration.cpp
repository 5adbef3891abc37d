//===- Registration.cpp - the bytecode translations -----------------------===//
#include "tessel/Target/Bytecode.h"

#include "tessel/InitAll.h"

#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/Support/SourceMgr.h"

using namespace mlir;

void tessel::registerBytecodeTranslations() {
  static TranslateFromMLIRRegistration toBytecode(
      "tbvm-to-bytecode", "serialize a tbvm module to .tslm bytecode",
      [](Operation *op, raw_ostream &os) -> LogicalResult {
        auto module = dyn_cast<ModuleOp>(op);
        if (!module)
          return op->emitError() << "expected a builtin.module";
        return writeBytecode(module, os);
      },
      [](DialectRegistry &registry) { registerAllDialects(registry); });

  static TranslateToMLIRRegistration fromBytecode(
      "bytecode-to-tbvm", "read .tslm bytecode back into a tbvm module",
      [](llvm::SourceMgr &sourceMgr, MLIRContext *context) -> OwningOpRef<Operation *> {
        const llvm::MemoryBuffer *buffer = sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID());
        Location loc = FileLineColLoc::get(context, buffer->getBufferIdentifier(), 0, 0);
        return readBytecode(buffer->getBuffer(), loc);
      },
      [](DialectRegistry &registry) { registerAllDialects(registry); },
      llvm::Align(64));
}
