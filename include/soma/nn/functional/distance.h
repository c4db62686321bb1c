#pragma once
// Similarity and distance between vectors (composites of differentiable tensor ops, so they
// differentiate to any order). torch.cdist is soma::cdist (soma/linalg.h).
#include "soma/tensor.h"

namespace soma::nn::functional {

// Cosine similarity along `dim` of x1 and x2 (which broadcast): sum(x1 x2) / sqrt(clamp_min(
// |x1|^2 |x2|^2, eps^2)), PyTorch 1.13's formula. The result drops `dim`.
Tensor cosine_similarity(const Tensor& x1, const Tensor& x2, int64_t dim = 1, double eps = 1e-8);

}  // namespace soma::nn::functional
