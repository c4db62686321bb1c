#pragma once
// Naive Bayes classifiers (scikit-learn's sklearn.naive_bayes): class-conditional feature
// distributions assumed independent given the class; prediction by Bayes' rule.
#include "soma/ml/estimator.h"

namespace soma::ml {

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

}  // namespace soma::ml
