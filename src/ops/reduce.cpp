// Reductions and scans. Forward passes run the kernels of kernels/cpu/reduce.h; backward
// formulas are written with Tensor ops, so they differentiate again.
#include "soma/reduce.h"

#include <algorithm>
#include <cmath>

#include "autograd/node.h"
#include "kernels/cpu/reduce.h"
#include "ops/elementwise.h"
#include "ops/util.h"
#include "soma/math.h"
#include "soma/views.h"

namespace soma {

using autograd::GradMask;
using autograd::SavedTensor;
using kernels::ReduceOp;

namespace {

// The dims a reduction covers (all of them when `dims` is empty), its result shape with and
// without keepdim, and how many elements go into each result.
struct Reduction {
  std::vector<bool> mask;
  Shape kept, out;
  int64_t count = 1;

  Reduction(const Tensor& a, const Dims& dims, bool keepdim, const char* op) : mask(a.dim(), dims.empty()) {
    for (int64_t d : dims) {
      const int64_t w = wrap_dim(d, a.dim(), op);
      if (a.dim() == 0) continue;
      SOMA_CHECK(!mask[w], "{}: dim {} appears more than once in the list of dims {}", op, w, dims);
      mask[w] = true;
    }
    kept = a.shape();
    for (int64_t d = 0; d < a.dim(); ++d) {
      if (mask[d]) {
        count *= kept[d];
        kept[d] = 1;
      } else if (!keepdim) {
        out.push_back(kept[d]);
      }
    }
    if (keepdim) out = kept;
  }

