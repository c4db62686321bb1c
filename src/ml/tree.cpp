// Decision trees (see soma/ml/tree.h); the growing itself is in tree_builder.cpp.
#include "soma/ml/tree.h"

#include <algorithm>
#include <cmath>

#include "soma/creation.h"
#include "soma/error.h"
#include "tree_builder.h"
#include "tree_settings.h"
#include "validation.h"

namespace soma::ml {
namespace {

template <class T>
Tensor vector_tensor(const std::vector<T>& v) {
  return from_vector(v, {static_cast<int64_t>(v.size())});
}

template <class T>
std::vector<T> tensor_vector(const Tensor& t) {
  return t.contiguous().to_vector<T>();
}

// Rows routed to leaves; `visit(row, leaf)` for each.
template <class Visit>
void for_each_leaf(const detail::TreeNodes& nodes, const Tensor& X32, Visit visit) {
  int64_t n = X32.size(0), d = X32.size(1);
  const float* x = X32.data<float>();
#pragma omp parallel for if (n > 20000) schedule(static)
  for (int64_t i = 0; i < n; ++i) visit(i, nodes.leaf_of(x + i * d));
}

}  // namespace

// ---- TreeModel ----

detail::TreeNodes TreeModel::nodes() const {
  detail::TreeNodes t;
  t.left = tensor_vector<int64_t>(tree_.children_left);
  t.right = tensor_vector<int64_t>(tree_.children_right);
  t.feature = tensor_vector<int64_t>(tree_.feature);
  t.threshold = tensor_vector<double>(tree_.threshold);
  t.impurity = tensor_vector<double>(tree_.impurity);
  t.n_samples = tensor_vector<int64_t>(tree_.n_node_samples);
  t.weighted_n_samples = tensor_vector<double>(tree_.weighted_n_node_samples);
  t.value = tensor_vector<double>(tree_.value);
  t.value_width = tree_.value.dim() == 3 ? tree_.value.size(2) : 1;
  return t;
}

void TreeModel::set_nodes(const detail::TreeNodes& t, int64_t n_features) {
  tree_.children_left = vector_tensor(t.left);
  tree_.children_right = vector_tensor(t.right);
  tree_.feature = vector_tensor(t.feature);
  tree_.threshold = vector_tensor(t.threshold);
  tree_.impurity = vector_tensor(t.impurity);
  tree_.n_node_samples = vector_tensor(t.n_samples);
  tree_.weighted_n_node_samples = vector_tensor(t.weighted_n_samples);
  tree_.value = from_vector(t.value, {t.node_count(), 1, t.value_width});
  feature_importances_ = vector_tensor(detail::feature_importances(t, n_features));
}

int64_t TreeModel::get_depth() const { return nodes().max_depth(); }
int64_t TreeModel::get_n_leaves() const { return nodes().n_leaves(); }

std::vector<int64_t> TreeModel::leaves(const Tensor& X32) const {
  detail::TreeNodes t = nodes();
  std::vector<int64_t> out(X32.size(0));
  for_each_leaf(t, X32, [&](int64_t i, int64_t leaf) { out[i] = leaf; });
  return out;
}

void TreeModel::visit_tree(const std::function<void(const char*, Tensor&)>& visit) {
  visit("tree_.children_left", tree_.children_left);
  visit("tree_.children_right", tree_.children_right);
  visit("tree_.feature", tree_.feature);
  visit("tree_.threshold", tree_.threshold);
  visit("tree_.value", tree_.value);
  visit("tree_.impurity", tree_.impurity);
  visit("tree_.n_node_samples", tree_.n_node_samples);
  visit("tree_.weighted_n_node_samples", tree_.weighted_n_node_samples);
  visit("feature_importances_", feature_importances_);
}

void TreeModel::check_tree_state(std::string_view who, int64_t n_features, int64_t value_width) const {
  int64_t n = tree_.node_count();
  SOMA_CHECK(tree_.children_left.dim() == 1 && n >= 1, "{}: tree_.children_left must be int64 [node_count]", who);
  auto vector_of = [&](const Tensor& t, DType dtype, const char* name) {
    SOMA_CHECK(t.dtype() == dtype && t.shape() == Shape({n}), "{}: tree_.{} must be {} [{}]", who, name,
               dtype == kInt64 ? "int64" : "float64", n);
  };
  vector_of(tree_.children_left, kInt64, "children_left");
  vector_of(tree_.children_right, kInt64, "children_right");
  vector_of(tree_.feature, kInt64, "feature");
  vector_of(tree_.threshold, kFloat64, "threshold");
  vector_of(tree_.impurity, kFloat64, "impurity");
  vector_of(tree_.n_node_samples, kInt64, "n_node_samples");
  vector_of(tree_.weighted_n_node_samples, kFloat64, "weighted_n_node_samples");
  SOMA_CHECK(tree_.value.dtype() == kFloat64 && tree_.value.shape() == Shape({n, 1, value_width}),
             "{}: tree_.value must be float64 [{}, 1, {}]", who, n, value_width);
  SOMA_CHECK(feature_importances_.dtype() == kFloat64 && feature_importances_.shape() == Shape({n_features}),
             "{}: feature_importances_ must be float64 [{}]", who, n_features);
  detail::check_tree(nodes(), n_features, who);
}

// ---- DecisionTreeClassifier ----

void DecisionTreeClassifier::visit_params(ParamVisitor& v) {
  auto& o = options_;
  v.visit("criterion", &o.criterion, one_of({"gini", "entropy", "log_loss", "gain_ratio"}));
  v.visit("splitter", &o.splitter, one_of({"best", "random"}));
  v.visit("max_depth", &o.max_depth, int_or_none(at_least(1)));
  v.visit("min_samples_split", &o.min_samples_split, detail::min_samples_split_constraint());
  v.visit("min_samples_leaf", &o.min_samples_leaf, detail::min_samples_leaf_constraint());
  v.visit("min_weight_fraction_leaf", &o.min_weight_fraction_leaf, real_in(between(0, 0.5)));
  v.visit("max_features", &o.max_features, detail::max_features_constraint());
  v.visit("random_state", &o.random_state, int_or_none(between(0, 4294967295.0)));
  v.visit("max_leaf_nodes", &o.max_leaf_nodes, int_or_none(at_least(2)));
  v.visit("min_impurity_decrease", &o.min_impurity_decrease, real_in(at_least(0)));
  v.visit("class_weight", &o.class_weight, Constraint{.none = true, .options = {"balanced"}});
  v.visit("ccp_alpha", &o.ccp_alpha, real_in(at_least(0)));
}

void DecisionTreeClassifier::visit_fitted(const std::function<void(const char*, Tensor&)>& visit) {
  visit("classes_", classes_);
  visit_tree(visit);
}

void DecisionTreeClassifier::check_fitted_state() const {
  SOMA_CHECK(classes_.dtype() == kInt64 && classes_.dim() == 1 && classes_.size(0) >= 1,
             "DecisionTreeClassifier: classes_ must be int64 [n_classes]");
  check_tree_state("DecisionTreeClassifier", n_features_in_, classes_.size(0));
  for (double v : tree_.value.to_vector<double>())
    SOMA_CHECK(v >= 0, "DecisionTreeClassifier: tree_.value holds class weights, which must be >= 0");
  const_cast<DecisionTreeClassifier*>(this)->n_classes_ = classes_.size(0);
  const_cast<DecisionTreeClassifier*>(this)->max_features_ =
      detail::resolve_max_features(options_.max_features, n_features_in_, "DecisionTreeClassifier");
}

DecisionTreeClassifier& DecisionTreeClassifier::fit(const Tensor& X_in, const Tensor& y) {
  Tensor X = detail::check_matrix_f32(X_in, "DecisionTreeClassifier.fit");
  int64_t n = X.size(0), d = X.size(1);
  detail::EncodedLabels labels = detail::encode_labels(y, n, "DecisionTreeClassifier.fit", true);
  std::vector<double> codes(labels.codes.begin(), labels.codes.end());
  detail::Columns columns = detail::to_columns(X.data<float>(), n, d);
  int64_t k = labels.classes.size(0);
  detail::TreeData data = columns.data(codes.data(), k);
  std::vector<double> weight;
  if (std::holds_alternative<std::string>(options_.class_weight)) weight = detail::balanced_weights(labels.codes, k);
  fit_prepared(data, weight, labels.classes, static_cast<uint32_t>(detail::resolve_seed(options_.random_state)));
  return *this;
}

void DecisionTreeClassifier::fit_prepared(const detail::TreeData& data, const std::vector<double>& weight,
                                          const Tensor& classes, uint32_t seed) {
  detail::TreeSettings s = detail::resolve_settings(options_, data, weight, "DecisionTreeClassifier.fit", seed);
  detail::TreeNodes t = detail::grow_tree(data, weight, s);
  if (options_.ccp_alpha > 0) t = detail::prune_cost_complexity(t, options_.ccp_alpha);
  classes_ = classes;
  n_classes_ = classes.size(0);
  max_features_ = s.max_features;
  n_features_in_ = data.n_features;
  set_nodes(t, data.n_features);
}

Tensor DecisionTreeClassifier::predict_proba(const Tensor& X_in) const {
  check_fitted(X_in, "predict_proba");
  Tensor X = detail::check_matrix_f32(X_in, "DecisionTreeClassifier.predict_proba");
  detail::TreeNodes t = nodes();
  int64_t n = X.size(0), k = n_classes_;
  Tensor out = empty({n, k}, kFloat64);
  double* o = out.data<double>();
  for_each_leaf(t, X, [&](int64_t i, int64_t leaf) {
    const double* v = t.value.data() + leaf * k;
    double sum = 0;
    for (int64_t c = 0; c < k; ++c) sum += v[c];
    for (int64_t c = 0; c < k; ++c) o[i * k + c] = sum > 0 ? v[c] / sum : 1.0 / static_cast<double>(k);
  });
  return out;
}

Tensor DecisionTreeClassifier::predict(const Tensor& X) const {
  Tensor proba = predict_proba(X);
  int64_t n = proba.size(0), k = proba.size(1);
  const double* p = proba.data<double>();
  std::vector<int64_t> codes(n);
  for (int64_t i = 0; i < n; ++i) codes[i] = std::max_element(p + i * k, p + (i + 1) * k) - (p + i * k);
  return detail::decode_labels(classes_, codes);
}

Tensor DecisionTreeClassifier::apply(const Tensor& X_in) const {
  check_fitted(X_in, "apply");
  return vector_tensor(leaves(detail::check_matrix_f32(X_in, "DecisionTreeClassifier.apply")));
}

PruningPath DecisionTreeClassifier::cost_complexity_pruning_path(const Tensor& X, const Tensor& y) const {
  DecisionTreeClassifier full(options_);
  full.options_.ccp_alpha = 0;
  full.fit(X, y);
  std::vector<double> alphas, impurities;
  detail::cost_complexity_path(full.nodes(), alphas, impurities);
  return {vector_tensor(alphas), vector_tensor(impurities)};
}

DecisionTreeClassifier& DecisionTreeClassifier::prune_reduced_error(const Tensor& X_val, const Tensor& y_val) {
  check_fitted(X_val, "prune_reduced_error");
  Tensor X = detail::check_matrix_f32(X_val, "DecisionTreeClassifier.prune_reduced_error");
  Tensor truth = detail::check_targets(y_val, X.size(0), "DecisionTreeClassifier.prune_reduced_error");
  detail::TreeNodes t = nodes();
  int64_t k = n_classes_;
  std::vector<int64_t> classes = classes_.to_vector<int64_t>();
  // Each node's errors on the validation rows reaching it were it a leaf.
  std::vector<double> leaf_errors(t.node_count(), 0.0);
  const float* x = X.data<float>();
  const double* yv = truth.data<double>();
  for (int64_t i = 0; i < X.size(0); ++i) {
    int64_t node = 0;
    while (true) {
      const double* v = t.value.data() + node * k;
      int64_t label = classes[std::max_element(v, v + k) - v];
      leaf_errors[node] += static_cast<double>(label) != yv[i];
      if (t.is_leaf(node)) break;
      node = static_cast<double>(x[i * n_features_in_ + t.feature[node]]) <= t.threshold[node] ? t.left[node]
                                                                                               : t.right[node];
    }
  }
  set_nodes(detail::without_subtrees(t, detail::reduced_error_cuts(t, leaf_errors)), n_features_in_);
  return *this;
}

// ---- DecisionTreeRegressor ----

void DecisionTreeRegressor::visit_params(ParamVisitor& v) {
  auto& o = options_;
  v.visit("criterion", &o.criterion, one_of({"squared_error", "friedman_mse", "absolute_error"}));
  v.visit("splitter", &o.splitter, one_of({"best", "random"}));
  v.visit("max_depth", &o.max_depth, int_or_none(at_least(1)));
  v.visit("min_samples_split", &o.min_samples_split, detail::min_samples_split_constraint());
  v.visit("min_samples_leaf", &o.min_samples_leaf, detail::min_samples_leaf_constraint());
  v.visit("min_weight_fraction_leaf", &o.min_weight_fraction_leaf, real_in(between(0, 0.5)));
  v.visit("max_features", &o.max_features, detail::max_features_constraint());
  v.visit("random_state", &o.random_state, int_or_none(between(0, 4294967295.0)));
  v.visit("max_leaf_nodes", &o.max_leaf_nodes, int_or_none(at_least(2)));
  v.visit("min_impurity_decrease", &o.min_impurity_decrease, real_in(at_least(0)));
  v.visit("ccp_alpha", &o.ccp_alpha, real_in(at_least(0)));
}

void DecisionTreeRegressor::visit_fitted(const std::function<void(const char*, Tensor&)>& visit) { visit_tree(visit); }

void DecisionTreeRegressor::check_fitted_state() const {
  check_tree_state("DecisionTreeRegressor", n_features_in_, 1);
  const_cast<DecisionTreeRegressor*>(this)->max_features_ =
      detail::resolve_max_features(options_.max_features, n_features_in_, "DecisionTreeRegressor");
}

DecisionTreeRegressor& DecisionTreeRegressor::fit(const Tensor& X_in, const Tensor& y) {
  Tensor X = detail::check_matrix_f32(X_in, "DecisionTreeRegressor.fit");
  int64_t n = X.size(0), d = X.size(1);
  Tensor targets = detail::check_targets(y, n, "DecisionTreeRegressor.fit");
  detail::Columns columns = detail::to_columns(X.data<float>(), n, d);
  detail::TreeData data = columns.data(targets.data<double>(), 0);
  fit_prepared(data, {}, static_cast<uint32_t>(detail::resolve_seed(options_.random_state)));
  return *this;
}

void DecisionTreeRegressor::fit_prepared(const detail::TreeData& data, const std::vector<double>& weight,
                                         uint32_t seed) {
  detail::TreeSettings s = detail::resolve_settings(options_, data, weight, "DecisionTreeRegressor.fit", seed);
  detail::TreeNodes t = detail::grow_tree(data, weight, s);
  if (options_.ccp_alpha > 0) t = detail::prune_cost_complexity(t, options_.ccp_alpha);
  max_features_ = s.max_features;
  n_features_in_ = data.n_features;
  set_nodes(t, data.n_features);
}

Tensor DecisionTreeRegressor::predict(const Tensor& X_in) const {
  check_fitted(X_in, "predict");
  Tensor X = detail::check_matrix_f32(X_in, "DecisionTreeRegressor.predict");
  detail::TreeNodes t = nodes();
  Tensor out = empty({X.size(0)}, kFloat64);
  double* o = out.data<double>();
  for_each_leaf(t, X, [&](int64_t i, int64_t leaf) { o[i] = t.value[leaf]; });
  return out;
}

Tensor DecisionTreeRegressor::apply(const Tensor& X_in) const {
  check_fitted(X_in, "apply");
  return vector_tensor(leaves(detail::check_matrix_f32(X_in, "DecisionTreeRegressor.apply")));
}

PruningPath DecisionTreeRegressor::cost_complexity_pruning_path(const Tensor& X, const Tensor& y) const {
  DecisionTreeRegressor full(options_);
  full.options_.ccp_alpha = 0;
  full.fit(X, y);
  std::vector<double> alphas, impurities;
  detail::cost_complexity_path(full.nodes(), alphas, impurities);
  return {vector_tensor(alphas), vector_tensor(impurities)};
}

DecisionTreeRegressor& DecisionTreeRegressor::prune_reduced_error(const Tensor& X_val, const Tensor& y_val) {
  check_fitted(X_val, "prune_reduced_error");
  Tensor X = detail::check_matrix_f32(X_val, "DecisionTreeRegressor.prune_reduced_error");
  Tensor truth = detail::check_targets(y_val, X.size(0), "DecisionTreeRegressor.prune_reduced_error");
  detail::TreeNodes t = nodes();
  std::vector<double> leaf_errors(t.node_count(), 0.0);
  const float* x = X.data<float>();
  const double* yv = truth.data<double>();
  for (int64_t i = 0; i < X.size(0); ++i) {
    int64_t node = 0;
    while (true) {
      leaf_errors[node] += (t.value[node] - yv[i]) * (t.value[node] - yv[i]);
      if (t.is_leaf(node)) break;
      node = static_cast<double>(x[i * n_features_in_ + t.feature[node]]) <= t.threshold[node] ? t.left[node]
                                                                                               : t.right[node];
    }
  }
  set_nodes(detail::without_subtrees(t, detail::reduced_error_cuts(t, leaf_errors)), n_features_in_);
  return *this;
}

}  // namespace soma::ml
