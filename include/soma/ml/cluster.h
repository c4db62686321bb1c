#pragma once
// Clustering (scikit-learn's sklearn.cluster).
//
//   ml::KMeans kmeans({.n_clusters = 10, .random_state = 0});
//   Tensor labels = kmeans.fit_predict(X);       // int64 [n]
//   Tensor distances = kmeans.transform(X);      // float64 [n, 10]
#include <optional>
#include <string>

#include "soma/ml/estimator.h"

namespace soma::ml {

// k-means: k centers minimizing the within-cluster sum of squared distances (inertia_), by
// Lloyd's iterations from n_init seedings, keeping the best. As scikit-learn 1.2: 'k-means++'
// seeds greedily (2 + log(k) candidates per center, the one that lowers the potential most), the
// data is centered before the iterations, and tol is relative to the mean feature variance
// (converged when the centers' total squared shift is at most tol * mean variance, or when no
// label changes). n_init 'auto' means 1 for 'k-means++' and 10 for 'random' (scikit-learn 1.4).
// algorithm 'elkan' runs the same iterations with Elkan's triangle-inequality bounds, skipping
// the distances that cannot change a label (the same clustering up to rounding at exact ties;
// faster with many clusters); 'auto' and 'full' are 1.2's deprecated spellings of 'lloyd'. Left out: init as an array or a callable,
// sample_weight. verbose is accepted and ignored.
//
// The random draws come from random_state (one stream per seeding), so a fixed random_state
// gives the same centers for any thread count; they are not NumPy's draws, so the centers are
// not scikit-learn's bit for bit (compare inertia_).
struct KMeansOptions {
  int64_t n_clusters = 8;
  std::string init = "k-means++";   // 'k-means++' | 'random'
  ParamValue n_init = int64_t{10};  // an int >= 1 or 'auto'
  int64_t max_iter = 300;
  double tol = 1e-4;
  int64_t verbose = 0;
  std::optional<int64_t> random_state = std::nullopt;
  bool copy_x = true;               // accepted; the data is always copied (centered in a copy)
  std::string algorithm = "lloyd";  // 'lloyd' | 'elkan' ('auto', 'full': 'lloyd')
};

class KMeans : public Cloneable<KMeans, Clusterer> {
 public:
  explicit KMeans(KMeansOptions options = {}) : options_(std::move(options)) {}
  std::string_view name() const override { return "KMeans"; }
  // y is ignored.
  KMeans& fit(const Tensor& X, const Tensor& y = Tensor()) override;
  // The index of the nearest center, int64 [n].
  Tensor predict(const Tensor& X) const override;
  // Euclidean distances to the centers, float64 [n, n_clusters].
  Tensor transform(const Tensor& X) const;
  Tensor fit_transform(const Tensor& X);
  // Minus the inertia of X against the centers (larger is better); y is ignored.
  double score(const Tensor& X, const Tensor& y = Tensor()) const override;

  // Adds the scalars inertia_ and n_iter_ to the saved arrays.
  StateDict fitted_state() const override;
  void load_fitted_state(const StateDict& state) override;

  Tensor cluster_centers_;  // float64 [n_clusters, n_features]
  double inertia_ = 0;      // sum of squared distances of the training rows to their centers
  int64_t n_iter_ = 0;      // Lloyd iterations of the best run

 protected:
  void visit_params(ParamVisitor& v) override;
  void visit_fitted(const std::function<void(const char*, Tensor&)>& visit) override;
  void check_fitted_state() const override;

