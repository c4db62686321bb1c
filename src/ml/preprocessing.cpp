// Preprocessing transformers (see soma/ml/preprocessing.h).
#include "soma/ml/preprocessing.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>

#include "soma/creation.h"
#include "soma/error.h"
#include "validation.h"

namespace soma::ml {
namespace {

constexpr double kEps = std::numeric_limits<double>::epsilon();

// X checked against the fitted feature count, as float64 [n, d].
Tensor checked_input(const Estimator& est, const Tensor& X, const char* method, bool allow_nan = false) {
  Tensor m = detail::check_matrix(X, std::string(est.name()) + "." + method, allow_nan);
  SOMA_CHECK(est.fitted(), "{}.{}: this {} is not fitted yet; call fit first", est.name(), method, est.name());
  SOMA_CHECK(m.size(1) == est.n_features_in_, "{}.{}: X has shape {}, but this estimator was fitted with {} features",
             est.name(), method, X.shape(), est.n_features_in_);
  return m;
}

void check_vector_state(const Estimator& est, const Tensor& t, const char* name) {
  SOMA_CHECK(t.dtype() == kFloat64 && t.shape() == Shape({est.n_features_in_}), "{}: {} must be float64 [{}]",
             est.name(), name, est.n_features_in_);
}

void check_finite_state(const Estimator& est, const Tensor& t, const char* name, bool positive = false) {
  for (double v : t.to_vector<double>())
    SOMA_CHECK(std::isfinite(v) && (!positive || v > 0), "{}: {} must be finite{}", est.name(), name,
               positive ? " and positive" : "");
}

// out[i, j] = f(x[i, j], j) over a [n, d] float64 matrix.
template <class F>
Tensor map_columns(const Tensor& X, F f) {
  int64_t n = X.size(0), d = X.size(1);
  Tensor out = empty({n, d}, kFloat64);
  const double* x = X.data<double>();
  double* o = out.data<double>();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) o[i * d + j] = f(x[i * d + j], j);
  return out;
}

}  // namespace

// ---- StandardScaler -------------------------------------------------------------------------

void StandardScaler::visit_params(ParamVisitor& v) {
  v.visit("copy", &options_.copy, boolean());
  v.visit("with_mean", &options_.with_mean, boolean());
  v.visit("with_std", &options_.with_std, boolean());
}

void StandardScaler::visit_fitted(const std::function<void(const char*, Tensor&)>& visit) {
  visit("mean_", mean_);
  visit("var_", var_);
  visit("scale_", scale_);
}

void StandardScaler::check_fitted_state() const {
  for (auto [t, name] : {std::pair{&mean_, "mean_"}, {&var_, "var_"}, {&scale_, "scale_"}}) {
    check_vector_state(*this, *t, name);
    check_finite_state(*this, *t, name, t == &scale_);
  }
}

StandardScaler& StandardScaler::fit(const Tensor& X_in, const Tensor&) {
  Tensor X = detail::check_matrix(X_in, "StandardScaler.fit");
  int64_t n = X.size(0), d = X.size(1);
  const double* x = X.data<double>();
  std::vector<double> mean(d, 0), var(d, 0), scale(d), correction(d, 0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) mean[j] += x[i * d + j];
  const double count = static_cast<double>(n);
  for (double& m : mean) m /= count;
  // scikit-learn's two-pass variance with its correction term for the rounding of the mean.
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) {
      double t = x[i * d + j] - mean[j];
      correction[j] += t;
      var[j] += t * t;
    }
  for (int64_t j = 0; j < d; ++j) {
    var[j] = (var[j] - correction[j] * correction[j] / count) / count;
    // A constant column (variance within rounding of zero) keeps its values' spread: scale 1.
    double bound = count * kEps * var[j] + (count * mean[j] * kEps) * (count * mean[j] * kEps);
    scale[j] = var[j] <= bound ? 1.0 : std::sqrt(var[j]);
  }
  mean_ = from_vector(mean);
  var_ = from_vector(var);
  scale_ = from_vector(scale);
  n_samples_seen_ = n;
  n_features_in_ = d;
  return *this;
}

