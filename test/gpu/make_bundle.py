#!/usr/bin/env python3
"""Builds, on a build machine, what test/gpu/run.sh needs on a GPU machine that has no
LLVM, MLIR or Debian packages: the runtime-only, statically linked tools, the integration
kernels as compiled modules with their inputs and numpy references, and the low-bit GEMM
modules tessel-bench times.

  make_bundle.py BUILD_BIN_DIR BUNDLE_DIR [--check]

BUNDLE_DIR/
  bin/tessel-run, bin/tessel-bench, bin/cuda_gpu_test (the CUDA backend's GPU unit tests)
  reference.py                    the integration tests' numpy reference and checker
  cases/<name>/module.tslm        one integration kernel; every other *.npy except
           <input>.npy            expected_* and bound_* is an input; args holds extra
           expected_<out>.npy ... tessel-run options (--function=...)
           args
  bench/manifest.txt, bench/*.tslm   the tessel-bench modules (runtime/tools/tessel-bench/ModuleCase.h)
  kernel-cache.tgz                every module's kernels compiled ahead of time for sm_90
                                  (H100, H200) by this machine's ptxas (tessel-run
                                  --precompile; compressed, 16 -> 4 MB): run.sh seeds
                                  $TESSEL_CACHE_DIR with them, so the GPU machine skips the
                                  driver JIT where its driver accepts the cubins

--check runs every case on the CPU executor and the PTX simulator here, and the bench
modules' checks on the CPU at small shapes, so a broken bundle is found before the GPU.
"""
import argparse
import os
import shutil
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
INPUTS = os.path.join(HERE, "..", "Integration", "Inputs")
INTEGRATION = os.path.join(HERE, "..", "Integration")
sys.path.insert(0, INPUTS)
import lowbit_cases  # noqa: E402

# Integration kernels: (name, source, reference.py generator arguments, tessel-run args).
KERNELS = [
    ("vector-add", "vector-add.mlir", ["vadd", "--n=100003"], []),
    ("gemm-f16", "gemm-f16.mlir", ["gemm", "--m=300", "--n=264", "--k=208"], []),
    ("gemm-i8", "gemm-i8.mlir", ["igemm", "--m=300", "--n=264", "--k=224"], []),
    ("gemm-sparse-f16", "gemm-sparse-f16.mlir", ["spgemm", "--m=320", "--n=264", "--k=224"], []),
    ("softmax", "softmax.mlir", ["softmax", "--m=300"], []),
    ("layernorm", "layernorm.mlir", ["layernorm", "--m=300"], []),
    ("gemv-ui3", "gemv-lowbit.mlir", ["gemv", "--type=ui3", "--n=800", "--k=1920"], ["--function=gemv_ui3"]),
    ("gemv-si5", "gemv-lowbit.mlir", ["gemv", "--type=si5", "--n=800", "--k=1920"], ["--function=gemv_si5"]),
    ("gemv-e2m3", "gemv-lowbit.mlir", ["gemv", "--type=e2m3", "--n=800", "--k=1920"], ["--function=gemv_e2m3"]),
]

# Low-bit GEMM template instances checked against numpy: those of
# test/Integration/lowbit-gemm.test and larger ones that exercise many blocks and split-K.
GEMMS = lowbit_cases.CASES + [
    ("si4", 4, "", 1, 2048, 4096, 128),  # (4096 x 4096 until the bundle neared 64 MiB)
    ("ui3", 3, "", 16, 1024, 2048, 128),
    ("e2m1", 4, "", 1, 2048, 4096, 128),
    ("si5", 5, "", 7, 1536, 4096, 128),
    ("si4", 4, "", 128, 512, 1024, 128),
    ("ui2", 2, "", 100, 264, 1024, 128),
]

