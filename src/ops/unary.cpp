// Unary math functions and their gradients (written with Tensor ops, so they differentiate
// again). Integer inputs to floating functions compute in float32, as in PyTorch. In float32
// (and the half types, which compute in float32) exp, expm1, log, log1p, tanh, sigmoid and erf
// use the vectorizable versions in kernels/cpu/vecmath.h; float64 uses std::.
#include <cmath>

#include "autograd/node.h"
#include "kernels/cpu/vecmath.h"
#include "ops/elementwise.h"
#include "ops/util.h"
#include "soma/math.h"

namespace soma {

using autograd::GradMask;
using autograd::SavedTensor;
namespace vec = kernels::vec;

namespace {

DType float_type(DType t) { return is_floating(t) ? t : kFloat32; }

template <class T>
constexpr bool is_f32 = std::is_same_v<T, float>;

// What a backward formula reads: the input, or the output (which under create_graph is
// recomputed from the input so that it stays differentiable).
enum class Needs { Input, Output };

// A floating-point function of one tensor: forward `op`, backward `grad(g, x, y)` where x is
// the input and y the output; the one not in `needs` is undefined. Only what the formula reads is
// checked for in-place writes, as in PyTorch (y = x.sin(); y.add_(1) keeps sin's gradient valid).
template <class Op, class Grad>
Tensor float_unary(const char* name, const Tensor& a, Op op, Grad grad, Tensor (*self)(const Tensor&), Needs needs) {
  Tensor out = ops::unary_forward(a, float_type(a.dtype()), op);
  if (autograd::needs_grad(a)) {
    SavedTensor sy = needs == Needs::Output ? SavedTensor::output(out) : SavedTensor();
    autograd::record(name, out, {a},
                     [sx = SavedTensor(a), sy, grad, self, needs](const Tensor& g, GradMask) -> TensorList {
                       if (needs == Needs::Input) return {grad(g, sx.get(), Tensor())};
                       if (!is_grad_enabled()) return {grad(g, Tensor(), sy.get())};
                       const Tensor& x = sx.get();
                       return {grad(g, x, self(x))};
                     });
  }
  return out;
}

// self = op(self) in place, for an op whose out-of-place form `reference` gives dtype `result`.
template <class Op>
Tensor& unary_inplace(Tensor& self, const char* name, DType result, Op op, Tensor (*reference)(const Tensor&)) {
  SOMA_CHECK(result == self.dtype(), "{}: the result type {} cannot be stored in a tensor of dtype {}", name,
             dtype_name(result), dtype_name(self.dtype()));
  Tensor s = self;
  return ops::apply_inplace(
      self, name, false,
      [&] {
        if (is_half(s.dtype()))
          kernels::copy(s, reference(s.detach()));
        else
          dispatch_compute(s.dtype(), [&]<class T>() {
            kernels::unary_kernel<T, T>(s, s, [op](T u) { return static_cast<T>(op(u)); });
          });
      },
      [&] { return reference(s.clone()); });  // the op may save its input, which is about to change
}

constexpr auto exp_op = [](auto x) {
  if constexpr (is_f32<decltype(x)>) return vec::exp(x); else return std::exp(x);
};
constexpr auto sqrt_op = [](auto x) { return std::sqrt(x); };
constexpr auto relu_op = [](auto x) { return x > decltype(x)(0) ? x : decltype(x)(0); };

}  // namespace

Tensor exp(const Tensor& a) {
  return float_unary("exp", a, exp_op,
                     [](const Tensor& g, const Tensor&, const Tensor& y) { return g * y; }, &exp, Needs::Output);
}

Tensor expm1(const Tensor& a) {
  return float_unary("expm1", a, [](auto x) {
                       if constexpr (is_f32<decltype(x)>) return vec::expm1(x); else return std::expm1(x);
                     },
                     [](const Tensor& g, const Tensor&, const Tensor& y) { return g * (y + 1.0); },
                     &expm1, Needs::Output);
}

Tensor log(const Tensor& a) {
  return float_unary("log", a, [](auto x) {
                       if constexpr (is_f32<decltype(x)>) return vec::log(x); else return std::log(x);
                     },
                     [](const Tensor& g, const Tensor& x, const Tensor&) { return g / x; }, &log, Needs::Input);
}

Tensor log1p(const Tensor& a) {
  return float_unary("log1p", a, [](auto x) {
                       if constexpr (is_f32<decltype(x)>) return vec::log1p(x); else return std::log1p(x);
                     },
                     [](const Tensor& g, const Tensor& x, const Tensor&) { return g / (x + 1.0); },
                     &log1p, Needs::Input);
}

Tensor sqrt(const Tensor& a) {
  return float_unary("sqrt", a, sqrt_op,
                     [](const Tensor& g, const Tensor&, const Tensor& y) { return g / (y * 2.0); },
                     &sqrt, Needs::Output);
}

Tensor rsqrt(const Tensor& a) {
  return float_unary("rsqrt", a, [](auto x) { return decltype(x)(1) / std::sqrt(x); },
                     [](const Tensor& g, const Tensor&, const Tensor& y) { return g * y * y * y * -0.5; },
                     &rsqrt, Needs::Output);
}

Tensor sin(const Tensor& a) {
  return float_unary("sin", a, [](auto x) { return std::sin(x); },
                     [](const Tensor& g, const Tensor& x, const Tensor&) { return g * cos(x); }, &sin, Needs::Input);
}

Tensor cos(const Tensor& a) {
  return float_unary("cos", a, [](auto x) { return std::cos(x); },
                     [](const Tensor& g, const Tensor& x, const Tensor&) { return -g * sin(x); }, &cos, Needs::Input);
}

Tensor tanh(const Tensor& a) {
  return float_unary("tanh", a, [](auto x) {
                       if constexpr (is_f32<decltype(x)>) return vec::tanh(x); else return std::tanh(x);
                     },
                     [](const Tensor& g, const Tensor&, const Tensor& y) { return g * (1.0 - y * y); },
                     &tanh, Needs::Output);
}

Tensor sigmoid(const Tensor& a) {
  return float_unary("sigmoid", a, [](auto x) {
                       using T = decltype(x);
                       if constexpr (is_f32<T>) return vec::sigmoid(x); else return T(1) / (T(1) + std::exp(-x));
                     },
                     [](const Tensor& g, const Tensor&, const Tensor& y) { return g * y * (1.0 - y); },
                     &sigmoid, Needs::Output);
}

Tensor erf(const Tensor& a) {
  return float_unary("erf", a, [](auto x) {
                       if constexpr (is_f32<decltype(x)>) return vec::erf(x); else return std::erf(x);
                     },
                     [](const Tensor& g, const Tensor& x, const Tensor&) {
                       return g * exp(-(x * x)) * 1.1283791670955126;  // 2/sqrt(pi)
                     },
                     &erf, Needs::Input);
}

Tensor relu(const Tensor& a) {
  SOMA_CHECK(a.dtype() != kBool, "relu: not defined for bool tensors");
  Tensor out = ops::unary_forward(a, a.dtype(), relu_op);
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
  Tensor out = ops::unary_forward(a.detach(), a.dtype(), [](auto x) {
    using T = decltype(x);
    return static_cast<T>((T(0) < x) - (x < T(0)));
  });
  // The derivative is zero (at 0 too), as in PyTorch: a node, so grad() through sign works, whose
  // gradient is a constant zero (no graph of its own under create_graph).
  if (autograd::needs_grad(a))
    autograd::record("sign", out, {a}, [](const Tensor& g, GradMask) -> TensorList { return {zeros_like(g)}; });
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

Tensor& Tensor::exp_() { return unary_inplace(*this, "exp_", float_type(dtype()), exp_op, &soma::exp); }
Tensor& Tensor::sqrt_() { return unary_inplace(*this, "sqrt_", float_type(dtype()), sqrt_op, &soma::sqrt); }
Tensor& Tensor::relu_() {
  SOMA_CHECK(dtype() != kBool, "relu_: not defined for bool tensors");
  return unary_inplace(*this, "relu_", dtype(), relu_op, &soma::relu);
}

}  // namespace soma
