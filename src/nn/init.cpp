#include "soma/nn/init.h"

#include <cmath>

#include "kernels/cpu/copy.h"

namespace soma::nn::init {

double calculate_gain(std::string_view nonlinearity, double param) {
  if (nonlinearity == "linear" || nonlinearity == "sigmoid" || nonlinearity == "identity" ||
      nonlinearity.starts_with("conv"))
    return 1.0;
  if (nonlinearity == "tanh") return 5.0 / 3.0;
  if (nonlinearity == "relu") return std::sqrt(2.0);
  if (nonlinearity == "leaky_relu") return std::sqrt(2.0 / (1.0 + param * param));
  if (nonlinearity == "selu") return 3.0 / 4.0;
  SOMA_FAIL("calculate_gain: unknown nonlinearity '{}'", nonlinearity);
}

std::pair<int64_t, int64_t> fan_in_and_fan_out(const Tensor& w) {
  SOMA_CHECK(w.dim() >= 2, "init: fan in and fan out need a tensor of at least 2 dims, got shape {}", w.shape());
  int64_t receptive = 1;
  for (int64_t d = 2; d < w.dim(); ++d) receptive *= w.size(d);
  return {w.size(1) * receptive, w.size(0) * receptive};
}

Tensor& uniform_(Tensor& t, double low, double high, Generator* gen) { return soma::uniform_(t, low, high, gen); }
Tensor& normal_(Tensor& t, double mean, double std, Generator* gen) { return soma::normal_(t, mean, std, gen); }

Tensor& constant_(Tensor& t, double value) {
  kernels::fill(t, value);
  t.bump_version();
  return t;
}
Tensor& zeros_(Tensor& t) { return constant_(t, 0); }
Tensor& ones_(Tensor& t) { return constant_(t, 1); }

Tensor& xavier_uniform_(Tensor& t, double gain, Generator* gen) {
  auto [fan_in, fan_out] = fan_in_and_fan_out(t);
  double a = gain * std::sqrt(6.0 / static_cast<double>(fan_in + fan_out));
  return init::uniform_(t, -a, a, gen);
}

Tensor& xavier_normal_(Tensor& t, double gain, Generator* gen) {
  auto [fan_in, fan_out] = fan_in_and_fan_out(t);
  return init::normal_(t, 0, gain * std::sqrt(2.0 / static_cast<double>(fan_in + fan_out)), gen);
}

namespace {
double kaiming_std(const Tensor& t, double a, FanMode mode, std::string_view nonlinearity) {
  auto [fan_in, fan_out] = fan_in_and_fan_out(t);
  int64_t fan = mode == FanMode::FanIn ? fan_in : fan_out;
  SOMA_CHECK(fan > 0, "init: cannot initialize a tensor with zero elements (shape {})", t.shape());
  return calculate_gain(nonlinearity, a) / std::sqrt(static_cast<double>(fan));
}
}  // namespace

Tensor& kaiming_uniform_(Tensor& t, double a, FanMode mode, std::string_view nonlinearity, Generator* gen) {
  double bound = std::sqrt(3.0) * kaiming_std(t, a, mode, nonlinearity);
  return init::uniform_(t, -bound, bound, gen);
}

Tensor& kaiming_normal_(Tensor& t, double a, FanMode mode, std::string_view nonlinearity, Generator* gen) {
  return init::normal_(t, 0, kaiming_std(t, a, mode, nonlinearity), gen);
}

}  // namespace soma::nn::init
