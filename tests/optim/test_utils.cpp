// Gradient clipping, penalties, parameter averaging, early stopping.
#include <gtest/gtest.h>

#include <cmath>

#include "soma/soma.h"

using namespace soma;
using namespace soma::optim;

namespace {

TensorList with_grads() {
  Tensor a = zeros({2, 2}, kFloat64).requires_grad_(), b = zeros({3}, kFloat64).requires_grad_();
  a.set_grad(tensor({{3, -4}, {1, 2}}, kFloat64));
  b.set_grad(tensor({0.5, -1, 2}, kFloat64));
  return {a, b, zeros({2}).requires_grad_()};  // the last has no grad
}

std::vector<double> all_grads(const TensorList& ps) {
  std::vector<double> out;
  for (const Tensor& p : ps)
    if (p.grad().defined())
      for (double v : p.grad().to_vector<double>()) out.push_back(v);
  return out;
}

void expect_error(const std::function<void()>& f, const std::string& substring) {
  try {
    f();
    FAIL() << "expected an error containing: " << substring;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(substring), std::string::npos) << e.what();
  }
}

}  // namespace

TEST(Clip, GradNormMatchesClosedForm) {
  const std::vector<double> g = {3, -4, 1, 2, 0.5, -1, 2};
  struct Case {
    double max_norm, norm_type, total;
  };
  const double l2 = std::sqrt(35.25), l1 = 13.5, linf = 4, l3 = std::cbrt(27 + 64 + 1 + 8 + 0.125 + 1 + 8);
  for (Case c : {Case{2, 2, l2}, Case{1, 1, l1}, Case{1, kInfNorm, linf}, Case{3, 3, l3}, Case{100, 2, l2}}) {
    TensorList ps = with_grads();
    double total = clip_grad_norm_(ps, c.max_norm, c.norm_type);
    EXPECT_NEAR(total, c.total, 1e-12) << c.norm_type;
    const double coef = std::min(1.0, c.max_norm / (c.total + 1e-6));
    std::vector<double> got = all_grads(ps);
    for (size_t i = 0; i < g.size(); ++i) EXPECT_NEAR(got[i], g[i] * coef, 1e-12);
  }
  EXPECT_EQ(clip_grad_norm_({zeros({2}).requires_grad_()}, 1.0), 0.0);
}

TEST(Clip, NonFiniteNorm) {
  TensorList ps = with_grads();
  Tensor(ps[1].grad()).fill_(NAN);
  EXPECT_TRUE(std::isnan(clip_grad_norm_(ps, 1.0)));
  expect_error([&] { clip_grad_norm_(ps, 1.0, 2, true); }, "clip_grad_norm_: the total norm of order 2");
}

namespace {
// Pasted from tests/golden/gen_semantics.py clip (PyTorch 1.13).
const double kClipTotalNan2 = NAN;
const std::vector<double> kClipGradsNan2 = {NAN, NAN, NAN, NAN, NAN, NAN, NAN};  // shape [7]
const double kClipTotalNanInf = NAN;
const std::vector<double> kClipGradsNanInf = {NAN, NAN, NAN, NAN, NAN, NAN, NAN};  // shape [7]
const double kClipTotalInf2 = INFINITY;
const std::vector<double> kClipGradsInf2 = {0.0, -0.0, 0.0, 0.0, 0.0, NAN, 0.0};  // shape [7]
const double kClipTotalInfInf = INFINITY;
const std::vector<double> kClipGradsInfInf = {0.0, -0.0, 0.0, 0.0, 0.0, NAN, 0.0};  // shape [7]
const std::vector<double> kClipValueNonFinite = {NAN, -1.0, 1.0, 0.5};  // shape [4]

void expect_same(const std::vector<double>& got, const std::vector<double>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_TRUE(std::isnan(want[i]) ? std::isnan(got[i]) : got[i] == want[i]) << "at " << i << ": " << got[i];
}
}  // namespace

