#pragma once
// Matrix decompositions (scikit-learn's sklearn.decomposition): PCA and TruncatedSVD.
//
// Components are signed as scikit-learn's svd_flip does (each component's largest entry of U
// is positive), so transforms match scikit-learn's, not only up to sign. The randomized solver
// (Halko, Martinsson & Tropp 2011) draws its test matrix from soma's generator: its result
// agrees with scikit-learn's to the solver's accuracy, not bit for bit. Its power iterations
// are normalized by QR for 'LU' as well (the same subspace; only the cost differs). The 'arpack'
// solver and PCA's n_components='mle' are not offered.
#include "soma/ml/estimator.h"

namespace soma::ml {

struct PCAOptions {
  // None: all min(n_samples, n_features) components; an int k; or a float in (0, 1): the fewest
  // components explaining more than that fraction of the variance.
  ParamValue n_components = None;
  bool copy = true;  // accepted for scikit-learn's interface; X is never modified
  bool whiten = false;
  std::string svd_solver = "auto";  // auto, full, randomized
  double tol = 0.0;
  ParamValue iterated_power = std::string("auto");
  int64_t n_oversamples = 10;
  std::string power_iteration_normalizer = "auto";
  std::optional<int64_t> random_state = {};
};

class PCA : public Cloneable<PCA, Transformer> {
 public:
  explicit PCA(PCAOptions options = {}) : options_(std::move(options)) {}
  std::string_view name() const override { return "PCA"; }
  PCA& fit(const Tensor& X, const Tensor& y = Tensor()) override;
  Tensor transform(const Tensor& X) const override;  // [n, n_components_]
  Tensor inverse_transform(const Tensor& X) const;   // [n, n_features]
  // The average log-likelihood of the samples under the probabilistic PCA model.
  double score(const Tensor& X, const Tensor& y = Tensor()) const override;
  Tensor score_samples(const Tensor& X) const;  // [n]
  Tensor get_covariance() const;                // [n_features, n_features]
  StateDict fitted_state() const override;      // adds n_samples_
  void load_fitted_state(const StateDict& state) override;

  Tensor components_;                // float64 [n_components, n_features], rows orthonormal
  Tensor explained_variance_;        // float64 [n_components] (ddof = 1)
  Tensor explained_variance_ratio_;  // float64 [n_components]
  Tensor singular_values_;           // float64 [n_components]
  Tensor mean_;                      // float64 [n_features]
  Tensor noise_variance_;            // float64 0-d
  int64_t n_components_ = 0;
  int64_t n_samples_ = 0;

 protected:
  void visit_params(ParamVisitor& v) override;
  void visit_fitted(const std::function<void(const char*, Tensor&)>& visit) override;
  void check_fitted_state() const override;

 private:
  PCAOptions options_;
};

struct TruncatedSVDOptions {
  int64_t n_components = 2;
  std::string algorithm = "randomized";
  int64_t n_iter = 5;
  int64_t n_oversamples = 10;
  std::string power_iteration_normalizer = "auto";
  std::optional<int64_t> random_state = {};
  double tol = 0.0;
};

// A rank-k approximation without centering (latent semantic analysis on term counts).
class TruncatedSVD : public Cloneable<TruncatedSVD, Transformer> {
 public:
  explicit TruncatedSVD(TruncatedSVDOptions options = {}) : options_(std::move(options)) {}
  std::string_view name() const override { return "TruncatedSVD"; }
  TruncatedSVD& fit(const Tensor& X, const Tensor& y = Tensor()) override;
  Tensor fit_transform(const Tensor& X, const Tensor& y = Tensor()) override;
  Tensor transform(const Tensor& X) const override;
  Tensor inverse_transform(const Tensor& X) const;

  Tensor components_;                // float64 [n_components, n_features]
  Tensor explained_variance_;        // float64 [n_components] (variance of the transformed columns)
  Tensor explained_variance_ratio_;
  Tensor singular_values_;

 protected:
  void visit_params(ParamVisitor& v) override;
  void visit_fitted(const std::function<void(const char*, Tensor&)>& visit) override;
  void check_fitted_state() const override;

 private:
  TruncatedSVDOptions options_;
};

}  // namespace soma::ml
