//===- TBVMOps.td - tbvm instructions ----------------------*- tablegen -*-===//
//
// The instruction set of the thread-block VM. docs/vm.md states each instruction's
// semantics; the CPU executor (runtime/src/cpu) is its reference implementation.
//
//===----------------------------------------------------------------------===//
#ifndef TESSEL_TBVM_OPS
#define TESSEL_TBVM_OPS

include "dialects/TBVM/IR/TBVMDialect.td"
include "dialects/TBVM/IR/TBVMAttrs.td"
include "dialects/TBVM/IR/TBVMTypes.td"
include "mlir/IR/BuiltinAttributes.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/CallInterfaces.td"
include "mlir/Interfaces/ControlFlowInterfaces.td"
include "mlir/Interfaces/FunctionInterfaces.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def TBVM_GTensor : Type<CPred<"::llvm::isa<::tessel::tbvm::GTensorType>($_self)">,
                        "global tensor", "::tessel::tbvm::GTensorType">;
def TBVM_STensor : Type<CPred<"::llvm::isa<::tessel::tbvm::STensorType>($_self)">,
                        "shared tensor", "::tessel::tbvm::STensorType">;
def TBVM_RTensor : Type<CPred<"::llvm::isa<::tessel::tbvm::RTensorType>($_self)">,
                        "register tensor", "::tessel::tbvm::RTensorType">;
def TBVM_Scalar : AnyTypeOf<[AnySignlessInteger, Index, F16, BF16, F32]>;
def TBVM_RTensorOrScalar : AnyTypeOf<[TBVM_RTensor, TBVM_Scalar]>;
def TBVM_LookupTable : AnyTypeOf<[TBVM_RTensor, TBVM_STensor]>;

//===----------------------------------------------------------------------===//
// Functions and the host program
//===----------------------------------------------------------------------===//

def TBVM_KernelOp : TBVM_Op<"kernel", [
    FunctionOpInterface, IsolatedFromAbove, Symbol, AutomaticAllocationScope]> {
  let summary = "The program of one thread block";
  let description = [{
    Arguments are global tensors and scalars, bound at launch. `warps` sets the block
    size (32 * warps threads); `shared_bytes` is the shared memory the block needs
    (set by tbvm-plan-shared-memory); `min_blocks_per_sm` (0: no request) asks the GPU
    code generator to fit that many blocks on an SM, capping registers per thread.

    ```mlir
    tbvm.kernel @add(%x: !tbvm.gtensor<?xf32>, %y: !tbvm.gtensor<?xf32>) attributes {warps = 4 : i64} {
      ...
      tbvm.return
    }
    ```
  }];
  let arguments = (ins SymbolNameAttr:$sym_name,
                       TypeAttrOf<FunctionType>:$function_type,
                       OptionalAttr<DictArrayAttr>:$arg_attrs,
                       OptionalAttr<DictArrayAttr>:$res_attrs,
                       I64Attr:$warps,
                       DefaultValuedAttr<I64Attr, "0">:$shared_bytes,
                       OptionalAttr<I64Attr>:$min_blocks_per_sm);
  let regions = (region SizedRegion<1>:$body);
  let hasCustomAssemblyFormat = 1;
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    ::mlir::Region *getCallableRegion() { return &getBody(); }
    ::llvm::ArrayRef<::mlir::Type> getArgumentTypes() { return getFunctionType().getInputs(); }
    ::llvm::ArrayRef<::mlir::Type> getResultTypes() { return getFunctionType().getResults(); }
    int64_t getNumThreads() { return 32 * getWarps(); }
  }];
}

