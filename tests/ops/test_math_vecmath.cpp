// The vectorizable float32 functions of kernels/cpu/vecmath.h: accuracy in ulp against the
// float64 std:: functions over sweeps of the float32 bit patterns, IEEE edge cases, and the
// tensor ops' fast (vectorized, threaded) path against a plain single-threaded loop.
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>

#include "kernels/cpu/vecmath.h"
#include "soma/soma.h"

using namespace soma;
namespace vec = soma::kernels::vec;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// Error of y in units in the last place of the float32 nearest to `ref`.
double ulp_error(float y, double ref) {
  const float rf = static_cast<float>(ref);
  if (std::isnan(ref)) return std::isnan(y) ? 0 : 1e9;
  if (std::isinf(rf)) return y == rf ? 0 : 1e9;
  if (!std::isfinite(y)) return 1e9;
  int e = 0;
  std::frexp(ref, &e);
  const double ulp = std::ldexp(1.0, std::max(e - 24, -149));
  return std::abs(static_cast<double>(y) - ref) / ulp;
}

// Max ulp error of f against ref over float32 values in [lo, hi], sampling every `step`-th bit
// pattern of each sign.
template <class F, class R>
double max_ulp(F f, R ref, float lo, float hi, uint32_t step = 4099) {
  double worst = 0;
  for (uint32_t sign : {0u, 0x80000000u})
    for (uint32_t u = 0; u < 0x7f800000u; u += step) {
      const float x = std::bit_cast<float>(u | sign);
      if (x >= lo && x <= hi) worst = std::max(worst, ulp_error(f(x), ref(static_cast<double>(x))));
    }
  return worst;
}

bool same(float a, float b) { return std::bit_cast<uint32_t>(a) == std::bit_cast<uint32_t>(b); }

}  // namespace

TEST(VecMath, AccuracyInUlp) {
  EXPECT_LE(max_ulp([](float v) { return vec::exp(v); }, [](double x) { return std::exp(x); }, -120, 120), 1.5);
  EXPECT_LE(max_ulp([](float v) { return vec::expm1(v); }, [](double x) { return std::expm1(x); }, -120, 120), 1.5);
  EXPECT_LE(max_ulp([](float v) { return vec::log(v); }, [](double x) { return std::log(x); }, 0, kInf), 1.5);
  EXPECT_LE(max_ulp([](float v) { return vec::log1p(v); }, [](double x) { return std::log1p(x); }, -1, kInf), 2.5);
  EXPECT_LE(max_ulp([](float v) { return vec::tanh(v); }, [](double x) { return std::tanh(x); }, -50, 50), 1.5);
  EXPECT_LE(max_ulp([](float v) { return vec::sigmoid(v); }, [](double x) { return 1 / (1 + std::exp(-x)); }, -120, 120), 2.5);
  EXPECT_LE(max_ulp([](float v) { return vec::erf(v); }, [](double x) { return std::erf(x); }, -10, 10), 2.5);
}

TEST(VecMath, DenseAroundBranchPoints) {
  // Every float near the points where the algorithms switch between formulas.
  auto around = [](float c, auto f, auto ref) {
    double worst = 0;
    const uint32_t u = std::bit_cast<uint32_t>(c);
    for (uint32_t v = u - 20000; v < u + 20000; ++v) {
      const float x = std::bit_cast<float>(v);
      worst = std::max(worst, ulp_error(f(x), ref(static_cast<double>(x))));
    }
    return worst;
  };
  EXPECT_LE(around(0.625f, [](float v) { return vec::tanh(v); }, [](double x) { return std::tanh(x); }), 1.5);
  EXPECT_LE(around(0.921875f, [](float v) { return vec::erf(v); }, [](double x) { return std::erf(x); }), 2.5);
  EXPECT_LE(around(0.70710678f, [](float v) { return vec::log(v); }, [](double x) { return std::log(x); }), 1.5);
  EXPECT_LE(around(0x1p-126f, [](float v) { return vec::log(v); }, [](double x) { return std::log(x); }), 1.5);
  EXPECT_LE(around(0.34657359f, [](float v) { return vec::expm1(v); }, [](double x) { return std::expm1(x); }), 1.5);
  EXPECT_LE(around(-87.0f, [](float v) { return vec::exp(v); }, [](double x) { return std::exp(x); }), 1.5);
}

