#include <gtest/gtest.h>

#include "nn/layers_helpers.h"

using namespace soma;
using namespace layers_test;

TEST(Init, OrthogonalAndSparse) {
  Generator gen(2);
  for (Shape s : {Shape{4, 7}, Shape{7, 4}, Shape{6, 2, 3}}) {
    Tensor w = empty(s, kFloat64);
    nn::init::orthogonal_(w, 1.0, &gen);
    Tensor m = w.reshape({s[0], -1});
    Tensor gram = m.size(0) <= m.size(1) ? mm(m, m.t()) : mm(m.t(), m);
    EXPECT_TRUE(allclose(gram, eye(gram.size(0), -1, kFloat64), 1e-10, 1e-10)) << s.str();
  }
  Tensor w = empty({3, 3});
  nn::init::orthogonal_(w, 2.0, &gen);
  EXPECT_TRUE(allclose(mm(w, w.t()), eye(3) * 4.0, 1e-5, 1e-5));

  Tensor sp = empty({10, 50});
  nn::init::sparse_(sp, 0.25, 0.01, &gen);
  Tensor zeros_per_col = (sp == 0.0).to(kInt64).sum({0});
  EXPECT_TRUE(equal(zeros_per_col, full({50}, 3, kInt64)));  // ceil(0.25 * 10)
  EXPECT_NEAR(sp.std().item(), 0.01 * std::sqrt(0.7), 0.002);
}

TEST(Init, VarianceScaling) {
  Generator gen(4);
  Tensor w = empty({400, 300});
  const double fan_in = 300, fan_out = 400;
  auto std_of = [&](Tensor& t) { return t.std().item(); };
  nn::init::xavier_uniform_(w, 1.0, &gen);
  EXPECT_NEAR(std_of(w), std::sqrt(2.0 / (fan_in + fan_out)), 1e-3);
  nn::init::xavier_normal_(w, 1.0, &gen);
  EXPECT_NEAR(std_of(w), std::sqrt(2.0 / (fan_in + fan_out)), 1e-3);
  nn::init::kaiming_normal_(w, 0, nn::init::FanMode::FanIn, "relu", &gen);
  EXPECT_NEAR(std_of(w), std::sqrt(2.0 / fan_in), 1e-3);
  nn::init::kaiming_uniform_(w, 0, nn::init::FanMode::FanOut, "relu", &gen);
  EXPECT_NEAR(std_of(w), std::sqrt(2.0 / fan_out), 1e-3);
  nn::init::lecun_uniform_(w, &gen);
  EXPECT_NEAR(std_of(w), std::sqrt(1.0 / fan_in), 1e-3);
  EXPECT_LE(w.abs().max().item(), std::sqrt(3.0 / fan_in));
  nn::init::lecun_normal_(w, &gen);
  EXPECT_NEAR(std_of(w), std::sqrt(1.0 / fan_in), 1e-3);
  nn::init::trunc_normal_(w, 0.5, 1.0, -1.0, 1.5, &gen);
  EXPECT_GE(w.min().item(), -1.0);
  EXPECT_LE(w.max().item(), 1.5);
  // The mean of N(0.5, 1) truncated to [-1, 1.5]: mu + (phi(alpha) - phi(beta)) / Z.
  auto phi = [](double z) { return std::exp(-z * z / 2) / std::sqrt(2 * M_PI); };
  auto cdf = [](double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); };
  EXPECT_NEAR(w.mean().item(), 0.5 + (phi(-1.5) - phi(1.0)) / (cdf(1.0) - cdf(-1.5)), 5e-3);
  EXPECT_NE(error_of([&] { nn::init::sparse_(w, 1.5); }).find("sparse_: sparsity must be in [0, 1]"), std::string::npos);
}
