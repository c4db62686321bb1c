#pragma once
// Gathering, scattering, masking and sorting. Index tensors are int64 (int32 accepted);
// out-of-range indices raise an Error naming the op, the index, the dim and its size.
// gather/scatter rules (as in PyTorch): index has as many dims as the input, is no larger than
// the input in every dim but `dim` and no larger than src in any dim.
#include <utility>

#include "soma/tensor.h"

namespace soma {

// The slices index[i] of a along dim (index 0-d or 1-D).
Tensor index_select(const Tensor& a, int64_t dim, const Tensor& index);
// out[p] = a[p with p[dim] replaced by index[p]]; out has index's shape.
Tensor gather(const Tensor& a, int64_t dim, const Tensor& index);
// A copy of `a` with src written at `index` along dim (the last write wins for duplicates).
Tensor scatter(const Tensor& a, int64_t dim, const Tensor& index, const Tensor& src);
Tensor scatter(const Tensor& a, int64_t dim, const Tensor& index, Scalar value);
// A copy of `a` with src added at `index` along dim (duplicates accumulate).
Tensor scatter_add(const Tensor& a, int64_t dim, const Tensor& index, const Tensor& src);
// Adds src[i] into a's slice index[i] along dim (duplicates accumulate); the gradient of index_select.
Tensor index_add(const Tensor& a, int64_t dim, const Tensor& index, const Tensor& src);
// a with value where the bool mask (broadcast with a) is true.
Tensor masked_fill(const Tensor& a, const Tensor& mask, Scalar value);
// The elements where mask (broadcast to a) is true, as a 1-D tensor.
Tensor masked_select(const Tensor& a, const Tensor& mask);
// Coordinates of the nonzero elements: [count, ndim] int64.
Tensor nonzero(const Tensor& a);
// gather with a and indices broadcast against each other outside dim.
Tensor take_along_dim(const Tensor& a, const Tensor& indices, int64_t dim);
// Stable sort along dim (NaN sorts as the largest value): values and int64 indices.
std::pair<Tensor, Tensor> sort(const Tensor& a, int64_t dim = -1, bool descending = false);
Tensor argsort(const Tensor& a, int64_t dim = -1, bool descending = false);
// The k largest (or smallest) along dim, in sorted order (ties: lower index first): values and indices.
std::pair<Tensor, Tensor> topk(const Tensor& a, int64_t k, int64_t dim = -1, bool largest = true);
// A one-hot encoding of int64 class indices: shape [..., num_classes], int64 (num_classes = -1:
// the largest index + 1).
Tensor one_hot(const Tensor& indices, int64_t num_classes = -1);

}  // namespace soma
