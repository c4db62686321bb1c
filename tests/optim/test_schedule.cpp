#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <map>

#include "soma/soma.h"

using namespace soma;
using namespace soma::optim;

namespace {

Tensor param() { return zeros({1}).requires_grad_(); }

using Make = std::function<std::unique_ptr<LRScheduler>(Optimizer&)>;

std::map<std::string, Make> schedulers() {
  return {
      {"StepLR", [](Optimizer& o) { return std::make_unique<StepLR>(o, StepLROptions{.step_size = 3, .gamma = 0.5}); }},
      {"MultiStepLR",
       [](Optimizer& o) { return std::make_unique<MultiStepLR>(o, MultiStepLROptions{.milestones = {2, 5}}); }},
      {"ExponentialLR", [](Optimizer& o) { return std::make_unique<ExponentialLR>(o, ExponentialLROptions{0.9}); }},
      {"CosineAnnealingLR",
       [](Optimizer& o) {
         return std::make_unique<CosineAnnealingLR>(o, CosineAnnealingLROptions{.T_max = 5, .eta_min = 0.01});
       }},
      {"CosineAnnealingWarmRestarts",
       [](Optimizer& o) {
         return std::make_unique<CosineAnnealingWarmRestarts>(
             o, CosineAnnealingWarmRestartsOptions{.T_0 = 3, .T_mult = 2, .eta_min = 0.001});
       }},
      {"LinearLR",
       [](Optimizer& o) {
         return std::make_unique<LinearLR>(o, LinearLROptions{.start_factor = 0.25, .total_iters = 4});
       }},
      {"OneCycleLR_cos",
       [](Optimizer& o) {
         return std::make_unique<OneCycleLR>(o, OneCycleLROptions{.max_lr = 1.0, .total_steps = 10, .cycle_momentum = false});
       }},
      {"OneCycleLR_linear",
       [](Optimizer& o) {
         return std::make_unique<OneCycleLR>(o, OneCycleLROptions{.max_lr = 0.5,
                                                                  .total_steps = 12,
                                                                  .pct_start = 0.25,
                                                                  .cosine = false,
                                                                  .div_factor = 10,
                                                                  .final_div_factor = 100,
                                                                  .cycle_momentum = false});
       }},
      {"SequentialLR",
       [](Optimizer& o) {
         auto warmup = std::make_shared<LinearLR>(o, LinearLROptions{.start_factor = 0.1, .total_iters = 3});
         auto cosine = std::make_shared<CosineAnnealingLR>(o, CosineAnnealingLROptions{.T_max = 6});
         return std::make_unique<SequentialLR>(o, std::vector<std::shared_ptr<LRScheduler>>{warmup, cosine},
                                               std::vector<int64_t>{3});
       }},
  };
}

struct Golden {
  const char* name;
  std::vector<double> lrs;
};

// From tests/golden/gen_optim.py: learning rates (base lr 0.1), one per epoch, read before
// each scheduler step.
const std::vector<Golden> kGolden = {
    {"StepLR", {0.10000000000000001, 0.10000000000000001, 0.10000000000000001, 0.050000000000000003, 0.050000000000000003, 0.050000000000000003, 0.025000000000000001, 0.025000000000000001, 0.025000000000000001, 0.012500000000000001}},
    {"MultiStepLR", {0.10000000000000001, 0.10000000000000001, 0.010000000000000002, 0.010000000000000002, 0.010000000000000002, 0.0010000000000000002, 0.0010000000000000002, 0.0010000000000000002}},
    {"ExponentialLR", {0.10000000000000001, 0.090000000000000011, 0.081000000000000016, 0.07290000000000002, 0.065610000000000016, 0.059049000000000018}},
    {"CosineAnnealingLR", {0.10000000000000001, 0.091405764746872634, 0.068905764746872628, 0.041094235253127359, 0.018594235253127367, 0.01, 0.018594235253127367, 0.041094235253127387, 0.068905764746872669, 0.091405764746872689, 0.10000000000000006, 0.091405764746872717, 0.068905764746872683}},
    {"CosineAnnealingWarmRestarts", {0.10000000000000001, 0.075250000000000011, 0.025750000000000012, 0.10000000000000001, 0.093368257487329728, 0.075250000000000011, 0.050500000000000003, 0.025750000000000012, 0.0076317425126702842, 0.10000000000000001, 0.09831332840130888, 0.093368257487329728, 0.085501785668734107, 0.075250000000000011, 0.063311542732574777, 0.050500000000000003}},
    {"LinearLR", {0.025000000000000001, 0.043750000000000004, 0.062500000000000014, 0.081250000000000017, 0.10000000000000002, 0.10000000000000002, 0.10000000000000002}},
    {"OneCycleLR_cos", {0.040000000000000036, 0.52000000000000002, 1, 0.95048463201347366, 0.81174565394976306, 0.61126202193628931, 0.38874197806371075, 0.18825834605023697, 0.049519367986526286, 3.9999999999999998e-06}},
    {"OneCycleLR_linear", {0.050000000000000003, 0.27500000000000002, 0.5, 0.44450000000000001, 0.38900000000000001, 0.33350000000000002, 0.27800000000000002, 0.22249999999999998, 0.16700000000000004, 0.11149999999999999, 0.05600000000000005, 0.00050000000000000044}},
    {"SequentialLR", {0.010000000000000002, 0.040000000000000001, 0.070000000000000007, 0.10000000000000001, 0.093301270189221949, 0.075000000000000011, 0.050000000000000003, 0.025000000000000012, 0.006698729810778065, 0, 0.006698729810778065, 0.025000000000000001}},
};

}  // namespace

