//===- TBVMOps.h - tbvm instructions ----------------------------*- C++ -*-===//
#ifndef TESSEL_DIALECTS_TBVM_IR_TBVMOPS_H
#define TESSEL_DIALECTS_TBVM_IR_TBVMOPS_H

#include "dialects/TBVM/IR/TBVMAttrs.h"
#include "dialects/TBVM/IR/TBVMDialect.h"
#include "dialects/TBVM/IR/TBVMTypes.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/CallInterfaces.h"
#include "mlir/Interfaces/ControlFlowInterfaces.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "dialects/TBVM/IR/TBVMOps.h.inc"

namespace tessel::tbvm {

/// The fragment layouts of mma.m16n8k16 with 16-bit inputs and f32 accumulators
/// (PTX ISA "Matrix Fragments for mma.m16n8k16"), and of ldmatrix.
const vm::Layout &mmaALayout();
const vm::Layout &mmaBLayout();
const vm::Layout &mmaCLayout();
const vm::Layout &ldmatrixLayout(bool transpose);

/// Why a dot with these operand layouts (a [M, K], b [K, N], c [M, N]) cannot run as
/// written (neither mma fragments nor the CUDA-core rule), or nullopt when it can.
/// `int8Inputs` selects the fragments of mma.m16n8k32 with 8-bit integer inputs instead
/// of mma.m16n8k16's.
std::optional<std::string> checkDotLayouts(const vm::Layout &a, const vm::Layout &b,
                                           const vm::Layout &c, bool *tensorCores = nullptr,
                                           bool int8Inputs = false);

} // namespace tessel::tbvm

#endif
