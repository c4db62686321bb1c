#pragma once
// Raw gather/scatter/mask/sort kernels (no autograd, no argument checks: the ops in
// ops/indexing.cpp validate shapes and indices first). Index tensors are int64 with every
// value in range. Loops run in parallel over positions outside the indexed dim; positions
// along it run in order on one thread, so duplicate targets give the same result every time.
#include <utility>

#include "soma/tensor.h"

namespace soma::kernels {

// For every position p of index's shape: out[p] = self[p with p[dim] := index[p]].
// out has index's shape; self covers it in every dim but dim.
void gather(const Tensor& out, const Tensor& self, int64_t dim, const Tensor& index);

enum class ScatterMode { Assign, Add };
// For every position p of index's shape: self[p with p[dim] := index[p]] = src[p] (Assign: of
// duplicates the last along dim wins) or += src[p] (Add). src and self cover index's shape.
void scatter(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src, ScatterMode mode);
void scatter_fill(const Tensor& self, int64_t dim, const Tensor& index, Scalar value);

// dst += src (same shape), serially, so dst may overlap itself (an unfolded view).
void accumulate(const Tensor& dst, const Tensor& src);

// out = mask ? value : a, with a and mask broadcast to out (out may be a itself).
void masked_fill(const Tensor& out, const Tensor& a, const Tensor& mask, Scalar value);

// The smallest and largest value of a non-empty int64 tensor.
std::pair<int64_t, int64_t> min_max(const Tensor& index);

// The coordinates of the nonzero elements in row-major order, as [count, ndim] int64; with
// `flat`, their row-major linear indices instead, as [count].
Tensor nonzero(const Tensor& a, bool flat = false);

// Sorts each slice of src along dim (ascending or descending; ties keep their order; NaN is
// the largest value) and writes the first values.size(dim) of them into values (src's dtype)
// and their positions into indices (int64). Fewer than src.size(dim) is a top-k.
void sort(const Tensor& values, const Tensor& indices, const Tensor& src, int64_t dim, bool descending);

}  // namespace soma::kernels
