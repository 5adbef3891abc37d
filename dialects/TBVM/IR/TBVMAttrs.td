//===- TBVMAttrs.td - tbvm attributes ----------------------*- tablegen -*-===//
#ifndef TESSEL_TBVM_ATTRS
#define TESSEL_TBVM_ATTRS

include "dialects/TBVM/IR/TBVMDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def TBVM_LayoutAttr : AttrDef<TBVM_Dialect, "Layout"> {
  let mnemonic = "layout";
  let summary = "How a register tile is distributed over the threads of a block";
  let description = [{
    A layout maps each element of a tile to (thread, slot). Written as a composition
    of primitives (`local`, `spatial`, `column_local`, `column_spatial`, `replicate`)
    in the layout algebra (runtime/src/vm/Layout.h), e.g. the f32 accumulator of
    mma.m16n8k16: `#tbvm.layout<"local(2,1).spatial(8,4).local(1,2)">`.
  }];
  let parameters = (ins AttrParameter<"::tessel::vm::Layout", "",
                                      "const ::tessel::vm::Layout &">:$value);
  let hasCustomAssemblyFormat = 1;
  let extraClassDeclaration = [{
    const ::tessel::vm::Layout &getLayout() const { return getValue(); }
    int64_t getNumThreads() const { return getValue().numThreads(); }
    int64_t getLocalSize() const { return getValue().localSize(); }
  }];
}

def TBVM_SwizzleAttr : AttrDef<TBVM_Dialect, "Swizzle"> {
  let mnemonic = "swizzle";
  let summary = "XOR swizzle of a shared-memory tile's element offsets";
  let description = [{
    `#tbvm.swizzle<bits, base, shift>`: element offset o is stored at
    o ^ (((o >> (base + shift)) & (2^bits - 1)) << base), which spreads the rows that
    ldmatrix reads together over all banks.
  }];
  let parameters = (ins "int64_t":$bits, "int64_t":$base, "int64_t":$shift);
  let assemblyFormat = "`<` $bits `,` $base `,` $shift `>`";
  let genVerifyDecl = 1;
}

def TBVM_ScheduleAttr : AttrDef<TBVM_Dialect, "Schedule"> {
  let mnemonic = "schedule";
  let summary = "The choices a kernel template instantiates: tiles, warps, stages, split-K";
  let description = [{
    Attached to the op (or fused block) that becomes a kernel; the kernel templates
    (lib/Kernels) read their choices from it and nowhere else.

    - `bm`: rows of the output tile of a block (multiple of 16; or 8 for decode: the
      weights become the mma's 16-row A operand and the 8 rows of activations its B
      operand, so one mma covers 16 columns of the output and no row is 16-row padding);
    - `warps`: warps of a block;
    - `warps_m` (optional, 1 when absent): how many of the warps split the rows (each
      holding bm / warps_m of them; the others split the columns), so a block tile can
      grow in both directions and the warps along M share the weights;
    - `n_per_warp`: 8-column mma tiles each warp computes;
    - `k_step`: reduction elements per main-loop iteration (multiple of 128);
    - `split_k`: blocks that share one output tile's reduction (0: chosen at run time
      so that the grid has about `target_blocks` blocks, 1: none; more than one
      accumulate with atomics);
    - `stages`: 1 = the register pipeline (each warp loads its own weights into
      registers a step ahead; the activations go through shared memory); 0 = the same
      with no shared memory (each warp loads its activation fragments from global
      memory: no barrier); 2..8 = shared-memory stages of activations and weights
      (cp.async), computed in 32-wide K slices;
    - `min_blocks` (optional, 0: no request): blocks the kernel must fit on an SM, which
      caps the registers per thread (more warps to hide latency, or fewer instructions);
    - `target_blocks` (optional, 256 when absent): the grid size split_k = 0 aims for;
      0: sized to the device at run time (`tbvm.resident_blocks`: as many rounds of
      resident blocks as balance best);
    - `prefetch` (optional, 0 when absent): with the register pipeline, each loop
      iteration (a pair of K steps kc, kc + 1) asks for the block's weights of the pair
      kc + prefetch, kc + prefetch + 1 to be brought into L2 (`tbvm.prefetch`), so more
      bytes are in flight than its registers hold (2 or more: 1 repeats the step whose
      weights are being loaded); 0: none;
    - `stream_k` (optional, 0 when absent): 1 = stream-K. Along x the grid has whole
      rounds of ceil(`target_blocks` / row blocks) blocks (0: the device's resident
      blocks), at least one block per column tile and at most one per (column tile, K
      chunk) unit. The blocks split all column tiles' K chunks between them as one
      sequence of those units, tile by tile, so every block does the same work, even
      where the tiles do not fill whole rounds of resident blocks (448 tiles on 528
      resident blocks: one round of blocks 85% busy without splits, six rounds of 7
      splits with them). A block's share covers at most the end of one tile and the
      start of the next; it adds a tile it covers only in part atomically and stores
      one it covers whole. Requires `split_k = 0`.

    ```mlir
    #tbvm.schedule<bm = 16, warps = 4, n_per_warp = 2, k_step = 256, split_k = 0, stages = 2>
    ```
  }];
  let parameters = (ins "int64_t":$bm, "int64_t":$warps, "int64_t":$n_per_warp,
                        "int64_t":$k_step, "int64_t":$split_k, "int64_t":$stages,
                        DefaultValuedParameter<"int64_t", "0">:$min_blocks,
                        DefaultValuedParameter<"int64_t", "1">:$warps_m,
                        DefaultValuedParameter<"int64_t", "256">:$target_blocks,
                        DefaultValuedParameter<"int64_t", "0">:$prefetch,
                        DefaultValuedParameter<"int64_t", "0">:$stream_k);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def TBVM_BinaryKindAttr : I32EnumAttr<"BinaryKind", "elementwise binary operation", [
    I32EnumAttrCase<"add", 0>, I32EnumAttrCase<"sub", 1>, I32EnumAttrCase<"mul", 2>,
    I32EnumAttrCase<"div", 3>, I32EnumAttrCase<"max", 4>, I32EnumAttrCase<"min", 5>,
    I32EnumAttrCase<"rem", 6>, I32EnumAttrCase<"bit_and", 7, "and">, I32EnumAttrCase<"bit_or", 8, "or">,
    I32EnumAttrCase<"bit_xor", 9, "xor">, I32EnumAttrCase<"shl", 10>, I32EnumAttrCase<"shr", 11>,
  ]> {
  let cppNamespace = "::tessel::tbvm";
}

