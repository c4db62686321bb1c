#pragma once
// Nearest-neighbour estimators (scikit-learn's sklearn.neighbors): a query row is labelled by
// the k training rows closest to it.
//
//   ml::KNeighborsClassifier knn({.n_neighbors = 3, .weights = "distance"});
//   knn.fit(X_train, y_train);
//   auto [distances, indices] = knn.kneighbors(X_test);   // [m, 3] each, nearest first
//
// Search: 'brute' computes every query-to-training distance; for the Euclidean and cosine
// metrics it does so as a matrix product (|x|² + |y|² - 2 x·y, on rows centered on the training
// mean) in blocks, screened in float32 with a rigorous rounding bound and finished in float64, so
// the neighbours are exactly those of a float64 computation. 'kd_tree' builds scikit-learn's kind of KD-tree (split on the widest
// dimension at the median, leaves of at most leaf_size rows). 'ball_tree' is accepted and uses
// the KD-tree (same answers; a ball tree only pays off for metrics this class does not offer).
// 'auto' chooses as scikit-learn 1.2 does: brute when the data has more than 15 features, when
// n_neighbors >= n_samples / 2 or for the cosine metric; the KD-tree otherwise.
//
// Ties: among training rows at exactly the same distance soma keeps the lower indices and orders
// them by index, the same for every algorithm and thread count. scikit-learn keeps those its
// heap happens to keep (an order that depends on its chunking and thread count, neither the
// lower nor the first indices), so rows tied exactly at the k-th distance may differ.
//
// Left out: metric_params, callable weights and metrics, 'precomputed', radius queries,
// multi-output y (y must be 1-D).
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "soma/ml/estimator.h"

namespace soma::ml {

struct KNeighborsOptions {
  int64_t n_neighbors = 5;
  std::string weights = "uniform";   // 'uniform' | 'distance' (1 / distance)
  std::string algorithm = "auto";    // 'auto' | 'brute' | 'kd_tree' | 'ball_tree'
  int64_t leaf_size = 30;
  double p = 2;                      // the Minkowski power, >= 1
  std::string metric = "minkowski";  // 'minkowski' | 'euclidean' | 'manhattan' | 'cosine' (+ l1, l2, cityblock)
  std::optional<int64_t> n_jobs = {};  // threads for queries; None: soma's thread count, -1: all
};

// The search structure shared by the classifier and the regressor (not an estimator).
struct GemmCache;

class NeighborSearch {
 public:
  enum class Metric { Euclidean, Manhattan, Minkowski, Cosine };
  struct Result {
    Tensor distances;  // float64 [m, k], ascending per row
    Tensor indices;    // int64 [m, k], training row indices
  };
  // Keeps the training rows (float64 [n, d], already checked) and builds the tree if needed.
  void build(const Tensor& X, const KNeighborsOptions& options, std::string_view who);
  // The k nearest training rows of each query row (float64 [m, d]). With exclude_self, query
  // row i is training row i and is left out of its own neighbours.
  Result query(const Tensor& Q, int64_t k, bool exclude_self, const KNeighborsOptions& options) const;
  int64_t size() const { return fit_X_.defined() ? fit_X_.size(0) : 0; }
  const std::string& method() const { return method_; }  // 'brute' or 'kd_tree'

  Tensor fit_X_;  // float64 [n, d]

 private:
  struct Node {
    int64_t start, end;      // rows order_[start, end)
    int64_t left = -1, right = -1;
  };
  void build_tree(int64_t leaf_size);
  std::string method_;
  Metric metric_ = Metric::Euclidean;  // as resolved at fit (scikit-learn's effective_metric_)
  double p_ = 2;
  std::shared_ptr<const GemmCache> gemm_;  // the brute force's prepared training rows
  std::vector<int64_t> order_;   // training rows in tree order
  std::vector<Node> nodes_;
  std::vector<double> bounds_;   // per node: d lower bounds then d upper bounds
};

class KNeighborsClassifier : public Cloneable<KNeighborsClassifier, Classifier> {
 public:
  explicit KNeighborsClassifier(KNeighborsOptions options = {}) : options_(std::move(options)) {}
  std::string_view name() const override { return "KNeighborsClassifier"; }
  KNeighborsClassifier& fit(const Tensor& X, const Tensor& y) override;
  Tensor predict(const Tensor& X) const override;
  Tensor predict_proba(const Tensor& X) const override;
  // n_neighbors 0 means the estimator's n_neighbors. An undefined X queries the training rows,
  // each without itself (scikit-learn's kneighbors(None)).
  NeighborSearch::Result kneighbors(const Tensor& X = Tensor(), int64_t n_neighbors = 0) const;

  Tensor _y;                    // int64 [n_samples_fit]: class codes (indices into classes_)
  int64_t n_samples_fit_ = 0;
  void load_fitted_state(const StateDict& state) override;

 protected:
  void visit_params(ParamVisitor& v) override;
  void visit_fitted(const std::function<void(const char*, Tensor&)>& visit) override;
  void check_fitted_state() const override;

 private:
  KNeighborsOptions options_;
  NeighborSearch search_;
};

class KNeighborsRegressor : public Cloneable<KNeighborsRegressor, Regressor> {
 public:
  explicit KNeighborsRegressor(KNeighborsOptions options = {}) : options_(std::move(options)) {}
  std::string_view name() const override { return "KNeighborsRegressor"; }
  KNeighborsRegressor& fit(const Tensor& X, const Tensor& y) override;
  Tensor predict(const Tensor& X) const override;  // float64 [m]
  NeighborSearch::Result kneighbors(const Tensor& X = Tensor(), int64_t n_neighbors = 0) const;

  Tensor _y;  // float64 [n_samples_fit]
  int64_t n_samples_fit_ = 0;
  void load_fitted_state(const StateDict& state) override;

 protected:
  void visit_params(ParamVisitor& v) override;
  void visit_fitted(const std::function<void(const char*, Tensor&)>& visit) override;
  void check_fitted_state() const override;

 private:
  KNeighborsOptions options_;
  NeighborSearch search_;
};

}  // namespace soma::ml
