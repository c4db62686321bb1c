// The kernels and the SMO solver behind SVC and SVR (see svm_smo.h).
#include "svm_smo.h"

#include <cblas.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

#include "soma/error.h"

namespace soma::ml::detail {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kTau = 1e-12;  // libsvm's TAU: the curvature used when a pair's is not positive

// a * b + c, fused where the target has FMA (a library call otherwise, which would not vectorize).
[[gnu::always_inline]] inline double fmadd(double a, double b, double c) {
#ifdef __FMA__
  return __builtin_fma(a, b, c);
#else
  return a * b + c;
#endif
}

// e^x for x <= 0, branch-free so that g++ vectorizes the rbf's loops (std::exp is an opaque
// call): x = n ln2 + r with |r| <= ln2/2, e^r by its Taylor polynomial of degree 13 (truncation
// below 1e-17 relative), times 2^n. Arguments below -708 give e^-708 (< 4e-308) rather than
// subnormals: a kernel value that small is zero for every purpose.
[[gnu::always_inline]] inline double exp_nonpositive(double x) {
  constexpr double kLog2e = 1.4426950408889634074, kRound = 0x1.8p52;
  constexpr double kLn2Hi = 6.93147180369123816490e-01, kLn2Lo = 1.90821492927058770002e-10;
  x = std::max(x, -708.0);
  double t = fmadd(x, kLog2e, kRound);
  double n = t - kRound;
  int64_t k = std::bit_cast<int64_t>(t) - std::bit_cast<int64_t>(kRound);
  double r = fmadd(n, -kLn2Lo, fmadd(n, -kLn2Hi, x));
  double p = 1.0 / 6227020800.0;  // 1/13!
  p = fmadd(p, r, 1.0 / 479001600.0);
  p = fmadd(p, r, 1.0 / 39916800.0);
  p = fmadd(p, r, 1.0 / 3628800.0);
  p = fmadd(p, r, 1.0 / 362880.0);
  p = fmadd(p, r, 1.0 / 40320.0);
  p = fmadd(p, r, 1.0 / 5040.0);
  p = fmadd(p, r, 1.0 / 720.0);
  p = fmadd(p, r, 1.0 / 120.0);
  p = fmadd(p, r, 1.0 / 24.0);
  p = fmadd(p, r, 1.0 / 6.0);
  p = fmadd(p, r, 0.5);
  p = fmadd(p, r, 1.0);
  p = fmadd(p, r, 1.0);
  return p * std::bit_cast<double>(static_cast<uint64_t>(k + 1023) << 52);
}

// exp(-gamma * |a - b|^2) over a row of dot products a.b_j, in place.
void rbf_row(double gamma, double* dots, int64_t n, double na, const double* nb) {
  for (int64_t j = 0; j < n; ++j) dots[j] = exp_nonpositive(-gamma * std::max(0.0, na + nb[j] - 2.0 * dots[j]));
}

// a . b over d entries (simd: the reduction may be reordered, so it vectorizes).
[[gnu::always_inline]] inline double dot(const double* a, const double* b, int64_t d) {
  double s = 0;
#pragma omp simd reduction(+ : s)
  for (int64_t k = 0; k < d; ++k) s += a[k] * b[k];
  return s;
}

// out [m, n] = A [m, d] B[n, d]^T. Small products are plain loops: OpenBLAS would start its
// threads for each one, which costs more than the product (and much more on a busy machine).
void dot_products(const double* A, int64_t m, const double* B, int64_t n, int64_t d, double* out) {
  if (static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(d) < 4.0e6) {
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) out[i * n + j] = dot(A + i * d, B + j * d, d);
    return;
  }
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(m), static_cast<int>(n),
              static_cast<int>(d), 1.0, A, static_cast<int>(d), B, static_cast<int>(d), 0.0, out,
              static_cast<int>(n));
}

void squared_norms(const double* A, int64_t m, int64_t d, std::vector<double>& out) {
  out.resize(m);
  for (int64_t i = 0; i < m; ++i) out[i] = dot(A + i * d, A + i * d, d);
}

