#include "soma/optim/ema.h"

#include <cmath>

#include "optim/fused.h"
#include "soma/creation.h"
#include "soma/grad_mode.h"

namespace soma::optim {

ParameterAverage::ParameterAverage(TensorList params) : params_(std::move(params)) {
  for (size_t i = 0; i < params_.size(); ++i) {
    const Tensor& p = params_[i];
    SOMA_CHECK(p.defined() && (p.dtype() == kFloat32 || p.dtype() == kFloat64),
               "ParameterAverage: parameter {} must be float32 or float64{}", i,
               p.defined() ? fmt::format(", got {}", dtype_name(p.dtype())) : " (it is undefined)");
    averages_.push_back(empty(p.shape(), p.dtype()));
  }
}

void ParameterAverage::update() {
  SOMA_CHECK(!swapped_, "ParameterAverage: update() while the averages are swapped in; call swap_out() first");
  NoGradGuard no_grad;
  const double w = new_weight(num_updates_++);
  for (size_t i = 0; i < params_.size(); ++i) {
    Tensor p = params_[i].detach().contiguous();
    dispatch_float(p.dtype(), [&]<class T>() {
      const T* src = p.data<T>();
      T* avg = averages_[i].data<T>();
      const T keep = 1 - w, take = w;
      detail::parallel_range(p.numel(), [=](int64_t lo, int64_t hi) {
#pragma omp simd
        for (int64_t j = lo; j < hi; ++j) avg[j] = keep * avg[j] + take * src[j];
      });
    });
    averages_[i].bump_version();
  }
}

void ParameterAverage::exchange() {
  SOMA_CHECK(num_updates_ > 0, "ParameterAverage: no average yet (call update() first)");
  for (size_t i = 0; i < params_.size(); ++i) {
    Tensor current = params_[i].detach();
    params_[i].set_data(averages_[i]);
    averages_[i] = current;
  }
}

void ParameterAverage::swap_in() {
  SOMA_CHECK(!swapped_, "ParameterAverage: swap_in() twice");
  exchange();
  swapped_ = true;
}

void ParameterAverage::swap_out() {
  SOMA_CHECK(swapped_, "ParameterAverage: swap_out() without swap_in()");
  exchange();
  swapped_ = false;
}

void ParameterAverage::copy_to_params() const {
  SOMA_CHECK(!swapped_ && num_updates_ > 0, "ParameterAverage: copy_to_params() needs an average, not swapped in");
  NoGradGuard no_grad;
  for (size_t i = 0; i < params_.size(); ++i) params_[i].detach().copy_(averages_[i]);
}

StateDict ParameterAverage::state_dict() const {
  SOMA_CHECK(!swapped_, "ParameterAverage: state_dict() while swapped in");
  StateDict out{{"num_updates", scalar_tensor(num_updates_)}};
  for (size_t i = 0; i < averages_.size(); ++i) out[fmt::format("average.{}", i)] = averages_[i].clone();
  return out;
}

void ParameterAverage::load_state_dict(const StateDict& state) {
  SOMA_CHECK(!swapped_, "ParameterAverage: load_state_dict() while swapped in");
  SOMA_CHECK(state.contains("num_updates"), "ParameterAverage: load_state_dict: missing key 'num_updates'");
  for (size_t i = 0; i < averages_.size(); ++i) {
    auto it = state.find(fmt::format("average.{}", i));
    SOMA_CHECK(it != state.end(), "ParameterAverage: load_state_dict: missing key 'average.{}'", i);
    SOMA_CHECK(it->second.shape() == averages_[i].shape(),
               "ParameterAverage: load_state_dict: 'average.{}' has shape {}, the parameter has shape {}", i,
               it->second.shape(), averages_[i].shape());
  }
  NoGradGuard no_grad;
  for (size_t i = 0; i < averages_.size(); ++i) averages_[i].copy_(state.at(fmt::format("average.{}", i)));
  num_updates_ = state.at("num_updates").item<int64_t>();
}

EMA::EMA(TensorList params, EMAOptions o) : ParameterAverage(std::move(params)), options(o) {
  SOMA_CHECK(o.decay >= 0 && o.decay <= 1, "EMA: decay must be in [0, 1], got {}", o.decay);
}

double EMA::decay_at(int64_t n) const {
  const double d = static_cast<double>(n);
  return options.warmup ? std::min(options.decay, (1 + d) / (10 + d)) : options.decay;
}

}  // namespace soma::optim
