"""Golden values for tests/ops/test_linalg.cpp, computed with PyTorch.

Run `python3 tests/golden/gen_linalg.py` and paste the output into the test. Inputs are fixed
random float64 tensors, printed alongside the results so the test rebuilds them exactly.
"""
import torch

torch.manual_seed(0)
torch.set_printoptions(precision=17)


def lit(name, t):
    vals = ", ".join(repr(float(v)) for v in t.detach().reshape(-1).tolist())
    shape = ", ".join(str(s) for s in t.shape)
    print(f"const Golden {name}{{{{{shape}}}, {{{vals}}}}};")


def rnd(*shape):
    return torch.randn(*shape, dtype=torch.float64).round(decimals=3)


# Products.
a, b = rnd(2, 1, 3, 4), rnd(3, 4, 2)
lit("kMatmulA", a); lit("kMatmulB", b); lit("kMatmulOut", torch.matmul(a, b))
v = rnd(4)
lit("kMatmulV", v); lit("kMatmulAV", torch.matmul(a, v))
c, m1, m2 = rnd(1, 3), rnd(2, 4), rnd(4, 3)
lit("kAddmmC", c); lit("kAddmmA", m1); lit("kAddmmB", m2)
lit("kAddmmOut", torch.addmm(c, m1, m2, beta=0.5, alpha=-2.0))

# Decompositions.
sq = rnd(2, 3, 3)
rhs = rnd(2, 3, 2)
lit("kSquare", sq); lit("kRhs", rhs)
lit("kSolve", torch.linalg.solve(sq, rhs))
lit("kInv", torch.linalg.inv(sq))
lit("kDet", torch.linalg.det(sq))
s, l = torch.linalg.slogdet(sq)
lit("kSlogdetSign", s); lit("kSlogdetLog", l)
x = rnd(2, 3, 3)
spd = x @ x.mT + torch.eye(3, dtype=torch.float64)
lit("kSpd", spd); lit("kCholesky", torch.linalg.cholesky(spd))
tall = rnd(4, 3)
q, r = torch.linalg.qr(tall)
lit("kTall", tall); lit("kQ", q); lit("kR", r)
wide = rnd(2, 4)
q, r = torch.linalg.qr(wide)
lit("kWide", wide); lit("kWideQ", q); lit("kWideR", r)

# Gradients of weighted sums (weights fixed), to pin the backward formulas to PyTorch's.
wq, wr = rnd(4, 3), rnd(3, 3)
lit("kQrWeightQ", wq); lit("kQrWeightR", wr)
t = tall.clone().requires_grad_()
q, r = torch.linalg.qr(t)
((q * wq).sum() + (r * wr).sum()).backward()
lit("kQrGrad", t.grad)
wl = rnd(3, 3)
lit("kCholWeight", wl)
t = spd[0].clone().requires_grad_()
(torch.linalg.cholesky(t) * wl).sum().backward()
lit("kCholGrad", t.grad)
t = sq.clone().requires_grad_()
torch.linalg.det(t).sum().backward()
lit("kDetGrad", t.grad)
