// RUN: tessel-opt %s --lowp-quantize-weights="bits=4 group-size=32" --verify-diagnostics | FileCheck %s

// A group size that does not divide K leaves the op alone, with a warning.
// CHECK-LABEL: func.func @group_does_not_divide
// CHECK:         tosa.matmul
func.func @group_does_not_divide(%a: tensor<1x4x48xf32>) -> tensor<1x4x8xf32> {
  %w = "tosa.const"() {values = dense<1.0> : tensor<1x48x8xf32>} : () -> tensor<1x48x8xf32>
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  // expected-warning @+1 {{not quantized: group size}}
  %0 = tosa.matmul %a, %w, %zp, %zp : (tensor<1x4x48xf32>, tensor<1x48x8xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x8xf32>
  return %0 : tensor<1x4x8xf32>
}
