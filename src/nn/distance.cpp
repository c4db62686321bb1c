// Distances between rows, composed from differentiable ops (so they differentiate twice).
#include "soma/nn/functional/distance.h"

#include <algorithm>

#include "soma/math.h"
#include "soma/reduce.h"

namespace soma::nn::functional {

Tensor pairwise_distance(const Tensor& x1, const Tensor& x2, double p, double eps, bool keepdim) {
  SOMA_CHECK(is_floating(x1.dtype()) && is_floating(x2.dtype()),
             "pairwise_distance: expected floating-point inputs, got dtypes {} and {}", dtype_name(x1.dtype()),
             dtype_name(x2.dtype()));
  SOMA_CHECK(x1.dim() >= 1 || x2.dim() >= 1, "pairwise_distance: expected inputs [..., D], got two 0-d tensors");
  SOMA_CHECK(p > 0, "pairwise_distance: p must be positive (or inf), got {}", p);
  const int64_t last = std::max(x1.dim(), x2.dim()) - 1;
  return norm(x1 - x2 + eps, p, {last}, keepdim);
}

}  // namespace soma::nn::functional