 private:
  KMeansOptions options_;
};

// k-means on random mini-batches (scikit-learn 1.2's MiniBatchKMeans): the centers start from
// the best of n_init seedings of init_size random rows, then each step moves the centers toward
// a batch of batch_size rows drawn with replacement (each center by the batch rows' share of all
// rows it has seen), reassigns rarely-chosen centers to random batch rows
// (reassignment_ratio), and stops after max_iter passes over the data, when the smoothed batch
// inertia has not improved for max_no_improvement steps, or when the centers move less than tol
// (relative to the mean feature variance; 0 turns that off). labels_ and inertia_ are those of
// all training rows (compute_labels). Left out: partial_fit, sample_weight, init as an array.
struct MiniBatchKMeansOptions {
  int64_t n_clusters = 8;
  std::string init = "k-means++";  // 'k-means++' | 'random'
  int64_t max_iter = 100;
  int64_t batch_size = 1024;
  int64_t verbose = 0;
  bool compute_labels = true;
  std::optional<int64_t> random_state = std::nullopt;
  double tol = 0.0;
  std::optional<int64_t> max_no_improvement = int64_t{10};
  std::optional<int64_t> init_size = std::nullopt;  // None: 3 * batch_size (at least n_clusters)
  ParamValue n_init = int64_t{3};                   // an int >= 1 or 'auto' (1 for k-means++, 3 for random)
  double reassignment_ratio = 0.01;
};

class MiniBatchKMeans : public Cloneable<MiniBatchKMeans, Clusterer> {
 public:
  explicit MiniBatchKMeans(MiniBatchKMeansOptions options = {}) : options_(std::move(options)) {}
  std::string_view name() const override { return "MiniBatchKMeans"; }
  MiniBatchKMeans& fit(const Tensor& X, const Tensor& y = Tensor()) override;
  Tensor predict(const Tensor& X) const override;
  Tensor transform(const Tensor& X) const;
  double score(const Tensor& X, const Tensor& y = Tensor()) const override;

  // Adds inertia_, n_iter_ and n_steps_ as scalars to the saved arrays.
  StateDict fitted_state() const override;
  void load_fitted_state(const StateDict& state) override;

  Tensor cluster_centers_;  // float64 [n_clusters, n_features]
  double inertia_ = 0;      // of all training rows (0 when compute_labels is False)
  int64_t n_iter_ = 0;      // passes over the data
  int64_t n_steps_ = 0;     // mini-batches

 protected:
  void visit_params(ParamVisitor& v) override;
  void visit_fitted(const std::function<void(const char*, Tensor&)>& visit) override;
  void check_fitted_state() const override;

 private:
  MiniBatchKMeansOptions options_;
};

// Density-based clustering: a row with at least min_samples rows (itself included) within eps
// is a core sample; clusters are the core samples connected through such neighbourhoods plus
// the rows within eps of them (a border row joins the first cluster, in row order, that reaches
// it); the rest is noise, label -1. As scikit-learn, DBSCAN has no predict (use fit_predict).
// algorithm, leaf_size and n_jobs are accepted; the neighbourhoods are found by a parallel
// brute force. Left out: metric_params, sample_weight, metrics other than the Minkowski family.
struct DBSCANOptions {
  double eps = 0.5;
  int64_t min_samples = 5;
  std::string metric = "euclidean";  // 'euclidean' | 'manhattan' | 'minkowski' (with p)
  std::string algorithm = "auto";
  int64_t leaf_size = 30;
  std::optional<double> p = std::nullopt;  // the Minkowski power (None: 2)
  std::optional<int64_t> n_jobs = std::nullopt;
};

class DBSCAN : public Cloneable<DBSCAN, Clusterer> {
 public:
  explicit DBSCAN(DBSCANOptions options = {}) : options_(std::move(options)) {}
  std::string_view name() const override { return "DBSCAN"; }
  DBSCAN& fit(const Tensor& X, const Tensor& y = Tensor()) override;
  Tensor predict(const Tensor& X) const override;       // throws: use fit_predict
  double score(const Tensor& X, const Tensor& y) const override;  // throws

  Tensor core_sample_indices_;  // int64 [n_core], ascending
  Tensor components_;           // float64 [n_core, n_features]: the core samples

 protected:
  void visit_params(ParamVisitor& v) override;
  void visit_fitted(const std::function<void(const char*, Tensor&)>& visit) override;
  void check_fitted_state() const override;

 private:
  DBSCANOptions options_;
};

}  // namespace soma::ml
