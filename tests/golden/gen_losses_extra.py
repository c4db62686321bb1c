# Golden values for tests/nn/test_loss_extra.cpp (ctc_loss, cosine_embedding_loss,
# triplet_margin_loss, pairwise_distance, soft_margin_loss, multilabel_margin_loss,
# poisson_nll_loss, gaussian_nll_loss), from PyTorch 1.13.
# Run: python3 tests/golden/gen_losses_extra.py > losses_extra_golden.txt, then paste the blocks.
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)


def num(v):
    v = float(v)
    if v != v:
        return "NAN"
    if v in (float("inf"), float("-inf")):
        return "INFINITY" if v > 0 else "-INFINITY"
    return repr(v)


def lit(t):
    return "{" + ", ".join(num(v) for v in t.detach().reshape(-1).tolist()) + "}"


def emit(name, t):
    print(f"const std::vector<double> {name} = {lit(t)};  // shape {list(t.shape)}")


# Closed-form inputs, built the same way on the C++ side: xs(...)[i] = 3 sin(1.7 i + 0.3) and
# ys(...)[i] = 2 cos(0.9 i + 0.5) - 0.4.
def xs(*shape):
    n = 1
    for s in shape:
        n *= s
    return (3 * torch.sin(1.7 * torch.arange(n, dtype=torch.float64) + 0.3)).reshape(shape)


def ys(*shape):
    n = 1
    for s in shape:
        n *= s
    return (2 * torch.cos(0.9 * torch.arange(n, dtype=torch.float64) + 0.5) - 0.4).reshape(shape)


def value_and_grads(name, fn, *inputs):
    """Emits fn's value (reduced to a scalar by summing when it is not one) and d(sum)/d(input)."""
    leaves = [t.detach().clone().requires_grad_() for t in inputs]
    out = fn(*leaves)
    emit(name, out)
    grads = torch.autograd.grad(out.sum(), leaves, allow_unused=True)
    for i, g in enumerate(grads):
        emit(f"{name}Grad{i}", g if g is not None else torch.zeros_like(leaves[i]))


print("// ---- pairwise_distance: x1 = xs(3, 4), x2 = ys(3, 4) ----")
x1, x2 = xs(3, 4), ys(3, 4)
value_and_grads("kPdist2", lambda a, b: F.pairwise_distance(a, b), x1, x2)
value_and_grads("kPdist1", lambda a, b: F.pairwise_distance(a, b, p=1.0, eps=0.1), x1, x2)
value_and_grads("kPdist3Keep", lambda a, b: F.pairwise_distance(a, b, p=3.0, keepdim=True), x1, x2)
value_and_grads("kPdistBroadcast", lambda a, b: F.pairwise_distance(a, b), x1, ys(4))
value_and_grads("kPdistInf", lambda a, b: F.pairwise_distance(a, b, p=float("inf")), x1, x2)

print("// ---- cosine_embedding_loss: x1 = xs(4, 3) with row 2 zero, x2 = ys(4, 3), y = {1, -1, -1, 1} ----")
c1 = xs(4, 3).clone()
c1[2] = 0
c2 = ys(4, 3)
cy = torch.tensor([1.0, -1.0, -1.0, 1.0])
value_and_grads("kCosEmb", lambda a, b: F.cosine_embedding_loss(a, b, cy, margin=-0.2), c1, c2)
value_and_grads("kCosEmbNone", lambda a, b: F.cosine_embedding_loss(a, b, cy, reduction="none"), c1, c2)
value_and_grads("kCosEmbSum", lambda a, b: F.cosine_embedding_loss(a, b, torch.tensor([-1.0, -1, 1, -1]), 0.3,
                                                                   reduction="sum"), c1, c2)
value_and_grads("kCosEmb1d", lambda a, b: F.cosine_embedding_loss(a, b, torch.tensor(-1.0)), xs(5), ys(5))

print("// ---- triplet_margin_loss: a = xs(4, 3), p = ys(4, 3), n = xs(4, 3) * 0.5 + 1 ----")
ta, tp, tn = xs(4, 3), ys(4, 3), xs(4, 3) * 0.5 + 1
value_and_grads("kTriplet", lambda a, p, n: F.triplet_margin_loss(a, p, n), ta, tp, tn)
value_and_grads("kTripletSwapP1", lambda a, p, n: F.triplet_margin_loss(a, p, n, margin=2.0, p=1, swap=True,
                                                                        reduction="none"), ta, tp, tn)
value_and_grads("kTripletP3Sum", lambda a, p, n: F.triplet_margin_loss(a, p, n, margin=5.0, p=3, eps=1e-3,
                                                                       reduction="sum"), ta, tp, tn)
# The margin exactly hit (eps = 0: |p - a| = 5, |n - a| = 6, margin 1): the gradient still flows.
value_and_grads("kTripletHit", lambda a, p, n: F.triplet_margin_loss(a, p, n, eps=0.0),
                torch.zeros(1, 2), torch.tensor([[3.0, 4.0]]), torch.tensor([[0.0, 6.0]]))

print("// ---- soft_margin_loss: x = xs(6) with x[3] = 0, y = {1, -1, -1, 1, 1, -1} ----")
sx = xs(6).clone()
sx[3] = 0
sy = torch.tensor([1.0, -1, -1, 1, 1, -1])
value_and_grads("kSoftMargin", lambda a: F.soft_margin_loss(a, sy), sx)
value_and_grads("kSoftMarginNone", lambda a: F.soft_margin_loss(a, sy, reduction="none"), sx)

