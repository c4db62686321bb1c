#include <gtest/gtest.h>

#include "nn/layers_helpers.h"

using namespace soma;
using namespace layers_test;
namespace F = soma::nn::functional;

namespace {
// Pasted from tests/golden/gen_layers.py (PyTorch 1.13).
const std::vector<double> kLeakyRelu = {0.8865606199840186, 2.727892280477045, -0.1589508422725479, -0.23182934626679633, 2.1869071203776276, 1.7547515786752852, -0.26390872799150106, -0.10746878467104813, 2.916022504184928, 0.3232609568983322, -0.29993232932190333, 0.449631628988857};  // shape [12]
const std::vector<double> kElu = {0.8865606199840186, 2.727892280477045, -0.5571818828983379, -0.6310909945704167, 2.1869071203776276, 1.7547515786752852, -0.6500014974925623, -0.46101698359659743, 2.916022504184928, 0.3232609568983322, -0.6651254602882734, 0.449631628988857};  // shape [12]
const std::vector<double> kSelu = {0.9315101187676952, 2.8661991124966244, -1.399401572936669, -1.5850295165270931, 2.2977854706355036, 1.8437192162777103, -1.6325245775592594, -1.1578766499723199, 3.0638677242979044, 0.33965060658655505, -1.6705094761623163, 0.47242839652484514};  // shape [12]
const std::vector<double> kGelu = {0.7201906472515974, 2.7191984306325785, -0.08896927996219067, -0.023685282700690265, 2.1554710904367087, 1.6851740911457351, -0.01096931027831733, -0.15180745345019256, 2.9108534908387234, 0.20260418944232134, -0.004057784901989975, 0.30283228017924335};  // shape [12]
const std::vector<double> kGeluTanh = {0.7200779247175635, 2.719671006799365, -0.08915782579387957, -0.02333499390102566, 2.155726931372211, 1.6850762011312503, -0.010498990629000483, -0.15198566016772266, 2.911293206598066, 0.2026008493404044, -0.003645238443198704, 0.3028206211523755};  // shape [12]
const std::vector<double> kSilu = {0.6278444073630343, 2.560543123193547, -0.26934708146942116, -0.20776359189225793, 1.9661773123062514, 1.4960154117972417, -0.1759342339231791, -0.2735216066875154, 2.7662346712361896, 0.18752974744749834, -0.14233724757794153, 0.27452333156489467};  // shape [12]
const std::vector<double> kHardtanh = {0.8865606199840186, 1.5, -0.5, -0.5, 1.5, 1.5, -0.5, -0.5, 1.5, 0.3232609568983322, -0.5, 0.449631628988857};  // shape [12]
const std::vector<double> kSoftplus = {0.9649779434515348, 2.727892280477045, 0.02039174585846022, 0.0048220312790666405, 2.1869071203776276, 1.7547515786752852, 0.0025443827262874043, 0.055124877946919455, 2.916022504184928, 0.5338857800989314, 0.0012395169397230008, 0.620315072067596};  // shape [12]
const std::vector<double> kSoftsign = {0.4699348701509145, 0.7317519056982962, -0.6138263188395071, -0.6986402766209884, 0.6862161455519586, 0.63699086054036, -0.72520582138295, -0.5179997792990648, 0.7446388525777541, 0.2442911620819239, -0.7499576986697903, 0.31016957687552854};  // shape [12]
const std::vector<double> kPrelu = {0.8865606199840186, 2.727892280477045, -0.3179016845450958, -0.46365869253359265, 2.1869071203776276, 1.7547515786752852, -0.26390872799150106, -0.10746878467104813, 2.916022504184928, 0.3232609568983322, -0.8997969879657101, 0.449631628988857};  // shape [2, 3, 2]
const std::vector<double> kRreluEval = {0.8865606199840186, 2.727892280477045, -0.3179016845450958, -0.46365869253359265, 2.1869071203776276, 1.7547515786752852, -0.5278174559830021, -0.21493756934209626, 2.916022504184928, 0.3232609568983322, -0.5998646586438067, 0.449631628988857};  // shape [12]
}  // namespace

