#include "ops/util.h"

#include "soma/reduce.h"

namespace soma::ops {

namespace {
int category(DType t) { return t == kBool ? 0 : is_integral(t) ? 1 : 2; }
}  // namespace

DType result_type(const Tensor& a, const Tensor& b) {
  DType da = a.dtype(), db = b.dtype();
  if (da == db) return da;
  bool a0 = a.dim() == 0, b0 = b.dim() == 0;
  if (a0 != b0) {
    // The 0-d operand decides only when its category is higher.
    const DType dim_t = a0 ? db : da;
    const DType zero_t = a0 ? da : db;
    return category(zero_t) <= category(dim_t) ? dim_t : zero_t;
  }
  return promote_types(da, db);
}

Tensor reduce_grad(const Tensor& grad, const Shape& shape, DType dtype) {
  Tensor g = grad.shape() == shape ? grad : sum_to(grad, shape);
  return g.dtype() == dtype ? g : g.to(dtype);
}

Tensor overwritten(const char* op, const Tensor& self, const Tensor& values) {
  Tensor out = values.dtype() == self.dtype() ? values : values.to(self.dtype());
  autograd::record(op, out, {self}, [](const Tensor&, autograd::GradMask) -> TensorList { return {Tensor()}; });
  return out;
}

}  // namespace soma::ops

#include "ops/elementwise.h"

namespace soma::ops {

Tensor cast(const Tensor& t, DType dtype) {
  if (t.dtype() == dtype) return t;
  Tensor out = empty(t.shape(), dtype);
  kernels::copy(out, t);
  return out;
}

}  // namespace soma::ops
