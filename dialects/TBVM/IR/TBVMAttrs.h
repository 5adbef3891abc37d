//===- TBVMAttrs.h - tbvm attributes ----------------------------*- C++ -*-===//
#ifndef TESSEL_DIALECTS_TBVM_IR_TBVMATTRS_H
#define TESSEL_DIALECTS_TBVM_IR_TBVMATTRS_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/Hashing.h"

#include "vm/Layout.h"

namespace tessel::vm {
// Layouts are attribute parameters: the storage uniquer hashes them.
inline llvm::hash_code hash_value(const Layout &layout) {
  return llvm::hash_combine(llvm::hash_combine_range(layout.shape()),
                            llvm::hash_combine_range(layout.modeShape()),
                            llvm::hash_combine_range(layout.spatialModes()),
                            llvm::hash_combine_range(layout.localModes()));
}
} // namespace tessel::vm

#include "dialects/TBVM/IR/TBVMEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/TBVM/IR/TBVMAttrs.h.inc"

#endif
