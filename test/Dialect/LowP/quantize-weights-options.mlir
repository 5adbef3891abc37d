// Out-of-range and inconsistent options give a located error and a non-zero exit.
// RUN: not tessel-opt %s --lowp-quantize-weights="bits=9" 2>&1 | FileCheck %s --check-prefix=BITS
// RUN: not tessel-opt %s --lowp-quantize-weights="bits=0" 2>&1 | FileCheck %s --check-prefix=BITS0
// RUN: not tessel-opt %s --lowp-quantize-weights="kind=complex" 2>&1 | FileCheck %s --check-prefix=KIND
// RUN: not tessel-opt %s --lowp-quantize-weights="kind=uint symmetric=true" 2>&1 | FileCheck %s --check-prefix=USYM
// RUN: not tessel-opt %s --lowp-quantize-weights="bits=1" 2>&1 | FileCheck %s --check-prefix=ONEBIT
// RUN: not tessel-opt %s --lowp-quantize-weights="bits=1 kind=float" 2>&1 | FileCheck %s --check-prefix=FLOAT1
// RUN: not tessel-opt %s --lowp-quantize-weights="bits=4 kind=float exponent-bits=4" 2>&1 | FileCheck %s --check-prefix=EXP
// RUN: not tessel-opt %s --lowp-quantize-weights="bits=4 exponent-bits=2" 2>&1 | FileCheck %s --check-prefix=EXPINT
// RUN: not tessel-opt %s --lowp-quantize-weights="scale-type=f64" 2>&1 | FileCheck %s --check-prefix=SCALE
// RUN: not tessel-opt %s --lowp-quantize-weights="scale-type=i8" 2>&1 | FileCheck %s --check-prefix=SCALEINT
// RUN: not tessel-opt %s --lowp-quantize-weights="group-size=-4" 2>&1 | FileCheck %s --check-prefix=GROUP
// RUN: not tessel-opt %s --lowp-quantize-weights="ops=tosa.add" 2>&1 | FileCheck %s --check-prefix=OPS
// RUN: not tessel-opt %s --lowp-quantize-weights="symmetric=maybe" 2>&1 | FileCheck %s --check-prefix=SYM
// RUN: not tessel-opt %s --lowp-quantize-weights="bits=x" 2>&1 | FileCheck %s --check-prefix=PARSE

// BITS: quantize-weights-options.mlir:0:0: error: lowp-quantize-weights: option 'bits' must be in 1..8, got 9
// BITS0: error: lowp-quantize-weights: option 'bits' must be in 1..8, got 0
// KIND: error: lowp-quantize-weights: option 'kind' must be int, uint or float, got 'complex'
// USYM: error: lowp-quantize-weights: symmetric quantization needs a signed integer or float storage type; ui4 is unsigned
// ONEBIT: error: lowp-quantize-weights: symmetric quantization to si1 has no positive code
// FLOAT1: error: lowp-quantize-weights: kind=float needs bits >= 2 (a sign and at least one exponent bit)
// EXP: error: lowp-quantize-weights: kind=float with bits=4 takes exponent-bits in 1..3, got 4
// EXPINT: error: lowp-quantize-weights: option 'exponent-bits' applies to kind=float only
// SCALE: error: lowp-quantize-weights: option 'scale-type' must be f16, bf16 or f32, got 'f64'
// SCALEINT: error: lowp-quantize-weights: scale type must be f16, bf16 or f32, not i8
// GROUP: error: lowp-quantize-weights: group size must be positive (or 0 for one group per row), not -4
// OPS: error: lowp-quantize-weights: option 'ops' names 'tosa.add'; known: tosa.matmul, tosa.conv2d, linalg.matmul
// SYM: error: lowp-quantize-weights: option 'symmetric' must be true, false or auto, got 'maybe'
// PARSE: for the --bits option: 'x' value invalid for uint argument!

func.func @f(%a: tensor<4xf32>) -> tensor<4xf32> {
  return %a : tensor<4xf32>
}
