//===- TBVMDialect.td - the thread-block virtual machine ---*- tablegen -*-===//
#ifndef TESSEL_TBVM_DIALECT
#define TESSEL_TBVM_DIALECT

include "mlir/IR/OpBase.td"

def TBVM_Dialect : Dialect {
  let name = "tbvm";
  let cppNamespace = "::tessel::tbvm";
  let summary = "Tessel's thread-block virtual machine";
  let description = [{
    The bottom of the compiler and the contract with the runtime. A `tbvm.kernel` is the
    program of ONE thread block: it moves tiles between global memory
    (`!tbvm.gtensor`), shared memory (`!tbvm.stensor`) and registers
    (`!tbvm.rtensor`, distributed over the block's threads by a `#tbvm.layout`), and
    computes on register tiles. Scalars and control flow use `arith` and `scf` (a
    documented subset). A `tbvm.host` function allocates buffers and launches kernels.
    Both executors (the CPU reference and the PTX JIT) run the same bytecode; docs/vm.md
    gives each instruction's semantics.
  }];
  let useDefaultTypePrinterParser = 1;
  let useDefaultAttributePrinterParser = 1;
  let dependentDialects = ["::mlir::arith::ArithDialect", "::mlir::scf::SCFDialect"];
  let extraClassDeclaration = [{
    void registerTypes();
    void registerAttributes();
  }];
}

class TBVM_Op<string mnemonic, list<Trait> traits = []>
    : Op<TBVM_Dialect, mnemonic, traits>;

#endif // TESSEL_TBVM_DIALECT
