// Linear regressors: least squares, ridge, elastic net and lasso (see soma/ml/linear.h).
#include "soma/ml/linear.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "linear_lapack.h"
#include "soma/creation.h"
#include "soma/error.h"
#include "validation.h"

namespace soma::ml {
namespace {

// The training data with the column means taken out of X and the mean out of y (when the
// model fits an intercept), which is how the intercept drops out of every solver below.
struct Centered {
  Tensor X;                    // float64 [n, d], row-major, owned (safe to modify)
  std::vector<double> y;       // [n]
  std::vector<double> x_mean;  // [d]; zeros without an intercept
  double y_mean = 0;
  int64_t n() const { return X.size(0); }
  int64_t d() const { return X.size(1); }
};

Centered center(const Tensor& X_in, const Tensor& y_in, bool fit_intercept, std::string_view who) {
  Centered c;
  c.X = detail::check_matrix(X_in, who).clone();
  int64_t n = c.n(), d = c.d();
  c.y = detail::check_targets(y_in, n, who).to_vector<double>();
  c.x_mean.assign(d, 0.0);
  if (!fit_intercept) return c;
  double* x = c.X.data<double>();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) c.x_mean[j] += x[i * d + j];
  for (double& m : c.x_mean) m /= static_cast<double>(n);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) x[i * d + j] -= c.x_mean[j];
  for (double v : c.y) c.y_mean += v;
  c.y_mean /= static_cast<double>(n);
  for (double& v : c.y) v -= c.y_mean;
  return c;
}

// Sets coef_ and intercept_ (y's mean minus the means' prediction) from centered coefficients.
void set_solution(const Centered& c, const std::vector<double>& coef, Tensor& coef_, Tensor& intercept_) {
  double intercept = c.y_mean;
  for (size_t j = 0; j < coef.size(); ++j) intercept -= c.x_mean[j] * coef[j];
  coef_ = from_vector(coef, {static_cast<int64_t>(coef.size())});
  intercept_ = scalar_tensor(intercept, kFloat64);
}

double dot(const double* a, const double* b, int64_t n) {
  double sum = 0;
#pragma omp simd reduction(+ : sum)
  for (int64_t i = 0; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

void axpy(double a, const double* x, double* y, int64_t n) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) y[i] += a * x[i];
}

// X' X [d, d] (full, symmetric) and X' y [d].
std::vector<double> gram(const Tensor& X) {
  int64_t n = X.size(0), d = X.size(1);
  std::vector<double> g(d * d, 0.0);
  cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, static_cast<int>(d), static_cast<int>(n), 1.0,
              X.data<double>(), static_cast<int>(d), 0.0, g.data(), static_cast<int>(d));
  for (int64_t i = 0; i < d; ++i)
    for (int64_t j = 0; j < i; ++j) g[i * d + j] = g[j * d + i];
  return g;
}

std::vector<double> x_transpose_y(const Tensor& X, const std::vector<double>& y) {
  int64_t n = X.size(0), d = X.size(1);
  std::vector<double> out(d, 0.0);
  cblas_dgemv(CblasRowMajor, CblasTrans, static_cast<int>(n), static_cast<int>(d), 1.0, X.data<double>(),
              static_cast<int>(d), y.data(), 1, 0.0, out.data(), 1);
  return out;
}

// The rows of X as the columns of a column-major [n, d] matrix (LAPACK's layout).
std::vector<double> column_major(const Tensor& X) {
  int64_t n = X.size(0), d = X.size(1);
  const double* x = X.data<double>();
  std::vector<double> a(n * d);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) a[j * n + i] = x[i * d + j];
  return a;
}

// Minimum-norm least squares on a column-major [m, k] matrix (overwritten): x [k], and the
// singular values and rank (singular values below eps times the largest count as zero, as
// scipy.linalg.lstsq).
struct LeastSquares {
  std::vector<double> x, singular;
  int rank = 0;
};
LeastSquares lstsq(std::vector<double> a, int m, int k, const std::vector<double>& b, std::string_view who) {
  int nrhs = 1, ldb = std::max(m, k), lwork = -1, info = 0, rank = 0;
  std::vector<double> rhs(ldb, 0.0), s(std::min(m, k));
  std::copy(b.begin(), b.end(), rhs.begin());
  double rcond = std::numeric_limits<double>::epsilon(), work_size = 0;
  int iwork_size = 0;
  dgelsd_(&m, &k, &nrhs, a.data(), &m, rhs.data(), &ldb, s.data(), &rcond, &rank, &work_size, &lwork, &iwork_size,
          &info);
  lwork = static_cast<int>(work_size);
  std::vector<double> work(std::max(1, lwork));
  std::vector<int> iwork(std::max(1, iwork_size));
  dgelsd_(&m, &k, &nrhs, a.data(), &m, rhs.data(), &ldb, s.data(), &rcond, &rank, work.data(), &lwork, iwork.data(),
          &info);
  SOMA_CHECK(info == 0, "{}: the least-squares SVD did not converge (LAPACK dgelsd info {})", who, info);
  rhs.resize(k);
  return {rhs, s, rank};
}

