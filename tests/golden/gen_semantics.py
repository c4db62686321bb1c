# Golden values for PyTorch-semantics corner cases (zero-spread std/var gradients, losses at
# their kinks, ...): prints C++ literals for tests/ops/test_reduce.cpp, tests/nn/test_loss.cpp,
# tests/optim/*.cpp and tests/nn/test_attention.cpp.
# Run: python3 tests/golden/gen_semantics.py [section]
import sys

import torch
import torch.nn.functional as F

torch.set_printoptions(precision=17)


def num(v):
    v = float(v)
    return "NAN" if v != v else "INFINITY" if v == float("inf") else "-INFINITY" if v == -float("inf") else repr(v)


def lit(name, t):
    t = torch.as_tensor(t)
    vals = ", ".join(num(v) for v in t.flatten().tolist())
    print(f"const std::vector<double> {name} = {{{vals}}};  // shape {list(t.shape)}")


def grads(f, x):
    """f(x), d sum f / dx and d sum(d sum f / dx) / dx (double backward)."""
    x = x.clone().requires_grad_()
    y = f(x)
    (g,) = torch.autograd.grad(y.sum(), x, create_graph=True)
    (gg,) = torch.autograd.grad(g.sum(), x, allow_unused=True)
    return y.detach(), g.detach(), torch.zeros_like(x) if gg is None else gg


def zero_spread():
    # Row 0 has zero spread (std = var = 0); row 1 does not.
    c = torch.tensor([[2.0, 2.0, 2.0], [1.0, 2.0, 4.0]], dtype=torch.float64)
    lit("kSpread", c)
    cases = {
        "StdRows": lambda x: x.std(1),
        "StdRowsBiasedKeep": lambda x: x.std(1, unbiased=False, keepdim=True),
        "VarRows": lambda x: x.var(1),
        "VarRowsBiasedKeep": lambda x: x.var(1, unbiased=False, keepdim=True),
        "StdCols": lambda x: x.t().std(0),  # non-contiguous, composed path
        "StdAllRow0": lambda x: x[0].std(),
        "StdAllRow0Biased": lambda x: x[0].std(unbiased=False),
        "VarAllRow0": lambda x: x[0].var(),
        "StdOne": lambda x: x[:, :1].std(1),  # one element, unbiased: nan
    }
    for name, f in cases.items():
        y, g, gg = grads(f, c)
        lit(f"k{name}", y)
        lit(f"k{name}Grad", g)
        lit(f"k{name}GradGrad", gg)


def loss_grads(name, f, *xs):
    xs = [x.clone().requires_grad_() for x in xs]
    y = f(*xs)
    gs = torch.autograd.grad(y, xs)
    print(f"const double k{name} = {num(y)};")
    for i, g in enumerate(gs):
        lit(f"k{name}Grad{i}", g)


def kinks():
    # Gradients where a loss has a kink (input == target, margin term exactly 0). PyTorch's
    # clamp passes the gradient at its bound (hinge_embedding, margin_ranking), multi_margin
    # counts only terms > 0. smooth_l1 with beta = 0 is documented as l1_loss (and is l1_loss
    # in PyTorch >= 2.0); 1.13's kernel gives -1 at d == 0, so that case is checked against l1.
    d = torch.float64
    x = torch.tensor([0.0, 1.0, -1.0, 2.0], dtype=d)
    zero = torch.zeros(4, dtype=d)
    loss_grads("SmoothL1Beta0", lambda a: F.l1_loss(a, zero), x)
    loss_grads("SmoothL1Beta1", lambda a: F.smooth_l1_loss(a, zero, beta=1.0), x)
    loss_grads("Huber", lambda a: F.huber_loss(a, zero, delta=1.0), x)
    loss_grads("L1", lambda a: F.l1_loss(a, zero), x)
    hinge_t = torch.tensor([-1.0, -1.0, 1.0, -1.0], dtype=d)
    loss_grads("HingeKink", lambda a: F.hinge_embedding_loss(a, hinge_t, margin=1.0), x)
    rank_t = torch.tensor([1.0, -1.0, 1.0, -1.0], dtype=d)
    x2 = torch.tensor([-1.0, 2.0, 0.0, 1.0], dtype=d)
    loss_grads("RankingKink", lambda a, b: F.margin_ranking_loss(a, b, rank_t, margin=1.0), x, x2)
    xm = torch.tensor([[1.0, 0.0, 2.0], [0.5, 0.5, -0.5]], dtype=d)
    ym = torch.tensor([0, 1])
    loss_grads("MultiMarginKink", lambda a: F.multi_margin_loss(a, ym), xm)
    loss_grads("MultiMarginKinkP2", lambda a: F.multi_margin_loss(a, ym, p=2), xm)
    loss_grads("MultiMarginKinkWeighted",
               lambda a: F.multi_margin_loss(a, ym, weight=torch.tensor([2.0, 0.5, 1.0], dtype=d), reduction="sum"), xm)


def clip():
    # clip_grad_norm_ with non-finite gradients: the coefficient clamp(max_norm / (total + 1e-6),
    # max=1) is nan for a nan norm and 0 for an infinite one, and multiplies every gradient.
    # Gradients: a [2, 2] = {{3, -4}, {1, 2}}, b [3] = {0.5, -1, 2} with one entry replaced.
    for name, bad, norm_type in [("Nan2", float("nan"), 2.0), ("NanInf", float("nan"), float("inf")),
                                 ("Inf2", float("inf"), 2.0), ("InfInf", float("inf"), float("inf"))]:
        a = torch.zeros(2, 2, dtype=torch.float64, requires_grad=True)
        b = torch.zeros(3, dtype=torch.float64, requires_grad=True)
        a.grad = torch.tensor([[3.0, -4.0], [1.0, 2.0]], dtype=torch.float64)
        b.grad = torch.tensor([0.5, bad, 2.0], dtype=torch.float64)
        total = torch.nn.utils.clip_grad_norm_([a, b], 1.0, norm_type)
        print(f"const double kClipTotal{name} = {num(total)};")
        lit(f"kClipGrads{name}", torch.cat([a.grad.flatten(), b.grad]))
    a = torch.zeros(4, dtype=torch.float64, requires_grad=True)
    a.grad = torch.tensor([float("nan"), -3.0, float("inf"), 0.5], dtype=torch.float64)
    torch.nn.utils.clip_grad_value_([a], 1.0)
    lit("kClipValueNonFinite", a.grad)


SECTIONS = {"clip": clip, "zero_spread": zero_spread, "kinks": kinks}

if __name__ == "__main__":
    for name in sys.argv[1:] or SECTIONS:
        print(f"// ---- {name} ----")
        SECTIONS[name]()
