# Golden values for tests/ops/test_statistics.cpp (torch.cov, torch.special.entr and
# Categorical(probs).entropy()), computed with PyTorch 1.13.
# Run: python3 tests/golden/gen_statistics.py  (prints C++ initializers to paste into the test)
import warnings
import torch
from torch.distributions import Categorical
from literals import emit, lit


warnings.simplefilter("ignore")
inf, nan = float('inf'), float('nan')
# cov: 3 variables x 5 observations.
x = torch.tensor([[1.0, 2.0, 4.0, -1.0, 0.5], [3.0, -2.0, 0.0, 1.0, 2.5], [0.25, 0.5, 1.0, 2.0, 4.0]],
                 dtype=torch.float64, requires_grad=True)
fw = torch.tensor([1, 2, 0, 3, 1])
aw = torch.tensor([0.5, 1.0, 2.0, 0.25, 1.5], dtype=torch.float64)
print("// x = [[1, 2, 4, -1, 0.5], [3, -2, 0, 1, 2.5], [0.25, 0.5, 1, 2, 4]], fweights = [1, 2, 0, 3, 1],")
print("// aweights = [0.5, 1, 2, 0.25, 1.5]")
emit("k_cov", torch.cov(x))
emit("k_cov_c0", torch.cov(x, correction=0))
emit("k_cov_c2", torch.cov(x, correction=2))
emit("k_cov_fw", torch.cov(x, fweights=fw))
emit("k_cov_aw", torch.cov(x, aweights=aw))
emit("k_cov_both", torch.cov(x, correction=1, fweights=fw, aweights=aw))
emit("k_cov_both_c0", torch.cov(x, correction=0, fweights=fw, aweights=aw))
y = torch.cov(x, fweights=fw, aweights=aw)
(y * torch.arange(1.0, 10.0, dtype=torch.float64).view(3, 3)).sum().backward()
emit("k_cov_g", x.grad)
emit("k_cov_1d", torch.cov(torch.tensor([1.0, 2.0, 4.0, 7.0])))
emit("k_cov_int", torch.cov(torch.tensor([[1, 2, 4], [3, 0, 1]])))
print(f"// cov(int64) dtype: {torch.cov(torch.tensor([[1, 2, 4]])).dtype}")
emit("k_cov_one_obs", torch.cov(torch.tensor([[1.0], [2.0]])))
emit("k_cov_t", torch.cov(x.detach().t().contiguous().t()))

# entr: negative, zero, positive, inf, nan; integer input.
e = torch.tensor([-1.0, 0.0, 0.25, 1.0, 2.5, inf, nan], dtype=torch.float64)
emit("k_entr", torch.special.entr(e))
emit("k_entr_int", torch.special.entr(torch.tensor([0, 1, 2])))
print(f"// entr(int64) dtype: {torch.special.entr(torch.tensor([1])).dtype}")
v = torch.tensor([0.25, 1.0, 2.5, 0.0, -1.0], dtype=torch.float64, requires_grad=True)
torch.special.entr(v).sum().backward()
emit("k_entr_g", v.grad)

# entropy of distributions along the last dim (unnormalized rows, a zero probability).
p = torch.tensor([[0.2, 0.3, 0.5], [1.0, 0.0, 3.0], [2.0, 2.0, 2.0]], dtype=torch.float64, requires_grad=True)
h = Categorical(probs=p).entropy()
print("// p = [[0.2, 0.3, 0.5], [1, 0, 3], [2, 2, 2]]")
emit("k_entropy", h)
emit("k_entropy_dim0", Categorical(probs=p.detach().t()).entropy())
q = torch.tensor([[0.2, 0.3, 0.5], [1.0, 0.5, 3.0]], dtype=torch.float64, requires_grad=True)
Categorical(probs=q).entropy().sum().backward()
emit("k_entropy_g", q.grad)
