#!/usr/bin/env python3
"""Inputs and fp64 references for the integration kernels, computed with numpy alone
(independently of Tessel's executor and codec library), and the comparison.

  reference.py KERNEL DIR [options]   writes DIR/<input>.npy, DIR/expected_<output>.npy and
                                      DIR/bound_<output>.npy (the allowed |error| per element)
  reference.py check DIR              compares DIR/out/<output>.npy with the expectation

Bounds follow docs/numerics.md: they come from the accumulation length and the rounding
of each step (u = 2^-24 for f32, 2^-11 for f16), not from tuning.
"""
import argparse
import glob
import os
import sys

import numpy as np

U32 = 2.0 ** -24
U16 = 2.0 ** -11


def save(d, name, a):
    np.save(os.path.join(d, name + ".npy"), a)


def expect(d, name, value, bound):
    save(d, "expected_" + name, np.asarray(value, dtype=np.float64))
    save(d, "bound_" + name, np.asarray(bound, dtype=np.float64))


def vadd(d, n, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 1, n).astype(np.float32)
    y = rng.normal(0, 1, n).astype(np.float32)
    save(d, "x", x)
    save(d, "y", y)
    z = x.astype(np.float64) + y.astype(np.float64)
    expect(d, "z", z, U32 * np.abs(z) + 1e-45)


def gemm(d, m, n, k, seed):
    rng = np.random.default_rng(seed)
    a = rng.uniform(-1, 1, (m, k)).astype(np.float16)
    b = rng.uniform(-1, 1, (k, n)).astype(np.float16)
    save(d, "a", a)
    save(d, "b", b)
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    # f32 accumulation of exact products: |error| <= gamma_K * sum |a||b|.
    gamma = (k + 2) * U32
    expect(d, "c", a64 @ b64, gamma * (np.abs(a64) @ np.abs(b64)) + 1e-30)


def igemm(d, m, n, k, seed):
    """8-bit integer GEMM with 32-bit integer sums: exact."""
    rng = np.random.default_rng(seed)
    a = rng.integers(-128, 128, (m, k)).astype(np.int8)
    b = rng.integers(-128, 128, (k, n)).astype(np.int8)
    save(d, "a", a)
    save(d, "b", b)
    c = a.astype(np.int64) @ b.astype(np.int64)
    expect(d, "c", c, np.full(c.shape, 1e-30))