  // For ops without an identity (max, min, ...).
  void check_nonempty(const Tensor& a, const char* op) const {
    SOMA_CHECK(count > 0, "{}: cannot reduce over a dim of size 0 (input shape {}); the op has no identity", op,
               a.shape());
  }
};

// Runs the kernel `op` in dtype `ct`; the result has the reduction's output shape and dtype ct.
Tensor run(const Tensor& a, const Reduction& r, DType ct, ReduceOp op, double p = 0) {
  Tensor x = ops::cast(a, ct);
  Tensor out = empty(r.out, ct);
  kernels::reduce(out, x, r.mask, op, p);
  return out;
}

// 1 where pred(a, b) holds (broadcast), 0 elsewhere, in dtype `dt`: a constant without history.
template <class Pred>
Tensor indicator(const Tensor& a, const Tensor& b, DType dt, Pred pred) {
  return ops::binary_forward("indicator", a.detach(), b.detach(), dt, [pred](auto x, auto y) { return pred(x, y) ? 1 : 0; });
}
Tensor equal_to(const Tensor& a, const Tensor& b, DType dt) {
  return indicator(a, b, dt, [](auto x, auto y) { return x == y; });
}
Tensor equal_to(const Tensor& a, double v) { return equal_to(a, scalar_tensor(v, a.dtype()), a.dtype()); }

// d prod(x) / d x_i = the product of the other elements of x_i's slice. With zeros in x this is
// computed from the product A of the nonzero elements times the product of the other zeros,
// the latter to first order in x, so that double backward is exact as well.
Tensor prod_backward(const Tensor& gk, const Tensor& x, const Dims& dims) {
  Tensor z = equal_to(x, 0.0);  // 1 at the zeros
  Tensor cnt = sum(z, dims, true);
  if (sum(cnt).item() == 0) return gk * prod(x, dims, true) / x;
  Tensor nz = 1.0 - z;
  Tensor xt = x * nz + z;             // x with its zeros replaced by 1
  Tensor A = prod(xt, dims, true);
  Tensor S = sum(x * z, dims, true);  // 0, with derivative 1 at each zero
  Tensor c0 = equal_to(cnt, 0.0), c1 = equal_to(cnt, 1.0), c2 = equal_to(cnt, 2.0);
  Tensor other_zeros = nz * (c0 + c1 * S) + z * (c1 + c2 * (S - x));
  return gk * A / xt * other_zeros;
}

Tensor extreme(const Tensor& a, const Dims& dims, bool keepdim, bool is_max, const char* name) {
  const Reduction r(a, dims, keepdim, name);
  r.check_nonempty(a, name);
  Tensor out = ops::cast(run(a, r, compute_dtype(a.dtype()), is_max ? ReduceOp::Max : ReduceOp::Min), a.dtype());
  if (autograd::needs_grad(a)) {
    autograd::record(name, out, {a},
                     [sa = SavedTensor(a), sy = SavedTensor::output(out), dims, kept = r.kept](
                         const Tensor& g, GradMask) -> TensorList {
                       // Split evenly between the elements equal to the extreme, as PyTorch does.
                       const Tensor& x = sa.get();
                       Tensor hit = equal_to(x, sy.get().reshape(kept), x.dtype());
                       return {g.reshape(kept) * hit / sum(hit, dims, true)};
                     });
  }
  return out;
}

std::pair<Tensor, Tensor> extreme_along(const Tensor& a, int64_t dim, bool keepdim, bool is_max, const char* name) {
  const int64_t d = wrap_dim(dim, a.dim(), name);
  const Reduction r(a, Dims{d}, keepdim, name);
  r.check_nonempty(a, name);
  const DType ct = compute_dtype(a.dtype());
  Tensor values = empty(r.out, ct), indices = empty(r.out, kInt64);
  kernels::arg_reduce(values, indices, ops::cast(a, ct), d, is_max);
  values = ops::cast(values, a.dtype());
  if (autograd::needs_grad(a)) {
    autograd::record(name, values, {a},
                     [in = a.shape(), d, kept = r.kept, si = SavedTensor::output(indices), dt = a.dtype()](
                         const Tensor& g, GradMask) -> TensorList {
                       if (in.empty()) return {g};
                       // The gradient goes to the chosen position: a one-hot mask along d.
                       Shape line(in.size(), 1);
                       line[d] = in[d];
                       Tensor hit = equal_to(arange(in[d]).view(line), si.get().reshape(kept), dt);
                       return {g.reshape(kept) * hit};
                     });
  }
  return {values, indices};
}

Tensor arg_extreme(const Tensor& a, std::optional<int64_t> dim, bool keepdim, bool is_max, const char* name) {
  if (dim) return extreme_along(a.detach(), *dim, keepdim, is_max, name).second;
  SOMA_CHECK(a.numel() > 0, "{}: cannot take the index of the {} of an empty tensor (shape {})", name,
             is_max ? "maximum" : "minimum", a.shape());
  Tensor idx = extreme_along(a.detach().reshape({a.numel()}), 0, false, is_max, name).second;
  return keepdim ? idx.view(Shape(a.dim(), 1)) : idx;
}

Tensor logical_reduce(const Tensor& a, const Dims& dims, bool keepdim, ReduceOp op, const char* name) {
  const Reduction r(a, dims, keepdim, name);
  Tensor out = empty(r.out, kBool);
  kernels::reduce(out, ops::cast(a, kBool), r.mask, op);
  return out;
}

void check_floating(const Tensor& a, const char* name) {
  SOMA_CHECK(is_floating(a.dtype()), "{}: expected a floating-point input, got dtype {}; convert it with .to(kFloat32)",
             name, dtype_name(a.dtype()));
}

bool only_last_dim(const std::vector<bool>& mask) {
  return std::count(mask.begin(), mask.end(), true) == 1 && mask.back();
}

// var over the last dim of a contiguous tensor by the fused kernel (two reads, no temporaries);
// the gradient 2 (x - mean) / divisor is written with Tensor ops.
Tensor var_last_dim(const Tensor& a, const Reduction& r, bool unbiased) {
  const DType ct = compute_dtype(a.dtype());
  Tensor out = empty(r.out, ct);
  kernels::var_rows(out, ops::cast(a, ct), unbiased ? 1 : 0);
  out = ops::cast(out, a.dtype());
  if (autograd::needs_grad(a)) {
    const int64_t divisor = std::max<int64_t>(r.count - (unbiased ? 1 : 0), 0);
    autograd::record("var", out, {a}, [sa = SavedTensor(a), kept = r.kept, divisor](const Tensor& g, GradMask) -> TensorList {
      const Tensor& x = sa.get();
      return {g.reshape(kept) * (x - mean(x, {-1}, true)) * (2.0 / static_cast<double>(divisor))};
    });
  }
  return out;
}

// logsumexp over the single dim d by the fused kernel (one read for the maximum, one for the
// sum of exponentials); the gradient g * exp(x - out) is written with Tensor ops.
Tensor logsumexp_along(const Tensor& x, int64_t d, const Dims& dims, const Reduction& r) {
  const DType ct = compute_dtype(x.dtype());
  Tensor out = empty(r.kept, ct);
  kernels::logsumexp(out, ops::cast(x, ct), d);
  out = ops::cast(out, x.dtype());
  if (autograd::needs_grad(x)) {
    autograd::record("logsumexp", out, {x}, [sx = SavedTensor(x), sy = SavedTensor::output(out), dims](
                                                const Tensor& g, GradMask) -> TensorList {
      // Under create_graph the result is recomputed so that the gradient differentiates again.
      Tensor y = is_grad_enabled() ? logsumexp(sx.get(), dims, true) : sy.get();
      return {g * exp(sx.get() - y)};
    });
  }
  return out;
}

}  // namespace

Tensor sum(const Tensor& a, const Dims& dims, bool keepdim) {
  const Reduction r(a, dims, keepdim, "sum");
  // Integers and bool sum in int64; floats in their own dtype (half types accumulate in float32).
  const DType rt = is_floating(a.dtype()) ? a.dtype() : kInt64;
  Tensor out = ops::cast(run(a, r, compute_dtype(rt), ReduceOp::Sum), rt);
  if (autograd::needs_grad(a)) {
    autograd::record("sum", out, {a}, [in = a.shape(), kept = r.kept](const Tensor& g, GradMask) -> TensorList {
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

Tensor mean(const Tensor& a, const Dims& dims, bool keepdim) {
  check_floating(a, "mean");
  const Reduction r(a, dims, keepdim, "mean");
  return sum(a, dims, keepdim) / static_cast<double>(r.count);  // 0 / 0 = nan for an empty mean
}

Tensor var(const Tensor& a, const Dims& dims, bool unbiased, bool keepdim) {
  check_floating(a, "var");
  const Reduction r(a, dims, keepdim, "var");
  if (a.dim() > 0 && a.is_contiguous() && r.count > 0 && only_last_dim(r.mask)) return var_last_dim(a, r, unbiased);
  Tensor d = a - mean(a, dims, true);
  // Two passes (mean, then squared deviations) for accuracy; nan when count <= unbiased.
  const int64_t divisor = std::max<int64_t>(r.count - (unbiased ? 1 : 0), 0);
  return sum(d * d, dims, keepdim) / static_cast<double>(divisor);
}

Tensor std(const Tensor& a, const Dims& dims, bool unbiased, bool keepdim) {
  check_floating(a, "std");
  Tensor v = var(a, dims, unbiased, keepdim);
  if (!autograd::needs_grad(v)) return sqrt(v);
  // sqrt's gradient g / (2 std) is 0 / 0 where all values are equal; PyTorch sets it to 0 there
  // (and so its double backward). There the denominator is computed from 1 instead of var, so
  // that under create_graph no 0 * inf = nan flows back through sqrt or where.
  Tensor out = sqrt(v.detach());
  autograd::record("std", out, {v}, [sv = SavedTensor(v), sy = SavedTensor::output(out)](const Tensor& g,
                                                                                          GradMask) -> TensorList {
    const Tensor spread = ne(sy.get(), 0.0);
    const Tensor y = is_grad_enabled() ? sqrt(where(spread, sv.get(), 1.0)) : where(spread, sy.get(), 1.0);
    return {where(spread, g / (y * 2.0), 0.0)};
  });
  return out;
}

Tensor prod(const Tensor& a, const Dims& dims, bool keepdim) {
  const Reduction r(a, dims, keepdim, "prod");
  const DType rt = is_floating(a.dtype()) ? a.dtype() : kInt64;
  Tensor out = ops::cast(run(a, r, compute_dtype(rt), ReduceOp::Prod), rt);
  if (autograd::needs_grad(a)) {
    autograd::record("prod", out, {a}, [sa = SavedTensor(a), dims, kept = r.kept](const Tensor& g, GradMask) -> TensorList {
      return {prod_backward(g.reshape(kept), sa.get(), dims)};
    });
  }
  return out;
}

Tensor amax(const Tensor& a, const Dims& dims, bool keepdim) { return extreme(a, dims, keepdim, true, "amax"); }
Tensor amin(const Tensor& a, const Dims& dims, bool keepdim) { return extreme(a, dims, keepdim, false, "amin"); }

std::pair<Tensor, Tensor> max(const Tensor& a, int64_t dim, bool keepdim) {
  return extreme_along(a, dim, keepdim, true, "max");
}
std::pair<Tensor, Tensor> min(const Tensor& a, int64_t dim, bool keepdim) {
  return extreme_along(a, dim, keepdim, false, "min");
}

Tensor argmax(const Tensor& a, std::optional<int64_t> dim, bool keepdim) {
  return arg_extreme(a, dim, keepdim, true, "argmax");
}
Tensor argmin(const Tensor& a, std::optional<int64_t> dim, bool keepdim) {
  return arg_extreme(a, dim, keepdim, false, "argmin");
}

Tensor logsumexp(const Tensor& a, const Dims& dims, bool keepdim) {
  const Tensor x = is_floating(a.dtype()) ? a : a.to(kFloat32);
  const Reduction r(x, dims, true, "logsumexp");
  const int64_t reduced = std::count(r.mask.begin(), r.mask.end(), true);
  if (reduced == 1 && r.count > 0) {
    const int64_t d = std::find(r.mask.begin(), r.mask.end(), true) - r.mask.begin();
    Tensor out = logsumexp_along(x, d, dims, r);
    return keepdim ? out : out.reshape(Reduction(x, dims, false, "logsumexp").out);
  }
  // Several dims: composed from primitives.
  // Shift by the maximum (a constant, so the gradient is unchanged); by 0 where it is infinite.
  Tensor m = r.count > 0 ? ops::cast(run(x, r, compute_dtype(x.dtype()), ReduceOp::Max), x.dtype()) : zeros(r.out, x.dtype());
  m = ops::unary_forward(m, m.dtype(), [](auto v) { return std::isinf(v) ? decltype(v)(0) : v; });
  Tensor out = log(sum(exp(x - m), dims, true)) + m;
  return keepdim ? out : out.reshape(Reduction(x, dims, false, "logsumexp").out);
}

Tensor norm(const Tensor& a, double p, const Dims& dims, bool keepdim) {
  check_floating(a, "norm");
  SOMA_CHECK(p > 0, "norm: p must be positive (or inf), got {}", p);
  const Reduction r(a, dims, keepdim, "norm");
  const bool inf = std::isinf(p);
  if (inf) r.check_nonempty(a, "norm");
  const DType ct = compute_dtype(a.dtype());
  Tensor out;
  if (p == 1) {
    out = run(a, r, ct, ReduceOp::AbsSum);
  } else if (p == 2) {
    out = ops::unary_forward(run(a, r, ct, ReduceOp::SumSquares), ct, [](auto v) { return std::sqrt(v); });
  } else if (inf) {
    out = run(a, r, ct, ReduceOp::AbsMax);
  } else {
    out = ops::unary_forward(run(a, r, ct, ReduceOp::PowSum, p), ct,
                             [q = 1.0 / p](auto v) { return std::pow(v, static_cast<decltype(v)>(q)); });
  }
  out = ops::cast(out, a.dtype());
  if (autograd::needs_grad(a)) {
    autograd::record("norm", out, {a}, [sa = SavedTensor(a), p, inf, dims, kept = r.kept](const Tensor& g, GradMask) -> TensorList {
      const Tensor& x = sa.get();
      Tensor gk = g.reshape(kept);
      if (p == 1) return {gk * sign(x)};
      Tensor n = norm(x, p, dims, true);
      if (inf) {  // split evenly between the elements of largest magnitude
        Tensor hit = equal_to(abs(x), n, x.dtype());
        return {gk * sign(x) * hit / sum(hit, dims, true)};
      }
      // 1 / n, or 0 where n == 0 (the subgradient 0 at the origin).
      Tensor zero = equal_to(n, 0.0);
      Tensor inv = (1.0 - zero) / (n + zero);
      if (p == 2) return {gk * x * inv};
      return {gk * sign(x) * pow(abs(x), p - 1) * pow(inv, p - 1)};
    });
  }
  return out;
}

Tensor all(const Tensor& a, const Dims& dims, bool keepdim) {
  return logical_reduce(a, dims, keepdim, ReduceOp::Min, "all");
}
Tensor any(const Tensor& a, const Dims& dims, bool keepdim) {
  return logical_reduce(a, dims, keepdim, ReduceOp::Max, "any");
}

Tensor cumsum(const Tensor& a, int64_t dim) {
  const int64_t d = wrap_dim(dim, a.dim(), "cumsum");
  const DType rt = is_floating(a.dtype()) ? a.dtype() : kInt64;
  const DType ct = compute_dtype(rt);
  Tensor out = empty(a.shape(), ct);
  kernels::cumsum(out, ops::cast(a, ct), d);
  out = ops::cast(out, rt);
  if (autograd::needs_grad(a)) {
    autograd::record("cumsum", out, {a}, [d](const Tensor& g, GradMask) -> TensorList {
      if (g.dim() == 0) return {g};
      return {sum(g, {d}, true) - cumsum(g, d) + g};  // the reverse cumsum: sum over j >= i
    });
  }
  return out;
}

Tensor Tensor::sum(const Dims& dims, bool keepdim) const { return soma::sum(*this, dims, keepdim); }
Tensor Tensor::mean(const Dims& dims, bool keepdim) const { return soma::mean(*this, dims, keepdim); }
Tensor Tensor::var(const Dims& dims, bool unbiased, bool keepdim) const {
  return soma::var(*this, dims, unbiased, keepdim);
}
Tensor Tensor::std(const Dims& dims, bool unbiased, bool keepdim) const {
  return soma::std(*this, dims, unbiased, keepdim);
}
Tensor Tensor::prod(const Dims& dims, bool keepdim) const { return soma::prod(*this, dims, keepdim); }
Tensor Tensor::max() const {
  SOMA_CHECK(numel() > 0, "max: cannot take the maximum of an empty tensor (shape {}); give a dim", shape());
  return soma::extreme(*this, {}, false, true, "max");
}
Tensor Tensor::min() const {
  SOMA_CHECK(numel() > 0, "min: cannot take the minimum of an empty tensor (shape {}); give a dim", shape());
  return soma::extreme(*this, {}, false, false, "min");
}
std::pair<Tensor, Tensor> Tensor::max(int64_t dim, bool keepdim) const { return soma::max(*this, dim, keepdim); }
std::pair<Tensor, Tensor> Tensor::min(int64_t dim, bool keepdim) const { return soma::min(*this, dim, keepdim); }
Tensor Tensor::amax(const Dims& dims, bool keepdim) const { return soma::amax(*this, dims, keepdim); }
Tensor Tensor::amin(const Dims& dims, bool keepdim) const { return soma::amin(*this, dims, keepdim); }
Tensor Tensor::argmax(std::optional<int64_t> dim, bool keepdim) const { return soma::argmax(*this, dim, keepdim); }
Tensor Tensor::argmin(std::optional<int64_t> dim, bool keepdim) const { return soma::argmin(*this, dim, keepdim); }
Tensor Tensor::logsumexp(const Dims& dims, bool keepdim) const { return soma::logsumexp(*this, dims, keepdim); }
Tensor Tensor::norm(double p, const Dims& dims, bool keepdim) const { return soma::norm(*this, p, dims, keepdim); }
Tensor Tensor::all(const Dims& dims, bool keepdim) const { return soma::all(*this, dims, keepdim); }
Tensor Tensor::any(const Dims& dims, bool keepdim) const { return soma::any(*this, dims, keepdim); }
Tensor Tensor::cumsum(int64_t dim) const { return soma::cumsum(*this, dim); }

}  // namespace soma
