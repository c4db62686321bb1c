#pragma once
// Mixture models (scikit-learn's sklearn.mixture).
//
//   ml::GaussianMixture gmm({.n_components = 3, .random_state = 0});
//   gmm.fit(X);
//   Tensor labels = gmm.predict(X);           // the most probable component
//   double bic = gmm.bic(X);
#include <optional>
#include <string>

#include "soma/ml/estimator.h"

namespace soma::ml {

// A mixture of n_components Gaussians fitted by expectation-maximization, as scikit-learn 1.2:
// responsibilities initialized from a KMeans clustering (init_params 'kmeans', one seeding) or
// at random, EM until the mean log-likelihood (lower_bound_) changes by less than tol, reg_covar
// added to the covariances' diagonals, the best of n_init runs by lower bound. covariance_type
// decides the shape of covariances_ and precisions_cholesky_: 'full' [k, d, d], 'tied' [d, d],
// 'diag' [k, d], 'spherical' [k]. Left out: weights_init, means_init, precisions_init (arrays),
// init_params 'k-means++' / 'random_from_data', warm_start; verbose and verbose_interval are
// accepted and ignored.
struct GaussianMixtureOptions {
  int64_t n_components = 1;
  std::string covariance_type = "full";  // 'full' | 'tied' | 'diag' | 'spherical'
  double tol = 1e-3;
  double reg_covar = 1e-6;
  int64_t max_iter = 100;
  int64_t n_init = 1;
  std::string init_params = "kmeans";  // 'kmeans' | 'random'
  std::optional<int64_t> random_state = std::nullopt;
  int64_t verbose = 0;
  int64_t verbose_interval = 10;
};

class GaussianMixture : public Cloneable<GaussianMixture, Estimator> {
 public:
  explicit GaussianMixture(GaussianMixtureOptions options = {}) : options_(std::move(options)) {}
  std::string_view name() const override { return "GaussianMixture"; }
  // y is ignored.
  GaussianMixture& fit(const Tensor& X, const Tensor& y = Tensor()) override;
  Tensor fit_predict(const Tensor& X);
  Tensor predict(const Tensor& X) const override;  // int64 [n]
  Tensor predict_proba(const Tensor& X) const;     // float64 [n, k]
  Tensor score_samples(const Tensor& X) const;     // float64 [n]: log p(x)
  // The mean log-likelihood of X; y is ignored.
  double score(const Tensor& X, const Tensor& y = Tensor()) const override;
  double bic(const Tensor& X) const;
  double aic(const Tensor& X) const;
  int64_t n_parameters() const;

  Tensor weights_;                // float64 [k]
  Tensor means_;                  // float64 [k, d]
  Tensor covariances_;            // see covariance_type
  Tensor precisions_cholesky_;    // the same shape: the Cholesky factors of the precisions
  Tensor precisions_;             // the same shape: the precisions (inverse covariances)
  bool converged_ = false;
  int64_t n_iter_ = 0;
  double lower_bound_ = 0;

  // Adds converged_, n_iter_ and lower_bound_ as scalars to the saved arrays.
  StateDict fitted_state() const override;
  void load_fitted_state(const StateDict& state) override;

 protected:
  void visit_params(ParamVisitor& v) override;
  void visit_fitted(const std::function<void(const char*, Tensor&)>& visit) override;
  void check_fitted_state() const override;

 private:
  // Per row and component, log(weight_k) + log N(x | mean_k, covariance_k): float64 [n, k].
  Tensor weighted_log_prob(const Tensor& X, const char* method) const;
  GaussianMixtureOptions options_;
};

}  // namespace soma::ml
