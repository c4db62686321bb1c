#pragma once
// Decision trees (scikit-learn's sklearn.tree): CART with scikit-learn 1.2's parameters and
// defaults, plus C4.5's gain ratio criterion and reduced-error pruning.
//
//   ml::DecisionTreeClassifier tree({.max_depth = 4, .random_state = 0});
//   tree.fit(X_train, y_train);
//   std::cout << ml::export_text(tree, {"sepal length", ...});
//
// Splits are searched on X as float32 (as scikit-learn does); a threshold is the midpoint of
// two consecutive distinct values, and a row goes left when x[feature] <= threshold. Features
// are drawn with scikit-learn's generator seeded by random_state, so equally good splits tie
// the same way and, with the same random_state, the tree is scikit-learn's (the regression
// criteria sum in another order and may, rarely, break an exact tie differently).
// Left out: criterion 'poisson', the `class_weight` dict form (None and 'balanced' are
// supported), sample_weight in fit, multi-output targets, missing values and monotonic
// constraints.
#include <optional>
#include <string>
#include <vector>

#include "soma/ml/estimator.h"

namespace soma::ml {

namespace detail {
struct TreeData;
struct TreeNodes;
}  // namespace detail

// scikit-learn's Tree arrays (the fitted `tree_`). Leaves have children -1, feature -2 and
// threshold -2. Children always come after their parent.
struct TreeArrays {
  Tensor children_left, children_right, feature;  // int64 [node_count]
  Tensor threshold;                               // float64 [node_count]
  Tensor value;           // float64 [node_count, 1, n_classes] weighted class counts, or [node_count, 1, 1] predictions
  Tensor impurity;        // float64 [node_count]
  Tensor n_node_samples;  // int64 [node_count]
  Tensor weighted_n_node_samples;  // float64 [node_count]
  int64_t node_count() const { return children_left.defined() ? children_left.size(0) : 0; }
};

// What cost_complexity_pruning_path returns: increasing effective alphas and the total leaf
// impurity of the subtree each gives (the last one prunes the tree to its root).
struct PruningPath {
  Tensor ccp_alphas, impurities;  // float64 [n_steps]
};

struct DecisionTreeClassifierOptions {
  std::string criterion = "gini";  // 'gini', 'entropy', 'log_loss' or 'gain_ratio' (C4.5)
  std::string splitter = "best";   // 'best' or 'random'
  std::optional<int64_t> max_depth = std::nullopt;
  ParamValue min_samples_split = int64_t{2};  // an int >= 2, or a fraction in (0, 1] of the samples
  ParamValue min_samples_leaf = int64_t{1};   // an int >= 1, or a fraction in (0, 1) of the samples
  double min_weight_fraction_leaf = 0.0;
  ParamValue max_features = None;  // an int, a fraction in (0, 1], 'sqrt', 'log2' or None (all)
  std::optional<int64_t> random_state = std::nullopt;
  std::optional<int64_t> max_leaf_nodes = std::nullopt;  // set: grown best first
  double min_impurity_decrease = 0.0;
  ParamValue class_weight = None;  // None or 'balanced'
  double ccp_alpha = 0.0;
};

struct DecisionTreeRegressorOptions {
  std::string criterion = "squared_error";  // 'squared_error', 'friedman_mse' or 'absolute_error'
  std::string splitter = "best";
  std::optional<int64_t> max_depth = std::nullopt;
  ParamValue min_samples_split = int64_t{2};
  ParamValue min_samples_leaf = int64_t{1};
  double min_weight_fraction_leaf = 0.0;
  ParamValue max_features = None;
  std::optional<int64_t> random_state = std::nullopt;
  std::optional<int64_t> max_leaf_nodes = std::nullopt;
  double min_impurity_decrease = 0.0;
  double ccp_alpha = 0.0;
};

// What the classifier and the regressor share: the fitted arrays and everything read from them.
class TreeModel {
 public:
  TreeArrays tree_;
  Tensor feature_importances_;  // float64 [n_features], sums to 1 (0 for a single leaf)
  int64_t max_features_ = 0;

  int64_t get_depth() const;
  int64_t get_n_leaves() const;

  // The internal form of tree_ (for the forests and the exporters).
  detail::TreeNodes nodes() const;
  void set_nodes(const detail::TreeNodes& nodes, int64_t n_features);

