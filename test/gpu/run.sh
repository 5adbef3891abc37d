#!/usr/bin/env bash
# The GPU check, run from the repository root on a machine with an NVIDIA GPU, its
# driver, cuBLAS and Python 3 with numpy, but no LLVM, MLIR or Debian packages. It needs
# the bundle that test/gpu/make_bundle.py built on a build machine (static tools and
# compiled modules; default build/gpu-bundle, or $TESSEL_GPU_BUNDLE):
#
#   /usr/bin/python3 test/gpu/make_bundle.py build/bin build/gpu-bundle --check   # build machine
#   test/gpu/run.sh [RESULTS_DIR]                                                 # GPU machine
#   (TESSEL_GPU_SECTIONS="integration m1 m1-dirty m1-exact m1-loads m1-serial m1-minblocks0
#   m1-minblocks3 variants m16 m64-128 m4096" picks what runs)
#
# With the bundle's ahead-of-time cubins (kernel-cache.tgz, loaded where the driver accepts
# CUDA 13.0's cubins) the sections are quick: on an H200 (2026-11-27) "integration m1
# variants m1-serial" took 127 s and "m1-exact m1-loads m16 m64-128 m4096" 58 s (on an
# H100 "m1" alone about 40 s), so one call of a lent machine holds those sections; a cold
# driver JIT of every kernel takes several minutes more.
# Each choice of sections writes its own summary-<sections>.md into RESULTS_DIR.
#
# 1. every integration kernel on the GPU, against the CPU executor (tessel-run
#    --compare-with=cpu) and against its numpy reference (reference.py check), and the
#    CUDA backend's GPU unit tests (cuda_gpu_test);
# 2. tessel-bench: the low-bit GEMM modules, cuBLAS and the copy bandwidth, one report per
#    group of M values (so a slow group can not lose the others' results).
# Results go to RESULTS_DIR (default $OUT when set, else build/gpu-results): summary.md,
# integration.txt, cuda-gpu-test.txt, bench-*.md and bench-*.json. Exit status 1 when a
# check failed.
set -u
cd "$(dirname "$0")/../.."
BUNDLE=${TESSEL_GPU_BUNDLE:-build/gpu-bundle}
RESULTS=${1:-${OUT:-build/gpu-results}}
PY=${PYTHON:-python3}
mkdir -p "$RESULTS"
export TESSEL_CACHE_DIR=${TESSEL_CACHE_DIR:-/tmp/tessel-kernel-cache}
# The bundle's cubins compiled ahead of time (make_bundle.py): the backend loads them
# instead of JIT-compiling where the driver accepts them ($TESSEL_CUDA_LOG_KERNELS says
# "from a cubin compiled ahead of time" in the bench logs).
if [ -f "$BUNDLE/kernel-cache.tgz" ]; then
  mkdir -p "$TESSEL_CACHE_DIR" && chmod 700 "$TESSEL_CACHE_DIR" &&
    tar xzf "$BUNDLE/kernel-cache.tgz" -C "$TESSEL_CACHE_DIR" --skip-old-files &&
    chmod 700 "$TESSEL_CACHE_DIR/cuda-kernels" ||
    echo "run.sh: could not unpack the ahead-of-time cubins; kernels will be JIT-compiled" >&2
fi
# One summary per choice of sections, so two calls into one RESULTS_DIR keep both.
if [ -n "${TESSEL_GPU_SECTIONS:-}" ]; then
  SUMMARY=$RESULTS/summary-$(echo $TESSEL_GPU_SECTIONS | tr ' ' '-').md
else
  SUMMARY=$RESULTS/summary.md
fi
failed=0

if [ ! -x "$BUNDLE/bin/tessel-run" ]; then
  echo "run.sh: no bundle at $BUNDLE (build it with test/gpu/make_bundle.py)" >&2
  exit 2
fi
{
  echo "# Tessel GPU run, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo '```'
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,clocks.max.mem --format=csv 2>&1 | head -3
  ldd --version 2>&1 | head -1
  echo '```'
} > "$SUMMARY"

