#include <gtest/gtest.h>

#include "soma/soma.h"

using namespace soma;

TEST(UnarySmoke, GradcheckAll) {
  Generator gen(3);
  Tensor x = (rand({5}, kFloat64, &gen) + 0.5).detach().requires_grad_();
  for (auto f : {&exp, &expm1, &log, &log1p, &sqrt, &rsqrt, &sin, &cos, &tanh, &sigmoid, &erf, &abs}) {
    EXPECT_NO_THROW(gradcheck([f](const TensorList& xs) { return f(xs[0]); }, {x}));
    EXPECT_NO_THROW(gradgradcheck([f](const TensorList& xs) { return f(xs[0]); }, {x}));
  }
  EXPECT_NO_THROW(gradgradcheck([](const TensorList& xs) { return pow(xs[0], 3.0); }, {x}));
}