 protected:
  // The leaf index of each row of X (float32 [n, d]).
  std::vector<int64_t> leaves(const Tensor& X32) const;
  void visit_tree(const std::function<void(const char*, Tensor&)>& visit);
  void check_tree_state(std::string_view who, int64_t n_features, int64_t value_width) const;
};

class DecisionTreeClassifier : public Cloneable<DecisionTreeClassifier, Classifier>, public TreeModel {
 public:
  explicit DecisionTreeClassifier(DecisionTreeClassifierOptions options = {}) : options_(std::move(options)) {}
  std::string_view name() const override { return "DecisionTreeClassifier"; }
  DecisionTreeClassifier& fit(const Tensor& X, const Tensor& y) override;
  Tensor predict(const Tensor& X) const override;
  Tensor predict_proba(const Tensor& X) const override;  // [n, n_classes]: the leaf's class fractions
  Tensor apply(const Tensor& X) const;                   // int64 [n]: the leaf each row falls into
  // scikit-learn's minimal cost-complexity pruning path of the unpruned tree.
  PruningPath cost_complexity_pruning_path(const Tensor& X, const Tensor& y) const;
  // Reduced-error pruning (Quinlan): bottom up, a subtree becomes a leaf when that does not
  // increase the number of misclassified validation rows (subtrees no validation row reaches
  // become leaves too).
  DecisionTreeClassifier& prune_reduced_error(const Tensor& X_val, const Tensor& y_val);

  int64_t n_classes_ = 0;

  // Grows the tree on prepared data (the forests' entry point): weights [n] or empty; seed is
  // the resolved random_state.
  void fit_prepared(const detail::TreeData& data, const std::vector<double>& weight, const Tensor& classes,
                    uint32_t seed);
  const DecisionTreeClassifierOptions& options() const { return options_; }

 protected:
  void visit_params(ParamVisitor& v) override;
  void visit_fitted(const std::function<void(const char*, Tensor&)>& visit) override;
  void check_fitted_state() const override;

 private:
  DecisionTreeClassifierOptions options_;
};

class DecisionTreeRegressor : public Cloneable<DecisionTreeRegressor, Regressor>, public TreeModel {
 public:
  explicit DecisionTreeRegressor(DecisionTreeRegressorOptions options = {}) : options_(std::move(options)) {}
  std::string_view name() const override { return "DecisionTreeRegressor"; }
  DecisionTreeRegressor& fit(const Tensor& X, const Tensor& y) override;
  Tensor predict(const Tensor& X) const override;  // float64 [n]
  Tensor apply(const Tensor& X) const;
  PruningPath cost_complexity_pruning_path(const Tensor& X, const Tensor& y) const;
  // Reduced-error pruning with the validation squared error.
  DecisionTreeRegressor& prune_reduced_error(const Tensor& X_val, const Tensor& y_val);

  void fit_prepared(const detail::TreeData& data, const std::vector<double>& weight, uint32_t seed);
  const DecisionTreeRegressorOptions& options() const { return options_; }

 protected:
  void visit_params(ParamVisitor& v) override;
  void visit_fitted(const std::function<void(const char*, Tensor&)>& visit) override;
  void check_fitted_state() const override;

 private:
  DecisionTreeRegressorOptions options_;
};

// scikit-learn's export_text: one line per split and leaf ("|--- petal width <= 0.80").
// feature_names: empty for "feature_<i>"; otherwise one name per feature.
std::string export_text(const DecisionTreeClassifier& tree, const std::vector<std::string>& feature_names = {},
                        int64_t max_depth = 10, int64_t spacing = 3, int64_t decimals = 2, bool show_weights = false);
std::string export_text(const DecisionTreeRegressor& tree, const std::vector<std::string>& feature_names = {},
                        int64_t max_depth = 10, int64_t spacing = 3, int64_t decimals = 2);

// The tree as an SVG picture: a box per node (its split or its prediction and sample count),
// children below their parent.
std::string export_svg(const DecisionTreeClassifier& tree, const std::vector<std::string>& feature_names = {});
std::string export_svg(const DecisionTreeRegressor& tree, const std::vector<std::string>& feature_names = {});

}  // namespace soma::ml