TEST(Activation, ValuesMatchPyTorch) {
  Tensor x = xs({12});
  auto check = [](const Tensor& got, const std::vector<double>& want, const char* name) {
    EXPECT_TRUE(allclose(got, golden(want, got.shape()), 1e-10, 1e-12)) << name << "\n" << got;
  };
  check(F::leaky_relu(x, 0.1), kLeakyRelu, "leaky_relu");
  check(F::elu(x, 0.7), kElu, "elu");
  check(F::selu(x), kSelu, "selu");
  check(F::gelu(x), kGelu, "gelu");
  check(F::gelu(x, "tanh"), kGeluTanh, "gelu tanh");
  check(F::silu(x), kSilu, "silu");
  check(F::hardtanh(x, -0.5, 1.5), kHardtanh, "hardtanh");
  check(F::softplus(x, 2.0, 3.0), kSoftplus, "softplus");
  check(F::softsign(x), kSoftsign, "softsign");
  check(F::prelu(xs({2, 3, 2}), tensor({0.1, 0.2, 0.3}, kFloat64)), kPrelu, "prelu");
  check(F::rrelu(x, 0.1, 0.3, false), kRreluEval, "rrelu eval");
  // float32 (vectorized math) agrees to float precision.
  Tensor x32 = x.to(kFloat32);
  EXPECT_TRUE(allclose(F::gelu(x32).to(kFloat64), golden(kGelu, {12}), 1e-5, 1e-6));
  EXPECT_TRUE(allclose(F::silu(x32).to(kFloat64), golden(kSilu, {12}), 1e-5, 1e-6));
  EXPECT_TRUE(allclose(F::selu(x32).to(kFloat64), golden(kSelu, {12}), 1e-5, 1e-6));
}

TEST(Activation, GradcheckAndGradgradcheck) {
  // Values away from the kinks (|x| > 0.05), a non-contiguous input.
  Tensor base = xs({3, 4}).t() + 0.1;
  std::vector<std::pair<const char*, std::function<Tensor(const Tensor&)>>> fns = {
      {"leaky_relu", [](const Tensor& x) { return F::leaky_relu(x, 0.2); }},
      {"elu", [](const Tensor& x) { return F::elu(x, 0.7); }},
      {"selu", [](const Tensor& x) { return F::selu(x); }},
      {"gelu", [](const Tensor& x) { return F::gelu(x); }},
      {"gelu_tanh", [](const Tensor& x) { return F::gelu(x, "tanh"); }},
      {"silu", [](const Tensor& x) { return F::silu(x); }},
      {"hardtanh", [](const Tensor& x) { return F::hardtanh(x, -1.0, 2.0); }},
      {"softplus", [](const Tensor& x) { return F::softplus(x, 1.5, 2.0); }},
      {"softsign", [](const Tensor& x) { return F::softsign(x); }},
      {"rrelu_eval", [](const Tensor& x) { return F::rrelu(x); }},
      {"maxout", [](const Tensor& x) { return F::maxout(x, 3); }},
  };
  for (auto& [name, f] : fns) {
    Tensor x = base.detach().requires_grad_();
    auto g = [&](const TensorList& in) { return f(in[0]); };
    EXPECT_NO_THROW(gradcheck(g, {x})) << name;
    EXPECT_NO_THROW(gradgradcheck(g, {x})) << name;
  }
  Tensor x = xs({2, 3, 2}).requires_grad_();
  Tensor w = tensor({0.1, 0.2, 0.3}, kFloat64).requires_grad_();
  auto prelu = [](const TensorList& in) { return F::prelu(in[0], in[1]); };
  EXPECT_NO_THROW(gradcheck(prelu, {x, w}));
  EXPECT_NO_THROW(gradgradcheck(prelu, {x, w}));
  Tensor c = (xs({4, 3}) / 3).requires_grad_(), ls = tensor({0.1, -0.2, 0.3, 0.0}, kFloat64).requires_grad_();
  Tensor in = (xs({2, 3}) / 3).requires_grad_();
  auto rbf = [](const TensorList& t) { return F::rbf(t[0], t[1], t[2]); };
  EXPECT_NO_THROW(gradcheck(rbf, {in, c, ls}));
  EXPECT_NO_THROW(gradgradcheck(rbf, {in, c, ls}));
}

