#pragma once
// Linear models (scikit-learn's sklearn.linear_model): least squares, ridge, lasso and elastic
// net regression, and logistic regression.
//
//   ml::Lasso lasso({.alpha = 0.1});
//   lasso.fit(X, y);                       // X [n, d], y [n]
//   Tensor w = lasso.coef_;                // float64 [d]
//   double r2 = lasso.score(X_test, y_test);
//
// Left out: sample_weight in fit, array-valued alpha, multi-output y (y is one target), and
// class_weight as a dict. Parameters that only steer memory in Python (copy_X) or threads
// (n_jobs; soma uses soma::set_num_threads) are accepted and have no effect.
#include <cstdint>
#include <optional>
#include <string>

#include "soma/ml/estimator.h"

namespace soma::ml {

// What the linear regressors share: predict = X coef_ + intercept_, and their saved state.
class LinearRegressorBase : public Regressor {
 public:
  Tensor predict(const Tensor& X) const override;

  Tensor coef_;       // float64 [n_features]
  Tensor intercept_;  // float64 scalar (0-dim); 0 without fit_intercept

 protected:
  void visit_fitted(const std::function<void(const char*, Tensor&)>& visit) override;
  void check_fitted_state() const override;
};

// Ordinary least squares: argmin ||y - X w - b||². A rank-deficient X gets the minimum-norm
// solution (LAPACK's gelsd, as scipy.linalg.lstsq); positive=True solves non-negative least
// squares (Lawson-Hanson, as scipy.optimize.nnls).
struct LinearRegressionOptions {
  bool fit_intercept = true;
  bool copy_X = true;
  std::optional<int64_t> n_jobs = std::nullopt;
  bool positive = false;
};

class LinearRegression : public Cloneable<LinearRegression, LinearRegressorBase> {
 public:
  explicit LinearRegression(LinearRegressionOptions options = {}) : options_(options) {}
  std::string_view name() const override { return "LinearRegression"; }
  LinearRegression& fit(const Tensor& X, const Tensor& y) override;

  // The rank and singular values of the (centered) X; not set when positive.
  int64_t rank_ = 0;
  Tensor singular_;  // float64 [min(n_samples, n_features)]

 protected:
  void visit_params(ParamVisitor& v) override;

 private:
  LinearRegressionOptions options_;
};

// Ridge regression: argmin ||y - X w - b||² + alpha ||w||². Solved in closed form: 'cholesky'
// (X'X + alpha I, or the n x n kernel form when n_features > n_samples) or 'svd'; 'auto' is
// 'cholesky'. The iterative solvers ('lsqr', 'sparse_cg', 'sag', 'saga') approximate this same
// solution to within tol in scikit-learn; here they get the exact one (by 'cholesky'), so
// max_iter, tol and random_state have no effect. positive=True (with 'auto' or 'lbfgs') solves
// the bound-constrained problem exactly as non-negative least squares.
struct RidgeOptions {
  double alpha = 1.0;
  bool fit_intercept = true;
  bool copy_X = true;
  std::optional<int64_t> max_iter = std::nullopt;
  double tol = 1e-4;
  std::string solver = "auto";
  bool positive = false;
  std::optional<int64_t> random_state = std::nullopt;
};

class Ridge : public Cloneable<Ridge, LinearRegressorBase> {
 public:
  explicit Ridge(RidgeOptions options = {}) : options_(std::move(options)) {}
  std::string_view name() const override { return "Ridge"; }
  Ridge& fit(const Tensor& X, const Tensor& y) override;

 protected:
  void visit_params(ParamVisitor& v) override;

 private:
  RidgeOptions options_;
};

// Elastic net by coordinate descent, scikit-learn's objective:
//   1/(2 n) ||y - X w - b||² + alpha l1_ratio ||w||_1 + alpha (1 - l1_ratio) / 2 ||w||²
// stopped when a sweep's largest coefficient change is below tol times the largest coefficient
// and the duality gap is below tol ||y||² (y centered), or after max_iter sweeps.
// precompute is accepted; the Gram matrix is never formed (the answer is the same).
struct ElasticNetOptions {
  double alpha = 1.0;
  double l1_ratio = 0.5;
  bool fit_intercept = true;
  bool precompute = false;
  int64_t max_iter = 1000;
  bool copy_X = true;
  double tol = 1e-4;
  bool warm_start = false;
  bool positive = false;
  std::optional<int64_t> random_state = std::nullopt;
  std::string selection = "cyclic";  // or 'random': coordinates in random order
};

class ElasticNet : public Cloneable<ElasticNet, LinearRegressorBase> {
 public:
  explicit ElasticNet(ElasticNetOptions options = {}) : options_(std::move(options)) {}
  std::string_view name() const override { return "ElasticNet"; }
  ElasticNet& fit(const Tensor& X, const Tensor& y) override;

  int64_t n_iter_ = 0;    // sweeps run
  double dual_gap_ = 0;   // the final duality gap, on the 1/(2n) scale of the objective

