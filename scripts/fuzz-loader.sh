#!/usr/bin/env bash
# Fuzzes the .tslm loader with libFuzzer (clang-22, ASan + UBSan) for SECONDS seconds,
# starting from the .tslm files in SEED_DIR. Builds the fuzzer on first use in
# BUILD_DIR (a clang build of the runtime alone).
# usage: fuzz-loader.sh BUILD_DIR SEED_DIR SECONDS
set -euo pipefail
build=$1 seeds=$2 seconds=$3
root="$(cd "$(dirname "$0")/.." && pwd)"
if [ ! -f "$build/build.ninja" ]; then
  CC=clang-22 CXX=clang++-22 cmake -S "$root/runtime" -B "$build" -G Ninja \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTESSEL_RUNTIME_BUILD_TESTS=OFF -DTESSEL_RUNTIME_FUZZERS=ON \
    -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
    -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined" \
    -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
fi
cmake --build "$build" --target tessel_loader_fuzzer >/dev/null
corpus="$build/corpus"
mkdir -p "$corpus"
cp "$seeds"/*.tslm "$corpus"/ 2>/dev/null || true
# -detect_leaks=0: the fuzz target's own state is reclaimed per run; leaks are checked by
# the unit tests under LeakSanitizer instead.
"$build/bin/tessel_loader_fuzzer" "$corpus" -max_total_time="$seconds" -max_len=65536 \
  -rss_limit_mb=4096 -timeout=10 -print_final_stats=1 -artifact_prefix="$build/" 2>&1 | tail -n 12
