#pragma once
// Resolving the trees' and forests' parameters into growth settings (private to src/ml), as
// scikit-learn 1.2's BaseDecisionTree.fit does.
#include <cmath>
#include <string_view>
#include <variant>
#include <vector>

#include "soma/error.h"
#include "soma/ml/params.h"
#include "tree_builder.h"

namespace soma::ml::detail {

inline Constraint min_samples_split_constraint() {
  return {.integer = at_least(2), .real = Interval{0, 1, true, false}};
}
inline Constraint min_samples_leaf_constraint() { return {.integer = at_least(1), .real = Interval{0, 1, true, true}}; }
inline Constraint max_features_constraint() {
  return {.none = true, .integer = at_least(1), .real = Interval{0, 1, true, false}, .options = {"sqrt", "log2"}};
}

// An int parameter is a count; a float one a fraction of `n` (rounded up).
inline int64_t count_or_fraction(const ParamValue& value, int64_t n) {
  if (const auto* i = std::get_if<int64_t>(&value)) return *i;
  return static_cast<int64_t>(std::ceil(std::get<double>(value) * static_cast<double>(n)));
}

inline int64_t resolve_max_features(const ParamValue& value, int64_t d, std::string_view who) {
  int64_t m = d;
  if (const auto* s = std::get_if<std::string>(&value)) {
    m = *s == "sqrt" ? static_cast<int64_t>(std::sqrt(static_cast<double>(d)))
                     : static_cast<int64_t>(std::log2(static_cast<double>(d)));
    m = std::max<int64_t>(1, m);
  } else if (const auto* i = std::get_if<int64_t>(&value)) {
    m = *i;
  } else if (const auto* f = std::get_if<double>(&value)) {
    m = std::max<int64_t>(1, static_cast<int64_t>(*f * static_cast<double>(d)));
  }
  SOMA_CHECK(m >= 1 && m <= d, "{}: max_features must be in (0, n_features] = (0, {}]; got {}", who, d, m);
  return m;
}

template <class Options>
TreeSettings resolve_settings(const Options& o, const TreeData& data, const std::vector<double>& weight,
                              std::string_view who, uint32_t seed) {
  TreeSettings s;
  s.criterion = parse_criterion(o.criterion);
  s.random_splitter = o.splitter == "random";
  s.max_depth = o.max_depth ? *o.max_depth : INT32_MAX;
  int64_t n = data.n_samples;
  s.min_samples_leaf = count_or_fraction(o.min_samples_leaf, n);
  s.min_samples_split = count_or_fraction(o.min_samples_split, n);
  if (std::holds_alternative<double>(o.min_samples_split))
    s.min_samples_split = std::max<int64_t>(2, s.min_samples_split);
  s.min_samples_split = std::max(s.min_samples_split, 2 * s.min_samples_leaf);
  double total = 0;
  if (weight.empty()) total = static_cast<double>(n);
  for (double w : weight) total += w;
  s.min_weight_leaf = o.min_weight_fraction_leaf * total;
  s.max_features = resolve_max_features(o.max_features, data.n_features, who);
  s.max_leaf_nodes = o.max_leaf_nodes ? *o.max_leaf_nodes : 0;
  s.min_impurity_decrease = o.min_impurity_decrease;
  s.seed = seed;
  return s;
}

// scikit-learn's 'balanced' class weights, n / (n_classes * count(class)), per row; with
// counts_per_row (a bootstrap), over the drawn rows and the classes drawn.
inline std::vector<double> balanced_weights(const std::vector<int64_t>& codes, int64_t k,
                                            const std::vector<double>& counts_per_row = {}) {
  std::vector<double> count(k, 0.0);
  for (size_t i = 0; i < codes.size(); ++i) count[codes[i]] += counts_per_row.empty() ? 1.0 : counts_per_row[i];
  double n = 0, present = 0;
  for (double c : count) n += c, present += c > 0;
  std::vector<double> weight(codes.size());
  for (size_t i = 0; i < codes.size(); ++i) weight[i] = count[codes[i]] > 0 ? n / (present * count[codes[i]]) : 0.0;
  return weight;
}

// Reduced-error pruning's choice: bottom up (children come after parents, so in reverse node
// order), a node becomes a leaf when its own validation error is at most its subtree's.
inline std::vector<char> reduced_error_cuts(const TreeNodes& t, const std::vector<double>& leaf_errors) {
  std::vector<double> subtree(leaf_errors);
  std::vector<char> cut(t.node_count(), 0);
  for (int64_t i = t.node_count() - 1; i >= 0; --i) {
    if (t.is_leaf(i)) continue;
    double below = subtree[t.left[i]] + subtree[t.right[i]];
    if (leaf_errors[i] <= below)
      cut[i] = 1;
    else
      subtree[i] = below;
  }
  return cut;
}

}  // namespace soma::ml::detail
