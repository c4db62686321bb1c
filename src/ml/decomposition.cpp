// PCA and TruncatedSVD (see soma/ml/decomposition.h).
#include "soma/ml/decomposition.h"

#include <cmath>
#include <numbers>

#include "soma/creation.h"
#include "soma/error.h"
#include "soma/indexing.h"
#include "soma/linalg.h"
#include "soma/math.h"
#include "soma/random.h"
#include "soma/reduce.h"
#include "validation.h"

namespace soma::ml {
namespace {

// Signs the factors of U [n, k] diag(S) Vt [k, d] as scikit-learn's svd_flip: each component's
// entry of largest magnitude in U (u_based) or in Vt is made positive; ties take the first.
void svd_flip(Tensor& U, Tensor& Vt, bool u_based) {
  U = U.contiguous().clone();
  Vt = Vt.contiguous().clone();
  int64_t n = U.size(0), k = U.size(1), d = Vt.size(1);
  double* u = U.data<double>();
  double* v = Vt.data<double>();
  for (int64_t j = 0; j < k; ++j) {
    double best = -1, sign = 1;
    int64_t len = u_based ? n : d;
    for (int64_t i = 0; i < len; ++i) {
      double x = u_based ? u[i * k + j] : v[j * d + i];
      if (std::fabs(x) > best) {
        best = std::fabs(x);
        sign = x < 0 ? -1.0 : 1.0;
      }
    }
    for (int64_t i = 0; i < n; ++i) u[i * k + j] *= sign;
    for (int64_t i = 0; i < d; ++i) v[j * d + i] *= sign;
  }
}

struct Factors {
  Tensor U, S, Vt;  // [n, k], [k], [k, d]
};

// scikit-learn's randomized_svd of M [n, d] (float64): k + oversamples Gaussian test vectors,
// n_iter power iterations (normalized by QR when the normalizer is not 'none'), then an exact
// SVD of the small projected matrix. Works on M^T when n < d, as scikit-learn's transpose='auto'.
Factors randomized_svd(const Tensor& M_in, int64_t k, int64_t oversamples, int64_t n_iter,
                       const std::string& normalizer, uint64_t seed) {
  bool transpose = M_in.size(0) < M_in.size(1);
  Tensor M = transpose ? M_in.t().contiguous() : M_in;
  int64_t size = std::min(k + oversamples, M.size(1));
  Generator gen(seed);
  Tensor Q = randn({M.size(1), size}, kFloat64, &gen);
  bool normalize = normalizer != "none" && !(normalizer == "auto" && n_iter <= 2);
  for (int64_t i = 0; i < n_iter; ++i) {
    Q = mm(M, Q);
    if (normalize) Q = linalg::qr(Q).first;
    Q = mm(M.t(), Q);
    if (normalize) Q = linalg::qr(Q).first;
  }
  Q = linalg::qr(mm(M, Q)).first;
  auto [U_hat, S, Vt] = linalg::svd(mm(Q.t(), M), false);
  Tensor U = mm(Q, U_hat);
  // scikit-learn flips by U of the matrix it decomposed, i.e. by Vt of the transpose.
  svd_flip(U, Vt, !transpose);
  if (transpose) return {Vt.narrow(0, 0, k).t().contiguous(), S.narrow(0, 0, k), U.narrow(1, 0, k).t().contiguous()};
  return {U.narrow(1, 0, k).contiguous(), S.narrow(0, 0, k), Vt.narrow(0, 0, k).contiguous()};
}

// Column means [d] and X - mean of a float64 matrix.
std::pair<Tensor, Tensor> center(const Tensor& X) {
  Tensor mean = X.mean({0});
  return {mean, (X - mean).contiguous()};
}

}  // namespace

// ---- PCA -------------------------------------------------------------------------------------------

void PCA::visit_params(ParamVisitor& v) {
  v.visit("copy", &options_.copy, boolean());
  v.visit("iterated_power", &options_.iterated_power, {.integer = at_least(0), .options = {"auto"}});
  v.visit("n_components", &options_.n_components,
          {.none = true, .integer = at_least(0), .real = Interval{0, 1, true, true}});
  v.visit("n_oversamples", &options_.n_oversamples, int_in(at_least(1)));
  v.visit("power_iteration_normalizer", &options_.power_iteration_normalizer, one_of({"auto", "QR", "LU", "none"}));
  v.visit("random_state", &options_.random_state, int_or_none(at_least(0)));
  v.visit("svd_solver", &options_.svd_solver, one_of({"auto", "full", "randomized"}));
  v.visit("tol", &options_.tol, real_in(at_least(0)));
  v.visit("whiten", &options_.whiten, boolean());
}

void PCA::visit_fitted(const std::function<void(const char*, Tensor&)>& visit) {
  visit("components_", components_);
  visit("explained_variance_", explained_variance_);
  visit("explained_variance_ratio_", explained_variance_ratio_);
  visit("singular_values_", singular_values_);
  visit("mean_", mean_);
  visit("noise_variance_", noise_variance_);
}

StateDict PCA::fitted_state() const {
  StateDict state = Estimator::fitted_state();
  state["n_samples_"] = scalar_tensor(n_samples_, kInt64);
  return state;
}

void PCA::load_fitted_state(const StateDict& state) {
  StateDict rest = state;
  auto it = rest.find("n_samples_");
  SOMA_CHECK(it != rest.end() && it->second.dim() == 0 && it->second.dtype() == kInt64 && it->second.item<int64_t>() > 0,
             "PCA: the saved state needs n_samples_, a positive int64 scalar");
  n_samples_ = it->second.item<int64_t>();
  rest.erase(it);
  Estimator::load_fitted_state(rest);
  n_components_ = components_.size(0);
}

void PCA::check_fitted_state() const {
  SOMA_CHECK(components_.dtype() == kFloat64 && components_.dim() == 2 && components_.size(1) == n_features_in_ &&
                 components_.size(0) >= 1 && components_.size(0) <= n_features_in_,
             "PCA: components_ must be float64 [n_components, {}]", n_features_in_);
  int64_t k = components_.size(0);
  for (const Tensor* t : {&explained_variance_, &explained_variance_ratio_, &singular_values_})
    SOMA_CHECK(t->dtype() == kFloat64 && t->shape() == Shape({k}), "PCA: per-component arrays must be float64 [{}]", k);
  SOMA_CHECK(mean_.dtype() == kFloat64 && mean_.shape() == Shape({n_features_in_}), "PCA: mean_ must be float64 [{}]",
             n_features_in_);
  SOMA_CHECK(noise_variance_.dtype() == kFloat64 && noise_variance_.dim() == 0, "PCA: noise_variance_ must be a float64 scalar");
}

PCA& PCA::fit(const Tensor& X_in, const Tensor&) {
  Tensor X = detail::check_matrix(X_in, "PCA.fit");
  int64_t n = X.size(0), d = X.size(1), rank = std::min(n, d);
  SOMA_CHECK(n >= 2, "PCA.fit: needs at least 2 samples, got {}", n);
  const ParamValue& nc = options_.n_components;
  int64_t k = rank;
  if (auto* i = std::get_if<int64_t>(&nc)) {
    SOMA_CHECK(*i <= rank, "PCA.fit: n_components={} must be between 0 and min(n_samples, n_features)={}", *i, rank);
    k = *i;
  }
  bool fraction = std::holds_alternative<double>(nc);
  std::string solver = options_.svd_solver;
  if (solver == "auto")  // scikit-learn's policy
    solver = (std::max(n, d) <= 500 || fraction || std::holds_alternative<NoneType>(nc) || !(k >= 1 && k < 0.8 * rank))
                 ? "full" : "randomized";
  SOMA_CHECK(solver == "full" || (k >= 1 && !fraction),
             "PCA.fit: svd_solver='randomized' needs an integer n_components >= 1");
  auto [mean, centered] = center(X);
  Factors f;
  Tensor total_variance;  // sum of the feature variances (ddof = 1)
  if (solver == "full") {
    auto [U, S, Vt] = linalg::svd(centered, false);
    svd_flip(U, Vt, true);
    f = {U, S, Vt};
  } else {
    int64_t power = std::holds_alternative<int64_t>(options_.iterated_power)
                        ? std::get<int64_t>(options_.iterated_power) : (k < 0.1 * rank ? 7 : 4);
    f = randomized_svd(centered, k, options_.n_oversamples, power, options_.power_iteration_normalizer,
                       detail::resolve_seed(options_.random_state));
  }
  Tensor variance = f.S * f.S / static_cast<double>(n - 1);
  double total = solver == "full" ? variance.sum().item<double>()
                                  : (centered * centered).sum().item<double>() / static_cast<double>(n - 1);
  Tensor ratio = variance / total;
  if (fraction) {  // the fewest components whose cumulative ratio exceeds the fraction
    std::vector<double> r = ratio.to_vector<double>();
    double cumulative = 0;
    k = 0;
    while (k < static_cast<int64_t>(r.size())) {
      cumulative += r[k++];
      if (cumulative > std::get<double>(nc)) break;
    }
  }
  double noise = 0;
  if (k < rank) {
    noise = solver == "full" ? variance.narrow(0, k, variance.size(0) - k).mean().item<double>()
                             : (total - variance.sum().item<double>()) / static_cast<double>(rank - k);
  }
  components_ = f.Vt.narrow(0, 0, k).contiguous();
  explained_variance_ = variance.narrow(0, 0, k).contiguous();
  explained_variance_ratio_ = ratio.narrow(0, 0, k).contiguous();
  singular_values_ = f.S.narrow(0, 0, k).contiguous();
  mean_ = mean;
  noise_variance_ = scalar_tensor(noise, kFloat64);
  n_components_ = k;
  n_samples_ = n;
  n_features_in_ = d;
  return *this;
}

Tensor PCA::transform(const Tensor& X_in) const {
  check_fitted(X_in, "transform");
  Tensor X = detail::check_matrix(X_in, "PCA.transform");
  Tensor out = mm(X - mean_, components_.t());
  if (options_.whiten) out = out / explained_variance_.sqrt();
  return out.contiguous();
}

Tensor PCA::inverse_transform(const Tensor& Z_in) const {
  SOMA_CHECK(fitted(), "PCA.inverse_transform: this PCA is not fitted yet; call fit first");
  SOMA_CHECK(Z_in.defined() && Z_in.dim() == 2 && Z_in.size(1) == n_components_,
             "PCA.inverse_transform: expected [n, {}] (one column per component), got {}", n_components_,
             Z_in.defined() ? Z_in.shape() : Shape{});
  Tensor Z = Z_in.detach().to(kFloat64);
  Tensor basis = options_.whiten ? components_ * explained_variance_.sqrt().unsqueeze(1) : components_;
  return (mm(Z, basis) + mean_).contiguous();
}

Tensor PCA::get_covariance() const {
  SOMA_CHECK(fitted(), "PCA.get_covariance: this PCA is not fitted yet; call fit first");
  // components^T diag(max(variance - noise, 0)) components + noise I (whitening undone).
  double noise = noise_variance_.item<double>();
  Tensor excess = clamp_min(explained_variance_ - noise, 0.0);
  Tensor cov = mm(components_.t() * excess.unsqueeze(0), components_);
  return (cov + eye(n_features_in_, -1, kFloat64) * noise).contiguous();
}

Tensor PCA::score_samples(const Tensor& X_in) const {
  check_fitted(X_in, "score_samples");
  Tensor X = detail::check_matrix(X_in, "PCA.score_samples") - mean_;
  Tensor precision = linalg::inv(get_covariance());
  double log_det = linalg::slogdet(precision).second.item<double>();
  double d = static_cast<double>(n_features_in_);
  Tensor quadratic = (X * mm(X, precision)).sum({1});
  return (quadratic * -0.5 - 0.5 * (d * std::log(2 * std::numbers::pi) - log_det)).contiguous();
}

double PCA::score(const Tensor& X, const Tensor&) const { return score_samples(X).mean().item<double>(); }

// ---- TruncatedSVD --------------------------------------------------------------------------------

void TruncatedSVD::visit_params(ParamVisitor& v) {
  v.visit("algorithm", &options_.algorithm, one_of({"randomized"}));
  v.visit("n_components", &options_.n_components, int_in(at_least(1)));
  v.visit("n_iter", &options_.n_iter, int_in(at_least(0)));
  v.visit("n_oversamples", &options_.n_oversamples, int_in(at_least(1)));
  v.visit("power_iteration_normalizer", &options_.power_iteration_normalizer, one_of({"auto", "QR", "LU", "none"}));
  v.visit("random_state", &options_.random_state, int_or_none(at_least(0)));
  v.visit("tol", &options_.tol, real_in(at_least(0)));
}

void TruncatedSVD::visit_fitted(const std::function<void(const char*, Tensor&)>& visit) {
  visit("components_", components_);
  visit("explained_variance_", explained_variance_);
  visit("explained_variance_ratio_", explained_variance_ratio_);
  visit("singular_values_", singular_values_);
}

void TruncatedSVD::check_fitted_state() const {
  SOMA_CHECK(components_.dtype() == kFloat64 && components_.dim() == 2 && components_.size(1) == n_features_in_ &&
                 components_.size(0) >= 1,
             "TruncatedSVD: components_ must be float64 [n_components, {}]", n_features_in_);
  int64_t k = components_.size(0);
  for (const Tensor* t : {&explained_variance_, &explained_variance_ratio_, &singular_values_})
    SOMA_CHECK(t->dtype() == kFloat64 && t->shape() == Shape({k}),
               "TruncatedSVD: per-component arrays must be float64 [{}]", k);
}

Tensor TruncatedSVD::fit_transform(const Tensor& X_in, const Tensor&) {
  Tensor X = detail::check_matrix(X_in, "TruncatedSVD.fit");
  int64_t k = options_.n_components;
  SOMA_CHECK(k < X.size(1), "TruncatedSVD.fit: n_components={} must be below n_features={}", k, X.size(1));
  Factors f = randomized_svd(X, k, options_.n_oversamples, options_.n_iter, options_.power_iteration_normalizer,
                             detail::resolve_seed(options_.random_state));
  Tensor transformed = f.U * f.S;
  auto variance = [](const Tensor& m) {  // per column, ddof = 0
    auto [mean, centered] = center(m);
    return (centered * centered).mean({0});
  };
  explained_variance_ = variance(transformed).contiguous();
  explained_variance_ratio_ = (explained_variance_ / variance(X).sum()).contiguous();
  singular_values_ = f.S.contiguous();
  components_ = f.Vt;
  n_features_in_ = X.size(1);
  return transformed.contiguous();
}

TruncatedSVD& TruncatedSVD::fit(const Tensor& X, const Tensor& y) {
  fit_transform(X, y);
  return *this;
}

Tensor TruncatedSVD::transform(const Tensor& X_in) const {
  check_fitted(X_in, "transform");
  return mm(detail::check_matrix(X_in, "TruncatedSVD.transform"), components_.t()).contiguous();
}

Tensor TruncatedSVD::inverse_transform(const Tensor& Z_in) const {
  SOMA_CHECK(fitted(), "TruncatedSVD.inverse_transform: not fitted yet; call fit first");
  SOMA_CHECK(Z_in.defined() && Z_in.dim() == 2 && Z_in.size(1) == components_.size(0),
             "TruncatedSVD.inverse_transform: expected [n, {}] (one column per component)", components_.size(0));
  return mm(Z_in.detach().to(kFloat64), components_).contiguous();
}

}  // namespace soma::ml
