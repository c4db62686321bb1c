#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "soma/soma.h"

using namespace soma;

namespace {

TensorList make_params(DType dtype = kFloat64) {
  Tensor w = linspace(-1, 1, 6, dtype).reshape({2, 3}).clone().requires_grad_();
  Tensor b = tensor({0.5, -0.3, 0.2}, dtype).requires_grad_();
  return {w, b};
}

// The gradient formula of tests/golden/gen_optim.py.
void set_fake_grads(const TensorList& ps) {
  NoGradGuard ng;
  for (const Tensor& p : ps) p.set_grad((p * 3).sin() + p * 0.1 * p);
}

void run(optim::Optimizer& opt, const TensorList& ps, int steps) {
  for (int i = 0; i < steps; ++i) {
    set_fake_grads(ps);
    opt.step();
  }
}

void expect_close(const Tensor& t, const std::vector<double>& want, double rtol, const std::string& what) {
  std::vector<double> got = t.to_vector<double>();
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], want[i], rtol * (1 + std::abs(want[i]))) << what << " element " << i;
}

struct Golden {
  const char* name;
  std::vector<double> w, b;
};

using Factory = std::function<std::unique_ptr<optim::Optimizer>(const TensorList&)>;

template <class Opt, class Options>
Factory make(Options options) {
  return [options](const TensorList& ps) { return std::make_unique<Opt>(ps, options); };
}

std::map<std::string, Factory> factories() {
  using namespace optim;
  return {
      {"SGD_plain", make<SGD>(SGDOptions{.lr = 0.1})},
      {"SGD_momentum", make<SGD>(SGDOptions{.lr = 0.1, .momentum = 0.9, .dampening = 0.1, .weight_decay = 0.01})},
      {"SGD_nesterov", make<SGD>(SGDOptions{.lr = 0.1, .momentum = 0.9, .weight_decay = 0.01, .nesterov = true})},
      {"SGD_maximize", make<SGD>(SGDOptions{.lr = 0.05, .momentum = 0.5, .maximize = true})},
      {"Adagrad", make<Adagrad>(AdagradOptions{
                      .lr = 0.1, .lr_decay = 0.01, .weight_decay = 0.1, .initial_accumulator_value = 0.1})},
      {"Adagrad_maximize", make<Adagrad>(AdagradOptions{.lr = 0.1, .maximize = true})},
      {"RMSprop", make<RMSprop>(RMSpropOptions{.lr = 0.01})},
      {"RMSprop_centered", make<RMSprop>(RMSpropOptions{
                               .lr = 0.01, .alpha = 0.9, .weight_decay = 0.1, .momentum = 0.9, .centered = true})},
      {"Adadelta", make<Adadelta>(AdadeltaOptions{.lr = 1.0, .rho = 0.8, .weight_decay = 0.1})},
      {"Adam", make<Adam>(AdamOptions{.lr = 0.1})},
      {"Adam_amsgrad", make<Adam>(AdamOptions{
                           .lr = 0.1, .betas = {0.8, 0.9}, .weight_decay = 0.1, .amsgrad = true, .maximize = true})},
      {"AdamW", make<AdamW>(AdamWOptions{.lr = 0.1, .weight_decay = 0.1, .amsgrad = true})},
      {"Adamax", make<Adamax>(AdamaxOptions{.lr = 0.1, .weight_decay = 0.1})},
      {"NAdam", make<NAdam>(NAdamOptions{.lr = 0.1, .weight_decay = 0.1})},
      {"RAdam", make<RAdam>(RAdamOptions{.lr = 0.1, .weight_decay = 0.1})},
  };
}

