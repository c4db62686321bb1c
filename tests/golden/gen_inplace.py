#!/usr/bin/env python3
"""Golden values for tests/autograd/test_inplace_views.cpp: in-place ops on views under autograd
(PyTorch rewrites the base's history with CopySlices), computed by torch.

Run: python3 tests/golden/gen_inplace.py  (prints C++ literals to paste into the test)
"""
import torch

torch.set_default_dtype(torch.float64)


def emit(name, t):
    vals = ", ".join(repr(v) for v in t.detach().flatten().tolist())
    print(f"const std::vector<double> {name} = {{{vals}}};  // shape {list(t.shape)}")


X = [[0.5, -1.0, 2.0, 3.5], [4.0, -2.5, 0.25, 1.5], [-0.75, 3.0, -3.0, 2.5]]
W = [[1.5, -0.5], [2.0, 0.25]]

# Case 1: mul_ on a strided slice, div_ on a column of a transposed view, copy_ into a row,
# add_ with alpha on a narrowed view of a view.
x = torch.tensor(X, requires_grad=True)
w = torch.tensor(W, requires_grad=True)
y = x * x
y[1:, ::2].mul_(w)                            # rows 1-2, columns 0 and 2
y.t()[3].div_(x[:, 1] * x[:, 1] + 1.0)        # column 3
y[0].copy_(w.flatten().sin())                 # row 0
y[:, 1:].narrow(1, 1, 2)[2].add_(w[0], alpha=-2.0)  # y[2, 2:4]
loss = (y * y.cos()).sum()
loss.backward()
emit("kCase1Y", y)
emit("kCase1GradX", x.grad)
emit("kCase1GradW", w.grad)

# Case 2: masked_fill_ on a select, clamp_ on a narrow, relu_ on the whole base.
x = torch.tensor(X, requires_grad=True)
y = x * 3.0 + 1.0
y.select(1, 2).masked_fill_(torch.tensor([True, False, True]), 0.5)
y.narrow(0, 0, 2).clamp_(min=-1.0, max=8.0)
y.relu_()
loss = (y * y).sum()
loss.backward()
emit("kCase2Y", y)
emit("kCase2GradX", x.grad)