TEST(Clip, NonFiniteGradientsScaleAsPyTorch) {
  // A nan total norm gives a nan coefficient and an infinite one a zero coefficient; either
  // multiplies every gradient (PyTorch clamps the coefficient with torch.clamp, keeping nan).
  struct Case {
    double bad, norm_type, total;
    const std::vector<double>& grads;
  };
  for (const Case& c : {Case{NAN, 2, kClipTotalNan2, kClipGradsNan2}, Case{NAN, kInfNorm, kClipTotalNanInf, kClipGradsNanInf},
                        Case{INFINITY, 2, kClipTotalInf2, kClipGradsInf2},
                        Case{INFINITY, kInfNorm, kClipTotalInfInf, kClipGradsInfInf}}) {
    SCOPED_TRACE(testing::Message() << c.bad << " norm " << c.norm_type);
    TensorList ps = with_grads();
    Tensor(ps[1].grad()).narrow(0, 1, 1).fill_(c.bad);
    const double total = clip_grad_norm_(ps, 1.0, c.norm_type);
    EXPECT_TRUE(std::isnan(c.total) ? std::isnan(total) : total == c.total) << total;
    expect_same(all_grads(ps), c.grads);
  }
  TensorList ps = with_grads();
  Tensor(ps[0].grad()).fill_(INFINITY);
  expect_error([&] { clip_grad_norm_(ps, 1.0, kInfNorm, true); },
               "clip_grad_norm_: the total norm of order inf of the gradients is non-finite (inf), so it cannot be "
               "clipped; set error_if_nonfinite = false to scale the gradients by it anyway");
  expect_same(all_grads(ps), {INFINITY, INFINITY, INFINITY, INFINITY, 0.5, -1, 2});  // untouched by the error
  // clip_grad_value_ keeps nan and clamps infinities.
  Tensor a = zeros({4}, kFloat64).requires_grad_();
  a.set_grad(tensor({NAN, -3.0, INFINITY, 0.5}, kFloat64));
  clip_grad_value_({a}, 1.0);
  expect_same(a.grad().to_vector<double>(), kClipValueNonFinite);
}

TEST(Clip, GradValue) {
  TensorList ps = with_grads();
  clip_grad_value_(ps, 1.5);
  EXPECT_EQ(all_grads(ps), std::vector<double>({1.5, -1.5, 1, 1.5, 0.5, -1, 1.5}));
  expect_error([&] { clip_grad_value_(ps, -1); }, "clip_value must be >= 0, got -1");
}

TEST(Regularization, ValuesAndGradients) {
  Tensor a = tensor({{1.5, -2}, {0.5, 3}}, kFloat64).requires_grad_();
  Tensor b = tensor({-0.25, 1}, kFloat64).t().requires_grad_();
  Tensor c = a.detach().clone().t().requires_grad_();  // non-contiguous, own storage
  EXPECT_DOUBLE_EQ(l1_penalty({a, b}).item(), 7 + 1.25);
  EXPECT_DOUBLE_EQ(l2_penalty({a, b}).item(), 2.25 + 4 + 0.25 + 9 + 0.0625 + 1);
  EXPECT_DOUBLE_EQ(elastic_net_penalty({a, b}, 0.3).item(), 0.3 * 8.25 + 0.35 * 16.5625);
  for (auto f : {std::function<Tensor(const TensorList&)>([](const TensorList& x) { return l1_penalty(x); }),
                 std::function<Tensor(const TensorList&)>([](const TensorList& x) { return l2_penalty(x); }),
                 std::function<Tensor(const TensorList&)>(
                     [](const TensorList& x) { return elastic_net_penalty(x, 0.7); })}) {
    EXPECT_TRUE(gradcheck(f, {a, b, c}));
    EXPECT_TRUE(gradgradcheck(f, {a, b, c}));
  }
  expect_error([&] { elastic_net_penalty({a}, 1.5); }, "l1_ratio must be in [0, 1], got 1.5");
  expect_error([&] { l1_penalty({}); }, "l1_penalty: got no parameters");
}

TEST(Regularization, WeightParametersSkipBiasesAndVectors) {
  nn::Sequential model(nn::Linear(4, 3), nn::Linear(3, 2, {.bias = false}));
  TensorList w = weight_parameters(model);
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w[0].shape(), Shape({3, 4}));
  EXPECT_EQ(w[1].shape(), Shape({2, 3}));
  Tensor gamma = ones({5}), conv_bias = ones({2, 2});
  EXPECT_TRUE(weight_parameters({{"norm.weight", gamma}, {"fc.bias", conv_bias}}).empty());
}

