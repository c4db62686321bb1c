#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <map>
#include <optional>
#include <tuple>

#include "error_of.h"
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

namespace {
// Pasted from tests/golden/gen_semantics.py schedules (PyTorch 1.13): lrs (base 0.1) read before
// each step.
const std::vector<double> kStepPlusExponential = {0.1, 0.09000000000000001, 0.08100000000000002, 0.03645000000000001, 0.03280500000000001, 0.02952450000000001, 0.013286025000000005, 0.011957422500000005, 0.010761680250000006, 0.0048427561125000025};  // shape [10]
const std::vector<double> kStepLRAlone = {0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.0125, 0.0125, 0.0125, 0.00625, 0.00625};  // shape [14]
const std::vector<double> kStepLRByHand = {0.1, 0.1, 0.1, 0.02, 0.02, 0.02, 0.01, 0.01, 0.01, 0.005, 0.005, 0.005, 0.0025, 0.0025};  // shape [14]
const std::vector<double> kMultiStepLRAlone = {0.1, 0.1, 0.0010000000000000002, 0.0010000000000000002, 0.0010000000000000002, 0.00010000000000000003, 0.00010000000000000003, 0.00010000000000000003, 0.00010000000000000003, 0.00010000000000000003, 0.00010000000000000003, 0.00010000000000000003, 0.00010000000000000003, 0.00010000000000000003};  // shape [14]
const std::vector<double> kMultiStepLRByHand = {0.1, 0.1, 0.0010000000000000002, 0.02, 0.02, 0.002, 0.002, 0.002, 0.002, 0.002, 0.002, 0.002, 0.002, 0.002};  // shape [14]
const std::vector<double> kExponentialLRAlone = {0.1, 0.09000000000000001, 0.08100000000000002, 0.07290000000000002, 0.06561000000000002, 0.05904900000000002, 0.05314410000000002, 0.04782969000000002, 0.043046721000000024, 0.03874204890000002, 0.03486784401000002, 0.03138105960900001, 0.028242953648100012, 0.025418658283290013};  // shape [14]
const std::vector<double> kExponentialLRByHand = {0.1, 0.09000000000000001, 0.08100000000000002, 0.02, 0.018000000000000002, 0.016200000000000003, 0.014580000000000003, 0.013122000000000003, 0.011809800000000004, 0.010628820000000004, 0.009565938000000005, 0.008609344200000004, 0.007748409780000004, 0.006973568802000004};  // shape [14]
const std::vector<double> kCosineAnnealingLRAlone = {0.1, 0.0775, 0.032500000000000015, 0.01, 0.0325, 0.07750000000000005, 0.10000000000000007, 0.07750000000000007, 0.03250000000000006, 0.01, 0.0325, 0.07749999999999992, 0.09999999999999995, 0.07749999999999996};  // shape [14]
const std::vector<double> kCosineAnnealingLRByHand = {0.1, 0.0775, 0.032500000000000015, 0.02, 0.042499999999999996, 0.10750000000000007, 0.1400000000000001, 0.1075000000000001, 0.04250000000000008, 0.01, 0.0325, 0.07749999999999992, 0.09999999999999995, 0.07749999999999996};  // shape [14]
const std::vector<double> kLinearLRAlone = {0.025, 0.043750000000000004, 0.06250000000000001, 0.08125000000000002, 0.10000000000000002, 0.10000000000000002, 0.10000000000000002, 0.10000000000000002, 0.10000000000000002, 0.10000000000000002, 0.10000000000000002, 0.10000000000000002, 0.10000000000000002, 0.10000000000000002};  // shape [14]
const std::vector<double> kLinearLRByHand = {0.025, 0.043750000000000004, 0.06250000000000001, 0.02, 0.02461538461538462, 0.02461538461538462, 0.02461538461538462, 0.02461538461538462, 0.02461538461538462, 0.02461538461538462, 0.02461538461538462, 0.02461538461538462, 0.02461538461538462, 0.02461538461538462};  // shape [14]
const std::vector<double> kConstantLRAlone = {0.05, 0.05, 0.05, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1};  // shape [14]
const std::vector<double> kConstantLRByHand = {0.05, 0.05, 0.05, 0.02, 0.02, 0.02, 0.02, 0.02, 0.02, 0.02, 0.02, 0.02, 0.02, 0.02};  // shape [14]
const std::vector<double> kPolynomialLRAlone = {0.1, 0.05625, 0.024999999999999998, 0.0062499999999999995, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0};  // shape [14]
const std::vector<double> kPolynomialLRByHand = {0.1, 0.05625, 0.024999999999999998, 0.02, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0};  // shape [14]
const std::vector<double> kLambdaLRAlone = {0.1, 0.095, 0.09025, 0.0857375, 0.081450625, 0.07737809374999999, 0.07350918906249998, 0.06983372960937498, 0.06634204312890622, 0.0630249409724609, 0.05987369392383787, 0.05688000922764597, 0.05403600876626367, 0.051334208327950485};  // shape [14]
const std::vector<double> kLambdaLRByHand = {0.1, 0.095, 0.09025, 0.02, 0.081450625, 0.07737809374999999, 0.07350918906249998, 0.06983372960937498, 0.06634204312890622, 0.0630249409724609, 0.05987369392383787, 0.05688000922764597, 0.05403600876626367, 0.051334208327950485};  // shape [14]
const std::vector<double> kMultiplicativeLRAlone = {0.1, 0.095, 0.09025, 0.0857375, 0.08145062499999998, 0.07737809374999999, 0.07350918906249998, 0.06983372960937498, 0.06634204312890622, 0.0630249409724609, 0.05987369392383786, 0.05688000922764597, 0.05403600876626367, 0.05133420832795048};  // shape [14]
const std::vector<double> kMultiplicativeLRByHand = {0.1, 0.095, 0.09025, 0.02, 0.019, 0.01805, 0.0171475, 0.016290125, 0.015475618749999998, 0.014701837812499997, 0.013966745921874996, 0.013268408625781245, 0.012604988194492182, 0.011974738784767573};  // shape [14]
const std::vector<double> kChained = {0.010000000000000002, 0.009000000000000003, 0.08100000000000003, 0.07290000000000003, 0.06561000000000003, 0.059049000000000025, 0.05314410000000002, 0.04782969000000002};  // shape [8]
const std::vector<double> kLanguageModelSchedule = {2.9999999999999997e-05, 8.399999999999998e-05, 0.00013799999999999997, 0.00019199999999999995, 0.00024599999999999996, 0.0003, 0.000299926189741025, 0.0002997048396745345, 0.0002993361918435765, 0.0002988206493591416, 0.0002981587759593674, 0.0002973512953930992, 0.0002963990906284807, 0.000295303202887442, 0.00029406483050713824, 0.0002926853276295856, 0.0002911662027209272, 0.000289509116921947, 0.000287715882231637, 0.00028578845952580313, 0.00028372895641287605, 0.0002815396249292725, 0.00027922285907682625, 0.0002767811922049827, 0.0002742172942406179, 0.0002715339687685131, 0.00026873414996567596, 0.00026582089939286075, 0.000262797402646797, 0.0002596669658767859, 0.00025643301216947504, 0.00025309907780576277, 0.0002496688083939275, 0.00024614595488320844, 0.00024253436946219744, 0.0002388380013465277, 0.0002350608924604641, 0.00023120717301711863, 0.0002272810570021229, 0.00022328683756569657, 0.00021922888232815094, 0.00021511162860395983, 0.00021093957854962183, 0.00020671729424061796, 0.0002024493926828491, 0.00019814054076400795, 0.00019379545015040593, 0.0001894188721348349, 0.00018501559244109875, 0.00018059042599089423, 0.00017614821163876494, 0.0001716938068808851, 0.00016723208254345844, 0.00016276791745654167, 0.00015830619311911509, 0.00015385178836123522, 0.00014940957400910599, 0.00014498440755890142, 0.00014058112786516526, 0.00013620454984959428, 0.0001318594592359922, 0.0001275506073171511, 0.00012328270575938223, 0.00011906042145037827, 0.0001148883713960403, 0.00011077111767184923, 0.00010671316243430355, 0.00010271894299787724, 9.879282698288148e-05, 9.493910753953601e-05, 9.116199865347246e-05, 8.746563053780268e-05, 8.385404511679168e-05, 8.033119160607256e-05, 7.690092219423729e-05, 7.356698783052504e-05, 7.03330341232141e-05, 6.720259735320305e-05, 6.417910060713933e-05, 6.126585003432407e-05, 5.846603123148694e-05, 5.578270575938216e-05, 5.321880779501734e-05, 5.077714092317377e-05, 4.8460375070727555e-05, 4.6271043587124014e-05, 4.421154047419695e-05, 4.228411776836311e-05, 4.049088307805308e-05, 3.8833797279072785e-05, 3.731467237041434e-05, 3.593516949286173e-05, 3.4696797112557954e-05, 3.360090937151923e-05, 3.264870460690074e-05, 3.184122404063249e-05, 3.117935064085835e-05, 3.066380815642346e-05, 3.029516032546544e-05, 3.0073810258974985e-05};  // shape [100]

using MakeChainable = std::function<std::unique_ptr<LRScheduler>(Optimizer&)>;

// lrs read before each of n steps; with `hand`, the lr is set to hand->second before step
// hand->first is read.
std::vector<double> run(Optimizer& opt, const std::vector<LRScheduler*>& scheds, int n,
                        std::optional<std::pair<int, double>> hand = {}) {
  std::vector<double> out;
  for (int e = 0; e < n; ++e) {
    if (hand && e == hand->first) opt.set_lr(hand->second);
    out.push_back(opt.lr());
    opt.step();
    for (LRScheduler* s : scheds) s->step();
  }
  return out;
}

void expect_lrs(const std::vector<double>& got, const std::vector<double>& want, double rtol = 1e-15) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], rtol * std::abs(want[i])) << "step " << i;
}
}  // namespace