// Solves G x = b for a symmetric positive definite G [k, k] (copied); false when G is not.
bool solve_cholesky(std::vector<double> g, std::vector<double>& b, int k) {
  int nrhs = 1, info = 0;
  dposv_("U", &k, &nrhs, g.data(), &k, b.data(), &k, &info, 1);
  return info == 0;
}

// Non-negative least squares from the normal equations, min x'Gx/2 - b'x subject to x >= 0
// (Lawson and Hanson's active-set method, as scipy.optimize.nnls, on G = A'A and b = A'y).
std::vector<double> nnls(const std::vector<double>& G, const std::vector<double>& b, int64_t d) {
  std::vector<double> x(d, 0.0), w(d), s(d);
  std::vector<bool> passive(d, false);
  double b_scale = 0;
  for (double v : b) b_scale = std::max(b_scale, std::fabs(v));
  const double tol = 1e-12 * std::max(1.0, b_scale);
  auto gradient = [&] {
    for (int64_t i = 0; i < d; ++i) w[i] = b[i] - dot(&G[i * d], x.data(), d);
  };
  // s = the unconstrained solution on the passive set (zero elsewhere).
  auto solve_passive = [&] {
    std::vector<int64_t> idx;
    for (int64_t i = 0; i < d; ++i)
      if (passive[i]) idx.push_back(i);
    int k = static_cast<int>(idx.size());
    std::vector<double> sub(k * k), rhs(k);
    for (int r = 0; r < k; ++r) {
      rhs[r] = b[idx[r]];
      for (int c = 0; c < k; ++c) sub[r * k + c] = G[idx[r] * d + idx[c]];
    }
    if (!solve_cholesky(sub, rhs, k)) rhs = lstsq(sub, k, k, rhs, "nnls").x;
    std::fill(s.begin(), s.end(), 0.0);
    for (int r = 0; r < k; ++r) s[idx[r]] = rhs[r];
  };
  gradient();
  for (int64_t outer = 0; outer < 3 * d; ++outer) {
    int64_t best = -1;
    for (int64_t i = 0; i < d; ++i)
      if (!passive[i] && w[i] > tol && (best < 0 || w[i] > w[best])) best = i;
    if (best < 0) break;
    passive[best] = true;
    for (int64_t inner = 0; inner < 3 * d; ++inner) {
      solve_passive();
      // Step from x toward s until the first passive coefficient reaches zero; it leaves.
      double step = 1.0;
      int64_t blocking = -1;
      for (int64_t i = 0; i < d; ++i)
        if (passive[i] && s[i] <= 0 && x[i] / (x[i] - s[i]) < step) {
          step = x[i] / (x[i] - s[i]);
          blocking = i;
        }
      if (blocking < 0) {
        x = s;
        break;
      }
      for (int64_t i = 0; i < d; ++i) {
        x[i] += step * (s[i] - x[i]);
        if (passive[i] && (i == blocking || x[i] <= 0)) {
          passive[i] = false;
          x[i] = 0;
        }
      }
    }
    gradient();
  }
  return x;
}

// Ridge by the SVD of the centered X: coef = V diag(s / (s² + alpha)) U' y.
std::vector<double> ridge_svd(const Centered& c, double alpha) {
  int m = static_cast<int>(c.n()), k = static_cast<int>(c.d()), r = std::min(m, k);
  std::vector<double> a = column_major(c.X), s(r), u(static_cast<size_t>(m) * r), vt(static_cast<size_t>(r) * k);
  int lwork = -1, info = 0;
  double work_size = 0;
  std::vector<int> iwork(8 * r);
  dgesdd_("S", &m, &k, a.data(), &m, s.data(), u.data(), &m, vt.data(), &r, &work_size, &lwork, iwork.data(), &info, 1);
  lwork = static_cast<int>(work_size);
  std::vector<double> work(std::max(1, lwork));
  dgesdd_("S", &m, &k, a.data(), &m, s.data(), u.data(), &m, vt.data(), &r, work.data(), &lwork, iwork.data(), &info,
          1);
  SOMA_CHECK(info == 0, "Ridge.fit: the SVD did not converge (LAPACK dgesdd info {})", info);
  std::vector<double> coef(k, 0.0);
  for (int q = 0; q < r; ++q) {
    if (s[q] <= 1e-15) continue;  // scikit-learn's cut-off for zero singular values
    double uty = dot(&u[static_cast<size_t>(q) * m], c.y.data(), m);
    double factor = s[q] / (s[q] * s[q] + alpha) * uty;
    for (int j = 0; j < k; ++j) coef[j] += factor * vt[static_cast<size_t>(j) * r + q];
  }
  return coef;
}

