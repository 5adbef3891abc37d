# Shared set-up of scripts/test.sh and scripts/demo.sh: install what is missing, configure
# with Ninja and ccache, build. Sourced, not run.
set -euo pipefail

TESSEL_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${TESSEL_BUILD_DIR:-$TESSEL_ROOT/build}"
JOBS="${TESSEL_JOBS:-$(nproc)}"

step() { printf '\n== %s\n' "$*" >&2; }

tessel_setup() {
  step "dependencies"
  "$TESSEL_ROOT/scripts/install-deps.sh"

  step "configure ($BUILD_DIR)"
  if [ ! -f "$BUILD_DIR/build.ninja" ]; then
    cmake -S "$TESSEL_ROOT" -B "$BUILD_DIR" -G Ninja \
      -DCMAKE_BUILD_TYPE=Release \
      -DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
      -DMLIR_DIR=/usr/lib/llvm-22/lib/cmake/mlir \
      -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit >/dev/null
  fi

  step "build"
  cmake --build "$BUILD_DIR" -j "$JOBS"
}
