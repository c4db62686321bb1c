#pragma once
// Growing, pruning and walking decision trees (private to src/ml): the engine behind
// DecisionTree* and the forests, on plain arrays rather than Tensors.
//
// Like scikit-learn, splits are searched on float32 feature values and a split's threshold is
// the midpoint between two consecutive distinct values; the training rows reaching a node are a
// range of one index array that is partitioned in place. Each feature's values are read from a
// column-major float32 copy of X (shared by all trees of a forest) and sorted once per node and
// feature (a radix sort on (value, row) keys), so a split search is a gather, a sort and a scan.
#include <cstdint>
#include <random>
#include <string_view>
#include <vector>

namespace soma::ml::detail {

enum class Criterion { kGini, kEntropy, kGainRatio, kSquaredError, kFriedmanMse, kAbsoluteError };

// Parses a criterion name ('gini', 'log_loss', 'squared_error', ...).
Criterion parse_criterion(std::string_view name);
inline bool is_classification(Criterion c) { return c <= Criterion::kGainRatio; }

// The training data as the builder reads it.
struct TreeData {
  const float* columns = nullptr;  // column-major [n_features][n_samples]
  int64_t n_samples = 0;
  int64_t n_features = 0;
  const double* y = nullptr;  // [n_samples]: class codes 0..n_classes-1, or regression targets
  int64_t n_classes = 0;      // 0 for regression
  // Each value's rank among its feature's distinct values ([n_features][n_samples]) and the
  // distinct values (feature f's from distinct_start[f]): split search sorts small integers.
  const uint32_t* ranks = nullptr;
  const float* distinct = nullptr;
  const int64_t* distinct_start = nullptr;
};

// Resolved growth limits (scikit-learn's BaseDecisionTree.fit does the same resolution).
struct TreeSettings {
  Criterion criterion = Criterion::kGini;
  bool random_splitter = false;
  int64_t max_depth = INT32_MAX;
  int64_t min_samples_split = 2;
  int64_t min_samples_leaf = 1;
  double min_weight_leaf = 0;  // min_weight_fraction_leaf * total sample weight
  int64_t max_features = 1;
  int64_t max_leaf_nodes = 0;  // 0: unlimited, grown depth first; else grown best first
  double min_impurity_decrease = 0;
  uint32_t seed = 0;  // random_state (resolved); seeds SplitterRandom
};

// A tree as scikit-learn's Tree arrays; nodes are numbered so that children come after their
// parent. value is [node_count, value_width]: weighted class counts, or the node's prediction.
struct TreeNodes {
  static constexpr int64_t kLeaf = -1;
  static constexpr int64_t kUndefined = -2;
  int64_t value_width = 1;
  std::vector<int64_t> left, right, feature, n_samples;
  std::vector<double> threshold, impurity, weighted_n_samples, value;
  int64_t node_count() const { return static_cast<int64_t>(left.size()); }
  bool is_leaf(int64_t node) const { return left[node] == kLeaf; }
  int64_t max_depth() const;
  int64_t n_leaves() const;
  // The leaf that row x ([n_features] float32 values) falls into.
  int64_t leaf_of(const float* x) const {
    int64_t node = 0;
    while (left[node] != kLeaf)
      node = static_cast<double>(x[feature[node]]) <= threshold[node] ? left[node] : right[node];
    return node;
  }
};

// Grows a tree. sample_weight: [n_samples] (a bootstrap's counts times class weights), or
// empty for unit weights; rows of weight 0 are left out, as scikit-learn does.
TreeNodes grow_tree(const TreeData& data, const std::vector<double>& sample_weight, const TreeSettings& settings);

// scikit-learn's minimal cost-complexity pruning: the subtree for ccp_alpha, and the path of
// effective alphas and total leaf impurities.
TreeNodes prune_cost_complexity(const TreeNodes& tree, double ccp_alpha);
void cost_complexity_path(const TreeNodes& tree, std::vector<double>& ccp_alphas, std::vector<double>& impurities);

// A copy without the subtrees below the nodes marked in make_leaf (their nodes renumbered in
// depth-first order).
TreeNodes without_subtrees(const TreeNodes& tree, const std::vector<char>& make_leaf);

// Mean-decrease-in-impurity importances [n_features], normalized to sum 1 (all zero for a
// single leaf).
std::vector<double> feature_importances(const TreeNodes& tree, int64_t n_features);

// Checks the invariants of an untrusted tree: children after their parent and each node with
// one parent (so a walk from the root ends), features in [0, n_features), finite values.
// Throws soma::Error naming `who`.
void check_tree(const TreeNodes& tree, int64_t n_features, std::string_view who);

// scikit-learn's random numbers, so that a tree or a forest with the same random_state draws
// the same features, thresholds and bootstraps as scikit-learn 1.2 does.
//
// NumpyRandomState is numpy's legacy RandomState(seed) (MT19937, the same seeding as
// std::mt19937) with its randint's masked rejection sampling.
class NumpyRandomState {
 public:
  explicit NumpyRandomState(uint32_t seed) : mt_(seed) {}
  // randint(0, bound) for bound in [1, 2^32].
  uint32_t randint(uint64_t bound);

 private:
  std::mt19937 mt_;
};

// The tree splitters' generator (scikit-learn's our_rand_r, an xorshift), seeded as the
// splitter seeds it: RandomState(random_state).randint(0, RAND_R_MAX).
class SplitterRandom {
 public:
  static constexpr uint32_t kMax = 0x7FFFFFFF;  // RAND_R_MAX
  explicit SplitterRandom(uint32_t random_state) : state_(NumpyRandomState(random_state).randint(kMax)) {}
  uint32_t next() {
    if (state_ == 0) state_ = 1;
    state_ ^= state_ << 13;
    state_ ^= state_ >> 17;
    state_ ^= state_ << 5;
    return state_ % (kMax + 1u);
  }
  int64_t rand_int(int64_t low, int64_t high) { return low + next() % static_cast<uint32_t>(high - low); }
  double rand_uniform(double low, double high) {
    return (high - low) * static_cast<double>(next()) / static_cast<double>(kMax) + low;
  }

 private:
  uint32_t state_;
};

}  // namespace soma::ml::detail

namespace soma::ml::detail {

// X (row-major float32 [n, d]) as the split search reads it: columns [d][n], and per column
// the ranks of the values among the column's sorted distinct values.
struct Columns {
  std::vector<float> values;
  std::vector<uint32_t> ranks;
  std::vector<float> distinct;
  std::vector<int64_t> distinct_start;
  TreeData data(const double* y, int64_t n_classes) const {
    int64_t d = static_cast<int64_t>(distinct_start.size()) - 1;
    int64_t n = d > 0 ? static_cast<int64_t>(values.size()) / d : 0;
    return {values.data(), n, d, y, n_classes, ranks.data(), distinct.data(), distinct_start.data()};
  }
};
Columns to_columns(const float* X, int64_t n, int64_t d);

}  // namespace soma::ml::detail
