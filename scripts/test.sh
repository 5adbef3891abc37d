#!/usr/bin/env bash
# Set up (dependencies, configure, build), then run every test: the runtime's and the
# compiler's unit tests and the lit suites (through ctest), and the runtime built alone.
source "$(dirname "$0")/common.sh"
start=$SECONDS
tessel_setup

step "tests (ctest: unit tests and lit)"
status=0
ctest --test-dir "$BUILD_DIR" -j "$JOBS" --output-on-failure || status=$?

# The runtime must build and pass its tests as its own project, with no LLVM or MLIR.
step "runtime alone (cmake -S runtime)"
RT_DIR="$BUILD_DIR/runtime-standalone"
if [ ! -f "$RT_DIR/build.ninja" ]; then
  cmake -S "$TESSEL_ROOT/runtime" -B "$RT_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CXX_COMPILER_LAUNCHER=ccache >/dev/null
fi
cmake --build "$RT_DIR" -j "$JOBS"
ctest --test-dir "$RT_DIR" -j "$JOBS" --output-on-failure | tail -n 3 || status=1

step "summary"
units=$(ctest --test-dir "$BUILD_DIR" -N -L 'runtime|compiler' | sed -n 's/^Total Tests: //p' || true)
lit_line=$("${LLVM_LIT:-/usr/lib/llvm-22/bin/lit}" --show-tests "$BUILD_DIR/test" 2>/dev/null |
  grep -c '^  Tessel ::' || true)
echo "unit tests (GoogleTest, ctest): ${units:-?}; lit tests: ${lit_line:-?} (ctest runs them as one test, \"lit\")"
echo "time: $((SECONDS - start)) s"
if [ "$status" -ne 0 ]; then
  echo "FAILED" >&2
  exit "$status"
fi
echo "all tests passed"
