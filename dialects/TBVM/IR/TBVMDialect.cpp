//===- TBVMDialect.cpp - the thread-block VM dialect ----------------------===//
#include "dialects/TBVM/IR/TBVMDialect.h"

#include "dialects/TBVM/IR/TBVMOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace tessel::tbvm;

#include "dialects/TBVM/IR/TBVMDialect.cpp.inc"

namespace {
// Layouts repeat on every register tile type: print them once, as #layout, #layout1, ...
struct TBVMOpAsmInterface : public OpAsmDialectInterface {
  using OpAsmDialectInterface::OpAsmDialectInterface;
  AliasResult getAlias(Attribute attr, raw_ostream &os) const override {
    if (isa<LayoutAttr>(attr)) {
      os << "layout";
      return AliasResult::OverridableAlias;
    }
    return AliasResult::NoAlias;
  }
};
} // namespace

void TBVMDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/TBVM/IR/TBVMOps.cpp.inc"
      >();
  registerTypes();
  registerAttributes();
  addInterfaces<TBVMOpAsmInterface>();
}
