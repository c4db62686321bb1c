#include <gtest/gtest.h>

#include "nn/layers_helpers.h"

using namespace soma;
using namespace layers_test;
namespace F = soma::nn::functional;

namespace {
// Pasted from tests/golden/gen_layers.py (PyTorch 1.13).
const std::vector<double> kLayerNorm = {-0.7953388568477661, -0.04264829949991262, -1.1853069052659087, -1.3528906987202927, 0.6315898360520921, 0.7062742294210921, -1.288990933498107, -0.35524140358189066, 2.178512248416668, 0.8117350198878596, -1.2906489063719906, 1.2925321898101625, -0.3936538112908118, -1.2015669086831828, -1.5095039001420216, 0.12013193021598154, 0.4646964060003469, -1.2352502467020912, -0.7245832647435367, 1.5962919737781915, 0.7549731013730688, -1.2920319065386867, 0.6731614046250315, 2.8815071986083414};  // shape [2, 3, 4]
const std::vector<double> kGroupNorm = {0.1462067638649506, 1.1128367196329794, -1.1536364749093233, -2.9724424910140446, 1.7576796632418807, 1.3039488105949513, -2.9761407487333256, -0.6489179030706481, 5.287719570648061, 1.9409208250014556, -4.6493772871825305, 2.191575237055624, 1.241704662824891, -0.5845152877978372, -1.204341981428795, 1.6632009659548597, 1.8793433431110595, -2.1482390962624356, -2.3568061196328918, 3.6122197252144166, 0.7886668189098873, -5.903680711037993, -0.33806601842011047, 5.216306163469554};  // shape [2, 4, 3]
const std::vector<double> kBnTrainOut = {0.251331483456023, 1.1322829530353902, 0.72525725777813, 0.5495536437281661, 0.6284380170074771, 0.20908799982185097, -1.4354502980530348, -0.6869919897210914, 1.8115008326112778, 1.1864090027021676, -4.404115319004942, -1.0573589631729563, 1.2067106104862473, -0.7434369823248974, 0.4873937076650738, 1.5560605686488493, 0.5418937591412716, -3.8197024450221173, -0.8809171762018739, 1.156471399323237, 1.2926786107390504, 0.3911463761272848, -1.4910817031154295, 1.3928386543448452};  // shape [4, 3, 2]
const std::vector<double> kBnRunningMean = {0.49265395525731426, 0.03759039707865644, 0.5754043405307957};  // shape [3]
const std::vector<double> kBnRunningVar = {7.424464117251763, 7.320710575058488, 7.239396593447098};  // shape [3]
const std::vector<double> kBnEvalOut = {0.1445641077717546, 0.8203345185002526, 0.6993182846858386, 0.5646415623884281, 0.19786967396261038, -0.12336217516229317, -1.1493519099221454, -0.5752158809804665, 1.5319233797270253, 1.052790840295537, -3.6571830211500087, -1.0934899516477752, 0.8774273441347235, -0.6185143567224431, 0.5169960060209119, 1.336128559687282, 0.13157476315735425, -3.209509191488993, -0.7239742489996397, 0.8388892707735275, 1.1342464356606277, 0.44322248000968495, -1.4257316400928899, 0.7834183090910651};  // shape [4, 3, 2]
const std::vector<double> kBn2dCumMean = {1.049530351490088, 1.1498823443874753};  // shape [2]
const std::vector<double> kBn2dCumVar = {4.844939328029759, 5.088789999289739};  // shape [2]
}  // namespace

