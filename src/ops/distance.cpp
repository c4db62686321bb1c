// torch.cdist: pairwise p-norm distances. The differences [..., P, R, M] come from a
// differentiable broadcast subtraction; the norm over M has PyTorch's gradient, which is 0 at a
// zero distance and at a zero coordinate, and gives every tied coordinate of an inf-norm the
// whole gradient.
#include <cmath>

#include "autograd/node.h"
#include "soma/creation.h"
#include "soma/linalg.h"
#include "soma/math.h"
#include "soma/reduce.h"

namespace soma {

using autograd::GradMask;
using autograd::SavedTensor;

namespace {

// max |diff| over the last dim; the gradient sign(diff) goes to every coordinate that attains
// the maximum. The value is the (constant) maximum, plus terms that are 0 but carry that gradient.
Tensor inf_distance(const Tensor& diff) {
  const Tensor a = abs(diff);
  const Tensor top = amax(a.detach(), {-1}, true);
  const Tensor hit = eq(a.detach(), top).to(diff.dtype());
  return (top + sum((a - a.detach()) * hit, {-1}, true)).squeeze(-1);
}

// (sum |diff|^p)^(1/p) over the last dim for a general p > 0, with the gradient
// sign(diff) (|diff| / dist)^(p - 1), taken as 0 where diff or dist is 0 (written with Tensor ops,
// so it differentiates again).
Tensor lp_distance(const Tensor& diff, double p) {
  Tensor dist = norm(diff.detach(), p, {-1});
  if (autograd::needs_grad(diff)) {
    autograd::record("cdist", dist, {diff}, [sd = SavedTensor(diff), sy = SavedTensor::output(dist), p](
                                                const Tensor& g, GradMask) -> TensorList {
      const Tensor& x = sd.get();
      const Tensor y = (is_grad_enabled() ? lp_distance(x, p) : sy.get()).unsqueeze(-1);
      const Tensor one = scalar_tensor(1, x.dtype()), zero = scalar_tensor(0, x.dtype());
      const Tensor y_zero = eq(y.detach(), 0);
      const Tensor ratio = abs(x) / where(y_zero, one, y);
      const Tensor d = sign(x.detach()) * pow(ratio, p - 1);
      return {g.unsqueeze(-1) * where(logical_or(eq(x.detach(), 0), y_zero), zero, d)};
    });
  }
  return dist;
}

// The number of coordinates that differ: piecewise constant, so a zero gradient (as PyTorch).
Tensor count_distance(const Tensor& diff) {
  Tensor count = ne(diff.detach(), 0).to(diff.dtype()).sum({-1});
  if (autograd::needs_grad(diff)) {
    autograd::record("cdist", count, {diff},
                     [shape = diff.shape(), dtype = diff.dtype()](const Tensor&, GradMask) -> TensorList {
                       return {zeros(shape, dtype)};
                     });
  }
  return count;
}

}  // namespace

Tensor cdist(const Tensor& x1, const Tensor& x2, double p) {
  SOMA_CHECK(x1.dim() >= 2 && x2.dim() >= 2,
             "cdist: expected x1 [..., P, M] and x2 [..., R, M] with at least 2 dims, got shapes {} and {}", x1.shape(),
             x2.shape());
  SOMA_CHECK(x1.size(-1) == x2.size(-1),
             "cdist: x1 and x2 must have the same number of columns M, got shapes {} and {}", x1.shape(), x2.shape());
  SOMA_CHECK(is_floating(x1.dtype()) && x1.dtype() == x2.dtype(),
             "cdist: expected x1 and x2 of one floating-point dtype, got {} and {}", dtype_name(x1.dtype()),
             dtype_name(x2.dtype()));
  SOMA_CHECK(p >= 0 && !std::isnan(p), "cdist: p must be a nonnegative number (or inf), got {}", p);
  const Shape batch1(std::span<const int64_t>(x1.shape()).first(x1.dim() - 2));
  const Shape batch2(std::span<const int64_t>(x2.shape()).first(x2.dim() - 2));
  broadcast_shapes(batch1, batch2, "cdist: the batch dims of x1 and x2");
  const Tensor diff = x1.unsqueeze(-2) - x2.unsqueeze(-3);  // [..., P, R, M]
  if (x1.size(-1) == 0) {  // no coordinates: every distance is 0
    Shape out = diff.shape();
    out.pop_back();
    return zeros(out, x1.dtype());
  }
  if (p == 0) return count_distance(diff);
  if (p == 1 || p == 2) return norm(diff, p, {-1});  // their gradients are 0 at 0 already
  if (std::isinf(p)) return inf_distance(diff);
  return lp_distance(diff, p);
}

}  // namespace soma
