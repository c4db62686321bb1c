#include <gtest/gtest.h>

#include "nn/layers_helpers.h"

using namespace soma;
using namespace layers_test;
namespace F = soma::nn::functional;

namespace {
// Pasted from tests/golden/gen_layers.py (PyTorch 1.13).
const double kCe = 3.3664906569531854;
const double kCeWeighted = 2.4703739092862995;
const double kCeSmooth = 3.3160197346885885;
const double kCeAll = 2.778126688857987;
const double kCeIgnoreSmooth = 2.4504994803152575;
const std::vector<double> kCeNone = {0.5656255993833297, 1.5050417427174658, 5.565484014896499, 5.829811270815448};  // shape [4]
const double kCe3d = 0.9329699586941167;
const double kCeProbs = 1.9444379497899944;
const double kNll = 2.4703739092862995;
const double kBce = 1.7756377306488131;
const double kBceLogits = 2.5443349327194036;
const double kMse = 3.0287352957849705;
const double kL1 = 9.114332041324039;
const double kSmoothL1 = 1.2939601923744115;
const double kHuber = 1.3252129593070594;
const double kKlBatchMean = 0.653414932870824;
const double kKlLogTarget = 1.3068298657416482;
const double kHinge = 0.5687545264528033;
const double kMultiMargin = 5.44115399461647;
const double kMarginRanking = 1.0242467223358804;
}  // namespace

TEST(Loss, ValuesMatchPyTorch) {
  Tensor logits = xs({4, 5});
  Tensor t = tensor({1, 0, 4, 2}, kInt64);
  Tensor w = tensor({1.0, 2.0, 0.5, 1.5, 1.0}, kFloat64);
  auto near = [](const Tensor& got, double want) { EXPECT_NEAR(got.item(), want, 1e-10 * (1 + std::abs(want))); };
  near(F::cross_entropy(logits, t), kCe);
  near(F::cross_entropy(logits, t, {.weight = w}), kCeWeighted);
  near(F::cross_entropy(logits, t, {.label_smoothing = 0.2}), kCeSmooth);
  near(F::cross_entropy(logits, tensor({1, -100, 4, 2}, kInt64), {.weight = w, .label_smoothing = 0.1}), kCeAll);
  near(F::cross_entropy(logits, tensor({1, 3, -100, 2}, kInt64), {.label_smoothing = 0.3}), kCeIgnoreSmooth);
  EXPECT_TRUE(allclose(F::cross_entropy(logits, t, {.reduction = F::Reduction::None}), golden(kCeNone, {4}), 1e-10));
  near(F::cross_entropy(xs({2, 3, 2}), tensor({{0, 2}, {1, 1}}, kInt64)), kCe3d);
  Tensor probs = (xs({4, 5}) * 0.5 + 1.0).softmax(1);
  near(F::cross_entropy(logits, probs, {.weight = w, .label_smoothing = 0.1}), kCeProbs);
  near(F::nll_loss(logits.log_softmax(1), t, {.weight = w}), kNll);
  Tensor y = tensor({1.0, 0.0, 1.0, 1.0, 0.0, 0.5}, kFloat64);
  near(F::binary_cross_entropy(xs({6}).sigmoid(), y), kBce);
  near(F::binary_cross_entropy_with_logits(xs({6}), y, {}, scalar_tensor(2.0, kFloat64)), kBceLogits);
  Tensor a = xs({6}), b = arange(0, 6, 1, kFloat64).cos();
  near(F::mse_loss(a, b), kMse);
  near(F::l1_loss(a, b, F::Reduction::Sum), kL1);
  near(F::smooth_l1_loss(a, b, F::Reduction::Mean, 0.5), kSmoothL1);
  near(F::huber_loss(a, b, F::Reduction::Mean, 1.5), kHuber);
  Tensor lp = xs({2, 3}).log_softmax(1), tp = arange(0, 6, 1, kFloat64).cos().view({2, 3}).softmax(1);
  near(F::kl_div(lp, tp, F::Reduction::BatchMean), kKlBatchMean);
  near(F::kl_div(lp, tp.log(), F::Reduction::Sum, true), kKlLogTarget);
  near(F::hinge_embedding_loss(xs({6}), tensor({1.0, -1, -1, 1, -1, 1}, kFloat64), 1.5), kHinge);
  near(F::multi_margin_loss(logits, t, 2, 0.8, w), kMultiMargin);
  near(F::margin_ranking_loss(a, b, tensor({1.0, -1, 1, -1, 1, -1}, kFloat64), 0.3), kMarginRanking);
  // Closed form: uniform logits give log C.
  EXPECT_NEAR(F::cross_entropy(zeros({3, 7}), tensor({0, 3, 6}, kInt64)).item(), std::log(7.0), 1e-6);
  // Modules use the functional forms.
  nn::CrossEntropyLoss ce({.weight = w});
  near(ce(logits, t), kCeWeighted);
  ce.reduction = F::Reduction::Sum;
  EXPECT_NEAR(ce(logits, t).item(), F::cross_entropy(logits, t, {.weight = w, .reduction = F::Reduction::Sum}).item(), 1e-12);
}

