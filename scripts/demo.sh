#!/usr/bin/env bash
# Set up (dependencies, configure, build), then run Tessel's main job on a small model.
# Today that is the front half of the compiler: a two-layer MLP with f32 weights is
# quantized to 3-bit weights with f16 group scales (lowp-quantize-weights). The
# end-to-end demo (compile to .tslm, run on CPU/GPU) replaces this when it exists.
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
