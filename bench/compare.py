"""Runs soma's benchmarks and their PyTorch references in one run and prints a Markdown table of
times and ratios (speedup = reference time / soma time; above 1 means soma is faster).

    /usr/bin/python3 bench/compare.py [--build build] [--threads 2] [--reps 11] [bench_name ...]

bench_name is a soma benchmark program in <build>/bench (default: bench_overhead, bench_elementwise,
bench_gemm); each is paired with reference/torch_<what>.py."""
import argparse
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REFERENCES = {
    "bench_overhead": "torch_ops.py",
    "bench_elementwise": "torch_ops.py",
    "bench_gemm": "torch_gemm.py",
}


def soma_times(binary, threads, reps):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    out = subprocess.run([binary, "--benchmark_format=json", f"--benchmark_repetitions={reps}",
                          "--benchmark_report_aggregates_only=true"],
                         env=env, check=True, capture_output=True, text=True).stdout
    scale = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}
    times = {}
    for b in json.loads(out)["benchmarks"]:
        if b.get("aggregate_name") == "median":
            times[b["run_name"]] = b["real_time"] * scale[b["time_unit"]]
    return times


def reference_times(script, threads):
    out = subprocess.run([sys.executable, os.path.join(HERE, "reference", script), str(threads)],
                         check=True, capture_output=True, text=True).stdout
    return {m.group(1): float(m.group(2)) for m in re.finditer(r"RESULT name=(\S+) metric=(\S+) unit=us", out)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=11)
    ap.add_argument("benches", nargs="*", default=["bench_overhead", "bench_elementwise", "bench_gemm"])
    args = ap.parse_args()
    cache = {}
    print(f"threads={args.threads}\n")
    print("| workload | soma (us) | PyTorch (us) | speedup |")
    print("| --- | ---: | ---: | ---: |")
    for name in args.benches:
        binary = os.path.join(args.build, "bench", name)
        if not os.path.exists(binary):
            print(f"<!-- {binary} not built -->")
            continue
        script = REFERENCES[name]
        if script not in cache:
            cache[script] = reference_times(script, args.threads)
        ref = cache[script]
        for run, us in soma_times(binary, args.threads, args.reps).items():
            r = ref.get(run)
            ratio = f"{r / us:.2f}x" if r else "n/a"
            print(f"| {run} | {us:.3f} | {r:.3f} | {ratio} |" if r else f"| {run} | {us:.3f} | n/a | n/a |")


if __name__ == "__main__":
    main()
