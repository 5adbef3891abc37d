// RUN: tessel-opt %s | tessel-opt | FileCheck %s
// Every element type lowp supports survives print -> parse -> print.
// (Generated list: integers of 1..8 bits, all 28 !lowp.float<eXmY>, builtin small floats.)

// CHECK-LABEL: func.func @integers
// CHECK-SAME: tensor<4xi1>
// CHECK-SAME: tensor<4xsi1>
// CHECK-SAME: tensor<4xui1>
// CHECK-SAME: tensor<4xi2>
// CHECK-SAME: tensor<4xsi2>
// CHECK-SAME: tensor<4xui2>
// CHECK-SAME: tensor<4xi3>
// CHECK-SAME: tensor<4xsi3>
// CHECK-SAME: tensor<4xui3>
// CHECK-SAME: tensor<4xi4>
// CHECK-SAME: tensor<4xsi4>
// CHECK-SAME: tensor<4xui4>
// CHECK-SAME: tensor<4xi5>
// CHECK-SAME: tensor<4xsi5>
// CHECK-SAME: tensor<4xui5>
// CHECK-SAME: tensor<4xi6>
// CHECK-SAME: tensor<4xsi6>
// CHECK-SAME: tensor<4xui6>
// CHECK-SAME: tensor<4xi7>
// CHECK-SAME: tensor<4xsi7>
// CHECK-SAME: tensor<4xui7>
// CHECK-SAME: tensor<4xi8>
// CHECK-SAME: tensor<4xsi8>
// CHECK-SAME: tensor<4xui8>
func.func @integers(%a0: tensor<4xi1>, %a1: tensor<4xsi1>, %a2: tensor<4xui1>, %a3: tensor<4xi2>, %a4: tensor<4xsi2>, %a5: tensor<4xui2>, %a6: tensor<4xi3>, %a7: tensor<4xsi3>, %a8: tensor<4xui3>, %a9: tensor<4xi4>, %a10: tensor<4xsi4>, %a11: tensor<4xui4>, %a12: tensor<4xi5>, %a13: tensor<4xsi5>, %a14: tensor<4xui5>, %a15: tensor<4xi6>, %a16: tensor<4xsi6>, %a17: tensor<4xui6>, %a18: tensor<4xi7>, %a19: tensor<4xsi7>, %a20: tensor<4xui7>, %a21: tensor<4xi8>, %a22: tensor<4xsi8>, %a23: tensor<4xui8>) { return }

