# Golden values for tests/ops/test_scan.cpp (cumprod, logcumsumexp), computed with PyTorch 1.13.
# Run: python3 tests/golden/gen_scan.py  (prints C++ initializers to paste into the test)
import torch
from literals import emit, lit


inf, nan = float('inf'), float('nan')
# cumprod along dim 1 and dim -1 of [3, 4] with zeros (one, two, none per row), gradient of
# sum(w * y), w = 1..12.
x = torch.tensor([[2.0, 0.0, 3.0, -1.5], [0.5, 0.0, 0.0, 4.0], [1.5, -2.0, 0.25, 3.0]], dtype=torch.float64,
                 requires_grad=True)
w = torch.arange(1.0, 13.0, dtype=torch.float64).view(3, 4)
print("// x = [[2, 0, 3, -1.5], [0.5, 0, 0, 4], [1.5, -2, 0.25, 3]], w = 1..12")
for d in [1, 0]:
    x.grad = None
    y = torch.cumprod(x, d)
    (y * w).sum().backward()
    emit(f"k_cumprod{d}", y); emit(f"k_cumprod{d}_g", x.grad)
# The second derivative at the zeros: d/dx of sum(x.grad * v) with create_graph.
x.grad = None
y = torch.cumprod(x, 1)
(g,) = torch.autograd.grad((y * w).sum(), x, create_graph=True)
(gg,) = torch.autograd.grad((g * w.flip(1)).sum(), x)
emit("k_cumprod_gg", gg)
# Integer and bool inputs give int64; a non-contiguous input (a transposed view).
emit("k_cumprod_int", torch.cumprod(torch.tensor([[3, -2], [4, 5]], dtype=torch.int32), 0))
print(f"// cumprod(int32) dtype: {torch.cumprod(torch.tensor([3], dtype=torch.int32), 0).dtype}")
emit("k_cumprod_bool", torch.cumprod(torch.tensor([True, True, False, True]), 0))
emit("k_cumprod_t", torch.cumprod(torch.arange(1.0, 7.0).view(2, 3).t(), 1))

# logcumsumexp: large values (no overflow), -inf entries, +inf, NaN.
z = torch.tensor([[1000.0, 1001.0, -inf, 999.0], [-inf, -inf, 0.5, -inf], [-1.0, inf, 2.0, nan]], dtype=torch.float64)
emit("k_lcse1", torch.logcumsumexp(z, 1))
emit("k_lcse0", torch.logcumsumexp(z, 0))
emit("k_lcse_f32", torch.logcumsumexp(z.float(), -1))
v = torch.tensor([[0.5, -1.25, 2.0, 0.0], [3.0, 1.0, -2.0, 0.75]], dtype=torch.float64, requires_grad=True)
y = torch.logcumsumexp(v, -1)
wv = torch.tensor([[1.0, -2.0, 0.5, 3.0], [-1.0, 0.0, 2.0, 1.5]], dtype=torch.float64)
(y * wv).sum().backward()
print("// v = [[0.5, -1.25, 2, 0], [3, 1, -2, 0.75]], weights [[1, -2, 0.5, 3], [-1, 0, 2, 1.5]]")
emit("k_lcse_v", y); emit("k_lcse_g", v.grad)
# Gradient with a -inf entry that is not first in its line.
u = torch.tensor([0.5, -inf, 1.0], dtype=torch.float64, requires_grad=True)
torch.logcumsumexp(u, 0).sum().backward()
emit("k_lcse_neginf_g", u.grad)
for expr in ["torch.logcumsumexp(torch.tensor([1, 2]), 0)"]:
    try:
        eval(expr)
        print(f"// {expr}: no error")
    except RuntimeError as e:
        print(f"// {expr}: {e}")