TEST(Activation, FusedBackwardMatchesComposed) {
  // Large float32 input (above the parallel grain, odd size), strided: the one-pass backward
  // kernel against the derivative written in tensor ops.
  Generator gen(3);
  Tensor x = (randn({301, 257}, kFloat32, &gen) * 3.0).t();
  Tensor g = randn({257, 301}, kFloat32, &gen);
  auto grad_of = [&](const std::function<Tensor(const Tensor&)>& f) {
    Tensor xr = x.detach().requires_grad_();
    return autograd::grad({f(xr)}, {xr}, {g})[0];
  };
  Tensor s = x.sigmoid();
  Tensor erf_part = (x * (1 / std::sqrt(2.0))).erf();
  EXPECT_TRUE(allclose(grad_of([](const Tensor& t) { return F::silu(t); }), g * s * (x * (1.0 - s) + 1.0), 1e-4, 1e-5));
  EXPECT_TRUE(allclose(grad_of([](const Tensor& t) { return F::gelu(t); }),
                       g * ((erf_part + 1.0) * 0.5 + x * (x * x * -0.5).exp() * 0.3989422804014327), 1e-4, 1e-5));
  EXPECT_TRUE(allclose(F::gelu(x), x * 0.5 * (erf_part + 1.0), 1e-5, 1e-6));
  EXPECT_TRUE(allclose(grad_of([](const Tensor& t) { return F::elu(t, 1.3); }),
                       where(x > 0, g, g * x.exp() * 1.3), 1e-5, 1e-6));
  EXPECT_TRUE(allclose(grad_of([](const Tensor& t) { return F::softplus(t); }), g * s, 1e-5, 1e-6));
}

TEST(Activation, RReLUTrainAndEval) {
  nn::RReLU r(0.1, 0.3);
  Tensor x = -ones({1000}, kFloat64);
  Tensor y = r(x);  // training: slopes in [0.1, 0.3]
  EXPECT_LE(y.max().item(), -0.1 + 1e-12);
  EXPECT_GE(y.min().item(), -0.3 - 1e-12);
  EXPECT_NEAR(y.mean().item(), -0.2, 0.01);
  EXPECT_GT(y.std().item(), 0.03);  // really random
  r.eval();
  EXPECT_TRUE(allclose(r(x), full({1000}, -0.2, kFloat64)));  // eval: the mean slope
  EXPECT_TRUE(equal(r(ones({3}, kFloat64)), ones({3}, kFloat64)));
}

TEST(Activation, ModulesAndShapes) {
  nn::PReLU p(3);
  EXPECT_EQ(p.weight.shape(), Shape({3}));
  EXPECT_DOUBLE_EQ(p.weight[1].item(), 0.25);
  EXPECT_EQ(p(randn({2, 3, 4})).shape(), Shape({2, 3, 4}));
  nn::Maxout m(4, 3, 2);
  Tensor x = randn({5, 4});
  Tensor z = m.linear->forward(x).view({5, 3, 2});
  EXPECT_TRUE(allclose(m(x), z.amax({2})));  // the max of each unit's pieces
  EXPECT_EQ(m.num_parameters(), 4 * 6 + 6);
  nn::RBF rbf(3, 2);
  Tensor in = randn({4, 3});
  Tensor d2 = (in.unsqueeze(1) - rbf.centres.unsqueeze(0)).pow(2).sum({2});
  Tensor sigma = rbf.log_sigma.exp();
  EXPECT_TRUE(allclose(rbf(in), (-d2 / (sigma * sigma * 2.0)).exp(), 1e-4, 1e-6));
  EXPECT_TRUE(allclose(nn::Softmax(1)(in).sum({1}), ones({4})));
  EXPECT_TRUE(allclose(nn::LogSoftmax(1)(in).exp().sum({1}), ones({4})));
  EXPECT_TRUE(equal(nn::Abs()(tensor({-2, 3})), tensor({2, 3})));
  EXPECT_EQ(nn::GELU("tanh").extra_repr(), "approximate='tanh'");
  EXPECT_EQ(nn::LeakyReLU(0.2).extra_repr(), "negative_slope=0.2");
  EXPECT_NE(error_of([] { nn::GELU("fast"); }).find("GELU: approximate must be"), std::string::npos);
  EXPECT_NE(error_of([&] { F::prelu(randn({2, 4}), ones({3})); }).find("prelu: weight has 3 elements"),
            std::string::npos);
  EXPECT_NE(error_of([&] { F::maxout(randn({2, 5}), 2); }).find("maxout: the last dim"), std::string::npos);
  EXPECT_NE(error_of([&] { F::silu(ones({2}, kInt64)); }).find("silu: expected a floating-point input"),
            std::string::npos);
}
