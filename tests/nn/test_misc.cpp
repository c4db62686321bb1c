#include <gtest/gtest.h>

#include "nn/layers_helpers.h"

using namespace soma;
using namespace layers_test;
namespace F = soma::nn::functional;

namespace {
// Pasted from tests/golden/gen_layers.py (PyTorch 1.13).
const std::vector<double> kBilinear = {4.824972301331741, 0.7318530172613265, -2.7845812129871335, 1.5710582381603362};  // shape [2, 2]
}  // namespace

TEST(Misc, BilinearUnflattenResidual) {
  Tensor x1 = xs({2, 3}), x2 = arange(0, 8, 1, kFloat64).cos().view({2, 4});
  Tensor w = xs({2, 3, 4}) / 3.0, b = tensor({0.5, -0.5}, kFloat64);
  EXPECT_TRUE(allclose(F::bilinear(x1, x2, w, b), golden(kBilinear, {2, 2}), 1e-10, 1e-12));
  Tensor a = x1.detach().requires_grad_(), c = x2.detach().requires_grad_();
  Tensor wr = w.detach().requires_grad_(), br = b.detach().requires_grad_();
  auto f = [](const TensorList& in) { return F::bilinear(in[0], in[1], in[2], in[3]); };
  EXPECT_NO_THROW(gradcheck(f, {a, c, wr, br}));
  EXPECT_NO_THROW(gradgradcheck(f, {a, c, wr, br}));
  nn::Bilinear bil(3, 4, 5);
  EXPECT_EQ(bil(randn({7, 2, 3}), randn({7, 2, 4})).shape(), Shape({7, 2, 5}));
  EXPECT_LE(bil.weight.abs().max().item(), 1 / std::sqrt(3.0));
  EXPECT_NE(error_of([&] { bil(randn({2, 4}), randn({2, 4})); }).find("bilinear: inputs of shapes [2, 4] and [2, 4]"),
            std::string::npos);

  nn::Unflatten un(1, {2, 3});
  EXPECT_EQ(un(randn({4, 6})).shape(), Shape({4, 2, 3}));
  EXPECT_EQ(un.extra_repr(), "dim=1, unflattened_size=(2, 3)");

  auto lin = std::make_shared<nn::Linear>(4, 4);
  nn::Residual res(lin);
  Tensor x = randn({3, 4});
  EXPECT_TRUE(allclose(res(x), lin->forward(x) + x));
  EXPECT_EQ(res.num_parameters(), 20);
  nn::Residual proj(nn::Linear(4, 6), nn::Linear(4, 6, {.bias = false}));
  EXPECT_EQ(proj(x).shape(), Shape({3, 6}));
  EXPECT_EQ(proj.named_parameters()[2].first, "projection.weight");
  nn::Residual bad(nn::Linear(4, 6));
  EXPECT_NE(error_of([&] { bad(x); }).find("Residual: the body's output of shape [3, 6]"), std::string::npos);
}
