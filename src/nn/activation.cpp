// Activations. Pointwise ones: a vectorizable forward kernel (vecmath for float32) and a
// one-pass backward kernel g * f'(x); under create_graph the backward is the same derivative in
// tensor ops, so it differentiates again.
#include "soma/nn/activation.h"

#include <cmath>
#include <numbers>

#include "autograd/node.h"
#include "kernels/cpu/vecmath.h"
#include "ops/elementwise.h"
#include "soma/creation.h"
#include "soma/grad_mode.h"
#include "soma/linalg.h"
#include "soma/math.h"
#include "soma/nn/init.h"
#include "soma/reduce.h"
#include "soma/views.h"

namespace soma::nn {

namespace functional {

using autograd::GradMask;
using autograd::SavedTensor;
namespace vec = kernels::vec;

namespace {

template <class T>
constexpr bool is_f32 = std::is_same_v<T, float>;

template <class T> T vexp(T x) { if constexpr (is_f32<T>) return vec::exp(x); else return std::exp(x); }
template <class T> T vtanh(T x) { if constexpr (is_f32<T>) return vec::tanh(x); else return std::tanh(x); }
template <class T> T verf(T x) { if constexpr (is_f32<T>) return vec::erf(x); else return std::erf(x); }
template <class T> T vsigmoid(T x) {
  if constexpr (is_f32<T>) return vec::sigmoid(x); else return T(1) / (T(1) + std::exp(-x));
}
template <class T> T vlog1p(T x) { if constexpr (is_f32<T>) return vec::log1p(x); else return std::log1p(x); }

void check_floating(const char* name, const Tensor& x) {
  SOMA_CHECK(is_floating(x.dtype()), "{}: expected a floating-point input, got dtype {}", name,
             dtype_name(x.dtype()));
}

// y = op(x) elementwise for floating x (half types compute in float32).
template <class Op>
Tensor float_map(const Tensor& x, Op op) {
  const DType ct = compute_dtype(x.dtype());
  const Tensor xc = ops::cast(x, ct);
  Tensor out = empty(x.shape(), ct);
  dispatch_float(ct, [&]<class T>() { kernels::unary_kernel<T, T>(out, xc, op); });
  return ops::cast(out, x.dtype());
}

// A pointwise activation: forward f, derivative df (scalar ops, called with float or double);
// composed(g, x) is g * f'(x) in differentiable tensor ops, used under create_graph.
template <class F, class DF, class Composed>
Tensor pointwise(const char* name, const Tensor& x, F f, DF df, Composed composed) {
  check_floating(name, x);
  Tensor out = float_map(x, f);
  if (autograd::needs_grad(x)) {
    autograd::record(name, out, {x}, [sx = SavedTensor(x), df, composed](const Tensor& g, GradMask) -> TensorList {
      const Tensor& x = sx.get();
      if (is_grad_enabled()) return {composed(g, x)};
      const DType ct = compute_dtype(x.dtype());
      const Tensor gc = ops::cast(g, ct), xc = ops::cast(x, ct);
      Tensor dx = empty(x.shape(), ct);
      dispatch_float(ct, [&]<class T>() {
        kernels::binary_kernel<T, T>(dx, gc, xc, [df](T gv, T xv) { return gv * df(xv); });
      });
      return {ops::cast(dx, x.dtype())};
    });
  }
  return out;
}

// A piecewise-linear activation: f'(x) is piecewise constant, so the composed gradient is g
// times a constant tensor.
template <class F, class DF>
Tensor piecewise_linear(const char* name, const Tensor& x, F f, DF df) {
  return pointwise(name, x, f, df, [df](const Tensor& g, const Tensor& x) {
    return g * float_map(x.detach(), df);
  });
}

constexpr double kSeluAlpha = 1.6732632423543772848170429916717;
constexpr double kSeluScale = 1.0507009873554804934193349852946;
constexpr double kInvSqrt2Pi = 0.3989422804014327;  // 1 / sqrt(2 pi)
constexpr double kSqrt2OverPi = 0.7978845608028654;
constexpr double kGeluCubic = 0.044715;

Tensor elu_scaled(const char* name, const Tensor& x, double alpha, double scale) {
  return pointwise(
      name, x,
      [alpha, scale](auto v) {
        using T = decltype(v);
        return static_cast<T>(scale) * (v > T(0) ? v : static_cast<T>(alpha) * (vexp(v) - T(1)));
      },
      [alpha, scale](auto v) {
        using T = decltype(v);
        return static_cast<T>(scale) * (v > T(0) ? T(1) : static_cast<T>(alpha) * vexp(v));
      },
      [alpha, scale](const Tensor& g, const Tensor& x) {
        return where(x > 0, g * scale, g * exp(x) * (alpha * scale));
      });
}

}  // namespace

Tensor relu(const Tensor& x) { return soma::relu(x); }
Tensor sigmoid(const Tensor& x) { return soma::sigmoid(x); }
Tensor tanh(const Tensor& x) { return soma::tanh(x); }
Tensor abs(const Tensor& x) { return soma::abs(x); }
Tensor softmax(const Tensor& x, int64_t dim) { return soma::softmax(x, dim); }
Tensor log_softmax(const Tensor& x, int64_t dim) { return soma::log_softmax(x, dim); }

Tensor leaky_relu(const Tensor& x, double slope) {
  return piecewise_linear(
      "leaky_relu", x, [slope](auto v) { return v > 0 ? v : v * static_cast<decltype(v)>(slope); },
      [slope](auto v) { return v > 0 ? decltype(v)(1) : static_cast<decltype(v)>(slope); });
}

Tensor hardtanh(const Tensor& x, double lo, double hi) {
  SOMA_CHECK(lo < hi, "hardtanh: min_val ({}) must be below max_val ({})", lo, hi);
  return piecewise_linear(
      "hardtanh", x,
      [lo, hi](auto v) {
        using T = decltype(v);
        return v < T(lo) ? T(lo) : (v > T(hi) ? T(hi) : v);
      },
      [lo, hi](auto v) {
        using T = decltype(v);
        return v > T(lo) && v < T(hi) ? T(1) : T(0);
      });
}

Tensor elu(const Tensor& x, double alpha) { return elu_scaled("elu", x, alpha, 1.0); }
Tensor selu(const Tensor& x) { return elu_scaled("selu", x, kSeluAlpha, kSeluScale); }

Tensor gelu(const Tensor& x, std::string_view approximate) {
  if (approximate == "none")
    return pointwise(
        "gelu", x,
        [](auto v) {
          using T = decltype(v);
          return T(0.5) * v * (T(1) + verf(v * T(std::numbers::sqrt2 / 2)));
        },
        [](auto v) {
          using T = decltype(v);
          return T(0.5) * (T(1) + verf(v * T(std::numbers::sqrt2 / 2))) + v * vexp(T(-0.5) * v * v) * T(kInvSqrt2Pi);
        },
        [](const Tensor& g, const Tensor& x) {
          return g * ((erf(x * (std::numbers::sqrt2 / 2)) + 1.0) * 0.5 + x * exp(x * x * -0.5) * kInvSqrt2Pi);
        });
  SOMA_CHECK(approximate == "tanh", "gelu: approximate must be 'none' or 'tanh', got '{}'", approximate);
  return pointwise(
      "gelu", x,
      [](auto v) {
        using T = decltype(v);
        return T(0.5) * v * (T(1) + vtanh(T(kSqrt2OverPi) * (v + T(kGeluCubic) * v * v * v)));
      },
      [](auto v) {
        using T = decltype(v);
        const T t = vtanh(T(kSqrt2OverPi) * (v + T(kGeluCubic) * v * v * v));
        return T(0.5) * (T(1) + t) + T(0.5) * v * (T(1) - t * t) * T(kSqrt2OverPi) * (T(1) + T(3 * kGeluCubic) * v * v);
      },
      [](const Tensor& g, const Tensor& x) {
        Tensor t = soma::tanh((x + x * x * x * kGeluCubic) * kSqrt2OverPi);
        return g * ((t + 1.0) * 0.5 + x * (1.0 - t * t) * (x * x * (3 * kGeluCubic) + 1.0) * (0.5 * kSqrt2OverPi));
      });
}

Tensor silu(const Tensor& x) {
  return pointwise(
      "silu", x, [](auto v) { return v * vsigmoid(v); },
      [](auto v) {
        using T = decltype(v);
        const T s = vsigmoid(v);
        return s * (T(1) + v * (T(1) - s));
      },
      [](const Tensor& g, const Tensor& x) {
        Tensor s = soma::sigmoid(x);
        return g * s * (x * (1.0 - s) + 1.0);
      });
}

Tensor softplus(const Tensor& x, double beta, double threshold) {
  return pointwise(
      "softplus", x,
      [beta, threshold](auto v) {
        using T = decltype(v);
        const T bx = v * T(beta);
        return bx > T(threshold) ? v : vlog1p(vexp(bx)) / T(beta);
      },
      [beta, threshold](auto v) {
        using T = decltype(v);
        const T bx = v * T(beta);
        return bx > T(threshold) ? T(1) : vsigmoid(bx);
      },
      [beta, threshold](const Tensor& g, const Tensor& x) {
        return where(x * beta > threshold, g, g * soma::sigmoid(x * beta));
      });
}

Tensor softsign(const Tensor& x) {
  return pointwise(
      "softsign", x,
      [](auto v) {
        using T = decltype(v);
        return v / (T(1) + (v < T(0) ? -v : v));
      },
      [](auto v) {
        using T = decltype(v);
        const T d = T(1) + (v < T(0) ? -v : v);
        return T(1) / (d * d);
      },
      [](const Tensor& g, const Tensor& x) {
        Tensor d = soma::abs(x) + 1.0;
        return g / (d * d);
      });
}

Tensor prelu(const Tensor& x, const Tensor& weight) {
  check_floating("prelu", x);
  SOMA_CHECK(weight.dim() <= 1, "prelu: weight must be 1-D, got shape {}", weight.shape());
  const int64_t n = weight.numel();
  if (n == 1) return where(x > 0, x, x * weight.reshape({}));
  SOMA_CHECK(x.dim() >= 2 && x.size(1) == n,
             "prelu: weight has {} elements but input of shape {} has {} channels at dim 1", n, x.shape(),
             x.dim() >= 2 ? x.size(1) : 1);
  Shape s(x.dim(), 1);
  s[1] = n;
  return where(x > 0, x, x * weight.view(s));
}

Tensor rrelu(const Tensor& x, double lower, double upper, bool training, Generator* gen) {
  SOMA_CHECK(0 <= lower && lower <= upper, "rrelu: expected 0 <= lower <= upper, got lower={} upper={}", lower, upper);
  if (!training) return leaky_relu(x, (lower + upper) / 2);
  check_floating("rrelu", x);
  Tensor slope = rand(x.shape(), x.dtype(), gen) * (upper - lower) + lower;
  return where(x >= 0, x, x * slope);
}

Tensor maxout(const Tensor& x, int64_t pieces) {
  SOMA_CHECK(pieces > 0 && x.dim() >= 1 && x.size(-1) % pieces == 0,
             "maxout: the last dim of input shape {} is not a multiple of pieces={}", x.shape(), pieces);
  Shape s = x.shape();
  s[s.size() - 1] = x.size(-1) / pieces;
  s.push_back(pieces);
  return amax(x.reshape(s), {-1});
}

Tensor rbf(const Tensor& x, const Tensor& centres, const Tensor& log_sigma) {
  check_floating("rbf", x);
  SOMA_CHECK(centres.dim() == 2 && log_sigma.dim() == 1 && log_sigma.size(0) == centres.size(0),
             "rbf: expected centres [out, in] and log_sigma [out], got shapes {} and {}", centres.shape(),
             log_sigma.shape());
  SOMA_CHECK(x.dim() >= 1 && x.size(-1) == centres.size(1),
             "rbf: input of shape {} does not match centres of shape {} (expected last dim {})", x.shape(),
             centres.shape(), centres.size(1));
  // ||x - c||^2 = ||x||^2 - 2 x.c + ||c||^2 (one matrix product), clamped at 0 against rounding.
  Tensor d2 = clamp_min(sum(x * x, {-1}, true) - matmul(x, centres.t()) * 2.0 + sum(centres * centres, {1}), 0.0);
  return exp(d2 * exp(log_sigma * -2.0) * -0.5);
}

}  // namespace functional

// ---- modules --------------------------------------------------------------------------------------

std::string LeakyReLU::extra_repr() const { return fmt::format("negative_slope={}", negative_slope); }

PReLU::PReLU(int64_t n, double init, DType dtype) : Module("PReLU"), num_parameters(n) {
  SOMA_CHECK(n > 0, "PReLU: num_parameters must be positive, got {}", n);
  weight = register_parameter("weight", full({n}, init, dtype));
}
std::string PReLU::extra_repr() const { return fmt::format("num_parameters={}", num_parameters); }

RReLU::RReLU(double lower, double upper, Generator* gen) : Module("RReLU"), lower(lower), upper(upper), gen(gen) {
  SOMA_CHECK(0 <= lower && lower <= upper, "RReLU: expected 0 <= lower <= upper, got lower={} upper={}", lower, upper);
}
std::string RReLU::extra_repr() const { return fmt::format("lower={}, upper={}", lower, upper); }

std::string ELU::extra_repr() const { return fmt::format("alpha={}", alpha); }

GELU::GELU(std::string approx) : Module("GELU"), approximate(std::move(approx)) {
  SOMA_CHECK(approximate == "none" || approximate == "tanh", "GELU: approximate must be 'none' or 'tanh', got '{}'",
             approximate);
}
std::string GELU::extra_repr() const { return fmt::format("approximate='{}'", approximate); }

Hardtanh::Hardtanh(double lo, double hi) : Module("Hardtanh"), min_val(lo), max_val(hi) {
  SOMA_CHECK(lo < hi, "Hardtanh: min_val ({}) must be below max_val ({})", lo, hi);
}
std::string Hardtanh::extra_repr() const { return fmt::format("min_val={}, max_val={}", min_val, max_val); }

std::string Softplus::extra_repr() const { return fmt::format("beta={}, threshold={}", beta, threshold); }
std::string Softmax::extra_repr() const { return fmt::format("dim={}", dim); }
std::string LogSoftmax::extra_repr() const { return fmt::format("dim={}", dim); }

Maxout::Maxout(int64_t in, int64_t out, int64_t k, LinearOptions options)
    : Module("Maxout"), in_features(in), out_features(out), pieces(k) {
  SOMA_CHECK(k > 0, "Maxout: pieces must be positive, got {}", k);
  linear = register_module("linear", Linear(in, out * k, options));
}
Tensor Maxout::forward(const Tensor& x) { return functional::maxout(linear->forward(x), pieces); }
std::string Maxout::extra_repr() const {
  return fmt::format("in_features={}, out_features={}, pieces={}", in_features, out_features, pieces);
}

RBF::RBF(int64_t in, int64_t out, DType dtype) : Module("RBF"), in_features(in), out_features(out) {
  SOMA_CHECK(in > 0 && out > 0, "RBF: in_features and out_features must be positive, got {} and {}", in, out);
  centres = register_parameter("centres", randn({out, in}, dtype));
  log_sigma = register_parameter("log_sigma", zeros({out}, dtype));
}
std::string RBF::extra_repr() const { return fmt::format("in_features={}, out_features={}", in_features, out_features); }

}  // namespace soma::nn