Tensor StandardScaler::transform(const Tensor& X_in) const {
  Tensor X = checked_input(*this, X_in, "transform");
  const double* mean = mean_.data<double>();
  const double* scale = scale_.data<double>();
  bool center = options_.with_mean, divide = options_.with_std;
  return map_columns(X, [&](double v, int64_t j) {
    if (center) v -= mean[j];
    return divide ? v / scale[j] : v;
  });
}

Tensor StandardScaler::inverse_transform(const Tensor& X_in) const {
  Tensor X = checked_input(*this, X_in, "inverse_transform");
  const double* mean = mean_.data<double>();
  const double* scale = scale_.data<double>();
  bool center = options_.with_mean, divide = options_.with_std;
  return map_columns(X, [&](double v, int64_t j) {
    if (divide) v *= scale[j];
    return center ? v + mean[j] : v;
  });
}

// ---- MinMaxScaler ---------------------------------------------------------------------------

void MinMaxScaler::visit_params(ParamVisitor& v) {
  v.visit("feature_range", &options_.feature_range, Constraint{.any_text = true});
  v.visit("copy", &options_.copy, boolean());
  v.visit("clip", &options_.clip, boolean());
}

void MinMaxScaler::visit_fitted(const std::function<void(const char*, Tensor&)>& visit) {
  visit("min_", min_);
  visit("scale_", scale_);
  visit("data_min_", data_min_);
  visit("data_max_", data_max_);
  visit("data_range_", data_range_);
}

void MinMaxScaler::check_fitted_state() const {
  for (auto [t, name] : {std::pair{&min_, "min_"}, {&scale_, "scale_"}, {&data_min_, "data_min_"},
                         {&data_max_, "data_max_"}, {&data_range_, "data_range_"}}) {
    check_vector_state(*this, *t, name);
    check_finite_state(*this, *t, name, t == &scale_);
  }
}

std::pair<double, double> MinMaxScaler::range(std::string_view who) const {
  // "(low, high)": two numbers between optional parentheses, separated by a comma.
  std::string text;
  for (char c : options_.feature_range)
    if (c != '(' && c != ')' && c != ' ') text += c;
  size_t comma = text.find(',');
  double low = 0, high = 0;
  bool ok = comma != std::string::npos;
  if (ok) {
    auto a = std::from_chars(text.data(), text.data() + comma, low);
    auto b = std::from_chars(text.data() + comma + 1, text.data() + text.size(), high);
    ok = a.ec == std::errc() && a.ptr == text.data() + comma && b.ec == std::errc() &&
         b.ptr == text.data() + text.size() && std::isfinite(low) && std::isfinite(high);
  }
  SOMA_CHECK(ok, "{}: feature_range must be two numbers '(min, max)'; got '{}'", who, options_.feature_range);
  SOMA_CHECK(low < high, "{}: Minimum of desired feature range must be smaller than maximum. Got {}", who,
             options_.feature_range);
  return {low, high};
}

MinMaxScaler& MinMaxScaler::fit(const Tensor& X_in, const Tensor&) {
  auto [low, high] = range("MinMaxScaler.fit");
  Tensor X = detail::check_matrix(X_in, "MinMaxScaler.fit");
  int64_t n = X.size(0), d = X.size(1);
  const double* x = X.data<double>();
  std::vector<double> lo(x, x + d), hi(x, x + d), span(d), scale(d), min(d);
  for (int64_t i = 1; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) {
      lo[j] = std::min(lo[j], x[i * d + j]);
      hi[j] = std::max(hi[j], x[i * d + j]);
    }
  for (int64_t j = 0; j < d; ++j) {
    span[j] = hi[j] - lo[j];
    // A constant column (range within rounding of zero) is divided by 1, not by 0.
    scale[j] = (high - low) / (span[j] < 10 * kEps ? 1.0 : span[j]);
    min[j] = low - lo[j] * scale[j];
  }
  min_ = from_vector(min);
  scale_ = from_vector(scale);
  data_min_ = from_vector(lo);
  data_max_ = from_vector(hi);
  data_range_ = from_vector(span);
  n_samples_seen_ = n;
  n_features_in_ = d;
  return *this;
}

