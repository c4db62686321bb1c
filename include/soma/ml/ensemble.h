#pragma once
// Tree ensembles (scikit-learn's sklearn.ensemble): random forests and extremely randomized
// trees, with scikit-learn 1.2's parameters and defaults.
//
//   ml::RandomForestClassifier forest({.n_estimators = 200, .oob_score = true, .random_state = 0});
//   forest.fit(X_train, y_train);
//   double oob = forest.oob_score_;
//
// Trees are grown in parallel (n_jobs threads; None: soma's thread count). Each tree's seed is
// drawn from random_state before any tree grows, and its bootstrap and feature samples from
// that seed, with scikit-learn's generators: a fitted forest does not depend on the thread
// count, and with the same random_state it grows scikit-learn's trees. A bootstrap is a weight
// per row (how often it was drawn), not a copy of X. Left out: warm_start, the class_weight dict form, sample_weight in
// fit, multi-output targets; verbose is accepted and ignored. oob_score_ and
// oob_decision_function_ / oob_prediction_ are not saved by ml::save.
#include <vector>

#include "soma/ml/tree.h"

namespace soma::ml {

template <bool kClassifier, bool kExtraTrees>
struct ForestOptions {
  int64_t n_estimators = 100;
  std::string criterion = kClassifier ? "gini" : "squared_error";
  std::optional<int64_t> max_depth = std::nullopt;
  ParamValue min_samples_split = int64_t{2};
  ParamValue min_samples_leaf = int64_t{1};
  double min_weight_fraction_leaf = 0.0;
  // 'sqrt' for classifiers and 1.0 (all features) for regressors, as in scikit-learn 1.2.
  ParamValue max_features = kClassifier ? ParamValue(std::string("sqrt")) : ParamValue(1.0);
  std::optional<int64_t> max_leaf_nodes = std::nullopt;
  double min_impurity_decrease = 0.0;
  bool bootstrap = !kExtraTrees;
  bool oob_score = false;                        // needs bootstrap
  std::optional<int64_t> n_jobs = std::nullopt;  // -1: all of soma's threads
  std::optional<int64_t> random_state = std::nullopt;
  int64_t verbose = 0;
  ParamValue class_weight = None;  // classifiers: None, 'balanced' or 'balanced_subsample'
  double ccp_alpha = 0.0;
  ParamValue max_samples = None;  // rows per bootstrap: None (all), an int or a fraction in (0, 1]
};

using RandomForestClassifierOptions = ForestOptions<true, false>;
using ExtraTreesClassifierOptions = ForestOptions<true, true>;
using RandomForestRegressorOptions = ForestOptions<false, false>;
using ExtraTreesRegressorOptions = ForestOptions<false, true>;

// The forest classifiers' shared implementation; kExtraTrees picks random splits.
template <bool kExtraTrees>
class ForestClassifier : public Classifier {
 public:
  ForestClassifier& fit(const Tensor& X, const Tensor& y) override;
  Tensor predict(const Tensor& X) const override;
  Tensor predict_proba(const Tensor& X) const override;  // the mean of the trees' probabilities
  StateDict fitted_state() const override;
  void load_fitted_state(const StateDict& state) override;

  std::vector<DecisionTreeClassifier> estimators_;
  int64_t n_classes_ = 0;
  Tensor feature_importances_;    // float64 [n_features]
  double oob_score_ = 0;          // with oob_score: the out-of-bag accuracy
  Tensor oob_decision_function_;  // float64 [n, n_classes] out-of-bag probabilities

 protected:
  void visit_params(ParamVisitor& v) override;
  void visit_fitted(const std::function<void(const char*, Tensor&)>& visit) override;
  void check_fitted_state() const override;
  DecisionTreeClassifier make_tree() const;
  ForestOptions<true, kExtraTrees> options_;
};

template <bool kExtraTrees>
class ForestRegressor : public Regressor {
 public:
  ForestRegressor& fit(const Tensor& X, const Tensor& y) override;
  Tensor predict(const Tensor& X) const override;  // the mean of the trees' predictions
  StateDict fitted_state() const override;
  void load_fitted_state(const StateDict& state) override;

  std::vector<DecisionTreeRegressor> estimators_;
  Tensor feature_importances_;
  double oob_score_ = 0;   // with oob_score: the out-of-bag R²
  Tensor oob_prediction_;  // float64 [n]

 protected:
  void visit_params(ParamVisitor& v) override;
  void visit_fitted(const std::function<void(const char*, Tensor&)>& visit) override;
  void check_fitted_state() const override;
  DecisionTreeRegressor make_tree() const;
  ForestOptions<false, kExtraTrees> options_;
};

class RandomForestClassifier : public Cloneable<RandomForestClassifier, ForestClassifier<false>> {
 public:
  explicit RandomForestClassifier(RandomForestClassifierOptions options = {}) { options_ = std::move(options); }
  std::string_view name() const override { return "RandomForestClassifier"; }
};

class ExtraTreesClassifier : public Cloneable<ExtraTreesClassifier, ForestClassifier<true>> {
 public:
  explicit ExtraTreesClassifier(ExtraTreesClassifierOptions options = {}) { options_ = std::move(options); }
  std::string_view name() const override { return "ExtraTreesClassifier"; }
};

class RandomForestRegressor : public Cloneable<RandomForestRegressor, ForestRegressor<false>> {
 public:
  explicit RandomForestRegressor(RandomForestRegressorOptions options = {}) { options_ = std::move(options); }
  std::string_view name() const override { return "RandomForestRegressor"; }
};

class ExtraTreesRegressor : public Cloneable<ExtraTreesRegressor, ForestRegressor<true>> {
 public:
  explicit ExtraTreesRegressor(ExtraTreesRegressorOptions options = {}) { options_ = std::move(options); }
  std::string_view name() const override { return "ExtraTreesRegressor"; }
};

}  // namespace soma::ml
