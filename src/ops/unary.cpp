// Unary math functions and their gradients (written with Tensor ops, so they differentiate
// again). Integer inputs to floating functions compute in float32, as in PyTorch.
#include <cmath>

#include "autograd/node.h"
#include "ops/elementwise.h"
#include "ops/util.h"
#include "soma/math.h"

namespace soma {

using autograd::GradMask;
using autograd::SavedTensor;

namespace {

DType float_type(DType t) { return is_floating(t) ? t : kFloat32; }

// A floating-point function of one tensor: forward `op`, backward `grad(g, x, y)` where x is
// the input and y the output (recomputed from x under create_graph so it stays differentiable).
template <class Op, class Grad>
Tensor float_unary(const char* name, const Tensor& a, Op op, Grad grad, Tensor (*self)(const Tensor&)) {
  Tensor out = ops::unary_forward(a, float_type(a.dtype()), op);
  if (autograd::needs_grad(a)) {
    autograd::record(name, out, {a},
                     [sx = SavedTensor(a), sy = SavedTensor::output(out), grad, self](const Tensor& g,
                                                                                     GradMask) -> TensorList {
                       const Tensor& x = sx.get();
                       Tensor y = is_grad_enabled() ? self(x) : sy.get();
                       return {grad(g, x, y)};
                     });
  }
  return out;
}

}  // namespace

Tensor exp(const Tensor& a) {
  return float_unary("exp", a, [](auto x) { return std::exp(x); },
                     [](const Tensor& g, const Tensor&, const Tensor& y) { return g * y; }, &exp);
}

Tensor expm1(const Tensor& a) {
  return float_unary("expm1", a, [](auto x) { return std::expm1(x); },
                     [](const Tensor& g, const Tensor&, const Tensor& y) { return g * (y + 1.0); }, &expm1);
}

Tensor log(const Tensor& a) {
  return float_unary("log", a, [](auto x) { return std::log(x); },
                     [](const Tensor& g, const Tensor& x, const Tensor&) { return g / x; }, &log);
}

Tensor log1p(const Tensor& a) {
  return float_unary("log1p", a, [](auto x) { return std::log1p(x); },
                     [](const Tensor& g, const Tensor& x, const Tensor&) { return g / (x + 1.0); }, &log1p);
}

Tensor sqrt(const Tensor& a) {
  return float_unary("sqrt", a, [](auto x) { return std::sqrt(x); },
                     [](const Tensor& g, const Tensor&, const Tensor& y) { return g / (y * 2.0); }, &sqrt);
}

Tensor rsqrt(const Tensor& a) {
  return float_unary("rsqrt", a, [](auto x) { return decltype(x)(1) / std::sqrt(x); },
                     [](const Tensor& g, const Tensor&, const Tensor& y) { return g * y * y * y * -0.5; }, &rsqrt);
}

Tensor sin(const Tensor& a) {
  return float_unary("sin", a, [](auto x) { return std::sin(x); },
                     [](const Tensor& g, const Tensor& x, const Tensor&) { return g * cos(x); }, &sin);
}

Tensor cos(const Tensor& a) {
  return float_unary("cos", a, [](auto x) { return std::cos(x); },
                     [](const Tensor& g, const Tensor& x, const Tensor&) { return -g * sin(x); }, &cos);
}

Tensor tanh(const Tensor& a) {
  return float_unary("tanh", a, [](auto x) { return std::tanh(x); },
                     [](const Tensor& g, const Tensor&, const Tensor& y) { return g * (1.0 - y * y); }, &tanh);
}

Tensor sigmoid(const Tensor& a) {
  return float_unary("sigmoid", a, [](auto x) { return decltype(x)(1) / (decltype(x)(1) + std::exp(-x)); },
                     [](const Tensor& g, const Tensor&, const Tensor& y) { return g * y * (1.0 - y); }, &sigmoid);
}

Tensor erf(const Tensor& a) {
  return float_unary("erf", a, [](auto x) { return std::erf(x); },
                     [](const Tensor& g, const Tensor& x, const Tensor&) {
                       return g * exp(-(x * x)) * 1.1283791670955126;  // 2/sqrt(pi)
                     },
                     &erf);
}

Tensor relu(const Tensor& a) {
  SOMA_CHECK(a.dtype() != kBool, "relu: not defined for bool tensors");
  Tensor out = ops::unary_forward(a, a.dtype(), [](auto x) { return x > decltype(x)(0) ? x : decltype(x)(0); });
  if (autograd::needs_grad(a)) {
    autograd::record("relu", out, {a}, [sx = SavedTensor(a)](const Tensor& g, GradMask) -> TensorList {
      const Tensor& x = sx.get();
      return {g * ops::unary_forward(x, x.dtype(), [](auto v) { return v > decltype(v)(0) ? 1 : 0; })};
    });
  }
  return out;
}

Tensor abs(const Tensor& a) {
  Tensor out = a.dtype() == kBool ? a.clone() : ops::unary_forward(a, a.dtype(), [](auto x) {
    if constexpr (std::is_unsigned_v<decltype(x)>)
      return x;
    else
      return x < decltype(x)(0) ? -x : x;
  });
  if (autograd::needs_grad(a)) {
    autograd::record("abs", out, {a}, [sx = SavedTensor(a)](const Tensor& g, GradMask) -> TensorList {
      return {g * sign(sx.get())};
    });
  }
  return out;
}

Tensor sign(const Tensor& a) {
  // The derivative of sign is zero almost everywhere: no graph.
  return ops::unary_forward(a.detach(), a.dtype(), [](auto x) {
    using T = decltype(x);
    return static_cast<T>((T(0) < x) - (x < T(0)));
  });
}

Tensor pow(const Tensor& base, Scalar exponent) {
  const double e = exponent.to_double();
  DType rt = promote_with_scalar(base.dtype(), exponent);
  Tensor out;
  if (e == 2.0)
    out = ops::unary_forward(base, rt, [](auto x) { return x * x; });
  else
    out = ops::unary_forward(base, float_type(rt), [e](auto x) { return std::pow(x, static_cast<decltype(x)>(e)); });
  if (!is_floating(rt) && out.dtype() != rt) out = ops::cast(out, rt);
  if (autograd::needs_grad(base)) {
    autograd::record("pow", out, {base}, [sx = SavedTensor(base), exponent, e](const Tensor& g, GradMask) -> TensorList {
      if (e == 0.0) return {g * 0.0};
      const Tensor& x = sx.get();
      return {g * (e == 2.0 ? x * 2.0 : pow(x, e - 1.0) * e)};
    });
  }
  return out;
}

Tensor Tensor::exp() const { return soma::exp(*this); }
Tensor Tensor::expm1() const { return soma::expm1(*this); }
Tensor Tensor::log() const { return soma::log(*this); }
Tensor Tensor::log1p() const { return soma::log1p(*this); }
Tensor Tensor::sqrt() const { return soma::sqrt(*this); }
Tensor Tensor::rsqrt() const { return soma::rsqrt(*this); }
Tensor Tensor::sin() const { return soma::sin(*this); }
Tensor Tensor::cos() const { return soma::cos(*this); }
Tensor Tensor::tanh() const { return soma::tanh(*this); }
Tensor Tensor::sigmoid() const { return soma::sigmoid(*this); }
Tensor Tensor::relu() const { return soma::relu(*this); }
Tensor Tensor::erf() const { return soma::erf(*this); }
Tensor Tensor::abs() const { return soma::abs(*this); }
Tensor Tensor::sign() const { return soma::sign(*this); }
Tensor Tensor::pow(Scalar e) const { return soma::pow(*this, e); }

}  // namespace soma
