// HistGradientBoostingClassifier and HistGradientBoostingRegressor (see
// soma/ml/gradient_boosting.h): the boosting loop, losses and early stopping.
#include "soma/ml/gradient_boosting.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "hist_booster.h"
#include "soma/creation.h"
#include "soma/error.h"
#include "validation.h"

namespace soma::ml {
namespace {

enum class Loss { SquaredError, Binary, Multinomial };

// What the boosting loop fits: targets (codes for classifiers), sample weights, the loss.
struct Problem {
  Loss loss;
  int64_t k;                   // trees per iteration
  std::vector<double> target;  // [n]
  std::vector<double> weight;  // [n]
};

struct Fitted {
  BoostedTrees trees;
  int64_t n_iter = 0;
  std::vector<double> train_score, validation_score;
};

// The raw prediction of a model without trees: the link of the (weighted) mean target.
std::vector<double> baseline(const Problem& p, const std::vector<int64_t>& rows) {
  double total = 0;
  std::vector<double> mean(p.loss == Loss::Multinomial ? p.k : 1, 0.0);
  for (int64_t i : rows) {
    total += p.weight[i];
    if (p.loss == Loss::Multinomial) mean[static_cast<int64_t>(p.target[i])] += p.weight[i];
    else mean[0] += p.weight[i] * p.target[i];
  }
  for (double& m : mean) m /= total;
  if (p.loss == Loss::SquaredError) return mean;
  const double eps = std::numeric_limits<double>::epsilon();
  for (double& m : mean) m = std::clamp(m, eps, 1 - eps);
  if (p.loss == Loss::Binary) return {std::log(mean[0] / (1 - mean[0]))};
  // Symmetric multinomial logit: log p_k minus their mean.
  double mean_log = 0;
  for (double m : mean) mean_log += std::log(m) / static_cast<double>(p.k);
  for (double& m : mean) m = std::log(m) - mean_log;
  return mean;
}

// Softmax of a row of k raw scores into p.
void softmax(const double* raw, int64_t k, double* p) {
  double top = *std::max_element(raw, raw + k), sum = 0;
  for (int64_t c = 0; c < k; ++c) sum += p[c] = std::exp(raw[c] - top);
  for (int64_t c = 0; c < k; ++c) p[c] /= sum;
}

// The weighted mean loss of raw [rows, k] (half squared error, binary or multinomial log loss).
double mean_loss(const Problem& p, const std::vector<int64_t>& rows, const std::vector<double>& raw) {
  double total = 0, weights = 0;
  for (size_t r = 0; r < rows.size(); ++r) {
    int64_t i = rows[r];
    const double* s = raw.data() + r * p.k;
    double loss;
    if (p.loss == Loss::SquaredError) {
      loss = 0.5 * (p.target[i] - s[0]) * (p.target[i] - s[0]);
    } else if (p.loss == Loss::Binary) {
      // log(1 + e^s) - y s, computed without overflow.
      loss = (s[0] > 0 ? s[0] + std::log1p(std::exp(-s[0])) : std::log1p(std::exp(s[0]))) - p.target[i] * s[0];
    } else {
      double top = *std::max_element(s, s + p.k), sum = 0;
      for (int64_t c = 0; c < p.k; ++c) sum += std::exp(s[c] - top);
      loss = top + std::log(sum) - s[static_cast<int64_t>(p.target[i])];
    }
    total += p.weight[i] * loss;
    weights += p.weight[i];
  }
  return total / weights;
}

// Gradients and hessians [k][rows] of the loss at raw [rows, k], rounded to float32 as
// scikit-learn stores them.
void gradients(const Problem& p, const std::vector<int64_t>& rows, const std::vector<double>& raw,
               std::vector<float>& g, std::vector<float>& h) {
  int64_t n = static_cast<int64_t>(rows.size()), k = p.k;
#pragma omp parallel for schedule(static) if (n > 5000)
  for (int64_t r = 0; r < n; ++r) {
    int64_t i = rows[r];
    double w = p.weight[i];
    const double* s = raw.data() + r * k;
    if (p.loss == Loss::SquaredError) {
      g[r] = static_cast<float>(w * (s[0] - p.target[i]));
    } else if (p.loss == Loss::Binary) {
      double prob = 1 / (1 + std::exp(-s[0]));
      g[r] = static_cast<float>(w * (prob - p.target[i]));
      h[r] = static_cast<float>(w * prob * (1 - prob));
    } else {
      double prob[256];
      softmax(s, k, prob);
      for (int64_t c = 0; c < k; ++c) {
        g[c * n + r] = static_cast<float>(w * (prob[c] - (p.target[i] == static_cast<double>(c) ? 1.0 : 0.0)));
        h[c * n + r] = static_cast<float>(w * prob[c] * (1 - prob[c]));
      }
    }
  }
}

// scikit-learn's rule: stop when none of the last n_iter_no_change scores beats the one
// before them by more than tol.
bool should_stop(const std::vector<double>& scores, int64_t n_iter_no_change, double tol) {
  int64_t n = static_cast<int64_t>(scores.size());
  if (n <= n_iter_no_change) return false;
  double reference = scores[n - n_iter_no_change - 1] + tol;
  for (int64_t i = n - n_iter_no_change; i < n; ++i)
    if (scores[i] > reference) return false;
  return true;
}

// Training and validation rows: a shuffled split (stratified by class for classifiers).
void split_rows(const Problem& p, double fraction, uint64_t seed, std::vector<int64_t>& train,
                std::vector<int64_t>& validation) {
  int64_t n = static_cast<int64_t>(p.target.size());
  std::mt19937_64 rng(seed);
  std::vector<std::vector<int64_t>> groups(p.loss == Loss::SquaredError ? 1 : std::max<int64_t>(p.k, 2));
  for (int64_t i = 0; i < n; ++i)
    groups[p.loss == Loss::SquaredError ? 0 : static_cast<int64_t>(p.target[i])].push_back(i);
  for (auto& group : groups) {
    std::shuffle(group.begin(), group.end(), rng);
    auto held = static_cast<size_t>(std::ceil(fraction * static_cast<double>(group.size())));
    validation.insert(validation.end(), group.begin(), group.begin() + held);
    train.insert(train.end(), group.begin() + held, group.end());
  }
  std::sort(train.begin(), train.end());
  std::sort(validation.begin(), validation.end());
}

Fitted boost(const Tensor& X, const Problem& p, const HistGradientBoostingOptions& o, std::string_view who) {
  int64_t n = X.size(0), d = X.size(1), k = p.k;
  const double* x = X.data<double>();
  bool early = std::holds_alternative<std::string>(o.early_stopping) ? n > 10000 : std::get<bool>(o.early_stopping);
  std::vector<int64_t> train, validation;
  if (early) {
    split_rows(p, o.validation_fraction, detail::resolve_seed(o.random_state), train, validation);
    SOMA_CHECK(!train.empty() && !validation.empty(),
               "{}.fit: too few samples ({}) to hold out validation_fraction={} for early stopping", who, n,
               o.validation_fraction);
  } else {
    train.resize(n);
    std::iota(train.begin(), train.end(), 0);
  }
  detail::BinnedData binned = detail::bin_features(x, d, train, static_cast<int>(o.max_bins));
  // The validation rows, gathered for tree predictions.
  std::vector<double> x_validation(validation.size() * d);
  for (size_t r = 0; r < validation.size(); ++r)
    std::copy(x + validation[r] * d, x + (validation[r] + 1) * d, x_validation.begin() + r * d);

  std::vector<double> base = baseline(p, train);
  int64_t nt = static_cast<int64_t>(train.size()), nv = static_cast<int64_t>(validation.size());
  std::vector<double> raw(nt * k), raw_validation(nv * k);
  for (int64_t i = 0; i < nt; ++i) std::copy(base.begin(), base.end(), raw.begin() + i * k);
  for (int64_t i = 0; i < nv; ++i) std::copy(base.begin(), base.end(), raw_validation.begin() + i * k);
  bool constant_hessian = p.loss == Loss::SquaredError;
  std::vector<float> g(nt * k), h(constant_hessian ? 0 : nt * k);
  detail::GrowerOptions grower{o.max_leaf_nodes, o.max_depth, o.min_samples_leaf, o.l2_regularization,
                               o.learning_rate};
  detail::TreeArrays trees;
  Fitted out;
  auto record_scores = [&] {
    out.train_score.push_back(-mean_loss(p, train, raw));
    if (early) out.validation_score.push_back(-mean_loss(p, validation, raw_validation));
  };
  if (early) record_scores();
  for (int64_t iteration = 0; iteration < o.max_iter; ++iteration) {
    gradients(p, train, raw, g, h);
    for (int64_t c = 0; c < k; ++c) {
      detail::grow_tree(binned, g.data() + c * nt, constant_hessian ? nullptr : h.data() + c * nt, grower, trees,
                        raw.data() + c, k);
      int64_t t = static_cast<int64_t>(trees.offsets.size()) - 2;
      if (early) detail::add_tree_predictions(trees, t, x_validation.data(), nv, d, raw_validation.data() + c, k);
    }
    out.n_iter = iteration + 1;
    if (early) {
      record_scores();
      if (should_stop(out.validation_score, o.n_iter_no_change, o.tol)) break;
    }
  }
  if (!early) record_scores();
  out.trees = detail::to_tensors(trees, base);
  return out;
}

void visit_common(ParamVisitor& v, HistGradientBoostingOptions& o, std::vector<std::string> losses, bool classifier) {
  if (classifier) v.visit("class_weight", &o.class_weight, {.none = true, .options = {"balanced"}});
  v.visit("early_stopping", &o.early_stopping, {.boolean = true, .options = {"auto"}});
  v.visit("l2_regularization", &o.l2_regularization, real_in(at_least(0)));
  v.visit("learning_rate", &o.learning_rate, real_in(greater_than(0)));
  v.visit("loss", &o.loss, one_of(std::move(losses)));
  v.visit("max_bins", &o.max_bins, int_in(between(2, 255)));
  v.visit("max_depth", &o.max_depth, int_or_none(at_least(1)));
  v.visit("max_iter", &o.max_iter, int_in(at_least(1)));
  v.visit("max_leaf_nodes", &o.max_leaf_nodes, int_or_none(at_least(2)));
  v.visit("min_samples_leaf", &o.min_samples_leaf, int_in(at_least(1)));
  v.visit("n_iter_no_change", &o.n_iter_no_change, int_in(at_least(1)));
  v.visit("random_state", &o.random_state, int_or_none(at_least(0)));
  v.visit("scoring", &o.scoring, one_of({"loss"}));
  v.visit("tol", &o.tol, real_in(at_least(0)));
  v.visit("validation_fraction", &o.validation_fraction, real_in(Interval{0, 1, true, true}));
  v.visit("verbose", &o.verbose, int_in(at_least(0)));
  v.visit("warm_start", &o.warm_start, boolean());
}

void visit_trees(const std::function<void(const char*, Tensor&)>& visit, BoostedTrees& t) {
  visit("baseline_prediction_", t.baseline_prediction_);
  visit("tree_offsets_", t.tree_offsets_);
  visit("node_feature_", t.node_feature_);
  visit("node_threshold_", t.node_threshold_);
  visit("node_left_", t.node_left_);
  visit("node_right_", t.node_right_);
  visit("node_value_", t.node_value_);
  visit("node_missing_left_", t.node_missing_left_);
}

}  // namespace

// ---- regressor -------------------------------------------------------------------------------------

HistGradientBoostingRegressor::HistGradientBoostingRegressor(HistGradientBoostingOptions options)
    : options_(std::move(options)) {
  if (options_.loss.empty()) options_.loss = "squared_error";
}

void HistGradientBoostingRegressor::visit_params(ParamVisitor& v) {
  visit_common(v, options_, {"squared_error"}, false);
}

void HistGradientBoostingRegressor::visit_fitted(const std::function<void(const char*, Tensor&)>& visit) {
  visit_trees(visit, trees_);
  visit("train_score_", train_score_);
  visit("validation_score_", validation_score_);
}

void HistGradientBoostingRegressor::check_fitted_state() const {
  detail::check_boosted_trees(trees_, n_features_in_, 1, name());
}

void HistGradientBoostingRegressor::load_fitted_state(const StateDict& state) {
  Regressor::load_fitted_state(state);
  n_iter_ = trees_.tree_offsets_.size(0) - 1;
}

HistGradientBoostingRegressor& HistGradientBoostingRegressor::fit(const Tensor& X_in, const Tensor& y) {
  Tensor X = detail::check_matrix(X_in, "HistGradientBoostingRegressor.fit", true);
  int64_t n = X.size(0);
  Tensor target = detail::check_targets(y, n, "HistGradientBoostingRegressor.fit");
  Problem p{Loss::SquaredError, 1, target.to_vector<double>(), std::vector<double>(n, 1.0)};
  Fitted f = boost(X, p, options_, name());
  trees_ = f.trees;
  n_iter_ = f.n_iter;
  train_score_ = from_vector(f.train_score);
  validation_score_ = from_vector(f.validation_score);
  n_features_in_ = X.size(1);
  return *this;
}

Tensor HistGradientBoostingRegressor::predict(const Tensor& X_in) const {
  check_fitted(X_in, "predict");
  Tensor X = detail::check_matrix(X_in, "HistGradientBoostingRegressor.predict", true);
  return detail::predict_raw(trees_, X).reshape({X.size(0)});
}

// ---- classifier ------------------------------------------------------------------------------------

HistGradientBoostingClassifier::HistGradientBoostingClassifier(HistGradientBoostingOptions options)
    : options_(std::move(options)) {
  if (options_.loss.empty()) options_.loss = "log_loss";
}

void HistGradientBoostingClassifier::visit_params(ParamVisitor& v) { visit_common(v, options_, {"log_loss"}, true); }

void HistGradientBoostingClassifier::visit_fitted(const std::function<void(const char*, Tensor&)>& visit) {
  visit("classes_", classes_);
  visit_trees(visit, trees_);
  visit("train_score_", train_score_);
  visit("validation_score_", validation_score_);
}

void HistGradientBoostingClassifier::check_fitted_state() const {
  SOMA_CHECK(classes_.dtype() == kInt64 && classes_.dim() == 1 && classes_.size(0) >= 2,
             "HistGradientBoostingClassifier: classes_ must be int64 [n_classes >= 2]");
  int64_t k = classes_.size(0) == 2 ? 1 : classes_.size(0);
  detail::check_boosted_trees(trees_, n_features_in_, k, name());
}

void HistGradientBoostingClassifier::load_fitted_state(const StateDict& state) {
  Classifier::load_fitted_state(state);
  n_trees_per_iteration_ = classes_.size(0) == 2 ? 1 : classes_.size(0);
  n_iter_ = (trees_.tree_offsets_.size(0) - 1) / n_trees_per_iteration_;
}

HistGradientBoostingClassifier& HistGradientBoostingClassifier::fit(const Tensor& X_in, const Tensor& y) {
  Tensor X = detail::check_matrix(X_in, "HistGradientBoostingClassifier.fit", true);
  int64_t n = X.size(0);
  detail::EncodedLabels labels = detail::encode_labels(y, n, "HistGradientBoostingClassifier.fit");
  int64_t classes = labels.classes.size(0);
  SOMA_CHECK(classes <= 256, "HistGradientBoostingClassifier.fit: at most 256 classes, got {}", classes);
  Problem p{classes == 2 ? Loss::Binary : Loss::Multinomial, classes == 2 ? 1 : classes,
            std::vector<double>(labels.codes.begin(), labels.codes.end()), std::vector<double>(n, 1.0)};
  if (std::holds_alternative<std::string>(options_.class_weight)) {  // 'balanced': n / (k * count)
    std::vector<double> count(classes, 0);
    for (int64_t c : labels.codes) count[c] += 1;
    for (int64_t i = 0; i < n; ++i)
      p.weight[i] = static_cast<double>(n) / (static_cast<double>(classes) * count[labels.codes[i]]);
  }
  Fitted f = boost(X, p, options_, name());
  classes_ = labels.classes;
  trees_ = f.trees;
  n_iter_ = f.n_iter;
  n_trees_per_iteration_ = p.k;
  train_score_ = from_vector(f.train_score);
  validation_score_ = from_vector(f.validation_score);
  n_features_in_ = X.size(1);
  return *this;
}

Tensor HistGradientBoostingClassifier::raw_predict(const Tensor& X_in, const char* method) const {
  check_fitted(X_in, method);
  Tensor X = detail::check_matrix(X_in, std::string(name()) + "." + method, true);
  return detail::predict_raw(trees_, X);
}

Tensor HistGradientBoostingClassifier::decision_function(const Tensor& X) const {
  Tensor raw = raw_predict(X, "decision_function");
  return n_trees_per_iteration_ == 1 ? raw.reshape({raw.size(0)}) : raw;
}

Tensor HistGradientBoostingClassifier::predict_proba(const Tensor& X) const {
  Tensor raw = raw_predict(X, "predict_proba");
  int64_t n = raw.size(0), k = classes_.size(0);
  Tensor out = empty({n, k}, kFloat64);
  const double* r = raw.data<double>();
  double* p = out.data<double>();
  for (int64_t i = 0; i < n; ++i) {
    if (n_trees_per_iteration_ == 1) {
      p[i * 2 + 1] = 1 / (1 + std::exp(-r[i]));
      p[i * 2] = 1 - p[i * 2 + 1];
    } else {
      softmax(r + i * k, k, p + i * k);
    }
  }
  return out;
}

Tensor HistGradientBoostingClassifier::predict(const Tensor& X) const {
  Tensor proba = predict_proba(X);
  int64_t n = proba.size(0), k = proba.size(1);
  const double* p = proba.data<double>();
  std::vector<int64_t> codes(n);
  for (int64_t i = 0; i < n; ++i) codes[i] = std::max_element(p + i * k, p + (i + 1) * k) - (p + i * k);
  return detail::decode_labels(classes_, codes);
}

}  // namespace soma::ml
