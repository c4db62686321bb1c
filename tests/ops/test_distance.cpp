// cdist, cosine_similarity and normalize: values and gradients against PyTorch 1.13
// (tests/golden/gen_distance.py), zero distances and norms, every p, broadcasting, gradcheck +
// gradgradcheck, errors.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "error_of.h"
#include "soma/soma.h"
#include "value_helpers.h"

using namespace soma;
using namespace value_test;

namespace {

// ---- golden values: tests/golden/gen_distance.py ------------------------------------------------

// x1 = [[[1.0, 2.0], [-0.5, 0.25], [3.0, -1.0]], [[0.0, 0.0], [2.0, 2.0], [-1.5, 0.5]]], x2 = [[[1.0, 2.0], [0.5, -0.75]], [[1.0, -1.0], [2.0, 2.5]]], w = 1..12
const std::vector<double> k_cdist_p2 = {0.0, 2.7950849718747373, 2.3048861143232218, 1.4142135623730951, 3.605551275463989, 2.5124689052802225, 1.4142135623730951, 3.2015621187164243, 3.1622776601683795, 0.5, 2.9154759474226504, 4.031128874149275};
const std::vector<double> k_cdist_p2_g1 = {0.35777087639996635, 1.9677398201998149, -4.7808012451140955, 0.5506573176503, 8.74372412238608, -4.7572737858152125, -9.947307848741227, -1.2972030072384104, 2.846049894151541, -1.4618503175453768, -19.851339888331495, -0.2942139505792145};
const std::vector<double> k_cdist_p2_g2 = {-0.8211268607582403, 6.438021278785109, -3.4995668929137116, -4.199144630820011, 11.536119756992278, -19.147350460463247, 15.416478085928905, 22.20061773582625};
const std::vector<double> k_cdist_p1 = {0.0, 3.25, 3.25, 2.0, 5.0, 2.75, 2.0, 4.5, 4.0, 0.5, 4.0, 5.5};
const std::vector<double> k_cdist_p1_g1 = {2.0, 2.0, -7.0, 1.0, 11.0, -11.0, -15.0, -1.0, 9.0, -1.0, -23.0, -1.0};
const std::vector<double> k_cdist_p1_g2 = {-2.0, 8.0, -4.0, 0.0, 9.0, -27.0, 20.0, 30.0};
const std::vector<double> k_cdist_p0 = {0.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 1.0, 2.0, 2.0};
const std::vector<double> k_cdist_p0_g1 = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0};
const std::vector<double> k_cdist_p0_g2 = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0};
const std::vector<double> k_cdist_pinf = {0.0, 2.75, 1.75, 1.0, 3.0, 2.5, 1.0, 2.5, 3.0, 0.5, 2.5, 3.5};
const std::vector<double> k_cdist_pinf_g1 = {0.0, 2.0, -4.0, 1.0, 6.0, -5.0, -7.0, -1.0, 0.0, -1.0, -23.0, 0.0};
const std::vector<double> k_cdist_pinf_g2 = {0.0, 8.0, -2.0, -6.0, 18.0, -16.0, 12.0, 18.0};
const std::vector<double> k_cdist_p3 = {0.0, 2.7554986399847716, 2.059415346070231, 1.2599210498948732, 3.2710663101885897, 2.5008330557097738, 1.2599210498948732, 2.8693967741585835, 3.0365889718756622, 0.5, 2.668401648721945, 3.7053975277103093};
const std::vector<double> k_cdist_p3_g1 = {0.06585209595183922, 1.9920259025431364, -4.111375962942412, 0.353587674943062, 7.865184079052278, -4.265616717831917, -8.2963140142331, -1.6630737309945776, 0.9760464552457488, -1.2155819027882604, -20.361905598404256, -0.020057345685516204};
const std::vector<double> k_cdist_p3_g2 = {-0.27764688552652816, 6.371911109374871, -3.542013326535177, -4.451907969029151, 13.089077921998609, -16.670086024784226, 14.593095235393001, 19.56879900425258};
const std::vector<double> k_cdist_p05 = {0.0, 5.595207879911714, 6.49037034920393, 4.0, 9.898979485566358, 4.331138830084191, 4.0, 8.972135954999581, 7.464101615137754, 0.5000000000000001, 7.872983346207415, 10.791502622129181};
const std::vector<double> k_cdist_p05_g1 = {6.69041575982343, 2.8528028654224418, -14.240370349203928, 2.222539700682346, 19.021090953058973, -34.05614886564891, -30.94427190999916, -1.1554175279993295, 24.588457268119896, 4.19615242270663, -40.591710713877774, -2.67356893029368};
const std::vector<double> k_cdist_p05_g2 = {-4.883354007754016, 14.859943203956284, -6.587782355924459, 14.120863095587838, 8.932106093536419, -53.397091358800495, 38.01541926222062, 53.02992539438688};
const std::vector<double> k_cdist_bcast = {3.0, 1.118033988749895, 1.9525624189766635, 3.3634060117684275, 2.0, 3.640054944640259, 1.4142135623730951, 3.2015621187164243, 3.1622776601683795, 0.5, 2.9154759474226504, 4.031128874149275};
// a = [[[1, 2, -2]], [[0, 0, 0]]], b = [[3, 0, 4], [1, 2, -2], [-1e-9, 2e-9, 0], [0.5, -0.5, 1]], dim = -1
const std::vector<double> k_cos = {-0.33333333333333337, 1.0, 0.1, -0.6804138174397717, 0.0, 0.0, 0.0, 0.0};
const std::vector<double> k_cos_ga = {0.950440898739864, 0.26788863562427595, 0.7431090849942082, 756598632.3710904, 213401367.62890953, 653197264.742181};
const std::vector<double> k_cos_gb = {0.10666666666666666, 0.13333333333333333, -0.08, 0.0, 0.0, 0.0, 103000000.0, 194000000.0, -200000000.0, 1.995880531156664, 1.27010579255424, -0.3628873693012109};
const std::vector<double> k_cos_dim1 = {0.5976143046671969, 0.6324555320336758};
const std::vector<double> k_cos_eps = {0.5976143046671969, 0.08000000000000002};
const std::vector<double> k_cos_f32 = {0.9999998807907104, 0.0, 0.9994449019432068};
// n = [[3, -4, 0], [0, 0, 0], [1, 1, -2]]
const std::vector<double> k_norm_dim1 = {0.6, -0.8, 0.0, 0.0, 0.0, 0.0, 0.4082482904638631, 0.4082482904638631, -0.8164965809277261};
const std::vector<double> k_norm_p2 = {0.6, -0.8, 0.0, 0.0, 0.0, 0.0, 0.4082482904638631, 0.4082482904638631, -0.8164965809277261};
const std::vector<double> k_norm_p1 = {0.42857142857142855, -0.5714285714285714, 0.0, 0.0, 0.0, 0.0, 0.25, 0.25, -0.5};
const std::vector<double> k_norm_pinf = {1.0, -1.0, 0.0, 0.0, 0.0, 0.0, 0.3333333333333333, 0.25, -1.0};
const std::vector<double> k_norm_eps = {0.6, -0.8, 0.0, 0.0, 0.0, 0.0, 0.25, 0.25, -0.5};
const std::vector<double> k_norm_g = {0.32, 0.24, 0.6, 4000000000000.0, 5000000000000.0, 6000000000000.0, 3.061862178478973, 3.470110468942836, 3.265986323710904};

