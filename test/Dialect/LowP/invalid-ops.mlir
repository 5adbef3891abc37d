// RUN: tessel-opt %s --split-input-file --verify-diagnostics

!w3 = tensor<32x64xsi3, #lowp.quant<storage = si3, scale = f16, group = 32, symmetric>>
!u4 = tensor<32x64xui4, #lowp.quant<storage = ui4, scale = f16, group = 32, asymmetric>>

func.func @scales_shape(%w: tensor<32x64xf32>, %s: tensor<32x4xf16>) {
  // expected-error @+1 {{expects scales of shape [rows, groups] = [32, 2] for 'tensor<32x64xsi3, #lowp.quant<storage = si3, scale = f16, group = 32, symmetric>>', got 'tensor<32x4xf16>'}}
  %q = lowp.quantize %w, %s : tensor<32x64xf32>, tensor<32x4xf16> -> !w3
  return
}

// -----

!w3 = tensor<32x64xsi3, #lowp.quant<storage = si3, scale = f16, group = 32, symmetric>>
func.func @scales_type(%w: tensor<32x64xf32>, %s: tensor<32x2xf32>) {
  // expected-error @+1 {{expects scales of the encoding's scale type 'f16', got 'tensor<32x2xf32>'}}
  %q = lowp.quantize %w, %s : tensor<32x64xf32>, tensor<32x2xf32> -> !w3
  return
}

// -----

!u4 = tensor<32x64xui4, #lowp.quant<storage = ui4, scale = f16, group = 32, asymmetric>>
func.func @missing_offsets(%w: tensor<32x64xf32>, %s: tensor<32x2xf16>) {
  // expected-error @+1 {{needs offsets: the encoding is asymmetric}}
  %q = lowp.quantize %w, %s : tensor<32x64xf32>, tensor<32x2xf16> -> !u4
  return
}

// -----

!w3 = tensor<32x64xsi3, #lowp.quant<storage = si3, scale = f16, group = 32, symmetric>>
func.func @extra_offsets(%w: tensor<32x64xf32>, %s: tensor<32x2xf16>) {
  // expected-error @+1 {{takes no offsets: the encoding is symmetric}}
  %q = lowp.quantize %w, %s, %s : tensor<32x64xf32>, tensor<32x2xf16>, tensor<32x2xf16> -> !w3
  return
}

// -----

func.func @not_quantized(%w: tensor<32x64xf32>, %s: tensor<32x2xf16>) {
  // expected-error @+1 {{expects the result to be a tensor with a #lowp.quant encoding, got 'tensor<32x64xi3>'}}
  %q = lowp.quantize %w, %s : tensor<32x64xf32>, tensor<32x2xf16> -> tensor<32x64xi3>
  return
}

// -----

!w3 = tensor<32x64xsi3, #lowp.quant<storage = si3, scale = f16, group = 32, symmetric>>
func.func @quantize_shape(%w: tensor<32x32xf32>, %s: tensor<32x2xf16>) {
  // expected-error @+1 {{input shape 'tensor<32x32xf32>' differs from the result's}}
  %q = lowp.quantize %w, %s : tensor<32x32xf32>, tensor<32x2xf16> -> !w3
  return
}

// -----

!w3 = tensor<32x64xsi3, #lowp.quant<storage = si3, scale = f16, group = 32, symmetric>>
func.func @pack_size(%q: !w3) {
  // expected-error @+1 {{packs 'tensor<32x64xsi3, #lowp.quant<storage = si3, scale = f16, group = 32, symmetric>>' into 768 bytes, not 'tensor<1024xi8>'}}
  %p = lowp.pack %q : !w3 -> tensor<1024xi8>
  return
}

// -----

func.func @constant_size() {
  // expected-error @+1 {{expects the packed bit stream of 'tensor<2x4xui3, #lowp.quant<storage = ui3, scale = f32, group = 2, asymmetric>>' as tensor<3xi8>, got 'tensor<4xi8>'}}
  %c = lowp.constant dense<[1, 2, 3, 4]> : tensor<4xi8> -> tensor<2x4xui3, #lowp.quant<storage = ui3, scale = f32, group = 2, asymmetric>>
  return
}

// -----

