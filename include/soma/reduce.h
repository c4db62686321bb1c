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
// Numerically stable softmax / log-softmax along `dim`.
Tensor softmax(const Tensor& a, int64_t dim);
Tensor log_softmax(const Tensor& a, int64_t dim);

}  // namespace soma