TEST(Norm, ValuesMatchPyTorch) {
  Tensor lw = linspace(0.5, 1.5, 12, kFloat64).view({3, 4}), lb = linspace(-1, 1, 12, kFloat64).view({3, 4});
  EXPECT_TRUE(allclose(F::layer_norm(xs({2, 3, 4}), {3, 4}, lw, lb), golden(kLayerNorm, {2, 3, 4}), 1e-9, 1e-10));
  EXPECT_TRUE(allclose(F::group_norm(xs({2, 4, 3}), 2, tensor({1, 2, 3, 4}, kFloat64), tensor({0, 0.1, 0.2, 0.3}, kFloat64)),
                       golden(kGroupNorm, {2, 4, 3}), 1e-9, 1e-10));
  // BatchNorm1d on [N, C, L]: three training steps, then evaluation with the running statistics.
  nn::BatchNorm1d bn(3, {.dtype = kFloat64});
  bn.weight.detach().copy_(tensor({1.0, 0.5, 2.0}, kFloat64));
  bn.bias.detach().copy_(tensor({0.0, 1.0, -1.0}, kFloat64));
  Tensor y;
  for (int step = 0; step < 3; ++step) y = bn(xs({4, 3, 2}) * (step + 1.0) + static_cast<double>(step));
  EXPECT_TRUE(allclose(y, golden(kBnTrainOut, {4, 3, 2}), 1e-9, 1e-10));
  EXPECT_TRUE(allclose(bn.running_mean, golden(kBnRunningMean, {3}), 1e-9, 1e-12));
  EXPECT_TRUE(allclose(bn.running_var, golden(kBnRunningVar, {3}), 1e-9, 1e-12));
  EXPECT_EQ(bn.num_batches_tracked.item<int64_t>(), 3);
  bn.eval();
  EXPECT_TRUE(allclose(bn(xs({4, 3, 2})), golden(kBnEvalOut, {4, 3, 2}), 1e-9, 1e-10));
  // BatchNorm2d with momentum=None: cumulative averages.
  nn::BatchNorm2d bn2(2, {.momentum = std::nullopt, .dtype = kFloat64});
  for (int step = 0; step < 3; ++step) bn2(xs({2, 2, 2, 2}) + static_cast<double>(step));
  EXPECT_TRUE(allclose(bn2.running_mean, golden(kBn2dCumMean, {2}), 1e-9, 1e-12));
  EXPECT_TRUE(allclose(bn2.running_var, golden(kBn2dCumVar, {2}), 1e-9, 1e-12));
  EXPECT_EQ(bn.extra_repr(), "3, eps=1e-05, momentum=0.1, affine=true, track_running_stats=true");
  EXPECT_EQ(nn::LayerNorm({4}).extra_repr(), "(4,), eps=1e-05, elementwise_affine=true");
  EXPECT_EQ(bn.state_dict().size(), 5u);
}

TEST(Norm, Gradchecks) {
  Tensor x = (xs({3, 2, 4}).transpose(0, 2) * 0.7).requires_grad_();  // [4, 2, 3], strided
  Tensor w = tensor({0.5, -1.5, 2.0}, kFloat64).requires_grad_(), b = tensor({0.1, 0.2, 0.3}, kFloat64).requires_grad_();
  auto ln = [](const TensorList& in) { return F::layer_norm(in[0], {3}, in[1], in[2]); };
  EXPECT_NO_THROW(gradcheck(ln, {x, w, b}));
  EXPECT_NO_THROW(gradgradcheck(ln, {x, w, b}));
  auto ln_plain = [](const TensorList& in) { return F::layer_norm(in[0], {2, 3}); };
  EXPECT_NO_THROW(gradgradcheck(ln_plain, {x}));
  Tensor xg = xs({2, 4, 3}).requires_grad_();
  Tensor gw = tensor({1, 2, 3, 4}, kFloat64).requires_grad_(), gb = tensor({0, 1, 0, 1}, kFloat64).requires_grad_();
  auto gn = [](const TensorList& in) { return F::group_norm(in[0], 2, in[1], in[2]); };
  EXPECT_NO_THROW(gradcheck(gn, {xg, gw, gb}));
  EXPECT_NO_THROW(gradgradcheck(gn, {xg, gw, gb}));
  Tensor xb = xs({4, 3, 2}).permute({0, 2, 1}).requires_grad_();  // [4, 2, 3] strided, C = 2
  Tensor bw = tensor({1.5, -0.5}, kFloat64).requires_grad_(), bb = tensor({0.2, 0.1}, kFloat64).requires_grad_();
  auto bn_train = [](const TensorList& in) { return F::batch_norm(in[0], {}, {}, in[1], in[2], true); };
  EXPECT_NO_THROW(gradcheck(bn_train, {xb, bw, bb}));
  EXPECT_NO_THROW(gradgradcheck(bn_train, {xb, bw, bb}));
  Tensor rm = tensor({0.3, -0.2}, kFloat64), rv = tensor({1.5, 0.7}, kFloat64);
  auto bn_eval = [&](const TensorList& in) { return F::batch_norm(in[0], rm, rv, in[1], in[2], false); };
  EXPECT_NO_THROW(gradcheck(bn_eval, {xb, bw, bb}));
  EXPECT_NO_THROW(gradgradcheck(bn_eval, {xb, bw, bb}));
}

