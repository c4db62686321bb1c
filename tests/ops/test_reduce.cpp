// Reductions and scans: values (golden from tests/golden/gen_reduce.py and closed forms),
// dtypes and shapes, gradients (gradcheck + gradgradcheck) and error messages.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "soma/soma.h"

using namespace soma;

namespace {

// ---- golden values: output of tests/golden/gen_reduce.py (torch) ----
const std::vector<double> kX = {0.5, -1.25, 2.0, 3.5, -0.75, 4.0, -2.5, 1.0, 3.0, 0.25, -1.5, 2.0};  // shape [3, 4]
const std::vector<double> kSum0 = {2.75, 3.0, -2.0, 6.5};  // shape [4]
const std::vector<double> kSum1 = {4.75, 1.75, 3.75};  // shape [3]
const std::vector<double> kMean1 = {1.1875, 0.4375, 0.9375};  // shape [3]
const std::vector<double> kVar0 = {3.645833333333333, 7.3125, 5.583333333333333, 1.5833333333333333};  // shape [4]
const std::vector<double> kVarBiased1 = {3.10546875, 5.76171875, 2.94921875};  // shape [3]
const std::vector<double> kStdAll = {2.0983173273031435};  // shape []
const std::vector<double> kProd1 = {-4.375, 7.5, -2.25};  // shape [3]
const std::vector<double> kAmax0 = {3.0, 4.0, 2.0, 3.5};  // shape [4]
const std::vector<double> kAmin1 = {-1.25, -2.5, -1.5};  // shape [3]
const std::vector<double> kMax1 = {3.5, 4.0, 3.0};  // shape [3]
const std::vector<int64_t> kMaxIdx1 = {3, 1, 0};  // shape [3]
const std::vector<double> kMin0 = {-0.75, -1.25, -2.5, 1.0};  // shape [4]
const std::vector<int64_t> kMinIdx0 = {1, 0, 1, 1};  // shape [4]
const std::vector<int64_t> kArgmaxAll = {5};  // shape [1]
const std::vector<double> kLogsumexp1 = {3.7480850490038047, 4.058214380943021, 3.3666662732004387};  // shape [3]
const std::vector<double> kLogsumexp0 = {3.1003906563725323, 4.028359310571182, 2.0404760594537574, 3.7663678998071335};  // shape [4]
const std::vector<double> kLogsumexpSpecial = {INFINITY, -INFINITY, NAN, 1000.6931471805599};  // shape [4]
const std::vector<double> kNorm2 = {7.562241731127087};  // shape []
const std::vector<double> kNorm1Dim1 = {7.25, 8.25, 6.75};  // shape [3]
const std::vector<double> kNormInfDim0 = {3.0, 4.0, 2.5, 3.5};  // shape [4]
const std::vector<double> kNorm3Dim1 = {3.755178032023481, 4.327583185139815, 3.373456083956561};  // shape [3]
const std::vector<double> kCumsum0 = {0.5, -1.25, 2.0, 3.5, -0.25, 2.75, -0.5, 4.5, 2.75, 3.0, -2.0, 6.5};  // shape [3, 4]
const std::vector<double> kCumsum1 = {0.5, -0.75, 1.25, 4.75, -0.75, 3.25, 0.75, 1.75, 3.0, 3.25, 1.75, 3.75};  // shape [3, 4]
// ---- end of golden values ----

constexpr double kInf = std::numeric_limits<double>::infinity();

Tensor X(DType dt = kFloat64) { return tensor(kX, {3, 4}, dt); }

void expect_values(const Tensor& t, const std::vector<double>& want, double tol = 1e-12) {
  auto got = t.to_vector<double>();
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], tol * (1 + std::abs(want[i]))) << "at " << i;
}

