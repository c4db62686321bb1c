"""PyTorch reference for bench_lstm_char.cpp: character-level LSTM language model on the KJV Bible.

Embedding 64 -> nn.LSTM(64, 256, 1 layer, batch_first) -> Linear(256, vocab), sequence length
100, batch 32, Adam lr 2e-3, random windows of the first 90% of the text, hidden state reset
every batch. Reports the median step time over steps 10..60 (a step = batch sampling + forward +
backward + optimizer step), tokens/s = 32 * 100 / median step, and the validation loss (mean
over 20 fixed batches of the last 10%) after the training steps, as RESULT lines.

    /usr/bin/python3 bench/reference/torch_lstm_char.py [threads (default 2)] [steps (default 300)]

The text comes from the Debian packages bible-kjv and bible-kjv-text (`bible -f`).
"""
import statistics
import subprocess
import sys
import tempfile
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

EMB, HID, SEQ, BATCH, EVAL_BATCHES = 64, 256, 100, 32, 20


def load_kjv():
    # `bible` may write a history file where it runs: run it from a scratch directory.
    with tempfile.TemporaryDirectory() as d:
        return subprocess.run(["bible", "-f", "Gen1:1-Rev22:21"], cwd=d, check=True, capture_output=True,
                              text=True, encoding="ascii").stdout


def char_dataset(text, split=0.9):
    chars = sorted(set(text))
    stoi = {c: i for i, c in enumerate(chars)}
    data = torch.tensor([stoi[c] for c in text], dtype=torch.long)
    n = int(split * len(data))
    return data[:n], data[n:], chars


def get_batch(data, gen):
    ix = torch.randint(len(data) - SEQ - 1, (BATCH,), generator=gen)
    x = torch.stack([data[i:i + SEQ] for i in ix.tolist()])
    y = torch.stack([data[i + 1:i + 1 + SEQ] for i in ix.tolist()])
    return x, y


class CharLSTM(nn.Module):
    def __init__(self, vocab):
        super().__init__()
        self.emb = nn.Embedding(vocab, EMB)
        self.lstm = nn.LSTM(EMB, HID, num_layers=1, batch_first=True)
        self.head = nn.Linear(HID, vocab)

    def forward(self, x, y):
        h, _ = self.lstm(self.emb(x))
        logits = self.head(h)
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))


@torch.no_grad()
def val_loss(model, val):
    model.eval()
    g = torch.Generator().manual_seed(999)
    losses = [model(*get_batch(val, g)).item() for _ in range(EVAL_BATCHES)]
    model.train()
    return sum(losses) / len(losses)


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    steps = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    torch.set_num_threads(threads)
    train, val, chars = char_dataset(load_kjv())
    torch.manual_seed(1234)
    model = CharLSTM(len(chars))
    print(f"# lstm_char: torch {torch.__version__}, threads={threads}, vocab={len(chars)}, "
          f"params={sum(p.numel() for p in model.parameters())}", flush=True)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    g = torch.Generator().manual_seed(1)
    times = []
    for step in range(1, steps + 1):
        t0 = time.perf_counter()
        x, y = get_batch(train, g)
        loss = model(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        times.append(time.perf_counter() - t0)
        if step in (1, 10, 60) or step % 100 == 0:
            print(f"  step {step}: loss {loss.item():.4f}, {times[-1] * 1e3:.1f} ms", flush=True)
    timed = times[10:61] if len(times) > 11 else times[1:]
    ms = statistics.median(timed) * 1e3
    vl = val_loss(model, val)
    print(f"RESULT name=lstm_train_ms_per_step metric={ms:.2f} unit=ms")
    print(f"RESULT name=lstm_train_tokens_per_s metric={BATCH * SEQ / (ms / 1e3):.0f} unit=tokens/s")
    print(f"RESULT name=lstm_val_loss_after_{steps}_steps metric={vl:.4f} unit=nats/char")


if __name__ == "__main__":
    main()
