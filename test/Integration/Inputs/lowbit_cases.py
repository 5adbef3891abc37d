"""What the low-bit GEMM tests share: the template instances checked against numpy
(test/Integration/lowbit-gemm.test, and on a GPU test/gpu/make_bundle.py) and how to
build a module from tessel-generate-lowbit-gemm options."""
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# type, bits, extra generator options, m, n, k, group: every width, signed and unsigned
# (with offsets), float codes, grouped and per channel, decode (m = 3, one 8-row tile,
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
    ("si4", 4, " bm=16 k-step=128 split-k=1 n-per-warp=1", 3, 64, 512, 128),
    # decode of up to 8 rows is transposed (bm = 8, the default there: the weights as the
    # mma's A operand); also 16-row tiles at small M, and two 8-row blocks
    ("ui1", 1, " bm=16", 3, 64, 512, 128),
    ("si8", 8, " bm=16", 3, 64, 512, 128),
    ("si4", 4, " bm=8", 11, 64, 512, 128),
    ("e3m2", 6, " bm=16 stages=0", 3, 64, 512, 128),
    # the register pipeline takes chunks in pairs: blocks with 2, 2, 1 and 0 chunks (an
    # odd last chunk after the loop, a block with nothing to add), with offsets 2, 2, 1
    # (scales and offsets in registers; their default is the shared pipeline)
    ("si4", 4, " split-k=4 k-step=128", 3, 64, 640, 128),
    ("ui4", 4, " stages=1 split-k=3", 3, 64, 640, 128),
    ("ui4", 4, " split-k=3", 3, 64, 640, 128),
    # ... with 16 rows (a copy per chunk), and chunks of 256 (3 and 2 per block)
    ("ui4", 4, " bm=16 split-k=3", 3, 64, 640, 128),
    ("si4", 4, " k-step=256", 3, 64, 1280, 128),
    # one chunk (no loop iteration, only the odd last chunk), one row
    ("si4", 4, "", 1, 64, 128, 128),
    # 1- and 2-bit codes' default chunks of 256: a last chunk half past K (K = 11 * 128
    # over 3 blocks), groups of 256 (a pair and an odd last chunk), per channel; 2-bit
    # ones load the next chunk's weights sub-chunk by sub-chunk
    ("ui1", 1, " split-k=3", 3, 64, 1408, 128),
    ("ui1", 1, "", 1, 64, 768, 256),
    ("ui2", 2, " split-k=3", 3, 64, 1408, 128),
    ("si2", 2, "", 6, 40, 768, 0),
    # per-channel scales in the register pipeline: accumulated over the block's share of
    # K and scaled once (with and without offsets, 8 and 16 rows, stages 0)
    ("si8", 8, "", 3, 64, 640, 0),
    ("ui3", 3, " bm=16", 3, 64, 384, 0),
    ("si5", 5, " stages=0", 3, 64, 512, 0),
    # split-K sized to the device (tbvm.resident_blocks: the CPU's worker threads)
    ("ui4", 4, " target-blocks=0", 3, 64, 2048, 128),
    # stream-K: a grid of whole rounds of target_blocks (at least one block per column
    # tile), every block an equal share of all tiles' K chunks in order: shares that end
    # one tile and start the next (added atomically), whole tiles (stored), odd shares
    # in the pair loop, every pipeline, two 8-row blocks, the CPU's worker threads
    # (target-blocks=0: whole tiles with 2 of them, shares across tiles with 4 or more),
    # shares of whole tiles only (no zero fill; y uninitialized), and the tensor-core
    # kernel (two 64-row blocks)
    ("si4", 4, " stream-k=1 target-blocks=5", 3, 256, 1280, 128),
    ("ui1", 1, " stream-k=1 target-blocks=3", 3, 200, 1408, 128),
    ("ui2", 2, " stream-k=1 target-blocks=7 stages=0", 5, 384, 768, 128),
    ("si3", 3, " stream-k=1 target-blocks=5 k-step=256 stages=3", 3, 256, 1024, 128),
    ("ui3", 3, " stream-k=1 target-blocks=4 bm=16", 11, 128, 384, 0),
    ("si4", 4, " stream-k=1 target-blocks=6 bm=8", 11, 256, 512, 128),
    ("ui4", 4, " stream-k=1 target-blocks=0", 3, 256, 2048, 128),
    ("si4", 4, " stream-k=1 target-blocks=2", 1, 256, 512, 128),
    ("si4", 4, " stream-k=1 target-blocks=5", 70, 256, 640, 128),
    # no shared memory: activation fragments from global memory (rows past M, a K chunk
    # of 256 as two sub-chunks)
    ("si3", 3, " stages=0", 3, 64, 512, 128),
    ("ui5", 5, " stages=0 k-step=256", 12, 40, 768, 256),
    ("ui2", 2, " stages=0 k-step=256 target-blocks=0", 5, 40, 768, 128),
    # the weights of K steps ahead prefetched into L2 (tbvm.prefetch; also run on the
    # simulator as sm_90, whose bulk prefetch it checks): past a split-K block's share,
    # past the end of K (skipped)
    ("si5", 5, " prefetch=4", 3, 128, 1536, 128),
    ("ui2", 2, " stages=0 prefetch=2 split-k=1", 5, 256, 768, 128),
    # the shared-memory pipeline (cp.async ring of activations and weights)
    ("si3", 3, " k-step=256 stages=3", 3, 64, 1024, 128),
    ("ui2", 2, " stages=2", 5, 40, 512, 128),
    ("si3", 3, " bm=16 k-step=256 stages=3", 3, 64, 1024, 128),
    ("ui4", 4, " stages=4", 20, 40, 768, 128),
    # ... with groups that neither divide nor are divided by k_step (the scale rows a chunk
    # reads: 0, 0, 1 and 0, 1, 1 of its stage's three)
    ("si4", 4, " k-step=384 stages=3", 3, 64, 1536, 256),
    # the register pipeline on a 32-row tile (the tensor-core default before warps_m),
    # and with warps split over the rows (each band loads its own copy of the weights)
    ("ui3", 3, " bm=32 n-per-warp=2 stages=1 min-blocks=0", 40, 64, 512, 128),
    ("si4", 4, " bm=64 warps=4 warps-m=2 n-per-warp=2 stages=1 min-blocks=0", 40, 64, 384, 128),
    # warps split over rows and columns (warps_m), the weights shared through shared
    # memory and dequantized in f16: every swizzle (2, 4, 8 bits), odd widths, offsets,
    # float codes, partial row and column blocks, per channel
    ("si4", 4, " bm=64 warps=4 warps-m=2 n-per-warp=2 stages=3", 70, 96, 640, 128),
    ("ui2", 2, " bm=64 warps=4 warps-m=2 n-per-warp=2 stages=2", 50, 64, 384, 0),
    ("si8", 8, " bm=32 warps=4 warps-m=2 n-per-warp=1 stages=3", 40, 48, 512, 256),
    ("ui3", 3, " bm=64 warps=4 warps-m=4 n-per-warp=2 stages=2", 64, 40, 384, 128),
    ("e2m1", 4, " bm=128 warps=8 warps-m=2 n-per-warp=4 stages=2", 130, 136, 256, 128),
]