TEST(VecMath, EdgeCases) {
  const float tiny = std::numeric_limits<float>::denorm_min();
  // exp: overflow, gradual underflow, NaN.
  EXPECT_EQ(vec::exp(88.72283f), std::exp(88.72283f));
  EXPECT_EQ(vec::exp(88.7229f), kInf);
  EXPECT_EQ(vec::exp(kInf), kInf);
  EXPECT_EQ(vec::exp(-kInf), 0.0f);
  EXPECT_EQ(vec::exp(-103.2789f), std::exp(-103.2789f));  // subnormal
  EXPECT_EQ(vec::exp(-104.0f), 0.0f);
  EXPECT_EQ(vec::exp(0.0f), 1.0f);
  EXPECT_EQ(vec::exp(-0.0f), 1.0f);
  EXPECT_TRUE(std::isnan(vec::exp(kNaN)));
  // expm1
  EXPECT_EQ(vec::expm1(89.0f), kInf);
  EXPECT_EQ(vec::expm1(88.5f), std::expm1(88.5f));
  EXPECT_EQ(vec::expm1(-kInf), -1.0f);
  EXPECT_EQ(vec::expm1(kInf), kInf);
  EXPECT_TRUE(same(vec::expm1(-0.0f), -0.0f));
  EXPECT_EQ(vec::expm1(tiny), tiny);
  EXPECT_TRUE(std::isnan(vec::expm1(kNaN)));
  // log
  EXPECT_EQ(vec::log(0.0f), -kInf);
  EXPECT_EQ(vec::log(-0.0f), -kInf);
  EXPECT_EQ(vec::log(kInf), kInf);
  EXPECT_EQ(vec::log(1.0f), 0.0f);
  EXPECT_TRUE(std::isnan(vec::log(-1.0f)));
  EXPECT_TRUE(std::isnan(vec::log(-kInf)));
  EXPECT_TRUE(std::isnan(vec::log(kNaN)));
  EXPECT_NEAR(vec::log(tiny), std::log(tiny), 1e-5);
  EXPECT_EQ(vec::log(std::numeric_limits<float>::max()), std::log(std::numeric_limits<float>::max()));
  // log1p
  EXPECT_EQ(vec::log1p(-1.0f), -kInf);
  EXPECT_EQ(vec::log1p(kInf), kInf);
  EXPECT_TRUE(same(vec::log1p(-0.0f), -0.0f));
  EXPECT_EQ(vec::log1p(1e-30f), 1e-30f);
  EXPECT_TRUE(std::isnan(vec::log1p(-2.0f)));
  EXPECT_TRUE(std::isnan(vec::log1p(kNaN)));
  // tanh, sigmoid, erf: saturation, signs, NaN.
  for (auto f : {+[](float v) { return vec::tanh(v); }, +[](float v) { return vec::erf(v); }}) {
    EXPECT_EQ(f(kInf), 1.0f);
    EXPECT_EQ(f(-kInf), -1.0f);
    EXPECT_EQ(f(30.0f), 1.0f);
    EXPECT_EQ(f(-30.0f), -1.0f);
    EXPECT_TRUE(same(f(-0.0f), -0.0f));
    EXPECT_TRUE(same(f(0.0f), 0.0f));
    EXPECT_EQ(f(-tiny), -f(tiny));
    EXPECT_TRUE(std::isnan(f(kNaN)));
  }
  EXPECT_EQ(vec::sigmoid(kInf), 1.0f);
  EXPECT_EQ(vec::sigmoid(-kInf), 0.0f);
  EXPECT_EQ(vec::sigmoid(0.0f), 0.5f);
  EXPECT_EQ(vec::sigmoid(20.0f), 1.0f);
  EXPECT_NEAR(vec::sigmoid(-95.0f) / std::exp(-95.0), 1.0, 1e-5);  // e^x, not 0, far out
  EXPECT_TRUE(std::isnan(vec::sigmoid(kNaN)));
}

TEST(VecMath, TensorFastPathMatchesPlainLoop) {
  // The ops run vec:: over dense runs (vectorized) and split big tensors across threads; a
  // plain single-threaded loop over the same values must give bit-identical results.
  using Fn = Tensor (*)(const Tensor&);
  using Ref = float (*)(float);
  const std::pair<Fn, Ref> cases[] = {{&exp, [](float v) { return vec::exp(v); }},   {&expm1, [](float v) { return vec::expm1(v); }}, {&log, [](float v) { return vec::log(v); }},
                                      {&log1p, [](float v) { return vec::log1p(v); }}, {&tanh, [](float v) { return vec::tanh(v); }},   {&sigmoid, [](float v) { return vec::sigmoid(v); }},
                                      {&erf, [](float v) { return vec::erf(v); }}};
  Generator gen(21);
  for (int64_t n : {1, 7, 33, 1000, 70001}) {  // 70001 > the parallel grain
    Tensor x = randn({n}, kFloat32, &gen) * 4.0;
    x = where(lt(rand({n}, kFloat32, &gen), 0.01), tensor({kNaN}), x);  // some NaNs
    std::vector<float> xs = x.to_vector<float>();
    for (auto [f, ref] : cases) {
      std::vector<float> got = f(x).to_vector<float>();
      for (int64_t i = 0; i < n; ++i)
        ASSERT_TRUE(same(got[i], ref(xs[i])) || (std::isnan(got[i]) && std::isnan(ref(xs[i]))))
            << "n=" << n << " i=" << i << " x=" << xs[i];
    }
  }
  // Non-contiguous (transposed) and broadcast (expanded) inputs.
  Tensor m = rand({301, 7}, kFloat32, &gen) * 6.0 - 3.0;
  Tensor mt = m.t();
  std::vector<float> mv = mt.contiguous().to_vector<float>();
  for (auto [f, ref] : cases) {
    std::vector<float> got = f(mt).to_vector<float>();
    for (size_t i = 0; i < mv.size(); ++i)
      ASSERT_TRUE(same(got[i], ref(mv[i])) || std::isnan(ref(mv[i]))) << i;
  }
  Tensor e = tensor({0.75f}).expand({5000});
  EXPECT_EQ(exp(e).to_vector<float>(), std::vector<float>(5000, vec::exp(0.75f)));
}
