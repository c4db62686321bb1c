# Golden values for PyTorch-semantics corner cases (zero-spread std/var gradients, losses at
# their kinks, ...): prints C++ literals for tests/ops/test_reduce.cpp, tests/nn/test_loss.cpp,
# tests/optim/*.cpp and tests/nn/test_attention.cpp.
# Run: python3 tests/golden/gen_semantics.py [section]
import sys
import warnings

import torch
import torch.nn.functional as F

torch.set_printoptions(precision=17)


def num(v):
    v = float(v)
    return "NAN" if v != v else "INFINITY" if v == float("inf") else "-INFINITY" if v == -float("inf") else repr(v)


def lit(name, t):
    t = t if isinstance(t, torch.Tensor) else torch.tensor(t, dtype=torch.float64)
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
    print(f"const double kKink{name} = {num(y)};")
    for i, g in enumerate(gs):
        lit(f"kKink{name}Grad{i}", g)


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
    loss_grads("Hinge", lambda a: F.hinge_embedding_loss(a, hinge_t, margin=1.0), x)
    rank_t = torch.tensor([1.0, -1.0, 1.0, -1.0], dtype=d)
    x2 = torch.tensor([-1.0, 2.0, 0.0, 1.0], dtype=d)
    loss_grads("Ranking", lambda a, b: F.margin_ranking_loss(a, b, rank_t, margin=1.0), x, x2)
    xm = torch.tensor([[1.0, 0.0, 2.0], [0.5, 0.5, -0.5]], dtype=d)
    ym = torch.tensor([0, 1])
    loss_grads("MultiMargin", lambda a: F.multi_margin_loss(a, ym), xm)
    loss_grads("MultiMarginP2", lambda a: F.multi_margin_loss(a, ym, p=2), xm)
    loss_grads("MultiMarginWeighted",
               lambda a: F.multi_margin_loss(a, ym, weight=torch.tensor([2.0, 0.5, 1.0], dtype=d), reduction="sum"), xm)
    # binary_cross_entropy_with_logits at x == 0: sigmoid(0) - t (with pos_weight p: the same
    # derivative of (1 - t) x + ((p - 1) t + 1) softplus(-x)).
    xb = torch.zeros(4, dtype=d)
    tb = torch.tensor([0.0, 1.0, 0.3, 1.0], dtype=d)
    pw = torch.tensor([1.0, 1.0, 2.0, 3.0], dtype=d)
    loss_grads("BceLogits", lambda a: F.binary_cross_entropy_with_logits(a, tb, reduction="sum"), xb)
    loss_grads("BceLogitsPosWeight",
               lambda a: F.binary_cross_entropy_with_logits(a, tb, pos_weight=pw, reduction="sum"), xb)


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


def lbfgs():
    # L-BFGS with the strong-Wolfe line search on the 4-D Rosenbrock function, float64:
    # parameters after each of 4 step(closure) calls.
    x = torch.tensor([-1.2, 1.0, -1.2, 1.0], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([x], lr=1, max_iter=20, history_size=3, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()
        loss.backward()
        return loss

    out = []
    for _ in range(4):
        opt.step(closure)
        out.append(x.detach().clone())
    lit("kLbfgsRosenbrock4", torch.stack(out))
    print(f"const int64_t kLbfgsRosenbrock4Evals = {opt.state[opt._params[0]]['func_evals']};")
    # 2-D from (-1.5, 2) with the defaults: where 4 step(closure) calls stop.
    x = torch.tensor([-1.5, 2.0], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([x], max_iter=100, line_search_fn="strong_wolfe")

    def closure2():
        opt.zero_grad()
        loss = (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
        loss.backward()
        return loss

    for _ in range(4):
        opt.step(closure2)
    lit("kLbfgsRosenbrock2Default", x.detach())


def schedules():
    # Chainable schedules: lrs read before each step (base lr 0.1).
    S = torch.optim.lr_scheduler

    def sgd():
        return torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)

    def run(opt, scheds, n, hand=None):
        out = []
        for e in range(n):
            if hand is not None and e == hand[0]:
                opt.param_groups[0]["lr"] = hand[1]
            out.append(opt.param_groups[0]["lr"])
            opt.step()
            for s in scheds:
                s.step()
        return out

    opt = sgd()
    lit("kStepPlusExponential", run(opt, [S.StepLR(opt, 3, 0.5), S.ExponentialLR(opt, 0.9)], 10))
    makers = {
        "StepLR": lambda o: S.StepLR(o, 3, 0.5),
        "MultiStepLR": lambda o: S.MultiStepLR(o, [2, 2, 5]),
        "ExponentialLR": lambda o: S.ExponentialLR(o, 0.9),
        "CosineAnnealingLR": lambda o: S.CosineAnnealingLR(o, 3, 0.01),
        "LinearLR": lambda o: S.LinearLR(o, 0.25, 1.0, 4),
        "ConstantLR": lambda o: S.ConstantLR(o, 0.5, 3),
        "PolynomialLR": lambda o: S.PolynomialLR(o, total_iters=4, power=2.0),
        "LambdaLR": lambda o: S.LambdaLR(o, lambda e: 0.95 ** e),
        "MultiplicativeLR": lambda o: S.MultiplicativeLR(o, lambda e: 0.95),
    }
    # Each alone for 14 steps, then with the lr set by hand to 0.02 before step 3 is read.
    for name, make in makers.items():
        opt = sgd()
        lit(f"k{name}Alone", run(opt, [make(opt)], 14))
        opt = sgd()
        lit(f"k{name}ByHand", run(opt, [make(opt)], 14, hand=(3, 0.02)))
    opt = sgd()
    lit("kChained", run(opt, [S.ChainedScheduler([S.ConstantLR(opt, 0.1, 2), S.ExponentialLR(opt, 0.9)])], 8))
    # The language-model schedule of soma train: warm-up then cosine to a tenth.
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=3e-4)
    warm = S.LinearLR(opt, start_factor=0.1, total_iters=5)
    cosine = S.CosineAnnealingLR(opt, T_max=95, eta_min=3e-5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SequentialLR's step(0) at the milestone
        lit("kLanguageModelSchedule", run(opt, [S.SequentialLR(opt, [warm, cosine], [5])], 100))


SECTIONS = {"schedules": schedules, "lbfgs": lbfgs, "clip": clip, "zero_spread": zero_spread, "kinks": kinks}

if __name__ == "__main__":
    for name in sys.argv[1:] or SECTIONS:
        print(f"// ---- {name} ----")
        SECTIONS[name]()
