#pragma once
// Limited-memory BFGS for smooth unconstrained minimization (private to src/ml), with the
// stopping rules of scipy's L-BFGS-B that scikit-learn's 'lbfgs' solvers rely on.
#include <cstdint>
#include <functional>
#include <vector>

namespace soma::ml::detail {

// f(x), writing the gradient into grad (same size as x).
using Objective = std::function<double(const std::vector<double>& x, std::vector<double>& grad)>;

struct LbfgsOptions {
  int64_t max_iter = 100;
  double gtol = 1e-5;                      // stop when max |grad_i| <= gtol
  double ftol = 2.220446049250313e-09;     // or when (f_old - f) / max(|f_old|, |f|, 1) <= ftol
  int history = 10;                        // correction pairs kept
  int64_t max_evaluations = 15000;
};

struct LbfgsResult {
  double f = 0;
  int64_t iterations = 0;
  bool converged = false;  // by gtol or ftol (not by max_iter or a failed line search)
};

// Minimizes f from x (updated in place to the best point found).
LbfgsResult minimize_lbfgs(const Objective& f, std::vector<double>& x, const LbfgsOptions& options);

}  // namespace soma::ml::detail