Tensor MinMaxScaler::transform(const Tensor& X_in) const {
  Tensor X = checked_input(*this, X_in, "transform");
  auto [low, high] = range("MinMaxScaler.transform");
  const double* min = min_.data<double>();
  const double* scale = scale_.data<double>();
  bool clip = options_.clip;
  return map_columns(X, [&](double v, int64_t j) {
    double out = v * scale[j] + min[j];
    return clip ? std::clamp(out, low, high) : out;
  });
}

Tensor MinMaxScaler::inverse_transform(const Tensor& X_in) const {
  Tensor X = checked_input(*this, X_in, "inverse_transform");
  const double* min = min_.data<double>();
  const double* scale = scale_.data<double>();
  return map_columns(X, [&](double v, int64_t j) { return (v - min[j]) / scale[j]; });
}

// ---- SimpleImputer --------------------------------------------------------------------------

void SimpleImputer::visit_params(ParamVisitor& v) {
  Constraint any_number{.real = Interval{}, .nan = true};
  v.visit("missing_values", &options_.missing_values, any_number);
  v.visit("strategy", &options_.strategy, one_of({"mean", "median", "most_frequent", "constant"}));
  Constraint fill{.none = true, .real = Interval{}};
  v.visit("fill_value", &options_.fill_value, fill);
  v.visit("copy", &options_.copy, boolean());
}

void SimpleImputer::visit_fitted(const std::function<void(const char*, Tensor&)>& visit) {
  visit("statistics_", statistics_);
}

void SimpleImputer::check_fitted_state() const {
  check_vector_state(*this, statistics_, "statistics_");
  for (double v : statistics_.to_vector<double>())
    SOMA_CHECK(!std::isinf(v), "SimpleImputer: statistics_ must be finite or NaN");
}

bool SimpleImputer::is_missing(double v) const {
  return std::isnan(options_.missing_values) ? std::isnan(v) : v == options_.missing_values;
}

SimpleImputer& SimpleImputer::fit(const Tensor& X_in, const Tensor&) {
  Tensor X = detail::check_matrix(X_in, "SimpleImputer.fit", std::isnan(options_.missing_values));
  int64_t n = X.size(0), d = X.size(1);
  const double* x = X.data<double>();
  const std::string& strategy = options_.strategy;
  std::vector<double> stats(d, std::numeric_limits<double>::quiet_NaN());
  std::vector<double> column;
  for (int64_t j = 0; j < d; ++j) {
    if (strategy == "constant") {
      stats[j] = options_.fill_value.value_or(0.0);
      continue;
    }
    column.clear();
    for (int64_t i = 0; i < n; ++i)
      if (!is_missing(x[i * d + j])) column.push_back(x[i * d + j]);
    if (column.empty()) continue;  // no observed value: NaN, dropped by transform
    size_t m = column.size();
    if (strategy == "mean") {
      double sum = 0;
      for (double v : column) sum += v;
      stats[j] = sum / static_cast<double>(m);
    } else if (strategy == "median") {
      std::sort(column.begin(), column.end());
      stats[j] = m % 2 ? column[m / 2] : (column[m / 2 - 1] + column[m / 2]) / 2;
    } else {  // most_frequent: the smallest of the most frequent values
      std::sort(column.begin(), column.end());
      size_t best_count = 0;
      for (size_t a = 0; a < m;) {
        size_t b = a;
        while (b < m && column[b] == column[a]) ++b;
        if (b - a > best_count) {
          best_count = b - a;
          stats[j] = column[a];
        }
        a = b;
      }
    }
  }
  statistics_ = from_vector(stats);
  n_features_in_ = d;
  return *this;
}

