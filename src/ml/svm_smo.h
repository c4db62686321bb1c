#pragma once
// The kernels and the SMO solver behind SVC and SVR (private to src/ml): libsvm's Solver
// (Fan, Chen & Lin 2005: second-order working-set selection, shrinking, gradient
// reconstruction) over kernel columns that are computed on demand and kept in a bounded LRU
// cache.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace soma::ml::detail {

enum class KernelType { kLinear, kPoly, kRbf, kSigmoid };
KernelType parse_kernel(const std::string& name);

struct KernelSpec {
  KernelType type = KernelType::kRbf;
  int64_t degree = 3;
  double gamma = 1.0;
  double coef0 = 0.0;
};

// k(a_i, b_j) for the rows of A [m, d] and B [n, d] (row-major), into out [m, n]: the dot
// products (one GEMM when large), then the kernel's function elementwise (the rbf's squared
// distance as |a|^2 + |b|^2 - 2 a.b from precomputed squared norms).
void kernel_matrix(const KernelSpec& spec, const double* A, int64_t m, const double* B, int64_t n, int64_t d,
                   double* out);

// Columns of the solver's matrix Q[a][b] = sign[a] * sign[b] * k(x[base[a]], x[base[b]]) over
// L variables (SVC: L = n samples, sign = y; SVR: L = 2n, base[a] = a mod n, sign = +1 / -1).
// Kernel columns are computed on demand (a row of dot products and the kernel's function) and
// the most recently used kept within cache_bytes.
class QMatrix {
 public:
  // x: the problem's rows [n, d], row-major (copied).
  QMatrix(const KernelSpec& spec, const double* x, int64_t n, int64_t d, std::vector<int> base,
          std::vector<double> sign, double cache_bytes);
  int64_t size() const { return static_cast<int64_t>(base_.size()); }
  // Kernel values already known among the samples [offset, offset + size): row-major
  // [size, size], kept alive by the caller. Columns copy them instead of computing them
  // (SVC's one-vs-one problems share each class's block). Blocks must not overlap.
  struct KnownBlock {
    int64_t offset, size;
    const double* values;
  };
  void set_known_blocks(std::vector<KnownBlock> blocks) { blocks_ = std::move(blocks); }
  // Q's column a, length size(). The two most recently returned columns stay valid.
  const double* column(int64_t a);
  const double* diagonal() const { return diag_.data(); }

 private:
  const double* kernel_column(int64_t i);  // k(x_i, x_j) for the n samples j
  void compute_range(int64_t i, int64_t lo, int64_t hi, double* column) const;  // j in [lo, hi)
  std::vector<KnownBlock> blocks_;
  KernelSpec spec_;
  std::vector<double> x_;
  int64_t n_, d_;
  std::vector<int> base_;
  std::vector<double> sign_;
  std::vector<double> diag_;
  std::vector<double> norms_;  // squared row norms (rbf columns on demand)
  bool identity_;  // base[a] == a for every a (classification)
  // An LRU cache of kernel columns: capacity_ slots, doubly linked from newest to oldest.
  std::unique_ptr<double[]> memory_;           // [capacity_, n] column slots
  std::vector<int64_t> slot_of_;                // [n]: the sample's slot, or -1
  std::vector<int64_t> owner_, newer_, older_;  // [capacity_]: sample, LRU links (-1: none)
  int64_t capacity_ = 0, used_ = 0, newest_ = -1, oldest_ = -1;
  void unlink(int64_t slot);
  void push_newest(int64_t slot);
  // Q columns assembled with signs (two alternate, so Q_i and Q_j are both alive).
  std::vector<double> out_[2];
  int next_out_ = 0;
};

struct SolverResult {
  std::vector<double> alpha;  // [L]
  double rho = 0;
  double objective = 0;
  int64_t iterations = 0;
  bool hit_max_iter = false;
};

// min_a 0.5 a'Qa + p'a subject to y'a = 0 and 0 <= a_i <= C_i, stopping when the maximal
// violating pair's gap is below tol. max_iter -1 means libsvm's own bound
// (max(10^7, 100 L)).
SolverResult solve_smo(QMatrix& Q, const std::vector<double>& p, const std::vector<double>& y,
                       const std::vector<double>& C, double tol, bool shrinking, int64_t max_iter);

}  // namespace soma::ml::detail