// From tests/golden/gen_optim.py (PyTorch 1.13; NAdam from the script's reference, see adam.h).
// 8 steps from w = linspace(-1, 1, 6).reshape(2, 3), b = [0.5, -0.3, 0.2], grad = sin(3p) + 0.1p^2
const std::vector<Golden> kGolden = {
    {"SGD_plain", {-0.89702361351565996, -0.061168789516875245, -0.012245606232946368, 0.012019332237336993, 0.056271183934846092, 0.53346403430123179}, {0.039572570199957822, -0.019721664065698748, 0.012019332237337}},
    {"SGD_momentum", {-0.47886398824197041, 0.29436372086705864, 0.033897323496979409, -0.034604094286538462, -0.303157936615502, -0.34457968534603212}, {-0.20844586593655498, 0.06995402534104056, -0.034604094286538462}},
    {"SGD_nesterov", {0.096651498461651691, 0.015529789748559376, -0.012564833402305494, 0.012780756153344716, -0.01201795863226056, -0.31100321633582451}, {0.0064700447018335057, -0.015403846803328649, 0.01278075615334473}},
    {"SGD_maximize", {-1.0133012842722484, -1.0082127375750152, -0.75554279758119058, 0.77769491850857253, 1.0640774151244714, 1.0857227808070524}, {1.0426820498160261, -0.89388982155214014, 0.77769491850857275}},
    {"Adagrad", {-0.54131275956853953, -0.21105632486634601, -0.0038795556626283999, 0.0039759639151959996, 0.21418140260257409, 0.52552201128456899}, {0.14261283396462496, -0.028796527917418512, 0.0039759639151960048}},
    {"Adagrad_maximize", {-1.0129359115620324, -0.94118554504349738, -0.68132292550423468, 0.68660193379033507, 0.96264262646590792, 1.0866498519732355}, {0.89417738894543131, -0.7453687544125307, 0.68660193379033496}},
    {"RMSprop", {-0.4213933381259688, -0.19148474510245134, -0.0012640666291049982, 0.0013455810171033513, 0.19580262280500171, 0.45432818749561515}, {0.12747181145110376, -0.020521489129066914, 0.0013455810171033537}},
    {"RMSprop_centered", {-0.1468432410122594, 0.043660752920951944, 0.13838227945629539, -0.13897989465119706, -0.038414307965493402, 0.19159851784005183}, {-0.093669697790514372, 0.161024466981187, -0.13897989465119709}},
    {"Adadelta", {-0.97769278153540617, -0.57981161104257783, -0.18035334157346994, 0.18036099497710328, 0.57983961742502599, 0.97906582888079907}, {0.47992624443439158, -0.28013840565441078, 0.18036099497710334}},
    {"Adam", {-0.25294802032521807, 0.12979569543923403, 0.030285558712099425, -0.032683372566616402, -0.12774503956801292, 0.2135987512532278}, {-0.16868736957408634, 0.13298960291832268, -0.032683372566616499}},
    {"Adam_amsgrad", {-0.94969179627501998, -1.0959669664750611, -0.9826171039471282, 0.99093243358887828, 1.1792326032251279, 1.0710072788055063}, {1.1630240660886915, -1.0482000369336764, 0.99093243358887828}},
    {"AdamW", {-0.20154538158063068, 0.13993226354560839, 0.025434470303668417, -0.027757199359909404, -0.13808844740709827, 0.16532153299127356}, {-0.17080469304296764, 0.12608598823367143, -0.027757199359909501}},
    {"Adamax", {-0.40675439506314925, 0.061603089552879173, 0.066150704723607082, -0.067158446026880009, -0.058714521353494198, 0.35219966712069195}, {-0.08067829922355424, 0.10196522027456009, -0.067158446026880037}},
    {"NAdam", {-0.23323906608187744, -0.057645484520556012, 0.011374192387152766, -0.011577993401447642, 0.062007901729543208, 0.26234404386597954}, {0.017205229699554344, 0.023566575228668531, -0.01157799340144766}},
    {"RAdam", {-0.89356758611206111, -0.11269754895411639, 0.016105502832165944, -0.017438537899883332, 0.09239841854384015, 0.76703671652868677}, {0.033914734896580992, 0.011221412186921988, -0.017438537899883342}},
};

}  // namespace

TEST(Optimizers, MatchPyTorch) {
  auto f = factories();
  ASSERT_EQ(f.size(), kGolden.size());
  for (const Golden& g : kGolden) {
    TensorList ps = make_params();
    auto opt = f.at(g.name)(ps);
    run(*opt, ps, 8);
    expect_close(ps[0], g.w, 1e-12, std::string(g.name) + " w");
    expect_close(ps[1], g.b, 1e-12, std::string(g.name) + " b");
  }
}

TEST(Optimizers, Float32TracksFloat64) {
  for (auto& [name, factory] : factories()) {
    TensorList p64 = make_params(), p32 = make_params(kFloat32);
    auto o64 = factory(p64), o32 = factory(p32);
    run(*o64, p64, 8);
    run(*o32, p32, 8);
    EXPECT_TRUE(allclose(p32[0].to(kFloat64), p64[0], 1e-4, 1e-4)) << name;
  }
}

