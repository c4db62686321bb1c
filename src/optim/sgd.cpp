// SGD, Adagrad, RMSprop and Adadelta: fused updates (formulas in the headers).
#include "soma/optim/sgd.h"

#include <cmath>

#include "optim/fused.h"
#include "soma/optim/adadelta.h"
#include "soma/optim/adagrad.h"
#include "soma/optim/rmsprop.h"

namespace soma::optim {

namespace {

void check_common(const char* name, double lr, double weight_decay) {
  SOMA_CHECK(lr >= 0, "{}: invalid learning rate {} (expected >= 0)", name, lr);
  SOMA_CHECK(weight_decay >= 0, "{}: invalid weight_decay {} (expected >= 0)", name, weight_decay);
}

}  // namespace

SGD::SGD(std::vector<Group> groups) : OptimizerWith("SGD", std::move(groups), {"momentum_buffer"}) {
  for (const SGDOptions& o : options_) {
    check_common("SGD", o.lr, o.weight_decay);
    SOMA_CHECK(o.momentum >= 0, "SGD: invalid momentum {} (expected >= 0)", o.momentum);
    SOMA_CHECK(!o.nesterov || (o.momentum > 0 && o.dampening == 0),
               "SGD: nesterov momentum requires a momentum and zero dampening (got momentum {}, dampening {})",
               o.momentum, o.dampening);
  }
}

void SGD::step() {
  for_each_update([&](size_t group, const Tensor& p, const Tensor& grad, ParamState& s) {
    const SGDOptions& o = options_[group];
    ++s.step;
    const bool first = !s.buffers[0].defined();
    Tensor buf = o.momentum != 0 ? buffer(s, 0, p) : Tensor();
    dispatch_float(p.dtype(), [&]<class T>() {
      T* w = p.data<T>();
      const T* g = grad.data<T>();
      T* b = buf.defined() ? buf.data<T>() : nullptr;
      const T lr = o.lr, wd = o.weight_decay, mom = o.momentum, damp = 1 - o.dampening, sign = o.maximize ? -1 : 1;
      const bool nesterov = o.nesterov;
      detail::parallel_range(p.numel(), [=](int64_t lo, int64_t hi) {
        if (!b) {
#pragma omp simd
          for (int64_t i = lo; i < hi; ++i) w[i] -= lr * (sign * g[i] + wd * w[i]);
          return;
        }
#pragma omp simd
        for (int64_t i = lo; i < hi; ++i) {
          const T d = sign * g[i] + wd * w[i];
          const T bi = first ? d : b[i] * mom + damp * d;
          b[i] = bi;
          w[i] -= lr * (nesterov ? d + mom * bi : bi);
        }
      });
    });
  });
}

Adagrad::Adagrad(std::vector<Group> groups) : OptimizerWith("Adagrad", std::move(groups), {"sum"}) {
  for (const AdagradOptions& o : options_) {
    check_common("Adagrad", o.lr, o.weight_decay);
    SOMA_CHECK(o.lr_decay >= 0, "Adagrad: invalid lr_decay {} (expected >= 0)", o.lr_decay);
    SOMA_CHECK(o.initial_accumulator_value >= 0, "Adagrad: invalid initial_accumulator_value {} (expected >= 0)",
               o.initial_accumulator_value);
    SOMA_CHECK(o.eps >= 0, "Adagrad: invalid eps {} (expected >= 0)", o.eps);
  }
}

void Adagrad::step() {
  for_each_update([&](size_t group, const Tensor& p, const Tensor& grad, ParamState& s) {
    const AdagradOptions& o = options_[group];
    Tensor sum = buffer(s, 0, p, o.initial_accumulator_value);
    const double clr = o.lr / (1 + static_cast<double>(s.step++) * o.lr_decay);
    dispatch_float(p.dtype(), [&]<class T>() {
      T* w = p.data<T>();
      const T* g = grad.data<T>();
      T* acc = sum.data<T>();
      const T neg_clr = -clr, wd = o.weight_decay, eps = o.eps, sign = o.maximize ? -1 : 1;
      detail::parallel_range(p.numel(), [=](int64_t lo, int64_t hi) {
#pragma omp simd
        for (int64_t i = lo; i < hi; ++i) {
          const T d = sign * g[i] + wd * w[i];
          acc[i] += d * d;
          w[i] += neg_clr * d / (std::sqrt(acc[i]) + eps);
        }
      });
    });
  });
}

RMSprop::RMSprop(std::vector<Group> groups)
    : OptimizerWith("RMSprop", std::move(groups), {"square_avg", "grad_avg", "momentum_buffer"}) {
  for (const RMSpropOptions& o : options_) {
    check_common("RMSprop", o.lr, o.weight_decay);
    SOMA_CHECK(o.alpha >= 0, "RMSprop: invalid alpha {} (expected >= 0)", o.alpha);
    SOMA_CHECK(o.eps >= 0, "RMSprop: invalid eps {} (expected >= 0)", o.eps);
    SOMA_CHECK(o.momentum >= 0, "RMSprop: invalid momentum {} (expected >= 0)", o.momentum);
  }
}

void RMSprop::step() {
  for_each_update([&](size_t group, const Tensor& p, const Tensor& grad, ParamState& s) {
    const RMSpropOptions& o = options_[group];
    ++s.step;
    Tensor sq = buffer(s, 0, p);
    Tensor ga = o.centered ? buffer(s, 1, p) : Tensor();
    Tensor mb = o.momentum > 0 ? buffer(s, 2, p) : Tensor();
    dispatch_float(p.dtype(), [&]<class T>() {
      T* w = p.data<T>();
      const T* g = grad.data<T>();
      T* sqp = sq.data<T>();
      T* gap = ga.defined() ? ga.data<T>() : nullptr;
      T* mbp = mb.defined() ? mb.data<T>() : nullptr;
      const T lr = o.lr, alpha = o.alpha, one_minus_alpha = 1 - o.alpha, eps = o.eps, wd = o.weight_decay,
              mom = o.momentum, sign = o.maximize ? -1 : 1;
      detail::with_flag(gap != nullptr, [&](auto centered) {
        detail::with_flag(mbp != nullptr, [&](auto momentum) {
          detail::parallel_range(p.numel(), [=](int64_t lo, int64_t hi) {
#pragma omp simd
            for (int64_t i = lo; i < hi; ++i) {
              const T d = sign * g[i] + wd * w[i];
              const T sqi = sqp[i] * alpha + one_minus_alpha * d * d;
              sqp[i] = sqi;
              T avg;
              if constexpr (decltype(centered)::value) {
                const T gai = gap[i] * alpha + one_minus_alpha * d;
                gap[i] = gai;
                avg = std::sqrt(sqi - gai * gai) + eps;
              } else {
                avg = std::sqrt(sqi) + eps;
              }
              if constexpr (decltype(momentum)::value) {
                const T bi = mbp[i] * mom + d / avg;
                mbp[i] = bi;
                w[i] -= lr * bi;
              } else {
                w[i] += -lr * d / avg;
              }
            }
          });
        });
      });
    });
  });
}

Adadelta::Adadelta(std::vector<Group> groups)
    : OptimizerWith("Adadelta", std::move(groups), {"square_avg", "acc_delta"}) {
  for (const AdadeltaOptions& o : options_) {
    check_common("Adadelta", o.lr, o.weight_decay);
    SOMA_CHECK(o.rho >= 0 && o.rho <= 1, "Adadelta: invalid rho {} (expected in [0, 1])", o.rho);
    SOMA_CHECK(o.eps >= 0, "Adadelta: invalid eps {} (expected >= 0)", o.eps);
  }
}

void Adadelta::step() {
  for_each_update([&](size_t group, const Tensor& p, const Tensor& grad, ParamState& s) {
    const AdadeltaOptions& o = options_[group];
    ++s.step;
    Tensor sq = buffer(s, 0, p), acc = buffer(s, 1, p);
    dispatch_float(p.dtype(), [&]<class T>() {
      T* w = p.data<T>();
      const T* g = grad.data<T>();
      T* sqp = sq.data<T>();
      T* accp = acc.data<T>();
      const T lr = o.lr, rho = o.rho, one_minus_rho = 1 - o.rho, eps = o.eps, wd = o.weight_decay,
              sign = o.maximize ? -1 : 1;
      detail::parallel_range(p.numel(), [=](int64_t lo, int64_t hi) {
#pragma omp simd
        for (int64_t i = lo; i < hi; ++i) {
          const T d = sign * g[i] + wd * w[i];
          sqp[i] = sqp[i] * rho + one_minus_rho * d * d;
          const T delta = std::sqrt(accp[i] + eps) / std::sqrt(sqp[i] + eps) * d;
          accp[i] = accp[i] * rho + one_minus_rho * delta * delta;
          w[i] -= lr * delta;
        }
      });
    });
  });
}

}  // namespace soma::optim