TEST(Schedule, MatchesPyTorch) {
  auto makers = schedulers();
  ASSERT_EQ(makers.size(), kGolden.size());
  for (const Golden& g : kGolden) {
    Tensor p = param();
    SGD opt(TensorList{p}, {.lr = 0.1});
    auto sched = makers.at(g.name)(opt);
    for (size_t e = 0; e < g.lrs.size(); ++e) {
      EXPECT_NEAR(opt.lr(), g.lrs[e], 1e-14) << g.name << " epoch " << e;
      EXPECT_EQ(sched->last_epoch(), static_cast<int64_t>(e));
      opt.step();
      sched->step();
    }
  }
}

TEST(Schedule, ConstantLRAndGroups) {
  Tensor a = param(), b = param();
  SGD opt({{{a}, {.lr = 0.1}}, {{b}, {.lr = 1.0}}});
  ConstantLR sched(opt, {.factor = 0.5, .total_iters = 2});
  EXPECT_EQ(sched.last_lrs(), std::vector<double>({0.05, 0.5}));
  sched.step();
  EXPECT_EQ(sched.last_lrs(), std::vector<double>({0.05, 0.5}));
  sched.step();
  EXPECT_EQ(sched.last_lrs(), std::vector<double>({0.1, 1.0}));
}

TEST(Schedule, ResumesFromStateDicts) {
  Tensor p = param();
  SGD opt(TensorList{p}, {.lr = 0.1});
  CosineAnnealingLR sched(opt, {.T_max = 10});
  for (int i = 0; i < 4; ++i) sched.step();
  StateDict os = opt.state_dict(), ss = sched.state_dict();
  sched.step();
  Tensor q = param();
  SGD opt2(TensorList{q}, {.lr = 0.1});
  opt2.load_state_dict(os);  // lr is now the scheduled one; initial_lr comes from the state
  CosineAnnealingLR sched2(opt2, {.T_max = 10});
  sched2.load_state_dict(ss);
  sched2.step();
  EXPECT_EQ(opt2.lr(), opt.lr());
  EXPECT_EQ(sched2.last_epoch(), 5);
}

TEST(Schedule, ReduceLROnPlateauMatchesPyTorch) {
  // From tests/golden/gen_optim.py: ReduceLROnPlateau(min, factor 0.5, patience 2, threshold
  // 0.01 rel, cooldown 1, min_lr 0.1).
  const std::vector<double> metrics = {1.0, 0.9, 0.95, 0.9, 0.899, 0.91, 0.5, 0.6,
                                       0.6, 0.6, 0.6,  0.6, 0.6,   0.6,  0.6, 0.6};
  const std::vector<double> want = {1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.125, 0.125, 0.125};
  Tensor p = param();
  SGD opt(TensorList{p}, {.lr = 1.0});
  ReduceLROnPlateau sched(opt, {.factor = 0.5, .patience = 2, .threshold = 0.01, .cooldown = 1, .min_lr = 0.1});
  for (size_t i = 0; i < metrics.size(); ++i) {
    sched.step(metrics[i]);
    EXPECT_DOUBLE_EQ(opt.lr(), want[i]) << i;
  }
  // min_lr bounds it; mode max with an absolute threshold.
  for (int i = 0; i < 20; ++i) sched.step(1.0);
  EXPECT_DOUBLE_EQ(opt.lr(), 0.1);
  SGD opt2(TensorList{param()}, {.lr = 1.0});
  ReduceLROnPlateau up(opt2, {.maximize = true, .patience = 0, .threshold = 0.1, .relative_threshold = false});
  up.step(1.0);
  up.step(1.05);  // not better by more than 0.1
  EXPECT_DOUBLE_EQ(opt2.lr(), 0.1);
  up.step(1.2);
  EXPECT_DOUBLE_EQ(opt2.lr(), 0.1);
  EXPECT_DOUBLE_EQ(up.best(), 1.2);
}

