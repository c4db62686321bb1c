#include <gtest/gtest.h>

#include "nn/layers_helpers.h"

using namespace soma;
using namespace layers_test;
namespace F = soma::nn::functional;

namespace {
// Pasted from tests/golden/gen_embedding.py (PyTorch 1.13, float64).
const std::vector<double> kMaxNormOut = {-2.2302563031637423, 2.103859355253003, 1.688114913770776, 2.494107124130811, -1.0316221722468555, -2.228269449956414, 0.8865606199840186, 2.727892280477045, -1.589508422725479, 2.494107124130811, -1.0316221722468555, -2.228269449956414, 2.494107124130811, -1.0316221722468555, -2.228269449956414, 1.7624109186481354, 1.9914003288355677, -2.275572855265653, 0.8865606199840186, 2.727892280477045, -1.589508422725479, 0.3232609568983322, -2.9993232932190335, 0.449631628988857};  // shape [2, 4, 3]
const std::vector<double> kMaxNormWeight = {0.8865606199840186, 2.727892280477045, -1.589508422725479, -2.2302563031637423, 2.103859355253003, 1.688114913770776, -2.6390872799150102, -1.0746878467104812, 2.916022504184928, 0.3232609568983322, -2.9993232932190335, 0.449631628988857, 2.494107124130811, -1.0316221722468555, -2.228269449956414, 1.7624109186481354, 1.9914003288355677, -2.275572855265653};  // shape [6, 3]
const std::vector<double> kMaxNormGrad = {-1.3730367549284483, 0.5679207384436988, 1.2266898342390111, 0.29552020666133955, 0.9092974268256816, -0.529836140908493, 0.0, 0.0, 0.0, -0.9917788534431148, 0.0008881568057104867, 0.9915499852141411, 0.29614188924557305, -0.6683610740685682, -0.12391260005521543, 0.6188350221200393, 0.6992400316550977, -0.7990214786596136};  // shape [6, 3]
const std::vector<double> kMaxNormL1Out = {-2.318293462667963, 2.1869071203776276, 1.7547515786752852, 2.730774777424285, -1.129513556393503, -2.4397115714773605, 0.8865606199840186, 2.727892280477045, -1.589508422725479, 2.730774777424285, -1.129513556393503, -2.4397115714773605, 2.730774777424285, -1.129513556393503, -2.4397115714773605, 1.841512901392767, 2.0807800034519928, -2.377706995962788, 0.8865606199840186, 2.727892280477045, -1.589508422725479, 0.3232609568983322, -2.9993232932190335, 0.449631628988857};  // shape [2, 4, 3]
const std::vector<double> kMaxNormL1Weight = {0.8865606199840186, 2.727892280477045, -1.589508422725479, -2.318293462667963, 2.1869071203776276, 1.7547515786752852, -2.6390872799150102, -1.0746878467104812, 2.916022504184928, 0.3232609568983322, -2.9993232932190335, 0.449631628988857, 2.730774777424285, -1.129513556393503, -2.4397115714773605, 1.841512901392767, 2.0807800034519928, -2.377706995962788};  // shape [6, 3]
const std::vector<double> kMaxNormL1Grad = {-1.3730367549284483, 0.5679207384436988, 1.2266898342390111, 0.29552020666133955, 0.9092974268256816, -0.529836140908493, 0.0, 0.0, 0.0, -0.9917788534431148, 0.0008881568057104867, 0.9915499852141411, 0.29614188924557305, -0.6683610740685682, -0.12391260005521543, 0.6188350221200393, 0.6992400316550977, -0.7990214786596136};  // shape [6, 3]
const std::vector<double> kMaxNormInfOut = {-2.318293462667963, 2.1869071203776276, 1.7547515786752852, 2.499999913298555, -1.034059570345359, -2.2335341484733604, 0.8124959642185186, 2.499999908354156, -1.4567184120800167, 2.499999913298555, -1.034059570345359, -2.2335341484733604, 2.499999913298555, -1.034059570345359, -2.2335341484733604, 1.8565050663601177, 2.097720094965293, -2.397064435978841, 0.8124959642185186, 2.499999908354156, -1.4567184120800167, 0.2694449001641261, -2.4999999166478677, 0.3747775498345715};  // shape [2, 4, 3]
const std::vector<double> kMaxNormInfWeight = {0.8124959642185186, 2.499999908354156, -1.4567184120800167, -2.318293462667963, 2.1869071203776276, 1.7547515786752852, -2.6390872799150102, -1.0746878467104812, 2.916022504184928, 0.2694449001641261, -2.4999999166478677, 0.3747775498345715, 2.499999913298555, -1.034059570345359, -2.2335341484733604, 1.8565050663601177, 2.097720094965293, -2.397064435978841};  // shape [6, 3]
const std::vector<double> kMaxNormInfGrad = {0.0, 0.0, 0.0, 0.29552020666133955, 0.9092974268256816, -0.529836140908493, 0.0, 0.0, 0.0, -0.9917788534431148, 0.0008881568057104867, 0.9915499852141411, 0.29614188924557305, -0.6683610740685682, -0.12391260005521543, 0.6188350221200393, 0.6992400316550977, -0.7990214786596136};  // shape [6, 3]
const std::vector<double> kByFreqOut = {-2.318293462667963, 2.1869071203776276, 1.7547515786752852, 2.88345817350635, -1.1926670493642988, -2.5761210078297885, 0.8865606199840186, 2.727892280477045, -1.589508422725479, 2.88345817350635, -1.1926670493642988, -2.5761210078297885, 2.88345817350635, -1.1926670493642988, -2.5761210078297885, 1.8565050663601177, 2.097720094965293, -2.397064435978841, 0.8865606199840186, 2.727892280477045, -1.589508422725479, 0.3232609568983322, -2.9993232932190335, 0.449631628988857};  // shape [2, 4, 3]
const std::vector<double> kByFreqWeight = {0.8865606199840186, 2.727892280477045, -1.589508422725479, -2.318293462667963, 2.1869071203776276, 1.7547515786752852, -2.6390872799150102, -1.0746878467104812, 2.916022504184928, 0.3232609568983322, -2.9993232932190335, 0.449631628988857, 2.88345817350635, -1.1926670493642988, -2.5761210078297885, 1.8565050663601177, 2.097720094965293, -2.397064435978841};  // shape [6, 3]
const std::vector<double> kByFreqGrad = {-0.6865183774642242, 0.2839603692218494, 0.6133449171195056, 0.29552020666133955, 0.9092974268256816, -0.529836140908493, 0.0, 0.0, 0.0, -0.9917788534431148, 0.0008881568057104867, 0.9915499852141411, 0.09871396308185766, -0.22278702468952274, -0.04130420001840515, 0.6188350221200393, 0.6992400316550977, -0.7990214786596136};  // shape [6, 3]
const std::vector<double> kByFreqPadOut = {-2.2302563031637423, 2.103859355253003, 1.688114913770776, 2.494107124130811, -1.0316221722468555, -2.228269449956414, 0.8865606199840186, 2.727892280477045, -1.589508422725479, 2.494107124130811, -1.0316221722468555, -2.228269449956414, 2.494107124130811, -1.0316221722468555, -2.228269449956414, 1.7624109186481354, 1.9914003288355677, -2.275572855265653, 0.8865606199840186, 2.727892280477045, -1.589508422725479, 0.3232609568983322, -2.9993232932190335, 0.449631628988857};  // shape [2, 4, 3]
const std::vector<double> kByFreqPadWeight = {0.8865606199840186, 2.727892280477045, -1.589508422725479, -2.2302563031637423, 2.103859355253003, 1.688114913770776, -2.6390872799150102, -1.0746878467104812, 2.916022504184928, 0.3232609568983322, -2.9993232932190335, 0.449631628988857, 2.494107124130811, -1.0316221722468555, -2.228269449956414, 1.7624109186481354, 1.9914003288355677, -2.275572855265653};  // shape [6, 3]
const std::vector<double> kByFreqPadGrad = {-0.6865183774642242, 0.2839603692218494, 0.6133449171195056, 0.29552020666133955, 0.9092974268256816, -0.529836140908493, 0.0, 0.0, 0.0, -0.9917788534431148, 0.0008881568057104867, 0.9915499852141411, 0.0, 0.0, 0.0, 0.6188350221200393, 0.6992400316550977, -0.7990214786596136};  // shape [6, 3]

// gen_embedding.py's case: weight xs(6, 3), indices [2, 4] with repeats, upstream gradient
// xs(2, 4, 3) / 3; checks the output, the weight after renormalization and its gradient.
void expect_matches_pytorch(const F::EmbeddingFunctionalOptions& o, const std::vector<double>& out,
                            const std::vector<double>& weight, const std::vector<double>& grad) {
  Tensor w = xs({6, 3}).requires_grad_();
  Tensor y = F::embedding(tensor({{1, 4, 0, 4}, {4, 5, 0, 3}}, kInt64), w, o);
  TensorList g = autograd::grad({y}, {w}, {xs({2, 4, 3}) / 3.0});
  EXPECT_TRUE(allclose(y, golden(out, {2, 4, 3}), 1e-12, 1e-12));
  EXPECT_TRUE(allclose(w, golden(weight, {6, 3}), 1e-12, 1e-12));
  EXPECT_TRUE(allclose(g[0], golden(grad, {6, 3}), 1e-12, 1e-12));
}
}  // namespace

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