TEST(Optimizers, CheckpointResumesBitIdentically) {
  for (auto& [name, factory] : factories()) {
    TensorList ps = make_params();
    auto opt = factory(ps);
    run(*opt, ps, 3);
    StateDict state = opt->state_dict();
    TensorList copy = {ps[0].detach().clone().requires_grad_(), ps[1].detach().clone().requires_grad_()};
    run(*opt, ps, 4);
    auto resumed = factory(copy);
    resumed->set_lr(123.0);  // overwritten by the load
    resumed->load_state_dict(state);
    run(*resumed, copy, 4);
    EXPECT_TRUE(equal(ps[0], copy[0]) && equal(ps[1], copy[1])) << name;
  }
}

TEST(Optimizers, StateDictKeys) {
  TensorList ps = make_params();
  optim::Adam opt(ps, {.lr = 0.1, .amsgrad = true});
  EXPECT_EQ(opt.state_dict().count("state.0.step"), 0u);  // no state before the first step
  run(opt, ps, 2);
  StateDict s = opt.state_dict();
  EXPECT_EQ(s.at("state.1.step").item<int64_t>(), 2);
  EXPECT_EQ(s.at("state.1.exp_avg").shape(), Shape({3}));
  EXPECT_EQ(s.at("state.0.max_exp_avg_sq").shape(), Shape({2, 3}));
  EXPECT_DOUBLE_EQ(s.at("group.0.lr").item(), 0.1);
  EXPECT_DOUBLE_EQ(s.at("group.0.beta2").item(), 0.999);
  EXPECT_DOUBLE_EQ(s.at("group.0.amsgrad").item(), 1.0);
  EXPECT_EQ(s.at("group.0.num_params").item<int64_t>(), 2);
}

TEST(Optimizers, ParamGroupsHaveTheirOwnOptions) {
  TensorList ps = make_params();
  optim::SGD opt({{{ps[0]}, {.lr = 0.1, .momentum = 0.9}}, {{ps[1]}, {.lr = 0.01}}});
  EXPECT_EQ(opt.num_groups(), 2u);
  EXPECT_DOUBLE_EQ(opt.lr(1), 0.01);
  TensorList a = make_params(), b = make_params();
  optim::SGD oa(TensorList{a[0]}, {.lr = 0.1, .momentum = 0.9}), ob(TensorList{b[1]}, {.lr = 0.01});
  for (int i = 0; i < 3; ++i) {
    set_fake_grads(ps), set_fake_grads(a), set_fake_grads(b);
    opt.step(), oa.step(), ob.step();
  }
  EXPECT_TRUE(equal(ps[0], a[0]));
  EXPECT_TRUE(equal(ps[1], b[1]));
  opt.set_lr(0.5);
  EXPECT_DOUBLE_EQ(opt.lr(0), 0.5);
  EXPECT_DOUBLE_EQ(opt.lr(1), 0.5);
  EXPECT_DOUBLE_EQ(opt.options(0).momentum, 0.9);
}

TEST(Optimizers, SkipsParametersWithoutGradAndZeroGrad) {
  TensorList ps = make_params();
  Tensor before = ps[1].detach().clone();
  optim::Adam opt(ps, {.lr = 0.1});
  (ps[0] * ps[0]).sum().backward();
  opt.step();
  EXPECT_TRUE(equal(ps[1], before));
  EXPECT_EQ(opt.state_dict().count("state.1.step"), 0u);
  opt.zero_grad(false);
  EXPECT_EQ(ps[0].grad().abs().sum().item(), 0.0);
  opt.zero_grad();
  EXPECT_FALSE(ps[0].grad().defined());
}

TEST(Optimizers, NanGradientPropagates) {
  Tensor p = tensor({1.0, 2.0}, kFloat64).requires_grad_();
  optim::Adam opt(TensorList{p}, {});
  p.set_grad(tensor({NAN, 1.0}, kFloat64));
  opt.step();
  EXPECT_TRUE(std::isnan(p.to_vector<double>()[0]));
  EXPECT_FALSE(std::isnan(p.to_vector<double>()[1]));
}

TEST(Optimizers, NonContiguousParameter) {
  Tensor base = linspace(-1, 1, 6, kFloat64).reshape({2, 3});
  Tensor p = base.t().requires_grad_();  // a leaf with strides (1, 3)
  Tensor q = p.detach().contiguous().requires_grad_();
  optim::Adam op(TensorList{p}, {.lr = 0.1}), oq(TensorList{q}, {.lr = 0.1});
  for (int i = 0; i < 3; ++i) {
    set_fake_grads({p}), set_fake_grads({q});
    op.step(), oq.step();
  }
  EXPECT_TRUE(equal(p, q));
  EXPECT_TRUE(equal(base.t(), q));  // written back into the viewed storage
}

