#pragma once
// The machinery of histogram gradient boosting (private to src/ml): binning, growing one tree
// on gradients, predicting with the fitted trees. See soma/ml/gradient_boosting.h.
#include <cstdint>
#include <optional>
#include <vector>

#include "soma/ml/gradient_boosting.h"

namespace soma::ml::detail {

// The training rows' features as bin codes, row-major [n][d] (a node's histogram reads each of
// its rows' codes, gradient and hessian once). Bin b of feature f holds the
// values in (thresholds[f][b - 1], thresholds[f][b]]; NaN has the code thresholds[f].size() + 1,
// one past the last bin of values. A node's histogram keeps feature f's bins (NaN's included) at
// bin_offset[f] .. bin_offset[f + 1] - 1, so features with few distinct values take little room.
struct BinnedData {
  int64_t n = 0, d = 0;
  std::vector<uint8_t> codes;
  std::vector<std::vector<double>> thresholds;
  std::vector<uint8_t> has_missing;  // per feature: NaN occurs in the training rows
  std::vector<int64_t> bin_offset;   // [d + 1]
  uint8_t missing_code(int64_t f) const { return static_cast<uint8_t>(thresholds[f].size() + 1); }
};

// Bins the rows `rows` of X [*, d] (row-major float64) with at most max_bins bins per feature:
// the midpoints between distinct values when there are few, else quantiles (scikit-learn's
// midpoint percentiles).
BinnedData bin_features(const double* X, int64_t d, const std::vector<int64_t>& rows, int max_bins);

struct GrowerOptions {
  std::optional<int64_t> max_leaf_nodes;
  std::optional<int64_t> max_depth;
  int64_t min_samples_leaf = 20;
  double l2_regularization = 0;
  double learning_rate = 0.1;
};

// Trees in the layout of BoostedTrees, being built.
struct TreeArrays {
  std::vector<int64_t> offsets{0};
  std::vector<int64_t> feature, left, right;
  std::vector<double> threshold, value;
  std::vector<uint8_t> missing_left;
};

// Grows one tree on the binned rows' gradients g [n] and hessians h [n] (null: all 1, as for
// the squared error), appends it to `trees`, and adds each row's leaf value to raw[i * stride].
// Gradients are float32, as scikit-learn keeps them (its splits depend on their rounding);
// histograms sum them in float64.
void grow_tree(const BinnedData& data, const float* g, const float* h, const GrowerOptions& options,
               TreeArrays& trees, double* raw, int64_t stride);

// Adds the value of tree t's leaf for each row of X [n, d] to raw[i * stride].
void add_tree_predictions(const TreeArrays& trees, int64_t t, const double* X, int64_t n, int64_t d, double* raw,
                          int64_t stride);

// The sum over the trees of each iteration, plus the baseline: raw [n, k], k trees an iteration.
Tensor predict_raw(const BoostedTrees& trees, const Tensor& X);

// Checks a loaded BoostedTrees against n_features and k trees per iteration.
void check_boosted_trees(const BoostedTrees& trees, int64_t n_features, int64_t k, std::string_view who);

BoostedTrees to_tensors(const TreeArrays& trees, const std::vector<double>& baseline);

}  // namespace soma::ml::detail