def TBVM_HostOp : TBVM_Op<"host", [
    FunctionOpInterface, IsolatedFromAbove, Symbol, AutomaticAllocationScope]> {
  let summary = "A host function of the module: allocations and kernel launches";
  let description = [{
    What the runtime's `Function::invoke` runs: its arguments are the function's inputs
    (global tensors whose dynamic dimensions come from the caller's tensors), its
    results the outputs.
  }];
  let arguments = (ins SymbolNameAttr:$sym_name,
                       TypeAttrOf<FunctionType>:$function_type,
                       OptionalAttr<DictArrayAttr>:$arg_attrs,
                       OptionalAttr<DictArrayAttr>:$res_attrs);
  let regions = (region SizedRegion<1>:$body);
  let hasCustomAssemblyFormat = 1;
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    ::mlir::Region *getCallableRegion() { return &getBody(); }
    ::llvm::ArrayRef<::mlir::Type> getArgumentTypes() { return getFunctionType().getInputs(); }
    ::llvm::ArrayRef<::mlir::Type> getResultTypes() { return getFunctionType().getResults(); }
  }];
}

def TBVM_ReturnOp : TBVM_Op<"return", [
    Pure, ReturnLike, Terminator, ParentOneOf<["KernelOp", "HostOp"]>]> {
  let summary = "End of a kernel or host function";
  let arguments = (ins Variadic<AnyType>:$operands);
  let assemblyFormat = "attr-dict ($operands^ `:` qualified(type($operands)))?";
  let hasVerifier = 1;
}

def TBVM_GlobalOp : TBVM_Op<"global", [Symbol]> {
  let summary = "A constant global tensor of the module (weights)";
  let description = [{
    `tbvm.global @w : !tbvm.gtensor<512x64xui3> = dense<...> : tensor<12288xi8>`: the
    tensor's bytes (sub-byte elements packed), stored aligned in the .tslm so they can
    be used in place.
  }];
  let arguments = (ins SymbolNameAttr:$sym_name, TypeAttrOf<TBVM_GTensor>:$type,
                       ElementsAttr:$value);
  let assemblyFormat = "$sym_name `:` $type `=` $value attr-dict";
  let hasVerifier = 1;
}

def TBVM_GetGlobalOp : TBVM_Op<"get_global", [Pure,
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "The global tensor of a tbvm.global";
  let arguments = (ins FlatSymbolRefAttr:$name);
  let results = (outs TBVM_GTensor:$result);
  let assemblyFormat = "$name attr-dict `:` qualified(type($result))";
}

def TBVM_AllocGlobalOp : TBVM_Op<"alloc_global", [HasParent<"HostOp">]> {
  let summary = "Allocate a global tensor (host)";
  let description = [{
    A tensor of the result's type (dynamic sizes given as operands), zero-filled, or with
    `uninitialized` of undefined contents until a kernel writes them: for outputs that
    every element of is stored, which then cost no fill on the device (the CPU executor
    fills them with 0xFF bytes, NaN in f16/bf16/f32, so an element read before it is
    written shows).

    ```mlir
    %y = tbvm.alloc_global(%m, %n) {uninitialized} : !tbvm.gtensor<?x?xf32>
    ```
  }];
  let arguments = (ins Variadic<Index>:$dynamicSizes, UnitAttr:$uninitialized);
  let results = (outs TBVM_GTensor:$result);
  let assemblyFormat = "`(` $dynamicSizes `)` attr-dict `:` qualified(type($result))";
  let hasVerifier = 1;
}

def TBVM_CheckOp : TBVM_Op<"check", [HasParent<"HostOp">]> {
  let summary = "Fail the call with a message unless a condition holds (host)";
  let description = [{
    For what the types cannot say about the inputs (a dimension that must be a multiple
    of another, or match one of another tensor): when `condition` is false the call
    fails with InvalidArgument, naming the host function and `message`, followed by the
    `values` (sizes, say) in brackets.

    ```mlir
    tbvm.check %ok, "w must hold K / 128 rows (rows, K)" values(%rows, %k) : index, index
    ```
  }];
  let arguments = (ins I1:$condition, StrAttr:$message, Variadic<Index>:$values);
  let assemblyFormat = [{
    $condition `,` $message (`values` `(` $values^ `)` `:` type($values))? attr-dict
  }];
}

