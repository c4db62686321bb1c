# Golden values for tests/nn/test_{activation,norm,loss,misc}.cpp, from PyTorch.
# Run: python3 tests/golden/gen_layers.py > /tmp/layers_golden.txt, then paste the blocks.
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)


def lit(t):
    return "{" + ", ".join(repr(float(v)) for v in t.detach().reshape(-1).tolist()) + "}"


def emit(name, t):
    print(f"const std::vector<double> {name} = {lit(t)};  // shape {list(t.shape)}")


# Inputs are closed-form so the C++ side builds them too: x[i] = 3 sin(1.7 i + 0.3) (i < n).
def xs(*shape):
    n = 1
    for s in shape:
        n *= s
    return (3 * torch.sin(1.7 * torch.arange(n, dtype=torch.float64) + 0.3)).reshape(shape)


print("// ---- activations: x = xs(12) ----")
x = xs(12)
emit("kLeakyRelu", F.leaky_relu(x, 0.1))
emit("kElu", F.elu(x, 0.7))
emit("kSelu", F.selu(x))
emit("kGelu", F.gelu(x))
emit("kGeluTanh", F.gelu(x, approximate="tanh"))
emit("kSilu", F.silu(x))
emit("kHardtanh", F.hardtanh(x, -0.5, 1.5))
emit("kSoftplus", F.softplus(x, beta=2.0, threshold=3.0))
emit("kSoftsign", F.softsign(x))
emit("kPrelu", F.prelu(xs(2, 3, 2), torch.tensor([0.1, 0.2, 0.3])))
emit("kRreluEval", F.rrelu(x, 0.1, 0.3, training=False))

print("// ---- normalization ----")
x = xs(2, 3, 4)
emit("kLayerNorm", F.layer_norm(x, [3, 4], torch.linspace(0.5, 1.5, 12).reshape(3, 4), torch.linspace(-1, 1, 12).reshape(3, 4)))
emit("kGroupNorm", F.group_norm(xs(2, 4, 3), 2, torch.tensor([1.0, 2.0, 3.0, 4.0]), torch.tensor([0.0, 0.1, 0.2, 0.3])))
bn = torch.nn.BatchNorm1d(3)
with torch.no_grad():
    bn.weight.copy_(torch.tensor([1.0, 0.5, 2.0]))
    bn.bias.copy_(torch.tensor([0.0, 1.0, -1.0]))
for step in range(3):
    y = bn(xs(4, 3, 2) * (step + 1) + step)
emit("kBnTrainOut", y)
emit("kBnRunningMean", bn.running_mean)
emit("kBnRunningVar", bn.running_var)
bn.eval()
emit("kBnEvalOut", bn(xs(4, 3, 2)))
bn = torch.nn.BatchNorm2d(2, momentum=None)
for step in range(3):
    bn(xs(2, 2, 2, 2) + step)
emit("kBn2dCumMean", bn.running_mean)
emit("kBn2dCumVar", bn.running_var)

print("// ---- losses: logits = xs(4, 5), targets {1, 0, 4, 2} ----")
logits = xs(4, 5)
t = torch.tensor([1, 0, 4, 2])
w = torch.tensor([1.0, 2.0, 0.5, 1.5, 1.0])
print(f"const double kCe = {F.cross_entropy(logits, t).item()!r};")
print(f"const double kCeWeighted = {F.cross_entropy(logits, t, weight=w).item()!r};")
print(f"const double kCeSmooth = {F.cross_entropy(logits, t, label_smoothing=0.2).item()!r};")
print(f"const double kCeAll = {F.cross_entropy(logits, torch.tensor([1, -100, 4, 2]), weight=w, label_smoothing=0.1).item()!r};")
print(f"const double kCeIgnoreSmooth = {F.cross_entropy(logits, torch.tensor([1, 3, -100, 2]), label_smoothing=0.3).item()!r};")
emit("kCeNone", F.cross_entropy(logits, t, reduction="none"))
x3 = xs(2, 3, 2)  # [N, C, d]
print(f"const double kCe3d = {F.cross_entropy(x3, torch.tensor([[0, 2], [1, 1]])).item()!r};")
probs = torch.softmax(xs(4, 5) * 0.5 + 1, 1)
print(f"const double kCeProbs = {F.cross_entropy(logits, probs, weight=w, label_smoothing=0.1).item()!r};")
print(f"const double kNll = {F.nll_loss(torch.log_softmax(logits, 1), t, weight=w).item()!r};")
p = torch.sigmoid(xs(6))
y = torch.tensor([1.0, 0.0, 1.0, 1.0, 0.0, 0.5])
print(f"const double kBce = {F.binary_cross_entropy(p, y).item()!r};")
print(f"const double kBceLogits = {F.binary_cross_entropy_with_logits(xs(6), y, pos_weight=torch.tensor(2.0)).item()!r};")
a, b = xs(6), torch.cos(torch.arange(6.0))
print(f"const double kMse = {F.mse_loss(a, b).item()!r};")
print(f"const double kL1 = {F.l1_loss(a, b, reduction='sum').item()!r};")
print(f"const double kSmoothL1 = {F.smooth_l1_loss(a, b, beta=0.5).item()!r};")
print(f"const double kHuber = {F.huber_loss(a, b, delta=1.5).item()!r};")
lp = torch.log_softmax(xs(2, 3), 1)
tp = torch.softmax(torch.cos(torch.arange(6.0)).reshape(2, 3), 1)
print(f"const double kKlBatchMean = {F.kl_div(lp, tp, reduction='batchmean').item()!r};")
print(f"const double kKlLogTarget = {F.kl_div(lp, tp.log(), reduction='sum', log_target=True).item()!r};")
print(f"const double kHinge = {F.hinge_embedding_loss(xs(6), torch.tensor([1.0, -1, -1, 1, -1, 1]), margin=1.5).item()!r};")
print(f"const double kMultiMargin = {F.multi_margin_loss(logits, t, p=2, margin=0.8, weight=w).item()!r};")
print(f"const double kMarginRanking = {F.margin_ranking_loss(a, b, torch.tensor([1.0, -1, 1, -1, 1, -1]), margin=0.3).item()!r};")

print("// ---- bilinear: x1 = xs(2, 3), x2 = cos(arange(8)).reshape(2, 4), weight = xs(2, 3, 4) / 3, bias {0.5, -0.5} ----")
emit("kBilinear", F.bilinear(xs(2, 3), torch.cos(torch.arange(8.0)).reshape(2, 4), xs(2, 3, 4) / 3, torch.tensor([0.5, -0.5])))