// Ridge by Cholesky: (X'X + alpha I) w = X'y, or through the n x n kernel (X X' + alpha I) a = y,
// w = X'a, when there are more features than samples. Empty when the system is singular.
std::vector<double> ridge_cholesky(const Centered& c, double alpha) {
  int64_t n = c.n(), d = c.d();
  if (d > n) {
    std::vector<double> K(n * n, 0.0), a = c.y;
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, static_cast<int>(n), static_cast<int>(d), 1.0,
                c.X.data<double>(), static_cast<int>(d), 0.0, K.data(), static_cast<int>(n));
    for (int64_t i = 0; i < n; ++i) K[i * n + i] += alpha;
    // dsyrk filled the upper triangle in row-major order, which is LAPACK's lower one.
    int k = static_cast<int>(n), nrhs = 1, info = 0;
    dposv_("L", &k, &nrhs, K.data(), &k, a.data(), &k, &info, 1);
    if (info != 0) return {};
    return x_transpose_y(c.X, a);
  }
  std::vector<double> G = gram(c.X), w = x_transpose_y(c.X, c.y);
  for (int64_t j = 0; j < d; ++j) G[j * d + j] += alpha;
  if (!solve_cholesky(G, w, static_cast<int>(d))) return {};
  return w;
}

}  // namespace

// ---- shared by the regressors ----

Tensor LinearRegressorBase::predict(const Tensor& X_in) const {
  check_fitted(X_in, "predict");
  Tensor X = detail::check_matrix(X_in, std::string(name()) + ".predict");
  int64_t n = X.size(0), d = X.size(1);
  Tensor out = full({n}, intercept_.item<double>(), kFloat64);
  cblas_dgemv(CblasRowMajor, CblasNoTrans, static_cast<int>(n), static_cast<int>(d), 1.0, X.data<double>(),
              static_cast<int>(d), coef_.data<double>(), 1, 1.0, out.data<double>(), 1);
  return out;
}

void LinearRegressorBase::visit_fitted(const std::function<void(const char*, Tensor&)>& visit) {
  visit("coef_", coef_);
  visit("intercept_", intercept_);
}

void LinearRegressorBase::check_fitted_state() const {
  SOMA_CHECK(coef_.dtype() == kFloat64 && coef_.shape() == Shape({n_features_in_}),
             "{}: coef_ must be float64 [{}]", name(), n_features_in_);
  SOMA_CHECK(intercept_.dtype() == kFloat64 && intercept_.dim() == 0, "{}: intercept_ must be a float64 scalar",
             name());
  for (double v : coef_.to_vector<double>()) SOMA_CHECK(std::isfinite(v), "{}: coef_ must be finite", name());
  SOMA_CHECK(std::isfinite(intercept_.item<double>()), "{}: intercept_ must be finite", name());
}

// ---- LinearRegression ----

void LinearRegression::visit_params(ParamVisitor& v) {
  v.visit("fit_intercept", &options_.fit_intercept, boolean());
  v.visit("copy_X", &options_.copy_X, boolean());
  v.visit("n_jobs", &options_.n_jobs, int_or_none({}));
  v.visit("positive", &options_.positive, boolean());
}

LinearRegression& LinearRegression::fit(const Tensor& X, const Tensor& y) {
  Centered c = center(X, y, options_.fit_intercept, "LinearRegression.fit");
  int64_t n = c.n(), d = c.d();
  std::vector<double> coef;
  if (options_.positive) {
    coef = nnls(gram(c.X), x_transpose_y(c.X, c.y), d);
    rank_ = 0;
    singular_ = Tensor();
  } else {
    LeastSquares ls = lstsq(column_major(c.X), static_cast<int>(n), static_cast<int>(d), c.y, "LinearRegression.fit");
    coef = std::move(ls.x);
    rank_ = ls.rank;
    singular_ = from_vector(ls.singular);
  }
  set_solution(c, coef, coef_, intercept_);
  n_features_in_ = d;
  return *this;
}