print("// ---- multilabel_margin_loss: x = xs(4, 5) with x[3] = {1.5, 0.5, 0, 2, -1} ----")
mx = xs(4, 5).clone()
mx[3] = torch.tensor([1.5, 0.5, 0.0, 2.0, -1.0])  # 1 - x[0] + x[1] = 0: the margin exactly hit
mt = torch.tensor([[3, 0, -1, 1, 2], [1, 1, 4, -1, 0], [-1, 2, 3, 0, 0], [0, -1, 4, 4, 4]])
value_and_grads("kMultiLabel", lambda a: F.multilabel_margin_loss(a, mt), mx)
value_and_grads("kMultiLabelNone", lambda a: F.multilabel_margin_loss(a, mt, reduction="none"), mx)
value_and_grads("kMultiLabel1d", lambda a: F.multilabel_margin_loss(a, torch.tensor([2, 4, 0, -1, 1]),
                                                                    reduction="sum"), xs(5))
value_and_grads("kMultiLabelAll", lambda a: F.multilabel_margin_loss(a, torch.tensor([[4, 3, 2, 1, 0]])), xs(1, 5))

print("// ---- poisson_nll_loss: x = xs(6) * 0.5, target = {0, 0.5, 1, 2, 5, 1.5} ----")
px = xs(6) * 0.5
pt = torch.tensor([0.0, 0.5, 1.0, 2.0, 5.0, 1.5])
value_and_grads("kPoisson", lambda a, t: F.poisson_nll_loss(a, t), px, pt)
value_and_grads("kPoissonFull", lambda a, t: F.poisson_nll_loss(a, t, full=True, reduction="none"), px, pt)
value_and_grads("kPoissonRate", lambda a, t: F.poisson_nll_loss(a, t, log_input=False, full=True, eps=1e-3,
                                                                reduction="sum"), px.abs() + 0.1, pt)
value_and_grads("kPoissonRateZero", lambda a, t: F.poisson_nll_loss(a, t, log_input=False, reduction="none"),
                torch.tensor([0.0, 1.0, 2.0]), torch.tensor([3.0, 0.0, 2.0]))

print("// ---- gaussian_nll_loss: input = xs(4, 3), target = ys(4, 3) ----")
gi, gt = xs(4, 3), ys(4, 3)
gv = (ys(4, 3) * 0.5).abs()
gv[1, 2] = 0.0  # clamped to eps
value_and_grads("kGauss", lambda a, t, v: F.gaussian_nll_loss(a, t, v), gi, gt, gv)
value_and_grads("kGaussFullNone", lambda a, t, v: F.gaussian_nll_loss(a, t, v, full=True, eps=1e-2,
                                                                      reduction="none"), gi, gt, gv)
value_and_grads("kGaussHomo", lambda a, t, v: F.gaussian_nll_loss(a, t, v, reduction="sum"), gi, gt,
                torch.tensor([0.5, 1.0, 2.0, 1e-9]))
value_and_grads("kGaussHomo1", lambda a, t, v: F.gaussian_nll_loss(a, t, v), gi, gt,
                torch.tensor([[0.5], [1.0], [2.0], [0.3]]))
value_and_grads("kGaussTargetBroadcast", lambda a, t, v: F.gaussian_nll_loss(a, t, v, full=True), gi, ys(3),
                gv + 0.1)

print("// ---- ctc_loss: log_probs = log_softmax(xs(6, 3, 5) * 0.5, 2) ----")
lp = (xs(6, 3, 5) * 0.5).log_softmax(2)
il = torch.tensor([6, 5, 4])
# Row 1 repeats a label (needs a blank between), row 2 is empty.
tgt = torch.tensor([[1, 2, 3], [2, 2, 0], [0, 0, 0]])
tl = torch.tensor([3, 2, 0])
value_and_grads("kCtcMean", lambda a: F.ctc_loss(a, tgt, il, tl), lp)
value_and_grads("kCtcNone", lambda a: F.ctc_loss(a, tgt, il, tl, reduction="none"), lp)
value_and_grads("kCtcSumConcat", lambda a: F.ctc_loss(a, torch.tensor([1, 2, 3, 2, 2]), il, tl,
                                                      reduction="sum"), lp)
# Blank 4; row 1 is infeasible (3 repeats of label 2 need 5 frames, it has 4).
tgt4 = torch.tensor([[0, 1, 3], [2, 2, 2], [1, 0, 0]])
il4 = torch.tensor([6, 4, 3])
tl4 = torch.tensor([3, 3, 1])
value_and_grads("kCtcBlank4None", lambda a: F.ctc_loss(a, tgt4, il4, tl4, blank=4, reduction="none"), lp)
value_and_grads("kCtcZeroInf", lambda a: F.ctc_loss(a, tgt4, il4, tl4, blank=4, zero_infinity=True), lp)
value_and_grads("kCtcZeroInfNone", lambda a: F.ctc_loss(a, tgt4, il4, tl4, blank=4, reduction="none",
                                                        zero_infinity=True), lp)
# Unbatched: [T, C], targets [S], 0-d lengths.
value_and_grads("kCtcUnbatched", lambda a: F.ctc_loss(a, torch.tensor([3, 3]), torch.tensor(5),
                                                      torch.tensor(2)), lp[:, 1])