Tensor SimpleImputer::transform(const Tensor& X_in) const {
  Tensor X = checked_input(*this, X_in, "transform", std::isnan(options_.missing_values));
  int64_t n = X.size(0), d = X.size(1);
  const double* x = X.data<double>();
  const double* stats = statistics_.data<double>();
  std::vector<int64_t> kept;
  for (int64_t j = 0; j < d; ++j)
    if (!std::isnan(stats[j]) || options_.strategy == "constant") kept.push_back(j);
  int64_t w = static_cast<int64_t>(kept.size());
  Tensor out = empty({n, w}, kFloat64);
  double* o = out.data<double>();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t c = 0; c < w; ++c) {
      double v = x[i * d + kept[c]];
      o[i * w + c] = is_missing(v) ? stats[kept[c]] : v;
    }
  return out;
}

// ---- PolynomialFeatures ---------------------------------------------------------------------

void PolynomialFeatures::visit_params(ParamVisitor& v) {
  v.visit("degree", &options_.degree, int_in(at_least(0)));
  v.visit("interaction_only", &options_.interaction_only, boolean());
  v.visit("include_bias", &options_.include_bias, boolean());
  v.visit("order", &options_.order, one_of({"C", "F"}));
}

void PolynomialFeatures::visit_fitted(const std::function<void(const char*, Tensor&)>& visit) {
  visit("powers_", powers_);
}

void PolynomialFeatures::check_fitted_state() const {
  SOMA_CHECK(powers_.dtype() == kInt64 && powers_.dim() == 2 && powers_.size(1) == n_features_in_,
             "PolynomialFeatures: powers_ must be int64 [n_output_features, {}]", n_features_in_);
  for (int64_t p : powers_.to_vector<int64_t>())
    SOMA_CHECK(p >= 0 && p <= 64, "PolynomialFeatures: powers_ holds {}, outside [0, 64]", p);
  const_cast<int64_t&>(n_output_features_) = powers_.size(0);
}

PolynomialFeatures& PolynomialFeatures::fit(const Tensor& X_in, const Tensor&) {
  Tensor X = detail::check_matrix(X_in, "PolynomialFeatures.fit");
  int64_t d = X.size(1), degree = options_.degree;
  SOMA_CHECK(degree > 0 || options_.include_bias,
             "PolynomialFeatures.fit: Setting degree to zero and include_bias to False would result in an empty "
             "output array");
  double count = 0;  // C(d + deg - 1, deg) (or C(d, deg)) summed over the degrees
  for (int64_t deg = options_.include_bias ? 0 : 1; deg <= degree; ++deg) {
    double c = 1;
    for (int64_t t = 0; t < deg; ++t)
      c = c * static_cast<double>(options_.interaction_only ? d - t : d + t) / static_cast<double>(t + 1);
    count += c;
  }
  SOMA_CHECK(count * static_cast<double>(d) <= 1e8,
             "PolynomialFeatures.fit: degree {} with {} features gives {} output features, too many", degree, d, count);
  // Index combinations (with repetition unless interaction_only) of each degree, in
  // lexicographic order, as itertools.combinations(_with_replacement).
  std::vector<int64_t> powers;
  std::vector<int64_t> combo;
  auto emit = [&] {
    std::vector<int64_t> row(d, 0);
    for (int64_t f : combo) ++row[f];
    powers.insert(powers.end(), row.begin(), row.end());
  };
  for (int64_t deg = options_.include_bias ? 0 : 1; deg <= degree; ++deg) {
    if (options_.interaction_only && deg > d) break;
    combo.assign(deg, 0);
    if (options_.interaction_only)
      for (int64_t t = 0; t < deg; ++t) combo[t] = t;
    while (true) {
      emit();
      // The next combination: raise the rightmost position that can still grow.
      int64_t pos = deg - 1;
      while (pos >= 0 && combo[pos] == (options_.interaction_only ? d - deg + pos : d - 1)) --pos;
      if (pos < 0) break;
      ++combo[pos];
      for (int64_t t = pos + 1; t < deg; ++t) combo[t] = options_.interaction_only ? combo[t - 1] + 1 : combo[pos];
    }
  }
  n_output_features_ = static_cast<int64_t>(powers.size()) / d;
  powers_ = from_vector(powers, {n_output_features_, d});
  n_features_in_ = d;
  return *this;
}

