#!/usr/bin/env bash
# Nsight Compute profiles of decode kernels, run on the GPU machine beside run.sh (same
# bundle, same machine requirements plus `ncu`, which the lent machines have):
#
#   test/gpu/profile.sh RESULTS_DIR [LABEL...]      (default label: w4a16-si4-g128)
#
# Each LABEL names a module of bench/manifest.txt or bench/variants.txt; its kernel is
# profiled once at M = 1 on N x K = $TESSEL_PROFILE_NK (default 57344x8192) with ncu's
# full set (clocks left alone). RESULTS_DIR gets, per label, the report
# (prof-LABEL.ncu-rep), its details page (prof-LABEL.txt: speed of light, memory
# workload, warp states, occupancy) and the SASS with sampled stall reasons per
# instruction (prof-LABEL-sass.csv).
set -u
cd "$(dirname "$0")/../.."
BUNDLE=${TESSEL_GPU_BUNDLE:-build/gpu-bundle}
RESULTS=${1:?usage: profile.sh RESULTS_DIR [LABEL...]}
shift
LABELS=("$@")
[ ${#LABELS[@]} -eq 0 ] && LABELS=(w4a16-si4-g128)
NK=${TESSEL_PROFILE_NK:-57344x8192}
NCU=${NCU:-$(command -v ncu || ls /opt/nvidia/nsight-compute/*/ncu /usr/local/cuda/bin/ncu 2>/dev/null | head -1)}
if [ -z "$NCU" ]; then
  echo "profile.sh: no ncu found (set NCU)" >&2
  exit 2
fi
mkdir -p "$RESULTS"
export TESSEL_CACHE_DIR=${TESSEL_CACHE_DIR:-/tmp/tessel-kernel-cache}
if [ -f "$BUNDLE/kernel-cache.tgz" ] && [ ! -d "$TESSEL_CACHE_DIR/cuda-kernels" ]; then
  mkdir -p "$TESSEL_CACHE_DIR" && chmod 700 "$TESSEL_CACHE_DIR" &&
    tar xzf "$BUNDLE/kernel-cache.tgz" -C "$TESSEL_CACHE_DIR" --skip-old-files &&
    chmod 700 "$TESSEL_CACHE_DIR/cuda-kernels"
fi
failed=0
for label in "${LABELS[@]}"; do
  line=$(grep -h "^$label " "$BUNDLE/bench/manifest.txt" "$BUNDLE/bench/variants.txt" 2>/dev/null | head -1)
  if [ -z "$line" ]; then
    echo "profile.sh: no module labelled $label in the bundle's manifests" >&2
    failed=1
    continue
  fi
  # One-module manifest; module paths are relative to the manifest's folder.
  manifest=$BUNDLE/bench/profile-$label.txt
  echo "$line" > "$manifest"
  rep=$RESULTS/prof-$label
  timeout 240 "$NCU" --clock-control none --set full --import-source no \
    -k regex:main_kernel --launch-skip 3 --launch-count 1 -f -o "$rep" \
    "$BUNDLE/bin/tessel-bench" --modules="$manifest" --m=1 --nk="$NK" --cases=tessel \
    --no-cublas --no-check --warmup=3 --iterations=50 > "$rep.log" 2>&1
  rc=$?
  rm -f "$manifest"
  if [ $rc -ne 0 ] || [ ! -f "$rep.ncu-rep" ]; then
    echo "profile.sh: ncu failed for $label (exit $rc):" >&2
    tail -5 "$rep.log" >&2
    failed=1
    continue
  fi
  "$NCU" --import "$rep.ncu-rep" --page details > "$rep.txt" 2>&1
  "$NCU" --import "$rep.ncu-rep" --page source --csv --print-source sass > "$rep-sass.csv" 2>&1
  echo "profile.sh: $label profiled ($rep.txt)" >&2
done
exit $failed