// Applies the kernel's function to dot products in place; na / nb: squared norms (rbf only).
void finish_kernel(const KernelSpec& spec, double* dots, int64_t m, int64_t n, const double* na, const double* nb) {
  switch (spec.type) {
    case KernelType::kLinear:
      return;
    case KernelType::kRbf:
      for (int64_t i = 0; i < m; ++i) rbf_row(spec.gamma, dots + i * n, n, na[i], nb);
      return;
    case KernelType::kPoly:
      for (int64_t t = 0; t < m * n; ++t) dots[t] = std::pow(spec.gamma * dots[t] + spec.coef0, spec.degree);
      return;
    case KernelType::kSigmoid:
      for (int64_t t = 0; t < m * n; ++t) dots[t] = std::tanh(spec.gamma * dots[t] + spec.coef0);
      return;
  }
}

// k(x, x) from |x|^2.
double kernel_of_self(const KernelSpec& spec, double squared_norm) {
  switch (spec.type) {
    case KernelType::kLinear: return squared_norm;
    case KernelType::kRbf: return 1.0;
    case KernelType::kPoly: return std::pow(spec.gamma * squared_norm + spec.coef0, spec.degree);
    case KernelType::kSigmoid: return std::tanh(spec.gamma * squared_norm + spec.coef0);
  }
  return 0;
}

}  // namespace

KernelType parse_kernel(const std::string& name) {
  if (name == "linear") return KernelType::kLinear;
  if (name == "poly") return KernelType::kPoly;
  if (name == "sigmoid") return KernelType::kSigmoid;
  return KernelType::kRbf;
}

void kernel_matrix(const KernelSpec& spec, const double* A, int64_t m, const double* B, int64_t n, int64_t d,
                   double* out) {
  if (m == 0 || n == 0) return;
  dot_products(A, m, B, n, d, out);
  std::vector<double> na, nb;
  if (spec.type == KernelType::kRbf) {
    squared_norms(A, m, d, na);
    squared_norms(B, n, d, nb);
  }
  finish_kernel(spec, out, m, n, na.data(), nb.data());
}

QMatrix::QMatrix(const KernelSpec& spec, const double* x, int64_t n, int64_t d, std::vector<int> base,
                 std::vector<double> sign, double cache_bytes)
    : spec_(spec), x_(x, x + n * d), n_(n), d_(d), base_(std::move(base)), sign_(std::move(sign)) {
  int64_t L = size();
  identity_ = L == n;
  for (int64_t a = 0; a < L && identity_; ++a) identity_ = base_[a] == a;
  squared_norms(x_.data(), n, d, norms_);
  diag_.resize(L);
  for (int64_t a = 0; a < L; ++a) diag_[a] = kernel_of_self(spec_, norms_[base_[a]]);
  // Columns are computed when the solver first asks for them (it seldom needs them all) and
  // kept while they fit in the cache, the least recently used making room for new ones.
  double bytes_per_column = 8.0 * static_cast<double>(n);
  capacity_ = std::clamp<int64_t>(static_cast<int64_t>(std::min(cache_bytes / bytes_per_column, 1e15)), 2,
                                  std::max<int64_t>(n, 2));
  // One block for all slots (pages are touched only when a slot is first used): many small
  // allocations would make the fit's speed depend on the allocator's history.
  memory_.reset(new double[capacity_ * n]);
  slot_of_.assign(n, -1);
  owner_.assign(capacity_, -1);
  newer_.assign(capacity_, -1);
  older_.assign(capacity_, -1);
  if (!identity_)
    for (auto& buffer : out_) buffer.resize(L);
}

void QMatrix::unlink(int64_t slot) {
  (newer_[slot] >= 0 ? older_[newer_[slot]] : newest_) = older_[slot];
  (older_[slot] >= 0 ? newer_[older_[slot]] : oldest_) = newer_[slot];
}

void QMatrix::push_newest(int64_t slot) {
  newer_[slot] = -1;
  older_[slot] = newest_;
  (newest_ >= 0 ? newer_[newest_] : oldest_) = slot;
  newest_ = slot;
}

const double* QMatrix::kernel_column(int64_t i) {
  int64_t slot = slot_of_[i];
  if (slot >= 0) {  // a hit: most recently used now
    unlink(slot);
    push_newest(slot);
    return memory_.get() + slot * n_;
  }
  if (used_ < capacity_) {
    slot = used_++;
  } else {  // reuse the least recently used column's slot
    slot = oldest_;
    unlink(slot);
    slot_of_[owner_[slot]] = -1;
  }
  owner_[slot] = i;
  slot_of_[i] = slot;
  push_newest(slot);
  double* out = memory_.get() + slot * n_;
  auto own = std::find_if(blocks_.begin(), blocks_.end(),
                          [&](const KnownBlock& b) { return i >= b.offset && i < b.offset + b.size; });
  if (own == blocks_.end()) {
    compute_range(i, 0, n_, out);
  } else {
    std::copy_n(own->values + (i - own->offset) * own->size, own->size, out + own->offset);
    compute_range(i, 0, own->offset, out);
    compute_range(i, own->offset + own->size, n_, out);
  }
  if (identity_)
    for (int64_t j = 0; j < n_; ++j) out[j] *= sign_[i] * sign_[j];
  return out;
}

