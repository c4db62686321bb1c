#pragma once
// The estimator interface, scikit-learn's: fit / predict / score, predict_proba and
// decision_function for classifiers, transform for transformers, get_params / set_params /
// clone by scikit-learn's parameter names.
//
//   ml::LogisticRegression model({.C = 0.5});
//   model.fit(X_train, y_train);          // X: [n, d] float32/float64, y: [n] labels
//   Tensor labels = model.predict(X_test);
//   double accuracy = model.score(X_test, y_test);
//
// X may be any numeric dtype; estimators compute in float64 unless they say otherwise. Class
// labels may be any integer values (or integral floats); they are kept, sorted, in classes_,
// and predict returns them (int64). Fitted attributes keep scikit-learn's names (coef_,
// classes_, n_features_in_, ...) and are public members, valid after fit.
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "soma/ml/params.h"
#include "soma/state_dict.h"
#include "soma/tensor.h"

namespace soma::ml {

class Estimator {
 public:
  virtual ~Estimator() = default;

  // scikit-learn's class name ("RandomForestClassifier").
  virtual std::string_view name() const = 0;

  // y is ignored (may be undefined) by unsupervised estimators.
  virtual Estimator& fit(const Tensor& X, const Tensor& y) = 0;
  virtual Tensor predict(const Tensor& X) const = 0;
  // Accuracy for classifiers, R² for regressors; other estimators say what they compute.
  virtual double score(const Tensor& X, const Tensor& y) const = 0;
  bool fitted() const { return n_features_in_ > 0; }

  Params get_params() const;
  // All-or-nothing: every name and value is checked before any is set.
  Estimator& set_params(const Params& params);
  Estimator& set_param(const std::string& name, const ParamValue& value);
  // A new, unfitted estimator with the same parameters.
  virtual std::unique_ptr<Estimator> clone() const = 0;
  // "Ridge(alpha=0.5, fit_intercept=True, ...)".
  std::string repr() const;

  // The fitted state as named tensors (what save() writes) and back. load_fitted_state checks
  // the tensors' names, dtypes and shapes and the estimator's invariants (a tree's child
  // indices, ...), so a crafted file is a soma::Error, never a crash.
  virtual StateDict fitted_state() const;
  virtual void load_fitted_state(const StateDict& state);

  int64_t n_features_in_ = 0;

 protected:
  // Lists the parameters (see ParamVisitor); const_cast-free: get_params copies through it.
  virtual void visit_params(ParamVisitor& visitor) = 0;
  // Called by set_params before any name is checked: a meta-estimator whose parameter names
  // depend on one of its parameters (a Pipeline's "steps" decide its "step__param" names)
  // rebuilds that structure here.
  virtual void prepare_params(const Params&) {}
  // A Pipeline lists its steps' parameters under "step__name" through their visit_params.
  friend class Pipeline;
  // Lists the fitted tensors (besides n_features_in_) for the default fitted_state /
  // load_fitted_state; scalars are 0-dim tensors.
  virtual void visit_fitted(const std::function<void(const char*, Tensor&)>& visit) {}
  // Checks the invariants of a loaded state; throws soma::Error.
  virtual void check_fitted_state() const {}
  // Throws "<Name>: this estimator is not fitted yet; call fit first" when it is not, and
  // checks X's feature count against n_features_in_.
  void check_fitted(const Tensor& X, const char* method) const;
};

class Classifier : public Estimator {
 public:
  double score(const Tensor& X, const Tensor& y) const override;  // accuracy
  // [n, n_classes] probabilities, columns in classes_ order.
  virtual Tensor predict_proba(const Tensor& X) const;
  // [n] for two classes (positive: classes_[1]), [n, n_classes] otherwise.
  virtual Tensor decision_function(const Tensor& X) const;
  Tensor classes_;  // int64 [n_classes], sorted
};

class Regressor : public Estimator {
 public:
  double score(const Tensor& X, const Tensor& y) const override;  // R²
};

class Transformer : public Estimator {
 public:
  virtual Tensor transform(const Tensor& X) const = 0;
  virtual Tensor fit_transform(const Tensor& X, const Tensor& y = Tensor());
  // Transformers' predict is transform; score is undefined for most (throws).
  Tensor predict(const Tensor& X) const override { return transform(X); }
  double score(const Tensor& X, const Tensor& y) const override;
};

class Clusterer : public Estimator {
 public:
  virtual Tensor fit_predict(const Tensor& X, const Tensor& y = Tensor());
  Tensor labels_;  // int64 [n] of the training rows
};

// Implements clone() for an estimator whose state is its parameters: a default-constructed
// Derived with the same parameters.
template <class Derived, class Base>
class Cloneable : public Base {
 public:
  using Base::Base;
  std::unique_ptr<Estimator> clone() const override {
    auto copy = std::make_unique<Derived>();
    copy->set_params(this->get_params());
    return copy;
  }
};

}  // namespace soma::ml
