// RUN: tessel-opt %s --split-input-file --verify-diagnostics

// expected-error @+1 {{invalid !lowp.float<e0m3>: a lowp float needs at least one exponent bit}}
func.func @no_exponent(%a: tensor<4x!lowp.float<e0m3>>) { return }

// -----

// expected-error @+1 {{invalid !lowp.float<e4m4>: a lowp float eXmY has 1 + X + Y bits and at most 8 (here 9)}}
func.func @too_wide(%a: tensor<4x!lowp.float<e4m4>>) { return }

// -----

// expected-error @+1 {{expected a float format 'eXmY'}}
func.func @not_a_format(%a: tensor<4x!lowp.float<e3>>) { return }

// -----

// expected-error @+1 {{expected a float format 'eXmY'}}
func.func @not_a_format2(%a: tensor<4x!lowp.float<fp8>>) { return }

// -----

// expected-error @+1 {{storage type must be an integer or float of 1..8 bits, not 'i16'}}
func.func @wide_storage(%a: tensor<4x4xi16, #lowp.quant<storage = i16, scale = f16, per_channel, symmetric>>) { return }

// -----

// expected-error @+1 {{scale type must be f16, bf16 or f32, not i8}}
func.func @int_scale(%a: tensor<4x4xsi4, #lowp.quant<storage = si4, scale = i8, per_channel, symmetric>>) { return }

// -----

// expected-error @+1 {{symmetric quantization needs a signed integer or float storage type; ui4 is unsigned}}
func.func @unsigned_symmetric(%a: tensor<4x4xui4, #lowp.quant<storage = ui4, scale = f16, per_channel, symmetric>>) { return }

// -----

// expected-error @+1 {{symmetric quantization to si1 has no positive code}}
func.func @one_bit_symmetric(%a: tensor<4x4xsi1, #lowp.quant<storage = si1, scale = f16, per_channel, symmetric>>) { return }

// -----

// expected-error @+1 {{asymmetric quantization (with offsets) stores unsigned integer codes; e2m1 is not one (use ui4)}}
func.func @float_asymmetric(%a: tensor<4x4x!lowp.float<e2m1>, #lowp.quant<storage = !lowp.float<e2m1>, scale = f16, per_channel, asymmetric>>) { return }

// -----

// expected-error @+1 {{group size 48 does not divide the reduction length 64}}
func.func @group_not_dividing(%a: tensor<4x64xsi4, #lowp.quant<storage = si4, scale = f16, group = 48, symmetric>>) { return }

// -----

// expected-error @+1 {{group size must be positive (write per_channel for one group per row), got 0}}
func.func @group_zero(%a: tensor<4x64xsi4, #lowp.quant<storage = si4, scale = f16, group = 0, symmetric>>) { return }

// -----

// expected-error @+1 {{element type 'si5' of a quantized tensor must be its #lowp.quant storage type 'si4'}}
func.func @element_mismatch(%a: tensor<4x64xsi5, #lowp.quant<storage = si4, scale = f16, group = 32, symmetric>>) { return }

// -----

// expected-error @+1 {{a quantized tensor needs rank >= 2}}
func.func @rank_one(%a: tensor<64xsi4, #lowp.quant<storage = si4, scale = f16, group = 32, symmetric>>) { return }

// -----

// expected-error @+1 {{expected 'symmetric' or 'asymmetric', got 'balanced'}}
func.func @bad_kind(%a: tensor<4x64xsi4, #lowp.quant<storage = si4, scale = f16, group = 32, balanced>>) { return }

// -----

// expected-error @+1 {{unknown packed order 'zigzag'}}
func.func @bad_order(%a: tensor<4x64xsi4, #lowp.quant<storage = si4, scale = f16, group = 32, symmetric, order = zigzag>>) { return }

// -----

// expected-error @+1 {{the mma_k128 order needs N % 8 == 0 and K % 128 == 0, got [8, 64]}}
func.func private @mma_order_shape(tensor<8x64xsi4, #lowp.quant<storage = si4, scale = f16, group = 64, symmetric, order = mma_k128>>)