// ---- Ridge ----

void Ridge::visit_params(ParamVisitor& v) {
  v.visit("alpha", &options_.alpha, real_in(at_least(0)));
  v.visit("fit_intercept", &options_.fit_intercept, boolean());
  v.visit("copy_X", &options_.copy_X, boolean());
  v.visit("max_iter", &options_.max_iter, int_or_none(at_least(1)));
  v.visit("tol", &options_.tol, real_in(at_least(0)));
  v.visit("solver", &options_.solver, one_of({"auto", "svd", "cholesky", "lsqr", "sparse_cg", "sag", "saga", "lbfgs"}));
  v.visit("positive", &options_.positive, boolean());
  v.visit("random_state", &options_.random_state, int_or_none(at_least(0)));
}

Ridge& Ridge::fit(const Tensor& X, const Tensor& y) {
  const std::string& solver = options_.solver;
  SOMA_CHECK(solver != "lbfgs" || options_.positive,
             "Ridge.fit: solver 'lbfgs' can be used only when positive=True; use another solver");
  SOMA_CHECK(!options_.positive || solver == "auto" || solver == "lbfgs",
             "Ridge.fit: solver '{}' does not support positive fitting; set solver to 'auto' or 'lbfgs', or "
             "positive=False", solver);
  Centered c = center(X, y, options_.fit_intercept, "Ridge.fit");
  int64_t d = c.d();
  double alpha = options_.alpha;
  std::vector<double> coef;
  if (options_.positive) {
    std::vector<double> G = gram(c.X);
    for (int64_t j = 0; j < d; ++j) G[j * d + j] += alpha;
    coef = nnls(G, x_transpose_y(c.X, c.y), d);
  } else if (solver == "svd") {
    coef = ridge_svd(c, alpha);
  } else {
    coef = ridge_cholesky(c, alpha);
    if (coef.empty()) coef = ridge_svd(c, alpha);  // singular (alpha 0 and a rank-deficient X)
  }
  set_solution(c, coef, coef_, intercept_);
  n_features_in_ = d;
  return *this;
}

// ---- ElasticNet and Lasso ----

namespace {

struct DescentResult {
  double gap = 0;  // on the n-times-scaled objective
  int64_t sweeps = 0;
};

// scikit-learn's cd_fast.enet_coordinate_descent on the columns Xt [d][n] of a centered X:
// minimizes 1/2 ||y - X w||² + l1 ||w||_1 + l2/2 ||w||², updating w [d] in place.
DescentResult coordinate_descent(std::vector<double>& w, const std::vector<double>& Xt, const std::vector<double>& y,
                                 int64_t n, int64_t d, double l1, double l2, int64_t max_iter, double tol,
                                 bool positive, bool random, uint64_t seed) {
  std::vector<double> col_norm2(d), R = y, XtA(d);
  for (int64_t j = 0; j < d; ++j) col_norm2[j] = dot(&Xt[j * n], &Xt[j * n], n);
  for (int64_t j = 0; j < d; ++j)
    if (w[j] != 0) axpy(-w[j], &Xt[j * n], R.data(), n);
  const double coef_tol = tol;
  const double gap_tol = tol * dot(y.data(), y.data(), n);
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int64_t> pick(0, d - 1);
  DescentResult result;
  for (int64_t sweep = 0; sweep < max_iter; ++sweep) {
    double w_max = 0, dw_max = 0;
    for (int64_t f = 0; f < d; ++f) {
      int64_t j = random ? pick(rng) : f;
      if (col_norm2[j] == 0) continue;
      const double* xj = &Xt[j * n];
      double w_old = w[j];
      if (w_old != 0) axpy(w_old, xj, R.data(), n);
      double rho = dot(xj, R.data(), n);
      if (positive && rho < 0) w[j] = 0;
      else w[j] = std::copysign(std::max(std::fabs(rho) - l1, 0.0), rho) / (col_norm2[j] + l2);
      if (w[j] != 0) axpy(-w[j], xj, R.data(), n);
      dw_max = std::max(dw_max, std::fabs(w[j] - w_old));
      w_max = std::max(w_max, std::fabs(w[j]));
    }
    result.sweeps = sweep + 1;
    if (w_max == 0 || dw_max / w_max < coef_tol || sweep == max_iter - 1) {
      // The duality gap of the current point, with the dual point R scaled into feasibility.
      double dual_norm = 0;
      for (int64_t j = 0; j < d; ++j) {
        XtA[j] = dot(&Xt[j * n], R.data(), n) - l2 * w[j];
        dual_norm = std::max(dual_norm, positive ? XtA[j] : std::fabs(XtA[j]));
      }
      double R_norm2 = dot(R.data(), R.data(), n), w_norm2 = dot(w.data(), w.data(), d);
      double scale = 1.0, gap = R_norm2;
      if (dual_norm > l1) {
        scale = l1 / dual_norm;
        gap = 0.5 * (R_norm2 + R_norm2 * scale * scale);
      }
      double l1_norm = 0;
      for (double v : w) l1_norm += std::fabs(v);
      gap += l1 * l1_norm - scale * dot(R.data(), y.data(), n) + 0.5 * l2 * (1 + scale * scale) * w_norm2;
      result.gap = gap;
      if (gap < gap_tol) break;
    }
  }
  return result;
}

ElasticNetOptions lasso_options(const LassoOptions& o) {
  return {.alpha = o.alpha, .l1_ratio = 1.0, .fit_intercept = o.fit_intercept, .precompute = o.precompute,
          .max_iter = o.max_iter, .copy_X = o.copy_X, .tol = o.tol, .warm_start = o.warm_start,
          .positive = o.positive, .random_state = o.random_state, .selection = o.selection};
}

}  // namespace

