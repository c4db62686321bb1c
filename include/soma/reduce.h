#pragma once
// Reductions over any set of dims (an empty Dims means all of them), with keepdim, plus the
// scans and softmax. Differentiable where the math is.
#include <optional>
#include <utility>

#include "soma/tensor.h"

namespace soma {

Tensor sum(const Tensor& a, const Dims& dims = {}, bool keepdim = false);
// Sums `a` down to `shape` (the shape it was broadcast from): the gradient of broadcasting.
Tensor sum_to(const Tensor& a, const Shape& shape);
Tensor mean(const Tensor& a, const Dims& dims = {}, bool keepdim = false);
Tensor var(const Tensor& a, const Dims& dims = {}, bool unbiased = true, bool keepdim = false);
Tensor std(const Tensor& a, const Dims& dims = {}, bool unbiased = true, bool keepdim = false);
Tensor prod(const Tensor& a, const Dims& dims = {}, bool keepdim = false);
Tensor amax(const Tensor& a, const Dims& dims = {}, bool keepdim = false);
Tensor amin(const Tensor& a, const Dims& dims = {}, bool keepdim = false);
// Maximum/minimum along one dim: values and their int64 indices (first occurrence).
std::pair<Tensor, Tensor> max(const Tensor& a, int64_t dim, bool keepdim = false);
std::pair<Tensor, Tensor> min(const Tensor& a, int64_t dim, bool keepdim = false);
// Index of the maximum (of the flattened tensor when dim is not given).
Tensor argmax(const Tensor& a, std::optional<int64_t> dim = std::nullopt, bool keepdim = false);
Tensor argmin(const Tensor& a, std::optional<int64_t> dim = std::nullopt, bool keepdim = false);
// log(sum(exp(a))) computed without overflow.
Tensor logsumexp(const Tensor& a, const Dims& dims, bool keepdim = false);
// p-norm for p = 1, 2, inf (std::numeric_limits<double>::infinity()) or any p > 0.
Tensor norm(const Tensor& a, double p = 2, const Dims& dims = {}, bool keepdim = false);
Tensor all(const Tensor& a, const Dims& dims = {}, bool keepdim = false);
Tensor any(const Tensor& a, const Dims& dims = {}, bool keepdim = false);
Tensor cumsum(const Tensor& a, int64_t dim);
// Running product along `dim` (integers and bool give int64, as in PyTorch). The gradient is
// exact where the input has zeros (it does not divide by the input).
Tensor cumprod(const Tensor& a, int64_t dim);
// log(cumsum(exp(a), dim)) computed without overflow; -inf entries contribute nothing.
// Floating-point inputs only.
Tensor logcumsumexp(const Tensor& a, int64_t dim);
// torch.cov: the covariance matrix of the variables in the rows of `input` ([vars, obs]; a 1-D
// input is one variable and gives a 0-d result). `correction` is subtracted from the
// (weighted) number of observations: 1 is the unbiased estimate, 0 the maximum-likelihood one.
// fweights (integer repeat counts) and aweights (observation weights) are 1-D of size obs.
// Integer inputs give float32.
Tensor cov(const Tensor& input, int64_t correction = 1, const Tensor& fweights = {}, const Tensor& aweights = {});
// The entropy -sum(p log p) (in nats) of the distributions along `dim`, after normalizing p to
// sum 1 along it, as torch.distributions.Categorical(probs=p).entropy(); 0 log 0 counts as 0.
Tensor entropy(const Tensor& p, int64_t dim = -1);
// Numerically stable softmax / log-softmax along `dim`.
Tensor softmax(const Tensor& a, int64_t dim);
Tensor log_softmax(const Tensor& a, int64_t dim);

}  // namespace soma
