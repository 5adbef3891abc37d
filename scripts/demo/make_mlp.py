#!/usr/bin/env python3
"""Writes a small two-layer MLP (tosa.matmul + tosa.clamp) with random f32 weights as MLIR.

Usage: make_mlp.py OUT.mlir [--hidden=512] [--width=256] [--seed=0]
The demo quantizes it; the weights are random normal with std 0.02 like a fresh layer.
"""
import argparse
import random
import struct


def dense_hex(values):
    return '"0x' + "".join(struct.pack("<f", v).hex().upper() for v in values) + '"'


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--width", type=int, default=256)
    p.add_argument("--hidden", type=int, default=512)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    rng = random.Random(a.seed)
    d, h = a.width, a.hidden
    w1 = [rng.gauss(0, 0.02) for _ in range(d * h)]
    w2 = [rng.gauss(0, 0.02) for _ in range(h * d)]
    text = f"""// A two-layer MLP: y = relu(x W1) W2, with random f32 weights.
func.func @main(%x: tensor<1x?x{d}xf32>) -> tensor<1x?x{d}xf32> {{
  %w1 = "tosa.const"() {{values = dense<{dense_hex(w1)}> : tensor<1x{d}x{h}xf32>}} : () -> tensor<1x{d}x{h}xf32>
  %w2 = "tosa.const"() {{values = dense<{dense_hex(w2)}> : tensor<1x{h}x{d}xf32>}} : () -> tensor<1x{h}x{d}xf32>
  %zp = "tosa.const"() {{values = dense<0.0> : tensor<1xf32>}} : () -> tensor<1xf32>
  %0 = tosa.matmul %x, %w1, %zp, %zp : (tensor<1x?x{d}xf32>, tensor<1x{d}x{h}xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x?x{h}xf32>
  %1 = tosa.clamp %0 {{min_val = 0.0 : f32, max_val = 3.4e38 : f32}} : (tensor<1x?x{h}xf32>) -> tensor<1x?x{h}xf32>
  %2 = tosa.matmul %1, %w2, %zp, %zp : (tensor<1x?x{h}xf32>, tensor<1x{h}x{d}xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x?x{d}xf32>
  return %2 : tensor<1x?x{d}xf32>
}}
"""
    with open(a.out, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
