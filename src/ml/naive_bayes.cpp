// Naive Bayes classifiers (see soma/ml/naive_bayes.h).
#include "soma/ml/naive_bayes.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "soma/creation.h"
#include "soma/error.h"
#include "validation.h"

namespace soma::ml {
namespace {

// Row-wise log-softmax of a [n, k] float64 matrix, in place.
void log_normalize_rows(Tensor& m) {
  double* p = m.data<double>();
  int64_t n = m.size(0), k = m.size(1);
  for (int64_t i = 0; i < n; ++i) {
    double* r = p + i * k;
    double top = *std::max_element(r, r + k);
    double sum = 0;
    for (int64_t c = 0; c < k; ++c) sum += std::exp(r[c] - top);
    double log_sum = top + std::log(sum);
    for (int64_t c = 0; c < k; ++c) r[c] -= log_sum;
  }
}

// classes[argmax of each row of jll [n, k]] (the first on ties, as NumPy's argmax).
Tensor argmax_labels(const Tensor& jll, const Tensor& classes) {
  int64_t n = jll.size(0), k = jll.size(1);
  const double* p = jll.data<double>();
  std::vector<int64_t> codes(n);
  for (int64_t i = 0; i < n; ++i) codes[i] = std::max_element(p + i * k, p + (i + 1) * k) - (p + i * k);
  return detail::decode_labels(classes, codes);
}

}  // namespace

void GaussianNB::visit_params(ParamVisitor& v) {
  v.visit("var_smoothing", &options_.var_smoothing, real_in(at_least(0)));
}

void GaussianNB::visit_fitted(const std::function<void(const char*, Tensor&)>& visit) {
  visit("classes_", classes_);
  visit("theta_", theta_);
  visit("var_", var_);
  visit("class_prior_", class_prior_);
  visit("class_count_", class_count_);
}

void GaussianNB::check_fitted_state() const {
  SOMA_CHECK(classes_.dtype() == kInt64 && classes_.dim() == 1 && classes_.size(0) >= 1,
             "GaussianNB: classes_ must be int64 [n_classes]");
  int64_t k = classes_.size(0);
  for (const Tensor* t : {&theta_, &var_})
    SOMA_CHECK(t->dtype() == kFloat64 && t->shape() == Shape({k, n_features_in_}),
               "GaussianNB: theta_ and var_ must be float64 [{}, {}]", k, n_features_in_);
  for (const Tensor* t : {&class_prior_, &class_count_})
    SOMA_CHECK(t->dtype() == kFloat64 && t->shape() == Shape({k}), "GaussianNB: class priors must be float64 [{}]", k);
  for (double v : var_.to_vector<double>()) SOMA_CHECK(v > 0, "GaussianNB: var_ must be positive");
}

GaussianNB& GaussianNB::fit(const Tensor& X_in, const Tensor& y) {
  Tensor X = detail::check_matrix(X_in, "GaussianNB.fit");
  int64_t n = X.size(0), d = X.size(1);
  detail::EncodedLabels labels = detail::encode_labels(y, n, "GaussianNB.fit");
  int64_t k = labels.classes.size(0);
  const double* x = X.data<double>();

  // epsilon = var_smoothing * the largest feature variance over all samples.
  double max_var = 0;
  for (int64_t j = 0; j < d; ++j) {
    double mean = 0, sq = 0;
    for (int64_t i = 0; i < n; ++i) mean += x[i * d + j];
    mean /= static_cast<double>(n);
    for (int64_t i = 0; i < n; ++i) sq += (x[i * d + j] - mean) * (x[i * d + j] - mean);
    max_var = std::max(max_var, sq / static_cast<double>(n));
  }
  epsilon_ = options_.var_smoothing * max_var;

  std::vector<double> count(k, 0), mean(k * d, 0), var(k * d, 0);
  for (int64_t i = 0; i < n; ++i) {
    int64_t c = labels.codes[i];
    count[c] += 1;
    for (int64_t j = 0; j < d; ++j) mean[c * d + j] += x[i * d + j];
  }
  for (int64_t c = 0; c < k; ++c)
    for (int64_t j = 0; j < d; ++j) mean[c * d + j] /= count[c];
  for (int64_t i = 0; i < n; ++i) {
    int64_t c = labels.codes[i];
    for (int64_t j = 0; j < d; ++j) {
      double diff = x[i * d + j] - mean[c * d + j];
      var[c * d + j] += diff * diff;
    }
  }
  std::vector<double> prior(k);
  for (int64_t c = 0; c < k; ++c) {
    for (int64_t j = 0; j < d; ++j) var[c * d + j] = var[c * d + j] / count[c] + epsilon_;
    prior[c] = count[c] / static_cast<double>(n);
  }
  // A constant feature with var_smoothing 0 would divide by zero at predict time.
  for (double v : var)
    SOMA_CHECK(v > 0, "GaussianNB.fit: a feature has zero variance within a class and var_smoothing is 0; "
                      "set var_smoothing > 0");
  classes_ = labels.classes;
  theta_ = from_vector(mean, {k, d});
  var_ = from_vector(var, {k, d});
  class_prior_ = from_vector(prior);
  class_count_ = from_vector(count);
  n_features_in_ = d;
  return *this;
}

Tensor GaussianNB::joint_log_likelihood(const Tensor& X_in) const {
  check_fitted(X_in, "predict");
  Tensor X = detail::check_matrix(X_in, "GaussianNB.predict");
  int64_t n = X.size(0), d = X.size(1), k = classes_.size(0);
  const double* x = X.data<double>();
  const double* theta = theta_.data<double>();
  const double* var = var_.data<double>();
  const double* prior = class_prior_.data<double>();
  std::vector<double> log_norm(k, 0);
  for (int64_t c = 0; c < k; ++c) {
    for (int64_t j = 0; j < d; ++j) log_norm[c] -= 0.5 * std::log(2.0 * std::numbers::pi * var[c * d + j]);
    log_norm[c] += std::log(prior[c]);
  }
  Tensor out = empty({n, k}, kFloat64);
  double* o = out.data<double>();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t c = 0; c < k; ++c) {
      double sum = 0;
      for (int64_t j = 0; j < d; ++j) {
        double diff = x[i * d + j] - theta[c * d + j];
        sum += diff * diff / var[c * d + j];
      }
      o[i * k + c] = log_norm[c] - 0.5 * sum;
    }
  return out;
}

