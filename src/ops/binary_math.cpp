// pow, minimum/maximum, clamp and where, with gradients (written with Tensor ops, so they
// differentiate again). Type promotion and edge cases follow PyTorch.
#include <cmath>
#include <limits>

#include "autograd/node.h"
#include "kernels/cpu/loops.h"
#include "ops/elementwise.h"
#include "ops/util.h"
#include "soma/math.h"

namespace soma {

using autograd::GradMask;
using autograd::SavedTensor;

namespace {

int category(DType t) { return t == kBool ? 0 : is_integral(t) ? 1 : 2; }

void check_inplace_type(const char* op, DType self, DType result) {
  SOMA_CHECK(category(result) <= category(self), "{}: the result type {} cannot be stored in a tensor of dtype {}",
             op, dtype_name(result), dtype_name(self));
}

// self = out-of-place `reference(self)` written back in place (self keeps its dtype).
template <class Ref>
Tensor& inplace_via(Tensor& self, const char* name, Ref reference) {
  Tensor s = self;
  return ops::apply_inplace(
      self, name, false, [&] { kernels::copy(s, reference(s.detach())); },
      [&] { return reference(s.clone()); });  // the op saves its input, which is about to change
}

// base^exponent for integers by repeated squaring, wrapping on overflow like PyTorch. Negative
// exponents give 0 except for bases 1 and -1.
template <class T>
T int_pow(T base, T exponent) {
  if constexpr (std::is_signed_v<T>) {
    if (exponent < 0) {
      if (base == 1) return 1;
      if (base == -1) return (exponent & 1) ? T(-1) : T(1);
      return 0;
    }
  }
  using U = std::make_unsigned_t<T>;
  U result = 1, b = static_cast<U>(base);
  for (U e = static_cast<U>(exponent); e != 0; e >>= 1) {
    if (e & 1u) result = static_cast<U>(result * b);
    b = static_cast<U>(b * b);
  }
  return static_cast<T>(result);
}

constexpr auto pow_op = [](auto x, auto y) {
  using T = decltype(x);
  if constexpr (std::is_floating_point_v<T>)
    return std::pow(x, y);
  else if constexpr (std::is_same_v<T, bool>)
    return static_cast<bool>(x || !y);
  else
    return int_pow<T>(x, y);
};

// 0-d zero of `t`'s dtype (a where() operand that does not widen the result type).
Tensor zero_like_scalar(const Tensor& t) { return scalar_tensor(0, t.dtype()); }

// clamp's bounds in the result's category; a missing bound is -inf/+inf (or the integer range).
struct ClampBounds {
  double flo = -std::numeric_limits<double>::infinity(), fhi = std::numeric_limits<double>::infinity();
  int64_t ilo = std::numeric_limits<int64_t>::lowest(), ihi = std::numeric_limits<int64_t>::max();
  template <class T>
  std::pair<T, T> as() const {
    if constexpr (std::is_floating_point_v<T>)
      return {static_cast<T>(flo), static_cast<T>(fhi)};
    else
      return {static_cast<T>(std::max<int64_t>(ilo, std::numeric_limits<T>::lowest())),
              static_cast<T>(std::min<int64_t>(ihi, std::numeric_limits<T>::max()))};
  }
};

}  // namespace

// ---- pow ----------------------------------------------------------------------------------------

Tensor pow(const Tensor& base, const Tensor& exponent) {
  const DType rt = ops::result_type(base, exponent);
  SOMA_CHECK(rt != kBool, "pow: not defined for bool tensors (got {} and {})", dtype_name(base.dtype()),
             dtype_name(exponent.dtype()));
  Tensor out = ops::binary_forward("pow", base, exponent, rt, pow_op);
  if (autograd::needs_grad(base, exponent)) {
    autograd::record("pow", out, {base, exponent},
                     [sb = SavedTensor(base), se = SavedTensor(exponent), sy = SavedTensor::output(out)](
                         const Tensor& g, GradMask m) -> TensorList {
                       const Tensor& b = sb.get();
                       const Tensor& e = se.get();
                       TensorList r(2);
                       if (m[0]) {  // e b^(e-1), zero where e == 0 (also at b == 0)
                         Tensor d = g * e * pow(b, e - 1);
                         r[0] = ops::reduce_grad(where(eq(e, 0), zero_like_scalar(d), d), b);
                       }
                       if (m[1]) {  // b^e log b, zero where b == 0 and e >= 0
                         Tensor y = is_grad_enabled() ? pow(b, e) : sy.get();
                         Tensor d = g * y * log(b);
                         r[1] = ops::reduce_grad(where(logical_and(eq(b, 0), ge(e, 0)), zero_like_scalar(d), d), e);
                       }
                       return r;
                     });
  }
  return out;
}

Tensor pow(const Tensor& base, Scalar exponent) {
  const DType rt = promote_with_scalar(base.dtype(), exponent);
  SOMA_CHECK(rt != kBool, "pow: not defined for bool tensors");
  const double e = exponent.to_double();
  Tensor out;
  if (!is_floating(rt)) {
    SOMA_CHECK(e >= 0, "pow: integers to negative integer powers are not allowed (exponent {})", exponent.to_int());
    const int64_t ei = exponent.to_int();
    out = ops::unary_forward(base, rt, [ei](auto x) { return pow_op(x, static_cast<decltype(x)>(ei)); });
  } else if (e == 2.0) {
    out = ops::unary_forward(base, rt, [](auto x) { return x * x; });
  } else if (e == 3.0) {
    out = ops::unary_forward(base, rt, [](auto x) { return x * x * x; });
  } else if (e == 0.5) {
    out = ops::unary_forward(base, rt, [](auto x) { return std::sqrt(x); });
  } else if (e == -1.0) {
    out = ops::unary_forward(base, rt, [](auto x) { return decltype(x)(1) / x; });
  } else {
    out = ops::unary_forward(base, rt, [e](auto x) { return std::pow(x, static_cast<decltype(x)>(e)); });
  }
  if (autograd::needs_grad(base)) {
    autograd::record("pow", out, {base}, [sx = SavedTensor(base), e](const Tensor& g, GradMask) -> TensorList {
      const Tensor& x = sx.get();
      if (e == 0.0) return {g * 0.0};
      return {g * (e == 2.0 ? x * 2.0 : pow(x, e - 1.0) * e)};
    });
  }
  return out;
}

Tensor pow(Scalar base, const Tensor& exponent) {
  return pow(scalar_tensor(base, promote_with_scalar(exponent.dtype(), base)), exponent);
}

Tensor Tensor::pow(const Tensor& exponent) const { return soma::pow(*this, exponent); }
Tensor Tensor::pow(Scalar exponent) const { return soma::pow(*this, exponent); }
Tensor& Tensor::pow_(Scalar exponent) {
  check_inplace_type("pow_", dtype(), promote_with_scalar(dtype(), exponent));
  return inplace_via(*this, "pow_", [exponent](const Tensor& x) { return soma::pow(x, exponent); });
}

// ---- minimum / maximum --------------------------------------------------------------------------

namespace {

// NaN-propagating elementwise max (take_max) or min, and its gradient split: the weight of `a`
// is 1 where a wins, 1/2 on ties, 0 where b wins; b gets the rest.
template <bool take_max>
Tensor extremum(const char* name, const Tensor& a, const Tensor& b) {
  auto pick = [](auto x, auto y) {
    if constexpr (std::is_floating_point_v<decltype(x)>)
      if (x != x) return x;
    return (take_max ? x > y : x < y) ? x : y;
  };
  Tensor out = ops::binary_forward(name, a, b, ops::result_type(a, b), pick);
  if (autograd::needs_grad(a, b)) {
    autograd::record(name, out, {a, b}, [sa = SavedTensor(a), sb = SavedTensor(b), name](const Tensor& g,
                                                                                         GradMask m) -> TensorList {
      Tensor w = ops::binary_forward(name, sa.get().detach(), sb.get().detach(), g.dtype(), [](auto x, auto y) {
        using T = decltype(x);
        return (take_max ? x > y : x < y) ? T(1) : x == y ? T(0.5) : T(0);
      });
      Tensor ga = g * w;
      TensorList r(2);
      if (m[0]) r[0] = ops::reduce_grad(ga, sa.get());
      if (m[1]) r[1] = ops::reduce_grad(g - ga, sb.get());
      return r;
    });
  }
  return out;
}

}  // namespace

Tensor maximum(const Tensor& a, const Tensor& b) { return extremum<true>("maximum", a, b); }
Tensor minimum(const Tensor& a, const Tensor& b) { return extremum<false>("minimum", a, b); }

// ---- clamp --------------------------------------------------------------------------------------

Tensor clamp(const Tensor& a, std::optional<Scalar> min, std::optional<Scalar> max) {
  SOMA_CHECK(min || max, "clamp: at least one of min and max must be given");
  DType rt = a.dtype();
  if (min) rt = promote_with_scalar(rt, *min);
  if (max) rt = promote_with_scalar(rt, *max);
  SOMA_CHECK(rt != kBool, "clamp: not defined for bool tensors");
  ClampBounds bd;
  if (is_floating(rt)) {
    if (min) bd.flo = min->to_double();
    if (max) bd.fhi = max->to_double();
  } else {
    if (min) bd.ilo = min->to_int();
    if (max) bd.ihi = max->to_int();
  }
  // min(max(x, lo), hi) as in PyTorch (lo > hi gives hi everywhere); NaN stays NaN.
  Tensor out = ops::unary_forward(a, rt, [bd](auto x) {
    const auto [lo, hi] = bd.as<decltype(x)>();
    const auto y = x < lo ? lo : x;
    return y > hi ? hi : y;
  });
  if (autograd::needs_grad(a)) {
    autograd::record("clamp", out, {a}, [sx = SavedTensor(a), bd](const Tensor& g, GradMask) -> TensorList {
      // The gradient passes where lo <= x <= hi.
      Tensor pass = ops::unary_forward(sx.get().detach(), g.dtype(), [bd](auto v) {
        const auto [lo, hi] = bd.as<decltype(v)>();
        return static_cast<decltype(v)>(v >= lo && v <= hi);
      });
      return {g * pass};
    });
  }
  return out;
}

Tensor clamp_min(const Tensor& a, Scalar min) { return clamp(a, min, std::nullopt); }
Tensor clamp_max(const Tensor& a, Scalar max) { return clamp(a, std::nullopt, max); }

Tensor Tensor::clamp(std::optional<Scalar> min, std::optional<Scalar> max) const {
  return soma::clamp(*this, min, max);
}
Tensor& Tensor::clamp_(std::optional<Scalar> min, std::optional<Scalar> max) {
  DType rt = dtype();
  if (min) rt = promote_with_scalar(rt, *min);
  if (max) rt = promote_with_scalar(rt, *max);
  check_inplace_type("clamp_", dtype(), rt);
  return inplace_via(*this, "clamp_", [min, max](const Tensor& x) { return soma::clamp(x, min, max); });
}

// ---- where --------------------------------------------------------------------------------------

Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  SOMA_CHECK(cond.dtype() == kBool, "where: the condition must be a bool tensor, got {}", dtype_name(cond.dtype()));
  const DType rt = ops::result_type(a, b);
  const Shape shape = broadcast_shapes(cond.shape(), broadcast_shapes(a.shape(), b.shape(), "where"), "where");
  // A pure selection: runs on the storage type, half types included.
  Tensor x = ops::cast(a, rt), y = ops::cast(b, rt);
  Tensor out = empty(shape, rt);
  kernels::LoopGeometry geo = kernels::make_geometry(shape, {&out, &cond, &x, &y}, "where");
  dispatch(rt, [&]<class T>() {
    kernels::for_each(geo, [](char* const* p, const int64_t* s, int64_t n) {
      T* o = reinterpret_cast<T*>(p[0]);
      const bool* c = reinterpret_cast<const bool*>(p[1]);
      const T* u = reinterpret_cast<const T*>(p[2]);
      const T* v = reinterpret_cast<const T*>(p[3]);
      if (s[0] == sizeof(T) && s[1] == 1 && s[2] == sizeof(T) && (s[3] == sizeof(T) || s[3] == 0)) {
        const int64_t sv = s[3] == 0 ? 0 : 1;
        for (int64_t i = 0; i < n; ++i) {
          const T ui = u[i], vi = v[i * sv];
          o[i] = c[i] ? ui : vi;
        }
      } else {
        for (int64_t i = 0; i < n; ++i)
          *reinterpret_cast<T*>(p[0] + i * s[0]) = *reinterpret_cast<const bool*>(p[1] + i * s[1])
                                                       ? *reinterpret_cast<const T*>(p[2] + i * s[2])
                                                       : *reinterpret_cast<const T*>(p[3] + i * s[3]);
      }
    });
  });
  if (autograd::needs_grad(a, b)) {
    autograd::record("where", out, {a, b},
                     [sc = SavedTensor(cond), sa = a.shape(), da = a.dtype(), sb = b.shape(), db = b.dtype()](
                         const Tensor& g, GradMask m) -> TensorList {
                       const Tensor& c = sc.get();
                       TensorList r(2);
                       if (m[0]) r[0] = ops::reduce_grad(where(c, g, zero_like_scalar(g)), sa, da);
                       if (m[1]) r[1] = ops::reduce_grad(where(c, zero_like_scalar(g), g), sb, db);
                       return r;
                     });
  }
  return out;
}

Tensor where(const Tensor& cond, const Tensor& a, Scalar b) {
  return where(cond, a, scalar_tensor(b, promote_with_scalar(a.dtype(), b)));
}

}  // namespace soma
