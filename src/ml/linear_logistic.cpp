// Logistic regression by L-BFGS (see soma/ml/linear.h).
#include <cblas.h>

#include <algorithm>
#include <cmath>

#include "linear_lbfgs.h"
#include "soma/creation.h"
#include "soma/error.h"
#include "soma/ml/linear.h"
#include "validation.h"

namespace soma::ml {
namespace {

// Rows per task. A block of X is read from memory once per evaluation: the product that gives
// its scores and the one that adds its gradient follow each other while it is still in cache.
// Fixed (not derived from the thread count), so that sums come out the same for any count.
constexpr int64_t kBlockRows = 256;
// Multiply-adds per evaluation below which the blocks run on one thread: smaller problems take
// well under a millisecond, less than waking and joining the threads costs on a busy machine.
constexpr int64_t kParallelWork = int64_t{1} << 21;

double sigmoid(double z) { return z >= 0 ? 1.0 / (1.0 + std::exp(-z)) : std::exp(z) / (1.0 + std::exp(z)); }

// The objective scikit-learn's 'lbfgs' minimizes, sum_i s_i loss_i + l2/2 ||W||², over the
// parameters w = [W_0, b_0, W_1, b_1, ...] (one row of `stride` = d (+ 1 with an intercept)
// per output). Binary: one output, the log loss of sigmoid(score) against target 0/1.
// Multinomial: one output per class, the log loss of the softmax against the class code.
class PenalizedLogLoss {
 public:
  PenalizedLogLoss(const Tensor& X, std::vector<int64_t> targets, std::vector<double> weights, int64_t n_outputs,
                   bool fit_intercept, double l2)
      : X_(X), targets_(std::move(targets)), weights_(std::move(weights)), n_(X.size(0)), d_(X.size(1)),
        k_(n_outputs), stride_(d_ + (fit_intercept ? 1 : 0)), fit_intercept_(fit_intercept), l2_(l2),
        n_blocks_((n_ + kBlockRows - 1) / kBlockRows), block_loss_(n_blocks_), block_grad_(n_blocks_ * k_ * stride_) {}

  int64_t size() const { return k_ * stride_; }

  double operator()(const std::vector<double>& w, std::vector<double>& grad) {
#pragma omp parallel for schedule(static) if (n_ * d_ * k_ >= kParallelWork)
    for (int64_t b = 0; b < n_blocks_; ++b) {
      if (k_ == 1) binary_block(w, b);
      else multinomial_block(w, b);
    }
    double loss = 0;
    std::fill(grad.begin(), grad.end(), 0.0);
    for (int64_t b = 0; b < n_blocks_; ++b) {
      loss += block_loss_[b];
      const double* g = &block_grad_[b * size()];
      for (int64_t j = 0; j < size(); ++j) grad[j] += g[j];
    }
    for (int64_t c = 0; c < k_; ++c)
      for (int64_t j = 0; j < d_; ++j) {
        double v = w[c * stride_ + j];
        loss += 0.5 * l2_ * v * v;
        grad[c * stride_ + j] += l2_ * v;
      }
    return loss;
  }

 private:
  void binary_block(const std::vector<double>& w, int64_t b) {
    int64_t begin = b * kBlockRows, end = std::min(n_, begin + kBlockRows), rows = end - begin;
    const double* xb = X_.data<double>() + begin * d_;
    double intercept = fit_intercept_ ? w[d_] : 0.0;
    std::vector<double> z(rows, intercept);  // scores, then the residuals s_i (sigmoid - target)
    cblas_dgemv(CblasRowMajor, CblasNoTrans, static_cast<int>(rows), static_cast<int>(d_), 1.0, xb,
                static_cast<int>(d_), w.data(), 1, 1.0, z.data(), 1);
    double loss = 0, residual_sum = 0;
    for (int64_t r = 0; r < rows; ++r) {
      double t = static_cast<double>(targets_[begin + r]), s = weights_[begin + r], zr = z[r];
      double e = std::exp(-std::fabs(zr));  // one exp gives both the loss and the sigmoid
      loss += s * (std::max(zr, 0.0) + std::log1p(e) - t * zr);
      double p = zr >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
      z[r] = s * (p - t);
      residual_sum += z[r];
    }
    // gradient [d] = X_block' residuals.
    double* g = &block_grad_[b * size()];
    cblas_dgemv(CblasRowMajor, CblasTrans, static_cast<int>(rows), static_cast<int>(d_), 1.0, xb,
                static_cast<int>(d_), z.data(), 1, 0.0, g, 1);
    if (fit_intercept_) g[d_] = residual_sum;
    block_loss_[b] = loss;
  }

