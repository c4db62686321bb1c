#pragma once
// Support vector machines (scikit-learn's sklearn.svm).
//
//   ml::SVC svc({.C = 10.0});                 // rbf kernel, gamma 'scale'
//   svc.fit(X_train, y_train);
//   Tensor scores = svc.decision_function(X_test);
//
// SVC and SVR solve libsvm's dual problems with SMO (second-order working-set selection,
// shrinking, a bounded LRU cache of kernel columns computed on demand); SVC trains one binary
// problem per pair of classes (one-vs-one), in parallel, sharing each class's kernel block.
// LinearSVC is liblinear's dual coordinate descent, one class against the rest.
//
// Left out: kernel='precomputed' and callable kernels, class_weight as a dict, sample_weight
// (fit takes none), LinearSVC's dual=False / penalty='l1' (liblinear's primal solvers) and
// multi_class='crammer_singer'; their parameters accept only the supported values (dual=False
// is a clear error at fit).
#include <optional>
#include <string>

#include "soma/ml/estimator.h"

namespace soma::ml {

// gamma: 'scale' (1 / (n_features * X.var())), 'auto' (1 / n_features) or a float >= 0.
// class_weight: None or 'balanced' (C of class c times n_samples / (n_classes * count_c)).
struct SVCOptions {
  double C = 1.0;
  std::string kernel = "rbf";  // 'linear', 'poly', 'rbf', 'sigmoid'
  int64_t degree = 3;
  ParamValue gamma = std::string("scale");
  double coef0 = 0.0;
  bool shrinking = true;
  bool probability = false;
  double tol = 1e-3;
  double cache_size = 200;  // MB
  ParamValue class_weight = None;
  bool verbose = false;   // accepted for scikit-learn's sake; soma prints nothing
  int64_t max_iter = -1;  // -1: libsvm's own bound, max(10^7, 100 n)
  std::string decision_function_shape = "ovr";  // 'ovo'
  bool break_ties = false;
  std::optional<int64_t> random_state = std::nullopt;  // the folds of probability's cross-validation
};

class SVC : public Cloneable<SVC, Classifier> {
 public:
  explicit SVC(SVCOptions options = {}) : options_(std::move(options)) {}
  std::string_view name() const override { return "SVC"; }
  SVC& fit(const Tensor& X, const Tensor& y) override;
  Tensor predict(const Tensor& X) const override;
  // [n] for two classes (positive: classes_[1]); else [n, n_classes] ('ovr': votes plus
  // confidences scaled into (-1/3, 1/3), as scikit-learn) or [n, k(k-1)/2] ('ovo', pairs in
  // the order (0,1), (0,2), ..., (k-2,k-1); positive: the first class of the pair).
  Tensor decision_function(const Tensor& X) const override;
  // With probability=True: Platt's sigmoid of each pair's decision (fitted on an internal
  // 5-fold cross-validation, so it may disagree with predict), coupled into [n, n_classes].
  Tensor predict_proba(const Tensor& X) const override;
  void load_fitted_state(const StateDict& state) override;

  Tensor support_;           // int64 [n_SV], training-row indices grouped by class
  Tensor support_vectors_;   // float64 [n_SV, n_features]
  Tensor n_support_;         // int64 [n_classes]
  Tensor dual_coef_;         // float64 [n_classes - 1, n_SV], scikit-learn's layout
  Tensor intercept_;         // float64 [k(k-1)/2]
  Tensor class_weight_;      // float64 [n_classes]
  Tensor n_iter_;            // int64 [k(k-1)/2], SMO iterations of each pair
  Tensor probA_, probB_;     // float64 [k(k-1)/2] Platt sigmoids ([0] without probability)
  Tensor shape_fit_;         // int64 [2]: the training X's shape
  int64_t fit_status_ = 0;   // 1 when a pair stopped at max_iter
  double gamma_ = 0;         // the gamma used (scikit-learn's _gamma)

 protected:
  void visit_params(ParamVisitor& v) override;
  void visit_fitted(const std::function<void(const char*, Tensor&)>& visit) override;
  void check_fitted_state() const override;

 private:
  Tensor ovo_decision(const Tensor& X, const char* method) const;  // libsvm's sign: [n, pairs]
  SVCOptions options_;
  Tensor fit_status_t_, gamma_t_;  // the scalars as saved
};

struct SVROptions {
  std::string kernel = "rbf";
  int64_t degree = 3;
  ParamValue gamma = std::string("scale");
  double coef0 = 0.0;
  double tol = 1e-3;
  double C = 1.0;
  double epsilon = 0.1;
  bool shrinking = true;
  double cache_size = 200;
  bool verbose = false;
  int64_t max_iter = -1;  // -1: libsvm's own bound, max(10^7, 200 n)
};

// Epsilon-insensitive support vector regression.
class SVR : public Cloneable<SVR, Regressor> {
 public:
  explicit SVR(SVROptions options = {}) : options_(std::move(options)) {}
  std::string_view name() const override { return "SVR"; }
  SVR& fit(const Tensor& X, const Tensor& y) override;
  Tensor predict(const Tensor& X) const override;  // float64 [n]
  void load_fitted_state(const StateDict& state) override;

  Tensor support_;          // int64 [n_SV]
  Tensor support_vectors_;  // float64 [n_SV, n_features]
  Tensor dual_coef_;        // float64 [1, n_SV]
  Tensor intercept_;        // float64 [1]
  Tensor n_iter_;           // int64 0-dim
  Tensor shape_fit_;        // int64 [2]
  int64_t fit_status_ = 0;
  double gamma_ = 0;

 protected:
  void visit_params(ParamVisitor& v) override;
  void visit_fitted(const std::function<void(const char*, Tensor&)>& visit) override;
  void check_fitted_state() const override;

 private:
  SVROptions options_;
  Tensor fit_status_t_, gamma_t_;
};

struct LinearSVCOptions {
  std::string penalty = "l2";
  std::string loss = "squared_hinge";  // 'hinge'
  bool dual = true;
  double tol = 1e-4;
  double C = 1.0;
  std::string multi_class = "ovr";
  bool fit_intercept = true;
  double intercept_scaling = 1.0;  // the constant feature liblinear appends (regularized)
  ParamValue class_weight = None;
  int64_t verbose = 0;
  std::optional<int64_t> random_state = std::nullopt;  // the order coordinates are visited in
  int64_t max_iter = 1000;  // passes over the data
};

class LinearSVC : public Cloneable<LinearSVC, Classifier> {
 public:
  explicit LinearSVC(LinearSVCOptions options = {}) : options_(std::move(options)) {}
  std::string_view name() const override { return "LinearSVC"; }
  LinearSVC& fit(const Tensor& X, const Tensor& y) override;
  Tensor predict(const Tensor& X) const override;
  // [n] for two classes (positive: classes_[1]), else [n, n_classes].
  Tensor decision_function(const Tensor& X) const override;

  Tensor coef_;       // float64 [1 or n_classes, n_features]
  Tensor intercept_;  // float64 [1 or n_classes]
  Tensor n_iter_;     // int64 0-dim: the most passes any class took

 protected:
  void visit_params(ParamVisitor& v) override;
  void visit_fitted(const std::function<void(const char*, Tensor&)>& visit) override;
  void check_fitted_state() const override;

 private:
  Tensor scores(const Tensor& X) const;  // [n, rows of coef_]
  LinearSVCOptions options_;
};

}  // namespace soma::ml
