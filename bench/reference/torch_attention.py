"""Causal self-attention, forward + backward, float32, in PyTorch 1.13 written out explicitly
(1.13 has no F.scaled_dot_product_attention): softmax(q kᵀ / sqrt(D) masked) v, the workload
of bench_attention.cpp at [B=32, H=4, T=128, D=32] and [B=4, H=8, T=1024, D=64]. Prints
    RESULT name=attention_torch_<shape> metric=<milliseconds per forward + backward> unit=ms
(the median over repetitions). Usage: python3 torch_attention.py [reps] [threads]"""
import math
import statistics
import sys
import time

import torch

torch.set_num_threads(int(sys.argv[2]) if len(sys.argv) > 2 else 2)
torch.manual_seed(0)
CASES = [("b32_h4_t128_d32", 32, 4, 128, 32), ("b4_h8_t1024_d64", 4, 8, 1024, 64)]


def attention(q, k, v, mask):
    s = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(q.shape[-1]))
    s = s.masked_fill(~mask, float("-inf"))
    return torch.softmax(s, -1) @ v


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    for name, B, H, T, D in CASES:
        q, k, v = (torch.randn(B, H, T, D, requires_grad=True) for _ in range(3))
        g = torch.randn(B, H, T, D)
        mask = torch.ones(T, T, dtype=torch.bool).tril()

        def step():
            torch.autograd.grad(attention(q, k, v, mask), (q, k, v), g)

        for _ in range(2):
            step()
        iters = 2 if T >= 1024 else 10
        ms = []
        for _ in range(reps):
            t0 = time.perf_counter()
            for _ in range(iters):
                step()
            ms.append((time.perf_counter() - t0) * 1e3 / iters)
        print(f"RESULT name=attention_torch_{name} metric={statistics.median(ms):.3f} unit=ms", flush=True)


if __name__ == "__main__":
    main()
