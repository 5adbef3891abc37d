//===- Passes.td - tbvm passes -----------------------------*- tablegen -*-===//
#ifndef TESSEL_TBVM_PASSES
#define TESSEL_TBVM_PASSES

include "mlir/Pass/PassBase.td"

def PlanSharedMemoryPass : Pass<"tbvm-plan-shared-memory", "::tessel::tbvm::KernelOp"> {
  let summary = "Give every shared tile of a kernel its offset and size the kernel's shared memory";
  let description = [{
    Computes the live range of each tbvm.alloc_shared (through shared_slice views; a use
    inside a loop keeps the tile alive to the end of that loop) and packs the tiles
    first-fit, largest first, so tiles that are never live together share bytes. Sets
    each alloc_shared's `offset` and the kernel's `shared_bytes`. Offsets are aligned to
    `alignment` bytes (128 by default: what swizzled ldmatrix and bulk copies need).
  }];
  let options = [
    Option<"alignment", "alignment", "int64_t", "128", "Alignment of every shared tile in bytes">,
  ];
}

#endif
