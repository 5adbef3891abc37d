//===- LowPAttrs.td - lowp attributes ----------------------*- tablegen -*-===//
#ifndef TESSEL_LOWP_ATTRS
#define TESSEL_LOWP_ATTRS

include "dialects/LowP/IR/LowPDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"
include "mlir/IR/TensorEncoding.td"

def LowP_PackedOrder : I32EnumAttr<"PackedOrder",
    "element order of a packed weight's bit stream", [
      I32EnumAttrCase<"plain", 0>,
      I32EnumAttrCase<"mma_k128", 1>,
    ]> {
  let cppNamespace = "::tessel::lowp";
  let genSpecializedAttr = 0;
}

def LowP_Activation : I32EnumAttr<"Activation", "activation applied in an epilogue", [
      I32EnumAttrCase<"none", 0>,
      I32EnumAttrCase<"relu", 1>,
      I32EnumAttrCase<"gelu", 2>,
      I32EnumAttrCase<"silu", 3>,
    ]> {
  let cppNamespace = "::tessel::lowp";
  let genSpecializedAttr = 0;
}

def LowP_ActivationAttr : EnumAttr<LowP_Dialect, LowP_Activation, "activation"> {
  let assemblyFormat = "`<` $value `>`";
}

def LowP_QuantAttr : AttrDef<LowP_Dialect, "Quant",
    [DeclareAttrInterfaceMethods<VerifiableTensorEncoding>]> {
  let mnemonic = "quant";
  let summary = "How a weight tensor is quantized and stored";
  let description = [{
    The encoding of a quantized weight tensor `tensor<R x D1 x ... x T, #lowp.quant<...>>`
    (T the storage type). Rows (dimension 0) are output channels; the other dimensions,
    flattened, form the reduction length K. Each row is split into groups of
    `group` consecutive elements along K (or one group per row: `per_channel`), each
    with a scale in the scale type; with `asymmetric`, each group also has an offset m
    in the scale type and a code q stands for scale * q + m (m = -scale * zero point);
    with `symmetric`, for scale * q.

    ```mlir
    #lowp.quant<storage = si3, scale = f16, group = 128, symmetric>
    #lowp.quant<storage = ui4, scale = bf16, per_channel, asymmetric, order = plain>
    ```
    The packed order is `plain` (row-major bit stream) unless a kernel asked for its
    fragment order (`lowp-repack-for-kernel`): `mma_k128` is the order of
    runtime/src/vm/Repack.h, bytes [K/128][N/8][32 lanes][4 * bits], in which each thread
    of the low-bit GEMM template loads its mma fragments' codes contiguously (rank 2,
    N % 8 == 0, K % 128 == 0).
  }];
  let parameters = (ins
    "::mlir::Type":$storageType,
    "::mlir::Type":$scaleType,
    "int64_t":$groupSize,
    "bool":$symmetric,
    "PackedOrder":$order
  );
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// The codec library's description of this encoding.
    ::tessel::vm::QuantScheme getScheme() const;
    /// Number of groups in a row of `rowLength` elements.
    int64_t getGroupsPerRow(int64_t rowLength) const {
      return getGroupSize() == 0 ? 1 : rowLength / getGroupSize();
    }
  }];
}

#endif // TESSEL_LOWP_ATTRS
