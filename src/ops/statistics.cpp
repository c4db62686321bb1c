// Statistics built from differentiable primitives: torch.cov and the entropy of distributions.
#include "soma/creation.h"
#include "soma/linalg.h"
#include "soma/math.h"
#include "soma/reduce.h"

namespace soma {

namespace {

// fweights / aweights: 1-D (or 0-d), one per observation, nonnegative.
void check_weights(const Tensor& w, const char* name, int64_t observations) {
  SOMA_CHECK(w.dim() <= 1, "cov: expected {} to have one or fewer dimensions, got shape {}", name, w.shape());
  SOMA_CHECK(w.numel() == observations, "cov: expected {} to have one element per observation ({}), got {}", name,
             observations, w.numel());
  SOMA_CHECK(observations == 0 || w.min().item<double>() >= 0, "cov: {} cannot be negative", name);
}

}  // namespace

// As torch.cov (numpy.cov): the weighted mean of each variable, then
// (x - mean) diag(w) (x - mean)^T / (sum(w) - correction * sum(w * aweights) / sum(w)).
Tensor cov(const Tensor& input, int64_t correction, const Tensor& fweights, const Tensor& aweights) {
  SOMA_CHECK(input.dim() <= 2, "cov: expected input to have two or fewer dimensions ([variables, observations]), got "
             "shape {}", input.shape());
  SOMA_CHECK(input.dtype() != kBool, "cov: bool dtype is not supported for input");
  const Tensor in = input.dim() < 2 ? input.reshape({1, -1}) : input;
  const int64_t observations = in.size(1);
  Tensor w;
  if (fweights.defined()) {
    SOMA_CHECK(is_integral(fweights.dtype()), "cov: expected fweights to have an integer dtype, got {}",
               dtype_name(fweights.dtype()));
    check_weights(fweights, "fweights", observations);
    w = fweights;
  }
  if (aweights.defined()) {
    SOMA_CHECK(is_floating(aweights.dtype()), "cov: expected aweights to have a floating-point dtype, got {}",
               dtype_name(aweights.dtype()));
    check_weights(aweights, "aweights", observations);
    w = w.defined() ? w * aweights : aweights;
  }
  const Tensor w_sum = w.defined() ? w.sum() : scalar_tensor(observations, kInt64);
  SOMA_CHECK(!w.defined() || w_sum.item<double>() != 0, "cov: the weights sum to zero, so they cannot be normalized");
  const Tensor avg = (w.defined() ? in * w : in).sum({1}) / w_sum;
  Tensor norm_factor = w.defined() && aweights.defined() && correction != 0
                           ? w_sum - (w * aweights).sum() * static_cast<double>(correction) / w_sum
                           : w_sum - correction;
  // No degrees of freedom left: PyTorch divides by 0 (giving inf / nan) after a warning.
  if (norm_factor.item<double>() <= 0) norm_factor = zeros({}, norm_factor.dtype());
  const Tensor centered = in - avg.unsqueeze(1);
  const Tensor weighted = w.defined() ? centered * w : centered;
  return div(mm(centered, weighted.t()), norm_factor).squeeze();
}

Tensor entropy(const Tensor& p, int64_t dim) {
  const int64_t d = wrap_dim(dim, p.dim(), "entropy");
  const Tensor normalized = div(p, p.sum({d}, true));
  return special::entr(normalized).sum({d});
}

}  // namespace soma
