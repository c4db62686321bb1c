# Golden values for tests/ops/test_math.cpp, computed with PyTorch.
# Run: python3 tests/golden/gen_math.py  (prints C++ initializers to paste into the test)
import math
import torch
from literals import emit, lit


x = torch.tensor([-3.5, -1.0, -0.25, 0.0, 0.3, 1.0, 2.5, 10.0], dtype=torch.float32)
for fn in ["exp", "expm1", "tanh", "sigmoid", "erf"]:
    emit(f"k_{fn}", getattr(torch, fn)(x))
xp = torch.tensor([1e-3, 0.1, 0.5, 1.0, 2.0, 10.0, 1e5], dtype=torch.float32)
for fn in ["log", "log1p"]:
    emit(f"k_{fn}", getattr(torch, fn)(xp))

# pow tensor-tensor, broadcast, with gradients of sum(out * w)
a = torch.tensor([[0.5, 1.5, 2.0], [3.0, 0.25, 0.7]], dtype=torch.float64, requires_grad=True)
b = torch.tensor([2.0, -0.5, 1.5], dtype=torch.float64, requires_grad=True)
w = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=torch.float64)
y = torch.pow(a, b)
(y * w).sum().backward()
emit("k_pow", y); emit("k_pow_ga", a.grad); emit("k_pow_gb", b.grad)
# 0 ** e edge cases
a0 = torch.tensor([0.0, 0.0, 0.0, 2.0], dtype=torch.float64, requires_grad=True)
b0 = torch.tensor([0.0, 2.0, -1.0, 0.0], dtype=torch.float64, requires_grad=True)
y0 = torch.pow(a0, b0)
y0.sum().backward()
emit("k_pow0", y0); emit("k_pow0_ga", a0.grad); emit("k_pow0_gb", b0.grad)
e = torch.tensor([0.5, 1.0, 2.0, -1.0], dtype=torch.float64, requires_grad=True)
y = torch.pow(2.5, e)
y.sum().backward()
emit("k_rpow", y); emit("k_rpow_g", e.grad)
emit("k_ipow", torch.pow(torch.tensor([2, 3, -1, 1, 0, -2]), torch.tensor([-1, 3, -3, -4, 0, 5])))

# maximum / minimum with ties and broadcasting
p = torch.tensor([1.0, 2.0, 3.0, 4.0], dtype=torch.float64, requires_grad=True)
q = torch.tensor([[2.0], [3.0]], dtype=torch.float64, requires_grad=True)
for fn in ["maximum", "minimum"]:
    p.grad = None; q.grad = None
    y = getattr(torch, fn)(p, q)
    (y * torch.arange(1.0, 9.0, dtype=torch.float64).view(2, 4)).sum().backward()
    emit(f"k_{fn}", y); emit(f"k_{fn}_gp", p.grad); emit(f"k_{fn}_gq", q.grad)

# clamp
c = torch.tensor([-2.0, -1.0, -0.5, 0.0, 1.0, 1.5, 3.0], dtype=torch.float64, requires_grad=True)
y = torch.clamp(c, -1.0, 1.0)
y.sum().backward()
emit("k_clamp", y); emit("k_clamp_g", c.grad)

# where, broadcast over cond [2,3], a [2,3], b [3]
cond = torch.tensor([[True, False, True], [False, False, True]])
wa = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=torch.float64, requires_grad=True)
wb = torch.tensor([-1.0, -2.0, -3.0], dtype=torch.float64, requires_grad=True)
y = torch.where(cond, wa, wb)
(y * w).sum().backward()
emit("k_where", y); emit("k_where_ga", wa.grad); emit("k_where_gb", wb.grad)
