// softmax / log_softmax: golden values (tests/golden/gen_reduce.py), stability, gradients, errors.
#include <gtest/gtest.h>

#include <cmath>

#include "soma/soma.h"

using namespace soma;

namespace {

// ---- golden values: output of tests/golden/gen_reduce.py (torch) ----
const std::vector<double> kX = {0.5, -1.25, 2.0, 3.5, -0.75, 4.0, -2.5, 1.0, 3.0, 0.25, -1.5, 2.0};  // shape [3, 4]
const std::vector<double> kSoftmax1 = {0.03884852967827135, 0.006750862199444865, 0.17410703085781265, 0.7802935772644711, 0.008162421668426836, 0.9434476685543292, 0.0014184162014278928, 0.04697149357581623, 0.6930408927745736, 0.044304622003865646, 0.007698988878693095, 0.2549554963428676};  // shape [3, 4]
const std::vector<double> kSoftmax0 = {0.07424456843449029, 0.005100792747877722, 0.9603321551125756, 0.7661572065563422, 0.021271424997296118, 0.972039040143899, 0.010668326586708377, 0.0628900132458675, 0.9044840065682136, 0.02286016710822325, 0.02899951830071589, 0.17095278019779026};  // shape [3, 4]
const std::vector<double> kLogSoftmax1 = {-3.2480850490038047, -4.998085049003804, -1.7480850490038045, -0.24808504900380454, -4.808214380943021, -0.058214380943020595, -6.558214380943021, -3.0582143809430207, -0.3666662732004389, -3.1166662732004387, -4.866666273200439, -1.3666662732004389};  // shape [3, 4]
const std::vector<double> kLogSoftmax0 = {-2.6003906563725323, -5.278359310571182, -0.040476059453757575, -0.26636789980713366, -3.8503906563725323, -0.028359310571182527, -4.540476059453757, -2.7663678998071335, -0.10039065637253247, -3.7783593105711826, -3.5404760594537574, -1.7663678998071337};  // shape [3, 4]
// ---- end of golden values ----

void expect_values(const Tensor& t, const std::vector<double>& want, double tol) {
  auto got = t.to_vector<double>();
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], tol * (1 + std::abs(want[i]))) << "at " << i;
}

}  // namespace

TEST(Softmax, GoldenValues) {
  for (DType dt : {kFloat64, kFloat32}) {
    const double tol = dt == kFloat64 ? 1e-12 : 1e-6;
    Tensor x = tensor(kX, {3, 4}, dt);
    expect_values(x.softmax(1), kSoftmax1, tol);
    expect_values(x.softmax(-2), kSoftmax0, tol);
    expect_values(x.log_softmax(-1), kLogSoftmax1, tol);
    expect_values(x.log_softmax(0), kLogSoftmax0, tol);
    expect_values(x.t().softmax(0), tensor(kSoftmax1, {3, 4}, kFloat64).t().contiguous().to_vector<double>(), tol);
  }
}

TEST(Softmax, StableAndSpecialValues) {
  Tensor big = tensor({1000.0, 1000.0, -1000.0});
  expect_values(big.softmax(0), {0.5, 0.5, 0.0}, 1e-7);
  expect_values(big.log_softmax(0), {-std::log(2.0), -std::log(2.0), -2000.0 - std::log(2.0)}, 1e-6);
  Tensor masked = tensor({-INFINITY, 0.0, 0.0});
  expect_values(masked.softmax(0), {0.0, 0.5, 0.5}, 1e-7);
  EXPECT_EQ(scalar_tensor(3.0).softmax(0).item(), 1.0);
  EXPECT_EQ(zeros({2, 0}).softmax(1).shape(), Shape({2, 0}));
  EXPECT_EQ(tensor({1.0, 2.0}, kFloat16).softmax(0).dtype(), kFloat16);
  // Rows sum to one for a long row (vectorized path plus tail).
  Generator gen(2);
  Tensor r = randn({3, 1029}, kFloat32, &gen) * 5.0;
  expect_values(r.softmax(1).sum({1}), {1.0, 1.0, 1.0}, 1e-5);
}

TEST(Softmax, Gradients) {
  Generator gen(9);
  Tensor a = randn({3, 5}, kFloat64, &gen).requires_grad_();
  Tensor c = randn({2, 3, 4}, kFloat64, &gen).requires_grad_();
  for (int64_t d : {0, 1}) {
    auto sm = [d](const TensorList& x) { return x[0].softmax(d); };
    auto lsm = [d](const TensorList& x) { return x[0].log_softmax(d); };
    auto smt = [d](const TensorList& x) { return x[0].t().softmax(d); };
    for (auto f : {std::function<Tensor(const TensorList&)>(sm), std::function<Tensor(const TensorList&)>(lsm),
                   std::function<Tensor(const TensorList&)>(smt)}) {
      EXPECT_NO_THROW(gradcheck(f, {a}));
      EXPECT_NO_THROW(gradgradcheck(f, {a}));
    }
  }
  auto mid = [](const TensorList& x) { return x[0].softmax(1) * x[0].log_softmax(1); };
  EXPECT_NO_THROW(gradcheck(mid, {c}));
  EXPECT_NO_THROW(gradgradcheck(mid, {c}));
}

TEST(Softmax, Errors) {
  try {
    tensor({1, 2}, kInt64).softmax(0);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("softmax: expected a floating-point input, got dtype int64"), std::string::npos)
        << e.what();
  }
  try {
    zeros({2, 3}).log_softmax(2);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("log_softmax: dim 2 is out of range"), std::string::npos) << e.what();
  }
}
