"""Runs a soma training benchmark and its PyTorch reference alternately, several times, and prints
the median of each side and the median of the per-pair ratios (speedup = soma rate / PyTorch rate,
or PyTorch time / soma time; above 1 means soma is faster).

    /usr/bin/python3 bench/pairs.py [--build build] [--rounds 5] {mlp,lenet,lstm,gpt,gpt_generate} ...

Alternating the two sides, rather than running one side's repetitions back to back, spreads slow
periods of a noisy machine over both. The references load OpenBLAS (openmp) like the anchors; mlp_libtorch needs
reference/build_libtorch.sh first."""
import argparse
import os
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OPENBLAS = "/usr/lib/x86_64-linux-gnu/openblas-openmp"

# workload: (soma program and arguments, reference script and arguments, {metric: higher_is_better});
# "a=b" compares soma's metric a with the reference's metric b.
WORKLOADS = {
    "mlp": (["bench_mlp", "2", "5"], ["torch_mlp.py", "2", "5"],
            {"mlp256_adam_b128": True, "mlp16_sgd_b32": True}),
    "mlp_libtorch": (["bench_mlp", "2", "5"], ["libtorch_mlp", "2", "5"],
                     {"mlp256_adam_b128": True, "mlp16_sgd_b32": True}),
    "lenet": (["bench_lenet", "40", "5"], ["torch_lenet.py", "40", "5"], {"lenet_train": True}),
    "lstm": (["bench_lstm_char", "2", "61"], ["torch_lstm_char.py", "2", "61"], {"lstm_train_ms_per_step": False}),
    "gpt": (["bench_gpt_char", "61", "2", "0"], ["torch_gpt_char.py", "61", "2", "0"],
            {"gpt_train_ms_per_step": False}),
    "gpt_generate": (["bench_gpt_char", "0", "2", "1"], ["torch_gpt_char.py", "0", "2", "1"],
                     {"gpt_generate_b1_cache_tokens_per_s=gpt_generate_b1_nocache_tokens_per_s": True}),
}


def results(cmd, env):
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    return {m.group(1): float(m.group(2)) for m in re.finditer(r"RESULT name=(\S+) metric=(\S+)", out)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", default="build")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("workloads", nargs="+", choices=sorted(WORKLOADS))
    args = parser.parse_args()
    env = dict(os.environ, LD_LIBRARY_PATH=OPENBLAS)
    print("| metric | soma (median) | reference (median) | speedup (median of pairs) | pair speedups |")
    print("| --- | ---: | ---: | ---: | --- |")
    for name in args.workloads:
        soma_cmd, ref_cmd, metrics = WORKLOADS[name]
        soma_cmd = [os.path.join(args.build, "bench", soma_cmd[0])] + soma_cmd[1:]
        if ref_cmd[0].endswith(".py"):
            ref_cmd = [sys.executable, os.path.join(HERE, "reference", ref_cmd[0])] + ref_cmd[1:]
        else:  # a libtorch C++ program built by reference/build_libtorch.sh
            ref_cmd = [os.path.join(args.build, "bench", "reference", ref_cmd[0])] + ref_cmd[1:]
        samples = {m: ([], []) for m in metrics}
        for _ in range(args.rounds):
            for side, cmd in enumerate((soma_cmd, ref_cmd)):
                got = results(cmd, env)
                for m in metrics:
                    samples[m][side].append(got[m.split("=")[side] if "=" in m else m])
        for m, higher in metrics.items():
            soma, ref = samples[m]
            ratios = [(s / r) if higher else (r / s) for s, r in zip(soma, ref)]
            print(f"| {m} | {statistics.median(soma):,.1f} | {statistics.median(ref):,.1f} | "
                  f"{statistics.median(ratios):.2f}x | {', '.join(f'{x:.2f}' for x in ratios)} |", flush=True)


if __name__ == "__main__":
    main()