template <class F>
void expect_error(F f, const std::string& part) {
  try {
    f();
    FAIL() << "expected an error containing: " << part;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

// Random float64 leaf; `offset` keeps values away from zero where that matters.
Tensor leaf(const Shape& s, uint64_t seed, double offset = 0) {
  Generator gen(seed);
  return (randn(s, kFloat64, &gen) + offset).detach().requires_grad_();
}

void check_grads(const std::function<Tensor(const TensorList&)>& f, const TensorList& in) {
  EXPECT_NO_THROW(gradcheck(f, in));
  EXPECT_NO_THROW(gradgradcheck(f, in));
}

}  // namespace

// ---- values -------------------------------------------------------------------------------------

TEST(Reduce, GoldenValues) {
  const Tensor x = X();
  expect_values(x.sum({0}), kSum0);
  expect_values(x.sum({-1}), kSum1);
  expect_values(x.mean({1}), kMean1);
  expect_values(x.var({0}), kVar0);
  expect_values(x.var({1}, false), kVarBiased1);
  expect_values(x.std(), kStdAll);
  expect_values(x.prod({1}), kProd1);
  expect_values(x.amax({0}), kAmax0);
  expect_values(x.amin({1}), kAmin1);
  auto [v1, i1] = x.max(1);
  expect_values(v1, kMax1);
  EXPECT_EQ(i1.to_vector<int64_t>(), kMaxIdx1);
  auto [v0, i0] = x.min(0);
  expect_values(v0, kMin0);
  EXPECT_EQ(i0.to_vector<int64_t>(), kMinIdx0);
  EXPECT_EQ(x.argmax().to_vector<int64_t>(), kArgmaxAll);
  expect_values(x.logsumexp({1}), kLogsumexp1);
  expect_values(x.logsumexp({0}), kLogsumexp0);
  expect_values(x.t().logsumexp({1}), kLogsumexp0);  // non-contiguous
  expect_values(x.norm(), kNorm2);
  expect_values(x.norm(1, {1}), kNorm1Dim1);
  expect_values(x.norm(kInf, {0}), kNormInfDim0);
  expect_values(x.norm(3, {1}), kNorm3Dim1);
  expect_values(x.cumsum(0), kCumsum0);
  expect_values(x.cumsum(-1), kCumsum1);
  // float32 agrees too
  expect_values(X(kFloat32).var({0}), kVar0, 1e-6);
  expect_values(X(kFloat32).logsumexp({1}), kLogsumexp1, 1e-6);
  expect_values(X(kFloat32).logsumexp({0}), kLogsumexp0, 1e-6);
  expect_values(X(kFloat32).norm(3, {1}), kNorm3Dim1, 1e-6);
}

TEST(Reduce, LogsumexpSpecialValues) {
  // Lines holding inf, only -inf, NaN, and large values, along dim 1 (rows) and dim 0 (columns).
  const std::vector<double> x = {kInf, 0, 1, -kInf, -kInf, -kInf, NAN, 0, 1, 1000, 1000, -kInf};
  for (DType dt : {kFloat64, kFloat32}) {
    Tensor a = tensor(x, {4, 3}, dt);
    for (const Tensor& got : {a.logsumexp({1}), a.t().contiguous().logsumexp({0})}) {
      auto g = got.to_vector<double>();
      ASSERT_EQ(g.size(), kLogsumexpSpecial.size());
      for (size_t i = 0; i < g.size(); ++i) {
        if (std::isnan(kLogsumexpSpecial[i]))
          EXPECT_TRUE(std::isnan(g[i])) << i;
        else if (std::isinf(kLogsumexpSpecial[i]))
          EXPECT_EQ(g[i], kLogsumexpSpecial[i]) << i;
        else
          EXPECT_NEAR(g[i], kLogsumexpSpecial[i], 1e-4) << i;
      }
    }
  }
}

TEST(Reduce, LogsumexpMatchesComposed) {
  // The fused kernel (one dim) against the same op composed from primitives, contiguous or not.
  Generator gen(21);
  Tensor x = randn({5, 7, 9}, kFloat64, &gen) * 4.0;
  for (const Tensor& v : {x, x.permute({2, 0, 1})})
    for (int64_t d = 0; d < 3; ++d) {
      Tensor m = v.amax({d}, true);
      Tensor composed = log(exp(v - m).sum({d}, true)) + m;
      expect_values(v.logsumexp({d}, true), composed.to_vector<double>(), 1e-14);
    }
}

TEST(Reduce, VarLastDimMatchesComposed) {
  // The fused last-dim kernel against the same op composed from primitives (long rows too).
  Generator gen(22);
  for (const Shape& shape : {Shape{6, 5}, Shape{3, 4, 3000}, Shape{70001}}) {
    Tensor x = randn(shape, kFloat64, &gen) * 3.0 + 2.0;
    for (bool unbiased : {true, false}) {
      Tensor d = x - x.mean({-1}, true);
      Tensor composed = (d * d).sum({-1}) / static_cast<double>(shape.back() - (unbiased ? 1 : 0));
      expect_values(x.var({-1}, unbiased), composed.to_vector<double>(), 1e-13);
    }
  }
  EXPECT_TRUE(std::isnan(tensor({2.0}).var({0}).item()));  // one element, unbiased: 0 / 0
  EXPECT_EQ(tensor({2.0}).var({0}, false).item(), 0.0);
}

TEST(Reduce, ShapesKeepdimAndNegativeDims) {
  Tensor x = zeros({2, 3, 4, 5});
  EXPECT_EQ(x.sum({1, -1}).shape(), Shape({2, 4}));
  EXPECT_EQ(x.sum({1, -1}, true).shape(), Shape({2, 1, 4, 1}));
  EXPECT_EQ(x.sum().shape(), Shape({}));
  EXPECT_EQ(x.sum({}, true).shape(), Shape({1, 1, 1, 1}));
  EXPECT_EQ(x.amax({0, 2}).shape(), Shape({3, 5}));
  EXPECT_EQ(x.max(2, true).first.shape(), Shape({2, 3, 1, 5}));
  EXPECT_EQ(x.argmax(std::nullopt, true).shape(), Shape({1, 1, 1, 1}));
  EXPECT_EQ(x.argmax(-1).shape(), Shape({2, 3, 4}));
  EXPECT_EQ(x.all({3}).dtype(), kBool);
  EXPECT_EQ(x.norm(2, {0, 1}, true).shape(), Shape({1, 1, 4, 5}));
}

TEST(Reduce, ZeroDimTensors) {
  Tensor s = scalar_tensor(2.5);
  EXPECT_EQ(s.sum().item(), 2.5);
  EXPECT_EQ(s.sum({0}).item(), 2.5);
  EXPECT_EQ(s.sum({-1}, true).shape(), Shape({}));
  EXPECT_EQ(s.amax().item(), 2.5);
  auto [v, i] = s.max(0);
  EXPECT_EQ(v.item(), 2.5);
  EXPECT_EQ(i.item<int64_t>(), 0);
  EXPECT_EQ(s.cumsum(0).item(), 2.5);
  EXPECT_EQ(s.argmax().item<int64_t>(), 0);
  EXPECT_EQ(s.norm().item(), 2.5);
}

TEST(Reduce, EmptyReductions) {
  Tensor e = zeros({0, 3});
  EXPECT_EQ(e.sum({0}).to_vector<float>(), std::vector<float>({0, 0, 0}));
  EXPECT_EQ(e.sum().item(), 0.0);
  EXPECT_TRUE(std::isnan(e.mean().item()));
  EXPECT_EQ(e.prod({0}).to_vector<float>(), std::vector<float>({1, 1, 1}));
  EXPECT_EQ(e.sum({1}).shape(), Shape({0}));
  EXPECT_EQ(e.amax({1}).shape(), Shape({0}));  // nothing reduced over an empty dim
  EXPECT_TRUE(e.all().item<bool>());
  EXPECT_FALSE(e.any().item<bool>());
  EXPECT_EQ(e.norm().item(), 0.0);
  EXPECT_EQ(e.cumsum(0).shape(), Shape({0, 3}));
  EXPECT_EQ(e.logsumexp({0}).to_vector<float>(), std::vector<float>(3, -INFINITY));
}

TEST(Reduce, ClosedForms) {
  // 2^24 float32 ones sum exactly (pairwise summation).
  EXPECT_EQ(ones({1 << 24}).sum().item(), 16777216.0);
  Tensor r = arange(1, 1001, 1, kFloat32);
  EXPECT_EQ(r.sum().item(), 500500.0);
  EXPECT_EQ(r.mean().item(), 500.5);
  EXPECT_NEAR(r.var().item(), 1000.0 * 1001.0 / 12.0, 1e-2);
  EXPECT_EQ(r.cumsum(0).to_vector<float>().back(), 500500.0f);
  EXPECT_EQ(tensor({3.0, 4.0}).norm().item(), 5.0);
  EXPECT_NEAR(tensor({1000.0, 1000.0}).logsumexp({0}).item(), 1000.0 + std::log(2.0), 1e-3);
  EXPECT_EQ(tensor({-INFINITY, -INFINITY}).logsumexp({0}).item(), -INFINITY);
  EXPECT_EQ(tensor({1.0, 2.0, 3.0, 4.0}).prod().item(), 24.0);
  EXPECT_TRUE(std::isnan(tensor({1.0}).var().item()));  // unbiased with one element
}

TEST(Reduce, DtypesAndNaN) {
  Tensor i = tensor({1, 2, 3}, kInt32);
  EXPECT_EQ(i.sum().dtype(), kInt64);
  EXPECT_EQ(i.sum().item<int64_t>(), 6);
  EXPECT_EQ(i.prod().dtype(), kInt64);
  EXPECT_EQ(i.amax().dtype(), kInt32);
  EXPECT_EQ(i.cumsum(0).dtype(), kInt64);
  EXPECT_EQ(tensor({1, 0, 1}, kBool).sum().item<int64_t>(), 2);
  EXPECT_EQ(tensor({1, 2}, kInt8).logsumexp({0}).dtype(), kFloat32);
  EXPECT_EQ(tensor({1.5, 2.5}, kFloat16).sum().dtype(), kFloat16);
  EXPECT_EQ(tensor({1.5, 2.5}, kFloat16).sum().item(), 4.0);
  EXPECT_EQ(tensor({1.5, 2.5}, kBFloat16).amax().item(), 2.5);
  Tensor n = tensor({1.0, NAN, 3.0});
  EXPECT_TRUE(std::isnan(n.amax().item()));
  EXPECT_TRUE(std::isnan(n.min().item()));
  EXPECT_EQ(n.argmax().item<int64_t>(), 1);
  EXPECT_EQ(n.argmin().item<int64_t>(), 1);
  EXPECT_TRUE(n.all().item<bool>());  // NaN is nonzero
  EXPECT_TRUE(tensor({0.0, 0.0, 2.0}).any().item<bool>());
  EXPECT_FALSE(tensor({0.0, 0.0, 2.0}).all().item<bool>());
  EXPECT_EQ(tensor({{1, 0}, {1, 1}}, kInt64).all({1}).to_vector<bool>(), std::vector<bool>({false, true}));
  // First occurrence among ties.
  EXPECT_EQ(tensor({2.0, 5.0, 5.0, 1.0, 1.0}).argmax().item<int64_t>(), 1);
  EXPECT_EQ(tensor({2.0, 5.0, 5.0, 1.0, 1.0}).argmin().item<int64_t>(), 3);
  EXPECT_EQ(tensor({{3, 1, 3}}, kInt64).max(1).second.item<int64_t>(), 0);
}

// ---- gradients ----------------------------------------------------------------------------------

TEST(ReduceGrad, SumMean) {
  Tensor a = leaf({3, 4}, 1), c = leaf({2, 3, 4}, 2);
  for (bool keep : {false, true}) {
    check_grads([keep](const TensorList& x) { return x[0].sum({1}, keep); }, {a});
    check_grads([keep](const TensorList& x) { return x[0].mean({0, 2}, keep); }, {c});
  }
  check_grads([](const TensorList& x) { return x[0].sum(); }, {a});
  check_grads([](const TensorList& x) { return x[0].t().sum({1}) * x[0].t().mean({1}); }, {a});
  check_grads([](const TensorList& x) { return x[0].permute({2, 0, 1}).sum({0, 2}, true); }, {c});
}

TEST(ReduceGrad, VarStd) {
  Tensor a = leaf({3, 4}, 3), c = leaf({2, 3, 4}, 4);
  for (bool unbiased : {true, false}) {
    check_grads([unbiased](const TensorList& x) { return x[0].var({1}, unbiased); }, {a});
    check_grads([unbiased](const TensorList& x) { return x[0].std({0, 2}, unbiased, true); }, {c});
  }
  check_grads([](const TensorList& x) { return x[0].t().std({}); }, {a});
  // The fused last-dim kernel: keepdim, negative dim, 3-D, a 1-D full reduction.
  check_grads([](const TensorList& x) { return x[0].var({-1}, true, true); }, {c});
  check_grads([](const TensorList& x) { return x[0].std({2}, false); }, {c});
  check_grads([](const TensorList& x) { return x[0].reshape({12}).var({}); }, {a});
}

// ---- std / var at zero spread: golden values from tests/golden/gen_semantics.py zero_spread ----
namespace {
const std::vector<double> kSpread = {2.0, 2.0, 2.0, 1.0, 2.0, 4.0};  // shape [2, 3]
const std::vector<double> kStdRows = {0.0, 1.5275252316519465};  // shape [2]
const std::vector<double> kStdRowsGrad = {0.0, 0.0, 0.0, -0.43643578047198484, -0.10910894511799625, 0.5455447255899809};  // shape [2, 3]
const std::vector<double> kStdRowsGradGrad = {0.0, 0.0, 0.0, -4.1532090192878395e-17, -1.0383022548219602e-17, 5.191511274109798e-17};  // shape [2, 3]
const std::vector<double> kStdRowsBiasedKeep = {0.0, 1.247219128924647};  // shape [2, 1]
const std::vector<double> kStdRowsBiasedKeepGrad = {0.0, 0.0, 0.0, -0.35634832254989923, -0.08908708063747484, 0.44543540318737396};  // shape [2, 3]
const std::vector<double> kStdRowsBiasedKeepGradGrad = {0.0, 0.0, 0.0, -3.3910809641267144e-17, -8.477702410316789e-18, 4.2388512051583925e-17};  // shape [2, 3]
const std::vector<double> kVarRows = {0.0, 2.333333333333333};  // shape [2]
const std::vector<double> kVarRowsGrad = {0.0, 0.0, 0.0, -1.3333333333333335, -0.3333333333333335, 1.6666666666666665};  // shape [2, 3]
const std::vector<double> kVarRowsGradGrad = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0};  // shape [2, 3]
const std::vector<double> kVarRowsBiasedKeep = {0.0, 1.5555555555555554};  // shape [2, 1]
const std::vector<double> kVarRowsBiasedKeepGrad = {0.0, 0.0, 0.0, -0.888888888888889, -0.22222222222222232, 1.111111111111111};  // shape [2, 3]
const std::vector<double> kVarRowsBiasedKeepGradGrad = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0};  // shape [2, 3]
const std::vector<double> kStdCols = {0.0, 1.5275252316519465};  // shape [2]
const std::vector<double> kStdColsGrad = {0.0, 0.0, 0.0, -0.43643578047198484, -0.10910894511799625, 0.5455447255899809};  // shape [2, 3]
const std::vector<double> kStdColsGradGrad = {0.0, 0.0, 0.0, -4.1532090192878395e-17, -1.0383022548219602e-17, 5.191511274109798e-17};  // shape [2, 3]
const std::vector<double> kStdAllRow0 = {0.0};  // shape []
const std::vector<double> kStdAllRow0Grad = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0};  // shape [2, 3]
const std::vector<double> kStdAllRow0GradGrad = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0};  // shape [2, 3]
const std::vector<double> kStdAllRow0Biased = {0.0};  // shape []
const std::vector<double> kStdAllRow0BiasedGrad = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0};  // shape [2, 3]
const std::vector<double> kStdAllRow0BiasedGradGrad = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0};  // shape [2, 3]
const std::vector<double> kVarAllRow0 = {0.0};  // shape []
const std::vector<double> kVarAllRow0Grad = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0};  // shape [2, 3]
const std::vector<double> kVarAllRow0GradGrad = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0};  // shape [2, 3]
const std::vector<double> kStdOne = {NAN, NAN};  // shape [2]
const std::vector<double> kStdOneGrad = {NAN, 0.0, 0.0, NAN, 0.0, 0.0};  // shape [2, 3]
const std::vector<double> kStdOneGradGrad = {NAN, 0.0, 0.0, NAN, 0.0, 0.0};  // shape [2, 3]