TEST(Schedule, ChainableLikePyTorch) {
  // Two schedulers on one optimizer compose: StepLR halves every 3 steps, ExponentialLR
  // multiplies by 0.9 every step.
  {
    Tensor p = param();
    SGD opt(TensorList{p}, {.lr = 0.1});
    StepLR step(opt, {.step_size = 3, .gamma = 0.5});
    ExponentialLR exp(opt, {.gamma = 0.9});
    expect_lrs(run(opt, {&step, &exp}, 10), kStepPlusExponential);
  }
  // Each alone, and carrying on from an lr set by hand.
  const std::vector<std::tuple<const char*, MakeChainable, const std::vector<double>&, const std::vector<double>&>> cases = {
      {"StepLR", [](Optimizer& o) { return std::make_unique<StepLR>(o, StepLROptions{.step_size = 3, .gamma = 0.5}); },
       kStepLRAlone, kStepLRByHand},
      {"MultiStepLR",
       [](Optimizer& o) { return std::make_unique<MultiStepLR>(o, MultiStepLROptions{.milestones = {2, 2, 5}}); },
       kMultiStepLRAlone, kMultiStepLRByHand},
      {"ExponentialLR", [](Optimizer& o) { return std::make_unique<ExponentialLR>(o, ExponentialLROptions{0.9}); },
       kExponentialLRAlone, kExponentialLRByHand},
      {"CosineAnnealingLR",
       [](Optimizer& o) {
         return std::make_unique<CosineAnnealingLR>(o, CosineAnnealingLROptions{.T_max = 3, .eta_min = 0.01});
       },
       kCosineAnnealingLRAlone, kCosineAnnealingLRByHand},
      {"LinearLR",
       [](Optimizer& o) {
         return std::make_unique<LinearLR>(o, LinearLROptions{.start_factor = 0.25, .total_iters = 4});
       },
       kLinearLRAlone, kLinearLRByHand},
      {"ConstantLR",
       [](Optimizer& o) { return std::make_unique<ConstantLR>(o, ConstantLROptions{.factor = 0.5, .total_iters = 3}); },
       kConstantLRAlone, kConstantLRByHand},
      {"PolynomialLR",
       [](Optimizer& o) { return std::make_unique<PolynomialLR>(o, PolynomialLROptions{.total_iters = 4, .power = 2}); },
       kPolynomialLRAlone, kPolynomialLRByHand},
      {"LambdaLR",  // closed form: the lr set by hand is overwritten, as in PyTorch
       [](Optimizer& o) {
         return std::make_unique<LambdaLR>(o, [](int64_t e) { return std::pow(0.95, static_cast<double>(e)); });
       },
       kLambdaLRAlone, kLambdaLRByHand},
      {"MultiplicativeLR",
       [](Optimizer& o) { return std::make_unique<MultiplicativeLR>(o, [](int64_t) { return 0.95; }); },
       kMultiplicativeLRAlone, kMultiplicativeLRByHand},
  };
  for (const auto& [name, make, alone, by_hand] : cases) {
    SCOPED_TRACE(name);
    Tensor p = param(), q = param();
    SGD opt(TensorList{p}, {.lr = 0.1}), opt2(TensorList{q}, {.lr = 0.1});
    auto sched = make(opt), sched2 = make(opt2);
    expect_lrs(run(opt, {sched.get()}, 14), alone, 1e-14);
    expect_lrs(run(opt2, {sched2.get()}, 14, std::pair{3, 0.02}), by_hand, 1e-14);
  }
  // ChainedScheduler: ConstantLR (x0.1 for 2 steps) and ExponentialLR (x0.9 each step).
  Tensor p = param(), q = param();
  SGD opt(TensorList{p}, {.lr = 0.1}), opt2(TensorList{q}, {.lr = 0.1});
  auto make = [](Optimizer& o) {
    return std::make_unique<ChainedScheduler>(std::vector<std::shared_ptr<LRScheduler>>{
        std::make_shared<ConstantLR>(o, ConstantLROptions{.factor = 0.1, .total_iters = 2}),
        std::make_shared<ExponentialLR>(o, ExponentialLROptions{.gamma = 0.9})});
  };
  auto chained = make(opt);
  std::vector<double> got;
  for (int e = 0; e < 8; ++e, chained->step()) got.push_back(opt.lr());
  expect_lrs(got, kChained, 1e-14);
  EXPECT_EQ(chained->last_lrs(), std::vector<double>{opt.lr()});
  // Resumed from its state after 3 steps.
  auto chained2 = make(opt2);
  StateDict state = chained->state_dict();
  EXPECT_TRUE(state.contains("0.last_epoch") && state.contains("1.last_epoch"));
  opt2.load_state_dict(opt.state_dict());
  chained2->load_state_dict(state);
  chained->step();
  chained2->step();
  EXPECT_EQ(opt2.lr(), opt.lr());
}

