// Distances, cosine similarity and vector normalization, composed of differentiable tensor ops
// (so they differentiate to any order).
#include "soma/nn/functional/distance.h"

#include <algorithm>

#include "soma/math.h"
#include "soma/nn/functional/normalization.h"
#include "soma/reduce.h"

namespace soma::nn::functional {

namespace {

// x / max(||x||_2, eps) along d, the norm clamped the way PyTorch 1.13's cosine_similarity
// clamps it: in place without autograd, so the norm's gradient is x / max(||x||, eps) even
// where the clamp is active. sqrt(s + (max(s, eps^2) - s) held constant) has that value and
// that gradient, and differentiates again.
Tensor unit_vectors(const Tensor& x, int64_t d, double eps) {
  const Tensor squares = sum(x * x, {d}, true);
  const Tensor clamped = squares + (clamp_min(squares, eps * eps) - squares).detach();
  return x / sqrt(clamped);
}

}  // namespace

Tensor pairwise_distance(const Tensor& x1, const Tensor& x2, double p, double eps, bool keepdim) {
  SOMA_CHECK(is_floating(x1.dtype()) && is_floating(x2.dtype()),
             "pairwise_distance: expected floating-point inputs, got dtypes {} and {}", dtype_name(x1.dtype()),
             dtype_name(x2.dtype()));
  SOMA_CHECK(x1.dim() >= 1 || x2.dim() >= 1, "pairwise_distance: expected inputs [..., D], got two 0-d tensors");
  SOMA_CHECK(p > 0, "pairwise_distance: p must be positive (or inf), got {}", p);
  const int64_t last = std::max(x1.dim(), x2.dim()) - 1;
  return norm(x1 - x2 + eps, p, {last}, keepdim);
}

Tensor cosine_similarity(const Tensor& x1, const Tensor& x2, int64_t dim, double eps) {
  const DType dtype = promote_types(x1.dtype(), x2.dtype());
  SOMA_CHECK(is_floating(dtype), "cosine_similarity: expected floating-point inputs, got {} and {}",
             dtype_name(x1.dtype()), dtype_name(x2.dtype()));
  const Shape shape = broadcast_shapes(x1.shape(), x2.shape(), "cosine_similarity");
  const int64_t d = wrap_dim(dim, shape.size(), "cosine_similarity");
  const Tensor a = x1.to(dtype).expand(shape), b = x2.to(dtype).expand(shape);
  return sum(unit_vectors(a, d, eps) * unit_vectors(b, d, eps), {d});
}

Tensor normalize(const Tensor& input, double p, int64_t dim, double eps) {
  return input / clamp_min(norm(input, p, {dim}, true), eps);
}

}  // namespace soma::nn::functional