// NaN must match NaN.
void expect_same(const Tensor& t, const std::vector<double>& want, double tol) {
  auto got = t.to_vector<double>();
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    if (std::isnan(want[i]))
      EXPECT_TRUE(std::isnan(got[i])) << "at " << i << ": " << got[i];
    else
      EXPECT_NEAR(got[i], want[i], tol) << "at " << i;
  }
}
}  // namespace

TEST(ReduceGrad, StdVarAtZeroSpreadAsTorch) {
  // std's gradient g / (2 std) is 0 where std == 0 (PyTorch masks it), not 0 / 0; its double
  // backward too. Row 0 of kSpread has zero spread.
  struct Case {
    const char* name;
    std::function<Tensor(const Tensor&)> f;
    const std::vector<double>&y, &g, &gg;
  };
  const Case cases[] = {
      {"std rows", [](const Tensor& x) { return x.std({1}); }, kStdRows, kStdRowsGrad, kStdRowsGradGrad},
      {"std rows biased keepdim", [](const Tensor& x) { return x.std({1}, false, true); }, kStdRowsBiasedKeep,
       kStdRowsBiasedKeepGrad, kStdRowsBiasedKeepGradGrad},
      {"var rows", [](const Tensor& x) { return x.var({1}); }, kVarRows, kVarRowsGrad, kVarRowsGradGrad},
      {"var rows biased keepdim", [](const Tensor& x) { return x.var({1}, false, true); }, kVarRowsBiasedKeep,
       kVarRowsBiasedKeepGrad, kVarRowsBiasedKeepGradGrad},
      {"std cols", [](const Tensor& x) { return x.t().std({0}); }, kStdCols, kStdColsGrad, kStdColsGradGrad},
      {"std all", [](const Tensor& x) { return x[0].std(); }, kStdAllRow0, kStdAllRow0Grad, kStdAllRow0GradGrad},
      {"std all biased", [](const Tensor& x) { return x[0].std({}, false); }, kStdAllRow0Biased,
       kStdAllRow0BiasedGrad, kStdAllRow0BiasedGradGrad},
      {"var all", [](const Tensor& x) { return x[0].var(); }, kVarAllRow0, kVarAllRow0Grad, kVarAllRow0GradGrad},
      {"std of one", [](const Tensor& x) { return x.slice(1, 0, 1).std({1}); }, kStdOne, kStdOneGrad,
       kStdOneGradGrad},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Tensor x = tensor(kSpread, {2, 3}, kFloat64).requires_grad_();
    Tensor y = c.f(x);
    Tensor g = autograd::grad({y.sum()}, {x}, {}, {.create_graph = true})[0];
    TensorList gg = autograd::grad({g.sum()}, {x}, {}, {.allow_unused = true});
    expect_same(y, c.y, 1e-15);
    expect_same(g, c.g, 1e-15);
    expect_same(gg[0].defined() ? gg[0] : zeros_like(x), c.gg, 1e-15);
  }
}

