// cov, special::entr and entropy: values and gradients against PyTorch 1.13
// (tests/golden/gen_statistics.py), weights, corrections, dtypes, gradcheck + gradgradcheck, errors.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "error_of.h"
#include "soma/soma.h"
#include "value_helpers.h"

using namespace soma;
using namespace value_test;

namespace {

// ---- golden values: tests/golden/gen_statistics.py ----------------------------------------------

// x = [[1, 2, 4, -1, 0.5], [3, -2, 0, 1, 2.5], [0.25, 0.5, 1, 2, 4]], fweights = [1, 2, 0, 3, 1],
// aweights = [0.5, 1, 2, 0.25, 1.5]
const std::vector<double> k_cov = {3.45, -1.6500000000000001, -1.20625, -1.6500000000000001, 4.05, 1.19375, -1.20625, 1.19375, 2.3250000000000006};
const std::vector<double> k_cov_c0 = {2.7600000000000002, -1.32, -0.9650000000000001, -1.32, 3.2399999999999998, 0.9550000000000001, -0.9650000000000001, 0.9550000000000001, 1.8600000000000005};
const std::vector<double> k_cov_c2 = {4.6000000000000005, -2.2, -1.6083333333333334, -2.2, 5.3999999999999995, 1.5916666666666668, -1.6083333333333334, 1.5916666666666668, 3.100000000000001};
const std::vector<double> k_cov_fw = {1.892857142857143, -1.3928571428571426, -0.9613095238095238, -1.3928571428571426, 3.892857142857143, 1.2529761904761905, -0.9613095238095238, 1.2529761904761905, 1.7470238095238095};
const std::vector<double> k_cov_aw = {3.6953125000000004, -2.1546875, -1.9671875, -2.1546875, 4.145312500000001, 2.3078125, -1.9671875000000003, 2.3078125, 2.998046875};
const std::vector<double> k_cov_both = {1.4248251748251748, -1.9318181818181817, -1.2080419580419581, -1.931818181818182, 5.788461538461539, 2.987762237762238, -1.2080419580419581, 2.987762237762238, 3.154283216783217};
const std::vector<double> k_cov_both_c0 = {1.128808864265928, -1.5304709141274238, -0.9570637119113574, -1.530470914127424, 4.585872576177286, 2.3670360110803323, -0.9570637119113574, 2.3670360110803323, 2.4989612188365653};
const std::vector<double> k_cov_g = {-0.010489510489510773, -13.594405594405595, 0.0, 0.283216783216783, 13.321678321678323, 0.5559440559440559, -19.3006993006993, 0.0, -0.6608391608391608, 19.405594405594407, 1.1223776223776223, -25.006993006993007, 0.0, -1.6048951048951052, 25.48951048951049};
const std::vector<double> k_cov_1d = {7.0};
const std::vector<double> k_cov_int = {2.3333332538604736, -1.1666667461395264, -1.1666667461395264, 2.3333332538604736};
// cov(int64) dtype: torch.float32
const std::vector<double> k_cov_one_obs = {kNaN, kNaN, kNaN, kNaN};
const std::vector<double> k_cov_t = {3.45, -1.6500000000000001, -1.20625, -1.6500000000000001, 4.05, 1.19375, -1.20625, 1.19375, 2.3250000000000006};
const std::vector<double> k_entr = {-kInf, 0.0, 0.34657359027997264, -0.0, -2.2907268296853878, -kInf, kNaN};
const std::vector<double> k_entr_int = {0.0, -0.0, -1.3862943649291992};
// entr(int64) dtype: torch.float32
const std::vector<double> k_entr_g = {0.3862943611198906, -1.0, -1.916290731874155, kInf, kNaN};
// p = [[0.2, 0.3, 0.5], [1, 0, 3], [2, 2, 2]]
const std::vector<double> k_entropy = {1.0296530140645737, 0.5623351446188083, 1.0986122886681096};
const std::vector<double> k_entropy_dim0 = {0.8305236914828464, 0.38721237518636054, 0.9164648855394713};
const std::vector<double> k_entropy_g = {0.5797848983695267, 0.17431979026136257, -0.33650583350462826, 0.14564263089996823, 0.2996753376910672, -0.0984934332485006};

Tensor variables() {
  return tensor({1.0, 2.0, 4.0, -1.0, 0.5, 3.0, -2.0, 0.0, 1.0, 2.5, 0.25, 0.5, 1.0, 2.0, 4.0}, {3, 5}, kFloat64);
}
Tensor fweights() { return from_vector(std::vector<int64_t>{1, 2, 0, 3, 1}); }
Tensor aweights() { return tensor({0.5, 1.0, 2.0, 0.25, 1.5}, kFloat64); }

}  // namespace

