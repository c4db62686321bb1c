# Golden values for tests/models/test_gpt.cpp, from PyTorch (float64).
# Run: python3 tests/golden/gen_gpt.py, then paste the printed blocks into the test.
#
# 1. A tiny GPT (the layout of bench/reference/torch_gpt_char.py: pre-LN blocks with packed qkv,
#    GELU(tanh), learned positions, LM head tied to wte) with closed-form weights:
#    parameter k (in named_parameters order) element i = 0.2 sin(0.7 i + 1.3 k + 0.1).
#    Prints its logits, loss and the gradients of the tied weight and of blocks.0.qkv.weight.
# 2. Hugging Face's logits processors (repetition penalty, temperature, top-k, top-p; their code
#    re-stated below, transformers is not installed) on one row of scores.
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

V, BLOCK, L, H, C = 7, 6, 2, 2, 8


class Block(nn.Module):
    def __init__(self, C, H):
        super().__init__()
        self.H = H
        self.ln1 = nn.LayerNorm(C)
        self.qkv = nn.Linear(C, 3 * C)
        self.proj = nn.Linear(C, C)
        self.ln2 = nn.LayerNorm(C)
        self.fc = nn.Linear(C, 4 * C)
        self.fc2 = nn.Linear(4 * C, C)

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(c, dim=2)
        q, k, v = (z.view(b, t, self.H, c // self.H).transpose(1, 2) for z in (q, k, v))
        att = (q @ k.transpose(-2, -1)) / math.sqrt(c // self.H)
        att = att.masked_fill(~torch.tril(torch.ones(t, t, dtype=torch.bool)), float("-inf"))
        y = (F.softmax(att, dim=-1) @ v).transpose(1, 2).reshape(b, t, c)
        x = x + self.proj(y)
        return x + self.fc2(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))


class GPT(nn.Module):
    """Vocabulary V, context BLOCK, L blocks of H heads, width C."""

    def __init__(self, V, BLOCK, L, H, C):
        super().__init__()
        self.wte = nn.Embedding(V, C)
        self.wpe = nn.Embedding(BLOCK, C)
        self.blocks = nn.ModuleList([Block(C, H) for _ in range(L)])
        self.ln_f = nn.LayerNorm(C)
        self.head = nn.Linear(C, V, bias=False)
        self.head.weight = self.wte.weight

    def forward(self, idx):
        x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1]))
        for blk in self.blocks:
            x = blk(x)
        return self.head(self.ln_f(x))


def lit(t):
    return "{" + ", ".join("-kInf" if v == -math.inf else f"{v:.10g}" for v in t.detach().reshape(-1).tolist()) + "}"


def emit(name, t):
    print(f"const std::vector<double> {name} = {lit(t)};  // shape {list(t.shape)}")


# ---- Hugging Face logits processors (transformers/generation/logits_process.py) ----
def repetition_penalty(input_ids, scores, penalty):
    score = torch.gather(scores, 1, input_ids)
    score = torch.where(score < 0, score * penalty, score / penalty)
    return scores.scatter(1, input_ids, score)


def top_k(scores, k):
    k = min(k, scores.size(-1))
    remove = scores < torch.topk(scores, k)[0][..., -1, None]
    return scores.masked_fill(remove, -float("inf"))


def top_p(scores, p):
    sorted_logits, sorted_indices = torch.sort(scores, descending=False)
    cumulative = sorted_logits.softmax(dim=-1).cumsum(dim=-1)
    remove_sorted = cumulative <= (1 - p)
    remove_sorted[..., -1:] = 0
    remove = remove_sorted.scatter(1, sorted_indices, remove_sorted)
    return scores.masked_fill(remove, -float("inf"))


def main():
    torch.set_default_dtype(torch.float64)
    model = GPT(V, BLOCK, L, H, C)
    with torch.no_grad():
        for k, (name, p) in enumerate(model.named_parameters()):
            i = torch.arange(p.numel(), dtype=torch.float64)
            p.copy_((0.2 * torch.sin(0.7 * i + 1.3 * k + 0.1)).reshape(p.shape))
    print("// parameters:", ", ".join(n for n, _ in model.named_parameters()))
    tokens = torch.tensor([[1, 3, 5, 0, 6, 2], [4, 4, 1, 0, 2, 3]])
    targets = torch.tensor([[3, 5, 0, 6, 2, 1], [4, 1, 0, 2, 3, 6]])
    logits = model(tokens)
    loss = F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1))
    loss.backward()
    emit("kLogits", logits)
    print(f"const double kLoss = {loss.item():.12g};")
    emit("kGradWte", model.wte.weight.grad)
    emit("kGradQkv0", model.blocks[0].qkv.weight.grad)


    scores = torch.tensor([[2.0, -1.0, 0.5, 3.0, -0.5, 1.5, 0.25, -2.0]])
    seq = torch.tensor([[0, 1, 3, 3, 7]])
    s = repetition_penalty(seq, scores, 1.3)
    emit("kPenalized", s)
    s = s / 0.7
    emit("kTemperature", s)
    emit("kTopK4", top_k(s, 4))
    emit("kTopK4TopP", top_p(top_k(s, 4), 0.8))
    emit("kTopP", top_p(s, 0.6))


if __name__ == "__main__":
    main()
