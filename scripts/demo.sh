#!/usr/bin/env bash
# Set up (dependencies, configure, build), then run Tessel's main jobs on small inputs.
# Until the graph lowering exists (a later milestone) these are its two halves:
#  1. the front of the compiler: a two-layer MLP with f32 weights is quantized to 3-bit
#     weights with f16 group scales (lowp-quantize-weights);
#  2. the back: the low-bit GEMM kernel template is instantiated for 3-bit weights,
#     compiled to a .tslm module and run by tessel-run on the GPU when there is one
#     (else on the CPU executor), checked against numpy.
source "$(dirname "$0")/common.sh"
tessel_setup

step "demo: quantize a two-layer MLP to 3-bit weights"
work="$BUILD_DIR/demo"
mkdir -p "$work"
python3 "$TESSEL_ROOT/scripts/demo/make_mlp.py" "$work/mlp.mlir" --width=256 --hidden=512
"$BUILD_DIR/bin/tessel-opt" "$work/mlp.mlir" \
  --lowp-quantize-weights="bits=3 group-size=128" --canonicalize -o "$work/mlp.w3.mlir"
grep -E 'lowp\.(matmul|constant)' "$work/mlp.w3.mlir" | sed -E 's/dense<"0x[0-9A-F]+">/dense<"0x...">/' | cut -c1-160
f32_bytes=$((2 * 256 * 512 * 4))
packed=$(( $(grep 'lowp.constant' "$work/mlp.w3.mlir" | grep -oE 'tensor<[0-9]+xi8>' | sed -E 's/tensor<([0-9]+)xi8>/\1/' | paste -sd+ -) ))
scales=$(( $(grep -oE 'arith.constant .* : tensor<[0-9]+x[0-9]+xf16>' "$work/mlp.w3.mlir" |
  grep -oE 'tensor<[0-9]+x[0-9]+xf16>$' | grep -oE '[0-9]+x[0-9]+' | sed 's/x/*/' | paste -sd+ -) ))
echo "weights: $f32_bytes bytes as f32 -> $packed bytes packed 3-bit + $((scales * 2)) bytes of f16 scales"
echo "output: $work/mlp.w3.mlir"

step "demo: a 3-bit GEMM kernel, compiled and run (y[4,512] = x[4,1024] * W3^T)"
python=/usr/bin/python3
inputs="$TESSEL_ROOT/test/Integration/Inputs"
"$BUILD_DIR/bin/tessel-opt" /dev/null \
  --pass-pipeline="builtin.module(tessel-generate-lowbit-gemm{type=si3 group=128 m=4},tbvm.kernel(tbvm-plan-shared-memory))" \
  -o "$work/gemm-w3.mlir"
"$BUILD_DIR/bin/tessel-translate" --tbvm-to-bytecode "$work/gemm-w3.mlir" -o "$work/gemm-w3.tslm"
rm -rf "$work/gemm" && mkdir -p "$work/gemm"
"$python" "$inputs/lowbit_gemm.py" "$work/gemm" --type=si3 --bits=3 --m=4 --n=512 --k=1024
"$BUILD_DIR/bin/tessel-run" "$work/gemm-w3.tslm" --device=auto --input=x="$work/gemm/x.npy" \
  --input=w="$work/gemm/w.npy" --input=s="$work/gemm/s.npy" --output-dir="$work/gemm/out"
"$python" "$inputs/reference.py" check "$work/gemm"
echo "module: $work/gemm-w3.tslm (PTX: build/bin/tessel-translate --tbvm-to-ptx --arch=sm_90 $work/gemm-w3.mlir)"
