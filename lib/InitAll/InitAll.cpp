//===- InitAll.cpp - register Tessel's dialects and passes ----------------===//
#include "tessel/InitAll.h"

#include "dialects/LowP/IR/LowPDialect.h"
#include "dialects/LowP/Transforms/Passes.h"
#include "dialects/TBVM/IR/TBVMDialect.h"
#include "dialects/TBVM/Transforms/Passes.h"
#include "tessel/Kernels/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/Transforms/Passes.h"

void tessel::registerAllDialects(mlir::DialectRegistry &registry) {
  registry.insert<mlir::func::FuncDialect, mlir::arith::ArithDialect, mlir::math::MathDialect,
                  mlir::tensor::TensorDialect, mlir::tosa::TosaDialect,
                  mlir::linalg::LinalgDialect, mlir::scf::SCFDialect, lowp::LowPDialect,
                  tbvm::TBVMDialect>();
}

void tessel::registerAllPasses() {
  // Upstream: canonicalize, cse, inline, symbol-dce, ...
  mlir::registerTransformsPasses();
  lowp::registerLowPPasses();
  tbvm::registerTBVMPasses();
  kernels::registerKernelsPasses();
}