def spgemm(d, m, n, k, seed):
    """2:4 sparse A (two kept values in every group of four along K) times dense B, f32
    sums. Inputs: the kept values av [M, K/2] (f16), their positions as 4-bit metadata
    (position of the first kept value in bits 0-1, of the second in bits 2-3, the first
    below the second), two groups per byte, LSB first, [M, K/8] bytes, and b [K, N]."""
    rng = np.random.default_rng(seed)
    pairs = [(i, j) for i in range(4) for j in range(i + 1, 4)]
    choice = rng.integers(0, len(pairs), (m, k // 4))
    i0 = np.array([p[0] for p in pairs])[choice]
    i1 = np.array([p[1] for p in pairs])[choice]
    av = rng.uniform(-1, 1, (m, k // 2)).astype(np.float16)
    b = rng.uniform(-1, 1, (k, n)).astype(np.float16)
    a = np.zeros((m, k), dtype=np.float64)
    rows = np.arange(m)[:, None]
    groups = 4 * np.arange(k // 4)[None, :]
    a[rows, groups + i0] = av[:, 0::2]
    a[rows, groups + i1] = av[:, 1::2]
    nibbles = (i0 | (i1 << 2)).astype(np.uint8)
    meta = (nibbles[:, 0::2] | (nibbles[:, 1::2] << 4)).astype(np.uint8).view(np.int8)
    save(d, "av", av)
    save(d, "meta", meta)
    save(d, "b", b)
    b64 = b.astype(np.float64)
    gamma = (k + 2) * U32
    expect(d, "c", a @ b64, gamma * (np.abs(a) @ np.abs(b64)) + 1e-30)


def softmax(d, m, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 2, (m, 256)).astype(np.float32)
    save(d, "x", x)
    x64 = x.astype(np.float64)
    e = np.exp(x64 - x64.max(axis=1, keepdims=True))
    y = e / e.sum(axis=1, keepdims=True)
    # exp, subtraction and division each a few ulps; the sum (N terms) gamma_N.
    expect(d, "y", y, (256 + 16) * U32 * y + 1e-30)


def layernorm(d, m, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(0.5, 2, (m, 256)).astype(np.float32)
    gamma = rng.uniform(0.5, 1.5, (1, 256)).astype(np.float32)
    beta = rng.uniform(-1, 1, (1, 256)).astype(np.float32)
    for name, v in (("x", x), ("gamma", gamma), ("beta", beta)):
        save(d, name, v)
    x64 = x.astype(np.float64)
    mean = x64.mean(axis=1, keepdims=True)
    var = ((x64 - mean) ** 2).mean(axis=1, keepdims=True)
    norm = (x64 - mean) / np.sqrt(var + 1e-5)
    y = norm * gamma + beta
    # Two f32 reductions of 256 terms (mean, variance) and a handful of rounded steps.
    err = (2 * 256 + 32) * U32
    expect(d, "y", y, err * (np.abs(norm * gamma) + np.abs(beta)) + err)


def pack(codes, bits):
    """LSB-first bit stream of each row: element i at bits [i*bits, (i+1)*bits)."""
    n, k = codes.shape
    planes = (codes[:, :, None] >> np.arange(bits)) & 1
    stream = planes.reshape(n, k * bits).astype(np.uint8)
    return np.packbits(stream, axis=1, bitorder="little").view(np.int8)


def decode(codes, kind):
    c = codes.astype(np.int64)
    if kind == "ui3":
        return c.astype(np.float64)
    if kind == "si5":
        return np.where(c >= 16, c - 32, c).astype(np.float64)
    if kind == "e2m3":  # 1 sign, 2 exponent (bias 1), 3 mantissa bits, subnormals
        sign = np.where(c >> 5, -1.0, 1.0)
        e = (c >> 3) & 3
        mant = (c & 7) / 8.0
        mag = np.where(e == 0, mant, (1.0 + mant) * 2.0 ** (e - 1))
        return sign * mag
    raise ValueError(kind)


def gemv(d, kind, n, k, seed):
    rng = np.random.default_rng(seed)
    bits = {"ui3": 3, "si5": 5, "e2m3": 6}[kind]
    codes = rng.integers(0, 2 ** bits, (n, k))
    groups = k // 64
    s = rng.uniform(0.01, 0.1, (n, groups)).astype(np.float16)
    x = rng.uniform(-1, 1, (1, k)).astype(np.float16)
    save(d, "x", x)
    save(d, "w", pack(codes, bits))
    save(d, "s", s)
    scale = np.repeat(s.astype(np.float64), 64, axis=1)
    w = scale * decode(codes, kind)
    if kind == "ui3":
        off = rng.uniform(-0.3, -0.1, (n, groups)).astype(np.float16)
        save(d, "m", off)
        w = w + np.repeat(off.astype(np.float64), 64, axis=1)
    x64 = x.astype(np.float64)
    y = w @ x64.T
    # Each dequantized weight rounds once to f16 (u16); products and the K-term sum in f32.
    mag = np.abs(w) @ np.abs(x64).T
    expect(d, "y", y, (U16 + (k + 4) * U32) * mag + 1e-30)


def check(d, folded=False):
    """folded: the output came from the GPU code path, whose integer codes read only by
    the tensor cores carry a constant that the sums take out later (docs/numerics.md):
    bound_<name>.folded.npy where it exists."""
    failed = False
    for exp_path in sorted(glob.glob(os.path.join(d, "expected_*.npy"))):
        name = os.path.basename(exp_path)[len("expected_"):-len(".npy")]
        expected = np.load(exp_path)
        bound_path = os.path.join(d, "bound_" + name + ".npy")
        if folded and os.path.exists(os.path.join(d, "bound_" + name + ".folded.npy")):
            bound_path = os.path.join(d, "bound_" + name + ".folded.npy")
        bound = np.load(bound_path)
        out_path = os.path.join(d, "out", name + ".npy")
        if not os.path.exists(out_path):
            print(f"{name}: missing output {out_path}")
            failed = True
            continue
        got = np.load(out_path).astype(np.float64)
        if got.shape != expected.shape:
            print(f"{name}: shape {got.shape}, expected {expected.shape}")
            failed = True
            continue
        err = np.abs(got - expected)
        bad = ~(err <= bound)
        worst = float(np.max(err / bound))
        print(f"{name}: max |error| {err.max():.3g}, worst error/bound {worst:.3g}")
        if bad.any():
            idx = tuple(int(i) for i in np.argwhere(bad)[0])
            print(f"{name}: {int(bad.sum())} elements out of bound, first at {idx}: "
                  f"got {got[idx]!r}, expected {expected[idx]!r}, bound {bound[idx]!r}")
            failed = True
    return 1 if failed else 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("kernel", choices=["vadd", "gemm", "igemm", "spgemm", "softmax", "layernorm", "gemv", "check"])
    p.add_argument("dir")
    p.add_argument("--m", type=int, default=64)
    p.add_argument("--n", type=int, default=64)
    p.add_argument("--k", type=int, default=64)
    p.add_argument("--type", default="ui3")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--folded", action="store_true",
                   help="check: the output came from the GPU code path (see check)")
    a = p.parse_args()
    if a.kernel == "check":
        sys.exit(check(a.dir, a.folded))
    if a.kernel == "vadd":
        vadd(a.dir, a.n, a.seed)
    elif a.kernel == "gemm":
        gemm(a.dir, a.m, a.n, a.k, a.seed)
    elif a.kernel == "igemm":
        igemm(a.dir, a.m, a.n, a.k, a.seed)
    elif a.kernel == "spgemm":
        spgemm(a.dir, a.m, a.n, a.k, a.seed)
    elif a.kernel == "softmax":
        softmax(a.dir, a.m, a.seed)
    elif a.kernel == "layernorm":
        layernorm(a.dir, a.m, a.seed)
    elif a.kernel == "gemv":
        gemv(a.dir, a.type, a.n, a.k, a.seed)


if __name__ == "__main__":
    main()