TEST(Norm, FusedKernelsMatchComposed) {
  // Sizes above the parallel grain, odd widths, a strided input; float32.
  Generator gen(11);
  Tensor x = (randn({67, 515}, kFloat32, &gen) * 2.0 + 3.0).t();  // [515, 67]
  Tensor w = randn({67}, kFloat32, &gen), b = randn({67}, kFloat32, &gen), g = randn({515, 67}, kFloat32, &gen);
  auto composed_ln = [](const Tensor& x, const Tensor& w, const Tensor& b) {
    Tensor mu = x.mean({-1}, true);
    return (x - mu) * ((x - mu).pow(2).mean({-1}, true) + 1e-5).rsqrt() * w + b;
  };
  TensorList in = {x.detach().requires_grad_(), w.detach().requires_grad_(), b.detach().requires_grad_()};
  TensorList ref = {x.detach().requires_grad_(), w.detach().requires_grad_(), b.detach().requires_grad_()};
  Tensor y = F::layer_norm(in[0], {67}, in[1], in[2]), yr = composed_ln(ref[0], ref[1], ref[2]);
  EXPECT_TRUE(allclose(y, yr, 1e-4, 1e-4));
  TensorList gf = autograd::grad({y}, in, {g}), gr = autograd::grad({yr}, ref, {g});
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(allclose(gf[i], gr[i], 1e-3, 1e-3)) << i;
  // Batch norm [N, C, H, W] in training mode.
  Tensor xb = randn({9, 5, 31, 29}, kFloat32, &gen) * 3.0 + 1.0, gb = randn({9, 5, 31, 29}, kFloat32, &gen);
  Tensor wb = randn({5}, kFloat32, &gen), bb = randn({5}, kFloat32, &gen);
  auto composed_bn = [](const Tensor& x, const Tensor& w, const Tensor& b) {
    Tensor mu = x.mean({0, 2, 3}, true);
    Tensor var = (x - mu).pow(2).mean({0, 2, 3}, true);
    return (x - mu) * (var + 1e-5).rsqrt() * w.view({1, 5, 1, 1}) + b.view({1, 5, 1, 1});
  };
  in = {xb.detach().requires_grad_(), wb.detach().requires_grad_(), bb.detach().requires_grad_()};
  ref = {xb.detach().requires_grad_(), wb.detach().requires_grad_(), bb.detach().requires_grad_()};
  y = F::batch_norm(in[0], {}, {}, in[1], in[2], true);
  yr = composed_bn(ref[0], ref[1], ref[2]);
  EXPECT_TRUE(allclose(y, yr, 1e-4, 1e-4));
  gf = autograd::grad({y}, in, {gb});
  gr = autograd::grad({yr}, ref, {gb});
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(allclose(gf[i], gr[i], 1e-3, 1e-2)) << i;
}

TEST(Norm, TrainEvalAndErrors) {
  nn::BatchNorm2d bn(3);
  Tensor x = randn({4, 3, 5, 5}) * 2.0 + 1.0;
  Tensor y = bn(x);
  EXPECT_NEAR(y.mean().item(), 0.0, 1e-5);  // batch statistics in training
  EXPECT_NEAR(y.var({}, false).item(), 1.0, 1e-3);
  bn.eval();
  Tensor ye = bn(x);  // running stats: mean 0.1 * batch mean, var 0.9 + 0.1 * unbiased batch var
  EXPECT_FALSE(allclose(ye, y, 1e-3, 1e-3));
  nn::BatchNorm1d no_track(3, {.affine = false, .track_running_stats = false});
  EXPECT_EQ(no_track.parameters().size(), 0u);
  EXPECT_EQ(no_track.buffers().size(), 0u);
  no_track.eval();  // no running statistics: batch statistics
  EXPECT_NEAR(no_track(randn({8, 3}) + 5.0).mean().item(), 0.0, 1e-5);

  auto has = [](const std::string& msg, const char* what) { return msg.find(what) != std::string::npos; };
  EXPECT_TRUE(has(error_of([&] { bn(randn({4, 3, 5})); }), "BatchNorm2d: expected a 4-D [N, C, H, W] input, got shape [4, 3, 5]"));
  EXPECT_TRUE(has(error_of([&] { bn(randn({4, 2, 5, 5})); }), "BatchNorm2d: expected 3 channels at dim 1"));
  EXPECT_TRUE(has(error_of([&] { nn::BatchNorm1d(3)(randn({1, 3})); }), "more than 1 value per channel"));
  EXPECT_TRUE(has(error_of([&] { nn::LayerNorm({4})(randn({2, 5})); }),
                  "layer_norm: input of shape [2, 5] does not end with normalized_shape [4]"));
  EXPECT_TRUE(has(error_of([&] { nn::GroupNorm(3, 4); }), "GroupNorm: num_channels (4) must be divisible"));
  EXPECT_TRUE(has(error_of([&] { F::layer_norm(randn({2, 4}), {4}, ones({3})); }), "layer_norm: weight of shape [3]"));
}
