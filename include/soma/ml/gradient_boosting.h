#pragma once
// Histogram-based gradient boosting (scikit-learn's HistGradientBoostingClassifier/Regressor,
// the LightGBM algorithm): features are binned once into at most max_bins quantile bins (NaN gets
// a bin of its own and is sent to whichever child gains more), then each iteration grows one
// tree per class, leaf by leaf (best gain first, up to max_leaf_nodes), on the loss's gradients
// and hessians summed in per-node histograms (the larger child's histogram is the parent's minus
// the smaller child's).
//
// Not offered: categorical_features, monotonic_cst and interaction_cst (arrays), and scoring
// other than 'loss' for early stopping. The validation split of early stopping draws from soma's
// generator, so it is not scikit-learn's row for row; results agree in quality, not bit for bit.
#include "soma/ml/estimator.h"

namespace soma::ml {

struct HistGradientBoostingOptions {
  std::string loss = "";  // "" is the estimator's default: log_loss / squared_error
  double learning_rate = 0.1;
  int64_t max_iter = 100;
  std::optional<int64_t> max_leaf_nodes = 31;
  std::optional<int64_t> max_depth = {};
  int64_t min_samples_leaf = 20;
  double l2_regularization = 0.0;
  int64_t max_bins = 255;
  bool warm_start = false;  // accepted; a fit always starts afresh
  ParamValue early_stopping = std::string("auto");  // 'auto' (on above 10,000 samples), True, False
  std::string scoring = "loss";
  double validation_fraction = 0.1;
  int64_t n_iter_no_change = 10;
  double tol = 1e-7;
  int64_t verbose = 0;
  std::optional<int64_t> random_state = {};
  ParamValue class_weight = None;  // classifier: None or 'balanced'
};

// The fitted trees, concatenated: node i of tree t is entry tree_offsets_[t] + i. Children
// indices are local to their tree and larger than their parent's (so any walk ends); a leaf has
// left = -1. A sample goes left when x[feature] <= threshold, or when it is NaN and
// missing_go_to_left.
struct BoostedTrees {
  Tensor baseline_prediction_;  // float64 [n_trees_per_iteration]
  Tensor tree_offsets_;         // int64 [n_trees + 1]
  Tensor node_feature_;         // int64 [n_nodes]
  Tensor node_threshold_;       // float64 [n_nodes]
  Tensor node_left_;            // int64 [n_nodes]
  Tensor node_right_;           // int64 [n_nodes]
  Tensor node_value_;           // float64 [n_nodes] (leaves: the learning-rate-scaled value)
  Tensor node_missing_left_;    // uint8 [n_nodes]
};

class HistGradientBoostingRegressor : public Cloneable<HistGradientBoostingRegressor, Regressor> {
 public:
  explicit HistGradientBoostingRegressor(HistGradientBoostingOptions options = {});
  std::string_view name() const override { return "HistGradientBoostingRegressor"; }
  HistGradientBoostingRegressor& fit(const Tensor& X, const Tensor& y) override;
  Tensor predict(const Tensor& X) const override;  // float64 [n]
  void load_fitted_state(const StateDict& state) override;

  BoostedTrees trees_;
  int64_t n_iter_ = 0;
  Tensor train_score_, validation_score_;  // float64: -loss before the first and after each iteration

 protected:
  void visit_params(ParamVisitor& v) override;
  void visit_fitted(const std::function<void(const char*, Tensor&)>& visit) override;
  void check_fitted_state() const override;

 private:
  HistGradientBoostingOptions options_;
};

class HistGradientBoostingClassifier : public Cloneable<HistGradientBoostingClassifier, Classifier> {
 public:
  explicit HistGradientBoostingClassifier(HistGradientBoostingOptions options = {});
  std::string_view name() const override { return "HistGradientBoostingClassifier"; }
  HistGradientBoostingClassifier& fit(const Tensor& X, const Tensor& y) override;
  Tensor predict(const Tensor& X) const override;
  Tensor predict_proba(const Tensor& X) const override;
  Tensor decision_function(const Tensor& X) const override;  // raw scores: [n] binary, [n, k]
  void load_fitted_state(const StateDict& state) override;

  BoostedTrees trees_;
  int64_t n_iter_ = 0;
  int64_t n_trees_per_iteration_ = 0;
  Tensor train_score_, validation_score_;

 protected:
  void visit_params(ParamVisitor& v) override;
  void visit_fitted(const std::function<void(const char*, Tensor&)>& visit) override;
  void check_fitted_state() const override;

 private:
  Tensor raw_predict(const Tensor& X, const char* method) const;  // [n, n_trees_per_iteration_]
  HistGradientBoostingOptions options_;
};

}  // namespace soma::ml
