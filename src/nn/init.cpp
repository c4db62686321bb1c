#include "soma/nn/init.h"

#include <cmath>

#include "kernels/cpu/copy.h"
#include "soma/creation.h"
#include "soma/grad_mode.h"
#include "soma/linalg.h"
#include "soma/math.h"
#include "soma/reduce.h"

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

Tensor& lecun_uniform_(Tensor& t, Generator* gen) {
  const double bound = std::sqrt(3.0 / static_cast<double>(fan_in_and_fan_out(t).first));
  return init::uniform_(t, -bound, bound, gen);
}

Tensor& lecun_normal_(Tensor& t, Generator* gen) {
  return init::normal_(t, 0, 1.0 / std::sqrt(static_cast<double>(fan_in_and_fan_out(t).first)), gen);
}

Tensor& trunc_normal_(Tensor& t, double mean, double std, double a, double b, Generator* gen) {
  SOMA_CHECK(a < b && std > 0, "trunc_normal_: expected a < b and std > 0, got a={} b={} std={}", a, b, std);
  const double mass = 0.5 * (std::erf((b - mean) / (std * std::sqrt(2.0))) - std::erf((a - mean) / (std * std::sqrt(2.0))));
  SOMA_CHECK(mass > 1e-4, "trunc_normal_: [{}, {}] holds too little of N({}, {}) to sample by rejection", a, b, mean,
             std);
  NoGradGuard no_grad;
  Tensor x = randn(t.shape(), kFloat64, gen) * std + mean;
  for (Tensor out = logical_or(lt(x, a), gt(x, b)); any(out).item<bool>(); out = logical_or(lt(x, a), gt(x, b)))
    x = where(out, randn(t.shape(), kFloat64, gen) * std + mean, x);
  kernels::copy(t, x);
  t.bump_version();
  return t;
}

Tensor& orthogonal_(Tensor& t, double gain, Generator* gen) {
  SOMA_CHECK(t.dim() >= 2, "orthogonal_: expected a tensor of at least 2 dims, got shape {}", t.shape());
  NoGradGuard no_grad;
  const int64_t rows = t.size(0), cols = t.numel() / rows;
  Tensor flat = randn({rows, cols}, kFloat64, gen);
  if (rows < cols) flat = flat.t();
  auto [q, r] = linalg::qr(flat);
  // Signs of R's diagonal make the decomposition unique (and q uniformly distributed).
  q = q * sign(sum(r * eye(r.size(0), r.size(1), kFloat64), {0}));
  if (rows < cols) q = q.t();
  kernels::copy(t, (q * gain).reshape(t.shape()));
  t.bump_version();
  return t;
}

Tensor& sparse_(Tensor& t, double sparsity, double std, Generator* gen) {
  SOMA_CHECK(t.dim() == 2, "sparse_: expected a 2-D tensor, got shape {}", t.shape());
  SOMA_CHECK(sparsity >= 0 && sparsity <= 1, "sparse_: sparsity must be in [0, 1], got {}", sparsity);
  NoGradGuard no_grad;
  const int64_t rows = t.size(0), cols = t.size(1);
  const auto zeros_per_col = static_cast<int64_t>(std::ceil(sparsity * static_cast<double>(rows)));
  init::normal_(t, 0, std, gen);
  Tensor keep = ones({rows, cols}, kFloat64);
  double* k = keep.data<double>();
  for (int64_t c = 0; c < cols; ++c) {
    const std::vector<int64_t> perm = randperm(rows, gen).to_vector<int64_t>();
    for (int64_t i = 0; i < zeros_per_col; ++i) k[perm[i] * cols + c] = 0;
  }
  kernels::copy(t, t * keep.to(t.dtype()));
  t.bump_version();
  return t;
}

}  // namespace soma::nn::init

