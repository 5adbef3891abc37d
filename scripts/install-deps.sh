#!/usr/bin/env bash
# Installs, only when missing, every Debian package that Tessel's build and tests need.
# Idempotent: a second run installs nothing and takes a second.
set -euo pipefail

packages=(
  # compiler: LLVM/MLIR 22 (mlir-22-tools is needed by find_package(MLIR); lit/FileCheck come
  # with llvm-22-tools)
  llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools
  # fuzzing and sanitizers for the bytecode loader
  clang-22 libclang-rt-22-dev
  # build
  cmake ninja-build ccache python3
  # integration tests compute their references with numpy
  python3-numpy
  # libraries named in DESIGN.md
  libfmt-dev libabsl-dev libgtest-dev libgmock-dev
  libflatbuffers-dev flatbuffers-compiler libsqlite3-dev
  libprotobuf-dev protobuf-compiler libonnx-dev libonnx-testdata
  # lit needs these at run time (not, FileCheck come from llvm-22-tools)
  zlib1g-dev libzstd-dev libedit-dev libxml2-dev libcurl4-openssl-dev
)

# cuobjdump and nvdisasm (cuobjdump runs it), to read the SASS ptxas makes of emitted
# kernels (scripts/sass-loop-stats.py, test/Kernels/lowbit-gemm-sass.test): the toolkit
# here has neither; NVIDIA ships them as PyPI wheels. Without them (no PyPI) those tests
# are skipped, nothing else changes.
install_cuobjdump() {
  local tools="${TESSEL_TOOLS_DIR:-/opt/tessel-tools}" tmp py
  [ -x "$tools/bin/cuobjdump" ] && [ -x "$tools/bin/nvdisasm" ] && return 0
  py=/usr/bin/python3
  "$py" -m pip --version >/dev/null 2>&1 || py=python3
  tmp=$(mktemp -d)
  local ok=1 w
  "$py" -m pip download --no-deps -q -d "$tmp" "nvidia-cuda-cuobjdump>=13,<14" \
    "nvidia-cuda-nvdisasm>=13,<14" >/dev/null 2>&1 || ok=0
  if [ "$ok" = 1 ]; then
    for w in "$tmp"/*.whl; do "$py" -m zipfile -e "$w" "$tmp/x" || ok=0; done
  fi
  if [ "$ok" = 1 ] && mkdir -p "$tools/bin" &&
    install -m 755 "$tmp"/x/nvidia/cu*/bin/cuobjdump "$tmp"/x/nvidia/cu*/bin/nvdisasm "$tools/bin/"; then
    echo "install-deps: installed cuobjdump and nvdisasm in $tools/bin" >&2
  else
    echo "install-deps: warning: could not fetch cuobjdump/nvdisasm (PyPI); SASS tests will be skipped" >&2
  fi
  rm -rf "$tmp"
}
install_cuobjdump

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