TEST(Embedding, MaxNormMatchesPyTorch) {
  expect_matches_pytorch({.max_norm = 3.5}, kMaxNormOut, kMaxNormWeight, kMaxNormGrad);
  expect_matches_pytorch({.max_norm = 6.3, .norm_type = 1}, kMaxNormL1Out, kMaxNormL1Weight, kMaxNormL1Grad);
  expect_matches_pytorch({.padding_idx = 0, .max_norm = 2.5, .norm_type = std::numeric_limits<double>::infinity()},
                         kMaxNormInfOut, kMaxNormInfWeight, kMaxNormInfGrad);
}

TEST(Embedding, ScaleGradByFreqMatchesPyTorch) {
  expect_matches_pytorch({.scale_grad_by_freq = true}, kByFreqOut, kByFreqWeight, kByFreqGrad);
  expect_matches_pytorch({.padding_idx = -2, .max_norm = 3.5, .scale_grad_by_freq = true}, kByFreqPadOut,
                         kByFreqPadWeight, kByFreqPadGrad);
}

TEST(Embedding, MaxNormModuleRenormalizesOnlyTheRowsLookedUp) {
  nn::Embedding emb(4, 3, {.max_norm = 1.0, .norm_type = 1, .scale_grad_by_freq = true, .dtype = kFloat64});
  {
    NoGradGuard no_grad;
    emb.weight.copy_(tensor({{3, 0, 0}, {0.5, 0.25, 0}, {-2, 2, 0}, {0, 0, 4}}, kFloat64));
  }
  // Non-contiguous int32 indices: rows 2 and 0 (twice). Rows 0 and 2 have L1 norms 3 and 4 and
  // are scaled by max_norm / (norm + 1e-7); row 1 is within the limit, row 3 is not looked up.
  Tensor idx = tensor({{2, 9}, {0, 9}, {0, 9}}, kInt32).narrow(1, 0, 1);
  Tensor y = emb(idx);
  EXPECT_EQ(y.shape(), Shape({3, 1, 3}));
  const double s0 = 1 / (3 + 1e-7), s2 = 1 / (4 + 1e-7);
  EXPECT_TRUE(allclose(emb.weight, tensor({{3 * s0, 0, 0}, {0.5, 0.25, 0}, {-2 * s2, 2 * s2, 0}, {0, 0, 4}}, kFloat64),
                       1e-15, 1e-15));
  EXPECT_TRUE(equal(y[0][0], emb.weight[2]));
  // A row at the limit is not scaled again (its norm is below max_norm now).
  emb(tensor({0, 0}, kInt64));
  EXPECT_EQ(emb.weight[0][0].item(), 3 * s0);
  y.sum().backward();
  // Index 0 occurs twice among the indices: its gradient is 2 / 2; row 2's is 1.
  EXPECT_TRUE(allclose(emb.weight.grad(), tensor({{1, 1, 1}, {0, 0, 0}, {1, 1, 1}, {0, 0, 0}}, kFloat64)));
  EXPECT_EQ(emb.extra_repr(), "4, 3, max_norm=1, norm_type=1, scale_grad_by_freq=true");
}

