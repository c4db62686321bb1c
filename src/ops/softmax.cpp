// softmax and log_softmax: one fused kernel pass per row (max, sum of exp, normalize), with
// gradients written in Tensor ops so that they differentiate again.
#include "autograd/node.h"
#include "kernels/cpu/reduce.h"
#include "ops/elementwise.h"
#include "soma/math.h"
#include "soma/reduce.h"

namespace soma {

using autograd::GradMask;
using autograd::SavedTensor;

namespace {

Tensor softmax_forward(const Tensor& a, int64_t dim, bool log, const char* name) {
  SOMA_CHECK(is_floating(a.dtype()), "{}: expected a floating-point input, got dtype {}", name, dtype_name(a.dtype()));
  const int64_t d = wrap_dim(dim, a.dim(), name);
  const DType ct = compute_dtype(a.dtype());
  Tensor out = empty(a.shape(), ct);
  kernels::softmax(out, ops::cast(a, ct), d, log);
  return ops::cast(out, a.dtype());
}

}  // namespace

Tensor softmax(const Tensor& a, int64_t dim) {
  Tensor out = softmax_forward(a, dim, false, "softmax");
  if (autograd::needs_grad(a)) {
    autograd::record("softmax", out, {a}, [sx = SavedTensor(a), sy = SavedTensor::output(out), dim](
                                              const Tensor& g, GradMask) -> TensorList {
      Tensor y = is_grad_enabled() ? softmax(sx.get(), dim) : sy.get();
      return {y * (g - sum(g * y, {dim}, true))};
    });
  }
  return out;
}

Tensor log_softmax(const Tensor& a, int64_t dim) {
  Tensor out = softmax_forward(a, dim, true, "log_softmax");
  if (autograd::needs_grad(a)) {
    autograd::record("log_softmax", out, {a}, [sx = SavedTensor(a), sy = SavedTensor::output(out), dim](
                                                  const Tensor& g, GradMask) -> TensorList {
      Tensor y = is_grad_enabled() ? log_softmax(sx.get(), dim) : sy.get();
      return {g - exp(y) * sum(g, {dim}, true)};
    });
  }
  return out;
}

Tensor Tensor::softmax(int64_t dim) const { return soma::softmax(*this, dim); }
Tensor Tensor::log_softmax(int64_t dim) const { return soma::log_softmax(*this, dim); }

}  // namespace soma