Tensor GaussianNB::predict(const Tensor& X) const { return argmax_labels(joint_log_likelihood(X), classes_); }

Tensor GaussianNB::predict_log_proba(const Tensor& X) const {
  Tensor jll = joint_log_likelihood(X);
  log_normalize_rows(jll);
  return jll;
}

Tensor GaussianNB::predict_proba(const Tensor& X) const { return predict_log_proba(X).exp(); }

void DiscreteNB::visit_params(ParamVisitor& v) {
  v.visit("alpha", &options_.alpha, real_in(at_least(0)));
  if (bernoulli()) v.visit("binarize", &options_.binarize, {.none = true, .real = Interval{}});
  v.visit("fit_prior", &options_.fit_prior, boolean());
  v.visit("force_alpha", &options_.force_alpha, {.boolean = true, .options = {"warn"}});
}

void DiscreteNB::visit_fitted(const std::function<void(const char*, Tensor&)>& visit) {
  visit("classes_", classes_);
  visit("class_count_", class_count_);
  visit("class_log_prior_", class_log_prior_);
  visit("feature_count_", feature_count_);
  visit("feature_log_prob_", feature_log_prob_);
}

void DiscreteNB::check_fitted_state() const {
  SOMA_CHECK(classes_.dtype() == kInt64 && classes_.dim() == 1 && classes_.size(0) >= 1,
             "{}: classes_ must be int64 [n_classes]", name());
  int64_t k = classes_.size(0);
  for (const Tensor* t : {&class_count_, &class_log_prior_})
    SOMA_CHECK(t->dtype() == kFloat64 && t->shape() == Shape({k}), "{}: class arrays must be float64 [{}]", name(), k);
  for (const Tensor* t : {&feature_count_, &feature_log_prob_})
    SOMA_CHECK(t->dtype() == kFloat64 && t->shape() == Shape({k, n_features_in_}),
               "{}: feature arrays must be float64 [{}, {}]", name(), k, n_features_in_);
}