# tessel-bench modules: label, type, group, m-min, m-max, generator options.
BENCH = [
    ("w1a16-ui1-g128", "ui1", 128, 1, 1, "m=1"),
    ("w2a16-ui2-g128", "ui2", 128, 1, 16, "m=1"),
    ("w3a16-si3-g128", "si3", 128, 1, 16, "m=1"),
    ("w4a16-si4-g128", "si4", 128, 1, 16, "m=1"),
    ("w4a16-ui4-g128", "ui4", 128, 1, 1, "m=1"),
    ("w5a16-si5-g128", "si5", 128, 1, 1, "m=1"),
    ("w6a16-si6-g128", "si6", 128, 1, 1, "m=1"),
    ("w7a16-si7-g128", "si7", 128, 1, 1, "m=1"),
    ("w8a16-si8-g128", "si8", 128, 1, 16, "m=1"),
    ("fp4a16-e2m1-g128", "e2m1", 128, 1, 16, "m=1"),
    ("fp6a16-e3m2-g128", "e3m2", 128, 1, 1, "m=1"),
    ("fp6a16-e2m3-g128", "e2m3", 128, 1, 1, "m=1"),
    ("w4a16-si4-g128-tc", "si4", 128, 17, 1 << 30, "m=64"),
    ("w3a16-si3-g128-tc", "si3", 128, 17, 1 << 30, "m=64"),
    ("w2a16-ui2-g128-tc", "ui2", 128, 17, 1 << 30, "m=64"),
    ("w8a16-si8-g128-tc", "si8", 128, 17, 1 << 30, "m=64"),
    ("fp4a16-e2m1-g128-tc", "e2m1", 128, 17, 1 << 30, "m=64"),
    # 128 x 128 blocks (8 warps of 64 x 32, two along M sharing the weights), 2 stages:
    # less L2 traffic per flop than the default's 64 x 128, one block per SM
    ("w4a16-si4-g128-tc128", "si4", 128, 17, 1 << 30,
     "m=64 bm=128 warps=8 warps-m=2 n-per-warp=4 stages=2 min-blocks=1"),
    # the tensor-core schedule before warps_m and the sliced shared pipeline, for
    # comparison: 32-row tiles, every warp on all rows, the register pipeline
    ("w4a16-si4-g128-tc-bm32", "si4", 128, 17, 1 << 30,
     "m=64 bm=32 warps=4 n-per-warp=2 stages=1 min-blocks=0"),
]

# Schedule variants of the decode template (M = 1), timed on two shapes in a separate
# manifest (bench/variants.txt) to choose the template's defaults on a real GPU.
# (9 types x 8 schedules, compiled ahead of time: timing 72 modules fits run.sh's 270 s)
VARIANT_TYPES = ["ui1", "ui2", "si3", "si4", "ui4", "si5", "si8", "e2m1", "e3m2"]
VARIANTS = [# the type's default schedule, and the same as stream-K (one round of the GPU's
            # resident blocks, each an equal share of all tiles' K chunks: 57344 x 8192's
            # 448 tiles fill 448 of an H200's 528 block slots without splits, and split
            # 7 ways take six rounds, which restart each block's pipeline; not yet timed)
            ("default", ""),
            ("sk", "stream-k=1 target-blocks=0"),
            # ... at k_step 128 (si4's stream-K kernel at 256 spills 8 bytes in its best
            # variant, 1-2 local loads per iteration; at 128 it fits: 223 SASS
            # instructions per 128 of K, against 214 and the default's 206)
            ("sk-k128", "stream-k=1 target-blocks=0 k-step=128"),
            # k_step 128 (the default up to 8 rows before the tenth session of 2026-11-27
            # gave 1- to 4-bit codes and FP4 256) with split-K sized to
            # the GPU (tbvm.resident_blocks and the rounds of them that balance best:
            # 8192 x 8192 gets one round of 8 splits); H200, 2026-11-27: faster than about
            # 256 blocks in 15 of 18 cases (1-19%), 6% slower for si4 at 57344 x 8192
            ("bm8-st1-tb0", "k-step=128 n-per-warp=4 stages=1 target-blocks=0"),
            # ... and with about 256 blocks (the default before)
            ("bm8-st1", "k-step=128 n-per-warp=4 stages=1 target-blocks=256"),
            # the shared pipeline (cp.async ring of activations, weight bytes and, since
            # 2026-11-27, the scale rows; 32-wide slices, f32 scaling): S - 1 chunks in
            # flight without holding registers; 4, 5 (the default for 4-bit codes with
            # offsets) or 6 blocks per SM (ptxas keeps 78-94 registers without spills on
            # sm_90; 6 spills one on sm_86/89). (Dropped 2026-11-27 for `default` and `sk`: no
            # shared memory, 3-41% slower on the H200, and 4 stages at 5 blocks.)
            ("bm8-st3-mb4", "k-step=128 n-per-warp=4 stages=3 min-blocks=4 target-blocks=256"),
            ("bm8-st3-mb5-tb0", "k-step=128 n-per-warp=4 stages=3 min-blocks=5 target-blocks=0"),
            ("bm8-st3-tb0-mb6", "k-step=128 n-per-warp=4 stages=3 target-blocks=0 min-blocks=6"),
            # (Dropped 2026-11-27 for stream-K at k_step 128: the weights of the pair of K
            # steps 4 ahead prefetched into L2, `bm8-st1-tb0-pf4`: on the H200 -5..+8%
            # against tb0 alone at 57344 x 8192, up to 22% slower at 8192 x 8192.)
            ]


