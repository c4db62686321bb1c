// The estimator interface's shared behaviour (see soma/ml/estimator.h).
#include "soma/ml/estimator.h"

#include <cmath>
#include <set>

#include "soma/creation.h"
#include "soma/error.h"
#include "validation.h"

namespace soma::ml {
namespace {

class Reader : public ParamVisitor {
 public:
  void visit(const char* name, ParamField field, const Constraint&) override { params[name] = read_field(field); }
  Params params;
};

// Checks every given parameter against its constraint; with `apply`, writes them.
class Writer : public ParamVisitor {
 public:
  Writer(std::string_view estimator, const Params& params, bool apply)
      : estimator_(estimator), params_(params), apply_(apply) {}
  void visit(const char* name, ParamField field, const Constraint& constraint) override {
    known_.push_back(name);
    auto it = params_.find(name);
    if (it == params_.end()) return;
    SOMA_CHECK(constraint.accepts(it->second), "{}: parameter '{}' must be {}; got {}", estimator_, name,
               constraint.describe(), repr(it->second));
    if (apply_) write_field(field, it->second);
  }
  void check_names() const {
    for (const auto& [name, value] : params_) {
      if (std::find(known_.begin(), known_.end(), name) != known_.end()) continue;
      std::string list;
      for (const auto& k : known_) list += (list.empty() ? "" : ", ") + k;
      SOMA_FAIL("{}: unknown parameter '{}'; valid parameters are: {}", estimator_, name, list);
    }
  }

 private:
  std::string_view estimator_;
  const Params& params_;
  bool apply_;
  std::vector<std::string> known_;
};

}  // namespace

Params Estimator::get_params() const {
  Reader reader;
  // visit_params only reads through the fields here.
  const_cast<Estimator*>(this)->visit_params(reader);
  return reader.params;
}

Estimator& Estimator::set_params(const Params& params) {
  prepare_params(params);
  Writer check(name(), params, false);
  visit_params(check);
  check.check_names();
  Writer write(name(), params, true);
  visit_params(write);
  return *this;
}

Estimator& Estimator::set_param(const std::string& name, const ParamValue& value) {
  return set_params({{name, value}});
}

std::string Estimator::repr() const {
  std::string out = std::string(name()) + "(";
  bool first = true;
  for (const auto& [key, value] : get_params()) {
    out += (first ? "" : ", ") + key + "=" + ml::repr(value);
    first = false;
  }
  return out + ")";
}

StateDict Estimator::fitted_state() const {
  SOMA_CHECK(fitted(), "{}: cannot save an estimator that is not fitted; call fit first", name());
  StateDict state;
  state["n_features_in_"] = scalar_tensor(n_features_in_, kInt64);
  const_cast<Estimator*>(this)->visit_fitted([&](const char* key, Tensor& t) {
    SOMA_CHECK(t.defined(), "{}: fitted attribute '{}' is unset", name(), key);
    state[key] = t.contiguous();
  });
  return state;
}

void Estimator::load_fitted_state(const StateDict& state) {
  auto get = [&](const std::string& key) -> const Tensor& {
    auto it = state.find(key);
    SOMA_CHECK(it != state.end(), "{}: the saved state has no '{}'", name(), key);
    return it->second;
  };
  const Tensor& n = get("n_features_in_");
  SOMA_CHECK(n.dim() == 0 && n.dtype() == kInt64 && n.item<int64_t>() > 0,
             "{}: saved 'n_features_in_' must be a positive int64 scalar", name());
  std::set<std::string> expected{"n_features_in_"};
  visit_fitted([&](const char* key, Tensor& t) {
    expected.insert(key);
    t = get(key).clone();
  });
  for (const auto& [key, value] : state)
    SOMA_CHECK(expected.count(key), "{}: the saved state has an unexpected tensor '{}'", name(), key);
  n_features_in_ = n.item<int64_t>();
  check_fitted_state();
}

void Estimator::check_fitted(const Tensor& X, const char* method) const {
  SOMA_CHECK(fitted(), "{}.{}: this {} is not fitted yet; call fit first", name(), method, name());
  SOMA_CHECK(X.defined(), "{}.{}: X is undefined", name(), method);
  SOMA_CHECK(X.dim() == 2 && X.size(1) == n_features_in_,
             "{}.{}: X has shape {}, but this estimator was fitted with {} features", name(), method, X.shape(),
             n_features_in_);
}

double Classifier::score(const Tensor& X, const Tensor& y) const {
  Tensor pred = predict(X);
  auto who = std::string(name()) + ".score";
  Tensor truth = detail::check_targets(y, pred.size(0), who);
  const int64_t* p = pred.data<int64_t>();
  const double* t = truth.data<double>();
  int64_t correct = 0;
  for (int64_t i = 0; i < pred.size(0); ++i) correct += static_cast<double>(p[i]) == t[i];
  return static_cast<double>(correct) / static_cast<double>(pred.size(0));
}

Tensor Classifier::predict_proba(const Tensor&) const {
  SOMA_FAIL("{}: predict_proba is not available for this estimator", name());
}

Tensor Classifier::decision_function(const Tensor&) const {
  SOMA_FAIL("{}: decision_function is not available for this estimator", name());
}

double Regressor::score(const Tensor& X, const Tensor& y) const {
  Tensor pred = predict(X).to(kFloat64).contiguous();
  auto who = std::string(name()) + ".score";
  Tensor truth = detail::check_targets(y, pred.size(0), who);
  const double* p = pred.data<double>();
  const double* t = truth.data<double>();
  int64_t n = pred.size(0);
  double mean = 0;
  for (int64_t i = 0; i < n; ++i) mean += t[i];
  mean /= static_cast<double>(n);
  double residual = 0, total = 0;
  for (int64_t i = 0; i < n; ++i) {
    residual += (t[i] - p[i]) * (t[i] - p[i]);
    total += (t[i] - mean) * (t[i] - mean);
  }
  // scikit-learn's r2_score: a constant target gives 1 for a perfect fit, else 0.
  if (total == 0) return residual == 0 ? 1.0 : 0.0;
  return 1.0 - residual / total;
}

Tensor Transformer::fit_transform(const Tensor& X, const Tensor& y) {
  fit(X, y);
  return transform(X);
}

double Transformer::score(const Tensor&, const Tensor&) const {
  SOMA_FAIL("{}: score is not defined for this transformer", name());
}

Tensor Clusterer::fit_predict(const Tensor& X, const Tensor& y) {
  fit(X, y);
  return labels_;
}

}  // namespace soma::ml