  void multinomial_block(const std::vector<double>& w, int64_t b) {
    int64_t begin = b * kBlockRows, end = std::min(n_, begin + kBlockRows), rows = end - begin;
    const double* xb = X_.data<double>() + begin * d_;
    std::vector<double> scores(rows * k_);  // then the residuals s_i (softmax - one-hot)
    // scores [rows, k] = X_block [rows, d] W' ([d, k]; W's rows are `stride` apart).
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(rows), static_cast<int>(k_),
                static_cast<int>(d_), 1.0, xb, static_cast<int>(d_), w.data(), static_cast<int>(stride_), 0.0,
                scores.data(), static_cast<int>(k_));
    double* g = &block_grad_[b * size()];
    std::fill(g, g + size(), 0.0);
    double loss = 0;
    for (int64_t r = 0; r < rows; ++r) {
      double* z = &scores[r * k_];
      if (fit_intercept_)
        for (int64_t c = 0; c < k_; ++c) z[c] += w[c * stride_ + d_];
      double top = *std::max_element(z, z + k_), sum = 0;
      int64_t y = targets_[begin + r];
      double s = weights_[begin + r], z_y = z[y];
      for (int64_t c = 0; c < k_; ++c) sum += z[c] = std::exp(z[c] - top);  // one exp per class
      loss += s * (top + std::log(sum) - z_y);
      double scale = s / sum;
      for (int64_t c = 0; c < k_; ++c) z[c] *= scale;
      z[y] -= s;
      if (fit_intercept_)
        for (int64_t c = 0; c < k_; ++c) g[c * stride_ + d_] += z[c];
    }
    // gradient [k, d] (rows `stride` apart) = residuals' [k, rows] X_block [rows, d].
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, static_cast<int>(k_), static_cast<int>(d_),
                static_cast<int>(rows), 1.0, scores.data(), static_cast<int>(k_), xb, static_cast<int>(d_), 1.0, g,
                static_cast<int>(stride_));
    block_loss_[b] = loss;
  }

  const Tensor& X_;
  std::vector<int64_t> targets_;
  std::vector<double> weights_;
  int64_t n_, d_, k_, stride_;
  bool fit_intercept_;
  double l2_;
  int64_t n_blocks_;
  std::vector<double> block_loss_, block_grad_;
};

// Sample weights from class_weight: 1, or n / (n_classes count(class)) with 'balanced'.
std::vector<double> class_weights(const std::vector<int64_t>& codes, int64_t n_classes, bool balanced) {
  std::vector<double> weights(codes.size(), 1.0);
  if (!balanced) return weights;
  std::vector<double> count(n_classes, 0.0);
  for (int64_t c : codes) count[c] += 1;
  for (size_t i = 0; i < codes.size(); ++i)
    weights[i] = static_cast<double>(codes.size()) / (static_cast<double>(n_classes) * count[codes[i]]);
  return weights;
}

bool is_none(const ParamValue& v) { return std::holds_alternative<NoneType>(v); }