TEST(Cov, ValuesMatchTorch) {
  const Tensor x = variables();
  expect_values(cov(x), k_cov);
  expect_values(cov(x, 0), k_cov_c0);
  expect_values(cov(x, 2), k_cov_c2);
  expect_values(cov(x, 1, fweights()), k_cov_fw);
  expect_values(cov(x, 1, {}, aweights()), k_cov_aw);
  expect_values(cov(x, 1, fweights(), aweights()), k_cov_both);
  expect_values(cov(x, 0, fweights(), aweights()), k_cov_both_c0);
  expect_values(cov(x.t().contiguous().t()), k_cov_t);
  const Tensor one = cov(tensor({1.0, 2.0, 4.0, 7.0}));
  EXPECT_EQ(one.dim(), 0);
  expect_values(one, k_cov_1d);
  const Tensor i = cov(tensor({1, 2, 4, 3, 0, 1}, {2, 3}, kInt64));
  EXPECT_EQ(i.dtype(), kFloat32);
  expect_values(i, k_cov_int, 1e-6);
  expect_values(cov(tensor({1.0, 2.0}, {2, 1})), k_cov_one_obs);  // no degrees of freedom: 0 / 0
}

TEST(Cov, GradientsMatchTorch) {
  const Tensor x = leaf(variables());
  const Tensor y = cov(x, 1, fweights(), aweights());
  expect_values(autograd::grad({(y * arange(1.0, 10.0, 1.0, kFloat64).reshape({3, 3})).sum()}, {x})[0], k_cov_g, 1e-9);
  auto f = [](const TensorList& in) { return cov(in[0], 1, fweights(), aweights()); };
  EXPECT_NO_THROW(gradcheck(f, {leaf(variables())}));
  EXPECT_NO_THROW(gradgradcheck(f, {leaf(variables())}));
}

TEST(Cov, Errors) {
  EXPECT_ERROR(cov(zeros({2, 3, 4})), "cov: expected input to have two or fewer dimensions");
  EXPECT_ERROR(cov(zeros({2, 3}, kBool)), "cov: bool dtype is not supported for input");
  EXPECT_ERROR(cov(variables(), 1, aweights()), "cov: expected fweights to have an integer dtype, got float64");
  EXPECT_ERROR(cov(variables(), 1, {}, fweights()), "cov: expected aweights to have a floating-point dtype, got int64");
  EXPECT_ERROR(cov(variables(), 1, from_vector(std::vector<int64_t>{1, 2})),
               "cov: expected fweights to have one element per observation (5), got 2");
  EXPECT_ERROR(cov(variables(), 1, from_vector(std::vector<int64_t>{1, 2, -1, 1, 1})), "cov: fweights cannot be negative");
  EXPECT_ERROR(cov(variables(), 1, {}, zeros({5}, kFloat64)), "cov: the weights sum to zero");
}

TEST(Entr, ValuesAndGradientsMatchTorch) {
  expect_values(special::entr(tensor({-1.0, 0.0, 0.25, 1.0, 2.5, kInf, kNaN}, kFloat64)), k_entr);
  const Tensor i = special::entr(tensor({0, 1, 2}, kInt64));
  EXPECT_EQ(i.dtype(), kFloat32);
  expect_values(i, k_entr_int, 1e-6);
  const Tensor v = leaf(tensor({0.25, 1.0, 2.5, 0.0, -1.0}, kFloat64));
  expect_values(autograd::grad({special::entr(v).sum()}, {v})[0], k_entr_g);
  auto f = [](const TensorList& in) { return special::entr(in[0]); };
  const Tensor x = leaf(tensor({0.1, 0.5, 1.0, 3.0}, kFloat64));
  EXPECT_NO_THROW(gradcheck(f, {x}));
  EXPECT_NO_THROW(gradgradcheck(f, {x}));
}

TEST(Entropy, MatchesCategoricalEntropy) {
  const Tensor p = tensor({0.2, 0.3, 0.5, 1.0, 0.0, 3.0, 2.0, 2.0, 2.0}, {3, 3}, kFloat64);
  expect_values(entropy(p), k_entropy);
  expect_values(entropy(p, 1), k_entropy);
  expect_values(entropy(p, 0), k_entropy_dim0);
  const Tensor q = leaf(tensor({0.2, 0.3, 0.5, 1.0, 0.5, 3.0}, {2, 3}, kFloat64));
  expect_values(autograd::grad({entropy(q).sum()}, {q})[0], k_entropy_g);
  auto f = [](const TensorList& in) { return entropy(in[0]); };
  EXPECT_NO_THROW(gradcheck(f, {q}));
  EXPECT_NO_THROW(gradgradcheck(f, {q}));
  EXPECT_EQ(entropy(tensor({1, 1, 1, 1}, kInt64)).dtype(), kFloat32);
  EXPECT_ERROR(entropy(p, 2), "entropy");
}
