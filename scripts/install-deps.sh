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
