// Mixture models (see soma/ml/mixture.h).
#include "soma/ml/mixture.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <random>

#include "soma/creation.h"
#include "soma/error.h"
#include "soma/ml/cluster.h"
#include "validation.h"

namespace soma::ml {
namespace {

enum class CovType { Full, Tied, Diag, Spherical };

CovType cov_type(const std::string& name) {
  if (name == "full") return CovType::Full;
  if (name == "tied") return CovType::Tied;
  if (name == "diag") return CovType::Diag;
  return CovType::Spherical;
}

// The shape of covariances_ (and of the precisions) for k components of d features.
Shape cov_shape(CovType type, int64_t k, int64_t d) {
  switch (type) {
    case CovType::Full: return {k, d, d};
    case CovType::Tied: return {d, d};
    case CovType::Diag: return {k, d};
    default: return {k};
  }
}

// The fitted parameters while EM runs (row-major, shapes as cov_shape).
struct Mixture {
  std::vector<double> weights, means, cov, prec_chol;
};

constexpr const char* kIllDefined =
    "GaussianMixture.fit: Fitting the mixture model failed because some components have ill-defined empirical "
    "covariance (for instance caused by singleton or collapsed samples). Try to decrease the number of components, "
    "or increase reg_covar.";

// The Cholesky factor of a precision from a covariance [d, d]: L = chol(cov) (lower), and
// prec_chol = (L^-1)^T (upper triangular), as scikit-learn's _compute_precision_cholesky.
void precision_cholesky_of(const double* cov, int64_t d, double* out) {
  std::vector<double> L(d * d, 0.0);
  for (int64_t j = 0; j < d; ++j) {
    double s = cov[j * d + j];
    for (int64_t t = 0; t < j; ++t) s -= L[j * d + t] * L[j * d + t];
    if (!(s > 0)) SOMA_FAIL("{}", kIllDefined);
    L[j * d + j] = std::sqrt(s);
    for (int64_t i = j + 1; i < d; ++i) {
      double v = cov[i * d + j];
      for (int64_t t = 0; t < j; ++t) v -= L[i * d + t] * L[j * d + t];
      L[i * d + j] = v / L[j * d + j];
    }
  }
  // Z = L^-1 by forward substitution, column by column; out = Z^T.
  std::fill(out, out + d * d, 0.0);
  for (int64_t c = 0; c < d; ++c)
    for (int64_t i = c; i < d; ++i) {
      double v = i == c ? 1.0 : 0.0;
      for (int64_t t = c; t < i; ++t) v -= L[i * d + t] * out[c * d + t];  // out[c, t] = Z[t, c]
      out[c * d + i] = v / L[i * d + i];
    }
}

std::vector<double> precision_cholesky(const std::vector<double>& cov, CovType type, int64_t k, int64_t d) {
  std::vector<double> out(cov.size());
  if (type == CovType::Full) {
    for (int64_t c = 0; c < k; ++c) precision_cholesky_of(&cov[c * d * d], d, &out[c * d * d]);
  } else if (type == CovType::Tied) {
    precision_cholesky_of(cov.data(), d, out.data());
  } else {
    for (size_t i = 0; i < cov.size(); ++i) {
      if (!(cov[i] > 0)) SOMA_FAIL("{}", kIllDefined);
      out[i] = 1.0 / std::sqrt(cov[i]);
    }
  }
  return out;
}

// The M-step: component weights (unnormalized counts nk), means and covariances from the
// responsibilities resp [n, k], as scikit-learn's _estimate_gaussian_parameters.
Mixture estimate(const double* x, int64_t n, int64_t d, const std::vector<double>& resp, int64_t k, double reg,
                 CovType type) {
  constexpr double kEps = std::numeric_limits<double>::epsilon();
  Mixture m;
  m.weights.assign(k, 0.0);
  m.means.assign(k * d, 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t c = 0; c < k; ++c) {
      double r = resp[i * k + c];
      m.weights[c] += r;
      for (int64_t t = 0; t < d; ++t) m.means[c * d + t] += r * x[i * d + t];
    }
  for (int64_t c = 0; c < k; ++c) {
    m.weights[c] += 10 * kEps;
    for (int64_t t = 0; t < d; ++t) m.means[c * d + t] /= m.weights[c];
  }
  const std::vector<double>& nk = m.weights;
  if (type == CovType::Full) {
    m.cov.assign(k * d * d, 0.0);
    std::vector<double> diff(d);
    for (int64_t c = 0; c < k; ++c) {
      double* cov = &m.cov[c * d * d];
      for (int64_t i = 0; i < n; ++i) {
        double r = resp[i * k + c];
        if (r == 0) continue;
        for (int64_t t = 0; t < d; ++t) diff[t] = x[i * d + t] - m.means[c * d + t];
        for (int64_t a = 0; a < d; ++a)
          for (int64_t b = 0; b <= a; ++b) cov[a * d + b] += r * diff[a] * diff[b];
      }
      for (int64_t a = 0; a < d; ++a) {
        for (int64_t b = 0; b <= a; ++b) cov[b * d + a] = cov[a * d + b] /= nk[c];
        cov[a * d + a] += reg;
      }
    }
  } else if (type == CovType::Tied) {
    // X^T X - Σ_k nk mean_k mean_k^T, over Σ nk.
    m.cov.assign(d * d, 0.0);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t a = 0; a < d; ++a)
        for (int64_t b = 0; b <= a; ++b) m.cov[a * d + b] += x[i * d + a] * x[i * d + b];
    double total = 0;
    for (int64_t c = 0; c < k; ++c) {
      total += nk[c];
      for (int64_t a = 0; a < d; ++a)
        for (int64_t b = 0; b <= a; ++b) m.cov[a * d + b] -= nk[c] * m.means[c * d + a] * m.means[c * d + b];
    }
    for (int64_t a = 0; a < d; ++a) {
      for (int64_t b = 0; b <= a; ++b) m.cov[b * d + a] = m.cov[a * d + b] /= total;
      m.cov[a * d + a] += reg;
    }
  } else {
    // E[x²] - 2 mean E[x] + mean², per component and feature (scikit-learn's formula).
    std::vector<double> x2(k * d, 0.0), xs(k * d, 0.0);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t c = 0; c < k; ++c) {
        double r = resp[i * k + c];
        for (int64_t t = 0; t < d; ++t) {
          x2[c * d + t] += r * x[i * d + t] * x[i * d + t];
          xs[c * d + t] += r * x[i * d + t];
        }
      }
    std::vector<double> diag(k * d);
    for (int64_t c = 0; c < k; ++c)
      for (int64_t t = 0; t < d; ++t) {
        double mean = m.means[c * d + t];
        diag[c * d + t] = x2[c * d + t] / nk[c] - 2 * (mean * xs[c * d + t] / nk[c]) + mean * mean + reg;
      }
    if (type == CovType::Diag) {
      m.cov = std::move(diag);
    } else {
      m.cov.assign(k, 0.0);
      for (int64_t c = 0; c < k; ++c) {
        for (int64_t t = 0; t < d; ++t) m.cov[c] += diag[c * d + t];
        m.cov[c] /= static_cast<double>(d);
      }
    }
  }
  m.prec_chol = precision_cholesky(m.cov, type, k, d);
  return m;
}

