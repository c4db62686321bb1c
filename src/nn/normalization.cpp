// Batch, layer and group normalization: fused forward/backward kernels (kernels/cpu/norm.h);
// under create_graph the backward uses the same formulas written in tensor ops, so it
// differentiates again.
#include "soma/nn/normalization.h"

#include "autograd/node.h"
#include "kernels/cpu/norm.h"
#include "soma/creation.h"
#include "soma/grad_mode.h"
#include "soma/math.h"
#include "soma/nn/functional/normalization.h"
#include "soma/nn/init.h"
#include "soma/reduce.h"
#include "soma/views.h"

namespace soma::nn {

namespace functional {

using autograd::GradMask;
using autograd::SavedTensor;

namespace {

template <class T>
const T* ptr(const Tensor& t) { return t.defined() ? t.data<T>() : nullptr; }
template <class T>
T* mut_ptr(const Tensor& t) { return t.defined() ? t.data<T>() : nullptr; }

SavedTensor save_optional(const Tensor& t) { return t.defined() ? SavedTensor(t) : SavedTensor(); }
Tensor get_optional(const SavedTensor& s, bool present) { return present ? s.get() : Tensor(); }

void check_param(const char* op, const char* name, const Tensor& p, const Shape& expected, DType dtype) {
  if (!p.defined()) return;
  SOMA_CHECK(p.shape() == expected, "{}: {} of shape {} does not match the expected shape {}", op, name, p.shape(),
             expected);
  SOMA_CHECK(p.dtype() == dtype, "{}: {} has dtype {}, expected the input's dtype {}", op, name,
             dtype_name(p.dtype()), dtype_name(dtype));
}

// x [R, n] normalized over dim 1, with weight and bias [n] (optional).
Tensor layer_norm_rows(const Tensor& x_in, const Tensor& w_in, const Tensor& b_in, double eps) {
  const Tensor x = x_in.contiguous(), w = w_in.defined() ? w_in.contiguous() : w_in,
               b = b_in.defined() ? b_in.contiguous() : b_in;
  const int64_t rows = x.size(0), n = x.size(1);
  Tensor out = empty(x.shape(), x.dtype()), mu = empty({rows}, x.dtype()), rstd = empty({rows}, x.dtype());
  dispatch_float(x.dtype(), [&]<class T>() {
    kernels::layer_norm_forward<T>(x.data<T>(), ptr<T>(w), ptr<T>(b), out.data<T>(), mu.data<T>(),
                                   rstd.data<T>(), rows, n, eps);
  });
  if (autograd::needs_grad(x, w, b)) {
    autograd::record(
        "layer_norm", out, {x, w, b},
        [sx = SavedTensor(x), sw = save_optional(w), has_w = w.defined(), sm = SavedTensor::output(mu),
         sr = SavedTensor::output(rstd), eps](const Tensor& g, GradMask m) -> TensorList {
          const Tensor& x = sx.get();
          const Tensor w = get_optional(sw, has_w);
          if (is_grad_enabled()) {  // create_graph: the same gradient in differentiable ops
            Tensor xc = x - mean(x, {1}, true);
            Tensor rs = rsqrt(mean(xc * xc, {1}, true) + eps);
            Tensor xhat = xc * rs;
            Tensor gw = w.defined() ? g * w : g;
            Tensor dx = m[0] ? rs * (gw - mean(gw, {1}, true) - xhat * mean(gw * xhat, {1}, true)) : Tensor();
            return {dx, m[1] ? sum(g * xhat, {0}) : Tensor(), m[2] ? sum(g, {0}) : Tensor()};
          }
          const Tensor gc = g.contiguous();
          Tensor dx = m[0] ? empty(x.shape(), x.dtype()) : Tensor();
          Tensor dw = m[1] ? empty(w.shape(), x.dtype()) : Tensor();
          Tensor db = m[2] ? empty({x.size(1)}, x.dtype()) : Tensor();
          dispatch_float(x.dtype(), [&]<class T>() {
            kernels::layer_norm_backward<T>(gc.data<T>(), x.data<T>(), sm.get().data<T>(), sr.get().data<T>(),
                                            ptr<T>(w), mut_ptr<T>(dx), mut_ptr<T>(dw), mut_ptr<T>(db), x.size(0),
                                            x.size(1));
          });
          return {dx, dw, db};
        });
  }
  return out;
}

// x [N, C, S]; statistics per channel (batch_stats) or the given mean / var (eval).
Tensor batch_norm_3d(const Tensor& x_in, const Tensor& w_in, const Tensor& b_in, bool batch_stats,
                     const Tensor& running_mean, const Tensor& running_var, double momentum, double eps) {
  const Tensor x = x_in.contiguous(), w = w_in.defined() ? w_in.contiguous() : w_in,
               b = b_in.defined() ? b_in.contiguous() : b_in;
  const int64_t N = x.size(0), C = x.size(1), S = x.size(2);
  const DType dt = x.dtype();
  Tensor out = empty(x.shape(), dt), mu, invstd;
  if (batch_stats) {
    mu = empty({C}, dt);
    Tensor var = empty({C}, dt);
    dispatch_float(dt, [&]<class T>() { kernels::batch_norm_stats<T>(x.data<T>(), mu.data<T>(), var.data<T>(), N, C, S); });
    invstd = rsqrt(var + eps);
    if (running_mean.defined()) {
      NoGradGuard no_grad;
      const double count = static_cast<double>(N * S);
      Tensor rm = running_mean, rv = running_var;
      rm.mul_(1 - momentum).add_(mu.to(rm.dtype()), momentum);
      rv.mul_(1 - momentum).add_((var * (count / (count - 1))).to(rv.dtype()), momentum);
    }
  } else {
    mu = running_mean.detach().to(dt).contiguous();
    invstd = rsqrt(running_var.detach().to(dt) + eps).contiguous();
  }
  dispatch_float(dt, [&]<class T>() {
    kernels::batch_norm_apply<T>(x.data<T>(), mu.data<T>(), invstd.data<T>(), ptr<T>(w), ptr<T>(b),
                                 out.data<T>(), N, C, S);
  });
  if (autograd::needs_grad(x, w, b)) {
    autograd::record(
        "batch_norm", out, {x, w, b},
        [sx = SavedTensor(x), sw = save_optional(w), has_w = w.defined(), sm = SavedTensor::output(mu),
         si = SavedTensor::output(invstd), batch_stats, eps](const Tensor& g, GradMask m) -> TensorList {
          const Tensor& x = sx.get();
          const Tensor w = get_optional(sw, has_w);
          const int64_t C = x.size(1);
          if (is_grad_enabled()) {  // create_graph: the same gradient in differentiable ops
            Tensor xc, rs;
            if (batch_stats) {
              xc = x - mean(x, {0, 2}, true);
              rs = rsqrt(mean(xc * xc, {0, 2}, true) + eps);
            } else {
              xc = x - sm.get().view({1, C, 1});
              rs = si.get().view({1, C, 1});
            }
            Tensor xhat = xc * rs;
            Tensor gw = w.defined() ? g * w.view({1, C, 1}) : g;
            Tensor dx;
            if (m[0])
              dx = batch_stats ? rs * (gw - mean(gw, {0, 2}, true) - xhat * mean(gw * xhat, {0, 2}, true)) : gw * rs;
            return {dx, m[1] ? sum(g * xhat, {0, 2}) : Tensor(), m[2] ? sum(g, {0, 2}) : Tensor()};
          }
          const Tensor gc = g.contiguous();
          Tensor dx = m[0] ? empty(x.shape(), x.dtype()) : Tensor();
          Tensor dw = m[1] ? empty({C}, x.dtype()) : Tensor();
          Tensor db = m[2] ? empty({C}, x.dtype()) : Tensor();
          dispatch_float(x.dtype(), [&]<class T>() {
            kernels::batch_norm_backward<T>(gc.data<T>(), x.data<T>(), sm.get().data<T>(), si.get().data<T>(),
                                            ptr<T>(w), mut_ptr<T>(dx), mut_ptr<T>(dw), mut_ptr<T>(db), x.size(0), C,
                                            x.size(2), batch_stats);
          });
          return {dx, dw, db};
        });
  }
  return out;
}

// Half-precision inputs compute in float32 (differentiable casts around the fused op).
template <class F>
Tensor in_compute_dtype(const Tensor& x, const Tensor& w, const Tensor& b, F f) {
  if (!is_half(x.dtype())) return f(x, w, b);
  auto up = [](const Tensor& t) { return t.defined() ? t.to(kFloat32) : t; };
  return f(up(x), up(w), up(b)).to(x.dtype());
}

}  // namespace

Tensor layer_norm(const Tensor& input, const Shape& normalized_shape, const Tensor& weight, const Tensor& bias,
                  double eps) {
  const int64_t k = normalized_shape.size();
  SOMA_CHECK(is_floating(input.dtype()), "layer_norm: expected a floating-point input, got dtype {}",
             dtype_name(input.dtype()));
  bool match = k >= 1 && input.dim() >= k;
  for (int64_t i = 0; match && i < k; ++i) match = input.size(input.dim() - k + i) == normalized_shape[i];
  SOMA_CHECK(match, "layer_norm: input of shape {} does not end with normalized_shape {}", input.shape(),
             normalized_shape);
  check_param("layer_norm", "weight", weight, normalized_shape, input.dtype());
  check_param("layer_norm", "bias", bias, normalized_shape, input.dtype());
  const int64_t n = normalized_shape.numel();
  if (input.numel() == 0) return input.clone();
  return in_compute_dtype(input, weight, bias, [&](const Tensor& x, const Tensor& w, const Tensor& b) {
    return layer_norm_rows(x.reshape({-1, n}), w.defined() ? w.reshape({n}) : w, b.defined() ? b.reshape({n}) : b,
                           eps)
        .view(input.shape());
  });
}

Tensor group_norm(const Tensor& input, int64_t num_groups, const Tensor& weight, const Tensor& bias, double eps) {
  SOMA_CHECK(is_floating(input.dtype()), "group_norm: expected a floating-point input, got dtype {}",
             dtype_name(input.dtype()));
  SOMA_CHECK(input.dim() >= 2, "group_norm: expected an input [N, C, *] of at least 2 dims, got shape {}",
             input.shape());
  const int64_t N = input.size(0), C = input.size(1);
  SOMA_CHECK(num_groups > 0 && C % num_groups == 0,
             "group_norm: the {} channels of input shape {} cannot be split into {} groups", C, input.shape(),
             num_groups);
  check_param("group_norm", "weight", weight, {C}, input.dtype());
  check_param("group_norm", "bias", bias, {C}, input.dtype());
  if (input.numel() == 0) return input.clone();
  return in_compute_dtype(input, weight, bias, [&](const Tensor& x, const Tensor& w, const Tensor& b) {
    Tensor y = layer_norm_rows(x.reshape({N * num_groups, -1}), {}, {}, eps).view({N, C, -1});
    if (w.defined()) y = y * w.view({1, C, 1});
    if (b.defined()) y = y + b.view({1, C, 1});
    return y.view(input.shape());
  });
}

Tensor batch_norm(const Tensor& input, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                  const Tensor& bias, bool training, double momentum, double eps) {
  SOMA_CHECK(is_floating(input.dtype()), "batch_norm: expected a floating-point input, got dtype {}",
             dtype_name(input.dtype()));
  SOMA_CHECK(input.dim() >= 2, "batch_norm: expected an input [N, C, *] of at least 2 dims, got shape {}",
             input.shape());
  const int64_t N = input.size(0), C = input.size(1);
  SOMA_CHECK(running_mean.defined() == running_var.defined(),
             "batch_norm: running_mean and running_var must be given together");
  SOMA_CHECK(training || running_mean.defined(), "batch_norm: evaluation needs running_mean and running_var");
  for (const Tensor* t : {&running_mean, &running_var})
    if (t->defined())
      SOMA_CHECK(t->shape() == Shape({C}), "batch_norm: running statistics of shape {} do not match the {} channels "
                 "of input shape {}", t->shape(), C, input.shape());
  check_param("batch_norm", "weight", weight, {C}, input.dtype());
  check_param("batch_norm", "bias", bias, {C}, input.dtype());
  if (training)
    SOMA_CHECK(input.numel() / C > 1, "batch_norm: expected more than 1 value per channel when training, got input "
               "of shape {}", input.shape());
  return in_compute_dtype(input, weight, bias, [&](const Tensor& x, const Tensor& w, const Tensor& b) {
    return batch_norm_3d(x.reshape({N, C, -1}), w, b, training, running_mean, running_var, momentum, eps)
        .view(input.shape());
  });
}

}  // namespace functional

// ---- modules --------------------------------------------------------------------------------------

BatchNorm::BatchNorm(std::string type_name, int64_t num_features, BatchNormOptions o)
    : Module(std::move(type_name)),
      num_features(num_features),
      eps(o.eps),
      momentum(o.momentum),
      affine(o.affine),
      track_running_stats(o.track_running_stats) {
  SOMA_CHECK(num_features > 0, "{}: num_features must be positive, got {}", this->type_name(), num_features);
  if (affine) {
    weight = register_parameter("weight", ones({num_features}, o.dtype));
    bias = register_parameter("bias", zeros({num_features}, o.dtype));
  }
  if (track_running_stats) {
    running_mean = register_buffer("running_mean", zeros({num_features}, o.dtype));
    running_var = register_buffer("running_var", ones({num_features}, o.dtype));
    num_batches_tracked = register_buffer("num_batches_tracked", zeros({}, kInt64));
  }
}

void BatchNorm::reset_running_stats() {
  if (!track_running_stats) return;
  init::zeros_(running_mean);
  init::ones_(running_var);
  num_batches_tracked.zero_();
}

void BatchNorm::reset_parameters() {
  reset_running_stats();
  if (affine) {
    init::ones_(weight);
    init::zeros_(bias);
  }
}

Tensor BatchNorm::forward(const Tensor& input) {
  check_input(input);
  SOMA_CHECK(input.size(1) == num_features, "{}: expected {} channels at dim 1, got input of shape {}", type_name(),
             num_features, input.shape());
  double factor = momentum.value_or(0.0);
  if (is_training() && track_running_stats) {
    num_batches_tracked.add_(1);
    if (!momentum) factor = 1.0 / num_batches_tracked.item<double>();
  }
  const bool use_batch_stats = is_training() || !track_running_stats;
  const bool update = is_training() && track_running_stats;
  return functional::batch_norm(input, use_batch_stats && !update ? Tensor() : running_mean,
                                use_batch_stats && !update ? Tensor() : running_var, weight, bias, use_batch_stats,
                                factor, eps);
}

std::string BatchNorm::extra_repr() const {
  return fmt::format("{}, eps={}, momentum={}, affine={}, track_running_stats={}", num_features, eps,
                     momentum ? fmt::format("{}", *momentum) : "None", affine, track_running_stats);
}

void BatchNorm1d::check_input(const Tensor& input) const {
  SOMA_CHECK(input.dim() == 2 || input.dim() == 3, "BatchNorm1d: expected a 2-D [N, C] or 3-D [N, C, L] input, got "
             "shape {}", input.shape());
}

void BatchNorm2d::check_input(const Tensor& input) const {
  SOMA_CHECK(input.dim() == 4, "BatchNorm2d: expected a 4-D [N, C, H, W] input, got shape {}", input.shape());
}

LayerNorm::LayerNorm(Shape shape, LayerNormOptions o)
    : Module("LayerNorm"), normalized_shape(std::move(shape)), eps(o.eps), elementwise_affine(o.elementwise_affine) {
  SOMA_CHECK(normalized_shape.size() > 0, "LayerNorm: normalized_shape must not be empty");
  if (elementwise_affine) {
    weight = register_parameter("weight", ones(normalized_shape, o.dtype));
    bias = register_parameter("bias", zeros(normalized_shape, o.dtype));
  }
}

Tensor LayerNorm::forward(const Tensor& input) {
  return functional::layer_norm(input, normalized_shape, weight, bias, eps);
}

std::string LayerNorm::extra_repr() const {
  std::string dims;
  for (int64_t d : normalized_shape) dims += fmt::format("{}, ", d);
  if (normalized_shape.size() > 1) dims.resize(dims.size() - 2);
  else dims.pop_back();
  return fmt::format("({}), eps={}, elementwise_affine={}", dims, eps, elementwise_affine);
}

GroupNorm::GroupNorm(int64_t num_groups, int64_t num_channels, GroupNormOptions o)
    : Module("GroupNorm"), num_groups(num_groups), num_channels(num_channels), eps(o.eps), affine(o.affine) {
  SOMA_CHECK(num_groups > 0 && num_channels % num_groups == 0,
             "GroupNorm: num_channels ({}) must be divisible by num_groups ({})", num_channels, num_groups);
  if (affine) {
    weight = register_parameter("weight", ones({num_channels}, o.dtype));
    bias = register_parameter("bias", zeros({num_channels}, o.dtype));
  }
}

Tensor GroupNorm::forward(const Tensor& input) {
  SOMA_CHECK(input.dim() >= 2 && input.size(1) == num_channels,
             "GroupNorm: expected an input [N, {}, *], got shape {}", num_channels, input.shape());
  return functional::group_norm(input, num_groups, weight, bias, eps);
}

std::string GroupNorm::extra_repr() const {
  return fmt::format("{}, {}, eps={}, affine={}", num_groups, num_channels, eps, affine);
}

}  // namespace soma::nn
