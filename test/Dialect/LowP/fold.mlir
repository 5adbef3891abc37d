// RUN: tessel-opt %s --canonicalize --split-input-file | FileCheck %s

!q = tensor<2x4xsi3, #lowp.quant<storage = si3, scale = f32, per_channel, symmetric>>

// Row 0 has scale 1 (codes 1, -1, 2, 3), row 1 scale 0.25 (0.5 -> code 2). The 3-bit
// stream 001 111 010 011 | 010 010 010 010 (LSB first) is bytes 0xB9, 0x26, 0x49.
// CHECK-LABEL: func.func @quantize_constant
// CHECK-NEXT:    %[[C:.*]] = lowp.constant dense<[-71, 38, 73]> : tensor<3xi8> -> tensor<2x4xsi3
// CHECK-NEXT:    return %[[C]]
func.func @quantize_constant() -> !q {
  %w = arith.constant dense<[[1.0, -1.0, 2.0, 3.0], [0.5, 0.5, 0.5, 0.5]]> : tensor<2x4xf32>
  %s = arith.constant dense<[[1.0], [0.25]]> : tensor<2x1xf32>
  %q = lowp.quantize %w, %s : tensor<2x4xf32>, tensor<2x1xf32> -> !q
  return %q : !q
}

// CHECK-LABEL: func.func @dequantize_constant
// CHECK-NEXT:    %[[C:.*]] = arith.constant dense<{{\[}}[1.000000e+00, -1.000000e+00, 2.000000e+00, 3.000000e+00], [5.000000e-01, 5.000000e-01, 5.000000e-01, 5.000000e-01]]> : tensor<2x4xf16>
// CHECK-NEXT:    return %[[C]]
func.func @dequantize_constant() -> tensor<2x4xf16> {
  %c = lowp.constant dense<[-71, 38, 73]> : tensor<3xi8> -> !q
  %s = arith.constant dense<[[1.0], [0.25]]> : tensor<2x1xf32>
  %d = lowp.dequantize %c, %s : !q, tensor<2x1xf32> -> tensor<2x4xf16>
  return %d : tensor<2x4xf16>
}

// CHECK-LABEL: func.func @pack_constant
// CHECK-NEXT:    %[[C:.*]] = arith.constant dense<[-71, 38, 73]> : tensor<3xi8>
// CHECK-NEXT:    return %[[C]]
func.func @pack_constant() -> tensor<3xi8> {
  %c = lowp.constant dense<[-71, 38, 73]> : tensor<3xi8> -> !q
  %p = lowp.pack %c : !q -> tensor<3xi8>
  return %p : tensor<3xi8>
}

// -----

// Asymmetric: w = s * q + m with s = 0.5, m = -1: -1 -> 0, 0 -> 2, 0.5 -> 3, 2.5 -> 7.
!u = tensor<1x4xui3, #lowp.quant<storage = ui3, scale = f32, per_channel, asymmetric>>
// CHECK-LABEL: func.func @asymmetric_round_trip
// CHECK-NEXT:    %[[C:.*]] = arith.constant dense<{{\[}}[-1.000000e+00, 0.000000e+00, 5.000000e-01, 2.500000e+00]]> : tensor<1x4xf32>
// CHECK-NEXT:    return %[[C]]
func.func @asymmetric_round_trip() -> tensor<1x4xf32> {
  %w = arith.constant dense<[[-1.0, 0.1, 0.6, 2.5]]> : tensor<1x4xf32>
  %s = arith.constant dense<[[0.5]]> : tensor<1x1xf32>
  %m = arith.constant dense<[[-1.0]]> : tensor<1x1xf32>
  %q = lowp.quantize %w, %s, %m : tensor<1x4xf32>, tensor<1x1xf32>, tensor<1x1xf32> -> !u
  %d = lowp.dequantize %q, %s, %m : !u, tensor<1x1xf32>, tensor<1x1xf32> -> tensor<1x4xf32>
  return %d : tensor<1x4xf32>
}
