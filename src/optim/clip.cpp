#include "soma/optim/clip.h"

#include <cmath>

#include "soma/grad_mode.h"
#include "soma/math.h"
#include "soma/reduce.h"
#include "soma/views.h"

namespace soma::optim {

double clip_grad_norm_(const TensorList& params, double max_norm, double norm_type, bool error_if_nonfinite) {
  SOMA_CHECK(norm_type > 0, "clip_grad_norm_: norm_type must be positive, got {}", norm_type);
  NoGradGuard no_grad;
  TensorList grads;
  for (const Tensor& p : params)
    if (p.grad().defined()) grads.push_back(p.grad());
  if (grads.empty()) return 0.0;
  // Each gradient's norm in float64, then the norm of those: the same total as PyTorch's.
  double total = 0;
  const bool inf = std::isinf(norm_type);
  for (const Tensor& g : grads) {
    const double n = inf ? g.abs().max().item() : g.norm(norm_type).item();
    if (std::isnan(n) || std::isnan(total))
      total = NAN;
    else
      total = inf ? std::max(total, n) : total + std::pow(n, norm_type);
  }
  if (!inf) total = std::pow(total, 1.0 / norm_type);
  SOMA_CHECK(!error_if_nonfinite || std::isfinite(total),
             "clip_grad_norm_: the total norm of order {} of the gradients is non-finite ({}), so it cannot be "
             "clipped; set error_if_nonfinite = false to scale the gradients by it anyway",
             norm_type, total);
  // As torch.clamp(coef, max=1): a nan norm gives a nan coefficient (std::min(1, nan) would be
  // 1 and leave the gradients as they are), an infinite one 0.
  const double coef = std::isnan(total) ? total : std::min(1.0, max_norm / (total + 1e-6));
  if (!(coef == 1.0))
    for (const Tensor& g : grads) Tensor(g).mul_(coef);
  return total;
}

void clip_grad_value_(const TensorList& params, double clip_value) {
  SOMA_CHECK(clip_value >= 0, "clip_grad_value_: clip_value must be >= 0, got {}", clip_value);
  NoGradGuard no_grad;
  for (const Tensor& p : params)
    if (p.grad().defined()) Tensor(p.grad()).clamp_(-clip_value, clip_value);
}

}  // namespace soma::optim
