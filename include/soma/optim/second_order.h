#pragma once
// Deterministic methods for full-batch problems, working on all parameters as one flat vector
// (in float64, whatever the parameters' dtype). Each step(closure) runs up to max_iter
// iterations; step() without a closure throws.
//
//   LBFGS: limited-memory BFGS, as torch.optim.LBFGS (same closure convention: the closure
//          clears the gradients, computes the loss, calls backward and returns the loss).
//          Fixed steps of lr, or a strong-Wolfe line search.
//   ConjugateGradient: nonlinear CG (Fletcher-Reeves, or Polak-Ribiere+ which restarts when
//          beta < 0) with a strong-Wolfe line search (c2 = 0.1); same closure convention.
//   NewtonCG: truncated Newton. Solves H p = -g by linear CG with Hessian-vector products
//          (double backward), stopping early at a small residual or at negative curvature
//          (a Hessian-vector product reuses the gradient's graph), then backtracks along p until
//          the Armijo condition holds. Its closure only computes the loss: it must NOT call
//          backward (the method differentiates the loss twice itself).
#include <vector>

#include "soma/optim/optimizer.h"

namespace soma::optim {

struct LBFGSOptions {
  double lr = 1;
  int64_t max_iter = 20;
  int64_t max_eval = 0;            // 0: max_iter * 5 / 4
  double tolerance_grad = 1e-7;    // stop when max |g| is at most this
  double tolerance_change = 1e-9;  // stop when the loss or the step changes less than this
  int64_t history_size = 100;
  bool strong_wolfe = false;  // line_search_fn="strong_wolfe"

  void visit(auto&& f) {
    f("lr", lr), f("max_iter", max_iter), f("max_eval", max_eval), f("tolerance_grad", tolerance_grad);
    f("tolerance_change", tolerance_change), f("history_size", history_size), f("strong_wolfe", strong_wolfe);
  }
};

class LBFGS : public OptimizerWith<LBFGSOptions> {
 public:
  LBFGS(TensorList params, LBFGSOptions options = {});
  void step() override;
  // Returns the loss of the first evaluation.
  Tensor step(const Closure& closure) override;
  int64_t num_iterations() const { return n_iter_; }
  int64_t num_evaluations() const { return func_evals_; }

 protected:
  void save_extra(StateDict& out) const override;
  void load_extra(const StateDict& state) override;

 private:
  std::vector<double> d_, prev_grad_;
  std::vector<std::vector<double>> old_dirs_, old_steps_;
  std::vector<double> ro_;
  double t_ = 0, h_diag_ = 1, prev_loss_ = 0;
  int64_t n_iter_ = 0, func_evals_ = 0;
};

struct ConjugateGradientOptions {
  double lr = 1;  // the first trial step of the first line search
  int64_t max_iter = 20;
  double tolerance_grad = 1e-7;
  double tolerance_change = 1e-9;
  bool polak_ribiere = true;  // false: Fletcher-Reeves
  int64_t restart = 0;        // restart with steepest descent every this many iterations (0: the number of elements)

  void visit(auto&& f) {
    f("lr", lr), f("max_iter", max_iter), f("tolerance_grad", tolerance_grad);
    f("tolerance_change", tolerance_change), f("polak_ribiere", polak_ribiere), f("restart", restart);
  }
};

class ConjugateGradient : public OptimizerWith<ConjugateGradientOptions> {
 public:
  ConjugateGradient(TensorList params, ConjugateGradientOptions options = {});
  void step() override;
  Tensor step(const Closure& closure) override;
  int64_t num_iterations() const { return n_iter_; }

 protected:
  void save_extra(StateDict& out) const override;
  void load_extra(const StateDict& state) override;

 private:
  std::vector<double> d_, prev_grad_;
  double prev_gtd_ = 0, t_ = 0;
  int64_t n_iter_ = 0;
};

struct NewtonCGOptions {
  double lr = 1;            // the first trial step of the backtracking search
  int64_t max_iter = 10;    // Newton iterations per step
  int64_t max_cg_iter = 0;  // 0: the number of elements
  // CG stops at a residual |H p + g| <= min(cg_rtol, sqrt|g|) |g| (superlinear convergence).
  double cg_rtol = 1e-2;
  double tolerance_grad = 1e-7;
  double tolerance_change = 1e-12;

  void visit(auto&& f) {
    f("lr", lr), f("max_iter", max_iter), f("max_cg_iter", max_cg_iter), f("cg_rtol", cg_rtol);
    f("tolerance_grad", tolerance_grad), f("tolerance_change", tolerance_change);
  }
};

class NewtonCG : public OptimizerWith<NewtonCGOptions> {
 public:
  NewtonCG(TensorList params, NewtonCGOptions options = {});
  void step() override;
  // `closure` returns the loss and does not call backward; returns the loss before the step.
  Tensor step(const Closure& closure) override;
  int64_t num_iterations() const { return n_iter_; }

 private:
  int64_t n_iter_ = 0;
};

}  // namespace soma::optim