Tensor x1_values() {
  return tensor({1.0, 2.0, -0.5, 0.25, 3.0, -1.0, 0.0, 0.0, 2.0, 2.0, -1.5, 0.5}, {2, 3, 2}, kFloat64);
}
Tensor x2_values() { return tensor({1.0, 2.0, 0.5, -0.75, 1.0, -1.0, 2.0, 2.5}, {2, 2, 2}, kFloat64); }

}  // namespace

namespace F = soma::nn::functional;

TEST(Cdist, ValuesAndGradientsMatchTorch) {
  struct Case {
    double p;
    const std::vector<double>&d, &g1, &g2;
  };
  const Case cases[] = {{2, k_cdist_p2, k_cdist_p2_g1, k_cdist_p2_g2},       {1, k_cdist_p1, k_cdist_p1_g1, k_cdist_p1_g2},
                        {0, k_cdist_p0, k_cdist_p0_g1, k_cdist_p0_g2},       {kInf, k_cdist_pinf, k_cdist_pinf_g1, k_cdist_pinf_g2},
                        {3, k_cdist_p3, k_cdist_p3_g1, k_cdist_p3_g2},       {0.5, k_cdist_p05, k_cdist_p05_g1, k_cdist_p05_g2}};
  const Tensor w = arange(1.0, 13.0, 1.0, kFloat64).reshape({2, 3, 2});
  for (const Case& c : cases) {
    const Tensor x1 = leaf(x1_values()), x2 = leaf(x2_values());
    const Tensor d = cdist(x1, x2, c.p);
    EXPECT_EQ(d.shape(), Shape({2, 3, 2}));
    expect_values(d, c.d);
    const TensorList g = autograd::grad({(d * w).sum()}, {x1, x2});
    expect_values(g[0], c.g1);  // includes the zero distance between x1[0][0] and x2[0][0]
    expect_values(g[1], c.g2);
  }
}