// log(weight_k) + log N(x_i | mean_k, cov_k) for every row and component: [n, k].
std::vector<double> log_weighted_gaussians(const double* x, int64_t n, int64_t d, const std::vector<double>& weights,
                                      const std::vector<double>& means, const std::vector<double>& pc, CovType type) {
  const int64_t k = static_cast<int64_t>(weights.size());
  // log det of each component's precision Cholesky factor.
  std::vector<double> log_det(k, 0.0);
  for (int64_t c = 0; c < k; ++c) {
    if (type == CovType::Full || type == CovType::Tied) {
      const double* p = type == CovType::Full ? &pc[c * d * d] : pc.data();
      for (int64_t t = 0; t < d; ++t) log_det[c] += std::log(p[t * d + t]);
    } else if (type == CovType::Diag) {
      for (int64_t t = 0; t < d; ++t) log_det[c] += std::log(pc[c * d + t]);
    } else {
      log_det[c] = static_cast<double>(d) * std::log(pc[c]);
    }
  }
  const double log_2pi = static_cast<double>(d) * std::log(2 * std::numbers::pi);
  std::vector<double> out(n * k);
  // One thread for small problems: a thread team costs more than it saves.
#pragma omp parallel if(n * k * d * d >= (int64_t{1} << 16))
  {
    std::vector<double> diff(d);
#pragma omp for schedule(static)
    for (int64_t i = 0; i < n; ++i) {
      const double* xi = x + i * d;
      for (int64_t c = 0; c < k; ++c) {
        const double* mu = &means[c * d];
        for (int64_t t = 0; t < d; ++t) diff[t] = xi[t] - mu[t];
        double q = 0;  // the squared Mahalanobis distance |(x - mu) P|²
        if (type == CovType::Full || type == CovType::Tied) {
          const double* p = type == CovType::Full ? &pc[c * d * d] : pc.data();
          for (int64_t j = 0; j < d; ++j) {  // p is upper triangular: column j uses rows 0..j
            double y = 0;
            for (int64_t t = 0; t <= j; ++t) y += diff[t] * p[t * d + j];
            q += y * y;
          }
        } else if (type == CovType::Diag) {
          for (int64_t t = 0; t < d; ++t) q += diff[t] * diff[t] * pc[c * d + t] * pc[c * d + t];
        } else {
          for (int64_t t = 0; t < d; ++t) q += diff[t] * diff[t];
          q *= pc[c] * pc[c];
        }
        out[i * k + c] = -0.5 * (log_2pi + q) + log_det[c] + std::log(weights[c]);
      }
    }
  }
  return out;
}

