# Golden values for tests/nn/test_lora.cpp, from PyTorch: the LoRA formula of peft's
# lora.Linear, y = x W^T + b + (alpha / r) * x A^T B^T, and its merged weight W + (alpha / r) B A.
# Run: python3 tests/golden/gen_lora.py, then paste the block.
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)


def lit(t):
    return "{" + ", ".join(repr(float(v)) for v in t.detach().reshape(-1).tolist()) + "}"


def emit(name, t):
    print(f"const std::vector<double> {name} = {lit(t)};  // shape {list(t.shape)}")


# Closed-form inputs, built the same way in the C++ test: xs(n)[i] = 3 sin(1.7 i + 0.3).
def xs(*shape):
    n = 1
    for s in shape:
        n *= s
    return (3 * torch.sin(1.7 * torch.arange(n, dtype=torch.float64) + 0.3)).reshape(shape)


x = xs(3, 5)
W = xs(4, 5) / 3
b = torch.tensor([0.5, -0.5, 0.25, 0.0])
A = torch.cos(torch.arange(10.0)).reshape(2, 5)  # r = 2
B = torch.sin(torch.arange(8.0)).reshape(4, 2) * 0.5
alpha, r = 6.0, 2
print("// ---- x = xs(3, 5), W = xs(4, 5) / 3, b {0.5, -0.5, 0.25, 0}, A = cos(arange(10)) [2, 5],")
print("//      B = 0.5 sin(arange(8)) [4, 2], rank 2, alpha 6 ----")
emit("kLoraOut", F.linear(x, W, b) + alpha / r * F.linear(F.linear(x, A), B))
emit("kLoraMerged", W + alpha / r * B @ A)