!w3 = tensor<32x64xsi3, #lowp.quant<storage = si3, scale = f16, group = 32, symmetric>>
func.func @matmul_k(%x: tensor<4x48xf16>, %w: !w3, %s: tensor<32x2xf16>) {
  // expected-error @+1 {{input reduction length 48 differs from the weights' K = 64}}
  %y = lowp.matmul %x, %w scales(%s) : (tensor<4x48xf16>, !w3, tensor<32x2xf16>) -> tensor<4x32xf32>
  return
}

// -----

!w3 = tensor<32x64xsi3, #lowp.quant<storage = si3, scale = f16, group = 32, symmetric>>
func.func @matmul_n(%x: tensor<4x64xf16>, %w: !w3, %s: tensor<32x2xf16>) {
  // expected-error @+1 {{result's last dimension 16 differs from the weights' N = 32}}
  %y = lowp.matmul %x, %w scales(%s) : (tensor<4x64xf16>, !w3, tensor<32x2xf16>) -> tensor<4x16xf32>
  return
}

// -----

!w3 = tensor<32x64xsi3, #lowp.quant<storage = si3, scale = f16, group = 32, symmetric>>
func.func @matmul_bias(%x: tensor<4x64xf16>, %w: !w3, %s: tensor<32x2xf16>, %b: tensor<16xf32>) {
  // expected-error @+1 {{expects a bias of shape [32], got 'tensor<16xf32>'}}
  %y = lowp.matmul %x, %w scales(%s) bias(%b) : (tensor<4x64xf16>, !w3, tensor<32x2xf16>, tensor<16xf32>) -> tensor<4x32xf32>
  return
}

// -----

func.func @matmul_unquantized(%x: tensor<4x64xf16>, %w: tensor<32x64xf16>, %s: tensor<32x2xf16>) {
  // expected-error @+1 {{expects the weights to be a tensor with a #lowp.quant encoding}}
  %y = lowp.matmul %x, %w scales(%s) : (tensor<4x64xf16>, tensor<32x64xf16>, tensor<32x2xf16>) -> tensor<4x32xf32>
  return
}

// -----

!w3 = tensor<32x64xsi3, #lowp.quant<storage = si3, scale = f16, group = 32, symmetric>>
func.func @matmul_activation_type(%x: tensor<4x64xi8>, %w: !w3, %s: tensor<32x2xf16>) {
  // expected-error @+1 {{operand #0 must be ranked tensor of 16-bit float or bfloat16 type or 32-bit float values}}
  %y = lowp.matmul %x, %w scales(%s) : (tensor<4x64xi8>, !w3, tensor<32x2xf16>) -> tensor<4x32xf32>
  return
}

// -----

!c = tensor<8x3x3x16xsi4, #lowp.quant<storage = si4, scale = f16, group = 16, symmetric>>
func.func @conv_output(%x: tensor<1x16x16x16xf16>, %w: !c, %s: tensor<8x9xf16>) {
  // expected-error @+1 {{output height 16 should be 8 for this input, kernel, pad, stride and dilation}}
  %y = lowp.conv2d %x, %w scales(%s) pad = [1, 1, 1, 1] stride = [2, 2] dilation = [1, 1] : (tensor<1x16x16x16xf16>, !c, tensor<8x9xf16>) -> tensor<1x16x16x8xf16>
  return
}

// -----

!c = tensor<8x3x3x16xsi4, #lowp.quant<storage = si4, scale = f16, group = 16, symmetric>>
func.func @conv_channels(%x: tensor<1x16x16x8xf16>, %w: !c, %s: tensor<8x9xf16>) {
  // expected-error @+1 {{input channels 8 differ from the weights' IC = 16}}
  %y = lowp.conv2d %x, %w scales(%s) pad = [1, 1, 1, 1] stride = [1, 1] dilation = [1, 1] : (tensor<1x16x16x8xf16>, !c, tensor<8x9xf16>) -> tensor<1x16x16x8xf16>
  return
}

// -----

!c = tensor<8x3x3x16xsi4, #lowp.quant<storage = si4, scale = f16, group = 16, symmetric>>
func.func @conv_stride(%x: tensor<1x16x16x16xf16>, %w: !c, %s: tensor<8x9xf16>) {
  // expected-error @+1 {{expects pad >= 0, stride >= 1 and dilation >= 1}}
  %y = lowp.conv2d %x, %w scales(%s) pad = [1, 1, 1, 1] stride = [0, 1] dilation = [1, 1] : (tensor<1x16x16x16xf16>, !c, tensor<8x9xf16>) -> tensor<1x16x16x8xf16>
  return
}
