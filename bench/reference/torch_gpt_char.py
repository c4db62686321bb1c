"""The PyTorch side of bench_gpt_char.cpp: a self-contained copy of the character-GPT anchor.

Decoder-only transformer: n_layer=4, n_head=4, n_embd=128, block_size=128, pre-LayerNorm, GELU
(tanh), learned positions, causal self-attention written out (torch 1.13 has no
scaled_dot_product_attention), LM head tied to the token embedding, no dropout, nanoGPT init.
Batch 32, AdamW lr 3e-4 (torch defaults otherwise: betas 0.9/0.999, wd 0.01), 90/10 split of the
KJV Bible text (Debian bible-kjv + bible-kjv-text: `bible -f Gen1:1-Rev22:21`).

Prints RESULT lines: ms per training step (median over steps 10..60; a step = batch sampling +
forward + backward + optimizer step), tokens/s, validation loss (mean of 20 fixed val batches)
after the steps, the validation loss over every non-overlapping window of the validation split
(the same windows as bench_gpt_char.cpp's gpt_val_loss_full), and naive generation speed (200
new tokens, batch 1, the whole context cropped to 128 recomputed every token; median of 3 runs).
Usage: /usr/bin/python3 torch_gpt_char.py [steps (default 500)] [threads (default 2)] [generate (default 1; 0 skips it)]
                                          [seed (default 0)]
seed s initializes the weights with torch.manual_seed(1234 + s) and draws the training batches from
a generator seeded 1 + s (as bench_gpt_char.cpp does); the validation batches stay fixed.
"""
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

N_LAYER, N_HEAD, N_EMBD, BLOCK, BATCH = 4, 4, 128, 128, 32
MAX_STEPS = int(sys.argv[1]) if len(sys.argv) > 1 else 500
THREADS = int(sys.argv[2]) if len(sys.argv) > 2 else 2
RUN_GENERATION = int(sys.argv[3]) != 0 if len(sys.argv) > 3 else True
SEED = int(sys.argv[4]) if len(sys.argv) > 4 else 0
EVAL_BATCHES = 20
GEN_TOKENS = 200


def result(name, metric, unit, fmt="{:.6g}"):
    print(f"RESULT name={name} metric={fmt.format(metric)} unit={unit}", flush=True)


def load_kjv():
    """The KJV, one verse per line ('Ge1:1 In the beginning...'), as `bible -f` prints it."""
    with tempfile.TemporaryDirectory() as d:
        return subprocess.run(["bible", "-f", "Gen1:1-Rev22:21"], cwd=d, check=True, capture_output=True,
                              text=True, encoding="ascii").stdout


def char_dataset(text, split=0.9):
    chars = sorted(set(text))
    stoi = {c: i for i, c in enumerate(chars)}
    data = torch.tensor([stoi[c] for c in text], dtype=torch.long)
    n = int(split * len(data))
    return data[:n], data[n:], chars


def get_batch(data, batch, seq, gen):
    ix = torch.randint(len(data) - seq - 1, (batch,), generator=gen)
    x = torch.stack([data[i:i + seq] for i in ix.tolist()])
    y = torch.stack([data[i + 1:i + 1 + seq] for i in ix.tolist()])
    return x, y