void QMatrix::compute_range(int64_t i, int64_t lo, int64_t hi, double* column) const {
  if (hi <= lo) return;
  // One row of dot products: memory-bound, so loops do as well as BLAS, without its threads.
  const double* xi = x_.data() + i * d_;
  int64_t j = lo;
  for (; j + 4 <= hi; j += 4) {  // four rows at once: x_i is loaded once for all four
    const double* r = x_.data() + j * d_;
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
#pragma omp simd reduction(+ : s0, s1, s2, s3)
    for (int64_t k = 0; k < d_; ++k) {
      s0 += r[k] * xi[k];
      s1 += r[d_ + k] * xi[k];
      s2 += r[2 * d_ + k] * xi[k];
      s3 += r[3 * d_ + k] * xi[k];
    }
    column[j] = s0, column[j + 1] = s1, column[j + 2] = s2, column[j + 3] = s3;
  }
  for (; j < hi; ++j) column[j] = dot(x_.data() + j * d_, xi, d_);
  if (spec_.type == KernelType::kRbf)
    rbf_row(spec_.gamma, column + lo, hi - lo, norms_[i], norms_.data() + lo);
  else
    finish_kernel(spec_, column + lo, 1, hi - lo, nullptr, nullptr);
}

const double* QMatrix::column(int64_t a) {
  if (identity_) return kernel_column(a);
  const double* k = kernel_column(base_[a]);
  std::vector<double>& out = out_[next_out_];
  next_out_ ^= 1;
  double sa = sign_[a];
  for (int64_t b = 0, L = size(); b < L; ++b) out[b] = sa * sign_[b] * k[base_[b]];
  return out.data();
}

namespace {

// libsvm's Solver with the active set kept as a list of indices rather than by swapping
// variables (which would also have to swap the cached columns' entries).
class Smo {
 public:
  Smo(QMatrix& Q, const std::vector<double>& p, const std::vector<double>& y, const std::vector<double>& C,
      double tol, bool shrinking)
      : Q_(Q), QD_(Q.diagonal()), p_(p), y_(y), C_(C), tol_(tol), shrinking_(shrinking), L_(Q.size()) {}

  SolverResult run(int64_t max_iter) {
    alpha_.assign(L_, 0.0);
    G_ = p_;
    G_bar_.assign(L_, 0.0);
    active_.resize(L_);
    for (int64_t t = 0; t < L_; ++t) active_[t] = static_cast<int>(t);
    in_active_.assign(L_, 1);
    // With alpha = 0 the gradient is p and G_bar is 0: nothing to accumulate.
    int64_t limit = max_iter >= 0 ? max_iter : std::max<int64_t>(10000000, 100 * L_);
    int64_t counter = std::min<int64_t>(L_, 1000) + 1, iter = 0;
    SolverResult result;
    while (true) {
      if (iter >= limit) {
        result.hit_max_iter = true;
        break;
      }
      if (--counter == 0) {
        counter = std::min<int64_t>(L_, 1000);
        if (shrinking_) shrink();
      }
      int i, j;
      if (!select_working_set(i, j)) {
        reconstruct_gradient();
        if (!select_working_set(i, j)) break;
        counter = 1;  // shrink at the next iteration
      }
      ++iter;
      update_pair(i, j);
    }
    reconstruct_gradient();
    result.rho = compute_rho();
    double objective = 0;
    for (int64_t t = 0; t < L_; ++t) objective += alpha_[t] * (G_[t] + p_[t]);
    result.objective = objective / 2;
    result.alpha = alpha_;
    result.iterations = iter;
    return result;
  }

 private:
  bool all_active() const { return static_cast<int64_t>(active_.size()) == L_; }
  // f(t) for each active variable t; a plain counted loop when all are active.
  template <class F>
  [[gnu::always_inline]] void for_active(F f) const {
    if (all_active()) {
      for (int t = 0; t < static_cast<int>(L_); ++t) f(t);
    } else {
      for (int t : active_) f(t);
    }
  }

