// DBSCAN (see soma/ml/cluster.h), apart from the k-means family in cluster.cpp.
#include <algorithm>
#include <cmath>

#include "soma/creation.h"
#include "soma/error.h"
#include "soma/ml/cluster.h"
#include "validation.h"

namespace soma::ml {

void DBSCAN::visit_params(ParamVisitor& v) {
  v.visit("eps", &options_.eps, real_in(greater_than(0)));
  v.visit("min_samples", &options_.min_samples, int_in(at_least(1)));
  v.visit("metric", &options_.metric, one_of({"euclidean", "manhattan", "minkowski"}));
  v.visit("algorithm", &options_.algorithm, one_of({"auto", "ball_tree", "kd_tree", "brute"}));
  v.visit("leaf_size", &options_.leaf_size, int_in(at_least(1)));
  Constraint p{.none = true, .real = greater_than(0)};
  v.visit("p", &options_.p, p);
  v.visit("n_jobs", &options_.n_jobs, int_or_none({}));
}

void DBSCAN::visit_fitted(const std::function<void(const char*, Tensor&)>& visit) {
  visit("labels_", labels_);
  visit("core_sample_indices_", core_sample_indices_);
  visit("components_", components_);
}

void DBSCAN::check_fitted_state() const {
  SOMA_CHECK(labels_.dtype() == kInt64 && labels_.dim() == 1 && labels_.size(0) >= 1,
             "DBSCAN: labels_ must be int64 [n_samples]");
  int64_t n = labels_.size(0);
  for (int64_t l : labels_.to_vector<int64_t>()) SOMA_CHECK(l >= -1 && l < n, "DBSCAN: labels_ holds {} outside [-1, {})", l, n);
  SOMA_CHECK(core_sample_indices_.dtype() == kInt64 && core_sample_indices_.dim() == 1,
             "DBSCAN: core_sample_indices_ must be int64 [n_core]");
  int64_t n_core = core_sample_indices_.size(0);
  for (int64_t i : core_sample_indices_.to_vector<int64_t>())
    SOMA_CHECK(i >= 0 && i < n, "DBSCAN: core_sample_indices_ holds {} outside [0, {})", i, n);
  SOMA_CHECK(components_.dtype() == kFloat64 && components_.shape() == Shape({n_core, n_features_in_}),
             "DBSCAN: components_ must be float64 [{}, {}]", n_core, n_features_in_);
}

DBSCAN& DBSCAN::fit(const Tensor& X_in, const Tensor&) {
  Tensor X = detail::check_matrix(X_in, "DBSCAN.fit");
  const int64_t n = X.size(0), d = X.size(1);
  const double* x = X.data<double>();
  // The rank-preserving radius, compared with Σ|x - y|^p as scikit-learn does (eps² for the
  // Euclidean metric).
  double p = options_.metric == "euclidean" ? 2.0 : options_.metric == "manhattan" ? 1.0 : options_.p.value_or(2.0);
  SOMA_CHECK(p >= 1, "DBSCAN.fit: p must be at least 1 for the Minkowski metric; got {}", p);
  double radius = std::pow(options_.eps, p);
  std::vector<std::vector<int64_t>> neighbours(n);
#pragma omp parallel for schedule(dynamic, 64) if(n * n * d >= (int64_t{1} << 16))
  for (int64_t i = 0; i < n; ++i) {
    const double* xi = x + i * d;
    for (int64_t j = 0; j < n; ++j) {
      const double* xj = x + j * d;
      double s = 0;
      if (p == 2) {
        for (int64_t t = 0; t < d; ++t) s += (xi[t] - xj[t]) * (xi[t] - xj[t]);
      } else if (p == 1) {
        for (int64_t t = 0; t < d; ++t) s += std::fabs(xi[t] - xj[t]);
      } else {
        for (int64_t t = 0; t < d; ++t) s += std::pow(std::fabs(xi[t] - xj[t]), p);
      }
      if (s <= radius) neighbours[i].push_back(j);
    }
  }
  std::vector<char> core(n);
  std::vector<int64_t> core_indices;
  for (int64_t i = 0; i < n; ++i) {
    core[i] = static_cast<int64_t>(neighbours[i].size()) >= options_.min_samples;
    if (core[i]) core_indices.push_back(i);
  }
  // scikit-learn's dbscan_inner: a depth-first search from each unlabelled core sample.
  std::vector<int64_t> labels(n, -1), stack;
  int64_t label = 0;
  for (int64_t start = 0; start < n; ++start) {
    if (labels[start] != -1 || !core[start]) continue;
    int64_t i = start;
    while (true) {
      if (labels[i] == -1) {
        labels[i] = label;
        if (core[i])
          for (int64_t v : neighbours[i])
            if (labels[v] == -1) stack.push_back(v);
      }
      if (stack.empty()) break;
      i = stack.back();
      stack.pop_back();
    }
    ++label;
  }
  int64_t n_core = static_cast<int64_t>(core_indices.size());
  std::vector<double> components(n_core * d);
  for (int64_t c = 0; c < n_core; ++c) std::copy_n(x + core_indices[c] * d, d, components.begin() + c * d);
  labels_ = from_vector(labels, {n});
  core_sample_indices_ = from_vector(core_indices, {n_core});
  components_ = from_vector(components, {n_core, d});
  n_features_in_ = d;
  return *this;
}

Tensor DBSCAN::predict(const Tensor&) const {
  SOMA_FAIL("DBSCAN: there is no predict (as in scikit-learn: new rows would change the clusters); use fit_predict");
}

double DBSCAN::score(const Tensor&, const Tensor&) const { SOMA_FAIL("DBSCAN: score is not defined"); }

}  // namespace soma::ml
