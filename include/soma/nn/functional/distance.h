#pragma once
// Distances and similarities between vectors, as in torch.nn.functional (composites of
// differentiable tensor ops, so they differentiate to any order). torch.cdist is soma::cdist
// (soma/linalg.h).
#include "soma/tensor.h"

namespace soma::nn::functional {

// The p-norm of (x1 - x2 + eps) over the last dim (x1 and x2 broadcast), as in PyTorch: eps
// keeps the norm's gradient finite when x1 == x2. [..., D] -> [...] ([..., 1] with keepdim).
// p > 0 (inf allowed).
Tensor pairwise_distance(const Tensor& x1, const Tensor& x2, double p = 2.0, double eps = 1e-6, bool keepdim = false);

// Cosine similarity along `dim` of x1 and x2 (which broadcast): the dot product of
// x1 / max(|x1|, eps) and x2 / max(|x2|, eps), PyTorch 1.13's formula (each norm clamped on its
// own). The result drops `dim`.
Tensor cosine_similarity(const Tensor& x1, const Tensor& x2, int64_t dim = 1, double eps = 1e-8);

}  // namespace soma::nn::functional
