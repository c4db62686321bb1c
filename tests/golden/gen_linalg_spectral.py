"""Golden values for tests/ops/test_linalg_spectral.cpp (eigh and svd), computed with PyTorch.

Run `python3 tests/golden/gen_linalg_spectral.py` and paste the output into the test. Inputs are
fixed float64 values printed alongside, so the test rebuilds them exactly. Singular vectors and
eigenvectors are defined up to sign, so the test compares gauge-invariant quantities: values,
reconstructions, |V| and gradients of sign-invariant functions.
"""
import torch

from literals import emit

torch.manual_seed(0)


def rnd(*shape):
    return torch.randn(*shape, dtype=torch.float64).round(decimals=3)


sym = rnd(2, 4, 4)
emit("kSymInput", sym)  # eigh reads the lower triangle only
lower = torch.tril(sym) + torch.tril(sym, -1).transpose(-2, -1)
L, V = torch.linalg.eigh(sym)
emit("kEigvals", L)
emit("kEigvecsAbs", V.abs())
# A sign-invariant function of eigh of (X + X^T) / 2: sum_j w_j L_j + sum c_ij V_ij^2.
x = sym.clone().requires_grad_()
w = torch.tensor([0.3, -1.2, 0.7, 2.0], dtype=torch.float64)
c = torch.arange(16, dtype=torch.float64).reshape(4, 4) / 10
L2, V2 = torch.linalg.eigh((x + x.transpose(-2, -1)) / 2)
((L2 * w).sum() + (V2 * V2 * c).sum()).backward()
emit("kEighGrad", x.grad)

for name, shape in [("Tall", (5, 3)), ("Wide", (2, 3, 6))]:
    a = rnd(*shape)
    emit(f"k{name}Input", a)
    U, S, Vh = torch.linalg.svd(a, full_matrices=False)
    emit(f"k{name}S", S)
    emit(f"k{name}UAbs", U.abs())
    emit(f"k{name}VhAbs", Vh.abs())
    x = a.clone().requires_grad_()
    U, S, Vh = torch.linalg.svd(x, full_matrices=False)
    k = S.shape[-1]
    cu = torch.arange(U.shape[-2] * k, dtype=torch.float64).reshape(U.shape[-2], k) / 7
    cv = torch.arange(k * Vh.shape[-1], dtype=torch.float64).reshape(k, Vh.shape[-1]) / 5
    ((S * S).sum() + (U * U * cu).sum() + (Vh * Vh * cv).sum()).backward()
    emit(f"k{name}Grad", x.grad)
