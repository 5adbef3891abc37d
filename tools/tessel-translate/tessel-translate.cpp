//===- tessel-translate.cpp - Tessel's translations -----------------------===//
//
//   tessel-translate --tbvm-to-bytecode kernels.mlir -o model.tslm
//   tessel-translate --bytecode-to-tbvm model.tslm
//   tessel-translate --tbvm-to-ptx --arch=sm_90 kernels.mlir
//
//===----------------------------------------------------------------------===//
#include "tessel/Target/Bytecode.h"
#include "tessel/Target/PTX.h"

#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"

int main(int argc, char **argv) {
  tessel::registerBytecodeTranslations();
  tessel::registerPTXTranslation();
  return mlir::failed(mlir::mlirTranslateMain(argc, argv, "Tessel translation driver"));
}