Tensor DiscreteNB::prepare(const Tensor& X_in, const char* method) const {
  Tensor X = detail::check_matrix(X_in, std::string(name()) + "." + method).clone();
  double* x = X.data<double>();
  if (bernoulli()) {
    if (options_.binarize)
      for (int64_t i = 0; i < X.numel(); ++i) x[i] = x[i] > *options_.binarize ? 1.0 : 0.0;
  } else {
    for (int64_t i = 0; i < X.numel(); ++i)
      SOMA_CHECK(x[i] >= 0, "{}.{}: negative values in X (row {}, column {}); multinomial naive Bayes needs counts "
                            "or frequencies", name(), method, i / X.size(1), i % X.size(1));
  }
  return X;
}

DiscreteNB& DiscreteNB::fit(const Tensor& X_in, const Tensor& y) {
  Tensor X = prepare(X_in, "fit");
  int64_t n = X.size(0), d = X.size(1);
  detail::EncodedLabels labels = detail::encode_labels(y, n, std::string(name()) + ".fit");
  int64_t k = labels.classes.size(0);
  const double* x = X.data<double>();
  std::vector<double> count(k, 0), features(k * d, 0);
  for (int64_t i = 0; i < n; ++i) {
    int64_t c = labels.codes[i];
    count[c] += 1;
    for (int64_t j = 0; j < d; ++j) features[c * d + j] += x[i * d + j];
  }
  // scikit-learn 1.2: alpha below 1e-10 is raised to it unless force_alpha is True.
  bool force = std::holds_alternative<bool>(options_.force_alpha) && std::get<bool>(options_.force_alpha);
  double alpha = force ? options_.alpha : std::max(options_.alpha, 1e-10);
  std::vector<double> log_prob(k * d), log_prior(k);
  for (int64_t c = 0; c < k; ++c) {
    double total = 0;
    for (int64_t j = 0; j < d; ++j) total += features[c * d + j] + alpha;
    for (int64_t j = 0; j < d; ++j) {
      double denominator = bernoulli() ? count[c] + 2 * alpha : total;
      log_prob[c * d + j] = std::log(features[c * d + j] + alpha) - std::log(denominator);
    }
    log_prior[c] = options_.fit_prior ? std::log(count[c]) - std::log(static_cast<double>(n))
                                      : -std::log(static_cast<double>(k));
  }
  classes_ = labels.classes;
  class_count_ = from_vector(count);
  class_log_prior_ = from_vector(log_prior);
  feature_count_ = from_vector(features, {k, d});
  feature_log_prob_ = from_vector(log_prob, {k, d});
  n_features_in_ = d;
  return *this;
}

Tensor DiscreteNB::joint_log_likelihood(const Tensor& X_in) const {
  check_fitted(X_in, "predict");
  Tensor X = prepare(X_in, "predict");
  int64_t n = X.size(0), d = X.size(1), k = classes_.size(0);
  const double* x = X.data<double>();
  const double* lp = feature_log_prob_.data<double>();
  const double* prior = class_log_prior_.data<double>();
  // Bernoulli: x log p + (1 - x) log(1 - p) = x (log p - log(1 - p)) + log(1 - p).
  std::vector<double> weight(k * d), bias(k);
  for (int64_t c = 0; c < k; ++c) {
    bias[c] = prior[c];
    for (int64_t j = 0; j < d; ++j) {
      double log_p = lp[c * d + j];
      double log_not_p = bernoulli() ? std::log1p(-std::exp(log_p)) : 0.0;
      weight[c * d + j] = log_p - log_not_p;
      bias[c] += log_not_p;
    }
  }
  Tensor out = empty({n, k}, kFloat64);
  double* o = out.data<double>();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t c = 0; c < k; ++c) {
      double sum = bias[c];
      for (int64_t j = 0; j < d; ++j) sum += x[i * d + j] * weight[c * d + j];
      o[i * k + c] = sum;
    }
  return out;
}

Tensor DiscreteNB::predict(const Tensor& X) const { return argmax_labels(joint_log_likelihood(X), classes_); }

Tensor DiscreteNB::predict_log_proba(const Tensor& X) const {
  Tensor jll = joint_log_likelihood(X);
  log_normalize_rows(jll);
  return jll;
}

Tensor DiscreteNB::predict_proba(const Tensor& X) const { return predict_log_proba(X).exp(); }

}  // namespace soma::ml
