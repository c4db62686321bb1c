// Input checks for the estimators (see validation.h).
#include "validation.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "soma/creation.h"
#include "soma/error.h"

namespace soma::ml::detail {
namespace {

template <class T>
void check_finite(const Tensor& m, std::string_view who, bool allow_nan) {
  const T* p = m.data<T>();
  int64_t n = m.numel();
  bool bad = false;
  for (int64_t i = 0; i < n; ++i) bad |= !std::isfinite(p[i]) && !(allow_nan && std::isnan(p[i]));
  if (!bad) return;
  for (int64_t i = 0; i < n; ++i) {
    if (std::isnan(p[i]) && !allow_nan)
      SOMA_FAIL("{}: input X contains NaN (row {}, column {}); this estimator does not accept missing values "
                "(impute them first, e.g. with SimpleImputer)", who, i / m.size(1), i % m.size(1));
    if (std::isinf(p[i])) SOMA_FAIL("{}: input X contains infinity (row {}, column {})", who, i / m.size(1), i % m.size(1));
  }
}

Tensor check_matrix_as(const Tensor& X, std::string_view who, bool allow_nan, DType dtype) {
  SOMA_CHECK(X.defined(), "{}: X is undefined", who);
  SOMA_CHECK(X.dim() == 2, "{}: expected X as a 2-D array [n_samples, n_features], got shape {}", who, X.shape());
  SOMA_CHECK(X.size(0) > 0, "{}: X has 0 samples (shape {}); at least 1 is required", who, X.shape());
  SOMA_CHECK(X.size(1) > 0, "{}: X has 0 features (shape {}); at least 1 is required", who, X.shape());
  SOMA_CHECK(X.dtype() != kBool, "{}: X has dtype bool; expected a numeric dtype", who);
  Tensor m = X.detach().to(dtype).contiguous();
  if (dtype == kFloat64) check_finite<double>(m, who, allow_nan);
  else check_finite<float>(m, who, allow_nan);
  return m;
}

Tensor check_vector(const Tensor& y, int64_t n, std::string_view who) {
  SOMA_CHECK(y.defined(), "{}: y is undefined; this estimator needs targets", who);
  SOMA_CHECK(y.dim() == 1 || (y.dim() == 2 && y.size(1) == 1),
             "{}: expected y as a 1-D array [n_samples], got shape {}", who, y.shape());
  SOMA_CHECK(y.size(0) == n, "{}: X has {} samples but y has {}", who, n, y.size(0));
  return y.reshape({n});
}

}  // namespace

Tensor check_matrix(const Tensor& X, std::string_view who, bool allow_nan) {
  return check_matrix_as(X, who, allow_nan, kFloat64);
}

Tensor check_matrix_f32(const Tensor& X, std::string_view who, bool allow_nan) {
  return check_matrix_as(X, who, allow_nan, kFloat32);
}

Tensor check_targets(const Tensor& y, int64_t n, std::string_view who) {
  Tensor v = check_vector(y, n, who).detach().to(kFloat64).contiguous();
  const double* p = v.data<double>();
  for (int64_t i = 0; i < n; ++i)
    SOMA_CHECK(std::isfinite(p[i]), "{}: y contains {} (sample {})", who, std::isnan(p[i]) ? "NaN" : "infinity", i);
  return v;
}

EncodedLabels encode_labels(const Tensor& y, int64_t n, std::string_view who, bool allow_one_class) {
  Tensor v = check_vector(y, n, who).detach();
  std::vector<int64_t> labels;
  if (v.is_floating_point()) {
    std::vector<double> values = v.to_vector<double>();
    labels.resize(n);
    for (int64_t i = 0; i < n; ++i) {
      SOMA_CHECK(std::isfinite(values[i]) && values[i] == std::floor(values[i]) && std::fabs(values[i]) < 9.0e15,
                 "{}: Unknown label type: continuous (y[{}] = {}); a classifier needs class labels, "
                 "integers (use a regressor for continuous targets)", who, i, values[i]);
      labels[i] = static_cast<int64_t>(values[i]);
    }
  } else {
    labels = v.to(kInt64).to_vector<int64_t>();
  }
  std::vector<int64_t> classes = labels;
  std::sort(classes.begin(), classes.end());
  classes.erase(std::unique(classes.begin(), classes.end()), classes.end());
  SOMA_CHECK(allow_one_class || classes.size() >= 2,
             "{}: y has only one class ({}); a classifier needs samples of at least 2 classes", who, classes[0]);
  EncodedLabels out;
  out.codes.resize(n);
  for (int64_t i = 0; i < n; ++i)
    out.codes[i] = std::lower_bound(classes.begin(), classes.end(), labels[i]) - classes.begin();
  out.classes = from_vector(classes);
  return out;
}

uint64_t resolve_seed(const std::optional<int64_t>& random_state) {
  if (random_state) return static_cast<uint64_t>(*random_state);
  std::random_device device;
  return (static_cast<uint64_t>(device()) << 32) | device();
}

Tensor decode_labels(const Tensor& classes, const std::vector<int64_t>& codes) {
  const int64_t* c = classes.data<int64_t>();
  std::vector<int64_t> out(codes.size());
  for (size_t i = 0; i < codes.size(); ++i) out[i] = c[codes[i]];
  return from_vector(out);
}

}  // namespace soma::ml::detail
