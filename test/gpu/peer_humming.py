#!/usr/bin/env python3
"""Peer benchmark: Humming (PyPI humming-kernels 0.1.19) W{int4,int2,int3,int8,fp4}A16 GEMV
against cuBLAS f16, at M=1, group-wise f16 scales with group size 128 along K.

  pip install --no-deps --target /tmp/site humming_kernels-0.1.19-cp310-abi3-manylinux_2_28_x86_64.whl
  PYTHONPATH=/tmp/site python3 test/gpu/peer_humming.py OUT_PREFIX   # -> OUT_PREFIX.md, OUT_PREFIX.json

Optional env: PEER_TYPES=int4,int2 (subset of int4,int2,int3,int8,fp4e2m1), PEER_JOBS=N (parallel
kernel JIT compiles, default CPU count), PEER_COMPILE_WAIT_S (default 420), HUMMING_COMPILER=nvcc|nvrtc.
"""
import concurrent.futures as cf
import json
import os
import shutil
import statistics
import sys
import time
import traceback

# Humming's JIT keeps cubins in HUMMING_CACHE_DIR and file locks in HUMMING_TMP_DIR (defaults
# ~/.humming/{cache,tmp}); it finds CUDA (nvrtc.h + libnvrtc, or nvcc) under /usr/local/cuda*,
# CUDA_HOME or pip's nvidia/cu13. Everything must be set before humming is imported.
os.environ.setdefault("HUMMING_CACHE_DIR", "/tmp/humming_cache")
os.environ.setdefault("HUMMING_TMP_DIR", "/tmp/humming_tmp")
if os.path.isdir("/usr/local/cuda"):
    os.environ.setdefault("CUDA_HOME", "/usr/local/cuda")
    if shutil.which("nvcc") is None:
        os.environ["PATH"] = "/usr/local/cuda/bin:" + os.environ.get("PATH", "")

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

try:  # humming/ops/utils.py imports packaging.version but does not declare it; torch vendors it
    import packaging.version  # noqa: F401
except ImportError:
    try:
        import torch._vendor.packaging as _pkg
        import torch._vendor.packaging.version  # noqa: F401
        sys.modules["packaging"], sys.modules["packaging.version"] = _pkg, _pkg.version
    except ImportError:
        print("warning: no 'packaging' module; Humming's launcher load will fail", file=sys.stderr)

import humming  # noqa: E402
from humming.jit.runtime import KernelRuntime  # noqa: E402
from humming.kernel.humming import HummingKernel  # noqa: E402
from humming.layer import HummingLayer  # noqa: E402
from humming.ops.utils import init_humming_launcher  # noqa: E402
from humming.tune import get_heuristics_config  # noqa: E402

SHAPES = [(8192, 8192), (57344, 8192)]  # (N out features, K in features)
ALL_TYPES = [("int4", "int4"), ("int2", "int2"), ("int3", "int3"), ("int8", "int8"), ("fp4e2m1", "float4e2m1")]
GROUP, M, WARMUP, ITERS = 128, 1, 10, 50
SLEEP_CYCLES = 1_000_000  # ~0.5 ms GPU spin before each timed run (see bench())


def env_info():
    info = {"device": torch.cuda.get_device_name(0), "torch": torch.__version__, "torch_cuda": torch.version.cuda,
            "humming": humming.__version__, "humming_dir": os.path.dirname(humming.__file__)}
    for k in ("HUMMING_CACHE_DIR", "HUMMING_TMP_DIR", "HUMMING_COMPILER", "CUDA_HOME"):
        info[k] = os.environ.get(k)
    try:
        comp = KernelRuntime._get_compiler()  # NVRTC when cuda.bindings.nvrtc imports, else nvcc
        info["jit_compiler"] = f"{comp.__name__} ({comp.signature()})"
        if comp.__name__ == "NVRTCCompiler":
            from humming.utils.nvrtc import get_nvrtc_library_path
            info["jit_nvrtc_lib"] = get_nvrtc_library_path()
        else:
            from humming.utils.cuda import filter_cuda_paths
            info["jit_nvcc"] = filter_cuda_paths(required_binaries=["nvcc"])["binaries"]["nvcc"]
    except Exception as e:  # reported, not fatal: the first kernel build will show the real error
        info["jit_error"] = repr(e)
    info["nvcc_on_path"] = shutil.which("nvcc")
    return info