TEST(Averaging, EMAWithAndWithoutWarmup) {
  Tensor p = tensor({1.0, 2.0}, kFloat64).requires_grad_();
  EMA ema({p}, {.decay = 0.9});
  double expect0 = 1.0;
  for (int n = 0; n < 4; ++n) {
    {
      NoGradGuard ng;
      p.copy_(tensor({1.0 + n, 2.0 - n}, kFloat64));
    }
    ema.update();
    expect0 = n == 0 ? 1.0 : 0.9 * expect0 + 0.1 * (1.0 + n);
  }
  EXPECT_NEAR(ema.averages()[0].to_vector<double>()[0], expect0, 1e-15);
  EXPECT_EQ(ema.num_updates(), 4);

  EMA warm({p}, {.decay = 0.999, .warmup = true});
  EXPECT_DOUBLE_EQ(warm.decay_at(0), 0.1);
  EXPECT_DOUBLE_EQ(warm.decay_at(10), 11.0 / 20);
  EXPECT_DOUBLE_EQ(warm.decay_at(100000), 0.999);
}

TEST(Averaging, SwapGuardAndPolyak) {
  Tensor p = tensor({0.0, 10.0}, kFloat64).requires_grad_();
  PolyakAverage avg({p});
  for (int n = 0; n < 4; ++n) {
    {
      NoGradGuard ng;
      p.copy_(tensor({double(n), 10.0 - 2 * n}, kFloat64));
    }
    avg.update();
  }
  EXPECT_EQ(avg.averages()[0].to_vector<double>(), std::vector<double>({1.5, 7.0}));
  {
    auto guard = avg.swap_guard();
    EXPECT_EQ(p.to_vector<double>(), std::vector<double>({1.5, 7.0}));
    EXPECT_TRUE(p.requires_grad());
    expect_error([&] { avg.update(); }, "swapped in");
  }
  EXPECT_EQ(p.to_vector<double>(), std::vector<double>({3.0, 4.0}));
  StateDict s = avg.state_dict();
  PolyakAverage other({p});
  other.load_state_dict(s);
  other.copy_to_params();
  EXPECT_EQ(p.to_vector<double>(), std::vector<double>({1.5, 7.0}));
  expect_error([&] { PolyakAverage({p}).swap_in(); }, "no average yet");
}

TEST(Averaging, LargeParameterThreadsLikeOne) {
  manual_seed(3);
  Tensor p = randn({70001}).requires_grad_();
  EMA a({p}, {.decay = 0.5}), b({p}, {.decay = 0.5});
  a.update(), b.update();
  {
    NoGradGuard ng;
    p.mul_(2.0);
  }
  int threads = get_num_threads();
  set_num_threads(std::max(threads, 2));
  a.update();
  set_num_threads(1);
  b.update();
  set_num_threads(threads);
  EXPECT_TRUE(equal(a.averages()[0], b.averages()[0]));
  EXPECT_TRUE(allclose(a.averages()[0], p.detach() * 0.75, 1e-6, 1e-6));
}

TEST(EarlyStopping, StopsAfterPatienceAndRestoresBest) {
  nn::Linear model(2, 1);
  EarlyStopping stop({.patience = 2, .min_delta = 0.01}, &model);
  const std::vector<double> losses = {1.0, 0.8, 0.795, 0.9, 0.7};
  Tensor best_weight;
  int stopped_at = -1;
  for (int e = 0; e < static_cast<int>(losses.size()); ++e) {
    {
      NoGradGuard ng;
      model.weight.fill_(static_cast<double>(e));
    }
    if (e == 1) best_weight = model.weight.detach().clone();
    if (stop.step(losses[e])) {
      stopped_at = e;
      break;
    }
  }
  EXPECT_EQ(stopped_at, 3);  // 0.795 is not better by more than 0.01, nor 0.9
  EXPECT_EQ(stop.best_epoch(), 1);
  EXPECT_DOUBLE_EQ(stop.best(), 0.8);
  EXPECT_TRUE(equal(model.weight, best_weight));
  expect_error([&] { stop.step(0.1); }, "step() after it said to stop");

  EarlyStopping up({.patience = 1, .maximize = true});
  EXPECT_FALSE(up.step(0.5));
  EXPECT_FALSE(up.step(0.6));
  EXPECT_TRUE(up.step(0.6));
  EarlyStopping nan_stop;
  EXPECT_TRUE(nan_stop.step(NAN));
}