  bool upper(int64_t t) const { return alpha_[t] >= C_[t]; }
  bool lower(int64_t t) const { return alpha_[t] <= 0; }

  // WSS3: i maximizes -y_i G_i over I_up; j minimizes the second-order decrease of the
  // objective over the pairs (i, j) that violate optimality. False when the gap is below tol.
  bool select_working_set(int& out_i, int& out_j) {
    double Gmax = -kInf, Gmax2 = -kInf, obj_diff_min = kInf;
    int Gmax_idx = -1, Gmin_idx = -1;
    for_active([&](int t) {
      if (y_[t] > 0) {
        if (!upper(t) && -G_[t] >= Gmax) Gmax = -G_[t], Gmax_idx = t;
      } else if (!lower(t) && G_[t] >= Gmax) {
        Gmax = G_[t], Gmax_idx = t;
      }
    });
    int i = Gmax_idx;
    const double* Q_i = i != -1 ? Q_.column(i) : nullptr;
    for_active([&](int j) {
      double grad_diff, quad_coef;
      if (y_[j] > 0) {
        if (lower(j)) return;
        grad_diff = Gmax + G_[j];
        Gmax2 = std::max(Gmax2, G_[j]);
        if (grad_diff <= 0) return;
        quad_coef = QD_[i] + QD_[j] - 2.0 * y_[i] * Q_i[j];
      } else {
        if (upper(j)) return;
        grad_diff = Gmax - G_[j];
        Gmax2 = std::max(Gmax2, -G_[j]);
        if (grad_diff <= 0) return;
        quad_coef = QD_[i] + QD_[j] + 2.0 * y_[i] * Q_i[j];
      }
      double obj_diff = -(grad_diff * grad_diff) / (quad_coef > 0 ? quad_coef : kTau);
      if (obj_diff <= obj_diff_min) Gmin_idx = j, obj_diff_min = obj_diff;
    });
    if (Gmax + Gmax2 < tol_ || Gmin_idx == -1) return false;
    out_i = Gmax_idx;
    out_j = Gmin_idx;
    return true;
  }

  // The analytic two-variable step, clipped to the box, then the gradient update.
  void update_pair(int i, int j) {
    const double* Q_i = Q_.column(i);
    const double* Q_j = Q_.column(j);
    double C_i = C_[i], C_j = C_[j];
    double old_ai = alpha_[i], old_aj = alpha_[j];
    double& ai = alpha_[i];
    double& aj = alpha_[j];
    if (y_[i] != y_[j]) {
      double quad_coef = QD_[i] + QD_[j] + 2 * Q_i[j];
      if (quad_coef <= 0) quad_coef = kTau;
      double delta = (-G_[i] - G_[j]) / quad_coef;
      double diff = ai - aj;
      ai += delta;
      aj += delta;
      if (diff > 0) {
        if (aj < 0) aj = 0, ai = diff;
      } else if (ai < 0) {
        ai = 0, aj = -diff;
      }
      if (diff > C_i - C_j) {
        if (ai > C_i) ai = C_i, aj = C_i - diff;
      } else if (aj > C_j) {
        aj = C_j, ai = C_j + diff;
      }
    } else {
      double quad_coef = QD_[i] + QD_[j] - 2 * Q_i[j];
      if (quad_coef <= 0) quad_coef = kTau;
      double delta = (G_[i] - G_[j]) / quad_coef;
      double sum = ai + aj;
      ai -= delta;
      aj += delta;
      if (sum > C_i) {
        if (ai > C_i) ai = C_i, aj = sum - C_i;
      } else if (aj < 0) {
        aj = 0, ai = sum;
      }
      if (sum > C_j) {
        if (aj > C_j) aj = C_j, ai = sum - C_j;
      } else if (ai < 0) {
        ai = 0, aj = sum;
      }
    }
    double dai = ai - old_ai, daj = aj - old_aj;
    double* G = G_.data();
    if (all_active()) {  // the common case: contiguous, vectorized
      for (int64_t k = 0; k < L_; ++k) G[k] += Q_i[k] * dai + Q_j[k] * daj;
    } else {
      for (int k : active_) G[k] += Q_i[k] * dai + Q_j[k] * daj;
    }
    // G_bar = sum over upper-bound variables of C_t Q_t: update when i or j crossed the bound.
    bool was_upper_i = old_ai >= C_i, was_upper_j = old_aj >= C_j;
    if (was_upper_i != upper(i)) add_to_G_bar(i, was_upper_i ? -C_i : C_i);
    if (was_upper_j != upper(j)) add_to_G_bar(j, was_upper_j ? -C_j : C_j);
  }