TEST(ReduceGrad, Prod) {
  Tensor a = leaf({3, 4}, 5);
  check_grads([](const TensorList& x) { return x[0].prod({1}); }, {a});
  check_grads([](const TensorList& x) { return x[0].t().prod({}, true); }, {a});
  // Zeros: one zero, two zeros and three zeros in a slice.
  Tensor z = tensor({{2.0, 0.0, 3.0, 1.5}, {0.0, 0.0, 2.0, -1.0}, {0.0, 0.0, 0.0, 2.0}, {1.0, 2.0, -3.0, 0.5}}, kFloat64)
                 .requires_grad_();
  check_grads([](const TensorList& x) { return x[0].prod({1}); }, {z});
  check_grads([](const TensorList& x) { return x[0].prod({0}, true); }, {z});
  Tensor one_zero = tensor({2.0, 0.0, 3.0}, kFloat64).requires_grad_();
  one_zero.prod().backward();
  EXPECT_EQ(one_zero.grad().to_vector<double>(), std::vector<double>({0.0, 6.0, 0.0}));
  Tensor two_zeros = tensor({0.0, 0.0, 3.0}, kFloat64).requires_grad_();
  two_zeros.prod().backward();
  EXPECT_EQ(two_zeros.grad().to_vector<double>(), std::vector<double>({0.0, 0.0, 0.0}));
}