TEST(Loss, Gradchecks) {
  Tensor logits = (xs({5, 4}) * 0.5).t().requires_grad_();  // [4, 5] strided
  Tensor t = tensor({1, 0, 4, 2}, kInt64), t_ign = tensor({1, -100, 4, 2}, kInt64);
  Tensor w = tensor({1.0, 2.0, 0.5, 1.5, 1.0}, kFloat64);
  std::vector<std::function<Tensor(const TensorList&)>> fns = {
      [&](const TensorList& in) { return F::cross_entropy(in[0], t); },
      [&](const TensorList& in) { return F::cross_entropy(in[0], t_ign, {.weight = w, .label_smoothing = 0.2}); },
      [&](const TensorList& in) { return F::cross_entropy(in[0], t_ign, {.label_smoothing = 0.3}); },
      [&](const TensorList& in) {
        return F::cross_entropy(in[0], t, {.reduction = F::Reduction::None, .label_smoothing = 0.1});
      },
      [&](const TensorList& in) { return F::nll_loss(in[0], t_ign, {.weight = w}); },
      [&](const TensorList& in) { return F::multi_margin_loss(in[0], t, 2, 1.0, w); },
  };
  for (size_t i = 0; i < fns.size(); ++i) {
    EXPECT_NO_THROW(gradcheck(fns[i], {logits})) << i;
    EXPECT_NO_THROW(gradgradcheck(fns[i], {logits})) << i;
  }
  // Probability targets (gradient for both), a 3-D input.
  Tensor probs = (xs({4, 5}) * 0.3).softmax(1).requires_grad_();
  auto soft = [](const TensorList& in) { return F::cross_entropy(in[0], in[1], {.label_smoothing = 0.1}); };
  EXPECT_NO_THROW(gradcheck(soft, {logits, probs}));
  EXPECT_NO_THROW(gradgradcheck(soft, {logits, probs}));
  Tensor x3 = xs({2, 3, 2}).requires_grad_();
  auto ce3 = [](const TensorList& in) { return F::cross_entropy(in[0], tensor({{0, 2}, {1, 1}}, kInt64)); };
  EXPECT_NO_THROW(gradgradcheck(ce3, {x3}));
  // Elementwise losses (away from kinks).
  Tensor a = (xs({6}) * 0.4).requires_grad_(), b = (arange(0, 6, 1, kFloat64).cos() * 0.3 + 0.5).requires_grad_();
  Tensor y = tensor({1.0, 0.0, 1.0, 1.0, 0.0, 0.5}, kFloat64);
  Tensor pw = tensor({2.0}, kFloat64);
  std::vector<std::function<Tensor(const TensorList&)>> pair_fns = {
      [](const TensorList& in) { return F::mse_loss(in[0], in[1]); },
      [](const TensorList& in) { return F::l1_loss(in[0], in[1]); },
      [](const TensorList& in) { return F::smooth_l1_loss(in[0], in[1], F::Reduction::Sum, 0.5); },
      [](const TensorList& in) { return F::huber_loss(in[0], in[1], F::Reduction::Mean, 0.7); },
      [](const TensorList& in) { return F::binary_cross_entropy(in[1], in[0].sigmoid()); },
      [&](const TensorList& in) { return F::binary_cross_entropy_with_logits(in[0], in[1], {}, pw); },
      [](const TensorList& in) { return F::kl_div(in[0].log_softmax(0), in[1].softmax(0), F::Reduction::BatchMean); },
      [](const TensorList& in) { return F::margin_ranking_loss(in[0], in[1], ones({6}, kFloat64), 0.2); },
  };
  for (size_t i = 0; i < pair_fns.size(); ++i) {
    EXPECT_NO_THROW(gradcheck(pair_fns[i], {a, b})) << i;
    EXPECT_NO_THROW(gradgradcheck(pair_fns[i], {a, b})) << i;
  }
}

