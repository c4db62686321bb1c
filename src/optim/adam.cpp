// The Adam family: fused updates (formulas in adam.h).
#include "soma/optim/adam.h"

#include <algorithm>
#include <cmath>

#include "optim/fused.h"
#include "soma/creation.h"

namespace soma::optim {

namespace {

template <class Options>
void check_adam_options(const char* name, const std::vector<Options>& options) {
  for (const Options& o : options) {
    SOMA_CHECK(o.lr >= 0, "{}: invalid learning rate {} (expected >= 0)", name, o.lr);
    SOMA_CHECK(o.eps >= 0, "{}: invalid eps {} (expected >= 0)", name, o.eps);
    SOMA_CHECK(o.weight_decay >= 0, "{}: invalid weight_decay {} (expected >= 0)", name, o.weight_decay);
    SOMA_CHECK(o.betas.first >= 0 && o.betas.first < 1 && o.betas.second >= 0 && o.betas.second < 1,
               "{}: invalid betas ({}, {}) (expected each in [0, 1))", name, o.betas.first, o.betas.second);
  }
}

// Adam and AdamW (decoupled weight decay).
template <class Options>
void adam_update(const Options& o, bool decoupled, const Tensor& p, const Tensor& grad, Tensor& exp_avg,
                 Tensor& exp_avg_sq, Tensor* max_exp_avg_sq, int64_t step) {
  const auto [beta1, beta2] = o.betas;
  const double bias1 = 1 - std::pow(beta1, static_cast<double>(step));
  const double bias2_sqrt = std::sqrt(1 - std::pow(beta2, static_cast<double>(step)));
  dispatch_float(p.dtype(), [&]<class T>() {
    T* w = p.data<T>();
    const T* g = grad.data<T>();
    T* m = exp_avg.data<T>();
    T* v = exp_avg_sq.data<T>();
    T* vmax = max_exp_avg_sq ? max_exp_avg_sq->data<T>() : nullptr;
    const T b1 = beta1, b2 = beta2, one_minus_b1 = 1 - beta1, one_minus_b2 = 1 - beta2, eps = o.eps,
            neg_step_size = -(o.lr / bias1), bc2 = bias2_sqrt, sign = o.maximize ? -1 : 1,
            wd = decoupled ? 0 : o.weight_decay, shrink = decoupled ? 1 - o.lr * o.weight_decay : 1;
    detail::with_flag(vmax != nullptr, [&](auto amsgrad) {
      detail::parallel_range(p.numel(), [=](int64_t lo, int64_t hi) {
#pragma omp simd
        for (int64_t i = lo; i < hi; ++i) {
          const T wi = w[i] * shrink;
          const T d = sign * g[i] + wd * wi;
          const T mi = m[i] * b1 + one_minus_b1 * d;
          T vi = v[i] * b2 + one_minus_b2 * d * d;
          m[i] = mi;
          v[i] = vi;
          if constexpr (decltype(amsgrad)::value) {
            vi = std::max(vmax[i], vi);
            vmax[i] = vi;
          }
          w[i] = wi + neg_step_size * mi / (std::sqrt(vi) / bc2 + eps);
        }
      });
    });
  });
}

}  // namespace

Adam::Adam(std::vector<Group> groups)
    : OptimizerWith("Adam", std::move(groups), {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"}) {
  check_adam_options("Adam", options_);
}

void Adam::step() {
  for_each_update([&](size_t group, const Tensor& p, const Tensor& grad, ParamState& s) {
    const AdamOptions& o = options_[group];
    Tensor* vmax = o.amsgrad ? &buffer(s, 2, p) : nullptr;
    adam_update(o, false, p, grad, buffer(s, 0, p), buffer(s, 1, p), vmax, ++s.step);
  });
}

AdamW::AdamW(std::vector<Group> groups)
    : OptimizerWith("AdamW", std::move(groups), {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"}) {
  check_adam_options("AdamW", options_);
}

void AdamW::step() {
  for_each_update([&](size_t group, const Tensor& p, const Tensor& grad, ParamState& s) {
    const AdamWOptions& o = options_[group];
    Tensor* vmax = o.amsgrad ? &buffer(s, 2, p) : nullptr;
    adam_update(o, true, p, grad, buffer(s, 0, p), buffer(s, 1, p), vmax, ++s.step);
  });
}

Adamax::Adamax(std::vector<Group> groups) : OptimizerWith("Adamax", std::move(groups), {"exp_avg", "exp_inf"}) {
  check_adam_options("Adamax", options_);
}

void Adamax::step() {
  for_each_update([&](size_t group, const Tensor& p, const Tensor& grad, ParamState& s) {
    const AdamaxOptions& o = options_[group];
    Tensor m = buffer(s, 0, p), u = buffer(s, 1, p);
    const double clr = o.lr / (1 - std::pow(o.betas.first, static_cast<double>(++s.step)));
    dispatch_float(p.dtype(), [&]<class T>() {
      T* w = p.data<T>();
      const T* g = grad.data<T>();
      T* mp = m.data<T>();
      T* up = u.data<T>();
      const T b1 = o.betas.first, b2 = o.betas.second, one_minus_b1 = 1 - o.betas.first, eps = o.eps, neg_clr = -clr,
              wd = o.weight_decay, sign = o.maximize ? -1 : 1;
      detail::parallel_range(p.numel(), [=](int64_t lo, int64_t hi) {
#pragma omp simd
        for (int64_t i = lo; i < hi; ++i) {
          const T d = sign * g[i] + wd * w[i];
          mp[i] = mp[i] * b1 + one_minus_b1 * d;
          const T a = up[i] * b2, b = std::abs(d) + eps;
          up[i] = (a >= b || std::isnan(a)) ? a : b;  // amax: NaN propagates
          w[i] += neg_clr * mp[i] / up[i];
        }
      });
    });
  });
}

NAdam::NAdam(std::vector<Group> groups)
    : OptimizerWith("NAdam", std::move(groups), {"exp_avg", "exp_avg_sq", "mu_product"}) {
  check_adam_options("NAdam", options_);
  for (const NAdamOptions& o : options_)
    SOMA_CHECK(o.momentum_decay >= 0, "NAdam: invalid momentum_decay {} (expected >= 0)", o.momentum_decay);
}

void NAdam::step() {
  for_each_update([&](size_t group, const Tensor& p, const Tensor& grad, ParamState& s) {
    const NAdamOptions& o = options_[group];
    Tensor m = buffer(s, 0, p), v = buffer(s, 1, p);
    Tensor& mu_product_t = s.buffers[2];  // a 0-d float64 tensor
    if (!mu_product_t.defined()) mu_product_t = full({}, 1.0, kFloat64);
    const double t = static_cast<double>(++s.step);
    const auto [beta1, beta2] = o.betas;
    const double mu = beta1 * (1 - 0.5 * std::pow(0.96, t * o.momentum_decay));
    const double mu_next = beta1 * (1 - 0.5 * std::pow(0.96, (t + 1) * o.momentum_decay));
    double& mu_product = *mu_product_t.data<double>();
    mu_product *= mu;
    // prod_{i <= t+1} mu_i, as in the NAdam paper and torch >= 2.0 (torch 1.13 multiplies by mu twice).
    const double mu_product_next = mu_product * mu_next;
    dispatch_float(p.dtype(), [&]<class T>() {
      T* w = p.data<T>();
      const T* g = grad.data<T>();
      T* mp = m.data<T>();
      T* vp = v.data<T>();
      const T b1 = beta1, b2 = beta2, one_minus_b1 = 1 - beta1, one_minus_b2 = 1 - beta2, eps = o.eps,
              wd = o.weight_decay, bias2 = 1 - std::pow(beta2, t), c_grad = -o.lr * (1 - mu) / (1 - mu_product),
              c_avg = -o.lr * mu_next / (1 - mu_product_next);
      detail::parallel_range(p.numel(), [=](int64_t lo, int64_t hi) {
#pragma omp simd
        for (int64_t i = lo; i < hi; ++i) {
          const T d = g[i] + wd * w[i];
          mp[i] = mp[i] * b1 + one_minus_b1 * d;
          vp[i] = vp[i] * b2 + one_minus_b2 * d * d;
          const T denom = std::sqrt(vp[i] / bias2) + eps;
          const T wi = w[i] + c_grad * d / denom;
          w[i] = wi + c_avg * mp[i] / denom;
        }
      });
    });
  });
}

RAdam::RAdam(std::vector<Group> groups) : OptimizerWith("RAdam", std::move(groups), {"exp_avg", "exp_avg_sq"}) {
  check_adam_options("RAdam", options_);
}

void RAdam::step() {
  for_each_update([&](size_t group, const Tensor& p, const Tensor& grad, ParamState& s) {
    const RAdamOptions& o = options_[group];
    Tensor m = buffer(s, 0, p), v = buffer(s, 1, p);
    const double t = static_cast<double>(++s.step);
    const auto [beta1, beta2] = o.betas;
    const double bias1 = 1 - std::pow(beta1, t), bias2 = 1 - std::pow(beta2, t);
    const double rho_inf = 2 / (1 - beta2) - 1;
    const double rho_t = rho_inf - 2 * t * std::pow(beta2, t) / bias2;
    const bool rectify = rho_t > 5;
    const double rect =
        rectify ? std::sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) : 0;
    dispatch_float(p.dtype(), [&]<class T>() {
      T* w = p.data<T>();
      const T* g = grad.data<T>();
      T* mp = m.data<T>();
      T* vp = v.data<T>();
      const T b1 = beta1, b2 = beta2, one_minus_b1 = 1 - beta1, one_minus_b2 = 1 - beta2, eps = o.eps,
              wd = o.weight_decay, bc1 = bias1, sqrt_bc2 = std::sqrt(bias2), lr = o.lr, r = rect;
      detail::parallel_range(p.numel(), [=](int64_t lo, int64_t hi) {
#pragma omp simd
        for (int64_t i = lo; i < hi; ++i) {
          const T d = g[i] + wd * w[i];
          mp[i] = mp[i] * b1 + one_minus_b1 * d;
          vp[i] = vp[i] * b2 + one_minus_b2 * d * d;
          const T corrected = mp[i] / bc1 * lr;
          w[i] -= rectify ? corrected * (sqrt_bc2 / (std::sqrt(vp[i]) + eps)) * r : corrected;
        }
      });
    });
  });
}

}  // namespace soma::optim
