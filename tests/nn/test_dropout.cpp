#include <gtest/gtest.h>

#include "nn/layers_helpers.h"

using namespace soma;
using namespace layers_test;
namespace F = soma::nn::functional;

TEST(Dropout, TrainScalesEvalIsIdentity) {
  Generator gen(1);
  nn::Dropout d(0.3, &gen);
  Tensor x = ones({200000});
  Tensor y = d(x);
  Tensor kept = y != 0.0;
  EXPECT_NEAR(kept.to(kFloat64).mean().item(), 0.7, 0.005);
  EXPECT_TRUE(allclose(where(kept, y, 1 / 0.7), full({200000}, 1 / 0.7)));  // inverted dropout: kept / (1 - p)
  EXPECT_NEAR(y.mean().item(), 1.0, 0.01);  // mean preserving
  d.eval();
  EXPECT_TRUE(d(x).is_same(x));
  // Seeded: the same generator state gives the same mask.
  Generator g1(5), g2(5);
  EXPECT_TRUE(equal(F::dropout(x, 0.5, true, &g1), F::dropout(x, 0.5, true, &g2)));
  EXPECT_TRUE(equal(F::dropout(x, 1.0), zeros({200000})));
  // Gradient: the mask times the scale.
  Tensor xr = randn({50}, kFloat64).requires_grad_();
  Generator g3(9), g4(9);
  Tensor out = F::dropout(xr, 0.4, true, &g3);
  out.sum().backward();
  EXPECT_TRUE(allclose(xr.grad(), F::dropout(ones({50}, kFloat64), 0.4, true, &g4)));
  EXPECT_NE(error_of([] { nn::Dropout(1.5); }).find("Dropout: probability p must be in [0, 1], got 1.5"),
            std::string::npos);
}