def TBVM_LaunchOp : TBVM_Op<"launch", [HasParent<"HostOp">,
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "Launch a kernel on a grid of blocks (host)";
  let description = [{
    `overlap`: when the instruction before this one is a launch that runs blocks and
    does not overlap the one before it, this kernel may begin before that one has ended
    (programmatic dependent launch on sm_90 and newer GPUs), once every block of it has
    reached `tbvm.launch_dependents` or ended. This kernel must then wait
    (`tbvm.grid_dependency_wait`) before it touches what that one writes; what earlier
    launches wrote it may read at once (that kernel began only after them). Elsewhere
    launches run one after another.

    ```mlir
    tbvm.launch @gemm_kernel grid(%gx, %gy, %c1) (%x, %y) {overlap} : (...) -> ()
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$kernel, Index:$gridX, Index:$gridY, Index:$gridZ,
                       Variadic<AnyType>:$args, UnitAttr:$overlap);
  let assemblyFormat = [{
    $kernel `grid` `(` $gridX `,` $gridY `,` $gridZ `)` `(` $args `)` attr-dict
    `:` functional-type($args, results)
  }];
}

def TBVM_ResidentBlocksOp : TBVM_Op<"resident_blocks", [HasParent<"HostOp">,
    DeclareOpInterfaceMethods<SymbolUserOpInterface>]> {
  let summary = "How many blocks of a kernel the device runs at once (host)";
  let description = [{
    The device's multiprocessors times the blocks of `kernel` one of them holds at once
    (its registers, shared memory and block size decide), for sizing grids to the
    machine: a GPU answers from the driver's occupancy calculator, the CPU executor with
    its worker threads. At least 1.

    ```mlir
    %r = tbvm.resident_blocks @gemm_kernel
    ```
  }];
  let arguments = (ins FlatSymbolRefAttr:$kernel);
  let results = (outs Index:$result);
  let assemblyFormat = "$kernel attr-dict";
}

def TBVM_DimOp : TBVM_Op<"dim", [Pure]> {
  let summary = "A dimension of a global tensor";
  let arguments = (ins TBVM_GTensor:$source, I64Attr:$index);
  let results = (outs Index:$result);
  let assemblyFormat = "$source `,` $index attr-dict `:` qualified(type($source))";
  let hasVerifier = 1;
}

def TBVM_BlockIdxOp : TBVM_Op<"block_idx", [Pure]> {
  let summary = "The index of this block in the grid";
  let arguments = (ins TBVM_DimAttr:$dim);
  let results = (outs Index:$result);
  let assemblyFormat = "$dim attr-dict";
}

def TBVM_GridDimOp : TBVM_Op<"grid_dim", [Pure]> {
  let summary = "The number of blocks of the grid along a dimension";
  let arguments = (ins TBVM_DimAttr:$dim);
  let results = (outs Index:$result);
  let assemblyFormat = "$dim attr-dict";
}

//===----------------------------------------------------------------------===//
// Allocate
//===----------------------------------------------------------------------===//

def TBVM_AllocRegsOp : TBVM_Op<"alloc_regs", [Pure]> {
  let summary = "A register tile filled with a value (zero when none is given)";
  let arguments = (ins Optional<TBVM_Scalar>:$init);
  let results = (outs TBVM_RTensor:$result);
  let assemblyFormat = "($init^ `:` qualified(type($init)))? attr-dict `->` qualified(type($result))";
  let hasVerifier = 1;
}

def TBVM_AllocSharedOp : TBVM_Op<"alloc_shared"> {
  let summary = "A tile of the block's shared memory";
  let description = [{
    `offset` (bytes from the start of the block's shared memory) is set by
    tbvm-plan-shared-memory; the bytecode requires it.
  }];
  let arguments = (ins OptionalAttr<I64Attr>:$offset);
  let results = (outs TBVM_STensor:$result);
  let assemblyFormat = "attr-dict `:` qualified(type($result))";
  let hasVerifier = 1;
}

def TBVM_GlobalViewOp : TBVM_Op<"global_view", [Pure]> {
  let summary = "Reinterpret global memory as a tensor of another type and shape";
  let description = [{
    The tensor starting `offset` bytes into `source`, with the result's element type
    and shape (dynamic sizes given as operands). Views packed bytes as sub-byte
    elements, for instance.
  }];
  let arguments = (ins TBVM_GTensor:$source, Index:$offset, Variadic<Index>:$dynamicSizes);
  let results = (outs TBVM_GTensor:$result);
  let assemblyFormat = [{
    $source `[` $offset `]` `(` $dynamicSizes `)` attr-dict `:` qualified(type($source)) `->` qualified(type($result))
  }];
  let hasVerifier = 1;
}

def TBVM_SharedSliceOp : TBVM_Op<"shared_slice", [Pure]> {
  let summary = "A sub-tile of a shared tile, selected by its leading indices";
  let arguments = (ins TBVM_STensor:$source, Variadic<Index>:$indices);
  let results = (outs TBVM_STensor:$result);
  let assemblyFormat = "$source `[` $indices `]` attr-dict `:` qualified(type($source)) `->` qualified(type($result))";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Move
//===----------------------------------------------------------------------===//

def TBVM_LoadGlobalOp : TBVM_Op<"load_global"> {
  let summary = "Load a tile of a global tensor into registers";
  let description = [{
    The tile of the result's shape whose first element is at `indices` (element
    coordinates). Elements outside the tensor read as zero.
  }];
  let arguments = (ins TBVM_GTensor:$source, Variadic<Index>:$indices,
                       DefaultValuedAttr<TBVM_CacheHintAttr, "CacheHint::normal">:$cache);
  let results = (outs TBVM_RTensor:$result);
  let assemblyFormat = "$source `[` $indices `]` attr-dict `:` qualified(type($source)) `->` qualified(type($result))";
  let hasVerifier = 1;
}

def TBVM_StoreGlobalOp : TBVM_Op<"store_global"> {
  let summary = "Store a register tile into a global tensor";
  let description = [{ Elements that fall outside the tensor are not stored. }];
  let arguments = (ins TBVM_RTensor:$value, TBVM_GTensor:$dest, Variadic<Index>:$indices,
                       DefaultValuedAttr<TBVM_CacheHintAttr, "CacheHint::normal">:$cache);
  let assemblyFormat = [{
    $value `,` $dest `[` $indices `]` attr-dict `:` qualified(type($value)) `,` qualified(type($dest))
  }];
  let hasVerifier = 1;
}

def TBVM_CopyAsyncOp : TBVM_Op<"copy_async"> {
  let summary = "Start copying a global tile into a shared tile";
  let description = [{
    Copies the tile of the destination's shape at `indices` (out-of-bounds elements
    zero-filled). The data may be read only after a copy_async_commit and a
    copy_async_wait that covers it, followed by a sync.
  }];
  let arguments = (ins TBVM_GTensor:$source, Variadic<Index>:$indices, TBVM_STensor:$dest,
                       DefaultValuedAttr<TBVM_CacheHintAttr, "CacheHint::normal">:$cache);
  let assemblyFormat = [{
    $source `[` $indices `]` `,` $dest attr-dict `:` qualified(type($source)) `,` qualified(type($dest))
  }];
  let hasVerifier = 1;
}

def TBVM_PrefetchOp : TBVM_Op<"prefetch"> {
  let summary = "Ask for a box of a global tensor to be brought into the L2 cache";
  let description = [{
    A hint with no effect on any value: the block's threads ask the memory system to
    bring the elements of the box of `shape` at `indices` into L2, so that later loads
    of them wait less (a register pipeline's weights several K steps ahead, without
    registers to hold them). The box is runs of contiguous bytes (its last dimension,
    extended over earlier ones while it spans the later ones whole); a box that leaves
    the tensor along a dimension where runs start is dropped, runs along the last
    dimension alone are clipped to the tensor, and a box of very many runs may be
    prefetched in part. The CPU executor does nothing.

    ```mlir
    tbvm.prefetch %w[%kc, %nt, %c0] [1, 16, 512] : !tbvm.gtensor<?x?x512xi8>
    ```
  }];
  let arguments = (ins TBVM_GTensor:$source, Variadic<Index>:$indices, DenseI64ArrayAttr:$shape);
  let assemblyFormat = "$source `[` $indices `]` $shape attr-dict `:` qualified(type($source))";
  let hasVerifier = 1;
}

def TBVM_CopyAsyncCommitOp : TBVM_Op<"copy_async_commit"> {
  let summary = "Close the group of copies started since the last commit";
  let assemblyFormat = "attr-dict";
}

def TBVM_CopyAsyncWaitOp : TBVM_Op<"copy_async_wait"> {
  let summary = "Wait until at most `pending` committed groups are still in flight";
  let arguments = (ins DefaultValuedAttr<I64Attr, "0">:$pending);
  let assemblyFormat = "attr-dict";
}

def TBVM_LoadSharedOp : TBVM_Op<"load_shared"> {
  let summary = "Load a tile of a shared tensor into registers";
  let arguments = (ins TBVM_STensor:$source, Variadic<Index>:$indices);
  let results = (outs TBVM_RTensor:$result);
  let assemblyFormat = "$source `[` $indices `]` attr-dict `:` qualified(type($source)) `->` qualified(type($result))";
  let hasVerifier = 1;
}

def TBVM_StoreSharedOp : TBVM_Op<"store_shared"> {
  let summary = "Store a register tile into a shared tensor";
  let arguments = (ins TBVM_RTensor:$value, TBVM_STensor:$dest, Variadic<Index>:$indices);
  let assemblyFormat = [{
    $value `,` $dest `[` $indices `]` attr-dict `:` qualified(type($value)) `,` qualified(type($dest))
  }];
  let hasVerifier = 1;
}

def TBVM_LoadMatrixOp : TBVM_Op<"load_matrix"> {
  let summary = "Load an mma operand tile from shared memory (ldmatrix)";
  let description = [{
    Same values as load_shared; the result layout must be one ldmatrix produces (it
    divides by the 8x8 ldmatrix fragment), so the GPU uses ldmatrix.
  }];
  let arguments = (ins TBVM_STensor:$source, Variadic<Index>:$indices,
                       DefaultValuedAttr<BoolAttr, "false">:$transpose);
  let results = (outs TBVM_RTensor:$result);
  let assemblyFormat = "$source `[` $indices `]` attr-dict `:` qualified(type($source)) `->` qualified(type($result))";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Compute
//===----------------------------------------------------------------------===//

def TBVM_DotOp : TBVM_Op<"dot", [Pure]> {
  let summary = "Matrix product of register tiles: d = a * b + c";
  let description = [{
    a [M, K], b [K, N], c and d [M, N]. Products are exact and accumulated in c's type
    (f32 for f16/bf16 inputs, i32 for 8-bit integers). Layouts that divide by the
    mma.m16n8k16 fragments (m16n8k32 for int8) run on tensor cores; any other layouts
    must give every thread that holds d[m, n] the whole row a[m, :] and column
    b[:, n] (the CUDA-core fallback).
  }];
  let arguments = (ins TBVM_RTensor:$a, TBVM_RTensor:$b, TBVM_RTensor:$c);
  let results = (outs TBVM_RTensor:$result);
  let assemblyFormat = [{
    $a `,` $b `,` $c attr-dict `:` qualified(type($a)) `,` qualified(type($b)) `,` qualified(type($c)) `->` qualified(type($result))
  }];
  let hasVerifier = 1;
}

def TBVM_DotSparseOp : TBVM_Op<"dot_sparse", [Pure]> {
  let summary = "2:4 sparse matrix product: d = expand(a, meta) * b + c";
  let description = [{
    a holds the kept values [M, K/2]: two of every four consecutive elements along K of
    the dense A. meta [M, K/4] (ui4) holds, per group of four, the two kept positions
    i0 < i1 as i0 | i1 << 2. The dense A is zero elsewhere.
  }];
  let arguments = (ins TBVM_RTensor:$a, TBVM_RTensor:$meta, TBVM_RTensor:$b,
                       TBVM_RTensor:$c);
  let results = (outs TBVM_RTensor:$result);
  let assemblyFormat = [{
    $a `,` $meta `,` $b `,` $c attr-dict `:` qualified(type($a)) `,` qualified(type($meta)) `,` qualified(type($b)) `,`
    qualified(type($c)) `->` qualified(type($result))
  }];
  let hasVerifier = 1;
}

def TBVM_CastOp : TBVM_Op<"cast", [Pure]> {
  let summary = "Convert each element to another type (same tile)";
  let description = [{
    Exact where the value is representable; otherwise rounded to nearest even,
    saturating for integers (NaN to 0) and following IEEE overflow for floats.
    The result usually has the source's layout. It may have another one in which every
    thread holding result[i] holds source[i] (the slots of a thread in another order,
    or fewer replicas): the GPU reads each element from the thread's own registers, so
    a code order chosen for a fast conversion (e.g. 4-bit codes paired 16 bits apart)
    costs nothing.
  }];
  let arguments = (ins TBVM_RTensor:$source);
  let results = (outs TBVM_RTensor:$result);
  let assemblyFormat = "$source attr-dict `:` qualified(type($source)) `->` qualified(type($result))";
  let hasVerifier = 1;
}

def TBVM_ViewOp : TBVM_Op<"view", [Pure]> {
  let summary = "Reinterpret each thread's bits as another type and layout (no cost)";
  let description = [{
    Thread t's slots are concatenated LSB-first (slot i at bits [i*n, (i+1)*n)) and
    re-read as slots of the result type. Both tiles need the same number of threads
    and the same bits per thread.
  }];
  let arguments = (ins TBVM_RTensor:$source);
  let results = (outs TBVM_RTensor:$result);
  let assemblyFormat = "$source attr-dict `:` qualified(type($source)) `->` qualified(type($result))";
  let hasVerifier = 1;
}

def TBVM_SliceOp : TBVM_Op<"slice", [Pure]> {
  let summary = "A sub-tile of a register tile, kept by the threads that hold it";
  let description = [{
    result[i] = source[i + offsets]. Every thread that holds result[i] must hold
    source[i + offsets], so no data moves between threads: on the GPU a slice is a
    choice of registers (or funnel shifts of packed sub-word elements). A kernel can,
    for example, load and decode weights for 128 of K and feed the mma 32 of K at a time.

    ```mlir
    %q = tbvm.slice %codes [32, 0] : !tbvm.rtensor<128x32xi3, #lb128> -> !tbvm.rtensor<32x32xi3, #lb32>
    ```
  }];
  let arguments = (ins TBVM_RTensor:$source, DenseI64ArrayAttr:$offsets);
  let results = (outs TBVM_RTensor:$result);
  let assemblyFormat = "$source $offsets attr-dict `:` qualified(type($source)) `->` qualified(type($result))";
  let hasVerifier = 1;
}

def TBVM_BinaryOp : TBVM_Op<"binary", [Pure]> {
  let summary = "Elementwise binary operation";
  let description = [{
    Operands are register tiles of the result's layout, or scalars (applied to every
    element). Floats round once per operation to the result type; integers wrap
    (shifts by >= the width give 0, or the sign for shr of signed types).
  }];
  let arguments = (ins TBVM_BinaryKindAttr:$kind, TBVM_RTensorOrScalar:$lhs,
                       TBVM_RTensorOrScalar:$rhs);
  let results = (outs TBVM_RTensor:$result);
  let assemblyFormat = [{
    $kind $lhs `,` $rhs attr-dict `:` qualified(type($lhs)) `,` qualified(type($rhs)) `->` qualified(type($result))
  }];
  let hasVerifier = 1;
}

def TBVM_UnaryOp : TBVM_Op<"unary", [Pure]> {
  let summary = "Elementwise unary operation";
  let arguments = (ins TBVM_UnaryKindAttr:$kind, TBVM_RTensor:$source);
  let results = (outs TBVM_RTensor:$result);
  let assemblyFormat = "$kind $source attr-dict `:` qualified(type($source)) `->` qualified(type($result))";
  let hasVerifier = 1;
}

def TBVM_FmaOp : TBVM_Op<"fma", [Pure]> {
  let summary = "Elementwise a * b + c with a single rounding";
  let arguments = (ins TBVM_RTensorOrScalar:$a, TBVM_RTensorOrScalar:$b,
                       TBVM_RTensorOrScalar:$c);
  let results = (outs TBVM_RTensor:$result);
  let assemblyFormat = [{
    $a `,` $b `,` $c attr-dict `:` qualified(type($a)) `,` qualified(type($b)) `,` qualified(type($c)) `->` qualified(type($result))
  }];
  let hasVerifier = 1;
}

def TBVM_CompareOp : TBVM_Op<"compare", [Pure]> {
  let summary = "Elementwise comparison, giving an i1 tile";
  let arguments = (ins TBVM_ComparePredicateAttr:$predicate, TBVM_RTensorOrScalar:$lhs,
                       TBVM_RTensorOrScalar:$rhs);
  let results = (outs TBVM_RTensor:$result);
  let assemblyFormat = [{
    $predicate $lhs `,` $rhs attr-dict `:` qualified(type($lhs)) `,` qualified(type($rhs)) `->` qualified(type($result))
  }];
  let hasVerifier = 1;
}

def TBVM_WhereOp : TBVM_Op<"where", [Pure]> {
  let summary = "Elementwise select: cond ? a : b";
  let arguments = (ins TBVM_RTensor:$condition, TBVM_RTensorOrScalar:$trueValue,
                       TBVM_RTensorOrScalar:$falseValue);
  let results = (outs TBVM_RTensor:$result);
  let assemblyFormat = [{
    $condition `,` $trueValue `,` $falseValue attr-dict `:` qualified(type($condition)) `,`
    qualified(type($trueValue)) `,` qualified(type($falseValue)) `->` qualified(type($result))
  }];
  let hasVerifier = 1;
}

def TBVM_IotaOp : TBVM_Op<"iota", [Pure]> {
  let summary = "A tile whose elements are their own coordinate along a dimension";
  let arguments = (ins I64Attr:$dimension);
  let results = (outs TBVM_RTensor:$result);
  let assemblyFormat = "$dimension attr-dict `:` qualified(type($result))";
  let hasVerifier = 1;
}

def TBVM_BroadcastOp : TBVM_Op<"broadcast", [Pure]> {
  let summary = "Repeat a tile along its dimensions of size 1";
  let description = [{
    Every thread that holds result[i] must hold source[i with the broadcast dimensions
    set to 0] (as the layout reduce() of the result along those dimensions gives).
  }];
  let arguments = (ins TBVM_RTensor:$source);
  let results = (outs TBVM_RTensor:$result);
  let assemblyFormat = "$source attr-dict `:` qualified(type($source)) `->` qualified(type($result))";
  let hasVerifier = 1;
}

def TBVM_ReduceOp : TBVM_Op<"reduce", [Pure]> {
  let summary = "Reduce a tile along one dimension (kept, with size 1)";
  let description = [{
    The result's layout is the source layout reduced along the dimension: every thread
    that held part of a row holds the row's result. Sums of floats accumulate in the
    element type, in an order the executor documents.
  }];
  let arguments = (ins TBVM_ReduceKindAttr:$kind, TBVM_RTensor:$source, I64Attr:$dimension);
  let results = (outs TBVM_RTensor:$result);
  let assemblyFormat = [{
    $kind $source `,` $dimension attr-dict `:` qualified(type($source)) `->` qualified(type($result))
  }];
  let hasVerifier = 1;
}

def TBVM_LookupOp : TBVM_Op<"lookup", [Pure]> {
  let summary = "Gather from a table: result[i] = table[index[i]]";
  let description = [{
    The table is 1-D, in shared memory or in registers held whole by every thread.
    Indices past the table read as zero.
  }];
  let arguments = (ins TBVM_LookupTable:$table, TBVM_RTensor:$indices);
  let results = (outs TBVM_RTensor:$result);
  let assemblyFormat = [{
    $table `,` $indices attr-dict `:` qualified(type($table)) `,` qualified(type($indices)) `->` qualified(type($result))
  }];
  let hasVerifier = 1;
}

def TBVM_ShuffleOp : TBVM_Op<"shuffle", [Pure]> {
  let summary = "Move a tile's elements to another layout";
  let description = [{
    The same tile in another distribution over the threads (warp shuffles within a
    warp, shared memory across warps).
  }];
  let arguments = (ins TBVM_RTensor:$source);
  let results = (outs TBVM_RTensor:$result);
  let assemblyFormat = "$source attr-dict `:` qualified(type($source)) `->` qualified(type($result))";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Sync and misc
//===----------------------------------------------------------------------===//

def TBVM_SyncOp : TBVM_Op<"sync"> {
  let summary = "Barrier of all threads of the block";
  let assemblyFormat = "attr-dict";
}

def TBVM_LaunchDependentsOp : TBVM_Op<"launch_dependents"> {
  let summary = "Let the launch after this kernel's begin before this one ends";
  let description = [{
    Where the next launch of the host function is marked `overlap`, that kernel may
    start once every block of this one has passed here (or ended), instead of when this
    one has ended: its blocks run alongside this one's, and it waits
    (`tbvm.grid_dependency_wait`) before it touches what this one writes. On sm_90 and
    newer GPUs `griddepcontrol.launch_dependents`; elsewhere, and on the CPU executor,
    nothing.

    ```mlir
    tbvm.launch_dependents
    ```
  }];
  let assemblyFormat = "attr-dict";
}

def TBVM_GridDependencyWaitOp : TBVM_Op<"grid_dependency_wait"> {
  let summary = "Wait until the kernel launched before this one has ended";
  let description = [{
    In a kernel launched with `overlap` (which may begin before the kernel launched
    before it has ended, programmatic dependent launch on sm_90), waits until that kernel
    has ended and its writes are visible; what the kernel reads or writes of that
    kernel's results must come after it. Without an overlapping launch it returns at
    once. On sm_90 and newer GPUs `griddepcontrol.wait`; elsewhere, and on the CPU
    executor, nothing (launches there never overlap).

    ```mlir
    tbvm.grid_dependency_wait
    ```
  }];
  let assemblyFormat = "attr-dict";
}

def TBVM_AtomicAddOp : TBVM_Op<"atomic_add"> {
  let summary = "Atomically add a register tile into a global tensor";
  let arguments = (ins TBVM_RTensor:$value, TBVM_GTensor:$dest, Variadic<Index>:$indices);
  let assemblyFormat = [{
    $value `,` $dest `[` $indices `]` attr-dict `:` qualified(type($value)) `,` qualified(type($dest))
  }];
  let hasVerifier = 1;
}

def TBVM_ExitOp : TBVM_Op<"exit"> {
  let summary = "End this block's program now";
  let assemblyFormat = "attr-dict";
}

def TBVM_PrintOp : TBVM_Op<"print"> {
  let summary = "Print a tile or scalar (debugging)";
  let arguments = (ins StrAttr:$label, TBVM_RTensorOrScalar:$value);
  let assemblyFormat = "$label `,` $value attr-dict `:` qualified(type($value))";
}

#endif // TESSEL_TBVM_OPS