namespace {
// Pasted from tests/golden/gen_semantics.py kinks (PyTorch 1.13).
const double kKinkSmoothL1Beta0 = 1.0;
const std::vector<double> kKinkSmoothL1Beta0Grad0 = {0.0, 0.25, -0.25, 0.25};  // shape [4]
const double kKinkSmoothL1Beta1 = 0.625;
const std::vector<double> kKinkSmoothL1Beta1Grad0 = {0.0, 0.25, -0.25, 0.25};  // shape [4]
const double kKinkHuber = 0.625;
const std::vector<double> kKinkHuberGrad0 = {0.0, 0.25, -0.25, 0.25};  // shape [4]
const double kKinkL1 = 1.0;
const std::vector<double> kKinkL1Grad0 = {0.0, 0.25, -0.25, 0.25};  // shape [4]
const double kKinkHinge = 0.0;
const std::vector<double> kKinkHingeGrad0 = {-0.25, -0.25, 0.25, 0.0};  // shape [4]
const double kKinkRanking = 1.0;
const std::vector<double> kKinkRankingGrad0 = {-0.25, 0.25, -0.25, 0.25};  // shape [4]
const std::vector<double> kKinkRankingGrad1 = {0.25, -0.25, 0.25, -0.25};  // shape [4]
const double kKinkMultiMargin = 0.5;
const std::vector<double> kKinkMultiMarginGrad0 = {-0.16666666666666666, 0.0, 0.16666666666666666, 0.16666666666666666, -0.16666666666666666, 0.0};  // shape [2, 3]
const double kKinkMultiMarginP2 = 0.8333333333333333;
const std::vector<double> kKinkMultiMarginP2Grad0 = {-0.6666666666666666, 0.0, 0.6666666666666666, 0.3333333333333333, -0.3333333333333333, 0.0};  // shape [2, 3]
const double kKinkMultiMarginWeighted = 1.5;
const std::vector<double> kKinkMultiMarginWeightedGrad0 = {-0.6666666666666666, 0.0, 0.6666666666666666, 0.16666666666666666, -0.16666666666666666, 0.0};  // shape [2, 3]
const double kKinkBceLogits = 2.772588722239781;
const std::vector<double> kKinkBceLogitsGrad0 = {0.5, -0.5, 0.2, -0.5};  // shape [4]
const double kKinkBceLogitsPosWeight = 4.366827237527655;
const std::vector<double> kKinkBceLogitsPosWeightGrad0 = {0.5, -0.5, 0.050000000000000044, -1.5};  // shape [4]
}  // namespace

TEST(Loss, GradientsAtKinksMatchPyTorch) {
  // Which subgradient each loss takes where it is not differentiable: input == target, or a
  // margin term exactly 0.
  auto f64 = [](const std::vector<double>& v) { return from_vector(v).requires_grad_(); };
  auto expect = [](const Tensor& loss, const TensorList& inputs, double value, std::vector<std::vector<double>> grads) {
    EXPECT_NEAR(loss.item(), value, 1e-15);
    TensorList g = autograd::grad({loss}, inputs);
    for (size_t i = 0; i < g.size(); ++i) {
      std::vector<double> got = g[i].to_vector<double>();
      ASSERT_EQ(got.size(), grads[i].size());
      for (size_t j = 0; j < got.size(); ++j) EXPECT_NEAR(got[j], grads[i][j], 1e-15) << "input " << i << " at " << j;
    }
  };
  Tensor x = f64({0.0, 1.0, -1.0, 2.0}), zero = zeros({4}, kFloat64);
  expect(F::smooth_l1_loss(x, zero, F::Reduction::Mean, 0.0), {x}, kKinkSmoothL1Beta0, {kKinkSmoothL1Beta0Grad0});
  expect(F::smooth_l1_loss(x, zero, F::Reduction::Mean, 1.0), {x}, kKinkSmoothL1Beta1, {kKinkSmoothL1Beta1Grad0});
  expect(F::huber_loss(x, zero, F::Reduction::Mean, 1.0), {x}, kKinkHuber, {kKinkHuberGrad0});
  expect(F::l1_loss(x, zero), {x}, kKinkL1, {kKinkL1Grad0});
  expect(F::hinge_embedding_loss(x, tensor({-1.0, -1.0, 1.0, -1.0}, kFloat64), 1.0), {x}, kKinkHinge,
         {kKinkHingeGrad0});
  Tensor x2 = f64({-1.0, 2.0, 0.0, 1.0});
  expect(F::margin_ranking_loss(x, x2, tensor({1.0, -1.0, 1.0, -1.0}, kFloat64), 1.0), {x, x2}, kKinkRanking,
         {kKinkRankingGrad0, kKinkRankingGrad1});
  Tensor xm = tensor({1.0, 0.0, 2.0, 0.5, 0.5, -0.5}, {2, 3}, kFloat64).requires_grad_();
  Tensor ym = tensor({0, 1}, kInt64);
  expect(F::multi_margin_loss(xm, ym), {xm}, kKinkMultiMargin, {kKinkMultiMarginGrad0});
  expect(F::multi_margin_loss(xm, ym, 2), {xm}, kKinkMultiMarginP2, {kKinkMultiMarginP2Grad0});
  expect(F::multi_margin_loss(xm, ym, 1, 1.0, tensor({2.0, 0.5, 1.0}, kFloat64), F::Reduction::Sum), {xm},
         kKinkMultiMarginWeighted, {kKinkMultiMarginWeightedGrad0});
  Tensor xb = zeros({4}, kFloat64).requires_grad_(), tb = tensor({0.0, 1.0, 0.3, 1.0}, kFloat64);
  expect(F::binary_cross_entropy_with_logits(xb, tb, {}, {}, F::Reduction::Sum), {xb}, kKinkBceLogits,
         {kKinkBceLogitsGrad0});
  expect(F::binary_cross_entropy_with_logits(xb, tb, {}, tensor({1.0, 1.0, 2.0, 3.0}, kFloat64), F::Reduction::Sum),
         {xb}, kKinkBceLogitsPosWeight, {kKinkBceLogitsPosWeightGrad0});
}

