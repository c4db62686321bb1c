#pragma once
// Distances between rows of two tensors, as in torch.nn.functional.
#include "soma/tensor.h"

namespace soma::nn::functional {

// The p-norm of (x1 - x2 + eps) over the last dim (x1 and x2 broadcast), as in PyTorch: eps
// keeps the norm's gradient finite when x1 == x2. [..., D] -> [...] ([..., 1] with keepdim).
// p > 0 (inf allowed).
Tensor pairwise_distance(const Tensor& x1, const Tensor& x2, double p = 2.0, double eps = 1e-6, bool keepdim = false);

}  // namespace soma::nn::functional
