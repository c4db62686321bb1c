// Reductions, scans and softmax.
#include "soma/reduce.h"

#include "autograd/node.h"
#include "kernels/cpu/loops.h"
#include "ops/elementwise.h"
#include "ops/util.h"
#include "soma/math.h"
#include "soma/views.h"

namespace soma {

using autograd::GradMask;

namespace ops {

// Which dims a reduction covers (all when `dims` is empty), validated and sorted.
std::vector<bool> reduced_mask(const Tensor& a, const Dims& dims, const char* op) {
  std::vector<bool> mask(a.dim(), dims.empty());
  for (int64_t d : dims) {
    int64_t w = wrap_dim(d, a.dim(), op);
    SOMA_CHECK(a.dim() == 0 || !mask[w], "{}: dim {} appears more than once in {}", op, w, dims);
    if (a.dim() > 0) mask[w] = true;
  }
  return mask;
}

// The shape of a reduction's result with keepdim=true.
Shape kept_shape(const Tensor& a, const std::vector<bool>& mask) {
  Shape s = a.shape();
  for (int64_t d = 0; d < a.dim(); ++d)
    if (mask[d]) s[d] = 1;
  return s;
}

Shape drop_reduced(const Shape& kept, const std::vector<bool>& mask) {
  Shape s;
  for (int64_t d = 0; d < kept.size(); ++d)
    if (!mask[d]) s.push_back(kept[d]);
  return s;
}

}  // namespace ops

Tensor sum(const Tensor& a, const Dims& dims, bool keepdim) {
  std::vector<bool> mask = ops::reduced_mask(a, dims, "sum");
  Shape kept = ops::kept_shape(a, mask);
  // Integers and bool sum in int64; floats in their own (compute) dtype.
  DType rt = is_floating(a.dtype()) ? a.dtype() : kInt64;
  DType ct = compute_dtype(rt);
  Tensor x = ops::cast(a, ct);
  Tensor acc = zeros(kept, ct);
  kernels::LoopGeometry g = kernels::make_geometry(a.shape(), {&acc, &x}, "sum");
  dispatch_compute(ct, [&]<class T>() {
    auto body = [](char* const* p, const int64_t* s, int64_t n) {
      T* o = reinterpret_cast<T*>(p[0]);
      if (s[0] == 0) {
        T total = *o;
        for (int64_t i = 0; i < n; ++i) total += *reinterpret_cast<const T*>(p[1] + i * s[1]);
        *o = total;
      } else {
        for (int64_t i = 0; i < n; ++i)
          *reinterpret_cast<T*>(p[0] + i * s[0]) += *reinterpret_cast<const T*>(p[1] + i * s[1]);
      }
    };
    kernels::run_range(g, 0, g.numel, body);  // serial: outputs are shared across runs
  });
  Tensor out = ops::cast(acc, rt);
  if (!keepdim) out = out.view(ops::drop_reduced(kept, mask));
  if (autograd::needs_grad(a)) {
    autograd::record("sum", out, {a}, [in = a.shape(), kept](const Tensor& g, GradMask) -> TensorList {
      return {g.reshape(kept).expand(in)};
    });
  }
  return out;
}

Tensor sum_to(const Tensor& a, const Shape& shape) {
  if (a.shape() == shape) return a;
  const int64_t lead = a.dim() - shape.size();
  SOMA_CHECK(lead >= 0, "sum_to: cannot sum shape {} to the larger shape {}", a.shape(), shape);
  Dims dims;
  for (int64_t d = 0; d < a.dim(); ++d) {
    if (d < lead) {
      dims.push_back(d);
    } else if (shape[d - lead] == 1 && a.shape()[d] != 1) {
      dims.push_back(d);
    } else {
      SOMA_CHECK(shape[d - lead] == a.shape()[d], "sum_to: shape {} does not broadcast to {}", shape, a.shape());
    }
  }
  if (dims.empty()) return a.view(shape);
  return sum(a, dims, true).view(shape);
}

Tensor Tensor::sum(const Dims& dims, bool keepdim) const { return soma::sum(*this, dims, keepdim); }

}  // namespace soma
