// L-BFGS, nonlinear conjugate gradient and Newton-CG on the Rosenbrock function and least squares.
#include <gtest/gtest.h>

#include "soma/soma.h"

using namespace soma;
using namespace soma::optim;

namespace {

Tensor rosenbrock(const Tensor& x) {
  Tensor a = x[0], b = x[1];
  return (1 - a) * (1 - a) + (b - a * a) * (b - a * a) * 100;
}

// A closure in PyTorch's convention: clear, evaluate, backward, return.
Closure backward_closure(Optimizer& opt, std::function<Tensor()> loss_fn) {
  return [&opt, loss_fn] {
    opt.zero_grad();
    Tensor loss = loss_fn();
    loss.backward();
    return loss;
  };
}

struct LeastSquares {
  Tensor a, b, solution;
  LeastSquares() {
    manual_seed(11);
    a = randn({8, 3}, kFloat64);
    b = randn({8}, kFloat64);
    // Normal equations: (A^T A) x = A^T b.
    solution = linalg::solve(a.t().mm(a), a.t().matmul(b.unsqueeze(1))).squeeze(1);
  }
  Tensor loss(const Tensor& x) const {
    Tensor r = a.matmul(x) - b;
    return (r * r).sum() * 0.5;
  }
};

}  // namespace

TEST(LBFGS, MatchesPyTorchOnRosenbrock) {
  // From tests/golden/gen_optim.py: parameters after each of 3 step(closure) calls.
  struct Case {
    const char* name;
    std::vector<double> want;
  };
  const std::vector<Case> golden = {
      {"plain", {-1.422704506882964, 2.0240334188679774, -1.4196681822169153, 2.020641869778812, -1.4054450526346756, 1.9898281683878578}},
      {"strong_wolfe", {-1.0358760725874203, 1.0657763452950768, -0.18829173540411917, 0.0082165035838993872, 0.50462554603361687, 0.23823390859995805}},
  };
  for (const Case& c : golden) {
    Tensor x = tensor({-1.5, 2.0}, kFloat64).requires_grad_();
    const bool wolfe = std::string(c.name) == "strong_wolfe";
    LBFGSOptions options = wolfe ? LBFGSOptions{.lr = 1, .max_iter = 10, .history_size = 5, .strong_wolfe = true}
                                 : LBFGSOptions{.lr = 0.1, .max_iter = 5, .history_size = 4};
    LBFGS opt({x}, options);
    Closure closure = backward_closure(opt, [&] { return rosenbrock(x); });
    for (int s = 0; s < 3; ++s) {
      opt.step(closure);
      std::vector<double> got = x.to_vector<double>();
      EXPECT_NEAR(got[0], c.want[2 * s], 1e-8) << c.name << " step " << s;
      EXPECT_NEAR(got[1], c.want[2 * s + 1], 1e-8) << c.name << " step " << s;
    }
  }
}

namespace {
// Pasted from tests/golden/gen_semantics.py lbfgs (PyTorch 1.13, float64).
const std::vector<double> kLbfgsRosenbrock4 = {0.592353724298639, 0.3352100739609185, 0.09067639507613746, 0.0033907546628583465, 0.9987805935725027, 0.9972516867043365, 0.9942248276904111, 0.988532016217298, 0.999997901806339, 0.9999963435768127, 0.9999933641242654, 0.9999862691066141, 0.999997901806339, 0.9999963435768127, 0.9999933641242654, 0.9999862691066141};  // shape [4, 4]
const int64_t kLbfgsRosenbrock4Evals = 58;
const std::vector<double> kLbfgsRosenbrock2Default = {0.9999979943196398, 0.9999973438921637};  // shape [2]
}  // namespace

TEST(LBFGS, StrongWolfeMatchesPyTorchOn4DRosenbrock) {
  // The bracketing phase checks the curvature condition before gtd_new >= 0, as PyTorch's
  // _strong_wolfe: a step that overshoots slightly but satisfies both Wolfe conditions is taken,
  // not zoomed into.
  Tensor x = tensor({-1.2, 1.0, -1.2, 1.0}, kFloat64).requires_grad_();
  LBFGS opt({x}, {.lr = 1, .max_iter = 20, .history_size = 3, .strong_wolfe = true});
  Closure closure = backward_closure(opt, [&] {
    Tensor head = x.slice(0, 0, 3), tail = x.slice(0, 1, 4);
    return ((tail - head * head) * (tail - head * head) * 100 + (1 - head) * (1 - head)).sum();
  });
  for (int s = 0; s < 4; ++s) {
    opt.step(closure);
    std::vector<double> got = x.to_vector<double>();
    for (int i = 0; i < 4; ++i) EXPECT_NEAR(got[i], kLbfgsRosenbrock4[4 * s + i], 1e-9) << "step " << s << " x" << i;
  }
  EXPECT_EQ(opt.num_evaluations(), kLbfgsRosenbrock4Evals);
}

