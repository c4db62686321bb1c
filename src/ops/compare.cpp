// Comparisons, logic and value tests: bool results, no gradients. Comparisons run in the
// promoted type of their operands (PyTorch's rules); logic treats nonzero (and NaN) as true.
#include <algorithm>
#include <cmath>

#include "kernels/cpu/loops.h"
#include "ops/elementwise.h"
#include "ops/util.h"
#include "soma/math.h"

namespace soma {

namespace {

// out (bool) = op(a, b), broadcast, computed in the promoted compute type.
template <class Op>
Tensor compare(const char* name, const Tensor& a, const Tensor& b, Op op) {
  const DType ct = compute_dtype(ops::result_type(a, b));
  Tensor x = ops::cast(a, ct), y = ops::cast(b, ct);
  Tensor out = empty(a.shape() == b.shape() ? a.shape() : broadcast_shapes(a.shape(), b.shape(), name), kBool);
  dispatch_compute(ct, [&]<class T>() {
    kernels::binary_kernel<bool, T>(out, x, y, [op](T u, T v) { return static_cast<bool>(op(u, v)); });
  });
  return out;
}

// out (bool) = op(a), computed in a's compute type.
template <class Op>
Tensor test(const Tensor& a, Op op) {
  const DType ct = compute_dtype(a.dtype());
  Tensor x = ops::cast(a, ct);
  Tensor out = empty(a.shape(), kBool);
  dispatch_compute(ct, [&]<class T>() {
    kernels::unary_kernel<bool, T>(out, x, [op](T u) { return static_cast<bool>(op(u)); });
  });
  return out;
}

Tensor scalar_operand(const Tensor& a, Scalar b) { return scalar_tensor(b, promote_with_scalar(a.dtype(), b)); }

}  // namespace

Tensor eq(const Tensor& a, const Tensor& b) { return compare("eq", a, b, [](auto x, auto y) { return x == y; }); }
Tensor ne(const Tensor& a, const Tensor& b) { return compare("ne", a, b, [](auto x, auto y) { return x != y; }); }
Tensor lt(const Tensor& a, const Tensor& b) { return compare("lt", a, b, [](auto x, auto y) { return x < y; }); }
Tensor le(const Tensor& a, const Tensor& b) { return compare("le", a, b, [](auto x, auto y) { return x <= y; }); }
Tensor gt(const Tensor& a, const Tensor& b) { return compare("gt", a, b, [](auto x, auto y) { return x > y; }); }
Tensor ge(const Tensor& a, const Tensor& b) { return compare("ge", a, b, [](auto x, auto y) { return x >= y; }); }
Tensor eq(const Tensor& a, Scalar b) { return eq(a, scalar_operand(a, b)); }
Tensor ne(const Tensor& a, Scalar b) { return ne(a, scalar_operand(a, b)); }
Tensor lt(const Tensor& a, Scalar b) { return lt(a, scalar_operand(a, b)); }
Tensor le(const Tensor& a, Scalar b) { return le(a, scalar_operand(a, b)); }
Tensor gt(const Tensor& a, Scalar b) { return gt(a, scalar_operand(a, b)); }
Tensor ge(const Tensor& a, Scalar b) { return ge(a, scalar_operand(a, b)); }

Tensor logical_and(const Tensor& a, const Tensor& b) {
  return compare("logical_and", a, b, [](auto x, auto y) { return (x != 0) & (y != 0); });
}
Tensor logical_or(const Tensor& a, const Tensor& b) {
  return compare("logical_or", a, b, [](auto x, auto y) { return (x != 0) | (y != 0); });
}
Tensor logical_xor(const Tensor& a, const Tensor& b) {
  return compare("logical_xor", a, b, [](auto x, auto y) { return (x != 0) != (y != 0); });
}
Tensor logical_not(const Tensor& a) { return test(a, [](auto x) { return x == 0; }); }

Tensor isnan(const Tensor& a) {
  if (!is_floating(a.dtype())) return zeros(a.shape(), kBool);
  return test(a, [](auto x) { return x != x; });
}

Tensor isfinite(const Tensor& a) {
  if (!is_floating(a.dtype())) return ones(a.shape(), kBool);
  return test(a, [](auto x) { return x - x == 0; });  // inf - inf and NaN - NaN are NaN
}

bool allclose(const Tensor& a, const Tensor& b, double rtol, double atol, bool equal_nan) {
  SOMA_CHECK(rtol >= 0 && atol >= 0, "allclose: rtol and atol must be non-negative (got {} and {})", rtol, atol);
  if (a.shape() != b.shape()) return false;
  Tensor x = ops::cast(a, kFloat64), y = ops::cast(b, kFloat64);
  kernels::LoopGeometry g = kernels::make_geometry(a.shape(), {&x, &y}, "allclose");
  bool close = true;
  auto body = [&](char* const* p, const int64_t* s, int64_t n) {
    for (int64_t i = 0; i < n && close; ++i) {
      const double u = *reinterpret_cast<const double*>(p[0] + i * s[0]);
      const double v = *reinterpret_cast<const double*>(p[1] + i * s[1]);
      // Equal values (infinities included) are close; otherwise the difference must be finite.
      const double err = std::abs(u - v);
      const bool ok = u == v || (equal_nan && u != u && v != v) || (std::isfinite(err) && err <= atol + rtol * std::abs(v));
      close = ok;
    }
  };
  kernels::run_range(g, 0, g.numel, body);
  return close;
}

bool equal(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape()) return false;
  Tensor diff = ne(a, b);
  const bool* d = diff.data<bool>();
  return std::none_of(d, d + diff.numel(), [](bool v) { return v; });
}

}  // namespace soma
