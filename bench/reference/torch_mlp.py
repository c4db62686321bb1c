"""The workloads of bench_mlp.cpp in PyTorch: training throughput of
    mlp256_adam_b128: 784-256-128-10 (ReLU), Adam lr 1e-3, batch 128
    mlp16_sgd_b32:    784-16-16-10 (sigmoid), SGD lr 0.1, batch 32
on random data shaped like Fashion-MNIST, median samples/s over timed segments. Prints
    RESULT name=<workload> metric=<samples/s> unit=samples/s
Usage: python3 torch_mlp.py [threads (default 2)] [segments (default 7)]"""
import statistics
import sys
import time

import torch
import torch.nn.functional as F

SAMPLES, FEATURES, CLASSES = 60000, 784, 10


def mlp(sizes, act):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
        if i + 2 < len(sizes):
            layers.append(act())
    return torch.nn.Sequential(*layers)


def run(name, model, opt, batch, batches_per_segment, segments, x, y):
    pos = [0]

    def train_batch():
        if pos[0] + batch > SAMPLES:
            pos[0] = 0
        xb, yb = x[pos[0]:pos[0] + batch], y[pos[0]:pos[0] + batch]
        pos[0] += batch
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    for _ in range(20):
        train_batch()
    rates = []
    for _ in range(segments):
        t0 = time.perf_counter()
        for _ in range(batches_per_segment):
            train_batch()
        rates.append(batches_per_segment * batch / (time.perf_counter() - t0))
    print(f"RESULT name={name} metric={statistics.median(rates):.0f} unit=samples/s", flush=True)


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    segments = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    x = torch.randn(SAMPLES, FEATURES)
    y = torch.randint(0, CLASSES, (SAMPLES,))
    big = mlp([FEATURES, 256, 128, CLASSES], torch.nn.ReLU)
    run("mlp256_adam_b128", big, torch.optim.Adam(big.parameters(), lr=1e-3), 128, 100, segments, x, y)
    small = mlp([FEATURES, 16, 16, CLASSES], torch.nn.Sigmoid)
    run("mlp16_sgd_b32", small, torch.optim.SGD(small.parameters(), lr=0.1), 32, 500, segments, x, y)


if __name__ == "__main__":
    main()
