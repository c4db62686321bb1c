# Golden values for tests/models/test_gpt_training.cpp: a few AdamW steps of a tiny GPT, so that
# soma's training recipe (tied head, AdamW with decoupled decay on every parameter, as
# torch.optim.AdamW(model.parameters())) is checked against PyTorch's, not only one gradient.
# Run: python3 tests/golden/gen_gpt_training.py, then paste the printed block into the test.
#
# The model is gen_gpt.py's tiny GPT (the layout of bench/reference/torch_gpt_char.py: pre-LN
# blocks, packed qkv, GELU(tanh), learned positions, LM head tied to wte), with closed-form weights:
# parameter k (in named_parameters order) element i = 0.2 sin(0.7 i + 1.3 k + 0.1).
# Step s (from 0) trains on tokens x[b, t] = (7 b + 3 t + t^2 + 5 s) mod V, targets x shifted
# by one position (the same formula at t + 1).
# Printed: the loss of every step in float64 and float32, and after the last step (float64) the
# tied weight, ln_f and the last block's fc2 bias. Parameters whose gradient is zero in exact
# arithmetic (the key bias: softmax ignores a constant added to every score) are not compared:
# Adam turns their rounding noise into full-size steps.
import torch
import torch.nn.functional as F

from gen_gpt import GPT  # the same tiny GPT

V, BLOCK, L, H, C = 11, 16, 2, 2, 16
B, STEPS, LR, WD = 4, 6, 1e-2, 0.1


def tokens(step, shift):
    b = torch.arange(B).view(B, 1)
    t = torch.arange(BLOCK).view(1, BLOCK) + shift
    return (7 * b + 3 * t + t * t + 5 * step) % V


def train(dtype):
    torch.set_default_dtype(dtype)
    model = GPT(V, BLOCK, L, H, C)
    with torch.no_grad():
        for k, (_, p) in enumerate(model.named_parameters()):
            i = torch.arange(p.numel(), dtype=dtype)
            p.copy_((0.2 * torch.sin(0.7 * i + 1.3 * k + 0.1)).reshape(p.shape))
    opt = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=WD)
    losses = []
    for s in range(STEPS):
        loss = F.cross_entropy(model(tokens(s, 0)).reshape(-1, V), tokens(s, 1).reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return model, losses


def lit(values, digits):
    return "{" + ", ".join(f"{v:.{digits}g}" for v in values) + "}"


def emit(name, t):
    print(f"const std::vector<double> {name} = {lit(t.detach().reshape(-1).tolist(), 12)};  // shape {list(t.shape)}")


m64, losses64 = train(torch.float64)
_, losses32 = train(torch.float32)
print("// parameters:", ", ".join(n for n, _ in m64.named_parameters()))
print(f"const std::vector<double> kLosses64 = {lit(losses64, 12)};")
print(f"const std::vector<double> kLosses32 = {lit(losses32, 9)};")
emit("kWte", m64.wte.weight)
emit("kLnFWeight", m64.ln_f.weight)
emit("kLnFBias", m64.ln_f.bias)
emit("kFc2Bias1", m64.blocks[1].fc2.bias)
