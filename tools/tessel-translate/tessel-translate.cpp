//===- tessel-translate.cpp - Tessel's translations -----------------------===//
//
//   tessel-translate --tbvm-to-bytecode kernels.mlir -o model.tslm
//   tessel-translate --bytecode-to-tbvm model.tslm
//
//===----------------------------------------------------------------------===//
#include "tessel/Target/Bytecode.h"

#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"

int main(int argc, char **argv) {
  tessel::registerBytecodeTranslations();
  return mlir::failed(mlir::mlirTranslateMain(argc, argv, "Tessel translation driver"));
}
