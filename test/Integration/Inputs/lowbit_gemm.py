#!/usr/bin/env python3
"""Inputs and fp64 reference of the low-bit GEMM template (tessel-generate-lowbit-gemm):
random plain codes, repacked into the mma_k128 order by this script's own implementation
of runtime/src/vm/Repack.h's definition, and y = x * dequant(w)^T.

  lowbit_gemm.py DIR --type=ui4 --m=3 --n=64 --k=512 --group=128 [--asymmetric]
"""
import argparse
import os
import re
import sys

import numpy as np

U32 = 2.0 ** -24


def decode(codes, kind, bits):
    c = codes.astype(np.int64)
    if kind.startswith("ui"):
        return c.astype(np.float64)
    if kind.startswith("si") or kind.startswith("i"):
        return np.where(c >= 2 ** (bits - 1), c - 2 ** bits, c).astype(np.float64)
    # eXmY (lowp) and the FN small floats without NaN: sign, exponent, mantissa.
    if kind == "f4E2M1FN":
        e, m = 2, 1
    elif kind == "f6E2M3FN":
        e, m = 2, 3
    elif kind == "f6E3M2FN":
        e, m = 3, 2
    else:
        e, m = int(kind[1]), int(kind[3])
    bias = 2 ** (e - 1) - 1
    sign = np.where((c >> (e + m)) & 1, -1.0, 1.0)
    ef = (c >> m) & ((1 << e) - 1)
    mf = (c & ((1 << m) - 1)) / 2.0 ** m
    mag = np.where(ef == 0, mf * 2.0 ** (1 - bias), (1 + mf) * 2.0 ** (ef - bias))
    return sign * mag


def repack(codes, bits):
    """mma_k128: bytes [K/128][N/8][32 lanes][4 bits]; code (n, k) of lane
    (n % 8) * 4 + (k % 8) // 2 at code slot 4 * ((k % 128) // 16) + 2 * ((k % 16) // 8) + k % 2
    (1, 2 and 4 bits: in each word of P = 32 / bits codes, slot Pw + 2i + e moves to
    Pw + i + (P / 2) e)."""
    n, k = codes.shape
    nn, kk = np.meshgrid(np.arange(n), np.arange(k), indexing="ij")
    unit = (kk // 128) * (n // 8) + nn // 8
    lane = (nn % 8) * 4 + (kk % 8) // 2
    slot = 4 * ((kk % 128) // 16) + 2 * ((kk % 16) // 8) + kk % 2
    if bits in (1, 2, 4):  # each word's codes interleaved: f16 pair (2i, 2i+1) 16 bits apart
        per_word = 32 // bits
        r = slot % per_word
        slot = slot - r + (per_word // 2) * (r % 2) + r // 2
    bit0 = unit * 1024 * bits + lane * 32 * bits + slot * bits
    stream = np.zeros(n * k * bits, dtype=np.uint8)
    for b in range(bits):
        stream[(bit0 + b).ravel()] = ((codes >> b) & 1).ravel()
    packed = np.packbits(stream, bitorder="little")
    return packed.view(np.int8).reshape(k // 128, n // 8, 128 * bits)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("dir")
    p.add_argument("--type", default="ui4")
    p.add_argument("--bits", type=int, required=True)
    p.add_argument("--m", type=int, default=3)
    p.add_argument("--n", type=int, default=64)
    p.add_argument("--k", type=int, default=512)
    p.add_argument("--group", type=int, default=128)
    p.add_argument("--asymmetric", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--f16-dequant", action="store_true",
                   help="the kernel rounds each scaled weight to f16 (shared pipeline)")
    p.add_argument("--integer-inputs", action="store_true",
                   help="x integers in [-4, 4], scales 1, offsets integers in [-4, 0]: every "
                        "product and partial sum of every pipeline is a multiple of 2^-4 (an "
                        "integer for integer codes) well inside f32's 24 bits (K <= 512), so "
                        "y must be exact")
    a = p.parse_args()
    rng = np.random.default_rng(a.seed)
    bits = a.bits
    codes = rng.integers(0, 2 ** bits, (a.n, a.k))
    group = a.group if a.group else a.k
    groups = a.k // group
    if a.integer_inputs:
        if a.k > 512:
            sys.exit("--integer-inputs needs K <= 512")
        x = rng.integers(-4, 5, (a.m, a.k)).astype(np.float16)
        s = np.ones((groups, a.n), dtype=np.float16)
    else:
        x = rng.uniform(-1, 1, (a.m, a.k)).astype(np.float16)
        s = rng.uniform(0.01, 0.1, (groups, a.n)).astype(np.float16)
    np.save(os.path.join(a.dir, "x.npy"), x)
    np.save(os.path.join(a.dir, "w.npy"), repack(codes, bits))
    np.save(os.path.join(a.dir, "s.npy"), s)
    s64 = np.repeat(s.astype(np.float64).T, group, axis=1)
    w = decode(codes, a.type, bits) * s64
    offsets = np.zeros_like(w)
    if a.asymmetric:
        off = (rng.integers(-4, 1, (groups, a.n)) if a.integer_inputs
               else rng.uniform(-0.2, 0.0, (groups, a.n))).astype(np.float16)
        np.save(os.path.join(a.dir, "m.npy"), off)
        offsets = np.repeat(off.astype(np.float64).T, group, axis=1)
        w = w + offsets
    x64 = x.astype(np.float64)
    y = x64 @ w.T
    # f16 codes and f16 x are exact; products exact; f32 sums over the K chunks and one
    # rounding of each group's scaled partial sum.
    # With f16 dequantization each weight q * s (+ m) is rounded to f16 once more.
    rel = (a.k + 8) * U32 + (1.01 * 2.0 ** -11 if a.f16_dequant else 0.0)
    if a.integer_inputs:
        rel = 0.0
    bound = rel * (np.abs(x64) @ np.abs(w).T) + 1e-30
    np.save(os.path.join(a.dir, "expected_y.npy"), y)
    np.save(os.path.join(a.dir, "bound_y.npy"), bound)
    if not a.f16_dequant and re.fullmatch(r"[su]?i\d", a.type) and not a.integer_inputs:
        # On the GPU code path, integer codes read only by the tensor cores (f32 scaling)
        # stay in the registers as c + u (u the offset-binary code, c <= 2^10 + 2^(N-1)):
        # the f32 sums run through partial sums of up to sum (c + |u|)|x| + sum c|x| before
        # the constants' sum is taken out (docs/numerics.md). reference.py check --folded
        # reads this bound (a worst case: the simulator's errors are ~1e-3 of it).
        c = 2.0 ** 10 + 2.0 ** (bits - 1)
        size = np.abs(w) + np.abs(offsets) + s64 * (2 * c + 2.0 ** bits)
        np.save(os.path.join(a.dir, "bound_y.folded.npy"), rel * (np.abs(x64) @ size.T) + 1e-30)


if __name__ == "__main__":
    main()