Tensor PolynomialFeatures::transform(const Tensor& X_in) const {
  Tensor X = checked_input(*this, X_in, "transform");
  int64_t n = X.size(0), d = X.size(1), m = powers_.size(0);
  const double* x = X.data<double>();
  const int64_t* powers = powers_.data<int64_t>();
  Tensor out = empty({n, m}, kFloat64);
  double* o = out.data<double>();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t c = 0; c < m; ++c) {
      // The features multiplied in index order, as scikit-learn builds each column.
      double v = 1.0;
      for (int64_t f = 0; f < d; ++f)
        for (int64_t p = 0; p < powers[c * d + f]; ++p) v *= x[i * d + f];
      o[i * m + c] = v;
    }
  return out;
}

// ---- OneHotEncoder --------------------------------------------------------------------------

void OneHotEncoder::visit_params(ParamVisitor& v) {
  v.visit("categories", &options_.categories, one_of({"auto"}));
  Constraint drop = one_of({"first", "if_binary"});
  drop.none = true;
  v.visit("drop", &options_.drop, drop);
  v.visit("sparse_output", &options_.sparse_output, boolean());
  v.visit("handle_unknown", &options_.handle_unknown, one_of({"error", "ignore"}));
}

int64_t OneHotEncoder::n_output() const {
  int64_t total = 0;
  const int64_t* drop = drop_idx_.data<int64_t>();
  for (size_t j = 0; j < categories_.size(); ++j) total += categories_[j].size(0) - (drop[j] >= 0 ? 1 : 0);
  return total;
}

OneHotEncoder& OneHotEncoder::fit(const Tensor& X_in, const Tensor&) {
  SOMA_CHECK(!options_.sparse_output,
             "OneHotEncoder.fit: sparse_output=True is not supported (soma has no sparse matrices); "
             "set sparse_output=False");
  Tensor X = detail::check_matrix(X_in, "OneHotEncoder.fit");
  int64_t n = X.size(0), d = X.size(1);
  const double* x = X.data<double>();
  categories_.clear();
  std::vector<int64_t> drop(d, -1);
  for (int64_t j = 0; j < d; ++j) {
    std::vector<double> values(n);
    for (int64_t i = 0; i < n; ++i) values[i] = x[i * d + j] == 0 ? 0.0 : x[i * d + j];  // -0 is 0
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    if (options_.drop == ParamValue(std::string("first"))) drop[j] = 0;
    if (options_.drop == ParamValue(std::string("if_binary")) && values.size() == 2) drop[j] = 0;
    categories_.push_back(from_vector(values));
  }
  drop_idx_ = from_vector(drop);
  n_features_in_ = d;
  return *this;
}

Tensor OneHotEncoder::transform(const Tensor& X_in) const {
  Tensor X = checked_input(*this, X_in, "transform");
  int64_t n = X.size(0), d = X.size(1), width = n_output();
  const double* x = X.data<double>();
  const int64_t* drop = drop_idx_.data<int64_t>();
  Tensor out = zeros({n, width}, kFloat64);
  double* o = out.data<double>();
  int64_t offset = 0;
  for (int64_t j = 0; j < d; ++j) {
    const double* cats = categories_[j].data<double>();
    int64_t k = categories_[j].size(0);
    for (int64_t i = 0; i < n; ++i) {
      double v = x[i * d + j];
      int64_t c = std::lower_bound(cats, cats + k, v) - cats;
      if (c == k || cats[c] != v) {
        SOMA_CHECK(options_.handle_unknown == "ignore",
                   "OneHotEncoder.transform: Found unknown categories [{}] in column {} during transform "
                   "(set handle_unknown='ignore' to encode them as zeros)", v, j);
        continue;
      }
      if (c == drop[j]) continue;
      o[i * width + offset + c - (drop[j] >= 0 && c > drop[j] ? 1 : 0)] = 1.0;
    }
    offset += k - (drop[j] >= 0 ? 1 : 0);
  }
  return out;
}