TEST(ReduceGrad, AmaxAminMaxMin) {
  Tensor a = leaf({3, 4}, 6);
  for (bool keep : {false, true}) {
    check_grads([keep](const TensorList& x) { return x[0].amax({1}, keep); }, {a});
    check_grads([keep](const TensorList& x) { return x[0].amin({0}, keep); }, {a});
    check_grads([keep](const TensorList& x) { return x[0].max(1, keep).first; }, {a});
    check_grads([keep](const TensorList& x) { return x[0].t().min(0, keep).first; }, {a});
  }
  check_grads([](const TensorList& x) { return x[0].max(); }, {a});
  check_grads([](const TensorList& x) { return x[0].min(); }, {a});
  // amax splits the gradient evenly among ties (as PyTorch); max(dim) picks the first.
  Tensor t = tensor({{1.0, 3.0, 3.0}, {2.0, 0.0, 1.0}}, kFloat64).requires_grad_();
  t.amax({1}).sum().backward();
  EXPECT_EQ(t.grad().to_vector<double>(), std::vector<double>({0, 0.5, 0.5, 1, 0, 0}));
  t.zero_grad();
  t.max(1).first.sum().backward();
  EXPECT_EQ(t.grad().to_vector<double>(), std::vector<double>({0, 1, 0, 1, 0, 0}));
}

