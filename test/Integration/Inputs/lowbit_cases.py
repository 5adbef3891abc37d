"""What the low-bit GEMM tests share: the template instances checked against numpy
(test/Integration/lowbit-gemm.test, and on a GPU test/gpu/make_bundle.py) and how to
build a module from tessel-generate-lowbit-gemm options."""
import os
import subprocess

# type, bits, extra generator options, m, n, k, group: every width, signed and unsigned
# (with offsets), float codes, grouped and per channel, decode (m = 3, one 16-row tile,
# split-K) and tensor-core tiles (m = 20, 70), register and shared-memory pipelines.
CASES = [
    ("ui1", 1, "", 3, 64, 512, 128),
    ("ui2", 2, "", 3, 64, 512, 128),
    ("si3", 3, "", 3, 64, 512, 128),
    ("ui4", 4, "", 3, 64, 512, 0),
    ("si4", 4, "", 20, 64, 512, 256),
    ("ui5", 5, "", 3, 64, 384, 128),
    ("si6", 6, "", 3, 64, 512, 128),
    ("ui7", 7, "", 3, 64, 512, 128),
    ("si8", 8, "", 3, 64, 512, 128),
    ("e2m1", 4, "", 3, 64, 512, 128),
    ("e3m2", 6, "", 3, 64, 512, 128),
    ("e2m3", 6, "", 70, 32, 256, 128),
    ("f4E2M1FN", 4, "", 3, 64, 512, 128),
    ("si4", 4, " k-step=128 split-k=1 n-per-warp=1", 3, 64, 512, 128),
    # the shared-memory pipeline (cp.async ring of activations and weights)
    ("si3", 3, " k-step=256 stages=3", 3, 64, 1024, 128),
    ("ui4", 4, " stages=4", 20, 40, 768, 128),
]


def case_name(kind, extra, m, n, k, group):
    return f"{kind}-m{m}-n{n}-k{k}-g{group}{extra.replace(' ', '_').replace('=', '')}"


def generate(options, path, tessel_opt="tessel-opt", tessel_translate="tessel-translate"):
    """Writes the .tslm module of tessel-generate-lowbit-gemm{options} to `path` (and its
    planned MLIR to path + '.mlir'). Raises CalledProcessError with the tool's message."""
    mlir = path + ".mlir"
    subprocess.run([tessel_opt, os.devnull,
                    "--pass-pipeline=builtin.module(tessel-generate-lowbit-gemm{" + options +
                    "},tbvm.kernel(tbvm-plan-shared-memory))", "-o", mlir],
                   check=True, capture_output=True, text=True)
    subprocess.run([tessel_translate, "--tbvm-to-bytecode", mlir, "-o", path],
                   check=True, capture_output=True, text=True)
    return mlir