def TBVM_UnaryKindAttr : I32EnumAttr<"UnaryKind", "elementwise unary operation", [
    I32EnumAttrCase<"neg", 0>, I32EnumAttrCase<"abs", 1>, I32EnumAttrCase<"exp", 2>,
    I32EnumAttrCase<"exp2", 3>, I32EnumAttrCase<"log", 4>, I32EnumAttrCase<"sqrt", 5>,
    I32EnumAttrCase<"rsqrt", 6>, I32EnumAttrCase<"tanh", 7>, I32EnumAttrCase<"erf", 8>,
    I32EnumAttrCase<"sigmoid", 9>, I32EnumAttrCase<"bit_not", 10, "not">, I32EnumAttrCase<"recip", 11>,
  ]> {
  let cppNamespace = "::tessel::tbvm";
}

def TBVM_ReduceKindAttr : I32EnumAttr<"ReduceKind", "reduction", [
    I32EnumAttrCase<"sum", 0>, I32EnumAttrCase<"max", 1>, I32EnumAttrCase<"min", 2>,
  ]> {
  let cppNamespace = "::tessel::tbvm";
}

def TBVM_ComparePredicateAttr : I32EnumAttr<"ComparePredicate", "comparison", [
    I32EnumAttrCase<"eq", 0>, I32EnumAttrCase<"ne", 1>, I32EnumAttrCase<"lt", 2>,
    I32EnumAttrCase<"le", 3>, I32EnumAttrCase<"gt", 4>, I32EnumAttrCase<"ge", 5>,
  ]> {
  let cppNamespace = "::tessel::tbvm";
}

def TBVM_CacheHintAttr : I32EnumAttr<"CacheHint", "L2 cache policy of a global access", [
    I32EnumAttrCase<"normal", 0>, I32EnumAttrCase<"evict_first", 1>,
    I32EnumAttrCase<"evict_last", 2>,
  ]> {
  let cppNamespace = "::tessel::tbvm";
}

def TBVM_DimAttr : I32EnumAttr<"Dim", "grid dimension", [
    I32EnumAttrCase<"x", 0>, I32EnumAttrCase<"y", 1>, I32EnumAttrCase<"z", 2>,
  ]> {
  let cppNamespace = "::tessel::tbvm";
}

#endif // TESSEL_TBVM_ATTRS
