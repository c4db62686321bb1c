#pragma once
// Running products and log-sum-exps along one dim (cumsum lives with the reductions). `out` is
// contiguous with x's shape and dtype; x has any strides.
#include "soma/tensor.h"

namespace soma::kernels {

// out[i] = x[0] * ... * x[i] along `dim` (floating types accumulate in double, integers wrap).
void cumprod(const Tensor& out, const Tensor& x, int64_t dim);
// out[i] = log(exp(x[0]) + ... + exp(x[i])) along `dim` of a floating tensor, one stable
// log-add-exp per step (accumulating in double), as PyTorch's CPU kernel: -inf entries add
// nothing, +inf wins, NaN propagates.
void logcumsumexp(const Tensor& out, const Tensor& x, int64_t dim);

}  // namespace soma::kernels
