# Golden values for tests/nn/test_distillation.cpp, from PyTorch: the distillation loss of
# Hinton et al. 2015 as commonly written in PyTorch,
#   alpha T^2 kl_div(log_softmax(s / T), softmax(t / T), 'batchmean') + (1 - alpha) cross_entropy(s, y).
# Run: python3 tests/golden/gen_distillation.py, then paste the block.
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)


def lit(t):
    return "{" + ", ".join(repr(float(v)) for v in t.detach().reshape(-1).tolist()) + "}"


def xs(*shape):  # 3 sin(1.7 i + 0.3), as in the C++ test
    n = 1
    for s in shape:
        n *= s
    return (3 * torch.sin(1.7 * torch.arange(n, dtype=torch.float64) + 0.3)).reshape(shape)


def distill(s, t, y, T, alpha):
    soft = F.kl_div(F.log_softmax(s / T, 1), F.softmax(t / T, 1), reduction="batchmean") * T * T
    return alpha * soft + (1 - alpha) * F.cross_entropy(s, y) if alpha < 1 else soft


student = xs(4, 5).requires_grad_()
teacher = 2 * torch.cos(torch.arange(20.0)).reshape(4, 5)
y = torch.tensor([1, 0, 4, 2])
print("// ---- student = xs(4, 5), teacher = 2 cos(arange(20)) [4, 5], targets {1, 0, 4, 2} ----")
loss = distill(student, teacher, y, 4.0, 0.7)
(grad,) = torch.autograd.grad(loss, student)
print(f"const double kT4A07 = {loss.item()!r};")
print(f"const std::vector<double> kT4A07Grad = {lit(grad)};  // shape [4, 5]")
print(f"const double kT1A05 = {distill(student, teacher, y, 1.0, 0.5).item()!r};")
print(f"const double kT2A1 = {distill(student, teacher, y, 2.0, 1.0).item()!r};")
print(f"const double kT3A0 = {distill(student, teacher, y, 3.0, 0.0).item()!r};")
# A confident teacher whose softmax underflows to 0 in some classes.
print(f"const double kSharpTeacher = {distill(student, 400 * teacher, y, 1.0, 0.9).item()!r};")
