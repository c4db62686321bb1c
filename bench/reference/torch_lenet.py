"""LeNet-5 training throughput in PyTorch: the workload of bench_lenet.cpp (random
[128, 1, 28, 28] batches, conv 6@5x5 pad 2 - relu - maxpool 2 - conv 16@5x5 - relu - maxpool 2 -
120 - 84 - 10, cross-entropy, Adam lr 1e-3, float32, 2 threads). Prints
    RESULT name=lenet_train metric=<samples per second> unit=samples/s
(the median over repetitions). Usage: python3 torch_lenet.py [steps] [reps] [threads]"""
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(int(sys.argv[3]) if len(sys.argv) > 3 else 2)
torch.manual_seed(0)
BATCH = 128

model = nn.Sequential(
    nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
    nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
batches = [(torch.randn(BATCH, 1, 28, 28), torch.randint(0, 10, (BATCH,))) for _ in range(8)]


def step(i):
    x, y = batches[i % len(batches)]
    opt.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    return loss


def main():
    steps = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    reps = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    for i in range(5):
        step(i)
    rates = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for i in range(steps):
            step(i)
        rates.append(steps * BATCH / (time.perf_counter() - t0))
    print(f"RESULT name=lenet_train metric={statistics.median(rates):.0f} unit=samples/s", flush=True)


if __name__ == "__main__":
    main()
