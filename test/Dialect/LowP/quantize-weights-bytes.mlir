// RUN: tessel-opt %s --lowp-quantize-weights="bits=3 group-size=0 scale-type=f32" | FileCheck %s

// Weights chosen so every code is known: column 0 is [0, 1, 2, 3, -1, -2, -3, 3] (scale
// 3/3 = 1, codes equal to the values), column 1 is all 0.5 (scale 0.5/3 rounded up in f32,
// every code 3). The [N, K] codes form one LSB-first stream of 3-bit elements:
//   row 0: codes 0,1,2,3,7,6,5,3 -> bytes 0x88, 0x76, 0x77 = -120, 118, 119 as i8
//   row 1: eight 3s              -> bytes 0xDB, 0xB6, 0x6D = -37, -74, 109

// CHECK-LABEL: func.func @known_codes
// CHECK-NOT:     tosa.const
// CHECK:         %[[W:.*]] = lowp.constant dense<[-120, 118, 119, -37, -74, 109]> : tensor<6xi8>
// CHECK-SAME:      -> tensor<2x8xsi3, #lowp.quant<storage = si3, scale = f32, per_channel, symmetric>>
// CHECK:         %[[S:.*]] = arith.constant dense<{{\[}}[1.000000e+00], [0.166666672]]> : tensor<2x1xf32>
// CHECK:         %[[Y:.*]] = lowp.matmul %arg0, %[[W]] scales(%[[S]])
// CHECK-SAME:      : (tensor<1x4x8xf32>, tensor<2x8xsi3, {{.*}}>, tensor<2x1xf32>) -> tensor<1x4x2xf32>
// CHECK:         return %[[Y]]
func.func @known_codes(%a: tensor<1x4x8xf32>) -> tensor<1x4x2xf32> {
  %w = "tosa.const"() {values = dense<[[[0.0, 0.5], [1.0, 0.5], [2.0, 0.5], [3.0, 0.5],
                                         [-1.0, 0.5], [-2.0, 0.5], [-3.0, 0.5], [3.0, 0.5]]]>
                       : tensor<1x8x2xf32>} : () -> tensor<1x8x2xf32>
  %zp = "tosa.const"() {values = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %0 = tosa.matmul %a, %w, %zp, %zp
       : (tensor<1x4x8xf32>, tensor<1x8x2xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x2xf32>
  return %0 : tensor<1x4x2xf32>
}