TEST(Schedule, LRRangeTestSuggestsAStableRate) {
  // f(w) = w^2 / 2 with SGD: w <- (1 - lr) w, which diverges for lr > 2.
  Tensor w = tensor({1.0}, kFloat64).requires_grad_();
  SGD opt(TensorList{w}, {.lr = 1.0});
  auto step = [&](double lr) {
    opt.set_lr(lr);
    opt.zero_grad();
    Tensor loss = w * w * 0.5;
    loss.sum().backward();
    opt.step();
    return loss.item();
  };
  LRRangeTestResult r = lr_range_test(step, {.start_lr = 1e-4, .end_lr = 100, .num_steps = 60, .smoothing = 0.5});
  ASSERT_GE(r.lrs.size(), 3u);
  EXPECT_LT(r.lrs.size(), 60u);  // stopped once diverging
  EXPECT_NEAR(r.lrs[1] / r.lrs[0], std::pow(1e6, 1.0 / 59), 1e-9);
  EXPECT_GT(r.suggested_lr, 1e-2);
  EXPECT_LT(r.suggested_lr, 2.0);
}

TEST(Schedule, Errors) {
  SGD opt(TensorList{param()}, {.lr = 0.1});
  EXPECT_THROW(StepLR(opt, {.step_size = 0}), Error);
  EXPECT_THROW(MultiStepLR(opt, {.milestones = {5, 2}}), Error);
  EXPECT_THROW(CosineAnnealingWarmRestarts(opt, {.T_0 = 2, .T_mult = 0}), Error);
  OneCycleLR one(opt, {.max_lr = 1, .total_steps = 2, .cycle_momentum = false});
  one.step();
  one.step();
  try {
    one.step();
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("OneCycleLR: stepped 3 times, more than total_steps = 2"),
              std::string::npos);
  }
  try {
    SequentialLR(opt, {std::make_shared<ExponentialLR>(opt, ExponentialLROptions{})}, {3});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("expected one milestone fewer than schedulers"), std::string::npos);
  }
}

TEST(Schedule, OneCycleCyclesMomentumLikePyTorch) {
  // From tests/golden/gen_optim.py: OneCycleLR(max_lr 1, total_steps 10, three_phase), pairs of
  // (lr, beta1) for Adam, then (lr, momentum) for SGD, before each scheduler step.
  const std::vector<double> adam_want = {0.040000000000000036, 0.94999999999999996, 0.52000000000000002, 0.89999999999999991, 1, 0.84999999999999998, 0.52000000000000002, 0.89999999999999991, 0.040000000000000001, 0.94999999999999996, 0.036180721853510199, 0.94999999999999996, 0.026181721853510202, 0.94999999999999996, 0.013822278146489805, 0.94999999999999996, 0.0038232781464898036, 0.94999999999999996, 3.9999999999999998e-06, 0.94999999999999996}, sgd_want = {0.040000000000000036, 0.94999999999999996, 0.52000000000000002, 0.89999999999999991, 1, 0.84999999999999998, 0.52000000000000002, 0.89999999999999991, 0.040000000000000001, 0.94999999999999996, 0.036180721853510199, 0.94999999999999996, 0.026181721853510202, 0.94999999999999996, 0.013822278146489805, 0.94999999999999996, 0.0038232781464898036, 0.94999999999999996, 3.9999999999999998e-06, 0.94999999999999996};
  Tensor p = param(), q = param();
  Adam adam(TensorList{p}, {.lr = 0.1});
  SGD sgd(TensorList{q}, {.lr = 0.1, .momentum = 0.9});
  OneCycleLR a(adam, {.max_lr = 1.0, .total_steps = 10, .three_phase = true});
  OneCycleLR s(sgd, {.max_lr = 1.0, .total_steps = 10, .three_phase = true});
  for (int e = 0; e < 10; ++e) {
    EXPECT_NEAR(adam.lr(), adam_want[2 * e], 1e-14) << e;
    EXPECT_NEAR(adam.options().betas.first, adam_want[2 * e + 1], 1e-14) << e;
    EXPECT_NEAR(sgd.lr(), sgd_want[2 * e], 1e-14) << e;
    EXPECT_NEAR(sgd.option("momentum"), sgd_want[2 * e + 1], 1e-14) << e;
    a.step(), s.step();
  }
  Adagrad adagrad(TensorList{param()});
  EXPECT_THROW(OneCycleLR(adagrad, {.total_steps = 10}), Error);
  EXPECT_NO_THROW(OneCycleLR(adagrad, {.total_steps = 10, .cycle_momentum = false}));
  EXPECT_THROW(adagrad.option("momentum"), Error);
}
