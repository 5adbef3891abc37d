//===- LowPOps.td - lowp operations ------------------------*- tablegen -*-===//
#ifndef TESSEL_LOWP_OPS
#define TESSEL_LOWP_OPS

include "dialects/LowP/IR/LowPDialect.td"
include "dialects/LowP/IR/LowPAttrs.td"
include "dialects/LowP/IR/LowPTypes.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/BuiltinAttributes.td"

// Activations and results of the low-bit products.
def LowP_ActivationTensor : RankedTensorOf<[F16, BF16, F32]>;
// Scales and offsets are stored in f16, bf16 or f32.
def LowP_ScaleTensor : RankedTensorOf<[F16, BF16, F32]>;

def LowP_QuantizeOp : LowP_Op<"quantize", [Pure]> {
  let summary = "Round a float tensor to the codes of a quantized tensor";
  let description = [{
    Divides each element by its group's scale (after subtracting the group's offset when
    the encoding is asymmetric) and rounds to the nearest code of the storage type, ties
    to even, saturating. `scales` (and `offsets`) have shape [rows, groups per row].

    ```mlir
    %q = lowp.quantize %w, %s : tensor<8x64xf32>, tensor<8x2xf16>
           -> tensor<8x64xsi3, #lowp.quant<storage = si3, scale = f16, group = 32, symmetric>>
    ```
  }];
  let arguments = (ins RankedTensorOf<[F16, BF16, F32, F64]>:$input,
                       LowP_ScaleTensor:$scales,
                       Optional<LowP_ScaleTensor>:$offsets);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = [{
    $input `,` $scales (`,` $offsets^)? attr-dict `:` type($input) `,` type($scales)
    (`,` type($offsets)^)? `->` type($result)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def LowP_DequantizeOp : LowP_Op<"dequantize", [Pure]> {
  let summary = "The real values of a quantized tensor";
  let description = [{
    Each code q becomes scale * q (symmetric) or scale * q + offset (asymmetric), with the
    scale and offset of its group, computed exactly and rounded once to the result type.
  }];
  let arguments = (ins AnyRankedTensor:$input,
                       LowP_ScaleTensor:$scales,
                       Optional<LowP_ScaleTensor>:$offsets);
  let results = (outs RankedTensorOf<[F16, BF16, F32, F64]>:$result);
  let assemblyFormat = [{
    $input `,` $scales (`,` $offsets^)? attr-dict `:` type($input) `,` type($scales)
    (`,` type($offsets)^)? `->` type($result)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def LowP_PackOp : LowP_Op<"pack", [Pure]> {
  let summary = "The bit stream of a quantized tensor";
  let description = [{
    Packs the codes of a statically shaped quantized tensor into its storage: a
    little-endian bit stream, element i (row-major) at bits [i*n, (i+1)*n), in
    ceil(elements * n / 8) bytes. Folds when the input is constant.
  }];
  let arguments = (ins AnyRankedTensor:$input);
  let results = (outs 1DTensorOf<[I8]>:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def LowP_ConstantOp : LowP_Op<"constant", [ConstantLike, Pure]> {
  let summary = "A constant quantized tensor held in its packed form";
  let description = [{
    The logical tensor (codes of the storage type, with its `#lowp.quant` encoding) whose
    packed bit stream is `packed`. This is how lowp-quantize-weights stores weights: one
    n-bit code costs n bits, not a byte.

    ```mlir
    %w = lowp.constant dense<[...]> : tensor<24xi8>
           -> tensor<8x8xsi3, #lowp.quant<storage = si3, scale = f16, per_channel, symmetric>>
    ```
  }];
  let arguments = (ins ElementsAttr:$packed);
  let results = (outs AnyRankedTensor:$result);
  let assemblyFormat = "$packed attr-dict `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def LowP_MatmulOp : LowP_Op<"matmul", [Pure, AttrSizedOperandSegments]> {
  let summary = "Activations times quantized weights, f32 accumulation, fused epilogue";
  let description = [{
    `result[..., m, n] = act(sum_k input[..., m, k] * dequant(weights)[n, k] + bias[n])`,
    accumulated in f32 and rounded once to the result type. The weights are
    `tensor<N x K x T, #lowp.quant<...>>` (output channel major); leading dimensions of
    the input are batch dimensions.

    ```mlir
    %y = lowp.matmul %x, %w scales(%s) bias(%b) activation<gelu>
           : (tensor<1x16x64xf16>, tensor<32x64xsi3, #q>, tensor<32x2xf16>, tensor<32xf32>)
           -> tensor<1x16x32xf32>
    ```
  }];
  let arguments = (ins LowP_ActivationTensor:$input,
                       AnyRankedTensor:$weights,
                       LowP_ScaleTensor:$scales,
                       Optional<LowP_ScaleTensor>:$offsets,
                       Optional<RankedTensorOf<[F16, BF16, F32]>>:$bias,
                       OptionalAttr<LowP_ActivationAttr>:$activation);
  let results = (outs LowP_ActivationTensor:$result);
  let assemblyFormat = [{
    $input `,` $weights `scales` `(` $scales `)` (`offsets` `(` $offsets^ `)`)?
    (`bias` `(` $bias^ `)`)? (`activation` `` $activation^)? attr-dict
    `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def LowP_Conv2DOp : LowP_Op<"conv2d", [Pure, AttrSizedOperandSegments]> {
  let summary = "2-D convolution (NHWC) with quantized weights";
  let description = [{
    Like tosa.conv2d: input [N, H, W, IC], weights [OC, KH, KW, IC] with a `#lowp.quant`
    encoding whose groups run along the flattened KH*KW*IC reduction, `pad` =
    [top, bottom, left, right], `stride` and `dilation` = [y, x]. Accumulates in f32,
    adds the bias, applies the activation and rounds once to the result type.
  }];
  let arguments = (ins LowP_ActivationTensor:$input,
                       AnyRankedTensor:$weights,
                       LowP_ScaleTensor:$scales,
                       Optional<LowP_ScaleTensor>:$offsets,
                       Optional<RankedTensorOf<[F16, BF16, F32]>>:$bias,
                       DenseI64ArrayAttr:$pad,
                       DenseI64ArrayAttr:$stride,
                       DenseI64ArrayAttr:$dilation,
                       OptionalAttr<LowP_ActivationAttr>:$activation);
  let results = (outs LowP_ActivationTensor:$result);
  let assemblyFormat = [{
    $input `,` $weights `scales` `(` $scales `)` (`offsets` `(` $offsets^ `)`)?
    (`bias` `(` $bias^ `)`)? `pad` `=` $pad `stride` `=` $stride `dilation` `=` $dilation
    (`activation` `` $activation^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

#endif // TESSEL_LOWP_OPS
