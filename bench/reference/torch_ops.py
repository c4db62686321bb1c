"""The workloads of bench_overhead.cpp and bench_elementwise.cpp in PyTorch, timed the same way
(median over repetitions of the mean time of a loop; the minimum with a second argument `min`).
Prints one line per workload:
    RESULT name=<soma benchmark name> metric=<microseconds per call> unit=us
Usage: torch_ops.py [threads] [median|min] [wall|cpu]  (cpu: CPU time of the calling thread)
Run with the Python that has torch (Debian: /usr/bin/python3, package python3-torch)."""
import statistics
import sys
import time

import torch


STAT = statistics.median  # or min
CLOCK = time.perf_counter  # or time.thread_time (argv[3] == "cpu")


def time_us(fn, reps, inner):
    times = []
    for _ in range(reps):
        t0 = CLOCK()
        for _ in range(inner):
            fn()
        times.append((CLOCK() - t0) / inner)
    return STAT(times) * 1e6


def report(name, us):
    print(f"RESULT name={name} metric={us:.4f} unit=us", flush=True)


def overhead(reps):
    a, b = torch.randn(1), torch.randn(1)
    report("add_1elem", time_us(lambda: a + b, reps, 10000))
    lin = torch.nn.Linear(1, 1)
    x = torch.randn(1, 1)
    report("linear1_fwd_bwd", time_us(lambda: lin(x).backward(), reps, 2000))
    with torch.no_grad():
        report("linear1_fwd_nograd", time_us(lambda: lin(x), reps, 5000))


def throughput(reps):
    for n in (1 << 20, 1 << 22, 1 << 24):
        a, b = torch.randn(n), torch.randn(n)
        inner = max(1, (1 << 24) // n)
        report(f"memcpy_bytes/{n}", time_us(lambda: b.copy_(a), reps, inner))
        report(f"binary/add/{n}", time_us(lambda: a + b, reps, inner))
        report(f"binary/mul/{n}", time_us(lambda: a * b, reps, inner))
        for name, fn in (("relu", torch.relu), ("exp", torch.exp), ("tanh", torch.tanh), ("sigmoid", torch.sigmoid)):
            report(f"unary/{name}/{n}", time_us(lambda: fn(a), reps, inner))
        report(f"reduction/sum/{n}", time_us(lambda: a.sum(), reps, inner))
        report(f"reduction/max/{n}", time_us(lambda: a.max(), reps, inner))
        report(f"reduction/mean/{n}", time_us(lambda: a.mean(), reps, inner))
        report(f"reduction/argmax/{n}", time_us(lambda: a.argmax(), reps, inner))
    m = torch.randn(4096, 4096)
    report("rowwise_2d/sum_dim0/4096", time_us(lambda: m.sum(0), reps, 1))
    report("rowwise_2d/sum_dim1/4096", time_us(lambda: m.sum(1), reps, 1))
    report("rowwise_2d/max_dim1/4096", time_us(lambda: m.max(1), reps, 1))
    report("rowwise_2d/logsumexp_dim1/4096", time_us(lambda: m.logsumexp(1), reps, 1))
    report("rowwise_2d/var_dim1/4096", time_us(lambda: m.var(1), reps, 1))
    report("rowwise_2d/softmax_dim1/4096", time_us(lambda: torch.softmax(m, 1), reps, 1))


if __name__ == "__main__":
    torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
    if len(sys.argv) > 2 and sys.argv[2] == "min":
        STAT = min
    if len(sys.argv) > 3 and sys.argv[3] == "cpu":
        CLOCK = time.thread_time
    torch.manual_seed(0)
    print(f"# torch {torch.__version__}, threads={torch.get_num_threads()}", flush=True)
    overhead(21)
    throughput(11)