// The fused update above the parallel grain, against the same update written with tensor ops,
// and against itself on one thread (bit-identical).
TEST(Optimizers, FusedAdamMatchesComposedReferenceAndThreadCount) {
  for (int64_t n : {int64_t{5}, int64_t{33}, int64_t{100003}}) {
    manual_seed(7);
    Tensor p0 = randn({n}, kFloat64);
    Tensor g = randn({n}, kFloat64);
    Tensor p = p0.clone().requires_grad_(), q = p0.clone().requires_grad_();
    optim::AdamW opt(TensorList{p}, {.lr = 0.01, .weight_decay = 0.1, .amsgrad = true});
    int threads = get_num_threads();
    set_num_threads(1);
    optim::AdamW one(TensorList{q}, {.lr = 0.01, .weight_decay = 0.1, .amsgrad = true});
    Tensor m = zeros({n}, kFloat64), v = zeros({n}, kFloat64), vmax = zeros({n}, kFloat64), ref = p0.clone();
    for (int t = 1; t <= 3; ++t) {
      Tensor gt = g * t;
      set_num_threads(1);
      q.set_grad(gt);
      one.step();
      set_num_threads(std::max(threads, 2));
      p.set_grad(gt);
      opt.step();
      ref = ref * (1 - 0.01 * 0.1);
      m = m * 0.9 + gt * 0.1;
      v = v * 0.999 + gt * gt * 0.001;
      vmax = maximum(vmax, v);
      Tensor denom = vmax.sqrt() / std::sqrt(1 - std::pow(0.999, t)) + 1e-8;
      ref = ref - m / denom * (0.01 / (1 - std::pow(0.9, t)));
    }
    set_num_threads(threads);
    EXPECT_TRUE(equal(p, q)) << n;
    EXPECT_TRUE(allclose(p, ref, 1e-12, 1e-12)) << n;
  }
}

namespace {
void expect_error(const std::function<void()>& f, const std::string& substring) {
  try {
    f();
    FAIL() << "expected an error containing: " << substring;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(substring), std::string::npos) << e.what();
  }
}
}  // namespace

TEST(Optimizers, Errors) {
  TensorList ps = make_params();
  expect_error([&] { optim::SGD(ps, {.lr = -1}); }, "SGD: invalid learning rate -1");
  expect_error([&] { optim::SGD(ps, {.lr = 0.1, .nesterov = true}); }, "nesterov momentum requires a momentum");
  expect_error([&] { optim::Adam(ps, {.betas = {0.9, 1.0}}); }, "Adam: invalid betas (0.9, 1)");
  expect_error([&] { optim::Adam(TensorList{ps[0], ps[0]}); }, "appears more than once");
  expect_error([&] { optim::Adam(TensorList{ps[0] * 2}); }, "can't optimize a non-leaf tensor");
  expect_error([&] { optim::Adam(TensorList{ones({2}, kInt64)}); }, "parameters must be float32 or float64, got int64");
  optim::Adam opt(ps);
  expect_error([&] { opt.lr(3); }, "Adam: group 3 out of range (1 groups)");
  expect_error([&] { opt.set_lr(-0.1); }, "learning rate must be >= 0");
  optim::Adam other(TensorList{ps[0]});
  expect_error([&] { opt.load_state_dict(other.state_dict()); }, "group 0 has 2 parameters, the state has 1");
  expect_error([&] { opt.load_state_dict({}); }, "missing key 'group.0.num_params'");
  run(opt, ps, 1);
  StateDict s = opt.state_dict();
  s["state.1.exp_avg"] = zeros({4}, kFloat64);
  expect_error([&] { opt.load_state_dict(s); }, "state 'state.1.exp_avg' has shape [4], the parameter has shape [3]");
}

TEST(Optimizers, StepWithClosureReturnsTheLoss) {
  Tensor x = tensor({3.0}, kFloat64).requires_grad_();
  optim::SGD opt(TensorList{x}, {.lr = 0.25});
  Tensor loss = opt.step([&] {
    opt.zero_grad();
    Tensor l = (x * x).sum();
    l.backward();
    return l;
  });
  EXPECT_DOUBLE_EQ(loss.item(), 9.0);
  EXPECT_DOUBLE_EQ(x.item(), 3.0 - 0.25 * 6.0);
}
