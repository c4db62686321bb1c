#pragma once
// Activation functions. The pointwise ones run a vectorized forward kernel and a one-pass
// backward kernel (g * f'(x)); under create_graph the backward is written in tensor ops, so all
// differentiate twice. Inputs are floating point.
#include <string_view>

#include "soma/random.h"
#include "soma/tensor.h"

namespace soma::nn::functional {

Tensor relu(const Tensor& x);
Tensor leaky_relu(const Tensor& x, double negative_slope = 0.01);
// x for x > 0, weight * x otherwise; weight has 1 element or one per channel (dim 1 of x).
Tensor prelu(const Tensor& x, const Tensor& weight);
// Randomized leaky ReLU: in training each negative element gets a slope drawn from
// U(lower, upper); in evaluation the slope is (lower + upper) / 2.
Tensor rrelu(const Tensor& x, double lower = 1.0 / 8, double upper = 1.0 / 3, bool training = false,
             Generator* gen = nullptr);
Tensor elu(const Tensor& x, double alpha = 1.0);
// scale * elu(x, alpha) with the self-normalizing constants.
Tensor selu(const Tensor& x);
// x * Phi(x) (approximate "none": erf form) or its tanh approximation (approximate "tanh").
Tensor gelu(const Tensor& x, std::string_view approximate = "none");
Tensor silu(const Tensor& x);  // x * sigmoid(x)
Tensor sigmoid(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor hardtanh(const Tensor& x, double min_val = -1.0, double max_val = 1.0);
// log(1 + exp(beta x)) / beta, and x itself where beta x > threshold.
Tensor softplus(const Tensor& x, double beta = 1.0, double threshold = 20.0);
Tensor softsign(const Tensor& x);  // x / (1 + |x|)
Tensor abs(const Tensor& x);
// Max over groups of `pieces` consecutive features of the last dim: [..., out * pieces] -> [..., out].
Tensor maxout(const Tensor& x, int64_t pieces);
// Gaussian radial basis units: x [..., in], centres [out, in], log_sigma [out] ->
// exp(-||x - c||^2 / (2 sigma^2)) of shape [..., out].
Tensor rbf(const Tensor& x, const Tensor& centres, const Tensor& log_sigma);
Tensor softmax(const Tensor& x, int64_t dim);
Tensor log_softmax(const Tensor& x, int64_t dim);

}  // namespace soma::nn::functional
