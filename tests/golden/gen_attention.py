# Golden values for tests/nn/test_attention.cpp: scaled dot-product attention computed
# explicitly in PyTorch (1.13 has no F.scaled_dot_product_attention), outputs and gradients.
# Run: python3 tests/golden/gen_attention.py, then paste the printed block into the test.
import math

import torch

torch.set_default_dtype(torch.float64)


def emit(name, t):
    vals = ", ".join(repr(float(v)) for v in t.detach().reshape(-1).tolist())
    print(f"const std::vector<double> {name} = {{{vals}}};  // shape {list(t.shape)}")


# Closed-form inputs the C++ test rebuilds: wave(shape, a, b)[i] = sin(a i + b) (row-major i).
def wave(shape, a, b):
    n = math.prod(shape)
    return torch.sin(a * torch.arange(n, dtype=torch.float64) + b).reshape(shape)


# causal: "upper_left" is PyTorch's is_causal (torch.ones(Tq, Tk).tril(0)); "lower_right" is
# aligned to the end of the keys (tril(Tk - Tq)), torch.nn.attention.bias.causal_lower_right.
def attention(q, k, v, keep=None, bias=None, causal=None, scale=None):
    tq, tk = q.shape[-2], k.shape[-2]
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    s = q @ k.transpose(-2, -1) * scale
    if bias is not None:
        s = s + bias
    allowed = torch.ones(s.shape, dtype=torch.bool)
    if causal:
        allowed = allowed & torch.ones(tq, tk, dtype=torch.bool).tril(0 if causal == "upper_left" else tk - tq)
    if keep is not None:
        allowed = allowed & keep
    s = s.masked_fill(~allowed, float("-inf"))
    none = ~allowed.any(-1, keepdim=True)
    p = torch.softmax(s.masked_fill(none, 0.0), -1).masked_fill(none, 0.0)  # fully masked rows: zeros
    return p @ v


def case(name, tq, tk, **kw):
    q = wave([1, 2, tq, 3], 0.7, 0.1).requires_grad_()
    k = wave([1, 2, tk, 3], 1.3, 0.4).requires_grad_()
    v = wave([1, 2, tk, 2], 0.9, -0.2).requires_grad_()
    out = attention(q, k, v, **kw)
    g = wave(list(out.shape), 0.37, 0.5)
    dq, dk, dv = torch.autograd.grad(out, (q, k, v), g)
    emit(f"k{name}Out", out)
    emit(f"k{name}Dq", dq)
    emit(f"k{name}Dk", dk)
    emit(f"k{name}Dv", dv)


case("Plain", 4, 6)
case("Causal", 4, 6, causal="lower_right", scale=0.8)
case("CausalUpperLeft", 4, 6, causal="upper_left", scale=0.8)
keep = wave([4, 6], 2.1, 0.3) > -0.3  # bool [Tq, Tk]
keep[2] = False  # one query sees no key
case("BoolMask", 4, 6, keep=keep)
case("BiasMask", 4, 6, bias=wave([2, 1, 6], 0.5, 1.0) * 2)  # per head, broadcast over queries