void ElasticNet::visit_params(ParamVisitor& v) {
  v.visit("alpha", &options_.alpha, real_in(at_least(0)));
  v.visit("l1_ratio", &options_.l1_ratio, real_in(between(0, 1)));
  v.visit("fit_intercept", &options_.fit_intercept, boolean());
  v.visit("precompute", &options_.precompute, boolean());
  v.visit("max_iter", &options_.max_iter, int_in(at_least(1)));
  v.visit("copy_X", &options_.copy_X, boolean());
  v.visit("tol", &options_.tol, real_in(at_least(0)));
  v.visit("warm_start", &options_.warm_start, boolean());
  v.visit("positive", &options_.positive, boolean());
  v.visit("random_state", &options_.random_state, int_or_none(at_least(0)));
  v.visit("selection", &options_.selection, one_of({"cyclic", "random"}));
}

ElasticNet& ElasticNet::fit(const Tensor& X, const Tensor& y) {
  std::string who = std::string(name()) + ".fit";
  Centered c = center(X, y, options_.fit_intercept, who);
  int64_t n = c.n(), d = c.d();
  std::vector<double> Xt(n * d);  // columns of X, contiguous
  const double* x = c.X.data<double>();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) Xt[j * n + i] = x[i * d + j];
  std::vector<double> w(d, 0.0);
  if (options_.warm_start && fitted() && coef_.shape() == Shape({d})) w = coef_.to_vector<double>();
  const double scale = static_cast<double>(n);
  DescentResult r = coordinate_descent(w, Xt, c.y, n, d, options_.alpha * options_.l1_ratio * scale,
                                       options_.alpha * (1.0 - options_.l1_ratio) * scale, options_.max_iter,
                                       options_.tol, options_.positive, options_.selection == "random",
                                       options_.selection == "random" ? detail::resolve_seed(options_.random_state) : 0);
  set_solution(c, w, coef_, intercept_);
  n_iter_ = r.sweeps;
  dual_gap_ = r.gap / scale;
  n_features_in_ = d;
  return *this;
}

Lasso::Lasso(LassoOptions options) : ElasticNet(lasso_options(options)) {}

std::unique_ptr<Estimator> Lasso::clone() const {
  auto copy = std::make_unique<Lasso>();
  copy->set_params(get_params());
  return copy;
}

void Lasso::visit_params(ParamVisitor& v) {
  v.visit("alpha", &options_.alpha, real_in(at_least(0)));
  v.visit("fit_intercept", &options_.fit_intercept, boolean());
  v.visit("precompute", &options_.precompute, boolean());
  v.visit("copy_X", &options_.copy_X, boolean());
  v.visit("max_iter", &options_.max_iter, int_in(at_least(1)));
  v.visit("tol", &options_.tol, real_in(at_least(0)));
  v.visit("warm_start", &options_.warm_start, boolean());
  v.visit("positive", &options_.positive, boolean());
  v.visit("random_state", &options_.random_state, int_or_none(at_least(0)));
  v.visit("selection", &options_.selection, one_of({"cyclic", "random"}));
}

}  // namespace soma::ml
