#pragma once
// Chaining estimators (scikit-learn's sklearn.pipeline): transformers followed by a final
// estimator, fitted and applied as one.
//
//   auto model = ml::make_pipeline(ml::StandardScaler(), ml::KNeighborsClassifier());
//   model.set_param("kneighborsclassifier__n_neighbors", int64_t{3});
//   model.fit(X_train, y_train);
//   double accuracy = model.score(X_test, y_test);
//
// Parameters are the steps' own under scikit-learn's nested names "<step>__<parameter>", plus
// "steps", the structure as text: "scaler=StandardScaler;knn=KNeighborsClassifier". Setting
// "steps" to a different structure replaces the steps by new default ones (what save/load uses
// to rebuild a pipeline); setting it to the current structure keeps them. Saved arrays are the
// steps' under "<step>.<array>". Left out: memory (no caching), verbose is accepted and ignored,
// 'passthrough' steps.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "soma/ml/estimator.h"

namespace soma::ml {

class Pipeline : public Estimator {
 public:
  using Step = std::pair<std::string, std::unique_ptr<Estimator>>;
  Pipeline() = default;
  // Every step but the last must be a Transformer; names must be distinct and must not contain
  // "__", '.', '=' or ';'.
  explicit Pipeline(std::vector<Step> steps);

  std::string_view name() const override { return "Pipeline"; }
  // Fits each transformer on the output of the previous one (fit_transform), then the last
  // step on the transformed rows.
  Pipeline& fit(const Tensor& X, const Tensor& y) override;
  Tensor predict(const Tensor& X) const override;
  // The last step's score on the transformed rows.
  double score(const Tensor& X, const Tensor& y) const override;
  // Available when the last step is a Classifier / a Transformer.
  Tensor predict_proba(const Tensor& X) const;
  Tensor decision_function(const Tensor& X) const;
  Tensor transform(const Tensor& X) const;
  std::unique_ptr<Estimator> clone() const override;

  const std::vector<Step>& steps() const { return steps_; }
  Estimator& named_step(std::string_view step) const;

  StateDict fitted_state() const override;
  void load_fitted_state(const StateDict& state) override;

 protected:
  void visit_params(ParamVisitor& visitor) override;
  void prepare_params(const Params& params) override;

 private:
  std::string structure() const;  // "name=Class;name=Class"
  void check_steps() const;
  // X through every step but the last (which must be fitted).
  Tensor transform_until_last(const Tensor& X, const char* method) const;
  const Estimator& last(const char* method) const;
  std::vector<Step> steps_;
  std::string structure_;  // the "steps" parameter's field
  bool verbose_ = false;
};

// A Pipeline whose step names are the lowercased class names ("standardscaler").
Pipeline make_pipeline(std::vector<std::unique_ptr<Estimator>> estimators);

template <class... E>
Pipeline make_pipeline(E&&... estimators) {
  std::vector<std::unique_ptr<Estimator>> list;
  (list.push_back(std::make_unique<std::decay_t<E>>(std::forward<E>(estimators))), ...);
  return make_pipeline(std::move(list));
}

}  // namespace soma::ml
