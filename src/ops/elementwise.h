#pragma once
// Forward helpers for elementwise ops (no autograd here: callers record their own nodes).
#include "kernels/cpu/elementwise.h"
#include "soma/creation.h"

namespace soma::ops {

// `t` converted to `dtype` without recording autograd (t itself when already that dtype).
Tensor cast(const Tensor& t, DType dtype);

// out = op(a, b) broadcast, computed in compute_dtype(result) and returned as `result`.
// `op` is a generic lambda: [](auto x, auto y) { return x + y; }.
template <class Op>
Tensor binary_forward(const char* name, const Tensor& a, const Tensor& b, DType result, Op op) {
  const DType ct = compute_dtype(result);
  Tensor x = cast(a, ct), y = cast(b, ct);
  Tensor out = empty(a.shape() == b.shape() ? a.shape() : broadcast_shapes(a.shape(), b.shape(), name), ct);
  dispatch_compute(ct, [&]<class T>() {
    kernels::binary_kernel<T, T>(out, x, y, [op](T u, T v) { return static_cast<T>(op(u, v)); });
  });
  return cast(out, result);
}

// out = op(a), computed in compute_dtype(result) and returned as `result`.
template <class Op>
Tensor unary_forward(const Tensor& a, DType result, Op op) {
  const DType ct = compute_dtype(result);
  Tensor x = cast(a, ct);
  Tensor out = empty(a.shape(), ct);
  dispatch_compute(ct, [&]<class T>() {
    kernels::unary_kernel<T, T>(out, x, [op](T u) { return static_cast<T>(op(u)); });
  });
  return cast(out, result);
}

// Writes op(self, b) into self (self's dtype must be the compute dtype of the op).
template <class Op>
void binary_inplace(const Tensor& self, const Tensor& b, Op op) {
  Tensor y = cast(b, self.dtype());
  dispatch_compute(self.dtype(), [&]<class T>() {
    kernels::binary_kernel<T, T>(self, self, y, [op](T u, T v) { return static_cast<T>(op(u, v)); });
  });
}

}  // namespace soma::ops
