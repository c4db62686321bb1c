// Support vector machines (see soma/ml/svm.h).
#include "soma/ml/svm.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "soma/creation.h"
#include "soma/error.h"
#include "svm_platt.h"
#include "svm_smo.h"
#include "validation.h"

namespace soma::ml {
namespace {

using detail::KernelSpec;

const std::vector<std::string> kKernels = {"linear", "poly", "rbf", "sigmoid"};

Constraint gamma_constraint() { return Constraint{.real = at_least(0), .options = {"scale", "auto"}}; }
Constraint class_weight_constraint() { return Constraint{.none = true, .options = {"balanced"}}; }

double number(const ParamValue& value) {
  if (const auto* i = std::get_if<int64_t>(&value)) return static_cast<double>(*i);
  return std::get<double>(value);
}

// scikit-learn's gamma: 'scale' is 1 / (n_features * X.var()) (1 when X is constant), 'auto'
// is 1 / n_features.
double resolve_gamma(const ParamValue& gamma, const Tensor& X) {
  int64_t n = X.size(0), d = X.size(1);
  if (const auto* s = std::get_if<std::string>(&gamma)) {
    if (*s == "auto") return 1.0 / static_cast<double>(d);
    const double* x = X.data<double>();
    double mean = 0, var = 0;
    for (int64_t t = 0; t < n * d; ++t) mean += x[t];
    mean /= static_cast<double>(n * d);
    for (int64_t t = 0; t < n * d; ++t) var += (x[t] - mean) * (x[t] - mean);
    var /= static_cast<double>(n * d);
    return var != 0 ? 1.0 / (static_cast<double>(d) * var) : 1.0;
  }
  return number(gamma);
}

KernelSpec kernel_spec(const std::string& kernel, int64_t degree, double gamma, double coef0) {
  return {detail::parse_kernel(kernel), degree, gamma, coef0};
}

// Per class: C's multiplier. 'balanced': n_samples / (n_classes * count of the class).
std::vector<double> class_weights(const ParamValue& class_weight, const std::vector<int64_t>& codes, int64_t k) {
  std::vector<double> weight(k, 1.0);
  if (std::holds_alternative<NoneType>(class_weight)) return weight;
  std::vector<double> count(k, 0);
  for (int64_t c : codes) count[c] += 1;
  for (int64_t c = 0; c < k; ++c)
    weight[c] = static_cast<double>(codes.size()) / (static_cast<double>(k) * count[c]);
  return weight;
}

Tensor shape_tensor(int64_t n, int64_t d) { return from_vector(std::vector<int64_t>{n, d}); }

// The rows of X listed in `rows`, copied into a contiguous [rows.size(), d] block.
std::vector<double> gather_rows(const Tensor& X, const std::vector<int64_t>& rows) {
  int64_t d = X.size(1);
  std::vector<double> out(rows.size() * d);
  for (size_t r = 0; r < rows.size(); ++r) std::copy_n(detail::row(X, rows[r]), d, out.data() + r * d);
  return out;
}

// Kernel values between the rows of X and the support vectors, one block of rows at a time
// (bounded memory), each block handed to `use(first_row, rows, K [rows, n_SV])` in parallel.
template <class Use>
void for_kernel_blocks(const KernelSpec& spec, const Tensor& X, const Tensor& sv, Use use) {
  int64_t n = X.size(0), d = X.size(1), m = sv.size(0);
  constexpr int64_t kBlock = 256;
  int64_t blocks = (n + kBlock - 1) / kBlock;
#pragma omp parallel for schedule(dynamic) if (blocks > 1)
  for (int64_t b = 0; b < blocks; ++b) {
    int64_t first = b * kBlock, rows = std::min(kBlock, n - first);
    std::vector<double> K(rows * m);
    detail::kernel_matrix(spec, detail::row(X, first), rows, sv.data<double>(), m, d, K.data());
    use(first, rows, K.data());
  }
}

void check_kernel_state(std::string_view who, double gamma, const Tensor& sv, const Tensor& support,
                        const Tensor& shape_fit, int64_t d) {
  SOMA_CHECK(std::isfinite(gamma) && gamma >= 0, "{}: _gamma must be a finite float >= 0", who);
  SOMA_CHECK(sv.dtype() == kFloat64 && sv.dim() == 2 && sv.size(1) == d,
             "{}: support_vectors_ must be float64 [n_SV, {}]", who, d);
  int64_t m = sv.size(0);
  SOMA_CHECK(shape_fit.dtype() == kInt64 && shape_fit.shape() == Shape({2}), "{}: shape_fit_ must be int64 [2]", who);
  auto shape = shape_fit.to_vector<int64_t>();
  SOMA_CHECK(shape[0] >= 1 && shape[1] == d, "{}: shape_fit_ must be [n_samples >= 1, {}]", who, d);
  SOMA_CHECK(support.dtype() == kInt64 && support.shape() == Shape({m}), "{}: support_ must be int64 [{}]", who, m);
  for (int64_t s : support.to_vector<int64_t>())
    SOMA_CHECK(s >= 0 && s < shape[0], "{}: support_ holds {}, outside [0, {})", who, s, shape[0]);
  for (double v : sv.to_vector<double>()) SOMA_CHECK(std::isfinite(v), "{}: support_vectors_ must be finite", who);
}

Tensor scalar_int(int64_t v) { return scalar_tensor(v, kInt64); }
Tensor scalar_double(double v) { return scalar_tensor(v, kFloat64); }

void check_scalar(std::string_view who, const Tensor& t, DType dtype, const char* name) {
  SOMA_CHECK(t.dim() == 0 && t.dtype() == dtype, "{}: {} must be a {} scalar", who, name,
             dtype == kInt64 ? "int64" : "float64");
}

struct BinarySolution {
  std::vector<double> coef;  // y alpha [l]
  double rho = 0;
  int64_t iterations = 0;
  bool hit_max_iter = false;
};

// One C-SVC problem over the rows x [l, d] with labels sign (+1 / -1) and per-row C.
BinarySolution solve_binary(const KernelSpec& spec, const std::vector<double>& x, int64_t l, int64_t d,
                            const std::vector<double>& sign, const std::vector<double>& C, const SVCOptions& o,
                            std::vector<detail::QMatrix::KnownBlock> blocks = {}) {
  std::vector<int> base(l);
  for (int64_t t = 0; t < l; ++t) base[t] = static_cast<int>(t);
  detail::QMatrix Q(spec, x.data(), l, d, std::move(base), sign, o.cache_size * 1024.0 * 1024.0);
  Q.set_known_blocks(std::move(blocks));
  detail::SolverResult r = detail::solve_smo(Q, std::vector<double>(l, -1.0), sign, C, o.tol, o.shrinking, o.max_iter);
  for (int64_t t = 0; t < l; ++t) r.alpha[t] *= sign[t];
  return {std::move(r.alpha), r.rho, r.iterations, r.hit_max_iter};
}

// libsvm's svm_binary_svc_probability: decision values of each row from a model trained on
// the other four of five random folds, then Platt's sigmoid fitted to them.
void fit_platt(const KernelSpec& spec, const std::vector<double>& x, int64_t l, int64_t d,
               const std::vector<double>& sign, const std::vector<double>& C, const SVCOptions& o, uint64_t seed,
               double& A, double& B) {
  constexpr int64_t kFolds = 5;
  std::vector<int64_t> perm(l);
  for (int64_t t = 0; t < l; ++t) perm[t] = t;
  std::mt19937_64 rng(seed);
  for (int64_t t = 0; t < l; ++t)
    std::swap(perm[t], perm[t + static_cast<int64_t>(rng() % static_cast<uint64_t>(l - t))]);
  std::vector<double> dec(l, 0.0);
  for (int64_t f = 0; f < kFolds; ++f) {
    int64_t begin = f * l / kFolds, end = (f + 1) * l / kFolds;
    std::vector<int64_t> train;
    for (int64_t t = 0; t < l; ++t)
      if (t < begin || t >= end) train.push_back(perm[t]);
    int64_t m = static_cast<int64_t>(train.size()), positives = 0;
    std::vector<double> xs(m * d), ss(m), cs(m);
    for (int64_t s = 0; s < m; ++s) {
      std::copy_n(x.data() + train[s] * d, d, xs.data() + s * d);
      ss[s] = sign[train[s]];
      cs[s] = C[train[s]];
      positives += ss[s] > 0;
    }
    if (positives == 0 || positives == m) {  // one class only: its label as the decision
      for (int64_t t = begin; t < end; ++t) dec[perm[t]] = m == 0 ? 0.0 : (positives > 0 ? 1.0 : -1.0);
      continue;
    }
    BinarySolution sub = solve_binary(spec, xs, m, d, ss, cs, o);
    std::vector<double> held((end - begin) * d), K((end - begin) * m);
    for (int64_t t = begin; t < end; ++t) std::copy_n(x.data() + perm[t] * d, d, held.data() + (t - begin) * d);
    detail::kernel_matrix(spec, held.data(), end - begin, xs.data(), m, d, K.data());
    for (int64_t t = begin; t < end; ++t) {
      double v = -sub.rho;
      for (int64_t s = 0; s < m; ++s) v += sub.coef[s] * K[(t - begin) * m + s];
      dec[perm[t]] = v;
    }
  }
  detail::fit_sigmoid(dec, sign, A, B);
}

// Each class's own kernel block [n_c, n_c] is needed by its k - 1 pairs: computed once (one
// GEMM each) when there are more than two classes and the blocks fit in the cache; else none.
std::vector<std::vector<double>> class_kernel_blocks(const KernelSpec& spec, const Tensor& X,
                                                     const std::vector<std::vector<int64_t>>& members,
                                                     double cache_bytes) {
  int64_t k = static_cast<int64_t>(members.size()), d = X.size(1);
  double block_bytes = 0;
  for (const auto& rows : members) block_bytes += 8.0 * static_cast<double>(rows.size() * rows.size());
  std::vector<std::vector<double>> blocks(k);
  if (k <= 2 || block_bytes > cache_bytes) return blocks;
#pragma omp parallel for schedule(dynamic)
  for (int64_t c = 0; c < k; ++c) {
    int64_t nc = static_cast<int64_t>(members[c].size());
    std::vector<double> x = gather_rows(X, members[c]);
    blocks[c].resize(nc * nc);
    detail::kernel_matrix(spec, x.data(), nc, x.data(), nc, d, blocks[c].data());
  }
  return blocks;
}

// The pairs' solutions in scikit-learn's layout.
struct OvoLayout {
  std::vector<int64_t> support;    // training rows with a non-zero coefficient, grouped by class
  std::vector<int64_t> n_support;  // [k]
  std::vector<double> dual;        // [k - 1, n_SV]
  std::vector<double> intercept;   // [pairs]
};

// coef[p]: y alpha of pair p = (a, b) over the rows of a then of b; rho[p]: its offset.
OvoLayout ovo_layout(int64_t n, const std::vector<std::vector<int64_t>>& members,
                     const std::vector<std::pair<int64_t, int64_t>>& pair_classes,
                     const std::vector<std::vector<double>>& coef, const std::vector<double>& rho) {
  int64_t k = static_cast<int64_t>(members.size()), pairs = static_cast<int64_t>(pair_classes.size());
  auto row_of = [&](int64_t p, size_t t) {
    auto [a, b] = pair_classes[p];
    size_t la = members[a].size();
    return t < la ? members[a][t] : members[b][t - la];
  };
  // A support vector: non-zero in any of its pairs.
  std::vector<char> is_sv(n, 0);
  for (int64_t p = 0; p < pairs; ++p)
    for (size_t t = 0; t < coef[p].size(); ++t)
      if (coef[p][t] != 0) is_sv[row_of(p, t)] = 1;
  OvoLayout out;
  out.n_support.assign(k, 0);
  std::vector<int64_t> position(n, -1);
  for (int64_t c = 0; c < k; ++c)
    for (int64_t row : members[c])
      if (is_sv[row]) {
        position[row] = static_cast<int64_t>(out.support.size());
        out.support.push_back(row);
        ++out.n_support[c];
      }
  int64_t m = static_cast<int64_t>(out.support.size());
  // The coefficient of a class-a support vector in pair (a, b) is in row b - 1; of a class-b
  // one, in row a. Two classes: signs flipped, so that positive decisions mean classes_[1].
  double flip = k == 2 ? -1.0 : 1.0;
  out.dual.assign((k - 1) * m, 0.0);
  out.intercept.resize(pairs);
  for (int64_t p = 0; p < pairs; ++p) {
    auto [a, b] = pair_classes[p];
    size_t la = members[a].size();
    for (size_t t = 0; t < coef[p].size(); ++t) {
      int64_t pos = position[row_of(p, t)];
      if (pos >= 0) out.dual[(t < la ? b - 1 : a) * m + pos] = flip * coef[p][t];
    }
    out.intercept[p] = -flip * rho[p];
  }
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------- SVC

void SVC::visit_params(ParamVisitor& v) {
  v.visit("C", &options_.C, real_in(greater_than(0)));
  v.visit("kernel", &options_.kernel, one_of(kKernels));
  v.visit("degree", &options_.degree, int_in(at_least(0)));
  v.visit("gamma", &options_.gamma, gamma_constraint());
  v.visit("coef0", &options_.coef0, real_in({}));
  v.visit("shrinking", &options_.shrinking, boolean());
  v.visit("probability", &options_.probability, boolean());
  v.visit("tol", &options_.tol, real_in(greater_than(0)));
  v.visit("cache_size", &options_.cache_size, real_in(greater_than(0)));
  v.visit("class_weight", &options_.class_weight, class_weight_constraint());
  v.visit("verbose", &options_.verbose, boolean());
  v.visit("max_iter", &options_.max_iter, int_in(at_least(-1)));
  v.visit("decision_function_shape", &options_.decision_function_shape, one_of({"ovo", "ovr"}));
  v.visit("break_ties", &options_.break_ties, boolean());
  v.visit("random_state", &options_.random_state, int_or_none(between(0, 4294967295.0)));
}

void SVC::visit_fitted(const std::function<void(const char*, Tensor&)>& visit) {
  fit_status_t_ = scalar_int(fit_status_);
  gamma_t_ = scalar_double(gamma_);
  visit("classes_", classes_);
  visit("support_", support_);
  visit("support_vectors_", support_vectors_);
  visit("n_support_", n_support_);
  visit("dual_coef_", dual_coef_);
  visit("intercept_", intercept_);
  visit("class_weight_", class_weight_);
  visit("n_iter_", n_iter_);
  visit("probA_", probA_);
  visit("probB_", probB_);
  visit("shape_fit_", shape_fit_);
  visit("fit_status_", fit_status_t_);
  visit("_gamma", gamma_t_);
}

void SVC::check_fitted_state() const {
  SOMA_CHECK(classes_.dtype() == kInt64 && classes_.dim() == 1 && classes_.size(0) >= 2,
             "SVC: classes_ must be int64 [n_classes >= 2]");
  int64_t k = classes_.size(0), pairs = k * (k - 1) / 2;
  check_scalar("SVC", fit_status_t_, kInt64, "fit_status_");
  check_scalar("SVC", gamma_t_, kFloat64, "_gamma");
  check_kernel_state("SVC", gamma_t_.item<double>(), support_vectors_, support_, shape_fit_, n_features_in_);
  int64_t m = support_vectors_.size(0);
  SOMA_CHECK(n_support_.dtype() == kInt64 && n_support_.shape() == Shape({k}), "SVC: n_support_ must be int64 [{}]", k);
  int64_t total = 0;
  for (int64_t c : n_support_.to_vector<int64_t>()) {
    SOMA_CHECK(c >= 0 && c <= m, "SVC: n_support_ entries must be in [0, {}]", m);
    total += c;
  }
  SOMA_CHECK(total == m, "SVC: n_support_ sums to {}, but there are {} support vectors", total, m);
  SOMA_CHECK(dual_coef_.dtype() == kFloat64 && dual_coef_.shape() == Shape({k - 1, m}),
             "SVC: dual_coef_ must be float64 [{}, {}]", k - 1, m);
  SOMA_CHECK(intercept_.dtype() == kFloat64 && intercept_.shape() == Shape({pairs}),
             "SVC: intercept_ must be float64 [{}]", pairs);
  SOMA_CHECK(class_weight_.dtype() == kFloat64 && class_weight_.shape() == Shape({k}),
             "SVC: class_weight_ must be float64 [{}]", k);
  SOMA_CHECK(n_iter_.dtype() == kInt64 && n_iter_.shape() == Shape({pairs}), "SVC: n_iter_ must be int64 [{}]", pairs);
  for (const Tensor* t : {&dual_coef_, &intercept_})
    for (double v : t->to_vector<double>())
      SOMA_CHECK(std::isfinite(v), "SVC: dual_coef_ and intercept_ must be finite");
  for (const Tensor* t : {&probA_, &probB_}) {
    SOMA_CHECK(t->dtype() == kFloat64 && t->dim() == 1 && (t->size(0) == pairs || t->size(0) == 0),
               "SVC: probA_ and probB_ must be float64 [{}] (or [0] without probability)", pairs);
    for (double v : t->to_vector<double>()) SOMA_CHECK(std::isfinite(v), "SVC: probA_ and probB_ must be finite");
  }
  SOMA_CHECK(probA_.size(0) == probB_.size(0), "SVC: probA_ and probB_ must have the same length");
}

SVC& SVC::fit(const Tensor& X_in, const Tensor& y) {
  Tensor X = detail::check_matrix(X_in, "SVC.fit");
  int64_t n = X.size(0), d = X.size(1);
  detail::EncodedLabels labels = detail::encode_labels(y, n, "SVC.fit");
  int64_t k = labels.classes.size(0), pairs = k * (k - 1) / 2;
  std::vector<double> weight = class_weights(options_.class_weight, labels.codes, k);
  double gamma = resolve_gamma(options_.gamma, X);
  KernelSpec spec = kernel_spec(options_.kernel, options_.degree, gamma, options_.coef0);

  std::vector<std::vector<int64_t>> members(k);  // training rows of each class, in order
  for (int64_t i = 0; i < n; ++i) members[labels.codes[i]].push_back(i);
  std::vector<std::pair<int64_t, int64_t>> pair_classes;
  for (int64_t a = 0; a < k; ++a)
    for (int64_t b = a + 1; b < k; ++b) pair_classes.emplace_back(a, b);

  std::vector<std::vector<double>> class_blocks =
      class_kernel_blocks(spec, X, members, options_.cache_size * 1024.0 * 1024.0);

  // One binary problem per pair: class a (+1) against class b (-1); coef = y alpha over the
  // rows of a then the rows of b.
  std::vector<std::vector<double>> coef(pairs);
  std::vector<double> rho(pairs);
  std::vector<int64_t> iterations(pairs);
  std::vector<char> hit_max(pairs);
  std::vector<double> prob_a(options_.probability ? pairs : 0), prob_b(prob_a.size());
  uint64_t seed = options_.probability ? detail::resolve_seed(options_.random_state) : 0;
#pragma omp parallel for schedule(dynamic) if (pairs > 1)
  for (int64_t p = 0; p < pairs; ++p) {
    auto [a, b] = pair_classes[p];
    std::vector<int64_t> rows = members[a];
    rows.insert(rows.end(), members[b].begin(), members[b].end());
    int64_t l = static_cast<int64_t>(rows.size()), la = static_cast<int64_t>(members[a].size());
    std::vector<double> sign(l), C(l);
    for (int64_t t = 0; t < l; ++t) {
      sign[t] = t < la ? 1.0 : -1.0;
      C[t] = options_.C * weight[t < la ? a : b];
    }
    std::vector<double> x = gather_rows(X, rows);
    std::vector<detail::QMatrix::KnownBlock> blocks;
    if (!class_blocks[a].empty()) blocks = {{0, la, class_blocks[a].data()}, {la, l - la, class_blocks[b].data()}};
    BinarySolution solution = solve_binary(spec, x, l, d, sign, C, options_, std::move(blocks));
    if (options_.probability)
      fit_platt(spec, x, l, d, sign, C, options_, seed + static_cast<uint64_t>(p) * 0x9E3779B97F4A7C15ULL,
                prob_a[p], prob_b[p]);
    coef[p] = std::move(solution.coef);
    rho[p] = solution.rho;
    iterations[p] = solution.iterations;
    hit_max[p] = solution.hit_max_iter;
  }

  OvoLayout layout = ovo_layout(n, members, pair_classes, coef, rho);
  int64_t m = static_cast<int64_t>(layout.support.size());
  classes_ = labels.classes;
  support_ = from_vector(layout.support);
  support_vectors_ = from_vector(gather_rows(X, layout.support), {m, d});
  n_support_ = from_vector(layout.n_support);
  dual_coef_ = from_vector(layout.dual, {k - 1, m});
  intercept_ = from_vector(layout.intercept);
  class_weight_ = from_vector(weight);
  n_iter_ = from_vector(iterations);
  probA_ = from_vector(prob_a, {static_cast<int64_t>(prob_a.size())});
  probB_ = from_vector(prob_b, {static_cast<int64_t>(prob_b.size())});
  shape_fit_ = shape_tensor(n, d);
  fit_status_ = std::any_of(hit_max.begin(), hit_max.end(), [](char h) { return h != 0; }) ? 1 : 0;
  gamma_ = gamma;
  n_features_in_ = d;
  return *this;
}

// libsvm's pairwise decision values [n, k(k-1)/2], positive for the pair's first class.
Tensor SVC::ovo_decision(const Tensor& X_in, const char* method) const {
  check_fitted(X_in, method);
  Tensor X = detail::check_matrix(X_in, std::string("SVC.") + method);
  int64_t n = X.size(0), k = classes_.size(0), pairs = k * (k - 1) / 2, m = support_vectors_.size(0);
  // The two-class layout is sign-flipped (see fit): undo it here.
  double flip = k == 2 ? -1.0 : 1.0;
  KernelSpec spec = kernel_spec(options_.kernel, options_.degree, gamma_, options_.coef0);
  std::vector<int64_t> start(k + 1, 0);
  auto counts = n_support_.to_vector<int64_t>();
  for (int64_t c = 0; c < k; ++c) start[c + 1] = start[c] + counts[c];
  const double* dual = dual_coef_.data<double>();
  const double* intercept = intercept_.data<double>();
  Tensor out = empty({n, pairs}, kFloat64);
  double* o = out.data<double>();
  for_kernel_blocks(spec, X, support_vectors_, [&](int64_t first, int64_t rows, const double* K) {
    for (int64_t r = 0; r < rows; ++r) {
      const double* kr = K + r * m;
      int64_t p = 0;
      for (int64_t a = 0; a < k; ++a)
        for (int64_t b = a + 1; b < k; ++b, ++p) {
          double sum = intercept[p];
          const double* ca = dual + (b - 1) * m;
          const double* cb = dual + a * m;
          for (int64_t s = start[a]; s < start[a + 1]; ++s) sum += ca[s] * kr[s];
          for (int64_t s = start[b]; s < start[b + 1]; ++s) sum += cb[s] * kr[s];
          o[(first + r) * pairs + p] = flip * sum;
        }
    }
  });
  return out;
}

Tensor SVC::decision_function(const Tensor& X) const {
  Tensor dec = ovo_decision(X, "decision_function");
  int64_t n = dec.size(0), k = classes_.size(0);
  if (k == 2) return dec.reshape({n}).neg().contiguous();
  if (options_.decision_function_shape == "ovo") return dec;
  // scikit-learn's _ovr_decision_function: votes plus the summed confidences squashed into
  // (-1/3, 1/3), so that ties between votes go to the more confident class.
  int64_t pairs = dec.size(1);
  const double* v = dec.data<double>();
  Tensor out = zeros({n, k}, kFloat64);
  double* o = out.data<double>();
  std::vector<double> confidence(k);
  for (int64_t i = 0; i < n; ++i) {
    std::fill(confidence.begin(), confidence.end(), 0.0);
    double* votes = o + i * k;
    int64_t p = 0;
    for (int64_t a = 0; a < k; ++a)
      for (int64_t b = a + 1; b < k; ++b, ++p) {
        double value = v[i * pairs + p];
        confidence[a] += value;
        confidence[b] -= value;
        votes[value < 0 ? b : a] += 1;
      }
    for (int64_t c = 0; c < k; ++c) votes[c] += confidence[c] / (3 * (std::fabs(confidence[c]) + 1));
  }
  return out;
}

Tensor SVC::predict(const Tensor& X) const {
  check_fitted(X, "predict");
  int64_t k = classes_.size(0);
  SOMA_CHECK(!(options_.break_ties && options_.decision_function_shape == "ovo"),
             "SVC.predict: break_ties must be False when decision_function_shape is 'ovo'");
  std::vector<int64_t> codes;
  if (options_.break_ties && k > 2) {
    Tensor scores = decision_function(X);
    int64_t n = scores.size(0);
    const double* s = scores.data<double>();
    codes.resize(n);
    for (int64_t i = 0; i < n; ++i) codes[i] = std::max_element(s + i * k, s + (i + 1) * k) - (s + i * k);
    return detail::decode_labels(classes_, codes);
  }
  // libsvm's vote: a pair's positive decision is a vote for its first class; ties between
  // vote counts go to the lower class.
  Tensor dec = ovo_decision(X, "predict");
  int64_t n = dec.size(0), pairs = dec.size(1);
  const double* v = dec.data<double>();
  codes.resize(n);
  std::vector<int64_t> votes(k);
  for (int64_t i = 0; i < n; ++i) {
    std::fill(votes.begin(), votes.end(), 0);
    int64_t p = 0;
    for (int64_t a = 0; a < k; ++a)
      for (int64_t b = a + 1; b < k; ++b, ++p) ++votes[v[i * pairs + p] > 0 ? a : b];
    codes[i] = std::max_element(votes.begin(), votes.end()) - votes.begin();
  }
  return detail::decode_labels(classes_, codes);
}

Tensor SVC::predict_proba(const Tensor& X) const {
  check_fitted(X, "predict_proba");
  SOMA_CHECK(probA_.size(0) > 0, "SVC.predict_proba: predict_proba is not available when probability=False; "
                                 "fit with probability=True");
  Tensor dec = ovo_decision(X, "predict_proba");
  int64_t n = dec.size(0), pairs = dec.size(1), k = classes_.size(0);
  const double* v = dec.data<double>();
  const double* A = probA_.data<double>();
  const double* B = probB_.data<double>();
  Tensor out = empty({n, k}, kFloat64);
  double* o = out.data<double>();
  constexpr double kMinProb = 1e-7;  // libsvm's clip of the pairwise probabilities
  std::vector<double> r(k * k, 0.0);
  for (int64_t i = 0; i < n; ++i) {
    int64_t p = 0;
    for (int64_t a = 0; a < k; ++a)
      for (int64_t b = a + 1; b < k; ++b, ++p) {
        double rab = std::clamp(detail::sigmoid_predict(v[i * pairs + p], A[p], B[p]), kMinProb, 1 - kMinProb);
        r[a * k + b] = rab;
        r[b * k + a] = 1 - rab;
      }
    if (k == 2) {
      o[i * 2] = r[1];
      o[i * 2 + 1] = r[2];
    } else {
      detail::couple_pairwise(k, r, o + i * k);
    }
  }
  return out;
}

void SVC::load_fitted_state(const StateDict& state) {
  Classifier::load_fitted_state(state);
  fit_status_ = fit_status_t_.item<int64_t>();
  gamma_ = gamma_t_.item<double>();
}

// ---------------------------------------------------------------------------------------- SVR

void SVR::visit_params(ParamVisitor& v) {
  v.visit("kernel", &options_.kernel, one_of(kKernels));
  v.visit("degree", &options_.degree, int_in(at_least(0)));
  v.visit("gamma", &options_.gamma, gamma_constraint());
  v.visit("coef0", &options_.coef0, real_in({}));
  v.visit("tol", &options_.tol, real_in(greater_than(0)));
  v.visit("C", &options_.C, real_in(greater_than(0)));
  v.visit("epsilon", &options_.epsilon, real_in(at_least(0)));
  v.visit("shrinking", &options_.shrinking, boolean());
  v.visit("cache_size", &options_.cache_size, real_in(greater_than(0)));
  v.visit("verbose", &options_.verbose, boolean());
  v.visit("max_iter", &options_.max_iter, int_in(at_least(-1)));
}

void SVR::visit_fitted(const std::function<void(const char*, Tensor&)>& visit) {
  fit_status_t_ = scalar_int(fit_status_);
  gamma_t_ = scalar_double(gamma_);
  visit("support_", support_);
  visit("support_vectors_", support_vectors_);
  visit("dual_coef_", dual_coef_);
  visit("intercept_", intercept_);
  visit("n_iter_", n_iter_);
  visit("shape_fit_", shape_fit_);
  visit("fit_status_", fit_status_t_);
  visit("_gamma", gamma_t_);
}

void SVR::check_fitted_state() const {
  check_scalar("SVR", fit_status_t_, kInt64, "fit_status_");
  check_scalar("SVR", gamma_t_, kFloat64, "_gamma");
  check_scalar("SVR", n_iter_, kInt64, "n_iter_");
  check_kernel_state("SVR", gamma_t_.item<double>(), support_vectors_, support_, shape_fit_, n_features_in_);
  int64_t m = support_vectors_.size(0);
  SOMA_CHECK(dual_coef_.dtype() == kFloat64 && dual_coef_.shape() == Shape({1, m}),
             "SVR: dual_coef_ must be float64 [1, {}]", m);
  SOMA_CHECK(intercept_.dtype() == kFloat64 && intercept_.shape() == Shape({1}), "SVR: intercept_ must be float64 [1]");
  for (const Tensor* t : {&dual_coef_, &intercept_})
    for (double v : t->to_vector<double>())
      SOMA_CHECK(std::isfinite(v), "SVR: dual_coef_ and intercept_ must be finite");
}

void SVR::load_fitted_state(const StateDict& state) {
  Regressor::load_fitted_state(state);
  fit_status_ = fit_status_t_.item<int64_t>();
  gamma_ = gamma_t_.item<double>();
}

SVR& SVR::fit(const Tensor& X_in, const Tensor& y_in) {
  Tensor X = detail::check_matrix(X_in, "SVR.fit");
  int64_t n = X.size(0), d = X.size(1);
  Tensor y = detail::check_targets(y_in, n, "SVR.fit");
  const double* yv = y.data<double>();
  double gamma = resolve_gamma(options_.gamma, X);
  KernelSpec spec = kernel_spec(options_.kernel, options_.degree, gamma, options_.coef0);
  // libsvm's epsilon-SVR: 2n variables (alpha+, alpha-) with signs +1 / -1 over the same rows.
  int64_t L = 2 * n;
  std::vector<int> base(L);
  std::vector<double> sign(L), p(L), C(L, options_.C);
  for (int64_t i = 0; i < n; ++i) {
    base[i] = base[i + n] = static_cast<int>(i);
    sign[i] = 1.0;
    sign[i + n] = -1.0;
    p[i] = options_.epsilon - yv[i];
    p[i + n] = options_.epsilon + yv[i];
  }
  detail::QMatrix Q(spec, X.data<double>(), n, d, std::move(base), sign, options_.cache_size * 1024.0 * 1024.0);
  detail::SolverResult r = detail::solve_smo(Q, p, sign, C, options_.tol, options_.shrinking, options_.max_iter);
  std::vector<int64_t> support;
  std::vector<double> coef;
  for (int64_t i = 0; i < n; ++i) {
    double c = r.alpha[i] - r.alpha[i + n];
    if (c != 0) support.push_back(i), coef.push_back(c);
  }
  int64_t m = static_cast<int64_t>(support.size());
  support_ = from_vector(support);
  support_vectors_ = from_vector(gather_rows(X, support), {m, d});
  dual_coef_ = from_vector(coef, {1, m});
  intercept_ = from_vector(std::vector<double>{-r.rho});
  n_iter_ = scalar_int(r.iterations);
  shape_fit_ = shape_tensor(n, d);
  fit_status_ = r.hit_max_iter ? 1 : 0;
  gamma_ = gamma;
  n_features_in_ = d;
  return *this;
}

Tensor SVR::predict(const Tensor& X_in) const {
  check_fitted(X_in, "predict");
  Tensor X = detail::check_matrix(X_in, "SVR.predict");
  int64_t n = X.size(0), m = support_vectors_.size(0);
  KernelSpec spec = kernel_spec(options_.kernel, options_.degree, gamma_, options_.coef0);
  const double* coef = dual_coef_.data<double>();
  double intercept = intercept_.data<double>()[0];
  Tensor out = empty({n}, kFloat64);
  double* o = out.data<double>();
  for_kernel_blocks(spec, X, support_vectors_, [&](int64_t first, int64_t rows, const double* K) {
    for (int64_t r = 0; r < rows; ++r) {
      double sum = intercept;
      for (int64_t s = 0; s < m; ++s) sum += coef[s] * K[r * m + s];
      o[first + r] = sum;
    }
  });
  return out;
}

// ---------------------------------------------------------------------------------- LinearSVC

namespace {

struct LinearProblem {
  std::vector<double> y;      // +1 / -1 [n]
  std::vector<double> upper;  // C of each sample [n]
};

struct LinearResult {
  std::vector<double> w;  // [dd]
  int64_t iterations = 0;
};

// liblinear's dual coordinate descent for the L2-regularized hinge (l1 = true) or squared
// hinge loss: coordinates visited in a random order each pass, those at a bound whose
// gradient pushes outwards shrunk away, stopping when the projected gradient's spread is
// below tol. x: [n, dd] with the intercept column appended.
LinearResult solve_linear_dual(const std::vector<double>& x, int64_t n, int64_t dd, const LinearProblem& prob,
                               bool l1, double tol, int64_t max_iter, uint64_t seed) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  std::vector<double> alpha(n, 0.0), QD(n), diag(n), upper(n);
  for (int64_t i = 0; i < n; ++i) {
    diag[i] = l1 ? 0.0 : 0.5 / prob.upper[i];
    upper[i] = l1 ? prob.upper[i] : kInf;
    const double* xi = x.data() + i * dd;
    double s = 0;
    for (int64_t k = 0; k < dd; ++k) s += xi[k] * xi[k];
    QD[i] = diag[i] + s;
  }
  LinearResult out;
  out.w.assign(dd, 0.0);
  double* w = out.w.data();
  std::vector<int64_t> index(n);
  for (int64_t i = 0; i < n; ++i) index[i] = i;
  std::mt19937_64 rng(seed);
  int64_t active = n, iter = 0;
  double PGmax_old = kInf, PGmin_old = -kInf;
  while (iter < max_iter) {
    double PGmax_new = -kInf, PGmin_new = kInf;
    for (int64_t i = 0; i < active; ++i) {
      int64_t j = i + static_cast<int64_t>(rng() % static_cast<uint64_t>(active - i));
      std::swap(index[i], index[j]);
    }
    for (int64_t s = 0; s < active; ++s) {
      int64_t i = index[s];
      const double* xi = x.data() + i * dd;
      double yi = prob.y[i], dot = 0;
#pragma omp simd reduction(+ : dot)
      for (int64_t k = 0; k < dd; ++k) dot += w[k] * xi[k];
      double G = yi * dot - 1 + alpha[i] * diag[i], C = upper[i], PG = 0;
      if (alpha[i] == 0) {
        if (G > PGmax_old) {
          std::swap(index[s--], index[--active]);
          continue;
        }
        if (G < 0) PG = G;
      } else if (alpha[i] == C) {
        if (G < PGmin_old) {
          std::swap(index[s--], index[--active]);
          continue;
        }
        if (G > 0) PG = G;
      } else {
        PG = G;
      }
      PGmax_new = std::max(PGmax_new, PG);
      PGmin_new = std::min(PGmin_new, PG);
      if (std::fabs(PG) > 1.0e-12) {
        double old = alpha[i];
        alpha[i] = std::min(std::max(alpha[i] - G / QD[i], 0.0), C);
        double step = (alpha[i] - old) * yi;
        for (int64_t k = 0; k < dd; ++k) w[k] += step * xi[k];
      }
    }
    ++iter;
    if (PGmax_new - PGmin_new <= tol) {
      if (active == n) break;
      active = n;  // converged on the active set: check everything once more
      PGmax_old = kInf;
      PGmin_old = -kInf;
      continue;
    }
    PGmax_old = PGmax_new <= 0 ? kInf : PGmax_new;
    PGmin_old = PGmin_new >= 0 ? -kInf : PGmin_new;
  }
  out.iterations = iter;
  return out;
}

}  // namespace

void LinearSVC::visit_params(ParamVisitor& v) {
  v.visit("penalty", &options_.penalty, one_of({"l2"}));
  v.visit("loss", &options_.loss, one_of({"hinge", "squared_hinge"}));
  v.visit("dual", &options_.dual, boolean());
  v.visit("tol", &options_.tol, real_in(greater_than(0)));
  v.visit("C", &options_.C, real_in(greater_than(0)));
  v.visit("multi_class", &options_.multi_class, one_of({"ovr"}));
  v.visit("fit_intercept", &options_.fit_intercept, boolean());
  v.visit("intercept_scaling", &options_.intercept_scaling, real_in(greater_than(0)));
  v.visit("class_weight", &options_.class_weight, class_weight_constraint());
  v.visit("verbose", &options_.verbose, int_in(at_least(0)));
  v.visit("random_state", &options_.random_state, int_or_none(between(0, 4294967295.0)));
  v.visit("max_iter", &options_.max_iter, int_in(at_least(0)));
}

void LinearSVC::visit_fitted(const std::function<void(const char*, Tensor&)>& visit) {
  visit("classes_", classes_);
  visit("coef_", coef_);
  visit("intercept_", intercept_);
  visit("n_iter_", n_iter_);
}

void LinearSVC::check_fitted_state() const {
  SOMA_CHECK(classes_.dtype() == kInt64 && classes_.dim() == 1 && classes_.size(0) >= 2,
             "LinearSVC: classes_ must be int64 [n_classes >= 2]");
  int64_t k = classes_.size(0), rows = k == 2 ? 1 : k;
  SOMA_CHECK(coef_.dtype() == kFloat64 && coef_.shape() == Shape({rows, n_features_in_}),
             "LinearSVC: coef_ must be float64 [{}, {}]", rows, n_features_in_);
  SOMA_CHECK(intercept_.dtype() == kFloat64 && intercept_.shape() == Shape({rows}),
             "LinearSVC: intercept_ must be float64 [{}]", rows);
  check_scalar("LinearSVC", n_iter_, kInt64, "n_iter_");
  for (const Tensor* t : {&coef_, &intercept_})
    for (double v : t->to_vector<double>())
      SOMA_CHECK(std::isfinite(v), "LinearSVC: coef_ and intercept_ must be finite");
}

LinearSVC& LinearSVC::fit(const Tensor& X_in, const Tensor& y) {
  SOMA_CHECK(options_.dual, "LinearSVC.fit: dual=False (liblinear's primal solver) is not implemented; use dual=True");
  Tensor X = detail::check_matrix(X_in, "LinearSVC.fit");
  int64_t n = X.size(0), d = X.size(1);
  detail::EncodedLabels labels = detail::encode_labels(y, n, "LinearSVC.fit");
  int64_t k = labels.classes.size(0), problems = k == 2 ? 1 : k;
  std::vector<double> weight = class_weights(options_.class_weight, labels.codes, k);
  // liblinear appends intercept_scaling as a feature; its weight (regularized) is the intercept.
  int64_t dd = d + (options_.fit_intercept ? 1 : 0);
  std::vector<double> x(n * dd);
  for (int64_t i = 0; i < n; ++i) {
    std::copy_n(detail::row(X, i), d, x.data() + i * dd);
    if (options_.fit_intercept) x[i * dd + d] = options_.intercept_scaling;
  }
  uint64_t seed = detail::resolve_seed(options_.random_state);
  bool l1 = options_.loss == "hinge";
  std::vector<LinearResult> results(problems);
#pragma omp parallel for schedule(dynamic) if (problems > 1)
  for (int64_t c = 0; c < problems; ++c) {
    // Two classes: classes_[1] against classes_[0], each with its weighted C. More: class c
    // (weighted C) against the rest (plain C), as liblinear.
    int64_t positive = k == 2 ? 1 : c;
    LinearProblem prob{std::vector<double>(n), std::vector<double>(n)};
    for (int64_t i = 0; i < n; ++i) {
      bool pos = labels.codes[i] == positive;
      prob.y[i] = pos ? 1.0 : -1.0;
      prob.upper[i] = options_.C * (pos || k == 2 ? weight[labels.codes[i]] : 1.0);
    }
    results[c] = solve_linear_dual(x, n, dd, prob, l1, options_.tol, options_.max_iter,
                                   seed + static_cast<uint64_t>(c) * 0x9E3779B97F4A7C15ULL);
  }
  std::vector<double> coef(problems * d), intercept(problems, 0.0);
  int64_t most = 0;
  for (int64_t c = 0; c < problems; ++c) {
    std::copy_n(results[c].w.data(), d, coef.data() + c * d);
    if (options_.fit_intercept) intercept[c] = options_.intercept_scaling * results[c].w[d];
    most = std::max(most, results[c].iterations);
  }
  classes_ = labels.classes;
  coef_ = from_vector(coef, {problems, d});
  intercept_ = from_vector(intercept);
  n_iter_ = scalar_int(most);
  n_features_in_ = d;
  return *this;
}

Tensor LinearSVC::scores(const Tensor& X_in) const {
  Tensor X = detail::check_matrix(X_in, "LinearSVC.decision_function");
  int64_t n = X.size(0), d = X.size(1), rows = coef_.size(0);
  const double* w = coef_.data<double>();
  const double* b = intercept_.data<double>();
  Tensor out = empty({n, rows}, kFloat64);
  double* o = out.data<double>();
  for (int64_t i = 0; i < n; ++i) {
    const double* xi = detail::row(X, i);
    for (int64_t c = 0; c < rows; ++c) {
      double s = b[c];
      for (int64_t j = 0; j < d; ++j) s += w[c * d + j] * xi[j];
      o[i * rows + c] = s;
    }
  }
  return out;
}

Tensor LinearSVC::decision_function(const Tensor& X) const {
  check_fitted(X, "decision_function");
  Tensor s = scores(X);
  return s.size(1) == 1 ? s.reshape({s.size(0)}).contiguous() : s;
}

Tensor LinearSVC::predict(const Tensor& X) const {
  check_fitted(X, "predict");
  Tensor s = scores(X);
  int64_t n = s.size(0), rows = s.size(1);
  const double* p = s.data<double>();
  std::vector<int64_t> codes(n);
  for (int64_t i = 0; i < n; ++i)
    codes[i] = rows == 1 ? (p[i] > 0 ? 1 : 0) : std::max_element(p + i * rows, p + (i + 1) * rows) - (p + i * rows);
  return detail::decode_labels(classes_, codes);
}

}  // namespace soma::ml