# L2 flush: a buffer of 2x the L2 size. "clean" reads every byte (row sums into a preallocated
# vector); "dirty" writes it (fill_), leaving dirty lines that the timed kernel must evict.
props = torch.cuda.get_device_properties(0)
L2 = getattr(props, "L2_cache_size", 0) or (50 << 20)
_rows = 1024
flush_buf = torch.ones(_rows, (2 * L2 // 4 + _rows - 1) // _rows, dtype=torch.float32, device="cuda")
flush_out = torch.empty(_rows, dtype=torch.float32, device="cuda")
_fills = [0]


def _dirty():
    # A different value each time (as tessel-bench's write flush), so no layer can skip it.
    _fills[0] += 1
    flush_buf.fill_(float(_fills[0] % 251))


FLUSHES = {"clean": lambda: torch.sum(flush_buf, dim=1, out=flush_out), "dirty": _dirty}


def bench(fn, flush):
    """CUDA-event time of fn alone; each run is preceded by an untimed flush."""
    for _ in range(WARMUP):
        flush()
        fn()
    events = [(torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)) for _ in range(ITERS)]
    torch.cuda.synchronize()
    for start, end in events:
        # Keep the GPU busy while the host enqueues flush + fn, so Python/launch overhead of
        # the library (tens of us for Humming) never shows up between the two events.
        torch.cuda._sleep(SLEEP_CYCLES)
        flush()
        start.record()
        fn()
        end.record()
    torch.cuda.synchronize()
    us = sorted(s.elapsed_time(e) * 1e3 for s, e in events)
    return {"median_us": statistics.median(us), "min_us": us[0], "p90_us": us[round(0.9 * (len(us) - 1))]}


def rel_err(y, ref):
    return ((y.float() - ref).abs().max() / ref.abs().max().clamp_min(1e-30)).item()


def prepare(dtype, n, k, x, w):
    """Quantize w through Humming's own path (README: load_from_unquantized, then transform)."""
    layer = HummingLayer(shape_n=n, shape_k=k, weight_config={"dtype": dtype, "group_size": GROUP},
                         torch_dtype=torch.float16).cuda()
    layer.load_from_unquantized(w)  # Humming's quant_weight kernel: packed codes + f16 group scales
    w_deq = layer.weight_schema.dequant_tensors(dict(layer.state_dict()))  # fp32 (N, K), as its tests do
    ref = x.float() @ w_deq.T
    del w_deq
    layer.transform()  # repack to Humming's layout; builds layer.humming_config
    # Default tuning = Humming's heuristics. forward(tuning_config=None) would compile one kernel
    # per M interval up to 8192; we ask the same heuristics for the M=1 entry only.
    tuning = get_heuristics_config(layer.humming_config, shape_m=M)
    nbytes = sum(t.nbytes for name in ("weight", "weight_scale", "zero_point", "weight_scale_2")
                 if (t := getattr(layer, name, None)) is not None)
    return {"layer": layer, "ref": ref, "tuning": tuning, "tstr": json.dumps(tuning), "nbytes": nbytes}


def compile_kernel(prep):
    """Build the GEMM kernel in a worker thread (as humming's KernelRuntime.compile_many does)."""
    t0 = time.time()
    with torch.cuda.device(0):  # same cache key as forward(): (layer cfg, "{}", tuning str, 0)
        HummingKernel.prepare_kernels(prep["layer"].humming_config.to_str(), None, prep["tstr"], device=0)
    return time.time() - t0


def fmt(v):
    return "-" if v is None else f"{v:.2e}"


def write_outputs(prefix, env, rows, failures):
    with open(prefix + ".json", "w") as f:
        json.dump({"env": env, "rows": rows, "failures": failures}, f, indent=1, default=str)
    lines = ["| case | shape M×N×K | flush | median us | min us | p90 us | GB/s | rel err vs deq / vs f16 |",
             "|---|---|---|---:|---:|---:|---:|---|"]
    for r in rows:
        lines.append(f"| {r['case']} | {r['shape']} | {r['flush']} | {r['median_us']:.2f} | {r['min_us']:.2f} "
                     f"| {r['p90_us']:.2f} | {r['gbps']:.0f} | {fmt(r['err_deq'])} / {fmt(r['err_f16'])} |")
    head = [f"# Humming {env['humming']} peer benchmark on {env['device']}", "",
            f"torch {env['torch']} (CUDA {env['torch_cuda']}); JIT {env.get('jit_compiler')}; "
            f"L2 flush buffer {2 * L2 >> 20} MiB; {WARMUP} warm-up + {ITERS} timed runs; "
            "GB/s = packed weight+scale bytes (f16 weight for cuBLAS) / median.", ""]
    tail = ["", "Failures: " + ", ".join(f["case"] for f in failures)] if failures else []
    with open(prefix + ".md", "w") as f:
        f.write("\n".join(head + lines + tail) + "\n")
    return "\n".join(lines + tail)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    prefix = sys.argv[1]
    want = os.environ.get("PEER_TYPES")
    types = [t for t in ALL_TYPES if not want or t[0] in want.split(",")]
    env = env_info()
    env.update(l2_bytes=L2, group_size=GROUP, m=M, warmup=WARMUP, iters=ITERS)
    for key, val in env.items():
        print(f"{key}: {val}", flush=True)
    init_humming_launcher()  # load the prebuilt launcher op once, before any worker thread

    torch.manual_seed(0)
    data = {}  # shape -> (x, w, f16 reference of the unquantized weight)
    for n, k in SHAPES:
        x = torch.randn(M, k, dtype=torch.float16, device="cuda")
        w = torch.randn(n, k, dtype=torch.float16, device="cuda")
        data[(n, k)] = (x, w, x.float() @ w.float().T)

    rows, failures, preps = [], [], []

    def add_rows(case, n, k, fn, nbytes, err_deq, err_f16, extra):
        for flush_name, flush in FLUSHES.items():
            r = bench(fn, flush)
            r.update(case=case, shape=f"{M}x{n}x{k}", flush=flush_name, bytes=nbytes,
                     gbps=nbytes / (r["median_us"] * 1e-6) / 1e9, err_deq=err_deq, err_f16=err_f16, **extra)
            rows.append(r)

    # cuBLAS f16 calibration rows first (nothing else running yet).
    for (n, k), (x, w, ref_f16) in data.items():
        try:
            add_rows("cublas-f16", n, k, lambda: F.linear(x, w), w.nbytes, None, rel_err(F.linear(x, w), ref_f16), {})
        except Exception:
            traceback.print_exc()
            failures.append({"case": "cublas-f16", "shape": f"{n}x{k}", "stage": "time", "error": traceback.format_exc()})
    write_outputs(prefix, env, rows, failures)

    # Phase 1 (sequential): quantize + transform; each case's GEMM kernel is handed to a thread
    # pool as soon as its config is known, so the slow JIT compiles overlap each other.
    pool = cf.ThreadPoolExecutor(max_workers=int(os.environ.get("PEER_JOBS", os.cpu_count() or 4)))
    t_start = time.time()
    for tname, dtype in types:
        for n, k in SHAPES:
            case = f"humming-{tname}-g{GROUP}"
            try:
                x, w, _ = data[(n, k)]
                t0 = time.time()
                prep = prepare(dtype, n, k, x, w)
                prep["future"] = pool.submit(compile_kernel, prep)
                print(f"[{time.time() - t_start:6.1f}s] prepared {case} {n}x{k} in {time.time() - t0:.1f}s; "
                      f"tuning {prep['tstr']}", flush=True)
                preps.append((case, n, k, prep))
            except Exception:
                print(f"FAILED preparing {case} {n}x{k}", file=sys.stderr)
                traceback.print_exc()
                failures.append({"case": case, "shape": f"{n}x{k}", "stage": "prepare", "error": traceback.format_exc()})

    # Phase 2: wait for every compile (no nvrtc process competes with the timing loops), then
    # check each Humming case once and time it.
    wait_s = float(os.environ.get("PEER_COMPILE_WAIT_S", 420))  # a stuck compile must not cost int4
    _, pending = cf.wait([p["future"] for _, _, _, p in preps], timeout=wait_s)
    print(f"[{time.time() - t_start:6.1f}s] kernels compiled, {len(pending)} still pending", flush=True)
    for case, n, k, prep in preps:
        x, w, ref_f16 = data[(n, k)]
        try:
            if not prep["future"].done():
                raise TimeoutError(f"kernel compile unfinished after waiting {wait_s}s")
            compile_s = prep["future"].result()
            print(f"[{time.time() - t_start:6.1f}s] kernel for {case} {n}x{k} ready ({compile_s:.1f}s)", flush=True)
            layer, tstr = prep["layer"], prep["tstr"]
            out = torch.empty(M, n, dtype=torch.float16, device="cuda")
            y = layer(x, outputs=out, tuning_config=tstr).clone()
            add_rows(case, n, k, lambda: layer(x, outputs=out, tuning_config=tstr), prep["nbytes"],
                     rel_err(y, prep["ref"]), rel_err(y, ref_f16), {"tuning": prep["tuning"], "compile_s": compile_s})
        except Exception:
            print(f"FAILED {case} {n}x{k}", file=sys.stderr)
            traceback.print_exc()
            failures.append({"case": case, "shape": f"{n}x{k}", "stage": "compile/run", "error": traceback.format_exc()})
        write_outputs(prefix, env, rows, failures)  # rewrite after every case: partial results survive a kill
        del prep["layer"]
    pool.shutdown(wait=False, cancel_futures=True)
    print(write_outputs(prefix, env, rows, failures), flush=True)
    print(f"total {time.time() - t_start:.1f}s", flush=True)
    rc = 0 if any(r["case"].startswith("humming-int4") for r in rows) else 1
    if pending:  # do not wait at exit for compile threads that are still running
        sys.stderr.flush()
        os._exit(rc)
    return rc


if __name__ == "__main__":
    sys.exit(main())
