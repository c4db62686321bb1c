#include <gtest/gtest.h>

#include <cmath>

#include "error_of.h"
#include "soma/soma.h"

using namespace soma;

namespace {

}  // namespace

TEST(Module, TextbookMlpParameterCount) {
  nn::Sequential mlp(nn::Linear(784, 16), nn::Linear(16, 16), nn::Linear(16, 10));
  EXPECT_EQ(mlp.num_parameters(), 13002);  // 784*16+16 + 16*16+16 + 16*10+10
  EXPECT_EQ(mlp.parameters().size(), 6u);
  auto named = mlp.named_parameters();
  EXPECT_EQ(named[0].first, "0.weight");
  EXPECT_EQ(named[5].first, "2.bias");
}

TEST(Module, SharedModuleCountsOnce) {
  auto shared = std::make_shared<nn::Linear>(4, 4);
  nn::Sequential seq(shared, nn::Identity(), shared);
  EXPECT_EQ(seq.num_parameters(), 20);
  EXPECT_EQ(seq.parameters().size(), 2u);
  EXPECT_EQ(seq.state_dict().size(), 4u);  // both names, like PyTorch
  Tensor x = randn({3, 4});
  seq(x).sum().backward();
  EXPECT_TRUE(shared->weight.grad().defined());
}

TEST(Module, LinearMatchesFormula) {
  nn::Linear lin(3, 2);
  Tensor x = randn({5, 3});
  Tensor expected = matmul(x, lin.weight.t()) + lin.bias;
  EXPECT_TRUE(allclose(lin(x), expected, 1e-5, 1e-6));
  Tensor x3 = randn({2, 4, 3});  // N-D input
  EXPECT_EQ(lin(x3).shape(), Shape({2, 4, 2}));
  EXPECT_TRUE(allclose(lin(x3), matmul(x3, lin.weight.t()) + lin.bias, 1e-5, 1e-6));
  double bound = 1.0 / std::sqrt(3.0);  // PyTorch's default init bound: 1/sqrt(in_features)
  EXPECT_LE(lin.weight.abs().max().item(), bound);
  EXPECT_LE(lin.bias.abs().max().item(), bound);
}

TEST(Module, LinearGradcheck) {
  Generator gen(5);
  Tensor x = randn({2, 3, 4}, kFloat64, &gen).requires_grad_();
  Tensor w = randn({5, 4}, kFloat64, &gen).requires_grad_();
  Tensor b = randn({5}, kFloat64, &gen).requires_grad_();
  auto f = [](const TensorList& in) { return nn::functional::linear(in[0], in[1], in[2]); };
  EXPECT_NO_THROW(gradcheck(f, {x, w, b}));
  EXPECT_NO_THROW(gradgradcheck(f, {x, w, b}));
  std::string msg = error_of([&] { nn::functional::linear(randn({2, 3}), randn({5, 4})); });
  EXPECT_NE(msg.find("linear: input of shape [2, 3]"), std::string::npos) << msg;
}

TEST(Module, StateDictRoundTripAndErrors) {
  nn::Sequential a(nn::Linear(3, 4), nn::Linear(4, 2));
  nn::Sequential b(nn::Linear(3, 4), nn::Linear(4, 2));
  b.load_state_dict(a.state_dict());
  Tensor x = randn({2, 3});
  EXPECT_TRUE(equal(a(x), b(x)));

  StateDict sd = a.state_dict();
  sd.erase("1.bias");
  sd["extra"] = zeros({1});
  std::string msg = error_of([&] { b.load_state_dict(sd); });
  EXPECT_NE(msg.find("missing keys [1.bias]"), std::string::npos) << msg;
  EXPECT_NE(msg.find("unexpected keys [extra]"), std::string::npos) << msg;
  EXPECT_NO_THROW(b.load_state_dict(sd, /*strict=*/false));

  StateDict bad = a.state_dict();
  bad["0.weight"] = zeros({4, 4});
  Tensor before = b.state_dict()["0.bias"].clone();
  msg = error_of([&] { b.load_state_dict(bad); });
  EXPECT_NE(msg.find("size mismatch for '0.weight'"), std::string::npos) << msg;
  EXPECT_TRUE(equal(b.state_dict()["0.bias"], before));  // nothing changed
}

TEST(Module, TrainEvalAndDtype) {
  nn::Sequential seq(nn::Linear(2, 2), nn::Sequential(nn::Linear(2, 2)));
  seq.eval();
  for (auto& [name, m] : seq.named_modules()) EXPECT_FALSE(m->is_training()) << name;
  seq.train();
  for (auto& [name, m] : seq.named_modules()) EXPECT_TRUE(m->is_training()) << name;
  auto first = std::static_pointer_cast<nn::Linear>(seq[0]);
  Tensor w = first->weight;
  seq.to(kFloat64);
  EXPECT_EQ(w.dtype(), kFloat64);  // handles stay valid
  EXPECT_TRUE(w.requires_grad());
  EXPECT_EQ(seq(ones({1, 2}, kFloat64)).dtype(), kFloat64);
}

TEST(Module, Printing) {
  nn::Sequential seq(nn::Linear(784, 16), nn::Flatten());
  EXPECT_EQ(seq.str(),
            "Sequential(\n"
            "  (0): Linear(in_features=784, out_features=16, bias=true)\n"
            "  (1): Flatten(start_dim=1, end_dim=-1)\n"
            ")");
}

TEST(Init, GainsAndBounds) {
  EXPECT_DOUBLE_EQ(nn::init::calculate_gain("relu"), std::sqrt(2.0));
  EXPECT_DOUBLE_EQ(nn::init::calculate_gain("tanh"), 5.0 / 3.0);
  Tensor w = empty({200, 100});
  nn::init::xavier_uniform_(w);
  EXPECT_LE(w.abs().max().item(), std::sqrt(6.0 / 300.0));
  nn::init::kaiming_normal_(w, 0, nn::init::FanMode::FanIn, "relu");
  EXPECT_NEAR(w.std().item(), std::sqrt(2.0 / 100.0), 0.005);
  EXPECT_THROW(nn::init::calculate_gain("bogus"), Error);
}

TEST(Module, SummaryOfTheTextbookMlp) {
  auto mlp = models::by_name("mlp-tiny");
  std::string s = nn::summary(*mlp, {1, 1, 28, 28});
  EXPECT_NE(s.find("1 (Linear)                  [1, 16]                       12,560"), std::string::npos) << s;
  EXPECT_NE(s.find("Total params: 13,002"), std::string::npos) << s;
  auto lenet = models::by_name("lenet");
  s = nn::summary(*lenet, {1, 1, 28, 28});
  EXPECT_NE(s.find("[1, 16, 5, 5]"), std::string::npos) << s;
  EXPECT_NE(s.find("Total params: 61,706"), std::string::npos) << s;  // LeNet-5 as in PyTorch
}
