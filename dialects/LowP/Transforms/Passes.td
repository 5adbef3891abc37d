//===- Passes.td - lowp passes -----------------------------*- tablegen -*-===//
#ifndef TESSEL_LOWP_PASSES
#define TESSEL_LOWP_PASSES

include "mlir/Pass/PassBase.td"

def QuantizeWeightsPass : Pass<"lowp-quantize-weights"> {
  let summary = "Quantize constant weights of matmuls and convolutions to low-bit codes";
  let description = [{
    Finds tosa.matmul, tosa.conv2d and linalg.matmul whose weight operand is a float
    constant, quantizes the weight group-wise with round-to-nearest-even (the codec
    library's quantizeRows), and replaces the op with lowp.matmul / lowp.conv2d fed by a
    packed lowp.constant and constant scales (and offsets).

    Weights are stored output-channel major: a tosa.matmul [1, K, N] or linalg.matmul
    [K, N] weight becomes [N, K]; a tosa.conv2d [OC, KH, KW, IC] weight keeps its shape
    with groups along the flattened KH*KW*IC. An op whose reduction length the group size
    does not divide is left alone with a warning.

    Example: `--lowp-quantize-weights="bits=3 group-size=32"` stores weights as si3 with
    f16 scales, one per 32 weights.
  }];
  let options = [
    Option<"bits", "bits", "unsigned", "4", "Bits per weight code (1..8)">,
    Option<"kind", "kind", "std::string", "\"int\"",
           "Code type: int (signed, symmetric), uint (unsigned, asymmetric) or float "
           "(!lowp.float<eXmY>, symmetric)">,
    Option<"exponentBits", "exponent-bits", "int", "-1",
           "For kind=float: exponent bits X of eXmY (default: bits/2, at least 1)">,
    Option<"groupSize", "group-size", "int64_t", "128",
           "Weights per scale along the reduction dimension; 0 = one scale per output "
           "channel">,
    Option<"symmetric", "symmetric", "std::string", "\"auto\"",
           "true: no offsets; false: per-group offsets; auto: true except for kind=uint">,
    Option<"scaleType", "scale-type", "std::string", "\"f16\"",
           "Type of scales and offsets: f16, bf16 or f32">,
    ListOption<"ops", "ops", "std::string",
               "Ops to quantize (tosa.matmul, tosa.conv2d, linalg.matmul); default all">,
  ];
  let dependentDialects = [
    "::tessel::lowp::LowPDialect",
    "::mlir::arith::ArithDialect",
  ];
}

def RepackForKernelPass : Pass<"lowp-repack-for-kernel"> {
  let summary = "Store packed weights in the fragment order of the kernel that reads them";
  let description = [{
    Rewrites each lowp.constant whose users are all lowp.matmul weights from the plain
    bit stream into `order` (today `mma_k128`, the low-bit GEMM template's: bytes
    [K/128][N/8][32 lanes][4 * bits], runtime/src/vm/Repack.h), and records the order in
    its #lowp.quant encoding, so each thread's loads in the kernel are contiguous. The
    logical tensor is unchanged (lowp.dequantize folds to the same values). Weights of
    other shapes (N % 8 != 0, K % 128 != 0, rank > 2) stay plain, with a remark.
  }];
  let options = [
    Option<"order", "order", "std::string", "\"mma_k128\"", "The kernel order (mma_k128)">,
  ];
}

#endif // TESSEL_LOWP_PASSES
