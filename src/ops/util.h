#pragma once
// Helpers shared by the op families.
#include "autograd/node.h"
#include "autograd/view_history.h"
#include "kernels/cpu/copy.h"
#include "soma/grad_mode.h"
#include "soma/tensor.h"

namespace soma::ops {

// The dtype of `a op b` (dtype.h): 0-d tensors count like scalars, taking part only when of a
// higher category than the other operand.
DType result_type(const Tensor& a, const Tensor& b);

// The gradient of an input from the gradient of a result it was broadcast (and maybe promoted)
// into: summed back to the input's shape, converted to the input's dtype.
Tensor reduce_grad(const Tensor& grad, const Shape& shape, DType dtype);
inline Tensor reduce_grad(const Tensor& grad, const Tensor& input) {
  return reduce_grad(grad, input.shape(), input.dtype());
}

// `values` as the out-of-place result of overwriting `self` (fill_, uniform_, ...): recorded
// so that self's old values get no gradient.
Tensor overwritten(const char* op, const Tensor& self, const Tensor& values);

// Runs an in-place op on `self`. When autograd must record it, `reference()` computes the same
// result out of place (with history); that result is copied into self, which takes over its
// history (for a view, its base's history is rewritten: autograd/view_history.h). Otherwise
// `kernel()` writes into self directly. Either way the version counter moves.
template <class Kernel, class Reference>
Tensor& apply_inplace(Tensor& self, const char* op, bool other_requires_grad, Kernel kernel, Reference reference) {
  if (autograd::inplace_records(self, other_requires_grad)) {
    autograd::check_inplace(self, op, other_requires_grad);
    Tensor result = reference();
    kernels::copy(self, result);
    self.bump_version();
    autograd::rebase_history(self, result);
  } else {
    kernel();
    self.bump_version();
  }
  return self;
}

}  // namespace soma::ops