Tensor OneHotEncoder::inverse_transform(const Tensor& X_in) const {
  SOMA_CHECK(fitted(), "OneHotEncoder.inverse_transform: this OneHotEncoder is not fitted yet; call fit first");
  Tensor X = detail::check_matrix(X_in, "OneHotEncoder.inverse_transform");
  int64_t n = X.size(0), d = n_features_in_, width = n_output();
  SOMA_CHECK(X.size(1) == width, "OneHotEncoder.inverse_transform: X has shape {}, expected {} columns", X.shape(), width);
  const double* x = X.data<double>();
  const int64_t* drop = drop_idx_.data<int64_t>();
  Tensor out = empty({n, d}, kFloat64);
  double* o = out.data<double>();
  int64_t offset = 0;
  for (int64_t j = 0; j < d; ++j) {
    const double* cats = categories_[j].data<double>();
    int64_t k = categories_[j].size(0), w = k - (drop[j] >= 0 ? 1 : 0);
    for (int64_t i = 0; i < n; ++i) {
      const double* group = x + i * width + offset;
      int64_t best = -1;
      for (int64_t c = 0; c < w; ++c)
        if (group[c] != 0 && (best < 0 || group[c] > group[best])) best = c;
      double value = std::numeric_limits<double>::quiet_NaN();
      if (best >= 0) value = cats[best + (drop[j] >= 0 && best >= drop[j] ? 1 : 0)];
      else if (drop[j] >= 0) value = cats[drop[j]];
      o[i * d + j] = value;
    }
    offset += w;
  }
  return out;
}

StateDict OneHotEncoder::fitted_state() const {
  SOMA_CHECK(fitted(), "OneHotEncoder: cannot save an estimator that is not fitted; call fit first");
  StateDict state;
  state["n_features_in_"] = scalar_tensor(n_features_in_, kInt64);
  state["drop_idx_"] = drop_idx_;
  for (size_t j = 0; j < categories_.size(); ++j) state["categories_." + std::to_string(j)] = categories_[j];
  return state;
}

void OneHotEncoder::load_fitted_state(const StateDict& state) {
  auto get = [&](const std::string& key) -> const Tensor& {
    auto it = state.find(key);
    SOMA_CHECK(it != state.end(), "OneHotEncoder: the saved state has no '{}'", key);
    return it->second;
  };
  const Tensor& n = get("n_features_in_");
  SOMA_CHECK(n.dim() == 0 && n.dtype() == kInt64 && n.item<int64_t>() > 0 && n.item<int64_t>() < (1 << 20),
             "OneHotEncoder: saved 'n_features_in_' must be a positive int64 scalar");
  int64_t d = n.item<int64_t>();
  SOMA_CHECK(static_cast<int64_t>(state.size()) == d + 2, "OneHotEncoder: the saved state must hold {} arrays", d + 2);
  const Tensor& drop = get("drop_idx_");
  SOMA_CHECK(drop.dtype() == kInt64 && drop.shape() == Shape({d}), "OneHotEncoder: drop_idx_ must be int64 [{}]", d);
  std::vector<Tensor> cats;
  std::vector<int64_t> drops = drop.to_vector<int64_t>();
  for (int64_t j = 0; j < d; ++j) {
    const Tensor& c = get("categories_." + std::to_string(j));
    SOMA_CHECK(c.dtype() == kFloat64 && c.dim() == 1 && c.size(0) >= 1,
               "OneHotEncoder: categories_.{} must be float64 [n_categories]", j);
    std::vector<double> v = c.to_vector<double>();
    for (size_t t = 0; t < v.size(); ++t)
      SOMA_CHECK(std::isfinite(v[t]) && (t == 0 || v[t - 1] < v[t]),
                 "OneHotEncoder: categories_.{} must be finite, sorted and distinct", j);
    SOMA_CHECK(drops[j] >= -1 && drops[j] < c.size(0), "OneHotEncoder: drop_idx_[{}] = {} is out of range", j, drops[j]);
    cats.push_back(c.clone());
  }
  categories_ = std::move(cats);
  drop_idx_ = drop.clone();
  n_features_in_ = d;
}