TEST(Cdist, BroadcastingShapesAndGradcheck) {
  expect_values(cdist(x1_values(), x2_values()[1]), k_cdist_bcast);
  EXPECT_EQ(cdist(zeros({4, 1, 3, 5}), zeros({2, 6, 5})).shape(), Shape({4, 2, 3, 6}));
  EXPECT_EQ(cdist(zeros({0, 3}), zeros({2, 3})).shape(), Shape({0, 2}));
  expect_values(cdist(ones({2, 0}), ones({3, 0})), std::vector<double>(6, 0.0));
  // Non-contiguous inputs (transposed views) give the same distances.
  const Tensor a = randn({4, 3}, kFloat64), b = randn({5, 3}, kFloat64);
  expect_values(cdist(a.t().contiguous().t(), b), cdist(a, b).to_vector<double>());
  for (double p : {1.0, 2.0, 3.0, 0.5, kInf}) {
    auto f = [p](const TensorList& in) { return cdist(in[0], in[1], p); };
    const Tensor x1 = leaf(randn({2, 3, 4}, kFloat64)), x2 = leaf(randn({2, 2, 4}, kFloat64));
    EXPECT_NO_THROW(gradcheck(f, {x1, x2})) << "p = " << p;
    EXPECT_NO_THROW(gradgradcheck(f, {x1, x2})) << "p = " << p;
  }
}

TEST(Cdist, Errors) {
  EXPECT_ERROR(cdist(zeros({3}), zeros({2, 3})), "cdist: expected x1 [..., P, M] and x2 [..., R, M] with at least 2 dims");
  EXPECT_ERROR(cdist(zeros({2, 3}), zeros({2, 4})), "cdist: x1 and x2 must have the same number of columns M");
  EXPECT_ERROR(cdist(zeros({2, 3}, kInt64), zeros({2, 3}, kInt64)), "one floating-point dtype, got int64 and int64");
  EXPECT_ERROR(cdist(zeros({2, 3}), zeros({2, 3}), -1), "cdist: p must be a nonnegative number (or inf), got -1");
  EXPECT_ERROR(cdist(zeros({2, 2, 3}), zeros({3, 2, 3})), "cdist: the batch dims of x1 and x2");
}

TEST(CosineSimilarity, ValuesAndGradientsMatchTorch) {
  const Tensor a = leaf(tensor({1.0, 2.0, -2.0, 0.0, 0.0, 0.0}, {2, 1, 3}, kFloat64));
  const Tensor b = leaf(tensor({3.0, 0.0, 4.0, 1.0, 2.0, -2.0, -1e-9, 2e-9, 0.0, 0.5, -0.5, 1.0}, {4, 3}, kFloat64));
  const Tensor y = F::cosine_similarity(a, b, -1);
  EXPECT_EQ(y.shape(), Shape({2, 4}));
  expect_values(y, k_cos);
  // Includes a zero vector and one shorter than eps: PyTorch 1.13 clamps each norm to eps.
  const TensorList g = autograd::grad({(y * arange(1.0, 9.0, 1.0, kFloat64).reshape({2, 4})).sum()}, {a, b});
  expect_values(g[0], k_cos_ga, 1e-9);
  expect_values(g[1], k_cos_gb, 1e-9);
  const Tensor c = tensor({1.0, 2.0, 3.0, 0.1, 0.0, -0.1}, {2, 3}, kFloat64);
  const Tensor d = tensor({2.0, 0.0, 1.0, 0.2, 0.1, 0.0}, {2, 3}, kFloat64);
  expect_values(F::cosine_similarity(c, d), k_cos_dim1);
  expect_values(F::cosine_similarity(c, d, 1, 0.5), k_cos_eps);
  expect_values(F::cosine_similarity(c.to(kFloat32), d.to(kFloat32), 0), k_cos_f32, 1e-6);
  auto f = [](const TensorList& in) { return F::cosine_similarity(in[0], in[1], 1); };
  const Tensor p = leaf(randn({3, 4}, kFloat64)), q = leaf(randn({1, 4}, kFloat64));
  EXPECT_NO_THROW(gradcheck(f, {p, q}));
  EXPECT_NO_THROW(gradgradcheck(f, {p, q}));
  EXPECT_ERROR(F::cosine_similarity(zeros({2, 3}, kInt64), zeros({2, 3}, kInt64)),
               "cosine_similarity: expected floating-point inputs, got int64 and int64");
  EXPECT_ERROR(F::cosine_similarity(zeros({2, 3}), zeros({4, 3})), "cosine_similarity");
}

TEST(Normalize, ValuesAndGradientsMatchTorch) {
  const Tensor n = leaf(tensor({3.0, -4.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0, -2.0}, {3, 3}, kFloat64));
  expect_values(F::normalize(n), k_norm_dim1);
  expect_values(F::normalize(n, 2, -1), k_norm_p2);
  expect_values(F::normalize(n, 1, -1), k_norm_p1);
  expect_values(F::normalize(n, kInf, 0), k_norm_pinf);
  expect_values(F::normalize(n, 2, -1, 4.0), k_norm_eps);
  const Tensor y = F::normalize(n, 2, -1);
  expect_values(autograd::grad({(y * arange(1.0, 10.0, 1.0, kFloat64).reshape({3, 3})).sum()}, {n})[0], k_norm_g);
  for (double p : {1.0, 2.0, 3.0}) {
    auto f = [p](const TensorList& in) { return F::normalize(in[0], p, 1); };
    const Tensor x = leaf(randn({3, 4}, kFloat64));
    EXPECT_NO_THROW(gradcheck(f, {x}));
    EXPECT_NO_THROW(gradgradcheck(f, {x}));
  }
}
