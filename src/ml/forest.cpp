// Random forests and extra trees (see soma/ml/ensemble.h).
#include <cmath>
#include <exception>

#include "soma/creation.h"
#include "soma/error.h"
#include "soma/ml/ensemble.h"
#include "soma/parallel.h"
#include "tree_builder.h"
#include "tree_settings.h"
#include "validation.h"

namespace soma::ml {
namespace {

int resolve_threads(const std::optional<int64_t>& n_jobs, std::string_view who) {
  int all = get_num_threads();
  if (!n_jobs) return all;
  SOMA_CHECK(*n_jobs != 0, "{}: n_jobs == 0 has no meaning; use None, a positive count or -1 for all threads", who);
  // As joblib: -1 is all threads, -2 all but one, ...
  int64_t threads = *n_jobs > 0 ? *n_jobs : all + 1 + *n_jobs;
  return static_cast<int>(std::clamp<int64_t>(threads, 1, max_num_threads()));
}

template <class Options>
int64_t bootstrap_size(const Options& o, int64_t n, std::string_view who) {
  SOMA_CHECK(o.bootstrap || !o.oob_score, "{}: out-of-bag estimation is only available if bootstrap=True", who);
  if (std::holds_alternative<NoneType>(o.max_samples)) return n;
  SOMA_CHECK(o.bootstrap, "{}: max_samples cannot be set if bootstrap=False; set bootstrap=True or max_samples=None",
             who);
  if (const auto* count = std::get_if<int64_t>(&o.max_samples)) {
    SOMA_CHECK(*count <= n, "{}: max_samples must be <= n_samples = {}; got {}", who, n, *count);
    return *count;
  }
  // Python's round: halves to even.
  return std::max<int64_t>(
      1, static_cast<int64_t>(std::nearbyint(std::get<double>(o.max_samples) * static_cast<double>(n))));
}

// How often each row is drawn into the bootstrap of the tree with this random_state:
// scikit-learn's RandomState(tree_seed).randint(0, n, draws), as counts.
std::vector<double> bootstrap_counts(uint32_t tree_seed, int64_t n, int64_t draws) {
  detail::NumpyRandomState random(tree_seed);
  std::vector<double> counts(n, 0.0);
  for (int64_t j = 0; j < draws; ++j) counts[random.randint(static_cast<uint64_t>(n))] += 1;
  return counts;
}

// Each tree's random_state, drawn in order from the forest's as scikit-learn does
// (randint(0, 2^31 - 1) per tree), before any tree is grown: the forest does not depend on
// the thread count.
std::vector<uint32_t> tree_seeds(const std::optional<int64_t>& random_state, int64_t n_trees) {
  detail::NumpyRandomState random(static_cast<uint32_t>(detail::resolve_seed(random_state)));
  std::vector<uint32_t> seeds(n_trees);
  for (auto& seed : seeds) seed = random.randint(0x7FFFFFFF);
  return seeds;
}

// Runs grow(t) for every tree on `threads` threads; rethrows the first error.
template <class Grow>
void for_each_tree(int64_t n_trees, int threads, Grow grow) {
  std::exception_ptr error;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
  for (int64_t t = 0; t < n_trees; ++t) {
    try {
      grow(t);
    } catch (...) {
#pragma omp critical(soma_forest_error)
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
}

template <class Options, class TreeOptions>
void copy_tree_options(const Options& o, TreeOptions& t, bool extra_trees) {
  t.criterion = o.criterion;
  t.splitter = extra_trees ? "random" : "best";
  t.max_depth = o.max_depth;
  t.min_samples_split = o.min_samples_split;
  t.min_samples_leaf = o.min_samples_leaf;
  t.min_weight_fraction_leaf = o.min_weight_fraction_leaf;
  t.max_features = o.max_features;
  t.max_leaf_nodes = o.max_leaf_nodes;
  t.min_impurity_decrease = o.min_impurity_decrease;
  t.ccp_alpha = o.ccp_alpha;
}

template <class Options>
void visit_forest_params(ParamVisitor& v, Options& o, std::vector<std::string> criteria, bool classifier) {
  v.visit("n_estimators", &o.n_estimators, int_in(at_least(1)));
  v.visit("criterion", &o.criterion, one_of(std::move(criteria)));
  v.visit("max_depth", &o.max_depth, int_or_none(at_least(1)));
  v.visit("min_samples_split", &o.min_samples_split, detail::min_samples_split_constraint());
  v.visit("min_samples_leaf", &o.min_samples_leaf, detail::min_samples_leaf_constraint());
  v.visit("min_weight_fraction_leaf", &o.min_weight_fraction_leaf, real_in(between(0, 0.5)));
  v.visit("max_features", &o.max_features, detail::max_features_constraint());
  v.visit("max_leaf_nodes", &o.max_leaf_nodes, int_or_none(at_least(2)));
  v.visit("min_impurity_decrease", &o.min_impurity_decrease, real_in(at_least(0)));
  v.visit("bootstrap", &o.bootstrap, boolean());
  v.visit("oob_score", &o.oob_score, boolean());
  v.visit("n_jobs", &o.n_jobs, int_or_none({}));
  v.visit("random_state", &o.random_state, int_or_none(between(0, 4294967295.0)));
  v.visit("verbose", &o.verbose, int_in(at_least(0)));
  if (classifier)
    v.visit("class_weight", &o.class_weight, Constraint{.none = true, .options = {"balanced", "balanced_subsample"}});
  v.visit("ccp_alpha", &o.ccp_alpha, real_in(at_least(0)));
  v.visit("max_samples", &o.max_samples,
          Constraint{.none = true, .integer = at_least(1), .real = Interval{0, 1, true, false}});
}

// Mean of the trees' importances (trees that are a single leaf left out), normalized.
template <class Tree>
Tensor mean_importances(const std::vector<Tree>& trees, int64_t d) {
  std::vector<double> sum(d, 0.0);
  for (const Tree& tree : trees) {
    if (tree.tree_.node_count() <= 1) continue;
    const double* imp = tree.feature_importances_.template data<double>();
    for (int64_t f = 0; f < d; ++f) sum[f] += imp[f];
  }
  double total = 0;
  for (double v : sum) total += v;
  if (total > 0)
    for (double& v : sum) v /= total;
  return from_vector(sum, {d});
}

// The trees' states under "estimators_.<i>.<name>" next to the forest's own.
template <class Tree>
StateDict forest_state(StateDict state, const std::vector<Tree>& trees) {
  for (size_t i = 0; i < trees.size(); ++i)
    for (auto& [key, value] : trees[i].fitted_state())
      if (key != "n_features_in_") state["estimators_." + std::to_string(i) + "." + key] = value;
  return state;
}

// Splits a saved forest state into the forest's own tensors and per-tree states.
std::vector<StateDict> split_forest_state(const StateDict& state, StateDict& own, std::string_view who,
                                          int64_t n_estimators) {
  std::map<int64_t, StateDict> trees;
  const std::string prefix = "estimators_.";
  for (const auto& [key, value] : state) {
    if (key.compare(0, prefix.size(), prefix) != 0) {
      own[key] = value;
      continue;
    }
    size_t dot = key.find('.', prefix.size());
    std::string index = key.substr(prefix.size(), dot == std::string::npos ? std::string::npos : dot - prefix.size());
    SOMA_CHECK(dot != std::string::npos && !index.empty() && index.size() <= 9 &&
                   index.find_first_not_of("0123456789") == std::string::npos,
               "{}: unexpected tensor '{}' in the saved state", who, key);
    trees[std::stoll(index)][key.substr(dot + 1)] = value;
  }
  SOMA_CHECK(
      static_cast<int64_t>(trees.size()) == n_estimators && !trees.empty() && trees.rbegin()->first == n_estimators - 1,
      "{}: the saved state must hold trees estimators_.0 to estimators_.{} (n_estimators = {}); it holds {}", who,
      n_estimators - 1, n_estimators, trees.size());
  auto n = own.find("n_features_in_");
  SOMA_CHECK(n != own.end(), "{}: the saved state has no 'n_features_in_'", who);
  std::vector<StateDict> out;
  for (auto& [i, tree] : trees) {
    tree["n_features_in_"] = n->second;
    out.push_back(std::move(tree));
  }
  return out;
}

}  // namespace

// ---- ForestClassifier ----

template <bool kExtra>
void ForestClassifier<kExtra>::visit_params(ParamVisitor& v) {
  visit_forest_params(v, options_, {"gini", "entropy", "log_loss", "gain_ratio"}, true);
}

template <bool kExtra>
void ForestClassifier<kExtra>::visit_fitted(const std::function<void(const char*, Tensor&)>& visit) {
  visit("classes_", classes_);
  visit("feature_importances_", feature_importances_);
}

template <bool kExtra>
DecisionTreeClassifier ForestClassifier<kExtra>::make_tree() const {
  DecisionTreeClassifierOptions t;
  copy_tree_options(options_, t, kExtra);
  return DecisionTreeClassifier(t);
}

template <bool kExtra>
ForestClassifier<kExtra>& ForestClassifier<kExtra>::fit(const Tensor& X_in, const Tensor& y) {
  std::string who = std::string(name()) + ".fit";
  Tensor X = detail::check_matrix_f32(X_in, who);
  int64_t n = X.size(0), d = X.size(1);
  detail::EncodedLabels labels = detail::encode_labels(y, n, who, true);
  int64_t k = labels.classes.size(0);
  int64_t draws = bootstrap_size(options_, n, who);
  int threads = resolve_threads(options_.n_jobs, who);
  std::vector<double> codes(labels.codes.begin(), labels.codes.end());
  detail::Columns columns = detail::to_columns(X.data<float>(), n, d);
  detail::TreeData data = columns.data(codes.data(), k);
  std::vector<double> class_weight;
  std::string weighting =
      std::holds_alternative<std::string>(options_.class_weight) ? std::get<std::string>(options_.class_weight) : "";
  if (weighting == "balanced") class_weight = detail::balanced_weights(labels.codes, k);

  int64_t T = options_.n_estimators;
  std::vector<uint32_t> seeds = tree_seeds(options_.random_state, T);
  std::vector<DecisionTreeClassifier> trees(T, make_tree());
  std::vector<std::vector<double>> in_bag(options_.oob_score ? T : 0);
  for_each_tree(T, threads, [&](int64_t t) {
    uint32_t tree_seed = seeds[t];
    std::vector<double> counts;
    if (options_.bootstrap) counts = bootstrap_counts(tree_seed, n, draws);
    std::vector<double> weight = counts;
    if (weighting == "balanced_subsample")
      weight = detail::balanced_weights(labels.codes, k, counts);
    else if (!class_weight.empty())
      weight = class_weight;
    bool class_weighted = weighting == "balanced_subsample" || !class_weight.empty();
    if (class_weighted && !counts.empty())
      for (int64_t i = 0; i < n; ++i) weight[i] *= counts[i];
    trees[t].fit_prepared(data, weight, labels.classes, tree_seed);
    if (options_.oob_score) in_bag[t] = std::move(counts);
  });
  estimators_ = std::move(trees);
  classes_ = labels.classes;
  n_classes_ = k;
  n_features_in_ = d;
  feature_importances_ = mean_importances(estimators_, d);
  if (!options_.oob_score) return *this;

  // Out-of-bag: each row's probabilities averaged over the trees that did not draw it.
  std::vector<detail::TreeNodes> nodes;
  for (const auto& tree : estimators_) nodes.push_back(tree.nodes());
  oob_decision_function_ = zeros({n, k}, kFloat64);
  double* oob = oob_decision_function_.data<double>();
  const float* x = X.data<float>();
  int64_t correct = 0;
#pragma omp parallel for num_threads(threads) reduction(+ : correct)
  for (int64_t i = 0; i < n; ++i) {
    double* row = oob + i * k;
    int64_t votes = 0;
    for (int64_t t = 0; t < T; ++t) {
      if (in_bag[t][i] > 0) continue;
      const double* v = nodes[t].value.data() + nodes[t].leaf_of(x + i * d) * k;
      double sum = 0;
      for (int64_t c = 0; c < k; ++c) sum += v[c];
      for (int64_t c = 0; c < k; ++c) row[c] += v[c] / sum;
      ++votes;
    }
    for (int64_t c = 0; c < k; ++c) row[c] /= static_cast<double>(std::max<int64_t>(votes, 1));
    correct += std::max_element(row, row + k) - row == labels.codes[i];
  }
  oob_score_ = static_cast<double>(correct) / static_cast<double>(n);
  return *this;
}

template <bool kExtra>
Tensor ForestClassifier<kExtra>::predict_proba(const Tensor& X_in) const {
  check_fitted(X_in, "predict_proba");
  Tensor X = detail::check_matrix_f32(X_in, std::string(name()) + ".predict_proba");
  int64_t n = X.size(0), d = X.size(1), k = n_classes_;
  // Each tree's leaf values as probabilities.
  std::vector<detail::TreeNodes> nodes;
  for (const auto& tree : estimators_) {
    nodes.push_back(tree.nodes());
    auto& value = nodes.back().value;
    for (size_t node = 0; node * k < value.size(); ++node) {
      double sum = 0;
      for (int64_t c = 0; c < k; ++c) sum += value[node * k + c];
      for (int64_t c = 0; c < k; ++c) value[node * k + c] = sum > 0 ? value[node * k + c] / sum : 1.0 / k;
    }
  }
  Tensor out = zeros({n, k}, kFloat64);
  double* o = out.data<double>();
  const float* x = X.data<float>();
  double scale = 1.0 / static_cast<double>(nodes.size());
#pragma omp parallel for if (n * static_cast <int64_t>(nodes.size()) > 20000) schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    double* row = o + i * k;
    for (const auto& t : nodes) {
      const double* v = t.value.data() + t.leaf_of(x + i * d) * k;
      for (int64_t c = 0; c < k; ++c) row[c] += v[c];
    }
    for (int64_t c = 0; c < k; ++c) row[c] *= scale;
  }
  return out;
}

template <bool kExtra>
Tensor ForestClassifier<kExtra>::predict(const Tensor& X) const {
  Tensor proba = predict_proba(X);
  int64_t n = proba.size(0), k = proba.size(1);
  const double* p = proba.data<double>();
  std::vector<int64_t> codes(n);
  for (int64_t i = 0; i < n; ++i) codes[i] = std::max_element(p + i * k, p + (i + 1) * k) - (p + i * k);
  return detail::decode_labels(classes_, codes);
}

template <bool kExtra>
StateDict ForestClassifier<kExtra>::fitted_state() const {
  return forest_state(Estimator::fitted_state(), estimators_);
}

template <bool kExtra>
void ForestClassifier<kExtra>::load_fitted_state(const StateDict& state) {
  StateDict own;
  std::vector<StateDict> trees = split_forest_state(state, own, name(), options_.n_estimators);
  std::vector<DecisionTreeClassifier> loaded;
  for (const StateDict& tree_state : trees) {
    loaded.push_back(make_tree());
    loaded.back().load_fitted_state(tree_state);
  }
  estimators_ = std::move(loaded);
  Estimator::load_fitted_state(own);
}

template <bool kExtra>
void ForestClassifier<kExtra>::check_fitted_state() const {
  SOMA_CHECK(classes_.dtype() == kInt64 && classes_.dim() == 1 && classes_.size(0) >= 1,
             "{}: classes_ must be int64 [n_classes]", name());
  SOMA_CHECK(feature_importances_.dtype() == kFloat64 && feature_importances_.shape() == Shape({n_features_in_}),
             "{}: feature_importances_ must be float64 [{}]", name(), n_features_in_);
  std::vector<int64_t> classes = classes_.to_vector<int64_t>();
  for (const auto& tree : estimators_)
    SOMA_CHECK(tree.classes_.to_vector<int64_t>() == classes, "{}: every tree must have the forest's classes_", name());
  const_cast<ForestClassifier*>(this)->n_classes_ = classes_.size(0);
}

// ---- ForestRegressor ----

template <bool kExtra>
void ForestRegressor<kExtra>::visit_params(ParamVisitor& v) {
  visit_forest_params(v, options_, {"squared_error", "friedman_mse", "absolute_error"}, false);
}

template <bool kExtra>
void ForestRegressor<kExtra>::visit_fitted(const std::function<void(const char*, Tensor&)>& visit) {
  visit("feature_importances_", feature_importances_);
}

template <bool kExtra>
DecisionTreeRegressor ForestRegressor<kExtra>::make_tree() const {
  DecisionTreeRegressorOptions t;
  copy_tree_options(options_, t, kExtra);
  return DecisionTreeRegressor(t);
}

template <bool kExtra>
ForestRegressor<kExtra>& ForestRegressor<kExtra>::fit(const Tensor& X_in, const Tensor& y) {
  std::string who = std::string(name()) + ".fit";
  Tensor X = detail::check_matrix_f32(X_in, who);
  int64_t n = X.size(0), d = X.size(1);
  Tensor targets = detail::check_targets(y, n, who);
  int64_t draws = bootstrap_size(options_, n, who);
  int threads = resolve_threads(options_.n_jobs, who);
  detail::Columns columns = detail::to_columns(X.data<float>(), n, d);
  detail::TreeData data = columns.data(targets.data<double>(), 0);
  int64_t T = options_.n_estimators;
  std::vector<uint32_t> seeds = tree_seeds(options_.random_state, T);
  std::vector<DecisionTreeRegressor> trees(T, make_tree());
  std::vector<std::vector<double>> in_bag(options_.oob_score ? T : 0);
  for_each_tree(T, threads, [&](int64_t t) {
    uint32_t tree_seed = seeds[t];
    std::vector<double> weight;
    if (options_.bootstrap) weight = bootstrap_counts(tree_seed, n, draws);
    trees[t].fit_prepared(data, weight, tree_seed);
    if (options_.oob_score) in_bag[t] = std::move(weight);
  });
  estimators_ = std::move(trees);
  n_features_in_ = d;
  feature_importances_ = mean_importances(estimators_, d);
  if (!options_.oob_score) return *this;

  std::vector<detail::TreeNodes> nodes;
  for (const auto& tree : estimators_) nodes.push_back(tree.nodes());
  oob_prediction_ = zeros({n}, kFloat64);
  double* oob = oob_prediction_.data<double>();
  const float* x = X.data<float>();
#pragma omp parallel for num_threads(threads)
  for (int64_t i = 0; i < n; ++i) {
    int64_t votes = 0;
    for (int64_t t = 0; t < T; ++t)
      if (in_bag[t][i] == 0) oob[i] += nodes[t].value[nodes[t].leaf_of(x + i * d)], ++votes;
    oob[i] /= static_cast<double>(std::max<int64_t>(votes, 1));
  }
  // R² of the out-of-bag predictions.
  const double* truth = targets.data<double>();
  double mean = 0, residual = 0, total = 0;
  for (int64_t i = 0; i < n; ++i) mean += truth[i];
  mean /= static_cast<double>(n);
  for (int64_t i = 0; i < n; ++i)
    residual += (truth[i] - oob[i]) * (truth[i] - oob[i]), total += (truth[i] - mean) * (truth[i] - mean);
  oob_score_ = total == 0 ? (residual == 0 ? 1.0 : 0.0) : 1.0 - residual / total;
  return *this;
}

template <bool kExtra>
Tensor ForestRegressor<kExtra>::predict(const Tensor& X_in) const {
  check_fitted(X_in, "predict");
  Tensor X = detail::check_matrix_f32(X_in, std::string(name()) + ".predict");
  int64_t n = X.size(0), d = X.size(1);
  std::vector<detail::TreeNodes> nodes;
  for (const auto& tree : estimators_) nodes.push_back(tree.nodes());
  Tensor out = zeros({n}, kFloat64);
  double* o = out.data<double>();
  const float* x = X.data<float>();
#pragma omp parallel for if (n * static_cast <int64_t>(nodes.size()) > 20000) schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    for (const auto& t : nodes) o[i] += t.value[t.leaf_of(x + i * d)];
    o[i] /= static_cast<double>(nodes.size());
  }
  return out;
}

template <bool kExtra>
StateDict ForestRegressor<kExtra>::fitted_state() const {
  return forest_state(Estimator::fitted_state(), estimators_);
}

template <bool kExtra>
void ForestRegressor<kExtra>::load_fitted_state(const StateDict& state) {
  StateDict own;
  std::vector<StateDict> trees = split_forest_state(state, own, name(), options_.n_estimators);
  std::vector<DecisionTreeRegressor> loaded;
  for (const StateDict& tree_state : trees) {
    loaded.push_back(make_tree());
    loaded.back().load_fitted_state(tree_state);
  }
  estimators_ = std::move(loaded);
  Estimator::load_fitted_state(own);
}

template <bool kExtra>
void ForestRegressor<kExtra>::check_fitted_state() const {
  SOMA_CHECK(feature_importances_.dtype() == kFloat64 && feature_importances_.shape() == Shape({n_features_in_}),
             "{}: feature_importances_ must be float64 [{}]", name(), n_features_in_);
}

template class ForestClassifier<false>;
template class ForestClassifier<true>;
template class ForestRegressor<false>;
template class ForestRegressor<true>;

}  // namespace soma::ml