class Block(nn.Module):
    def __init__(self, c, h):
        super().__init__()
        self.h = h
        self.ln1 = nn.LayerNorm(c)
        self.qkv = nn.Linear(c, 3 * c)
        self.proj = nn.Linear(c, c)
        self.ln2 = nn.LayerNorm(c)
        self.fc = nn.Linear(c, 4 * c)
        self.act = nn.GELU(approximate="tanh")
        self.fc2 = nn.Linear(4 * c, c)
        self.register_buffer("mask", torch.tril(torch.ones(BLOCK, BLOCK, dtype=torch.bool))
                             .view(1, 1, BLOCK, BLOCK), persistent=False)

    def attn(self, x):
        b, t, c = x.shape
        q, k, v = self.qkv(x).split(c, dim=2)
        q = q.view(b, t, self.h, c // self.h).transpose(1, 2)
        k = k.view(b, t, self.h, c // self.h).transpose(1, 2)
        v = v.view(b, t, self.h, c // self.h).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(c // self.h))
        att = att.masked_fill(~self.mask[:, :, :t, :t], float("-inf"))
        att = F.softmax(att, dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(b, t, c)
        return self.proj(y)

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return x + self.fc2(self.act(self.fc(self.ln2(x))))


class GPT(nn.Module):
    def __init__(self, vocab):
        super().__init__()
        self.wte = nn.Embedding(vocab, N_EMBD)
        self.wpe = nn.Embedding(BLOCK, N_EMBD)
        self.blocks = nn.ModuleList([Block(N_EMBD, N_HEAD) for _ in range(N_LAYER)])
        self.ln_f = nn.LayerNorm(N_EMBD)
        self.head = nn.Linear(N_EMBD, vocab, bias=False)
        self.head.weight = self.wte.weight  # weight tying
        self.apply(self._init)
        for blk in self.blocks:
            for lin in (blk.proj, blk.fc2):
                nn.init.normal_(lin.weight, 0.0, 0.02 / math.sqrt(2 * N_LAYER))

    @staticmethod
    def _init(m):
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, 0.0, 0.02)

    def forward(self, idx, targets=None):
        t = idx.shape[1]
        x = self.wte(idx) + self.wpe(torch.arange(t))
        for blk in self.blocks:
            x = blk(x)
        logits = self.head(self.ln_f(x))
        if targets is None:
            return logits
        return F.cross_entropy(logits.view(-1, logits.shape[-1]), targets.view(-1))


@torch.no_grad()
def val_loss(model, val):
    model.eval()
    g = torch.Generator().manual_seed(999)  # same val batches every time
    losses = [model(*get_batch(val, BATCH, BLOCK, g)).item() for _ in range(EVAL_BATCHES)]
    model.train()
    return sum(losses) / len(losses)


@torch.no_grad()
def full_val_loss(model, val):
    """Mean loss per token over val cut into consecutive windows (last partial one dropped)."""
    model.eval()
    windows = (len(val) - 1) // BLOCK
    total = 0.0
    for first in range(0, windows, BATCH):
        ix = range(first * BLOCK, min(windows, first + BATCH) * BLOCK, BLOCK)
        x = torch.stack([val[i:i + BLOCK] for i in ix])
        y = torch.stack([val[i + 1:i + 1 + BLOCK] for i in ix])
        total += model(x, y).item() * len(ix)
    model.train()
    return total / windows


@torch.no_grad()
def generate(model, start, n, gen):
    model.eval()
    idx = start
    for _ in range(n):
        logits = model(idx[:, -BLOCK:])[:, -1, :]
        nxt = torch.multinomial(F.softmax(logits, dim=-1), 1, generator=gen)
        idx = torch.cat([idx, nxt], dim=1)
    model.train()
    return idx


def main():
    torch.set_num_threads(THREADS)
    torch.manual_seed(1234 + SEED)
    print(f"# gpt_char: torch {torch.__version__}, threads={torch.get_num_threads()}, seed={SEED}", flush=True)
    train, val, chars = char_dataset(load_kjv())
    model = GPT(len(chars))
    nparam = sum(p.numel() for p in model.parameters())
    print(f"  vocab={len(chars)} train_tokens={len(train)} val_tokens={len(val)} params={nparam}", flush=True)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-4)
    g = torch.Generator().manual_seed(1 + SEED)
    step_times, t_train = [], 0.0
    for step in range(1, MAX_STEPS + 1):
        t0 = time.perf_counter()
        x, y = get_batch(train, BATCH, BLOCK, g)
        loss = model(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        dt = time.perf_counter() - t0
        step_times.append(dt)
        t_train += dt
        if step in (1, 10, 60) or step % 100 == 0:
            print(f"  step {step}: loss {loss.item():.4f}, {dt * 1e3:.1f} ms, "
                  f"train time so far {t_train:.1f} s", flush=True)
    timed = step_times[10:61] if len(step_times) > 11 else step_times[1:]
    ms = statistics.median(timed) * 1e3 if timed else 0.0  # 0 steps: generation only
    vl, vl_full = val_loss(model, val), full_val_loss(model, val)
    print(f"  trained {MAX_STEPS} steps in {t_train:.1f} s; median step over steps 10..60: {ms:.1f} ms; "
          f"val loss {vl:.4f} (all windows {vl_full:.4f})", flush=True)
    result("gpt_train_ms_per_step", ms, "ms", "{:.2f}")
    result("gpt_train_tokens_per_s", BATCH * BLOCK / (ms / 1e3) if ms else 0.0, "tokens/s", "{:.0f}")
    result("gpt_steps_trained", MAX_STEPS, "steps", "{:d}")
    result("gpt_val_loss", vl, "nats/char", "{:.4f}")
    result("gpt_val_loss_full", vl_full, "nats/char", "{:.4f}")
    if not RUN_GENERATION:
        return

    gen = torch.Generator().manual_seed(7)
    start = torch.tensor([[chars.index("\n")]], dtype=torch.long)
    generate(model, start, 10, gen)  # warm-up
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        out = generate(model, start, GEN_TOKENS, gen)
        times.append(time.perf_counter() - t0)
    sample = "".join(chars[i] for i in out[0].tolist())
    print(f"  sample: {sample[:120]!r}", flush=True)
    result("gpt_generate_b1_nocache_tokens_per_s", GEN_TOKENS / statistics.median(times), "tokens/s", "{:.1f}")


if __name__ == "__main__":
    main()