  void add_to_G_bar(int t, double scale) {
    const double* Q_t = Q_.column(t);
    for (int64_t k = 0; k < L_; ++k) G_bar_[k] += scale * Q_t[k];
  }

  bool shrinkable(int t, double Gmax1, double Gmax2) const {
    if (upper(t)) return y_[t] > 0 ? -G_[t] > Gmax1 : -G_[t] > Gmax2;
    if (lower(t)) return y_[t] > 0 ? G_[t] > Gmax2 : G_[t] > Gmax1;
    return false;
  }

  void shrink() {
    double Gmax1 = -kInf, Gmax2 = -kInf;  // max -y G over I_up, max y G over I_low
    for (int t : active_) {
      if (y_[t] > 0) {
        if (!upper(t)) Gmax1 = std::max(Gmax1, -G_[t]);
        if (!lower(t)) Gmax2 = std::max(Gmax2, G_[t]);
      } else {
        if (!upper(t)) Gmax2 = std::max(Gmax2, -G_[t]);
        if (!lower(t)) Gmax1 = std::max(Gmax1, G_[t]);
      }
    }
    if (!unshrunk_ && Gmax1 + Gmax2 <= tol_ * 10) {  // near the end: bring everything back once
      unshrunk_ = true;
      reconstruct_gradient();
    }
    size_t kept = 0;
    for (int t : active_) {
      if (shrinkable(t, Gmax1, Gmax2))
        in_active_[t] = 0;
      else
        active_[kept++] = t;
    }
    active_.resize(kept);
  }

  // Recomputes the gradient of the shrunk variables (from G_bar and the free variables) and
  // makes every variable active again.
  void reconstruct_gradient() {
    if (static_cast<int64_t>(active_.size()) == L_) return;
    std::vector<int> inactive, free_active;
    for (int64_t t = 0; t < L_; ++t)
      if (!in_active_[t]) inactive.push_back(static_cast<int>(t));
    for (int t : inactive) G_[t] = G_bar_[t] + p_[t];
    for (int t : active_)
      if (!upper(t) && !lower(t)) free_active.push_back(t);
    for (int t : free_active) {
      const double* Q_t = Q_.column(t);
      double a = alpha_[t];
      for (int k : inactive) G_[k] += a * Q_t[k];
    }
    active_.resize(L_);
    for (int64_t t = 0; t < L_; ++t) active_[t] = static_cast<int>(t);
    in_active_.assign(L_, 1);
  }

  // The offset: the mean of y G over free variables, else the middle of the feasible range.
  double compute_rho() const {
    double ub = kInf, lb = -kInf, sum_free = 0;
    int64_t nr_free = 0;
    for (int64_t t = 0; t < L_; ++t) {
      double yG = y_[t] * G_[t];
      if (upper(t)) {
        if (y_[t] < 0) ub = std::min(ub, yG); else lb = std::max(lb, yG);
      } else if (lower(t)) {
        if (y_[t] > 0) ub = std::min(ub, yG); else lb = std::max(lb, yG);
      } else {
        ++nr_free;
        sum_free += yG;
      }
    }
    return nr_free > 0 ? sum_free / static_cast<double>(nr_free) : (ub + lb) / 2;
  }

  QMatrix& Q_;
  const double* QD_;
  const std::vector<double>& p_;
  const std::vector<double>& y_;
  const std::vector<double>& C_;
  double tol_;
  bool shrinking_;
  int64_t L_;
  bool unshrunk_ = false;
  std::vector<double> alpha_, G_, G_bar_;
  std::vector<int> active_;
  std::vector<char> in_active_;
};

}  // namespace

SolverResult solve_smo(QMatrix& Q, const std::vector<double>& p, const std::vector<double>& y,
                       const std::vector<double>& C, double tol, bool shrinking, int64_t max_iter) {
  SOMA_CHECK(static_cast<int64_t>(p.size()) == Q.size() && p.size() == y.size() && p.size() == C.size(),
             "solve_smo: p, y and C must have one entry per variable");
  return Smo(Q, p, y, C, tol, shrinking).run(max_iter);
}

}  // namespace soma::ml::detail
