// Pipelines (see soma/ml/pipeline.h).
#include "soma/ml/pipeline.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include <fmt/format.h>

#include "soma/error.h"
#include "soma/ml/persistence.h"

namespace soma::ml {
namespace {

// Passes a step's parameters on as "<step>__<name>".
class PrefixVisitor : public ParamVisitor {
 public:
  PrefixVisitor(ParamVisitor& inner, std::string prefix) : inner_(inner), prefix_(std::move(prefix)) {}
  void visit(const char* name, ParamField field, const Constraint& constraint) override {
    std::string full = prefix_ + name;  // the visitors copy the name during the call
    inner_.visit(full.c_str(), field, constraint);
  }

 private:
  ParamVisitor& inner_;
  std::string prefix_;
};

void check_step_name(const std::string& step) {
  SOMA_CHECK(!step.empty() && step.find("__") == std::string::npos && step.find_first_of(".=;") == std::string::npos,
             "Pipeline: step name '{}' must be non-empty and must not contain '__', '.', '=' or ';'", step);
  SOMA_CHECK(step != "steps" && step != "verbose" && step != "memory",
             "Pipeline: step name '{}' conflicts with a parameter of Pipeline", step);
}

}  // namespace

Pipeline::Pipeline(std::vector<Step> steps) : steps_(std::move(steps)) {
  check_steps();
  structure_ = structure();
}

void Pipeline::check_steps() const {
  std::set<std::string> names;
  for (size_t i = 0; i < steps_.size(); ++i) {
    const auto& [step, estimator] = steps_[i];
    check_step_name(step);
    SOMA_CHECK(names.insert(step).second, "Pipeline: step names must be distinct; '{}' appears twice", step);
    SOMA_CHECK(estimator != nullptr, "Pipeline: step '{}' holds no estimator", step);
    SOMA_CHECK(i + 1 == steps_.size() || dynamic_cast<const Transformer*>(estimator.get()),
               "Pipeline: all intermediate steps should be transformers; '{}' ({}) is not", step, estimator->name());
  }
}

std::string Pipeline::structure() const {
  std::string out;
  for (const auto& [step, estimator] : steps_) out += (out.empty() ? "" : ";") + step + "=" + std::string(estimator->name());
  return out;
}

void Pipeline::visit_params(ParamVisitor& visitor) {
  visitor.visit("steps", &structure_, Constraint{.any_text = true});
  visitor.visit("verbose", &verbose_, boolean());
  for (auto& [step, estimator] : steps_) {
    PrefixVisitor prefixed(visitor, step + "__");
    estimator->visit_params(prefixed);
  }
}

void Pipeline::prepare_params(const Params& params) {
  auto it = params.find("steps");
  if (it == params.end()) return;
  const auto* spec = std::get_if<std::string>(&it->second);
  if (!spec || *spec == structure()) return;  // a non-string is reported by the constraint check
  std::vector<Step> steps;
  size_t start = 0;
  while (start <= spec->size()) {
    size_t end = std::min(spec->find(';', start), spec->size());
    std::string item = spec->substr(start, end - start);
    size_t eq = item.find('=');
    SOMA_CHECK(eq != std::string::npos, "Pipeline: parameter 'steps' must be 'name=Class;name=Class'; got '{}'", *spec);
    steps.emplace_back(item.substr(0, eq), make_estimator(item.substr(eq + 1)));
    start = end + 1;
  }
  std::swap(steps_, steps);
  try {
    check_steps();
  } catch (const Error&) {
    std::swap(steps_, steps);
    throw;
  }
  structure_ = *spec;
  n_features_in_ = 0;  // new steps are unfitted
}

Estimator& Pipeline::named_step(std::string_view step) const {
  for (const auto& [name, estimator] : steps_)
    if (name == step) return *estimator;
  SOMA_FAIL("Pipeline: no step named '{}' (steps: {})", step, structure());
}

const Estimator& Pipeline::last(const char* method) const {
  SOMA_CHECK(!steps_.empty(), "Pipeline.{}: the pipeline has no steps", method);
  return *steps_.back().second;
}

Pipeline& Pipeline::fit(const Tensor& X, const Tensor& y) {
  SOMA_CHECK(!steps_.empty(), "Pipeline.fit: the pipeline has no steps");
  check_steps();
  Tensor Xt = X;
  for (size_t i = 0; i + 1 < steps_.size(); ++i) Xt = static_cast<Transformer&>(*steps_[i].second).fit_transform(Xt, y);
  steps_.back().second->fit(Xt, y);
  n_features_in_ = steps_.front().second->n_features_in_;
  return *this;
}

Tensor Pipeline::transform_until_last(const Tensor& X, const char* method) const {
  SOMA_CHECK(fitted(), "Pipeline.{}: this Pipeline is not fitted yet; call fit first", method);
  Tensor Xt = X;
  for (size_t i = 0; i + 1 < steps_.size(); ++i) Xt = static_cast<const Transformer&>(*steps_[i].second).transform(Xt);
  return Xt;
}

Tensor Pipeline::predict(const Tensor& X) const { return last("predict").predict(transform_until_last(X, "predict")); }

double Pipeline::score(const Tensor& X, const Tensor& y) const {
  return last("score").score(transform_until_last(X, "score"), y);
}

Tensor Pipeline::predict_proba(const Tensor& X) const {
  const auto* classifier = dynamic_cast<const Classifier*>(&last("predict_proba"));
  SOMA_CHECK(classifier, "Pipeline.predict_proba: the last step '{}' ({}) is not a classifier", steps_.back().first,
             steps_.back().second->name());
  return classifier->predict_proba(transform_until_last(X, "predict_proba"));
}

Tensor Pipeline::decision_function(const Tensor& X) const {
  const auto* classifier = dynamic_cast<const Classifier*>(&last("decision_function"));
  SOMA_CHECK(classifier, "Pipeline.decision_function: the last step '{}' ({}) is not a classifier",
             steps_.back().first, steps_.back().second->name());
  return classifier->decision_function(transform_until_last(X, "decision_function"));
}

Tensor Pipeline::transform(const Tensor& X) const {
  const auto* transformer = dynamic_cast<const Transformer*>(&last("transform"));
  SOMA_CHECK(transformer, "Pipeline.transform: the last step '{}' ({}) is not a transformer", steps_.back().first,
             steps_.back().second->name());
  return transformer->transform(transform_until_last(X, "transform"));
}

std::unique_ptr<Estimator> Pipeline::clone() const {
  std::vector<Step> steps;
  for (const auto& [step, estimator] : steps_) steps.emplace_back(step, estimator->clone());
  auto copy = std::make_unique<Pipeline>(std::move(steps));
  copy->verbose_ = verbose_;
  return copy;
}

StateDict Pipeline::fitted_state() const {
  SOMA_CHECK(fitted(), "Pipeline: cannot save a pipeline that is not fitted; call fit first");
  StateDict state;
  for (const auto& [step, estimator] : steps_)
    for (auto& [key, value] : estimator->fitted_state()) state[step + "." + key] = value;
  return state;
}

void Pipeline::load_fitted_state(const StateDict& state) {
  SOMA_CHECK(!steps_.empty(), "Pipeline: the pipeline has no steps to load into");
  std::map<std::string, StateDict> per_step;
  for (const auto& [key, value] : state) {
    size_t dot = key.find('.');
    std::string step = dot == std::string::npos ? key : key.substr(0, dot);
    SOMA_CHECK(dot != std::string::npos && std::any_of(steps_.begin(), steps_.end(), [&](const Step& s) {
                 return s.first == step;
               }), "Pipeline: the saved state has an unexpected tensor '{}'", key);
    per_step[step][key.substr(dot + 1)] = value;
  }
  for (auto& [step, estimator] : steps_) {
    try {
      estimator->load_fitted_state(per_step[step]);
    } catch (const Error& e) {
      throw Error("Pipeline: step '" + step + "': " + e.what());
    }
  }
  n_features_in_ = steps_.front().second->n_features_in_;
}

Pipeline make_pipeline(std::vector<std::unique_ptr<Estimator>> estimators) {
  // scikit-learn's names: the lowercased class name, with "-1", "-2", ... when it repeats.
  std::map<std::string, int> count;
  std::vector<std::string> names;
  for (const auto& e : estimators) {
    SOMA_CHECK(e != nullptr, "make_pipeline: an estimator is null");
    std::string lower(e->name());
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    names.push_back(lower);
    ++count[lower];
  }
  std::map<std::string, int> seen;
  std::vector<Pipeline::Step> steps;
  for (size_t i = 0; i < estimators.size(); ++i) {
    std::string step = names[i];
    if (count[step] > 1) step = fmt::format("{}-{}", names[i], ++seen[names[i]]);
    steps.emplace_back(step, std::move(estimators[i]));
  }
  return Pipeline(std::move(steps));
}

}  // namespace soma::ml