TEST(LBFGS, ConvergesAndResumes) {
  Tensor x = tensor({-1.5, 2.0}, kFloat64).requires_grad_();
  LBFGS opt({x}, {.max_iter = 100, .strong_wolfe = true});
  Closure closure = backward_closure(opt, [&] { return rosenbrock(x); });
  opt.step(closure);
  StateDict state = opt.state_dict();
  Tensor y = x.detach().clone().requires_grad_();
  for (int i = 0; i < 3; ++i) opt.step(closure);
  // Where PyTorch stops too (tolerance_change), near the minimum (1, 1).
  EXPECT_TRUE(allclose(x, from_vector(kLbfgsRosenbrock2Default), 0, 1e-9)) << x;
  LBFGS resumed({y}, {});
  resumed.load_state_dict(state);
  Closure closure_y = backward_closure(resumed, [&] { return rosenbrock(y); });
  for (int i = 0; i < 3; ++i) resumed.step(closure_y);
  EXPECT_TRUE(equal(x, y));
  EXPECT_EQ(resumed.num_iterations(), opt.num_iterations());

  LeastSquares ls;
  Tensor w = zeros({3}, kFloat64).requires_grad_();
  LBFGS lbfgs({w}, {.max_iter = 100, .tolerance_grad = 1e-11, .tolerance_change = 1e-15, .strong_wolfe = true});
  lbfgs.step(backward_closure(lbfgs, [&] { return ls.loss(w); }));
  EXPECT_TRUE(allclose(w, ls.solution, 1e-7, 1e-9)) << w << ls.solution;
}

TEST(ConjugateGradient, RosenbrockAndLeastSquares) {
  for (bool pr : {true, false}) {
    Tensor x = tensor({-1.5, 2.0}, kFloat64).requires_grad_();
    ConjugateGradient opt({x}, {.max_iter = 2000, .tolerance_change = 1e-15, .polak_ribiere = pr});
    opt.step(backward_closure(opt, [&] { return rosenbrock(x); }));
    EXPECT_TRUE(allclose(x, tensor({1.0, 1.0}, kFloat64), 1e-5, 1e-5)) << (pr ? "PR " : "FR ") << x;
  }
  // On a quadratic in n = 3 unknowns, CG with exact-enough line searches needs few iterations.
  LeastSquares ls;
  Tensor w = zeros({3}, kFloat64).requires_grad_();
  ConjugateGradient cg({w}, {.max_iter = 50});
  cg.step(backward_closure(cg, [&] { return ls.loss(w); }));
  EXPECT_TRUE(allclose(w, ls.solution, 1e-7, 1e-9)) << w << ls.solution;
  EXPECT_LE(cg.num_iterations(), 20);
}

TEST(NewtonCG, RosenbrockAndLeastSquares) {
  Tensor x = tensor({-1.5, 2.0}, kFloat64).requires_grad_();
  NewtonCG opt({x}, {.max_iter = 100});
  Tensor first = opt.step([&] { return rosenbrock(x); });
  EXPECT_DOUBLE_EQ(first.item(), rosenbrock(tensor({-1.5, 2.0}, kFloat64)).item());
  EXPECT_TRUE(allclose(x, tensor({1.0, 1.0}, kFloat64), 1e-8, 1e-8)) << x;
  // A quadratic: one Newton step when CG solves exactly (n = 3 iterations).
  LeastSquares ls;
  Tensor w = zeros({3}, kFloat64).requires_grad_();
  NewtonCG newton({w}, {.max_iter = 1, .cg_rtol = 1e-12});
  newton.step([&] { return ls.loss(w); });
  EXPECT_TRUE(allclose(w, ls.solution, 1e-10, 1e-12)) << w << ls.solution;
  // float32 parameters and two tensors.
  Tensor a = tensor({-1.5}).requires_grad_(), b = tensor({2.0}).requires_grad_();
  NewtonCG two({a, b}, {.max_iter = 100});
  two.step([&] { return (1 - a) * (1 - a) + (b - a * a) * (b - a * a) * 100; });
  EXPECT_NEAR(a.item(), 1.0, 1e-3);
  EXPECT_NEAR(b.item(), 1.0, 2e-3);
}

TEST(SecondOrder, Errors) {
  Tensor x = tensor({1.0, 2.0}, kFloat64).requires_grad_();
  LBFGS lbfgs({x});
  EXPECT_THROW(lbfgs.step(), Error);
  NewtonCG newton({x});
  try {
    newton.step(backward_closure(newton, [&] { return rosenbrock(x); }));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("backward"), std::string::npos) << e.what();
  }
  try {
    LBFGS({x}, {.history_size = 0});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("LBFGS: history_size must be positive, got 0"), std::string::npos);
  }
}
