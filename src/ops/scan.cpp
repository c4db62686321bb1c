// The running product and log-sum-exp along a dim (cumsum is with the reductions). Forward by
// kernels/cpu/scan.h; backward formulas written with Tensor ops, so they differentiate again.
#include <limits>

#include "autograd/node.h"
#include "kernels/cpu/scan.h"
#include "ops/elementwise.h"
#include "ops/util.h"
#include "soma/math.h"
#include "soma/reduce.h"
#include "soma/views.h"

namespace soma {

using autograd::GradMask;
using autograd::SavedTensor;

namespace {

// sum over j >= i along d (the adjoint of cumsum).
Tensor reverse_cumsum(const Tensor& t, int64_t d) { return flip(cumsum(flip(t, {d}), d), {d}); }

// The same gradient as a function of x that differentiates again where x has zeros (the masked
// formula below is right in value there but not in its derivative): for each i,
// sum_{k >= i} g_k (prod_{j < i} x_j) (prod_{i < j <= k} x_j). O(N^2) in the dim's size N, so it
// is used only for a double backward through zeros, as in PyTorch.
Tensor cumprod_grad_differentiable(const Tensor& g, const Tensor& x, int64_t d) {
  const int64_t n = x.size(d);
  Shape one_shape = x.shape();
  one_shape[d] = 1;
  const Tensor one = ones(one_shape, x.dtype());
  TensorList parts;
  for (int64_t i = 0; i < n; ++i) {
    Tensor omitted = one;  // the products for k = i, i + 1, ..., n - 1
    if (i + 1 < n) omitted = cat({one, cumprod(narrow(x, d, i + 1, n - i - 1), d)}, d);
    if (i > 0) omitted = omitted * narrow(cumprod(narrow(x, d, 0, i), d), d, i - 1, 1);
    parts.push_back(sum(narrow(g, d, i, n - i) * omitted, {d}, true));
  }
  return cat(parts, d);
}

// d/dx_i of sum_k g_k y_k, y = cumprod(x): sum_{k >= i} g_k prod_{j <= k, j != i} x_j. Before the
// first zero of a line this is reverse_cumsum(g y) / x_i. At the first zero z it is
// reverse_cumsum(g y')_z with y' the cumprod of x with that zero replaced by 1; after z every
// product holds x_z = 0. No division by zero, as PyTorch's cumprod_backward.
Tensor cumprod_grad(const Tensor& g, const Tensor& x, const Tensor& y, int64_t d) {
  const Tensor zero = eq(x, 0);
  const Tensor zeros_so_far = cumsum(zero, d);  // int64
  const Tensor before = eq(zeros_so_far, 0);
  const Tensor first_zero = logical_and(zero, eq(zeros_so_far, 1));
  const Tensor one = scalar_tensor(1, x.dtype()), nothing = scalar_tensor(0, x.dtype());
  Tensor grad = where(before, reverse_cumsum(g * y, d) / where(before, x, one), nothing);
  if (!any(first_zero).item<bool>()) return grad;
  if (is_grad_enabled()) return cumprod_grad_differentiable(g, x, d);
  const Tensor y_skip = cumprod(where(first_zero, one, x), d);
  return where(first_zero, reverse_cumsum(g * y_skip, d), grad);
}

// d/dx_i of sum_k g_k y_k, y = logcumsumexp(x): sum_{k >= i} g_k exp(x_i - y_k), summed in log
// space separately for the positive and the negative g (PyTorch's logcumsumexp_backward).
Tensor logcumsumexp_grad(const Tensor& g, const Tensor& x, const Tensor& y, int64_t d) {
  auto reverse_logcumsumexp = [d](const Tensor& t) { return flip(logcumsumexp(flip(t, {d}), d), {d}); };
  const double lowest_value =
      g.dtype() == kFloat64 ? std::numeric_limits<double>::lowest() : std::numeric_limits<float>::lowest();
  const Tensor lowest = scalar_tensor(lowest_value, g.dtype());  // log(0) replaced by the lowest finite value
  const Tensor log_abs_g = log(abs(g));
  const Tensor log_pos = where(gt(g, 0), log_abs_g, lowest);
  const Tensor log_neg = where(lt(g, 0), log_abs_g, lowest);
  return exp(reverse_logcumsumexp(log_pos - y) + x) - exp(reverse_logcumsumexp(log_neg - y) + x);
}

}  // namespace

Tensor cumprod(const Tensor& a, int64_t dim) {
  const int64_t d = wrap_dim(dim, a.dim(), "cumprod");
  const DType rt = is_floating(a.dtype()) ? a.dtype() : kInt64;
  const DType ct = compute_dtype(rt);
  Tensor out = empty(a.shape(), ct);
  kernels::cumprod(out, ops::cast(a.detach(), ct), d);
  out = ops::cast(out, rt);
  if (autograd::needs_grad(a)) {
    autograd::record("cumprod", out, {a}, [sx = SavedTensor(a), sy = SavedTensor::output(out), d](
                                              const Tensor& g, GradMask) -> TensorList {
      if (g.dim() == 0 || g.numel() == 0) return {g};
      const Tensor& x = sx.get();
      // The output saved without history: recompute it when the gradient is differentiated again.
      const Tensor y = is_grad_enabled() ? cumprod(x, d) : sy.get();
      return {cumprod_grad(g, x, y, d)};
    });
  }
  return out;
}

Tensor logcumsumexp(const Tensor& a, int64_t dim) {
  const int64_t d = wrap_dim(dim, a.dim(), "logcumsumexp");
  SOMA_CHECK(is_floating(a.dtype()), "logcumsumexp: expected a floating-point input, got dtype {}",
             dtype_name(a.dtype()));
  const DType ct = compute_dtype(a.dtype());
  Tensor out = empty(a.shape(), ct);
  kernels::logcumsumexp(out, ops::cast(a.detach(), ct), d);
  out = ops::cast(out, a.dtype());
  if (autograd::needs_grad(a)) {
    autograd::record("logcumsumexp", out, {a}, [sx = SavedTensor(a), sy = SavedTensor::output(out), d](
                                                   const Tensor& g, GradMask) -> TensorList {
      if (g.dim() == 0 || g.numel() == 0) return {g};
      const Tensor& x = sx.get();
      const Tensor y = is_grad_enabled() ? logcumsumexp(x, d) : sy.get();
      return {logcumsumexp_grad(g, x, y, d)};
    });
  }
  return out;
}

Tensor Tensor::cumprod(int64_t dim) const { return soma::cumprod(*this, dim); }
Tensor Tensor::logcumsumexp(int64_t dim) const { return soma::logcumsumexp(*this, dim); }

}  // namespace soma
