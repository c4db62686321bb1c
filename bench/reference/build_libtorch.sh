#!/usr/bin/env bash
# Builds the libtorch C++ reference programs into <build>/bench/reference (Debian's libtorch-dev:
# headers in /usr/include and /usr/include/torch/csrc/api/include, C++11 ABI).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-build}/bench/reference"
mkdir -p "$out"
g++ -O2 -std=c++17 -D_GLIBCXX_USE_CXX11_ABI=1 -I/usr/include/torch/csrc/api/include \
  "$here/overhead_libtorch.cpp" -o "$out/overhead_libtorch" -ltorch -ltorch_cpu -lc10 -pthread
echo "built $out/overhead_libtorch"
g++ -O2 -std=c++17 -D_GLIBCXX_USE_CXX11_ABI=1 -I/usr/include/torch/csrc/api/include \
  "$here/libtorch_mlp.cpp" -o "$out/libtorch_mlp" -ltorch -ltorch_cpu -lc10 -pthread
echo "built $out/libtorch_mlp"
