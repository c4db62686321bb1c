#!/usr/bin/env bash
# Builds soma and runs the whole test suite, then the core, autograd, ops, data, io, metrics and
# ml tests again under AddressSanitizer + UndefinedBehaviorSanitizer (an -O1 build, quick to compile).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
ctest --test-dir build --output-on-failure -j "$(nproc)"

cmake -S . -B build-sanitize -G Ninja -DCMAKE_BUILD_TYPE=Release -DSOMA_SANITIZE=ON -DSOMA_BUILD_BENCH=OFF >/dev/null
cmake --build build-sanitize -j "$(nproc)" --target test_core test_autograd test_ops test_data test_io test_metrics test_ml
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-sanitize --output-on-failure -j "$(nproc)" -L 'core|autograd|ops|io|metrics|data|ml'
