#!/usr/bin/env python3
"""Golden values for tests/ops/test_indexing.cpp and tests/ops/test_views.cpp, computed by torch.

Run: python3 tests/golden/gen_index.py  (prints C++ literals to paste into the tests)
"""
import math

import torch

torch.set_default_dtype(torch.float64)


def lit(t):
    vals = t.flatten().tolist()

    def one(v):
        if isinstance(v, bool):
            return "1" if v else "0"
        if isinstance(v, int):
            return str(v)
        if math.isnan(v):
            return "kNaN"
        if math.isinf(v):
            return "kInf" if v > 0 else "-kInf"
        return repr(v)

    return "{" + ", ".join(one(v) for v in vals) + "}"


def emit(name, t):
    print(f"const std::vector<double> {name} = {lit(t)};  // shape {list(t.shape)}")


X = torch.tensor([[0.5, -1.0, 2.0, 3.5], [4.0, -2.5, 0.0, 1.5], [7.0, 6.0, -3.0, 2.5]])

# gather / scatter / index ops on X
emit("kGatherDim1", X.gather(1, torch.tensor([[0, 0, 3], [1, 2, 1], [3, 3, 0]])))
emit("kGatherDim0", X.gather(0, torch.tensor([[2, 1, 0, 0], [0, 0, 1, 2]])))
S_IDX = torch.tensor([[0, 1, 2], [4, 4, 0], [1, 3, 3]])
emit("kScatterDim1", torch.zeros(3, 5).scatter(1, S_IDX, X))
emit("kScatterAddDim1", torch.ones(3, 5).scatter_add(1, S_IDX, X))
emit("kScatterValue", torch.zeros(3, 5).scatter(1, S_IDX, -7.0))
emit("kScatterAddDim0", torch.zeros(4, 4).scatter_add(0, torch.tensor([[3, 0, 3, 1], [3, 3, 0, 1]]), X))
emit("kIndexSelectDim0", X.index_select(0, torch.tensor([2, 0, 2])))
emit("kIndexSelectDim1", X.index_select(1, torch.tensor([3, 1])))
emit("kIndexAddDim0", X.index_add(0, torch.tensor([0, 2, 0]), torch.arange(12.0).view(3, 4)))
emit("kIndexAddDim1", X.index_add(1, torch.tensor([3, 3]), torch.arange(6.0).view(3, 2)))
emit("kTakeAlongDim", torch.take_along_dim(X, torch.tensor([[1], [0], [3]]), 1))
emit("kTakeAlongBroadcast", torch.take_along_dim(X, torch.tensor([[2, 0]]), 1))

# masks
M = torch.tensor([[True, False, True, False], [False, False, True, True], [True, True, False, False]])
emit("kMaskedFill", X.masked_fill(M, -1.0))
emit("kMaskedFillRow", X.masked_fill(torch.tensor([False, True, True, False]), 9.0))
emit("kMaskedSelect", X.masked_select(M))
emit("kMaskedSelectRow", X.masked_select(torch.tensor([False, True, True, False])))
emit("kNonzero", torch.tensor([[0.0, 1.0, 0.0], [2.0, 0.0, float("nan")]]).nonzero())
emit("kNonzero3d", (torch.arange(24).view(2, 3, 4) % 5 == 0).nonzero())
emit("kNonzeroTransposed", (torch.arange(24).view(2, 3, 4) % 5 == 0).transpose(0, 2).nonzero())

# sorting
V = torch.tensor([3.0, float("nan"), 1.0, 3.0, -float("inf"), 1.0, float("nan"), 0.0, float("inf"), 3.0])
v, i = V.sort(stable=True)
emit("kSortNaNValues", v)
emit("kSortNaNIndices", i)
v, i = V.sort(stable=True, descending=True)
emit("kSortNaNDescValues", v)
emit("kSortNaNDescIndices", i)
v, i = X.sort(0, descending=True)
emit("kSortDim0DescValues", v)
emit("kSortDim0DescIndices", i)
v, i = X.sort(1)
emit("kSortDim1Values", v)
emit("kSortDim1Indices", i)
v, i = X.topk(2, 1)
emit("kTopkLargestValues", v)
emit("kTopkLargestIndices", i)
v, i = X.topk(2, 0, largest=False)
emit("kTopkSmallestValues", v)
emit("kTopkSmallestIndices", i)
I = torch.tensor([5, -3, 5, 0, 2, -3, 5, 1], dtype=torch.int32)
v, i = I.sort(stable=True, descending=True)
emit("kSortIntDescValues", v)
emit("kSortIntDescIndices", i)

# views
emit("kUnfold1d", torch.arange(10.0).unfold(0, 3, 2))
emit("kUnfold2d", X.unfold(1, 2, 1))
emit("kUnfoldDim0", X.unfold(0, 2, 1))
emit("kFlip", X.flip([0, 1]))
emit("kFlipDim1", X.flip([1]))
emit("kSliceStep", X[:, 1::2])
emit("kSliceNeg", X[-2:, -3:-1])
emit("kCat", torch.cat([X[:, :1], torch.ones(3, 2, dtype=torch.int64), X[:, 3:]], 1))
emit("kStack1", torch.stack([X[0], X[2]], 1))
emit("kMovedim", torch.arange(24.0).view(2, 3, 4).movedim(2, 0))
print("// cat of int64 and float32 ->", torch.cat([torch.ones(2, dtype=torch.int64), torch.ones(2, dtype=torch.float32)]).dtype)
print("// cat of an empty float64 1-D and int32 ->", torch.cat([torch.tensor([]), torch.ones(2, 3, dtype=torch.int32)]).dtype)
print("// chunk sizes of 5 in 3:", [c.shape[0] for c in torch.arange(5).chunk(3)],
      "of 6 in 4:", [c.shape[0] for c in torch.arange(6).chunk(4)],
      "of 0 in 3:", [c.shape[0] for c in torch.arange(0).chunk(3)])
