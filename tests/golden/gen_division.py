# Golden values for tests/ops/test_division.cpp (floor_divide, div with rounding_mode, remainder,
# fmod), computed with PyTorch 1.13.
# Run: python3 tests/golden/gen_division.py  (prints C++ initializers to paste into the test)
import torch
from literals import emit, lit


nan, inf = float('nan'), float('inf')
# Floating point: signs, exact multiples, zero divisors, NaN and infinities.
fa = [-7.0, 7.0, -7.0, 7.0, 5.5, -5.5, 6.0, -6.0, 1.0, -1.0, 0.0, 0.0, nan, 2.0, inf, -inf, 3.0, -3.0, -0.0, 1e-300]
fb = [2.0, 2.0, -2.0, -2.0, 2.0, 2.0, -3.0, 3.0, 0.0, 0.0, 0.0, -3.0, 2.0, nan, 2.0, 3.0, inf, inf, 5.0, -1e300]
print("const std::vector<double> kFloatA = " + lit(torch.tensor(fa, dtype=torch.float64)) + ";")
print("const std::vector<double> kFloatB = " + lit(torch.tensor(fb, dtype=torch.float64)) + ";")
for dt in ["float64", "float32"]:
    a = torch.tensor(fa, dtype=getattr(torch, dt))
    b = torch.tensor(fb, dtype=getattr(torch, dt))
    emit(f"k_{dt}_floor_divide", torch.floor_divide(a, b))
    emit(f"k_{dt}_div_trunc", torch.div(a, b, rounding_mode="trunc"))
    emit(f"k_{dt}_div_floor", torch.div(a, b, rounding_mode="floor"))
    emit(f"k_{dt}_remainder", torch.remainder(a, b))
    emit(f"k_{dt}_fmod", torch.fmod(a, b))
# The sign of zero results (1 / x: +inf or -inf).
a = torch.tensor(fa, dtype=torch.float64)
b = torch.tensor(fb, dtype=torch.float64)
emit("k_floor_divide_sign", torch.copysign(torch.ones(len(fa), dtype=torch.float64), torch.floor_divide(a, b)))

# Integers (int64), every sign combination; int8 and the overflow of -128 / -1.
ia = [-7, 7, -7, 7, 0, -1, 1, 6, -6, 9223372036854775807]
ib = [2, 2, -2, -2, 3, 3, -3, 3, -3, 2]
print("const std::vector<int64_t> kIntA = {" + ", ".join(map(str, ia)) + "};")
print("const std::vector<int64_t> kIntB = {" + ", ".join(map(str, ib)) + "};")
a, b = torch.tensor(ia), torch.tensor(ib)
for name, y in [("floor_divide", torch.floor_divide(a, b)), ("div_trunc", torch.div(a, b, rounding_mode="trunc")),
                ("remainder", torch.remainder(a, b)), ("fmod", torch.fmod(a, b))]:
    print(f"const std::vector<int64_t> k_int_{name} = {{" + ", ".join(map(str, y.tolist())) + "};")
a8 = torch.tensor([-128, -128, 127, -5], dtype=torch.int8)
b8 = torch.tensor([-1, 3, -1, 3], dtype=torch.int8)
for name, y in [("floor_divide", torch.floor_divide(a8, b8)), ("remainder", torch.remainder(a8, b8)),
                ("fmod", torch.fmod(a8, b8))]:
    print(f"const std::vector<int64_t> k_int8_{name} = {{" + ", ".join(map(str, y.tolist())) + "};")
# int8 with uint8 promotes to int16.
u = torch.tensor([200, 7], dtype=torch.uint8)
s = torch.tensor([-3, -2], dtype=torch.int8)
y = torch.remainder(u, s)
print(f"// remainder(uint8, int8) -> {str(y.dtype).replace('torch.', '')}")
print("const std::vector<int64_t> k_u8_i8_remainder = {" + ", ".join(map(str, y.tolist())) + "};")

# Scalar forms.
t = torch.tensor([-5, -1, 0, 4, 7])
emit("k_remainder_scalar", torch.remainder(t, 3))
emit("k_remainder_float_scalar", torch.remainder(t, -2.5))
emit("k_rremainder", torch.remainder(5, torch.tensor([-3, 2, 3, -4])))
emit("k_fmod_scalar", torch.fmod(t, -3))
emit("k_floor_divide_scalar", torch.floor_divide(t, -2))
emit("k_floor_divide_float_scalar", torch.floor_divide(t, 1.5))

# Gradients of sum(w * op(a, b)) with a non-contiguous a (a transposed view) and b broadcast.
a = torch.tensor([[-7.5, 3.25, 0.5], [8.0, -2.75, 4.5]], dtype=torch.float64).t().contiguous().t().t()
a.requires_grad_()
b = torch.tensor([[2.0], [-1.5], [0.75]], dtype=torch.float64, requires_grad=True)
w = torch.arange(1.0, 7.0, dtype=torch.float64).view(3, 2)
print("// a = [[-7.5, 3.25, 0.5], [8.0, -2.75, 4.5]] transposed, b = [[2], [-1.5], [0.75]], w = 1..6")
for fn in ["remainder", "fmod"]:
    a.grad = None; b.grad = None
    y = getattr(torch, fn)(a, b)
    (y * w).sum().backward()
    emit(f"k_{fn}_bc", y); emit(f"k_{fn}_ga", a.grad); emit(f"k_{fn}_gb", b.grad)
a.grad = None; b.grad = None
y = torch.div(a, b, rounding_mode="floor")
(y * w).sum().backward()
emit("k_div_floor_bc", y); emit("k_div_floor_ga", a.grad); emit("k_div_floor_gb", b.grad)

# Errors: integer division by zero.
for expr in ["torch.remainder(torch.tensor([1, 2]), torch.tensor([0, 1]))", "torch.fmod(torch.tensor([3]), 0)",
             "torch.floor_divide(torch.tensor([3]), 0)", "torch.div(torch.tensor([3]), 0, rounding_mode='trunc')"]:
    try:
        eval(expr)
        print(f"// {expr}: no error")
    except RuntimeError as e:
        print(f"// {expr}: {e}")
