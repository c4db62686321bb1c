# Golden values for tests/ops/test_distance.cpp (cdist, cosine_similarity, normalize), computed
# with PyTorch 1.13.
# Run: python3 tests/golden/gen_distance.py  (prints C++ initializers to paste into the test)
import torch
import torch.nn.functional as F
from literals import emit, lit


inf = float('inf')
# cdist: x1 [2, 3, 2] and x2 [2, 2, 2]; x2[0][0] equals x1[0][0] (a zero distance), gradient of
# sum(w * d) for each p.
x1v = [[[1.0, 2.0], [-0.5, 0.25], [3.0, -1.0]], [[0.0, 0.0], [2.0, 2.0], [-1.5, 0.5]]]
x2v = [[[1.0, 2.0], [0.5, -0.75]], [[1.0, -1.0], [2.0, 2.5]]]
w = torch.arange(1.0, 13.0, dtype=torch.float64).view(2, 3, 2)
print("// x1 = " + str(x1v) + ", x2 = " + str(x2v) + ", w = 1..12")
for name, p in [("p2", 2.0), ("p1", 1.0), ("p0", 0.0), ("pinf", inf), ("p3", 3.0), ("p05", 0.5)]:
    x1 = torch.tensor(x1v, dtype=torch.float64, requires_grad=True)
    x2 = torch.tensor(x2v, dtype=torch.float64, requires_grad=True)
    d = torch.cdist(x1, x2, p=p)
    (d * w).sum().backward()
    emit(f"k_cdist_{name}", d); emit(f"k_cdist_{name}_g1", x1.grad); emit(f"k_cdist_{name}_g2", x2.grad)
# Batch dims broadcast: x1 [2, 3, 2] with x2 [2, 2] (2-D).
emit("k_cdist_bcast", torch.cdist(torch.tensor(x1v, dtype=torch.float64), torch.tensor(x2v[1], dtype=torch.float64)))

# cosine_similarity: broadcasting [2, 1, 3] with [4, 3] along dim=-1, a zero vector, tiny norms.
a = torch.tensor([[[1.0, 2.0, -2.0]], [[0.0, 0.0, 0.0]]], dtype=torch.float64, requires_grad=True)
b = torch.tensor([[3.0, 0.0, 4.0], [1.0, 2.0, -2.0], [-1e-9, 2e-9, 0.0], [0.5, -0.5, 1.0]], dtype=torch.float64,
                 requires_grad=True)
y = F.cosine_similarity(a, b, dim=-1)
wy = torch.arange(1.0, 9.0, dtype=torch.float64).view(2, 4)
(y * wy).sum().backward()
print("// a = [[[1, 2, -2]], [[0, 0, 0]]], b = [[3, 0, 4], [1, 2, -2], [-1e-9, 2e-9, 0], [0.5, -0.5, 1]], dim = -1")
emit("k_cos", y); emit("k_cos_ga", a.grad); emit("k_cos_gb", b.grad)
# Default dim=1 on [2, 3] inputs; eps larger than the norms.
c = torch.tensor([[1.0, 2.0, 3.0], [0.1, 0.0, -0.1]], dtype=torch.float64)
d = torch.tensor([[2.0, 0.0, 1.0], [0.2, 0.1, 0.0]], dtype=torch.float64)
emit("k_cos_dim1", F.cosine_similarity(c, d))
emit("k_cos_eps", F.cosine_similarity(c, d, dim=1, eps=0.5))
emit("k_cos_f32", F.cosine_similarity(c.float(), d.float(), dim=0))

# normalize: p = 2 (default), 1, inf, dim = -1, a zero row (eps).
n = torch.tensor([[3.0, -4.0, 0.0], [0.0, 0.0, 0.0], [1.0, 1.0, -2.0]], dtype=torch.float64, requires_grad=True)
y = F.normalize(n)
print("// n = [[3, -4, 0], [0, 0, 0], [1, 1, -2]]")
emit("k_norm_dim1", y)
emit("k_norm_p2", F.normalize(n, dim=-1))
emit("k_norm_p1", F.normalize(n, p=1, dim=-1))
emit("k_norm_pinf", F.normalize(n, p=inf, dim=0))
emit("k_norm_eps", F.normalize(n, dim=-1, eps=4.0))
yy = F.normalize(n, dim=-1)
(yy * torch.arange(1.0, 10.0, dtype=torch.float64).view(3, 3)).sum().backward()
emit("k_norm_g", n.grad)