// Minimizes loss(w) + l1 ||W||_1 (the intercepts, every `stride`-th entry from d, are not
// penalized) by accelerated proximal gradient (FISTA with backtracking and adaptive restart).
// Stops, as scikit-learn's saga does, when an iteration changes no weight by more than tol
// times the largest weight, or after max_iter iterations; returns the iterations run.
int64_t minimize_proximal(PenalizedLogLoss& loss, std::vector<double>& w, double l1, int64_t d, int64_t stride,
                          int64_t max_iter, double tol) {
  const size_t m = w.size();
  auto penalized = [&](size_t j) { return static_cast<int64_t>(j % stride) < d; };
  auto l1_norm = [&](const std::vector<double>& v) {
    double sum = 0;
    for (size_t j = 0; j < m; ++j)
      if (penalized(j)) sum += std::fabs(v[j]);
    return sum;
  };
  std::vector<double> y = w, grad(m), next(m), scratch(m);
  double lipschitz = 1.0, t = 1.0;
  double objective = loss(w, scratch) + l1 * l1_norm(w);
  int64_t iteration = 0;
  while (iteration < max_iter) {
    ++iteration;
    double f_y = loss(y, grad), f_next = 0;
    for (int backtrack = 0; backtrack < 60; ++backtrack) {
      // next = prox(y - grad / L): a gradient step, then soft thresholding of the weights.
      double quadratic = 0, linear = 0;
      for (size_t j = 0; j < m; ++j) {
        double v = y[j] - grad[j] / lipschitz;
        next[j] = penalized(j) ? std::copysign(std::max(std::fabs(v) - l1 / lipschitz, 0.0), v) : v;
        double step = next[j] - y[j];
        linear += grad[j] * step, quadratic += step * step;
      }
      f_next = loss(next, scratch);
      if (f_next <= f_y + linear + 0.5 * lipschitz * quadratic * (1 + 1e-12) + 1e-300) break;
      lipschitz *= 2;
    }
    double next_objective = f_next + l1 * l1_norm(next);
    double change = 0, largest = 0;
    for (size_t j = 0; j < m; ++j) change = std::max(change, std::fabs(next[j] - w[j])), largest = std::max(largest, std::fabs(next[j]));
    double t_next = 0.5 * (1 + std::sqrt(1 + 4 * t * t));
    if (next_objective > objective) {
      t_next = 1;  // momentum overshot: restart from next
      y = next;
    } else {
      for (size_t j = 0; j < m; ++j) y[j] = next[j] + (t - 1) / t_next * (next[j] - w[j]);
    }
    w = next;
    t = t_next;
    objective = next_objective;
    lipschitz *= 0.9;  // let the step grow again where the curvature allows
    if (change <= tol * largest) break;
  }
  return iteration;
}

}  // namespace

void LogisticRegression::visit_params(ParamVisitor& v) {
  v.visit("penalty", &options_.penalty, Constraint{.none = true, .options = {"l1", "l2", "elasticnet", "none"}});
  v.visit("dual", &options_.dual, boolean());
  v.visit("tol", &options_.tol, real_in(at_least(0)));
  v.visit("C", &options_.C, real_in(greater_than(0)));
  v.visit("fit_intercept", &options_.fit_intercept, boolean());
  v.visit("intercept_scaling", &options_.intercept_scaling, real_in(greater_than(0)));
  v.visit("class_weight", &options_.class_weight, Constraint{.none = true, .options = {"balanced"}});
  v.visit("random_state", &options_.random_state, int_or_none(at_least(0)));
  v.visit("solver", &options_.solver, one_of({"lbfgs", "liblinear", "newton-cg", "newton-cholesky", "sag", "saga"}));
  v.visit("max_iter", &options_.max_iter, int_in(at_least(0)));
  v.visit("multi_class", &options_.multi_class, one_of({"auto", "ovr", "multinomial"}));
  v.visit("verbose", &options_.verbose, int_in(at_least(0)));
  v.visit("warm_start", &options_.warm_start, boolean());
  v.visit("n_jobs", &options_.n_jobs, int_or_none({}));
  v.visit("l1_ratio", &options_.l1_ratio, Constraint{.none = true, .real = between(0, 1)});
}

void LogisticRegression::visit_fitted(const std::function<void(const char*, Tensor&)>& visit) {
  visit("classes_", classes_);
  visit("coef_", coef_);
  visit("intercept_", intercept_);
  visit("n_iter_", n_iter_);
}

void LogisticRegression::check_fitted_state() const {
  SOMA_CHECK(classes_.dtype() == kInt64 && classes_.dim() == 1 && classes_.size(0) >= 2,
             "LogisticRegression: classes_ must be int64 [n_classes] with at least 2 classes");
  int64_t k = classes_.size(0), rows = k == 2 ? 1 : k;
  SOMA_CHECK(coef_.dtype() == kFloat64 && coef_.shape() == Shape({rows, n_features_in_}),
             "LogisticRegression: coef_ must be float64 [{}, {}]", rows, n_features_in_);
  SOMA_CHECK(intercept_.dtype() == kFloat64 && intercept_.shape() == Shape({rows}),
             "LogisticRegression: intercept_ must be float64 [{}]", rows);
  SOMA_CHECK(n_iter_.dtype() == kInt64 && n_iter_.dim() == 1, "LogisticRegression: n_iter_ must be int64 [1 or n_classes]");
  for (const Tensor* t : {&coef_, &intercept_})
    for (double v : t->to_vector<double>()) SOMA_CHECK(std::isfinite(v), "LogisticRegression: coef_ and intercept_ must be finite");
}

