# Golden values for tests/nn/test_embedding.cpp from torch 1.13's F.embedding with max_norm,
# norm_type, scale_grad_by_freq and padding_idx (float64).
# Run: python3 tests/golden/gen_embedding.py, then paste the printed block into the test.
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)


def emit(name, t):
    vals = ", ".join(repr(float(v)) for v in t.detach().reshape(-1).tolist())
    print(f"const std::vector<double> {name} = {{{vals}}};  // shape {list(t.shape)}")


# The closed-form inputs of gen_layers.py: x[i] = 3 sin(1.7 i + 0.3), row-major.
def xs(*shape):
    n = 1
    for s in shape:
        n *= s
    return (3 * torch.sin(1.7 * torch.arange(n, dtype=torch.float64) + 0.3)).reshape(shape)


# indices [2, 4] with repeats (4 three times, 0 twice), row 2 never looked up; the upstream
# gradient is xs(2, 4, 3) / 3.
idx = torch.tensor([[1, 4, 0, 4], [4, 5, 0, 3]])
g = xs(2, 4, 3) / 3


def case(name, **kw):
    w = xs(6, 3).requires_grad_()
    out = F.embedding(idx, w, **kw)
    (dw,) = torch.autograd.grad(out, w, g)
    emit(f"k{name}Out", out)
    emit(f"k{name}Weight", w)  # after the in-place renormalization
    emit(f"k{name}Grad", dw)


case("MaxNorm", max_norm=3.5)  # rows 0 and 3 stay, 1, 4, 5 shrink, 2 (not looked up) stays
case("MaxNormL1", max_norm=6.3, norm_type=1.0)
case("MaxNormInf", max_norm=2.5, norm_type=float("inf"), padding_idx=0)
case("ByFreq", scale_grad_by_freq=True)
case("ByFreqPad", scale_grad_by_freq=True, padding_idx=-2, max_norm=3.5)
