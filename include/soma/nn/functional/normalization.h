#pragma once
// Normalization functions (fused kernels with hand-written backward; double backward through
// the same formulas written in tensor ops). Inputs are floating point; weight and bias are
// optional (undefined: no affine transform).
#include "soma/tensor.h"

namespace soma::nn::functional {

// input [N, C, *]. With `training`, normalizes with the batch statistics of each channel (biased
// variance) and, when running_mean / running_var [C] are defined, updates them in place:
// running = (1 - momentum) running + momentum batch (unbiased variance). Otherwise normalizes
// with the running statistics.
Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var,
                  const Tensor& weight = {}, const Tensor& bias = {}, bool training = false, double momentum = 0.1,
                  double eps = 1e-5);
// Normalizes over the trailing dims `normalized_shape`; weight and bias have that shape.
Tensor layer_norm(const Tensor& input, const Shape& normalized_shape, const Tensor& weight = {},
                  const Tensor& bias = {}, double eps = 1e-5);
// input [N, C, *]: normalizes each of num_groups groups of C / num_groups channels; weight and
// bias [C] are per channel.
Tensor group_norm(const Tensor& input, int64_t num_groups, const Tensor& weight = {}, const Tensor& bias = {},
                  double eps = 1e-5);
// input / max(||input||_p, eps), the p-norm taken along `dim` (F.normalize). Any p > 0 or inf.
Tensor normalize(const Tensor& input, double p = 2, int64_t dim = 1, double eps = 1e-12);

}  // namespace soma::nn::functional