 protected:
  void visit_params(ParamVisitor& v) override;
  ElasticNetOptions options_;
};

// The elastic net with l1_ratio = 1: argmin 1/(2 n) ||y - X w - b||² + alpha ||w||_1.
struct LassoOptions {
  double alpha = 1.0;
  bool fit_intercept = true;
  bool precompute = false;
  bool copy_X = true;
  int64_t max_iter = 1000;
  double tol = 1e-4;
  bool warm_start = false;
  bool positive = false;
  std::optional<int64_t> random_state = std::nullopt;
  std::string selection = "cyclic";
};

class Lasso : public ElasticNet {
 public:
  explicit Lasso(LassoOptions options = {});
  std::string_view name() const override { return "Lasso"; }
  std::unique_ptr<Estimator> clone() const override;

 protected:
  void visit_params(ParamVisitor& v) override;
};

// Logistic regression, scikit-learn's objective:
//   C sum_i s_i loss_i(X_i W' + b) + 1/2 ||W||²    (the intercept b is not penalized)
// where loss_i is the log loss of the softmax over the classes ('multinomial') or of the
// sigmoid for one class against the rest ('ovr'; two classes always have one binary problem),
// and s_i are the class weights (1, or n / (n_classes count(y_i)) with 'balanced').
// With the 'l2' penalty or None it is minimized by L-BFGS (10 corrections, a line search
// satisfying the strong Wolfe conditions), stopped when the largest gradient component is at most
// tol, the objective's relative decrease is below scipy's factr (2.2e-9), or after max_iter
// iterations; 'newton-cg', 'newton-cholesky', 'sag' and 'saga' minimize the same objective and
// get the same solver. The 'l1' and 'elasticnet' penalties (solver 'saga' only, as scikit-learn)
//   C sum_i s_i loss_i + l1_ratio ||W||_1 + (1 - l1_ratio)/2 ||W||²
// are minimized by accelerated proximal gradient, stopped as saga is: when an iteration changes
// no weight by more than tol times the largest. 'liblinear' (which penalizes the intercept) is not
// available. n_jobs, verbose, intercept_scaling and dual (which must stay False) have no effect.
struct LogisticRegressionOptions {
  ParamValue penalty = std::string("l2");  // 'l1', 'l2', 'elasticnet' or None ('none')
  bool dual = false;
  double tol = 1e-4;
  double C = 1.0;
  bool fit_intercept = true;
  double intercept_scaling = 1.0;
  ParamValue class_weight = None;  // None or 'balanced'
  std::optional<int64_t> random_state = std::nullopt;
  std::string solver = "lbfgs";
  int64_t max_iter = 100;
  std::string multi_class = "auto";  // 'auto': 'ovr' for two classes, else 'multinomial'
  int64_t verbose = 0;
  bool warm_start = false;
  std::optional<int64_t> n_jobs = std::nullopt;
  std::optional<double> l1_ratio = std::nullopt;
};

class LogisticRegression : public Cloneable<LogisticRegression, Classifier> {
 public:
  explicit LogisticRegression(LogisticRegressionOptions options = {}) : options_(std::move(options)) {}
  std::string_view name() const override { return "LogisticRegression"; }
  LogisticRegression& fit(const Tensor& X, const Tensor& y) override;
  Tensor predict(const Tensor& X) const override;
  Tensor predict_proba(const Tensor& X) const override;
  Tensor predict_log_proba(const Tensor& X) const;
  Tensor decision_function(const Tensor& X) const override;

  Tensor coef_;       // float64 [1, n_features] for two classes, else [n_classes, n_features]
  Tensor intercept_;  // float64 [1] or [n_classes]
  Tensor n_iter_;     // int64 [1], or [n_classes] for 'ovr' with more than two classes: iterations run

 protected:
  void visit_params(ParamVisitor& v) override;
  void visit_fitted(const std::function<void(const char*, Tensor&)>& visit) override;
  void check_fitted_state() const override;

