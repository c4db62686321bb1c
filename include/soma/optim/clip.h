#pragma once
// Gradient clipping, in place on the parameters' .grad (parameters without one are skipped).
#include <limits>

#include "soma/tensor.h"

namespace soma::optim {

inline constexpr double kInfNorm = std::numeric_limits<double>::infinity();

// Scales all gradients together so that their total norm (the norm of the norms of each
// gradient; norm_type kInfNorm for the max-abs norm) is at most max_norm: each is multiplied
// by min(1, max_norm / (total + 1e-6)), as torch.nn.utils.clip_grad_norm_. Returns the total
// norm before clipping. A NaN total norm scales every gradient by NaN, an infinite one by 0 (as
// PyTorch); with error_if_nonfinite such a norm throws instead, leaving the gradients as they are.
double clip_grad_norm_(const TensorList& params, double max_norm, double norm_type = 2,
                       bool error_if_nonfinite = false);
// Clamps every gradient element to [-clip_value, clip_value].
void clip_grad_value_(const TensorList& params, double clip_value);

}  // namespace soma::optim
