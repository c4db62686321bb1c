#!/usr/bin/env bash
# Square float32 matmul GFLOP/s of soma (bench_gemm) beside torch.mm, 1 and 2 threads, with
# the ratio soma / torch (>= 1: soma is at least as fast). Both use medians of repeated runs.
# Usage: bench/gemm_compare.sh [build dir]   (needs a build with -DSOMA_BUILD_BENCH=ON, and torch)
set -euo pipefail
build=${1:-build}
python=${PYTHON:-python3}
json=$(mktemp)
trap 'rm -f "$json"' EXIT
"$build/bench/bench_gemm" --benchmark_filter='BM_matmul_f32' --benchmark_repetitions=5 \
  --benchmark_report_aggregates_only=true --benchmark_format=json >"$json" 2>/dev/null
"$python" - "$json" <<'PY'
import json, sys, time
import torch

soma = {}
for b in json.load(open(sys.argv[1]))["benchmarks"]:
    if b.get("aggregate_name") == "median":
        args = dict(kv.split(":") for kv in b["run_name"].split("/") if ":" in kv)
        soma[(int(args["n"]), int(args["threads"]))] = b["GFLOP/s"] / 1e9

def torch_gflops(n, threads, reps=7):
    torch.set_num_threads(threads)
    a, b = torch.randn(n, n), torch.randn(n, n)
    torch.mm(a, b)
    inner = max(1, int(2e8 / (2 * n ** 3)))  # ~0.1 s of work per sample at ~2 GFLOP/s
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        for _ in range(inner):
            torch.mm(a, b)
        times.append((time.perf_counter() - t) / inner)
    times.sort()
    return 2 * n ** 3 / times[len(times) // 2] / 1e9

print(f"{'n':>6} {'threads':>7} {'soma GFLOP/s':>13} {'torch GFLOP/s':>14} {'soma/torch':>10}")
for (n, threads), g in sorted(soma.items(), key=lambda kv: (kv[0][1], kv[0][0])):
    t = torch_gflops(n, threads)
    print(f"{n:>6} {threads:>7} {g:>13.1f} {t:>14.1f} {g / t:>10.2f}")
PY