# Integer activations, scales 1 and integer offsets: every partial sum of every pipeline is
# a multiple of 2^-4 (an integer for integer codes) that f32 holds exactly, so y must be
# exact on the CPU executor and the simulator, the GPU code path's casts whose constants
# the dots take out (ptx-sim) included: a constant off by one code unit anywhere shows (the
# random cases' bound for that path is a worst case, loose).
INTEGER_CASES = [
    ("ui1", 1, "", 3, 64, 512, 128), ("ui2", 2, "", 3, 64, 512, 128), ("si3", 3, "", 3, 64, 512, 128),
    ("si4", 4, "", 3, 64, 512, 128), ("ui4", 4, "", 3, 64, 512, 0), ("ui5", 5, "", 3, 64, 384, 128),
    ("si6", 6, "", 3, 64, 512, 128), ("ui7", 7, "", 3, 64, 512, 128), ("si8", 8, "", 3, 64, 512, 128),
    ("e2m1", 4, "", 3, 64, 512, 128), ("e3m2", 6, "", 3, 64, 512, 128),
    # 16-row tiles (the codes as the mma's B operand), the shared pipeline (32-wide slices
    # chained: per-fragment correction mmas), per-channel scales (the products add to a
    # running sum), no shared memory, the tensor-core kernel
    ("ui1", 1, " bm=16", 3, 64, 512, 128), ("si8", 8, " bm=16", 3, 64, 512, 128),
    ("si3", 3, " k-step=256 stages=3", 3, 64, 512, 128), ("ui2", 2, " stages=2", 5, 40, 512, 128),
    ("si8", 8, "", 3, 64, 512, 0), ("si5", 5, " stages=0", 3, 64, 512, 0),
    ("si4", 4, "", 20, 64, 512, 256),
    # 1- and 2-bit codes' chunks of 256 with a last one half past K (its codes read as
    # zeros, whose constant the zero activations there cancel)
    ("ui1", 1, "", 3, 64, 384, 128), ("ui2", 2, "", 3, 64, 384, 128), ("si3", 3, "", 3, 64, 384, 128),
    ("e2m1", 4, "", 3, 64, 384, 128),
    # signed 1- and 2-bit codes (paired 16 bits apart, sign bits flipped by the lop3), and
    # 1-bit codes in the shared pipeline (32-wide slices of the paired words, which the
    # casts read through)
    ("si1", 1, "", 3, 64, 512, 128), ("si2", 2, " bm=16", 3, 64, 512, 128),
    ("ui1", 1, " stages=2", 5, 40, 512, 128),
    # stream-K: a chunk added twice or left out shows exactly (a share of tile 0's chunks
    # 2..3 and tile 1's chunk 0)
    ("si4", 4, " stream-k=1 target-blocks=3 k-step=128", 3, 256, 512, 128),
]


def case_name(kind, extra, m, n, k, group):
    return f"{kind}-m{m}-n{n}-k{k}-g{group}{extra.replace(' ', '_').replace('=', '')}"