TEST(ReduceGrad, LogsumexpNorm) {
  Tensor a = leaf({3, 4}, 7);
  for (bool keep : {false, true}) {
    check_grads([keep](const TensorList& x) { return x[0].logsumexp({1}, keep); }, {a});
    check_grads([keep](const TensorList& x) { return x[0].norm(2, {0}, keep); }, {a});
  }
  check_grads([](const TensorList& x) { return x[0].t().logsumexp({}); }, {a});
  check_grads([](const TensorList& x) { return x[0].t().logsumexp({1}); }, {a});  // non-contiguous
  check_grads([](const TensorList& x) { return x[0].logsumexp({0}, true); }, {a});  // columns
  for (double p : {1.0, 2.0, 3.0, 1.5, kInf})
    check_grads([p](const TensorList& x) { return x[0].t().norm(p, {1}); }, {a});
  // p = 2 at the origin: subgradient 0, no NaN.
  Tensor z = zeros({3}, kFloat64).requires_grad_();
  z.norm().backward();
  EXPECT_EQ(z.grad().to_vector<double>(), std::vector<double>({0, 0, 0}));
  // inf norm: split among ties, with the sign.
  Tensor t = tensor({1.0, -3.0, 3.0, 2.0}, kFloat64).requires_grad_();
  t.norm(kInf).backward();
  EXPECT_EQ(t.grad().to_vector<double>(), std::vector<double>({0, -0.5, 0.5, 0}));
}

