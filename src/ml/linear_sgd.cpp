// Linear models by stochastic gradient descent (see soma/ml/linear.h).
#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

#include "soma/creation.h"
#include "soma/error.h"
#include "soma/ml/linear.h"
#include "validation.h"

namespace soma::ml {
namespace {

enum class Loss { kHinge, kLog, kModifiedHuber, kSquaredHinge, kPerceptron, kSquared, kHuber, kEpsilon, kSquaredEpsilon };
enum class Rate { kConstant, kOptimal, kInvscaling, kAdaptive };

const std::vector<std::string> kClassifierLosses{"hinge", "log_loss", "log", "modified_huber", "squared_hinge",
                                                 "perceptron", "squared_error", "huber", "epsilon_insensitive",
                                                 "squared_epsilon_insensitive"};
const std::vector<std::string> kRegressorLosses{"squared_error", "huber", "epsilon_insensitive",
                                                "squared_epsilon_insensitive"};

Loss parse_loss(const std::string& name) {
  if (name == "hinge") return Loss::kHinge;
  if (name == "log_loss" || name == "log") return Loss::kLog;
  if (name == "modified_huber") return Loss::kModifiedHuber;
  if (name == "squared_hinge") return Loss::kSquaredHinge;
  if (name == "perceptron") return Loss::kPerceptron;
  if (name == "huber") return Loss::kHuber;
  if (name == "epsilon_insensitive") return Loss::kEpsilon;
  if (name == "squared_epsilon_insensitive") return Loss::kSquaredEpsilon;
  return Loss::kSquared;
}

// The loss of prediction p for target y (+1/-1 for the classification losses).
double loss_value(Loss loss, double p, double y, double epsilon) {
  double z = p * y;
  switch (loss) {
    case Loss::kHinge: return std::max(0.0, 1 - z);
    case Loss::kPerceptron: return std::max(0.0, -z);
    case Loss::kSquaredHinge: return z < 1 ? (1 - z) * (1 - z) : 0.0;
    case Loss::kModifiedHuber: return z >= 1 ? 0.0 : z >= -1 ? (1 - z) * (1 - z) : -4 * z;
    case Loss::kLog: return z > 18 ? std::exp(-z) : z < -18 ? -z : std::log1p(std::exp(-z));
    case Loss::kSquared: return 0.5 * (p - y) * (p - y);
    case Loss::kHuber: {
      double r = std::fabs(p - y);
      return r <= epsilon ? 0.5 * r * r : epsilon * r - 0.5 * epsilon * epsilon;
    }
    case Loss::kEpsilon: return std::max(0.0, std::fabs(y - p) - epsilon);
    case Loss::kSquaredEpsilon: {
      double r = std::max(0.0, std::fabs(y - p) - epsilon);
      return r * r;
    }
  }
  return 0;
}

// d loss / d p, clipped as scikit-learn clips it (to +-1e12).
double loss_derivative(Loss loss, double p, double y, double epsilon) {
  double z = p * y, g = 0;
  switch (loss) {
    case Loss::kHinge: g = z <= 1 ? -y : 0.0; break;
    case Loss::kPerceptron: g = z <= 0 ? -y : 0.0; break;
    case Loss::kSquaredHinge: g = z < 1 ? -2 * y * (1 - z) : 0.0; break;
    case Loss::kModifiedHuber: g = z >= 1 ? 0.0 : z >= -1 ? -2 * (1 - z) * y : -4 * y; break;
    case Loss::kLog: g = z > 18 ? -y * std::exp(-z) : z < -18 ? -y : -y / (std::exp(z) + 1); break;
    case Loss::kSquared: g = p - y; break;
    case Loss::kHuber: g = std::fabs(p - y) <= epsilon ? p - y : std::copysign(epsilon, p - y); break;
    case Loss::kEpsilon: g = y - p > epsilon ? -1.0 : p - y > epsilon ? 1.0 : 0.0; break;
    case Loss::kSquaredEpsilon: {
      double r = y - p;
      g = r > epsilon ? -2 * (r - epsilon) : r < -epsilon ? 2 * (-r - epsilon) : 0.0;
      break;
    }
  }
  return std::clamp(g, -1e12, 1e12);
}

// The fixed settings of one run of plain SGD.
struct SgdSettings {
  Loss loss;
  Rate rate;
  double alpha, l1_ratio, epsilon, eta0, power_t;
  bool l1, l2, fit_intercept, shuffle;
  int64_t max_iter, n_iter_no_change;
  double tol;  // -inf: no stopping rule
};

SgdSettings settings_of(const SGDOptions& o, std::string_view who) {
  SOMA_CHECK(!o.early_stopping, "{}: early_stopping=True is not available; use early_stopping=False", who);
  SOMA_CHECK(std::holds_alternative<bool>(o.average) && !std::get<bool>(o.average),
             "{}: average is not available; use average=False", who);
  std::string penalty = std::holds_alternative<NoneType>(o.penalty) ? "none" : std::get<std::string>(o.penalty);
  SgdSettings s{};
  s.loss = parse_loss(o.loss);
  s.rate = o.learning_rate == "constant"     ? Rate::kConstant
           : o.learning_rate == "optimal"    ? Rate::kOptimal
           : o.learning_rate == "invscaling" ? Rate::kInvscaling
                                             : Rate::kAdaptive;
  SOMA_CHECK(s.rate == Rate::kOptimal || o.eta0 > 0, "{}: eta0 must be > 0 with learning_rate '{}'", who,
             o.learning_rate);
  SOMA_CHECK(s.rate != Rate::kOptimal || o.alpha > 0, "{}: alpha must be > 0 with learning_rate 'optimal'", who);
  s.alpha = o.alpha;
  s.l1 = penalty == "l1" || penalty == "elasticnet";
  s.l2 = penalty == "l2" || penalty == "elasticnet";
  s.l1_ratio = penalty == "l1" ? 1.0 : penalty == "l2" ? 0.0 : o.l1_ratio;
  s.epsilon = o.epsilon;
  s.eta0 = o.eta0;
  s.power_t = o.power_t;
  s.fit_intercept = o.fit_intercept;
  s.shuffle = o.shuffle;
  s.max_iter = o.max_iter;
  s.n_iter_no_change = o.n_iter_no_change;
  s.tol = o.tol ? *o.tol : -std::numeric_limits<double>::infinity();
  return s;
}

struct SgdRun {
  std::vector<double> w;
  double intercept = 0;
  int64_t epochs = 0;
  int64_t overflow_epoch = 0;  // 1-based epoch where the weights stopped being finite; 0 if never
};

// scikit-learn's error for a run whose weights over- or underflowed (said after the parallel
// runs, since an exception must not leave an OpenMP loop).
void check_overflow(const SgdRun& run, std::string_view who) {
  SOMA_CHECK(run.overflow_epoch == 0,
             "{}: floating-point under-/overflow occurred at epoch #{}; scaling the input data (e.g. with "
             "StandardScaler) or a smaller eta0 / larger alpha might help", who, run.overflow_epoch);
}

// scikit-learn's _plain_sgd on the rows of X [n, d] with targets y [n]; a sample's gradient is
// weighted by weight_positive when y > 0, else weight_negative. w is kept as w_scaled * scale,
// so that the l2 shrinkage of every step costs one multiplication.
SgdRun plain_sgd(const double* X, int64_t n, int64_t d, const std::vector<double>& y, double weight_positive,
                 double weight_negative, const SgdSettings& s, uint64_t seed, SgdRun start) {
  std::vector<double> w = std::move(start.w), q(s.l1 ? d : 0, 0.0);
  double intercept = start.intercept, scale = 1.0, eta = s.eta0, t = 1.0, u = 0.0;
  double optimal_t0 = 0;
  if (s.rate == Rate::kOptimal) {
    // t0 such that the first step is about 1 / sqrt(alpha) in size (Bottou's heuristic).
    double typical_w = std::sqrt(1.0 / std::sqrt(s.alpha));
    double initial_eta = typical_w / std::max(1.0, loss_derivative(s.loss, -typical_w, 1.0, s.epsilon));
    optimal_t0 = 1.0 / (initial_eta * s.alpha);
  }
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(seed);
  double best_loss = std::numeric_limits<double>::infinity();
  int64_t no_improvement = 0, epoch = 0;
  for (; epoch < s.max_iter; ++epoch) {
    if (s.shuffle) std::shuffle(order.begin(), order.end(), rng);
    double loss_sum = 0;
    for (int64_t i : order) {
      const double* x = X + i * d;
      double p = 0;
#pragma omp simd reduction(+ : p)
      for (int64_t j = 0; j < d; ++j) p += x[j] * w[j];
      p = p * scale + intercept;
      if (s.rate == Rate::kOptimal) eta = 1.0 / (s.alpha * (optimal_t0 + t - 1));
      else if (s.rate == Rate::kInvscaling) eta = s.eta0 / std::pow(t, s.power_t);
      loss_sum += loss_value(s.loss, p, y[i], s.epsilon);
      double update = -eta * loss_derivative(s.loss, p, y[i], s.epsilon) * (y[i] > 0 ? weight_positive : weight_negative);
      if (s.l2) scale *= std::max(0.0, 1.0 - (1.0 - s.l1_ratio) * eta * s.alpha);
      if (update != 0) {
        if (scale == 0) {  // the shrinkage zeroed w: restart it at unit scale
          std::fill(w.begin(), w.end(), 0.0);
          scale = 1.0;
        }
        double a = update / scale;
#pragma omp simd
        for (int64_t j = 0; j < d; ++j) w[j] += a * x[j];
        if (s.fit_intercept) intercept += update;
      }
      if (s.l1) {
        // Cumulative l1 penalty (Tsuruoka et al.): pull each weight toward zero by what it has
        // not yet been charged, without crossing zero.
        u += s.l1_ratio * eta * s.alpha;
        for (int64_t j = 0; j < d; ++j) {
          double before = w[j];
          if (scale * w[j] > 0) w[j] = std::max(0.0, w[j] - (u + q[j]) / scale);
          else if (scale * w[j] < 0) w[j] = std::min(0.0, w[j] + (u - q[j]) / scale);
          q[j] += scale * (w[j] - before);
        }
      }
      t += 1;
      if (scale < 1e-9) {  // fold the scale in before it underflows
        for (double& v : w) v *= scale;
        scale = 1.0;
      }
    }
    bool finite = std::isfinite(intercept) && std::isfinite(scale) && std::isfinite(loss_sum);
    for (double v : w) finite = finite && std::isfinite(v);
    if (!finite) return {std::move(w), intercept, epoch + 1, epoch + 1};
    if (s.tol > -std::numeric_limits<double>::infinity()) {
      if (loss_sum > best_loss - s.tol * static_cast<double>(n)) ++no_improvement;
      else no_improvement = 0;
      best_loss = std::min(best_loss, loss_sum);
      if (no_improvement >= s.n_iter_no_change) {
        if (s.rate == Rate::kAdaptive && eta > 1e-6) {
          eta /= 5;
          no_improvement = 0;
        } else {
          ++epoch;
          break;
        }
      }
    }
  }
  for (double& v : w) v *= scale;
  return {std::move(w), intercept, epoch, 0};
}

// A seed for class c's run from the estimator's seed (splitmix64), so runs are independent of
// the thread that does them.
uint64_t task_seed(uint64_t seed, uint64_t c) {
  uint64_t z = seed + 0x9E3779B97F4A7C15ull * (c + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

void visit_sgd_params(ParamVisitor& v, SGDOptions& o, bool classifier) {
  v.visit("loss", &o.loss, one_of(classifier ? kClassifierLosses : kRegressorLosses));
  v.visit("penalty", &o.penalty, Constraint{.none = true, .options = {"l2", "l1", "elasticnet"}});
  v.visit("alpha", &o.alpha, real_in(at_least(0)));
  v.visit("l1_ratio", &o.l1_ratio, real_in(between(0, 1)));
  v.visit("fit_intercept", &o.fit_intercept, boolean());
  v.visit("max_iter", &o.max_iter, int_in(at_least(1)));
  v.visit("tol", &o.tol, Constraint{.none = true, .real = at_least(0)});
  v.visit("shuffle", &o.shuffle, boolean());
  v.visit("verbose", &o.verbose, int_in(at_least(0)));
  v.visit("epsilon", &o.epsilon, real_in(at_least(0)));
  if (classifier) v.visit("n_jobs", &o.n_jobs, int_or_none({}));
  v.visit("random_state", &o.random_state, int_or_none(at_least(0)));
  v.visit("learning_rate", &o.learning_rate, one_of({"constant", "optimal", "invscaling", "adaptive"}));
  v.visit("eta0", &o.eta0, real_in(at_least(0)));
  v.visit("power_t", &o.power_t, real_in({}));
  v.visit("early_stopping", &o.early_stopping, boolean());
  v.visit("validation_fraction", &o.validation_fraction, real_in({0, 1, true, true}));
  v.visit("n_iter_no_change", &o.n_iter_no_change, int_in(at_least(1)));
  if (classifier) v.visit("class_weight", &o.class_weight, Constraint{.none = true, .options = {"balanced"}});
  v.visit("warm_start", &o.warm_start, boolean());
  v.visit("average", &o.average, Constraint{.boolean = true, .integer = at_least(1)});
}

double sigmoid(double z) { return z >= 0 ? 1.0 / (1.0 + std::exp(-z)) : std::exp(z) / (1.0 + std::exp(z)); }

SGDOptions perceptron_options(const PerceptronOptions& o) {
  SGDOptions s;
  s.loss = "perceptron";
  s.penalty = o.penalty, s.alpha = o.alpha, s.l1_ratio = o.l1_ratio, s.fit_intercept = o.fit_intercept;
  s.max_iter = o.max_iter, s.tol = o.tol, s.shuffle = o.shuffle, s.verbose = o.verbose, s.eta0 = o.eta0;
  s.n_jobs = o.n_jobs, s.random_state = o.random_state, s.learning_rate = "constant";
  s.early_stopping = o.early_stopping, s.validation_fraction = o.validation_fraction;
  s.n_iter_no_change = o.n_iter_no_change, s.class_weight = o.class_weight, s.warm_start = o.warm_start;
  return s;
}

}  // namespace

// ---- SGDClassifier ----

void SGDClassifier::visit_params(ParamVisitor& v) { visit_sgd_params(v, options_, true); }

void SGDClassifier::visit_fitted(const std::function<void(const char*, Tensor&)>& visit) {
  visit("classes_", classes_);
  visit("coef_", coef_);
  visit("intercept_", intercept_);
}

void SGDClassifier::check_fitted_state() const {
  SOMA_CHECK(classes_.dtype() == kInt64 && classes_.dim() == 1 && classes_.size(0) >= 2,
             "{}: classes_ must be int64 [n_classes] with at least 2 classes", name());
  int64_t k = classes_.size(0), rows = k == 2 ? 1 : k;
  SOMA_CHECK(coef_.dtype() == kFloat64 && coef_.shape() == Shape({rows, n_features_in_}),
             "{}: coef_ must be float64 [{}, {}]", name(), rows, n_features_in_);
  SOMA_CHECK(intercept_.dtype() == kFloat64 && intercept_.shape() == Shape({rows}),
             "{}: intercept_ must be float64 [{}]", name(), rows);
  for (const Tensor* t : {&coef_, &intercept_})
    for (double v : t->to_vector<double>()) SOMA_CHECK(std::isfinite(v), "{}: coef_ and intercept_ must be finite", name());
}

SGDClassifier& SGDClassifier::fit(const Tensor& X_in, const Tensor& y) {
  std::string who = std::string(name()) + ".fit";
  SgdSettings s = settings_of(options_, who);
  Tensor X = detail::check_matrix(X_in, who);
  int64_t n = X.size(0), d = X.size(1);
  detail::EncodedLabels labels = detail::encode_labels(y, n, who);
  int64_t k = labels.classes.size(0), rows = k == 2 ? 1 : k;
  // 'balanced': class c's samples weigh n / (k count(c)); a binary run weighs its positive class
  // by its class's weight and the rest by the negative class's (two classes) or 1 (one vs rest).
  std::vector<double> class_weight(k, 1.0);
  if (!std::holds_alternative<NoneType>(options_.class_weight)) {
    std::vector<double> count(k, 0.0);
    for (int64_t c : labels.codes) count[c] += 1;
    for (int64_t c = 0; c < k; ++c) class_weight[c] = static_cast<double>(n) / (static_cast<double>(k) * count[c]);
  }
  bool warm = options_.warm_start && fitted() && coef_.shape() == Shape({rows, d}) &&
              classes_.to_vector<int64_t>() == labels.classes.to_vector<int64_t>();
  std::vector<double> coef(rows * d, 0.0), intercept(rows, 0.0);
  if (warm) coef = coef_.to_vector<double>(), intercept = intercept_.to_vector<double>();
  uint64_t seed = detail::resolve_seed(options_.random_state);
  std::vector<int64_t> epochs(rows, 0);
  SgdRun overflow;
  // One run per class, in parallel when each is big enough to be worth a thread.
#pragma omp parallel for schedule(dynamic) if (rows > 1 && n * d >= 50000)
  for (int64_t r = 0; r < rows; ++r) {
    int64_t positive = k == 2 ? 1 : r;
    std::vector<double> target(n);
    for (int64_t i = 0; i < n; ++i) target[i] = labels.codes[i] == positive ? 1.0 : -1.0;
    SgdRun start{std::vector<double>(coef.begin() + r * d, coef.begin() + (r + 1) * d), intercept[r], 0, 0};
    SgdRun run = plain_sgd(X.data<double>(), n, d, target, class_weight[positive], k == 2 ? class_weight[0] : 1.0, s,
                           task_seed(seed, r), std::move(start));
    std::copy(run.w.begin(), run.w.end(), coef.begin() + r * d);
    intercept[r] = run.intercept;
    epochs[r] = run.epochs;
    if (run.overflow_epoch > 0) {
#pragma omp critical(soma_sgd_overflow)
      if (overflow.overflow_epoch == 0 || run.overflow_epoch < overflow.overflow_epoch) overflow = run;
    }
  }
  check_overflow(overflow, who);
  classes_ = labels.classes;
  coef_ = from_vector(coef, {rows, d});
  intercept_ = from_vector(intercept, {rows});
  n_iter_ = *std::max_element(epochs.begin(), epochs.end());
  n_features_in_ = d;
  return *this;
}

Tensor SGDClassifier::scores(const Tensor& X_in, const char* method) const {
  check_fitted(X_in, method);
  Tensor X = detail::check_matrix(X_in, std::string(name()) + "." + method);
  int64_t n = X.size(0), d = X.size(1), rows = coef_.size(0);
  Tensor out = empty({n, rows}, kFloat64);
  double* o = out.data<double>();
  const double* b = intercept_.data<double>();
  for (int64_t i = 0; i < n; ++i) std::copy(b, b + rows, o + i * rows);
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(n), static_cast<int>(rows),
              static_cast<int>(d), 1.0, X.data<double>(), static_cast<int>(d), coef_.data<double>(),
              static_cast<int>(d), 1.0, o, static_cast<int>(rows));
  return out;
}

Tensor SGDClassifier::decision_function(const Tensor& X) const {
  Tensor s = scores(X, "decision_function");
  return s.size(1) == 1 ? s.reshape({s.size(0)}) : s;
}

Tensor SGDClassifier::predict(const Tensor& X) const {
  Tensor s = scores(X, "predict");
  int64_t n = s.size(0), rows = s.size(1);
  const double* p = s.data<double>();
  std::vector<int64_t> codes(n);
  for (int64_t i = 0; i < n; ++i)
    codes[i] = rows == 1 ? (p[i] > 0 ? 1 : 0) : std::max_element(p + i * rows, p + (i + 1) * rows) - (p + i * rows);
  return detail::decode_labels(classes_, codes);
}

Tensor SGDClassifier::predict_proba(const Tensor& X) const {
  SOMA_CHECK(parse_loss(options_.loss) == Loss::kLog,
             "{}.predict_proba: probability estimates are only available for loss 'log_loss'; got loss '{}'", name(),
             options_.loss);
  Tensor s = scores(X, "predict_proba");
  int64_t n = s.size(0), rows = s.size(1), k = classes_.size(0);
  const double* z = s.data<double>();
  Tensor out = empty({n, k}, kFloat64);
  double* p = out.data<double>();
  for (int64_t i = 0; i < n; ++i) {
    double* pi = p + i * k;
    if (rows == 1) {
      pi[1] = sigmoid(z[i]);
      pi[0] = 1 - pi[1];
      continue;
    }
    double sum = 0;
    for (int64_t c = 0; c < k; ++c) sum += pi[c] = sigmoid(z[i * k + c]);
    for (int64_t c = 0; c < k; ++c) pi[c] = sum > 0 ? pi[c] / sum : 1.0 / static_cast<double>(k);
  }
  return out;
}

// ---- Perceptron ----

Perceptron::Perceptron(PerceptronOptions options) : SGDClassifier(perceptron_options(options)) {}

std::unique_ptr<Estimator> Perceptron::clone() const {
  auto copy = std::make_unique<Perceptron>();
  copy->set_params(get_params());
  return copy;
}

void Perceptron::visit_params(ParamVisitor& v) {
  SGDOptions& o = options_;
  v.visit("penalty", &o.penalty, Constraint{.none = true, .options = {"l2", "l1", "elasticnet"}});
  v.visit("alpha", &o.alpha, real_in(at_least(0)));
  v.visit("l1_ratio", &o.l1_ratio, real_in(between(0, 1)));
  v.visit("fit_intercept", &o.fit_intercept, boolean());
  v.visit("max_iter", &o.max_iter, int_in(at_least(1)));
  v.visit("tol", &o.tol, Constraint{.none = true, .real = at_least(0)});
  v.visit("shuffle", &o.shuffle, boolean());
  v.visit("verbose", &o.verbose, int_in(at_least(0)));
  v.visit("eta0", &o.eta0, real_in(greater_than(0)));
  v.visit("n_jobs", &o.n_jobs, int_or_none({}));
  v.visit("random_state", &o.random_state, int_or_none(at_least(0)));
  v.visit("early_stopping", &o.early_stopping, boolean());
  v.visit("validation_fraction", &o.validation_fraction, real_in({0, 1, true, true}));
  v.visit("n_iter_no_change", &o.n_iter_no_change, int_in(at_least(1)));
  v.visit("class_weight", &o.class_weight, Constraint{.none = true, .options = {"balanced"}});
  v.visit("warm_start", &o.warm_start, boolean());
}

// ---- SGDRegressor ----

SGDRegressor::SGDRegressor(SGDRegressorOptions o) {
  options_.loss = o.loss, options_.penalty = o.penalty, options_.alpha = o.alpha, options_.l1_ratio = o.l1_ratio;
  options_.fit_intercept = o.fit_intercept, options_.max_iter = o.max_iter, options_.tol = o.tol;
  options_.shuffle = o.shuffle, options_.verbose = o.verbose, options_.epsilon = o.epsilon;
  options_.random_state = o.random_state, options_.learning_rate = o.learning_rate, options_.eta0 = o.eta0;
  options_.power_t = o.power_t, options_.early_stopping = o.early_stopping;
  options_.validation_fraction = o.validation_fraction, options_.n_iter_no_change = o.n_iter_no_change;
  options_.warm_start = o.warm_start, options_.average = o.average;
}

void SGDRegressor::visit_params(ParamVisitor& v) { visit_sgd_params(v, options_, false); }

SGDRegressor& SGDRegressor::fit(const Tensor& X_in, const Tensor& y_in) {
  const char* who = "SGDRegressor.fit";
  SgdSettings s = settings_of(options_, who);
  Tensor X = detail::check_matrix(X_in, who);
  int64_t n = X.size(0), d = X.size(1);
  std::vector<double> y = detail::check_targets(y_in, n, who).to_vector<double>();
  SgdRun start{std::vector<double>(d, 0.0), 0.0, 0, 0};
  if (options_.warm_start && fitted() && coef_.shape() == Shape({d}))
    start = {coef_.to_vector<double>(), intercept_.item<double>(), 0, 0};
  SgdRun run = plain_sgd(X.data<double>(), n, d, y, 1.0, 1.0, s, task_seed(detail::resolve_seed(options_.random_state), 0),
                         std::move(start));
  check_overflow(run, who);
  coef_ = from_vector(run.w);
  intercept_ = scalar_tensor(run.intercept, kFloat64);
  n_iter_ = run.epochs;
  n_features_in_ = d;
  return *this;
}

}  // namespace soma::ml
