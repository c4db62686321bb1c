# Golden values for tests/ops/test_reduce.cpp and test_softmax.cpp: prints C++ literals.
# Run: python3 tests/golden/gen_reduce.py
import torch

torch.set_printoptions(precision=17)
X = torch.tensor([[0.5, -1.25, 2.0, 3.5], [-0.75, 4.0, -2.5, 1.0], [3.0, 0.25, -1.5, 2.0]], dtype=torch.float64)


def num(v):
    v = float(v)
    return "NAN" if v != v else "INFINITY" if v == float("inf") else "-INFINITY" if v == -float("inf") else repr(v)


def lit(name, t):
    vals = ", ".join(num(v) for v in t.flatten().tolist())
    print(f"const std::vector<double> {name} = {{{vals}}};  // shape {list(t.shape)}")


def ilit(name, t):
    vals = ", ".join(str(int(v)) for v in t.flatten().tolist())
    print(f"const std::vector<int64_t> {name} = {{{vals}}};  // shape {list(t.shape)}")


lit("kX", X)
lit("kSum0", X.sum(0))
lit("kSum1", X.sum(1))
lit("kMean1", X.mean(1))
lit("kVar0", X.var(0))
lit("kVarBiased1", X.var(1, unbiased=False))
lit("kStdAll", X.std())
lit("kProd1", X.prod(1))
lit("kAmax0", X.amax(0))
lit("kAmin1", X.amin(1))
v, i = X.max(1)
lit("kMax1", v)
ilit("kMaxIdx1", i)
v, i = X.min(0)
lit("kMin0", v)
ilit("kMinIdx0", i)
ilit("kArgmaxAll", X.argmax().reshape(1))
lit("kLogsumexp1", X.logsumexp(1))
lit("kLogsumexp0", X.logsumexp(0))
inf, nan = float("inf"), float("nan")
lit("kLogsumexpSpecial", torch.tensor([[inf, 0.0, 1.0], [-inf, -inf, -inf], [nan, 0.0, 1.0], [1000.0, 1000.0, -inf]],
                                      dtype=torch.float64).logsumexp(1))
lit("kNorm2", X.norm(2))
lit("kNorm1Dim1", X.norm(1, dim=1))
lit("kNormInfDim0", X.norm(float("inf"), dim=0))
lit("kNorm3Dim1", X.norm(3, dim=1))
lit("kCumsum0", X.cumsum(0))
lit("kCumsum1", X.cumsum(1))
lit("kSoftmax1", X.softmax(1))
lit("kSoftmax0", X.softmax(0))
lit("kLogSoftmax1", X.log_softmax(1))
lit("kLogSoftmax0", X.log_softmax(0))