TEST(Embedding, MaxNormLeavesZeroAndNaNRowsAlone) {
  // As torch.embedding_renorm_: a row is scaled only when norm > max_norm, false for a zero row
  // and for a NaN norm; an infinite row is scaled by max_norm / inf = 0 (inf * 0: NaN).
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  Tensor w = tensor({{0, 0}, {nan, 5}, {inf, 1}, {3, 4}}, kFloat64);
  Tensor y = F::embedding(tensor({0, 1, 2, 3}, kInt64), w, {.max_norm = 1.0});
  EXPECT_TRUE(equal(w[0], zeros({2}, kFloat64)));
  EXPECT_TRUE(std::isnan(w[1][0].item()) && w[1][1].item() == 5);
  EXPECT_TRUE(std::isnan(w[2][0].item()) && w[2][1].item() == 0);  // PyTorch: [nan, 0]
  EXPECT_TRUE(allclose(w[3], tensor({0.6, 0.8}, kFloat64) * (5 / (5 + 1e-7)), 1e-15, 1e-15));
  EXPECT_TRUE(allclose(y[3], w[3], 0, 0));
}

TEST(Embedding, ScaleGradByFreqScalesTheTrueGradient) {
  // scale_grad_by_freq is by design not the derivative (no gradcheck): it is the derivative with
  // each row divided by its index's count. Index 3 occurs 3 times, 1 once, 0 (padding) once.
  Tensor w = randn({5, 2}, kFloat64).requires_grad_();
  Tensor idx = tensor({3, 1, 3, 3, 0}, kInt64);
  Tensor g = randn({5, 2}, kFloat64);
  Tensor plain = autograd::grad({F::embedding(idx, w, {.padding_idx = 0})}, {w}, {g})[0];
  Tensor scaled = autograd::grad({F::embedding(idx, w, {.padding_idx = 0, .scale_grad_by_freq = true})}, {w}, {g})[0];
  EXPECT_TRUE(allclose(scaled, plain * tensor({1.0, 1.0, 1.0, 1.0 / 3, 1.0}, kFloat64).unsqueeze(1), 1e-15, 1e-15));
  EXPECT_EQ(scaled[0].abs().sum().item(), 0.0);
  // Double backward goes through (the gradient does not depend on the weight).
  auto f = [&](const TensorList& in) { return F::embedding(idx, in[0], {.padding_idx = 0, .scale_grad_by_freq = true}); };
  EXPECT_NO_THROW(gradgradcheck(f, {w}));
  // Rows within max_norm are left alone: the lookup is then differentiable as usual.
  auto within = [&](const TensorList& in) { return F::embedding(idx, in[0], {.max_norm = 100.0}); };
  EXPECT_NO_THROW(gradcheck(within, {w}));
  EXPECT_NO_THROW(gradgradcheck(within, {w}));
}

TEST(Embedding, BadRenormOptionsAreErrors) {
  EXPECT_ERROR(nn::Embedding(4, 2, {.max_norm = 0.0}), "Embedding: max_norm must be positive, got 0");
  EXPECT_ERROR(nn::Embedding(4, 2, {.max_norm = 1.0, .norm_type = -1}),
               "Embedding: norm_type must be positive (or infinity), got -1");
  Tensor w = randn({3, 2});
  EXPECT_ERROR(F::embedding(tensor({0}, kInt64), w, {.max_norm = -1.0}), "embedding: max_norm must be positive");
  EXPECT_ERROR(F::embedding_renorm_(w, tensor({3}, kInt64), 1.0), "embedding_renorm_: index 3 is out of range for 3 embeddings");
}