// CHECK-LABEL: func.func @lowp_floats
// CHECK-SAME: tensor<4x!lowp.float<e1m0>>
// CHECK-SAME: tensor<4x!lowp.float<e1m1>>
// CHECK-SAME: tensor<4x!lowp.float<e1m2>>
// CHECK-SAME: tensor<4x!lowp.float<e1m3>>
// CHECK-SAME: tensor<4x!lowp.float<e1m4>>
// CHECK-SAME: tensor<4x!lowp.float<e1m5>>
// CHECK-SAME: tensor<4x!lowp.float<e1m6>>
// CHECK-SAME: tensor<4x!lowp.float<e2m0>>
// CHECK-SAME: tensor<4x!lowp.float<e2m1>>
// CHECK-SAME: tensor<4x!lowp.float<e2m2>>
// CHECK-SAME: tensor<4x!lowp.float<e2m3>>
// CHECK-SAME: tensor<4x!lowp.float<e2m4>>
// CHECK-SAME: tensor<4x!lowp.float<e2m5>>
// CHECK-SAME: tensor<4x!lowp.float<e3m0>>
// CHECK-SAME: tensor<4x!lowp.float<e3m1>>
// CHECK-SAME: tensor<4x!lowp.float<e3m2>>
// CHECK-SAME: tensor<4x!lowp.float<e3m3>>
// CHECK-SAME: tensor<4x!lowp.float<e3m4>>
// CHECK-SAME: tensor<4x!lowp.float<e4m0>>
// CHECK-SAME: tensor<4x!lowp.float<e4m1>>
// CHECK-SAME: tensor<4x!lowp.float<e4m2>>
// CHECK-SAME: tensor<4x!lowp.float<e4m3>>
// CHECK-SAME: tensor<4x!lowp.float<e5m0>>
// CHECK-SAME: tensor<4x!lowp.float<e5m1>>
// CHECK-SAME: tensor<4x!lowp.float<e5m2>>
// CHECK-SAME: tensor<4x!lowp.float<e6m0>>
// CHECK-SAME: tensor<4x!lowp.float<e6m1>>
// CHECK-SAME: tensor<4x!lowp.float<e7m0>>
func.func @lowp_floats(%a0: tensor<4x!lowp.float<e1m0>>, %a1: tensor<4x!lowp.float<e1m1>>, %a2: tensor<4x!lowp.float<e1m2>>, %a3: tensor<4x!lowp.float<e1m3>>, %a4: tensor<4x!lowp.float<e1m4>>, %a5: tensor<4x!lowp.float<e1m5>>, %a6: tensor<4x!lowp.float<e1m6>>, %a7: tensor<4x!lowp.float<e2m0>>, %a8: tensor<4x!lowp.float<e2m1>>, %a9: tensor<4x!lowp.float<e2m2>>, %a10: tensor<4x!lowp.float<e2m3>>, %a11: tensor<4x!lowp.float<e2m4>>, %a12: tensor<4x!lowp.float<e2m5>>, %a13: tensor<4x!lowp.float<e3m0>>, %a14: tensor<4x!lowp.float<e3m1>>, %a15: tensor<4x!lowp.float<e3m2>>, %a16: tensor<4x!lowp.float<e3m3>>, %a17: tensor<4x!lowp.float<e3m4>>, %a18: tensor<4x!lowp.float<e4m0>>, %a19: tensor<4x!lowp.float<e4m1>>, %a20: tensor<4x!lowp.float<e4m2>>, %a21: tensor<4x!lowp.float<e4m3>>, %a22: tensor<4x!lowp.float<e5m0>>, %a23: tensor<4x!lowp.float<e5m1>>, %a24: tensor<4x!lowp.float<e5m2>>, %a25: tensor<4x!lowp.float<e6m0>>, %a26: tensor<4x!lowp.float<e6m1>>, %a27: tensor<4x!lowp.float<e7m0>>) { return }

// CHECK-LABEL: func.func @builtin_small_floats
// CHECK-SAME: tensor<4xf4E2M1FN>
// CHECK-SAME: tensor<4xf6E2M3FN>
// CHECK-SAME: tensor<4xf6E3M2FN>
// CHECK-SAME: tensor<4xf8E4M3FN>
// CHECK-SAME: tensor<4xf8E5M2>
func.func @builtin_small_floats(%a0: tensor<4xf4E2M1FN>, %a1: tensor<4xf6E2M3FN>, %a2: tensor<4xf6E3M2FN>, %a3: tensor<4xf8E4M3FN>, %a4: tensor<4xf8E5M2>) { return }

// A quantized weight type for each storage family.
// CHECK-LABEL: func.func @quantized
// CHECK-SAME: tensor<16x64xsi3, #lowp.quant<storage = si3, scale = f16, group = 32, symmetric>>
// CHECK-SAME: tensor<16x64xui1, #lowp.quant<storage = ui1, scale = bf16, per_channel, asymmetric>>
// CHECK-SAME: tensor<8x3x3x16x!lowp.float<e2m3>, #lowp.quant<storage = !lowp.float<e2m3>, scale = f32, group = 16, symmetric>>
// CHECK-SAME: tensor<16x64xf4E2M1FN, #lowp.quant<storage = f4E2M1FN, scale = f16, group = 64, symmetric>>
func.func @quantized(%a0: tensor<16x64xsi3, #lowp.quant<storage = si3, scale = f16, group = 32, symmetric>>, %a1: tensor<16x64xui1, #lowp.quant<storage = ui1, scale = bf16, per_channel, asymmetric>>, %a2: tensor<8x3x3x16x!lowp.float<e2m3>, #lowp.quant<storage = !lowp.float<e2m3>, scale = f32, group = 16, symmetric>>, %a3: tensor<16x64xf4E2M1FN, #lowp.quant<storage = f4E2M1FN, scale = f16, group = 64, symmetric>>) { return }
// The order keyword is accepted and omitted when plain.
// CHECK-LABEL: func.func @plain_order
// CHECK-SAME: #lowp.quant<storage = si4, scale = f16, group = 32, symmetric>>
func.func @plain_order(%a: tensor<4x32xsi4, #lowp.quant<storage = si4, scale = f16, group = 32, symmetric, order = plain>>) { return }