# What to run: any of integration m1 m1-dirty m1-exact m1-loads m1-serial m1-minblocks0 m1-minblocks3
# variants m16 m64-128 m4096 (default: integration m1 m1-minblocks0 m1-minblocks3 variants
# m16 m64-128 m4096).
SECTIONS=" ${TESSEL_GPU_SECTIONS:-integration m1 m1-minblocks0 m1-minblocks3 variants m16 m64-128 m4096} "
want() { [[ $SECTIONS == *" $1 "* ]]; }

# 1. Integration kernels.
INTEGRATION=$RESULTS/integration.txt
want integration && : > "$INTEGRATION"
pass=0
total=0
want integration && for d in "$BUNDLE"/cases/*/; do
  d=${d%/}
  name=$(basename "$d")
  inputs=()
  for f in "$d"/*.npy; do
    base=$(basename "$f" .npy)
    case $base in expected_* | bound_*) continue ;; esac
    inputs+=("--input=$base=$f")
  done
  read -r -a extra < "$d/args" || true
  rm -rf "$d/out"
  total=$((total + 1))
  compare=$(timeout 120 "$BUNDLE/bin/tessel-run" "$d/module.tslm" --device=cuda --compare-with=cpu \
            --output-dir="$d/out" "${extra[@]}" "${inputs[@]}" 2>&1)
  rc=$?
  check=$($PY "$BUNDLE/reference.py" check --folded "$d" 2>&1)
  rc2=$?
  status=ok
  if [ $rc -ne 0 ] || [ $rc2 -ne 0 ]; then status=FAILED; failed=1; else pass=$((pass + 1)); fi
  {
    echo "$status $name"
    if [ $rc -ne 0 ]; then echo "$compare" | tail -4; else echo "$compare" | grep -E "^compare"; fi | sed 's/^/  /'
    echo "$check" | sed 's/^/  numpy: /'
  } >> "$INTEGRATION"
done
want integration && {
  echo
  echo "## Integration kernels: GPU vs CPU executor and numpy: $pass of $total pass"
  echo
  echo '```'
  cat "$INTEGRATION"
  echo '```'
} >> "$SUMMARY"
want integration && echo "integration: $pass of $total pass" >&2
# The CUDA backend's GoogleTest suite (runtime/test/CudaGpuTest.cpp: memory, block reuse,
# the parameter ABI, the disk cache, JIT errors, large shared memory, faults), which
# skips on machines without a GPU.
if want integration && [ -x "$BUNDLE/bin/cuda_gpu_test" ]; then
  timeout 120 "$BUNDLE/bin/cuda_gpu_test" --gtest_brief=1 > "$RESULTS/cuda-gpu-test.txt" 2>&1
  rc=$?
  # Skipped tests (no GPU found) exit 0 too: they count as a failure here.
  grep -q "SKIPPED" "$RESULTS/cuda-gpu-test.txt" && rc=2
  [ $rc -ne 0 ] && failed=1
  {
    echo
    echo "## CUDA backend unit tests (cuda_gpu_test, exit $rc)"
    echo
    echo '```'
    tail -15 "$RESULTS/cuda-gpu-test.txt"
    echo '```'
  } >> "$SUMMARY"
  echo "cuda_gpu_test: exit $rc" >&2
fi

# 2. Benchmarks, one report per group of M.
# Each kernel's registers and shared memory go to the bench logs (occupancy).
export TESSEL_CUDA_LOG_KERNELS=1
bench() { # NAME SECONDS ARGS...
  local name=$1 seconds=$2
  shift 2
  timeout "$seconds" "$BUNDLE/bin/tessel-bench" --modules="$BUNDLE/bench/manifest.txt" \
    --output="$RESULTS/bench-$name.json" "$@" > "$RESULTS/bench-$name.md" 2> "$RESULTS/bench-$name.log"
  local rc=$?
  {
    echo
    echo "## tessel-bench $name (exit $rc)"
    echo
    cat "$RESULTS/bench-$name.md"
    [ $rc -ne 0 ] && tail -5 "$RESULTS/bench-$name.log" | sed 's/^/    /'
  } >> "$SUMMARY"
  [ $rc -ne 0 ] && failed=1
  echo "bench $name: exit $rc" >&2
}
want m1 && bench m1 ${TESSEL_BENCH_M1_SECONDS:-100} --m=1
# The same with the L2 flushed by writes (--l2-flush=dirty, the method of the figures
# before 2026-11-27's thirteenth session): the timed run also writes back up to the L2's
# size of dirty lines, a fixed cost that weighs most on the small layers.
want m1-dirty && bench m1-dirty ${TESSEL_BENCH_M1_SECONDS:-100} --m=1 --l2-flush=dirty
if want variants && [ -f "$BUNDLE/bench/variants.txt" ]; then
  bench variants 270 --m=1 --nk=8192x8192,57344x8192 --cases=copy,tessel \
    --modules="$BUNDLE/bench/variants.txt"
fi
# The same M = 1 kernels with exact casts (each pair finished, $TESSEL_CUDA_EXACT_CASTS=1)
# against the default, whose casts leave their constants to the mma (2026-11-27): timed
# in the same run. The bundle carries their cubins too.
if want m1-exact; then
  TESSEL_CUDA_EXACT_CASTS=1 bench m1-exact 60 --m=1 --nk=8192x8192,57344x8192 --cases=copy,tessel
fi
# The same M = 1 kernels with the scale rows read by 16-bit loads instead of one
# ldmatrix.trans per row ($TESSEL_CUDA_ROW_PAIR_LDMATRIX=0; 2026-11-27, eleventh session):
# 1-4% more instructions, timed against the default. The bundle carries their cubins too.
if want m1-loads; then
  TESSEL_CUDA_ROW_PAIR_LDMATRIX=0 bench m1-loads 60 --m=1 --nk=8192x8192,57344x8192 --cases=copy,tessel
fi
# The M = 1 kernels at 8192 x 8192 (8 splits: a zero fill first) with the main kernel
# overlapping the fill (the default, programmatic dependent launch; 2026-11-27, twelfth
# session, not yet timed) and launched after it has ended ($TESSEL_CUDA_OVERLAP_LAUNCHES=0),
# one after the other on the same GPU.
if want m1-serial; then
  bench m1-overlap 40 --m=1 --nk=8192x8192 --cases=copy,tessel
  TESSEL_CUDA_OVERLAP_LAUNCHES=0 bench m1-serial 40 --m=1 --nk=8192x8192 --cases=copy,tessel
fi
# The same M = 1 kernels without their request of 4 (3) blocks per SM (ptxas then uses up
# to ~200 registers for a few % fewer instructions): occupancy against instructions, timed.
if want m1-minblocks0; then
  TESSEL_CUDA_MIN_BLOCKS=0 bench m1-minblocks0 60 --m=1 --nk=8192x8192,57344x8192 --cases=copy,tessel
fi
# With 3 blocks per SM asked for (up to 168 registers): the default asks for 4 (<= 128
# registers) except for 5- and 7-bit codes and 8-bit ones with offsets, which spill at
# 4; at 3 ptxas spends 0-3% fewer instructions on 4-bit codes but takes 132-160
# registers for 6- and 8-bit and float codes (3 blocks fit).
if want m1-minblocks3; then
  TESSEL_CUDA_MIN_BLOCKS=3 bench m1-minblocks3 60 --m=1 --nk=8192x8192,57344x8192 --cases=copy,tessel
fi
want m16 && bench m16 45 --m=16 --no-check
want m64-128 && bench m64-128 45 --m=64,128 --no-check
want m4096 && bench m4096 80 --m=4096 --no-check
# Where the benches' kernels came from (the bundle's cubins compiled ahead of time, the
# cache, or the driver's JIT).
{
  echo
  echo "Kernels loaded by the benches: $(cat "$RESULTS"/bench-*.log 2>/dev/null | grep -c 'compiled ahead of time') ahead of time, $(cat "$RESULTS"/bench-*.log 2>/dev/null | grep -c "driver's JIT") by the JIT, $(cat "$RESULTS"/bench-*.log 2>/dev/null | grep -c 'the kernel cache') from the cache."
} >> "$SUMMARY"
# Everything in one archive too (a transport may limit the number of files).
tar czf "$RESULTS/results.tgz" -C "$RESULTS" --exclude=results.tgz . 2>/dev/null

cat "$SUMMARY"
exit $failed
