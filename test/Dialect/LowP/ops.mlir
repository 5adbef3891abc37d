// RUN: tessel-opt %s | tessel-opt | FileCheck %s
// RUN: tessel-opt %s --mlir-print-op-generic | tessel-opt | FileCheck %s

!w3 = tensor<32x64xsi3, #lowp.quant<storage = si3, scale = f16, group = 32, symmetric>>
!u4 = tensor<32x64xui4, #lowp.quant<storage = ui4, scale = bf16, per_channel, asymmetric>>
!c5 = tensor<8x3x3x16x!lowp.float<e2m2>, #lowp.quant<storage = !lowp.float<e2m2>, scale = f16, group = 48, symmetric>>

// CHECK-LABEL: func.func @quantize_roundtrip
// CHECK: %[[Q:.*]] = lowp.quantize %{{.*}}, %{{.*}} : tensor<32x64xf32>, tensor<32x2xf16> -> tensor<32x64xsi3, #lowp.quant<storage = si3, scale = f16, group = 32, symmetric>>
// CHECK: %[[P:.*]] = lowp.pack %[[Q]] : tensor<32x64xsi3, {{.*}}> -> tensor<768xi8>
// CHECK: lowp.dequantize %[[Q]], %{{.*}} : tensor<32x64xsi3, {{.*}}>, tensor<32x2xf16> -> tensor<32x64xf32>
func.func @quantize_roundtrip(%w: tensor<32x64xf32>, %s: tensor<32x2xf16>) -> (tensor<768xi8>, tensor<32x64xf32>) {
  %q = lowp.quantize %w, %s : tensor<32x64xf32>, tensor<32x2xf16> -> !w3
  %p = lowp.pack %q : !w3 -> tensor<768xi8>
  %d = lowp.dequantize %q, %s : !w3, tensor<32x2xf16> -> tensor<32x64xf32>
  return %p, %d : tensor<768xi8>, tensor<32x64xf32>
}

// CHECK-LABEL: func.func @asymmetric
// CHECK: lowp.quantize %{{.*}}, %{{.*}}, %{{.*}} : tensor<32x64xf16>, tensor<32x1xbf16>, tensor<32x1xbf16> -> tensor<32x64xui4
// CHECK: lowp.matmul %{{.*}}, %{{.*}} scales(%{{.*}}) offsets(%{{.*}}) : (tensor<?x64xf16>, tensor<32x64xui4, {{.*}}>, tensor<32x1xbf16>, tensor<32x1xbf16>) -> tensor<?x32xf16>
func.func @asymmetric(%x: tensor<?x64xf16>, %w: tensor<32x64xf16>, %s: tensor<32x1xbf16>, %m: tensor<32x1xbf16>) -> tensor<?x32xf16> {
  %q = lowp.quantize %w, %s, %m : tensor<32x64xf16>, tensor<32x1xbf16>, tensor<32x1xbf16> -> !u4
  %y = lowp.matmul %x, %q scales(%s) offsets(%m) : (tensor<?x64xf16>, !u4, tensor<32x1xbf16>, tensor<32x1xbf16>) -> tensor<?x32xf16>
  return %y : tensor<?x32xf16>
}

// CHECK-LABEL: func.func @matmul_epilogue
// CHECK: lowp.matmul %{{.*}}, %{{.*}} scales(%{{.*}}) bias(%{{.*}}) activation<gelu> : (tensor<2x16x64xbf16>
func.func @matmul_epilogue(%x: tensor<2x16x64xbf16>, %w: !w3, %s: tensor<32x2xf16>, %b: tensor<32xf32>) -> tensor<2x16x32xf32> {
  %y = lowp.matmul %x, %w scales(%s) bias(%b) activation<gelu> : (tensor<2x16x64xbf16>, !w3, tensor<32x2xf16>, tensor<32xf32>) -> tensor<2x16x32xf32>
  return %y : tensor<2x16x32xf32>
}

// CHECK-LABEL: func.func @conv
// CHECK: lowp.conv2d %{{.*}}, %{{.*}} scales(%{{.*}}) bias(%{{.*}}) pad = [1, 1, 1, 1] stride = [2, 2] dilation = [1, 1] activation<relu> : (tensor<1x16x16x16xf16>
func.func @conv(%x: tensor<1x16x16x16xf16>, %w: !c5, %s: tensor<8x3xf16>, %b: tensor<8xf16>) -> tensor<1x8x8x8xf16> {
  %y = lowp.conv2d %x, %w scales(%s) bias(%b) pad = [1, 1, 1, 1] stride = [2, 2] dilation = [1, 1] activation<relu> : (tensor<1x16x16x16xf16>, !c5, tensor<8x3xf16>, tensor<8xf16>) -> tensor<1x8x8x8xf16>
  return %y : tensor<1x8x8x8xf16>
}

// CHECK-LABEL: func.func @packed_constant
// CHECK: lowp.constant dense<[1, 2, 3]> : tensor<3xi8> -> tensor<2x4xui3, #lowp.quant<storage = ui3, scale = f32, group = 2, asymmetric>>
func.func @packed_constant() -> tensor<2x4xui3, #lowp.quant<storage = ui3, scale = f32, group = 2, asymmetric>> {
  %c = lowp.constant dense<[1, 2, 3]> : tensor<3xi8> -> tensor<2x4xui3, #lowp.quant<storage = ui3, scale = f32, group = 2, asymmetric>>
  return %c : tensor<2x4xui3, #lowp.quant<storage = ui3, scale = f32, group = 2, asymmetric>>
}