TEST(Loss, FusedCrossEntropyMatchesComposed) {
  // [32 * 128, 65] float32 logits (above the parallel grain), weights, smoothing, ignored rows.
  Generator gen(7);
  Tensor x = randn({4096, 65}, kFloat32, &gen) * 3.0;
  Tensor t = randint(0, 65, {4096}, kInt64, &gen);
  t.narrow(0, 0, 100).fill_(-100);
  Tensor w = rand({65}, kFloat32, &gen) + 0.5;
  const double eps = 0.1;
  Tensor xr = x.detach().requires_grad_(), xc = x.detach().requires_grad_();
  Tensor loss = F::cross_entropy(xr, t, {.weight = w, .label_smoothing = eps});
  // Composed reference: log_softmax, gather, weights, smoothing.
  Tensor valid = t != -100;
  Tensor safe = where(valid, t, 0);
  Tensor lp = xc.log_softmax(1);
  Tensor wt = w.index_select(0, safe) * valid.to(kFloat32);
  Tensor nll = -(lp.gather(1, safe.unsqueeze(1)).squeeze(1) * wt).sum() / wt.sum();
  Tensor smooth = -((lp * w).sum({1}) * valid.to(kFloat32)).sum() / wt.sum();
  Tensor ref = nll * (1 - eps) + smooth * (eps / 65);
  EXPECT_NEAR(loss.item(), ref.item(), 1e-4);
  loss.backward();
  ref.backward();
  EXPECT_TRUE(allclose(xr.grad(), xc.grad(), 1e-3, 1e-7));
}

TEST(Loss, ErrorsAndNaN) {
  auto has = [](const std::string& msg, const char* what) { return msg.find(what) != std::string::npos; };
  Tensor x = randn({3, 4});
  EXPECT_TRUE(has(error_of([&] { F::cross_entropy(x, tensor({0, 4, 1}, kInt64)); }),
                  "cross_entropy: target label 4 is out of range for 4 classes"));
  EXPECT_TRUE(has(error_of([&] { F::cross_entropy(x, tensor({0, -1, 1}, kInt64)); }), "target label -1"));
  EXPECT_TRUE(has(error_of([&] { F::nll_loss(x, tensor({0, 9, 1}, kInt64)); }), "nll_loss: target label 9"));
  EXPECT_TRUE(has(error_of([&] { F::cross_entropy(x, tensor({0, 1}, kInt64)); }),
                  "cross_entropy: target of shape [2] does not match input of shape [3, 4]"));
  EXPECT_TRUE(has(error_of([&] { F::mse_loss(x, randn({4, 3})); }), "mse_loss: input of shape [3, 4] and target"));
  EXPECT_TRUE(has(error_of([&] { F::binary_cross_entropy(x + 5.0, zeros({3, 4})); }), "between 0 and 1"));
  EXPECT_TRUE(has(error_of([&] { F::mse_loss(x, x, F::Reduction::BatchMean); }), "only for kl_div"));
  Tensor nan_x = x.clone();
  nan_x.narrow(0, 1, 1).fill_(std::nan(""));
  EXPECT_TRUE(std::isnan(F::cross_entropy(nan_x, tensor({0, 1, 2}, kInt64)).item()));
  EXPECT_TRUE(std::isnan(F::mse_loss(nan_x, x).item()));
}
