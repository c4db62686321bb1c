#pragma once
// Shape operations. Those that can share storage return views (writes through a view show in
// the original): view, permute, transpose, squeeze/unsqueeze, expand, narrow, slice, select,
// unfold, split, chunk, unflatten, movedim, broadcast_to; reshape/flatten return a view when
// the strides allow and a copy otherwise. cat, stack and flip always copy. All are
// differentiable, to any order.
#include <optional>

#include "soma/tensor.h"

namespace soma {

Tensor view(const Tensor& a, const Shape& shape);  // one size may be -1
Tensor reshape(const Tensor& a, const Shape& shape);
Tensor permute(const Tensor& a, const Dims& dims);
Tensor transpose(const Tensor& a, int64_t dim0, int64_t dim1);
Tensor squeeze(const Tensor& a);
Tensor squeeze(const Tensor& a, int64_t dim);
Tensor unsqueeze(const Tensor& a, int64_t dim);
Tensor expand(const Tensor& a, const Shape& shape);
Tensor broadcast_to(const Tensor& a, const Shape& shape);
Tensor narrow(const Tensor& a, int64_t dim, int64_t start, int64_t length);
// Python-style a[start:end:step] along dim (negative start/end count from the end; step > 0).
Tensor slice(const Tensor& a, int64_t dim, std::optional<int64_t> start, std::optional<int64_t> end,
             int64_t step = 1);
Tensor select(const Tensor& a, int64_t dim, int64_t index);
Tensor flatten(const Tensor& a, int64_t start_dim = 0, int64_t end_dim = -1);
Tensor unflatten(const Tensor& a, int64_t dim, const Shape& sizes);
// Sliding windows of `size` with `step` along dim, as a new last dim (a view).
Tensor unfold(const Tensor& a, int64_t dim, int64_t size, int64_t step);
// Inputs are promoted to a common dtype; 1-D empty tensors are skipped, as in PyTorch.
Tensor cat(const TensorList& tensors, int64_t dim = 0);
Tensor stack(const TensorList& tensors, int64_t dim = 0);
// Pieces of split_size (the last may be smaller), or of the given sizes.
TensorList split(const Tensor& a, int64_t split_size, int64_t dim = 0);
TensorList split(const Tensor& a, const std::vector<int64_t>& sizes, int64_t dim = 0);
// At most `chunks` pieces of equal size (the last may be smaller).
TensorList chunk(const Tensor& a, int64_t chunks, int64_t dim = 0);
Tensor flip(const Tensor& a, const Dims& dims);
Tensor movedim(const Tensor& a, int64_t source, int64_t destination);

}  // namespace soma
