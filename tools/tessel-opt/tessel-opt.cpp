//===- tessel-opt.cpp - Tessel's opt-style driver -------------------------===//
//
// Runs Tessel's passes and pipelines (and the upstream ones they use) on MLIR files:
//   tessel-opt model.mlir --lowp-quantize-weights="bits=3 group-size=128"
//
//===----------------------------------------------------------------------===//
#include "tessel/InitAll.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  tessel::registerAllPasses();
  mlir::DialectRegistry registry;
  tessel::registerAllDialects(registry);
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "Tessel optimizer driver\n", registry));
}