TEST(Schedule, StepToAnEpochUsesTheClosedForm) {
  Tensor p = param();
  SGD opt(TensorList{p}, {.lr = 0.1});
  StepLR sched(opt, {.step_size = 3, .gamma = 0.5});
  opt.set_lr(0.7);  // ignored by the closed form
  sched.step(7);
  EXPECT_EQ(sched.last_epoch(), 7);
  EXPECT_DOUBLE_EQ(opt.lr(), 0.1 * 0.25);
  sched.step();  // and chained from there
  EXPECT_DOUBLE_EQ(opt.lr(), 0.1 * 0.25);
  sched.step();
  EXPECT_DOUBLE_EQ(opt.lr(), 0.1 * 0.125);
}

TEST(Schedule, LanguageModelScheduleIsUnchanged) {
  // soma train's language-model schedule (warm-up, then cosine to a tenth) as PyTorch gives it,
  // and within rounding of its closed form (what soma computed before the schedules chained).
  Tensor p = param();
  SGD opt(TensorList{p}, {.lr = 3e-4});
  auto warm = std::make_shared<LinearLR>(opt, LinearLROptions{.start_factor = 0.1, .total_iters = 5});
  auto cosine = std::make_shared<CosineAnnealingLR>(opt, CosineAnnealingLROptions{.T_max = 95, .eta_min = 3e-5});
  SequentialLR sched(opt, {warm, cosine}, {5});
  std::vector<double> got = run(opt, {&sched}, 100);
  expect_lrs(got, kLanguageModelSchedule, 1e-14);
  for (int e = 0; e < 100; ++e) EXPECT_NEAR(got[e], sched.lr_at(e, 3e-4), 1e-12 * 3e-4) << e;
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

TEST(Schedule, SequentialLRResumesFromStateDicts) {
  // Fresh optimizer and schedulers, then the optimizer's state (the lrs) and the scheduler's
  // (the step counts, its schedulers' too): the rest of the run is the uninterrupted one's.
  auto make = [](Optimizer& o) {
    auto warm = std::make_shared<LinearLR>(o, LinearLROptions{.start_factor = 0.1, .total_iters = 3});
    auto cosine = std::make_shared<CosineAnnealingLR>(o, CosineAnnealingLROptions{.T_max = 6, .eta_min = 0.01});
    return std::make_unique<SequentialLR>(o, std::vector<std::shared_ptr<LRScheduler>>{warm, cosine},
                                          std::vector<int64_t>{3});
  };
  for (int stop : {1, 3, 5}) {
    SCOPED_TRACE(stop);
    Tensor p = param(), q = param();
    SGD opt(TensorList{p}, {.lr = 0.1}), opt2(TensorList{q}, {.lr = 0.1});
    auto sched = make(opt);
    for (int i = 0; i < stop; ++i) sched->step();
    StateDict os = opt.state_dict(), ss = sched->state_dict();
    auto sched2 = make(opt2);
    opt2.load_state_dict(os);
    sched2->load_state_dict(ss);
    for (int i = 0; i < 6; ++i) {
      sched->step();
      sched2->step();
      EXPECT_EQ(opt2.lr(), opt.lr()) << i;
    }
  }
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
  SGD other(TensorList{param()}, {.lr = 0.1});
  auto on_other = std::make_shared<ExponentialLR>(other, ExponentialLROptions{});
  auto on_opt = std::make_shared<ExponentialLR>(opt, ExponentialLROptions{});
  EXPECT_ERROR(SequentialLR(opt, {on_opt, on_other}, {3}), "SequentialLR: scheduler 1 is not on the optimizer");
  EXPECT_ERROR(ChainedScheduler({on_opt, on_other}), "ChainedScheduler: schedulers 0 and 1 are not on the same optimizer");
  EXPECT_ERROR(SequentialLR(opt, {on_opt, on_opt}, {3}).step(4), "SequentialLR: step(epoch) is not supported");
  EXPECT_ERROR(on_opt->step(-1), "LRScheduler: step(epoch) needs epoch >= 0, got -1");
  EXPECT_ERROR(PolynomialLR(opt, {.total_iters = 0}), "PolynomialLR: total_iters must be positive, got 0");
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