TEST(ReduceGrad, Cumsum) {
  Tensor a = leaf({3, 4}, 8);
  check_grads([](const TensorList& x) { return x[0].cumsum(0); }, {a});
  check_grads([](const TensorList& x) { return x[0].cumsum(-1); }, {a});
  check_grads([](const TensorList& x) { return x[0].t().cumsum(1); }, {a});
}

// ---- errors -------------------------------------------------------------------------------------

TEST(ReduceErrors, Messages) {
  Tensor x = zeros({2, 3});
  expect_error([&] { x.sum({2}); }, "sum: dim 2 is out of range for a tensor of 2 dims (expected -2 to 1)");
  expect_error([&] { x.amax({-3}); }, "amax: dim -3 is out of range");
  expect_error([&] { x.sum({0, -2}); }, "sum: dim 0 appears more than once");
  expect_error([&] { x.max(5); }, "max: dim 5 is out of range");
  expect_error([&] { x.cumsum(2); }, "cumsum: dim 2 is out of range");
  expect_error([&] { x.argmax(-4); }, "argmax: dim -4 is out of range");
  Tensor e = zeros({0, 3});
  expect_error([&] { e.amax({0}); }, "amax: cannot reduce over a dim of size 0 (input shape [0, 3])");
  expect_error([&] { e.amin(); }, "amin: cannot reduce over a dim of size 0");
  expect_error([&] { e.max(0); }, "max: cannot reduce over a dim of size 0");
  expect_error([&] { e.max(); }, "max: cannot take the maximum of an empty tensor (shape [0, 3])");
  expect_error([&] { e.min(); }, "min: cannot take the minimum of an empty tensor");
  expect_error([&] { e.argmax(); }, "argmax: cannot take the index of the maximum of an empty tensor");
  expect_error([&] { e.norm(kInf); }, "norm: cannot reduce over a dim of size 0");
  Tensor i = tensor({1, 2}, kInt64);
  expect_error([&] { i.mean(); }, "mean: expected a floating-point input, got dtype int64");
  expect_error([&] { i.var(); }, "var: expected a floating-point input");
  expect_error([&] { i.norm(); }, "norm: expected a floating-point input");
  expect_error([&] { x.norm(-1); }, "norm: p must be positive (or inf), got -1");
  expect_error([&] { x.norm(0); }, "norm: p must be positive");
}
