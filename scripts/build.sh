#!/usr/bin/env bash
# Configures and builds soma (Release, vectorized for this machine) into build/.
#   scripts/build.sh [-Dcmake-option ...] [target ...]
# With no target it builds everything (library, program, examples, tests, benchmarks); the main
# job builds only `soma_cli` (the library and the program), which is much quicker on a new machine.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake_args=() targets=()
for arg in "$@"; do
  if [[ "$arg" == -* ]]; then cmake_args+=("$arg"); else targets+=(--target "$arg"); fi
done
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "${cmake_args[@]}" >/dev/null
cmake --build build -j "$(nproc)" "${targets[@]}"