def f16_dequant(mlir_path):
    """Whether the generated kernel dequantizes in f16 (the shared-memory pipeline, stages
    >= 2, with at least two 16-row tiles per warp scales the weight fragments): its
    results carry one more f16 rounding per weight."""
    import re
    text = open(mlir_path).read()
    m = re.search(r"tbvm\.schedule = #tbvm\.schedule<([^>]*)>", text)
    if not m:
        raise ValueError(f"{mlir_path}: no tbvm.schedule attribute on the kernel")
    fields = dict(re.findall(r"(\w+) = (\d+)", m.group(1)))
    rows_per_warp = int(fields["bm"]) // int(fields.get("warps_m", 1))
    return int(fields["stages"]) >= 2 and rows_per_warp >= 32


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


def stack_frame_bytes(ptxas_report):
    """The largest "N bytes stack frame" of ptxas -v's report: local memory, which the
    emitter's kernels only get from register spills."""
    return max([int(b) for b in re.findall(r"(\d+) bytes stack frame", ptxas_report)] or [0])


# What the CUDA backend tries, in order, for a kernel that spills (spillVariants in
# runtime/src/cuda/PtxEmitter.h): scale rows by 16-bit loads, then that and a register
# cap 8, 16 or 24 below the one min_blocks_per_sm implies, narrower cast views, exact
# casts, exact casts with the cap 8 below. (test/Target/PTX/precompile.test counts them as
# the backend makes them.)
SPILL_VARIANTS = [[]] + [["--no-row-pair-ldmatrix"] + v for v in (
    [], ["--register-slack=8"], ["--register-slack=16"], ["--register-slack=24"],
    ["--narrow-cast-views"], ["--exact-casts"], ["--exact-casts", "--register-slack=8"])]


def compile_as_runtime(mlir, arch, ptxas, stem, tessel_translate="tessel-translate"):
    """Assembles the module's kernels as the CUDA backend keeps them: the default PTX, or,
    when that spills registers, the first variant that does not (else the one that spills
    least), skipping variants whose PTX repeats an earlier one's or that ptxas refuses, as
    spillVariantKernels and CudaBackend::prepareKernel do per kernel. (The backend
    chooses per kernel; in these modules only the main kernel casts or asks for blocks per
    SM, so the module's choice is its.) Returns (ptx path, cubin path, ptxas -v report,
    the tessel-translate flags of the variant)."""
    best, seen = None, set()
    for i, flags in enumerate(SPILL_VARIANTS):
        ptx, cubin = f"{stem}.v{i}.ptx", f"{stem}.v{i}.cubin"
        subprocess.run([tessel_translate, "--tbvm-to-ptx", "--arch=" + arch, mlir, "-o", ptx] + flags,
                       check=True)
        text = open(ptx).read()
        if text in seen:
            continue
        seen.add(text)
        r = subprocess.run([ptxas, "-arch=" + arch, "-v", ptx, "-o", cubin],
                           capture_output=True, text=True)
        if r.returncode != 0:
            if best is None:
                raise RuntimeError(f"ptxas failed on {ptx}:\n{r.stderr[-1500:]}")
            continue
        if best is None or stack_frame_bytes(r.stderr) < stack_frame_bytes(best[2]):
            best = (ptx, cubin, r.stderr, " ".join(flags))
        if stack_frame_bytes(best[2]) == 0:
            break
    return best


def make_inputs(d, kind, bits, m, n, k, group, f16_dequant, integer_inputs=False):
    """Writes x, w, s (m for unsigned codes) and the numpy expectation into `d`
    (lowbit_gemm.py; integer_inputs: exact results expected); returns tessel-run's
    --input arguments."""
    asym = kind.startswith("ui")
    subprocess.run([sys.executable, os.path.join(HERE, "lowbit_gemm.py"), d, f"--type={kind}",
                    f"--bits={bits}", f"--m={m}", f"--n={n}", f"--k={k}", f"--group={group}"] +
                   (["--asymmetric"] if asym else []) + (["--f16-dequant"] if f16_dequant else []) +
                   (["--integer-inputs"] if integer_inputs else []),
                   check=True)
    return [f"--input={t}={d}/{t}.npy" for t in (["x", "w", "s", "m"] if asym else ["x", "w", "s"])]


def run_and_check(d, tslm, input_args, device, tessel_run="tessel-run"):
    """Runs the module on `device` and checks y against the expectation in `d`; returns
    (passed, what reference.py or tessel-run said)."""
    out = os.path.join(d, "out")
    subprocess.run(["rm", "-rf", out])
    r = subprocess.run([tessel_run, tslm, f"--device={device}", f"--output-dir={out}"] + input_args,
                       capture_output=True, text=True)
    if r.returncode != 0:
        return False, "run failed: " + r.stderr[-600:]
    # The GPU code path's casts leave their constants to the dots (--folded's bound).
    folded = device.startswith(("ptx-sim", "cuda")) and "exact-casts" not in device
    c = subprocess.run([sys.executable, os.path.join(HERE, "reference.py"), "check", d] +
                       (["--folded"] if folded else []), capture_output=True, text=True)
    return c.returncode == 0, (c.stdout + c.stderr).strip()
