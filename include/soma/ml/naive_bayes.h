#pragma once
// Naive Bayes classifiers (scikit-learn's sklearn.naive_bayes): class-conditional feature
// distributions assumed independent given the class; prediction by Bayes' rule.
#include "soma/ml/estimator.h"

namespace soma::ml {

// scikit-learn's `priors` / `class_prior` (arrays) are not parameters here: the priors are the
// class frequencies (fit_prior=true) or uniform.

// Gaussian features: per class and feature a mean theta_ and a variance var_ (the population
// variance plus var_smoothing times the largest feature variance, for numerical stability).
struct GaussianNBOptions {
  double var_smoothing = 1e-9;
};

class GaussianNB : public Cloneable<GaussianNB, Classifier> {
 public:
  explicit GaussianNB(GaussianNBOptions options = {}) : options_(options) {}
  std::string_view name() const override { return "GaussianNB"; }
  GaussianNB& fit(const Tensor& X, const Tensor& y) override;
  Tensor predict(const Tensor& X) const override;
  Tensor predict_proba(const Tensor& X) const override;
  Tensor predict_log_proba(const Tensor& X) const;

  Tensor theta_;         // float64 [n_classes, n_features]
  Tensor var_;           // float64 [n_classes, n_features]
  Tensor class_prior_;   // float64 [n_classes]
  Tensor class_count_;   // float64 [n_classes]
  double epsilon_ = 0;

 protected:
  void visit_params(ParamVisitor& v) override;
  void visit_fitted(const std::function<void(const char*, Tensor&)>& visit) override;
  void check_fitted_state() const override;

 private:
  Tensor joint_log_likelihood(const Tensor& X) const;  // [n, n_classes]
  GaussianNBOptions options_;
};

// The discrete models share smoothing and priors: alpha is added to every feature count
// (Laplace/Lidstone smoothing; values under 1e-10 are raised to it unless force_alpha is true;
// scikit-learn 1.2's default 'warn' behaves as false), and fit_prior=false makes the class prior
// uniform.
struct DiscreteNBOptions {
  double alpha = 1.0;
  ParamValue force_alpha = std::string("warn");
  bool fit_prior = true;
  std::optional<double> binarize = 0.0;  // BernoulliNB only: threshold (x > t is 1); None: X is binary
};

class DiscreteNB : public Classifier {
 public:
  DiscreteNB& fit(const Tensor& X, const Tensor& y) override;
  Tensor predict(const Tensor& X) const override;
  Tensor predict_proba(const Tensor& X) const override;
  Tensor predict_log_proba(const Tensor& X) const;

  Tensor class_count_;       // float64 [n_classes]
  Tensor class_log_prior_;   // float64 [n_classes]
  Tensor feature_count_;     // float64 [n_classes, n_features]
  Tensor feature_log_prob_;  // float64 [n_classes, n_features]

 protected:
  explicit DiscreteNB(DiscreteNBOptions options) : options_(std::move(options)) {}
  void visit_params(ParamVisitor& v) override;
  void visit_fitted(const std::function<void(const char*, Tensor&)>& visit) override;
  void check_fitted_state() const override;
  virtual bool bernoulli() const = 0;
  Tensor prepare(const Tensor& X, const char* method) const;  // checked float64 (binarized) X
  Tensor joint_log_likelihood(const Tensor& X) const;         // [n, n_classes]
  DiscreteNBOptions options_;
};

// Counts (word counts, tf-idf): P(x | class) multinomial with feature_log_prob_ =
// log((count + alpha) / (total + alpha * n_features)). X must be non-negative.
class MultinomialNB : public Cloneable<MultinomialNB, DiscreteNB> {
 public:
  explicit MultinomialNB(DiscreteNBOptions options = {}) : Cloneable(std::move(options)) {}
  std::string_view name() const override { return "MultinomialNB"; }

 protected:
  bool bernoulli() const override { return false; }
};

// Binary features (present/absent; X is binarized at `binarize`): feature_log_prob_ =
// log((count + alpha) / (class count + 2 alpha)), absent features count too.
class BernoulliNB : public Cloneable<BernoulliNB, DiscreteNB> {
 public:
  explicit BernoulliNB(DiscreteNBOptions options = {}) : Cloneable(std::move(options)) {}
  std::string_view name() const override { return "BernoulliNB"; }

 protected:
  bool bernoulli() const override { return true; }
};

}  // namespace soma::ml