# The lent GPUs' architecture (H100 and H200), for the ahead-of-time cubins.
AOT_ARCH = "sm_90"


def run(args, **kw):
    r = subprocess.run(args, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        sys.exit(f"make_bundle: {' '.join(args)} failed:\n{r.stdout}{r.stderr}")
    return r.stdout


def generate(bin_dir, options, path):
    """Writes the module; returns whether it dequantizes in f16 (lowbit_cases.f16_dequant)."""
    try:
        mlir = lowbit_cases.generate(options, path, os.path.join(bin_dir, "tessel-opt"),
                                     os.path.join(bin_dir, "tessel-translate"))
    except subprocess.CalledProcessError as e:
        sys.exit(f"make_bundle: {' '.join(e.cmd)} failed:\n{e.stdout}{e.stderr}")
    f16 = lowbit_cases.f16_dequant(mlir)
    os.remove(mlir)
    return f16


def case_inputs(d):
    names = sorted(f[:-4] for f in os.listdir(d) if f.endswith(".npy") and
                   not f.startswith(("expected_", "bound_")))
    return [f"--input={n}={os.path.join(d, n)}.npy" for n in names]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("bin")
    p.add_argument("bundle")
    p.add_argument("--check", action="store_true")
    a = p.parse_args()
    b = a.bundle
    shutil.rmtree(b, ignore_errors=True)
    for sub in ["bin", "cases", "bench"]:
        os.makedirs(os.path.join(b, sub))
    for tool in ["tessel-run", "tessel-bench", "cuda_gpu_test"]:
        shutil.copy2(os.path.join(a.bin, tool), os.path.join(b, "bin", tool))
    shutil.copy2(os.path.join(INPUTS, "reference.py"), os.path.join(b, "reference.py"))

    cases = []
    for name, source, gen, extra in KERNELS:
        d = os.path.join(b, "cases", name)
        os.makedirs(d)
        planned = os.path.join(d, "planned.mlir")
        run([os.path.join(a.bin, "tessel-opt"), os.path.join(INTEGRATION, source),
             "--pass-pipeline=builtin.module(tbvm.kernel(tbvm-plan-shared-memory))", "-o", planned])
        run([os.path.join(a.bin, "tessel-translate"), "--tbvm-to-bytecode", planned,
             "-o", os.path.join(d, "module.tslm")])
        os.remove(planned)
        run([sys.executable, os.path.join(INPUTS, "reference.py"), gen[0], d] + gen[1:])
        cases.append((d, extra))
    # ... and integer inputs (lowbit_cases.INTEGER_CASES): exact results expected on the
    # GPU too (the tensor cores' f32 sums of integers below 2^24 are exact), so the casts'
    # constants are checked on the hardware.
    for integer, (kind, bits, extra, m, n, k, group) in ([(False, c) for c in GEMMS] +
                                                         [(True, c) for c in lowbit_cases.INTEGER_CASES]):
        name = ("lowbit-int-" if integer else "lowbit-") + lowbit_cases.case_name(kind, extra, m, n, k, group)
        d = os.path.join(b, "cases", name)
        os.makedirs(d)
        f16 = generate(a.bin, f"type={kind} group={group} m={m}{extra}", os.path.join(d, "module.tslm"))
        lowbit_cases.make_inputs(d, kind, bits, m, n, k, group, f16, integer_inputs=integer)
        # --compare-with=cpu: where the GPU's casts leave their constants to the dots (the
        # folded bound exists), their error does not shrink with the output: an absolute
        # tolerance of 1e-3 of the outputs' median size (the simulator's errors are 1/20 to
        # 1/30 of that; the worst-case bound, which reference.py checks, is far looser).
        extra_args = ["--tolerance=0,0"] if integer else []
        if os.path.exists(os.path.join(d, "bound_y.folded.npy")):
            y = np.abs(np.load(os.path.join(d, "expected_y.npy")))
            extra_args = [f"--tolerance=1e-3,{1e-3 * float(np.median(y)):.3g}"]
        cases.append((d, extra_args))
    for d, extra in cases:
        with open(os.path.join(d, "args"), "w") as f:
            f.write(" ".join(extra) + "\n")

    with open(os.path.join(b, "bench", "manifest.txt"), "w") as f:
        f.write("# label type group m-min m-max module (written by test/gpu/make_bundle.py)\n")
        for label, kind, group, lo, hi, options in BENCH:
            generate(a.bin, f"type={kind} group={group} {options}",
                     os.path.join(b, "bench", label + ".tslm"))
            f.write(f"{label} {kind} {group} {lo} {hi} {label}.tslm\n")

    with open(os.path.join(b, "bench", "variants.txt"), "w") as f:
        f.write("# schedule variants at M = 1 (written by test/gpu/make_bundle.py)\n")
        for kind in VARIANT_TYPES:
            for tag, options in VARIANTS:
                label = f"{kind}-{tag}"
                try:
                    generate(a.bin, f"type={kind} group=128 m=1 {options}",
                             os.path.join(b, "bench", label + ".tslm"))
                except SystemExit:  # a schedule that does not fit (shared memory)
                    continue
                f.write(f"{label} {kind} 128 1 1 {label}.tslm\n")

    # Ahead-of-time cubins of every module for the lent GPUs (H100 and H200: sm_90).
    modules = [os.path.join(d, "module.tslm") for d, _ in cases]
    modules += sorted(os.path.join(b, "bench", f) for f in os.listdir(os.path.join(b, "bench"))
                      if f.endswith(".tslm"))
    env = dict(os.environ, TESSEL_CACHE_DIR=os.path.join(b, "kernel-cache"))
    # ... and of the M = 1 bench modules with exact casts and with scale rows by 16-bit
    # loads (run.sh sections m1-exact, m1-loads).
    exact = [os.path.join(b, "bench", label + ".tslm") for label, _, _, lo, _, _ in BENCH if lo == 1]
    knobs = [{"TESSEL_CUDA_EXACT_CASTS": "1"}, {"TESSEL_CUDA_ROW_PAIR_LDMATRIX": "0"}]
    for m, extra_env in [(m, {}) for m in modules] + [(m, k) for k in knobs for m in exact]:
        r = subprocess.run([os.path.join(a.bin, "tessel-run"), "--precompile=" + AOT_ARCH, m],
                           capture_output=True, text=True, env=dict(env, **extra_env))
        if r.returncode != 0:
            sys.exit(f"make_bundle: precompiling {m} failed:\n{r.stdout}{r.stderr}")
    run(["tar", "czf", os.path.join(b, "kernel-cache.tgz"), "-C", os.path.join(b, "kernel-cache"),
         "cuda-kernels"])
    shutil.rmtree(os.path.join(b, "kernel-cache"))
    print(f"precompiled the kernels of {len(modules)} modules for {AOT_ARCH}")
    # The device tool carries at most 64 MiB with the working tree: keep a margin.
    size = sum(os.path.getsize(os.path.join(root, f)) for root, _, files in os.walk(b) for f in files)
    print(f"bundle: {size / 2**20:.1f} MiB")
    if size > 60 * 2**20:
        sys.exit(f"make_bundle: the bundle is {size / 2**20:.1f} MiB; the device tool carries at most "
                 "64 MiB with the working tree (keep it under 60: fewer or smaller cases)")

    if a.check:
        failed = False
        for d, extra in cases:
            for device in ["cpu", "ptx-sim"]:
                out = os.path.join(d, "out")
                shutil.rmtree(out, ignore_errors=True)
                r = subprocess.run([os.path.join(b, "bin", "tessel-run"), os.path.join(d, "module.tslm"),
                                    f"--device={device}", f"--output-dir={out}"] + extra + case_inputs(d),
                                   capture_output=True, text=True)
                c = subprocess.run([sys.executable, os.path.join(b, "reference.py"), "check", d] +
                                   (["--folded"] if device == "ptx-sim" else []),
                                   capture_output=True, text=True) if r.returncode == 0 else r
                ok = r.returncode == 0 and c.returncode == 0
                failed |= not ok
                print("ok" if ok else "FAILED", os.path.basename(d), device,
                      "" if ok else (r.stderr + c.stdout + c.stderr).strip())
            shutil.rmtree(os.path.join(d, "out"), ignore_errors=True)
        r = subprocess.run([os.path.join(b, "bin", "tessel-bench"), "--check-on=cpu",
                            "--modules=" + os.path.join(b, "bench", "manifest.txt"),
                            "--m=1,16,33", "--nk=64x512,136x1024"], capture_output=True, text=True)
        print(r.stdout.strip())
        failed |= r.returncode != 0
        r = subprocess.run([os.path.join(b, "bin", "tessel-bench"), "--check-on=cpu",
                            "--modules=" + os.path.join(b, "bench", "variants.txt"),
                            "--m=1", "--nk=64x1024"], capture_output=True, text=True)
        print(r.stdout.strip())
        failed |= r.returncode != 0
        if failed:
            sys.exit("make_bundle: the bundle's checks failed")


if __name__ == "__main__":
    main()