 private:
  bool multinomial(int64_t n_classes) const;
  Tensor scores(const Tensor& X, const char* method) const;  // X coef_' + intercept_, [n, rows of coef_]
  LogisticRegressionOptions options_;
};

// Linear models fitted by stochastic gradient descent, scikit-learn's plain SGD: one pass over
// the (shuffled) samples per epoch, w <- (1 - eta alpha (1 - l1_ratio)) w - eta dloss(x'w + b, y) x,
// the l1 part by cumulative truncation; stopped after n_iter_no_change epochs whose summed loss
// did not improve on the best by tol * n_samples, or after max_iter epochs. learning_rate:
// 'optimal' eta = 1 / (alpha (t0 + t)), 'invscaling' eta0 / t^power_t, 'constant' eta0, or
// 'adaptive' (eta0, divided by 5 when the loss stops improving). The shuffles are soma's own
// (the same random_state gives the same fit, for any thread count, but not scikit-learn's bits).
// Not available: early_stopping=True (with validation_fraction) and average (must stay False).
struct SGDOptions {
  std::string loss = "hinge";
  ParamValue penalty = std::string("l2");  // 'l2', 'l1', 'elasticnet' or None
  double alpha = 1e-4;
  double l1_ratio = 0.15;
  bool fit_intercept = true;
  int64_t max_iter = 1000;
  std::optional<double> tol = 1e-3;  // None: run max_iter epochs
  bool shuffle = true;
  int64_t verbose = 0;
  double epsilon = 0.1;  // the insensitive margin of 'huber' and the epsilon losses
  std::optional<int64_t> n_jobs = std::nullopt;
  std::optional<int64_t> random_state = std::nullopt;
  std::string learning_rate = "optimal";
  double eta0 = 0.0;
  double power_t = 0.5;
  bool early_stopping = false;
  double validation_fraction = 0.1;
  int64_t n_iter_no_change = 5;
  ParamValue class_weight = None;  // None or 'balanced' (classifiers)
  bool warm_start = false;
  ParamValue average = false;
};

// Classification by SGD: loss 'hinge' (a linear SVM), 'log_loss' (logistic regression),
// 'modified_huber', 'squared_hinge', 'perceptron', or a regression loss on targets +1/-1. More
// than two classes are fitted one against the rest (in parallel).
class SGDClassifier : public Cloneable<SGDClassifier, Classifier> {
 public:
  explicit SGDClassifier(SGDOptions options = {}) : options_(std::move(options)) {}
  std::string_view name() const override { return "SGDClassifier"; }
  SGDClassifier& fit(const Tensor& X, const Tensor& y) override;
  Tensor predict(const Tensor& X) const override;
  // Only for loss 'log_loss': sigmoid scores (normalized over the classes for more than two).
  Tensor predict_proba(const Tensor& X) const override;
  Tensor decision_function(const Tensor& X) const override;

  Tensor coef_;       // float64 [1, n_features] for two classes, else [n_classes, n_features]
  Tensor intercept_;  // float64 [1] or [n_classes]
  int64_t n_iter_ = 0;  // epochs run (the most over the classes)

 protected:
  void visit_params(ParamVisitor& v) override;
  void visit_fitted(const std::function<void(const char*, Tensor&)>& visit) override;
  void check_fitted_state() const override;
  Tensor scores(const Tensor& X, const char* method) const;  // [n, rows of coef_]
  SGDOptions options_;
};

// The perceptron: SGDClassifier with loss 'perceptron', a constant learning rate eta0 and no
// penalty by default (random_state 0, as scikit-learn).
struct PerceptronOptions {
  ParamValue penalty = None;
  double alpha = 1e-4;
  double l1_ratio = 0.15;
  bool fit_intercept = true;
  int64_t max_iter = 1000;
  std::optional<double> tol = 1e-3;
  bool shuffle = true;
  int64_t verbose = 0;
  double eta0 = 1.0;
  std::optional<int64_t> n_jobs = std::nullopt;
  std::optional<int64_t> random_state = 0;
  bool early_stopping = false;
  double validation_fraction = 0.1;
  int64_t n_iter_no_change = 5;
  ParamValue class_weight = None;
  bool warm_start = false;
};

class Perceptron : public SGDClassifier {
 public:
  explicit Perceptron(PerceptronOptions options = {});
  std::string_view name() const override { return "Perceptron"; }
  std::unique_ptr<Estimator> clone() const override;

 protected:
  void visit_params(ParamVisitor& v) override;
};

// Regression by SGD: loss 'squared_error', 'huber', 'epsilon_insensitive' or
// 'squared_epsilon_insensitive'; scikit-learn's regression defaults (learning_rate 'invscaling',
// eta0 0.01, power_t 0.25).
struct SGDRegressorOptions {
  std::string loss = "squared_error";
  ParamValue penalty = std::string("l2");
  double alpha = 1e-4;
  double l1_ratio = 0.15;
  bool fit_intercept = true;
  int64_t max_iter = 1000;
  std::optional<double> tol = 1e-3;
  bool shuffle = true;
  int64_t verbose = 0;
  double epsilon = 0.1;
  std::optional<int64_t> random_state = std::nullopt;
  std::string learning_rate = "invscaling";
  double eta0 = 0.01;
  double power_t = 0.25;
  bool early_stopping = false;
  double validation_fraction = 0.1;
  int64_t n_iter_no_change = 5;
  bool warm_start = false;
  ParamValue average = false;
};

class SGDRegressor : public Cloneable<SGDRegressor, LinearRegressorBase> {
 public:
  explicit SGDRegressor(SGDRegressorOptions options = {});
  std::string_view name() const override { return "SGDRegressor"; }
  SGDRegressor& fit(const Tensor& X, const Tensor& y) override;

  int64_t n_iter_ = 0;  // epochs run

 protected:
  void visit_params(ParamVisitor& v) override;

 private:
  SGDOptions options_;  // the classifier's fields, with the regressor's values
};

}  // namespace soma::ml
