#include <gtest/gtest.h>

#include "nn/layers_helpers.h"

using namespace soma;
using namespace layers_test;
namespace F = soma::nn::functional;

TEST(Embedding, LookupPaddingAndGradients) {
  nn::Embedding emb(10, 3, {.padding_idx = 0, .dtype = kFloat64});
  EXPECT_TRUE(equal(emb.weight[0], zeros({3}, kFloat64)));  // padding row starts at zero
  Tensor idx = tensor({{1, 0, 4}, {4, 9, 0}}, kInt64);
  Tensor y = emb(idx);
  EXPECT_EQ(y.shape(), Shape({2, 3, 3}));
  EXPECT_TRUE(equal(y[1][1], emb.weight[9]));
  (y * y).sum().backward();
  Tensor g = emb.weight.grad();
  EXPECT_TRUE(equal(g[0], zeros({3}, kFloat64)));          // padding row: no gradient
  EXPECT_TRUE(allclose(g[4], emb.weight[4] * 4.0));         // looked up twice
  EXPECT_TRUE(equal(g[2], zeros({3}, kFloat64)));
  EXPECT_EQ(emb.extra_repr(), "10, 3, padding_idx=0");
  // N(0, 1) initialization.
  nn::Embedding big(1000, 100);
  EXPECT_NEAR(big.weight.mean().item(), 0.0, 0.01);
  EXPECT_NEAR(big.weight.std().item(), 1.0, 0.01);
  Tensor w = randn({5, 2}, kFloat64).requires_grad_();
  auto f = [](const TensorList& in) { return F::embedding(tensor({3, 1, 3}, kInt64), in[0], -1); };
  EXPECT_NO_THROW(gradcheck(f, {w}));
  EXPECT_NO_THROW(gradgradcheck(f, {w}));
  EXPECT_NE(error_of([&] { emb(tensor({1, 10}, kInt64)); }).find("embedding: index 10 is out of range for 10 embeddings"),
            std::string::npos);
  EXPECT_NE(error_of([&] { emb(tensor({1.0, 2.0})); }).find("embedding: indices must be int64"), std::string::npos);
}