// ---- LabelEncoder ---------------------------------------------------------------------------

void LabelEncoder::visit_fitted(const std::function<void(const char*, Tensor&)>& visit) {
  visit("classes_", classes_);
}

void LabelEncoder::check_fitted_state() const {
  SOMA_CHECK(classes_.dtype() == kInt64 && classes_.dim() == 1 && classes_.size(0) >= 1,
             "LabelEncoder: classes_ must be int64 [n_classes]");
  std::vector<int64_t> c = classes_.to_vector<int64_t>();
  for (size_t t = 1; t < c.size(); ++t) SOMA_CHECK(c[t - 1] < c[t], "LabelEncoder: classes_ must be sorted and distinct");
}

LabelEncoder& LabelEncoder::fit(const Tensor& y, const Tensor&) {
  SOMA_CHECK(y.defined(), "LabelEncoder.fit: y is undefined");
  SOMA_CHECK(y.dim() >= 1 && y.size(0) > 0, "LabelEncoder.fit: y must be a non-empty 1-D array; got shape {}", y.shape());
  classes_ = detail::encode_labels(y, y.size(0), "LabelEncoder.fit", true).classes;
  n_features_in_ = 1;  // one column of labels (what fitted() tests)
  return *this;
}

Tensor LabelEncoder::transform(const Tensor& y) const {
  SOMA_CHECK(fitted(), "LabelEncoder.transform: this LabelEncoder is not fitted yet; call fit first");
  SOMA_CHECK(y.defined() && y.dim() >= 1, "LabelEncoder.transform: expected y as a 1-D array");
  int64_t n = y.size(0);
  if (n == 0) return empty({0}, kInt64);
  // Labels are checked as in fit; one class is enough here.
  detail::EncodedLabels labels = detail::encode_labels(y, n, "LabelEncoder.transform", true);
  std::vector<int64_t> mine = classes_.to_vector<int64_t>(), seen = labels.classes.to_vector<int64_t>();
  std::vector<int64_t> map(seen.size());
  for (size_t c = 0; c < seen.size(); ++c) {
    auto it = std::lower_bound(mine.begin(), mine.end(), seen[c]);
    SOMA_CHECK(it != mine.end() && *it == seen[c], "LabelEncoder.transform: y contains previously unseen labels: [{}]",
               seen[c]);
    map[c] = it - mine.begin();
  }
  std::vector<int64_t> out(n);
  for (int64_t i = 0; i < n; ++i) out[i] = map[labels.codes[i]];
  return from_vector(out, {n});
}

Tensor LabelEncoder::inverse_transform(const Tensor& codes) const {
  SOMA_CHECK(fitted(), "LabelEncoder.inverse_transform: this LabelEncoder is not fitted yet; call fit first");
  SOMA_CHECK(codes.defined() && codes.dim() == 1, "LabelEncoder.inverse_transform: expected a 1-D array of codes");
  std::vector<int64_t> c = codes.to(kInt64).to_vector<int64_t>();
  int64_t k = classes_.size(0);
  for (int64_t v : c)
    SOMA_CHECK(v >= 0 && v < k, "LabelEncoder.inverse_transform: y contains previously unseen labels: [{}]", v);
  return detail::decode_labels(classes_, c);
}

}  // namespace soma::ml
