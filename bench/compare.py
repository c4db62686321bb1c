"""Runs soma's benchmarks and their PyTorch references in one run and prints a Markdown table of
times and ratios (speedup = reference time / soma time; above 1 means soma is faster).

    /usr/bin/python3 bench/compare.py [--build build] [--threads 2] [--reps 11] [--filter REGEX]
                                     [--stat median|min] [--clock wall|cpu] [bench_name ...]

bench_name is a soma benchmark program in <build>/bench (default: bench_overhead, bench_elementwise),
paired with reference/torch_ops.py; when <build>/bench/reference/overhead_libtorch exists (built by
reference/build_libtorch.sh) the overhead rows also get libtorch C++ figures. Matrix products have
their own script, gemm_compare.sh."""
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
}


def soma_times(binary, threads, reps, pattern, stat, clock):
    env = dict(os.environ, OMP_NUM_THREADS=str(threads))
    cmd = [binary, "--benchmark_format=json", f"--benchmark_repetitions={reps}", f"--benchmark_filter={pattern}"]
    # min: short repetitions (2 ms), each a separate sample, like the reference's short loops.
    cmd += ["--benchmark_min_time=0.002"] if stat == "min" else ["--benchmark_report_aggregates_only=true"]
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    scale = {"ns": 1e-3, "us": 1.0, "ms": 1e3, "s": 1e6}
    times = {}
    for b in json.loads(out)["benchmarks"]:
        name = b["run_name"].removesuffix("/real_time")
        us = b["cpu_time" if clock == "cpu" else "real_time"] * scale[b["time_unit"]]
        if stat == "median" and b.get("aggregate_name") == "median":
            times[name] = us
        elif stat == "min" and b.get("run_type") == "iteration":
            times[name] = min(us, times.get(name, us))
    return times


def parse_results(out):
    return {m.group(1): float(m.group(2)) for m in re.finditer(r"RESULT name=(\S+) metric=(\S+) unit=us", out)}


def reference_times(script, threads, stat, clock):
    out = subprocess.run([sys.executable, os.path.join(HERE, "reference", script), str(threads), stat, clock],
                         check=True, capture_output=True, text=True).stdout
    return parse_results(out)


def libtorch_times(build, threads):
    binary = os.path.join(build, "bench", "reference", "overhead_libtorch")
    if not os.path.exists(binary):
        return {}
    return parse_results(subprocess.run([binary, str(threads)], check=True, capture_output=True, text=True).stdout)


def cell(ref, us):
    return (f"{ref:.3f}", f"{ref / us:.2f}x") if ref else ("n/a", "n/a")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=11)
    ap.add_argument("--filter", default=".", help="regex of soma benchmark names to run")
    ap.add_argument("--stat", choices=["median", "min"], default="median",
                    help="median of repetitions, or min (steadier on a busy machine)")
    ap.add_argument("--clock", choices=["wall", "cpu"], default="wall",
                    help="cpu: CPU time of the calling thread, which leaves out the time other programs "
                         "run; only meaningful with --threads 1")
    ap.add_argument("benches", nargs="*", default=["bench_overhead", "bench_elementwise"])
    args = ap.parse_args()
    if args.clock == "cpu" and args.threads != 1:
        ap.error("--clock cpu counts only the calling thread: use it with --threads 1")
    cache = {}
    libtorch = libtorch_times(args.build, args.threads)
    print(f"threads={args.threads}, {args.stat} of {args.reps} repetitions, {args.clock} clock\n")
    print("| workload | soma (us) | PyTorch (us) | speedup | libtorch C++ (us) | speedup |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name in args.benches:
        binary = os.path.join(args.build, "bench", name)
        if not os.path.exists(binary):
            print(f"<!-- {binary} not built -->")
            continue
        script = REFERENCES[name]
        if script not in cache:
            cache[script] = reference_times(script, args.threads, args.stat, args.clock)
        ref = cache[script]
        for run, us in soma_times(binary, args.threads, args.reps, args.filter, args.stat, args.clock).items():
            py, py_ratio = cell(ref.get(run), us)
            lt, lt_ratio = cell(libtorch.get(run), us)
            print(f"| {run} | {us:.3f} | {py} | {py_ratio} | {lt} | {lt_ratio} |")


if __name__ == "__main__":
    main()