// Row-wise log-sum-exp of [n, k]; with log_resp, also the normalized rows.
std::vector<double> log_sum_exp_rows(std::vector<double>& m, int64_t n, int64_t k, bool normalize) {
  std::vector<double> out(n);
  for (int64_t i = 0; i < n; ++i) {
    double* r = &m[i * k];
    double top = *std::max_element(r, r + k);
    double s = 0;
    for (int64_t c = 0; c < k; ++c) s += std::exp(r[c] - top);
    out[i] = std::isinf(top) ? top : top + std::log(s);
    if (normalize)
      for (int64_t c = 0; c < k; ++c) r[c] -= out[i];
  }
  return out;
}

double mean_of(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}

uint64_t init_seed(uint64_t seed, uint64_t run) {
  uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (run + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

void GaussianMixture::visit_params(ParamVisitor& v) {
  v.visit("n_components", &options_.n_components, int_in(at_least(1)));
  v.visit("covariance_type", &options_.covariance_type, one_of({"full", "tied", "diag", "spherical"}));
  v.visit("tol", &options_.tol, real_in(at_least(0)));
  v.visit("reg_covar", &options_.reg_covar, real_in(at_least(0)));
  v.visit("max_iter", &options_.max_iter, int_in(at_least(0)));
  v.visit("n_init", &options_.n_init, int_in(at_least(1)));
  v.visit("init_params", &options_.init_params, one_of({"kmeans", "random"}));
  v.visit("random_state", &options_.random_state, int_or_none({}));
  v.visit("verbose", &options_.verbose, int_in(at_least(0)));
  v.visit("verbose_interval", &options_.verbose_interval, int_in(at_least(1)));
}

void GaussianMixture::visit_fitted(const std::function<void(const char*, Tensor&)>& visit) {
  visit("weights_", weights_);
  visit("means_", means_);
  visit("covariances_", covariances_);
  visit("precisions_cholesky_", precisions_cholesky_);
  visit("precisions_", precisions_);
}

StateDict GaussianMixture::fitted_state() const {
  StateDict state = Estimator::fitted_state();
  state["converged_"] = scalar_tensor(converged_ ? 1 : 0, kInt64);
  state["n_iter_"] = scalar_tensor(n_iter_, kInt64);
  state["lower_bound_"] = scalar_tensor(lower_bound_, kFloat64);
  return state;
}

void GaussianMixture::load_fitted_state(const StateDict& state) {
  StateDict arrays = state;
  auto take = [&](const char* key, DType dtype) {
    auto it = arrays.find(key);
    SOMA_CHECK(it != arrays.end() && it->second.dim() == 0 && it->second.dtype() == dtype,
               "GaussianMixture: the saved state needs a scalar '{}'", key);
    Tensor t = it->second;
    arrays.erase(it);
    return t;
  };
  int64_t converged = take("converged_", kInt64).item<int64_t>();
  int64_t n_iter = take("n_iter_", kInt64).item<int64_t>();
  double lower_bound = take("lower_bound_", kFloat64).item<double>();
  Estimator::load_fitted_state(arrays);
  converged_ = converged != 0;
  n_iter_ = n_iter;
  lower_bound_ = lower_bound;
}

void GaussianMixture::check_fitted_state() const {
  int64_t k = options_.n_components, d = n_features_in_;
  CovType type = cov_type(options_.covariance_type);
  SOMA_CHECK(weights_.dtype() == kFloat64 && weights_.shape() == Shape({k}), "GaussianMixture: weights_ must be float64 [{}]", k);
  SOMA_CHECK(means_.dtype() == kFloat64 && means_.shape() == Shape({k, d}), "GaussianMixture: means_ must be float64 [{}, {}]", k, d);
  Shape shape = cov_shape(type, k, d);
  for (const Tensor* t : {&covariances_, &precisions_cholesky_, &precisions_})
    SOMA_CHECK(t->dtype() == kFloat64 && t->shape() == shape, "GaussianMixture: covariances and precisions must be float64 {}",
               shape);
  for (double w : weights_.to_vector<double>()) SOMA_CHECK(w > 0 && w <= 1, "GaussianMixture: weights_ must be in (0, 1]");
  for (const Tensor* t : {&means_, &covariances_, &precisions_})
    for (double v : t->to_vector<double>()) SOMA_CHECK(std::isfinite(v), "GaussianMixture: parameters must be finite");
  // The precision factors' diagonals feed a logarithm: they must be positive.
  std::vector<double> pc = precisions_cholesky_.to_vector<double>();
  for (size_t i = 0; i < pc.size(); ++i) {
    bool diagonal = type == CovType::Diag || type == CovType::Spherical || (i % (d * d)) / d == (i % (d * d)) % d;
    SOMA_CHECK(std::isfinite(pc[i]) && (!diagonal || pc[i] > 0),
               "GaussianMixture: precisions_cholesky_ must be finite with a positive diagonal");
  }
}

GaussianMixture& GaussianMixture::fit(const Tensor& X_in, const Tensor&) {
  Tensor X = detail::check_matrix(X_in, "GaussianMixture.fit");
  const int64_t n = X.size(0), d = X.size(1), k = options_.n_components;
  SOMA_CHECK(n >= k, "GaussianMixture.fit: Expected n_samples >= n_components but got n_components = {}, n_samples = {}",
             k, n);
  SOMA_CHECK(n >= 2, "GaussianMixture.fit: Expected n_samples >= 2 but got n_samples = {}", n);
  const double* x = X.data<double>();
  const CovType type = cov_type(options_.covariance_type);
  const uint64_t seed = detail::resolve_seed(options_.random_state);

  Mixture best;
  double best_bound = -std::numeric_limits<double>::infinity();
  int64_t best_iter = 0;
  bool have_best = false, converged = false;
  for (int64_t run = 0; run < options_.n_init; ++run) {
    uint64_t run_seed = init_seed(seed, static_cast<uint64_t>(run));
    std::vector<double> resp(n * k, 0.0);
    if (options_.init_params == "kmeans") {
      KMeans kmeans({.n_clusters = k, .n_init = int64_t{1}, .random_state = static_cast<int64_t>(run_seed >> 1)});
      std::vector<int64_t> labels = kmeans.fit_predict(X).to_vector<int64_t>();
      for (int64_t i = 0; i < n; ++i) resp[i * k + labels[i]] = 1.0;
    } else {
      std::mt19937_64 gen(run_seed);
      for (int64_t i = 0; i < n; ++i) {
        double s = 0;
        for (int64_t c = 0; c < k; ++c) s += resp[i * k + c] = static_cast<double>(gen() >> 11) * 0x1.0p-53;
        for (int64_t c = 0; c < k; ++c) resp[i * k + c] /= s;
      }
    }
    Mixture m = estimate(x, n, d, resp, k, options_.reg_covar, type);
    for (double& w : m.weights) w /= static_cast<double>(n);
    double bound = -std::numeric_limits<double>::infinity();
    int64_t iter = 0;
    for (iter = 1; iter <= options_.max_iter; ++iter) {
      double previous = bound;
      // E-step: log responsibilities and the mean log-likelihood.
      std::vector<double> log_resp = log_weighted_gaussians(x, n, d, m.weights, m.means, m.prec_chol, type);
      double log_prob_norm = mean_of(log_sum_exp_rows(log_resp, n, k, true));
      for (double& r : log_resp) r = std::exp(r);
      // M-step.
      m = estimate(x, n, d, log_resp, k, options_.reg_covar, type);
      double total = 0;
      for (double w : m.weights) total += w;
      for (double& w : m.weights) w /= total;
      bound = log_prob_norm;
      if (std::fabs(bound - previous) < options_.tol) {
        converged = true;
        break;
      }
    }
    iter = std::min(iter, options_.max_iter);
    if (!have_best || bound > best_bound) {
      best = m;
      best_bound = bound;
      best_iter = iter;
      have_best = true;
    }
  }
  converged_ = converged;
  n_iter_ = best_iter;
  lower_bound_ = best_bound;
  Shape shape = cov_shape(type, k, d);
  weights_ = from_vector(best.weights, {k});
  means_ = from_vector(best.means, {k, d});
  covariances_ = from_vector(best.cov, shape);
  precisions_cholesky_ = from_vector(best.prec_chol, shape);
  // precisions = P P^T for the matrix types, P² otherwise.
  std::vector<double> precisions(best.prec_chol.size());
  if (type == CovType::Full || type == CovType::Tied) {
    int64_t blocks = type == CovType::Full ? k : 1;
    for (int64_t c = 0; c < blocks; ++c) {
      const double* p = &best.prec_chol[c * d * d];
      for (int64_t a = 0; a < d; ++a)
        for (int64_t b = 0; b < d; ++b) {
          double s = 0;
          for (int64_t t = 0; t < d; ++t) s += p[a * d + t] * p[b * d + t];
          precisions[c * d * d + a * d + b] = s;
        }
    }
  } else {
    for (size_t i = 0; i < precisions.size(); ++i) precisions[i] = best.prec_chol[i] * best.prec_chol[i];
  }
  precisions_ = from_vector(precisions, shape);
  n_features_in_ = d;
  return *this;
}

Tensor GaussianMixture::fit_predict(const Tensor& X) {
  fit(X);
  return predict(X);
}

Tensor GaussianMixture::weighted_log_prob(const Tensor& X_in, const char* method) const {
  check_fitted(X_in, method);
  Tensor X = detail::check_matrix(X_in, std::string("GaussianMixture.") + method);
  std::vector<double> out =
      log_weighted_gaussians(X.data<double>(), X.size(0), X.size(1), weights_.to_vector<double>(),
                            means_.to_vector<double>(), precisions_cholesky_.to_vector<double>(),
                            cov_type(options_.covariance_type));
  return from_vector(out, {X.size(0), weights_.size(0)});
}

Tensor GaussianMixture::predict(const Tensor& X) const {
  Tensor w = weighted_log_prob(X, "predict");
  int64_t n = w.size(0), k = w.size(1);
  const double* p = w.data<double>();
  std::vector<int64_t> labels(n);
  for (int64_t i = 0; i < n; ++i) labels[i] = std::max_element(p + i * k, p + (i + 1) * k) - (p + i * k);
  return from_vector(labels, {n});
}

Tensor GaussianMixture::predict_proba(const Tensor& X) const {
  Tensor w = weighted_log_prob(X, "predict_proba");
  int64_t n = w.size(0), k = w.size(1);
  std::vector<double> m = w.to_vector<double>();
  log_sum_exp_rows(m, n, k, true);
  for (double& v : m) v = std::exp(v);
  return from_vector(m, {n, k});
}

Tensor GaussianMixture::score_samples(const Tensor& X) const {
  Tensor w = weighted_log_prob(X, "score_samples");
  int64_t n = w.size(0), k = w.size(1);
  std::vector<double> m = w.to_vector<double>();
  return from_vector(log_sum_exp_rows(m, n, k, false), {n});
}

double GaussianMixture::score(const Tensor& X, const Tensor&) const {
  return mean_of(score_samples(X).to_vector<double>());
}

int64_t GaussianMixture::n_parameters() const {
  int64_t k = options_.n_components, d = n_features_in_, cov = 0;
  switch (cov_type(options_.covariance_type)) {
    case CovType::Full: cov = k * d * (d + 1) / 2; break;
    case CovType::Tied: cov = d * (d + 1) / 2; break;
    case CovType::Diag: cov = k * d; break;
    default: cov = k;
  }
  return cov + k * d + k - 1;
}

double GaussianMixture::bic(const Tensor& X) const {
  double n = static_cast<double>(X.size(0));
  return -2 * score(X) * n + static_cast<double>(n_parameters()) * std::log(n);
}

double GaussianMixture::aic(const Tensor& X) const {
  return -2 * score(X) * static_cast<double>(X.size(0)) + 2 * static_cast<double>(n_parameters());
}

}  // namespace soma::ml