// 'ovr' or 'multinomial' for k classes, as scikit-learn's _check_multi_class.
bool LogisticRegression::multinomial(int64_t n_classes) const {
  const std::string& m = options_.multi_class;
  if (m == "auto") return n_classes > 2 && options_.solver != "newton-cholesky";
  return m == "multinomial";
}

LogisticRegression& LogisticRegression::fit(const Tensor& X_in, const Tensor& y) {
  const char* who = "LogisticRegression.fit";
  const LogisticRegressionOptions& o = options_;
  std::string penalty = is_none(o.penalty) ? "none" : std::get<std::string>(o.penalty);
  SOMA_CHECK(o.solver != "liblinear",
             "{}: solver 'liblinear' is not available; use 'lbfgs' (the same objective, with the intercept not "
             "penalized)", who);
  SOMA_CHECK(penalty == "l2" || penalty == "none" || o.solver == "saga",
             "{}: solver '{}' supports only 'l2' or None penalties, got penalty '{}'; use solver 'saga'", who,
             o.solver, penalty);
  double l1_ratio = penalty == "l1" ? 1.0 : penalty == "elasticnet" ? o.l1_ratio.value_or(-1.0) : 0.0;
  SOMA_CHECK(l1_ratio >= 0, "{}: penalty 'elasticnet' needs l1_ratio, a float in [0, 1]; got None", who);
  SOMA_CHECK(!o.dual, "{}: dual=True is only for solver 'liblinear' with penalty 'l2'; set dual=False", who);
  SOMA_CHECK(!(o.multi_class == "multinomial" && o.solver == "newton-cholesky"),
             "{}: solver 'newton-cholesky' does not support a multinomial backend", who);

  Tensor X = detail::check_matrix(X_in, who);
  int64_t n = X.size(0), d = X.size(1);
  detail::EncodedLabels labels = detail::encode_labels(y, n, who);
  int64_t k = labels.classes.size(0);
  bool balanced = !is_none(o.class_weight);
  int64_t stride = d + (o.fit_intercept ? 1 : 0);
  // The penalty (1/C) ((1 - l1_ratio)/2 ||W||² + l1_ratio ||W||_1), on the loss summed over samples.
  double l2 = penalty == "none" ? 0.0 : (1.0 - l1_ratio) / o.C, l1 = penalty == "none" ? 0.0 : l1_ratio / o.C;
  auto minimize = [&](PenalizedLogLoss& loss, std::vector<double>& w) -> int64_t {
    if (l1 > 0) return minimize_proximal(loss, w, l1, d, stride, o.max_iter, o.tol);
    return detail::minimize_lbfgs(std::ref(loss), w, {.max_iter = o.max_iter, .gtol = o.tol}).iterations;
  };
  bool softmax = multinomial(k);
  // Outputs fitted: scikit-learn keeps one row for two classes (the second class's).
  int64_t rows = k == 2 ? 1 : k;
  bool warm = o.warm_start && fitted() && n_features_in_ == d && coef_.shape() == Shape({rows, d}) &&
              classes_.to_vector<int64_t>() == labels.classes.to_vector<int64_t>();
  std::vector<double> coef(rows * d, 0.0), intercept(rows, 0.0);
  if (warm) coef = coef_.to_vector<double>(), intercept = intercept_.to_vector<double>();
  std::vector<int64_t> iterations;

  if (softmax) {
    PenalizedLogLoss loss(X, labels.codes, class_weights(labels.codes, k, balanced), k, o.fit_intercept, l2);
    std::vector<double> w(loss.size(), 0.0);
    // A warm start from two classes' single row w: rows -w and w, as scikit-learn.
    for (int64_t c = 0; warm && c < k; ++c) {
      double sign = k == 2 && c == 0 ? -1.0 : 1.0;
      int64_t from = k == 2 ? 0 : c;
      for (int64_t j = 0; j < d; ++j) w[c * stride + j] = sign * coef[from * d + j];
      if (o.fit_intercept) w[c * stride + d] = sign * intercept[from];
    }
    iterations.push_back(minimize(loss, w));
    // Two classes: the second class's row, as scikit-learn.
    for (int64_t c = k - rows; c < k; ++c) {
      int64_t out = c - (k - rows);
      std::copy_n(&w[c * stride], d, &coef[out * d]);
      intercept[out] = o.fit_intercept ? w[c * stride + d] : 0.0;
    }
  } else {
    // One class against the rest, for each class (only the second one for two classes).
    for (int64_t out = 0; out < rows; ++out) {
      int64_t positive = k == 2 ? 1 : out;
      std::vector<int64_t> target(n);
      for (int64_t i = 0; i < n; ++i) target[i] = labels.codes[i] == positive ? 1 : 0;
      PenalizedLogLoss loss(X, target, class_weights(target, 2, balanced), 1, o.fit_intercept, l2);
      std::vector<double> w(loss.size(), 0.0);
      std::copy_n(&coef[out * d], d, w.begin());
      if (o.fit_intercept) w[d] = intercept[out];
      iterations.push_back(minimize(loss, w));
      std::copy_n(w.begin(), d, &coef[out * d]);
      intercept[out] = o.fit_intercept ? w[d] : 0.0;
    }
    // scikit-learn reports one count per class for 'ovr', except for two classes.
  }
  classes_ = labels.classes;
  coef_ = from_vector(coef, {rows, d});
  intercept_ = from_vector(intercept, {rows});
  if (!softmax && k > 2) n_iter_ = from_vector(iterations, {static_cast<int64_t>(iterations.size())});
  else n_iter_ = from_vector(std::vector<int64_t>{iterations[0]}, {1});
  n_features_in_ = d;
  return *this;
}

Tensor LogisticRegression::scores(const Tensor& X_in, const char* method) const {
  check_fitted(X_in, method);
  Tensor X = detail::check_matrix(X_in, std::string("LogisticRegression.") + method);
  int64_t n = X.size(0), d = X.size(1), rows = coef_.size(0);
  Tensor out = empty({n, rows}, kFloat64);
  double* o = out.data<double>();
  const double* b = intercept_.data<double>();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t c = 0; c < rows; ++c) o[i * rows + c] = b[c];
  // One row of coefficients (two classes): a matrix-vector product; OpenBLAS's GEMM with one
  // output column is several times slower.
  if (rows == 1)
    cblas_dgemv(CblasRowMajor, CblasNoTrans, static_cast<int>(n), static_cast<int>(d), 1.0, X.data<double>(),
                static_cast<int>(d), coef_.data<double>(), 1, 1.0, o, 1);
  else
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(n), static_cast<int>(rows),
                static_cast<int>(d), 1.0, X.data<double>(), static_cast<int>(d), coef_.data<double>(),
                static_cast<int>(d), 1.0, o, static_cast<int>(rows));
  return out;
}

Tensor LogisticRegression::decision_function(const Tensor& X) const {
  Tensor s = scores(X, "decision_function");
  return s.size(1) == 1 ? s.reshape({s.size(0)}) : s;
}

Tensor LogisticRegression::predict(const Tensor& X) const {
  Tensor s = scores(X, "predict");
  int64_t n = s.size(0), rows = s.size(1);
  const double* p = s.data<double>();
  std::vector<int64_t> codes(n);
  for (int64_t i = 0; i < n; ++i)
    codes[i] = rows == 1 ? (p[i] > 0 ? 1 : 0) : std::max_element(p + i * rows, p + (i + 1) * rows) - (p + i * rows);
  return detail::decode_labels(classes_, codes);
}

Tensor LogisticRegression::predict_log_proba(const Tensor& X) const { return predict_proba(X).log(); }

Tensor LogisticRegression::predict_proba(const Tensor& X) const {
  Tensor s = scores(X, "predict_proba");
  int64_t n = s.size(0), rows = s.size(1), k = classes_.size(0);
  const double* z = s.data<double>();
  Tensor out = empty({n, k}, kFloat64);
  double* p = out.data<double>();
  bool softmax = multinomial(k);
  for (int64_t i = 0; i < n; ++i) {
    double* pi = p + i * k;
    if (rows == 1) {
      // Two classes: sigmoid for 'ovr'; scikit-learn's softmax of [-z, z] for 'multinomial'.
      double q = sigmoid(softmax ? 2 * z[i] : z[i]);
      pi[0] = 1 - q, pi[1] = q;
    } else if (softmax) {
      const double* zi = z + i * k;
      double top = *std::max_element(zi, zi + k), sum = 0;
      for (int64_t c = 0; c < k; ++c) sum += pi[c] = std::exp(zi[c] - top);
      for (int64_t c = 0; c < k; ++c) pi[c] /= sum;
    } else {  // one-vs-rest: each class's sigmoid, normalized
      double sum = 0;
      for (int64_t c = 0; c < k; ++c) sum += pi[c] = sigmoid(z[i * k + c]);
      for (int64_t c = 0; c < k; ++c) pi[c] /= sum;
    }
  }
  return out;
}

}  // namespace soma::ml
