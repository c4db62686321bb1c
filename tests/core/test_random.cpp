// Random numbers: the Philox generator against its published test vectors, the vectorized
// transforms against plain reference loops, distribution checks, reproducibility.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "error_of.h"
#include "kernels/cpu/philox.h"
#include "soma/soma.h"

using namespace soma;

namespace {

// Mean and variance of a float tensor (plain loops: no reductions needed).
std::pair<double, double> moments(const Tensor& t) {
  std::vector<double> v = t.to_vector<double>();
  double mean = 0, var = 0;
  for (double x : v) mean += x;
  mean /= v.size();
  for (double x : v) var += (x - mean) * (x - mean);
  return {mean, var / (v.size() - 1)};
}

// Runs f with the given thread count, restoring the previous one.
template <class F>
auto with_threads(int n, F f) {
  int old = get_num_threads();
  set_num_threads(n);
  auto r = f();
  set_num_threads(old);
  return r;
}

}  // namespace

// Known-answer tests of Random123 (kat_vectors, philox4x32_10). Counter {c0, c1, c2, c3} is
// philox(key, hi = c3:c2, lo = c1:c0); key {k0, k1} is k1:k0.
TEST(Philox, KnownAnswers) {
  using kernels::philox;
  EXPECT_EQ(philox(0, 0, 0), (std::array<uint32_t, 4>{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}));
  EXPECT_EQ(philox(~0ull, ~0ull, ~0ull), (std::array<uint32_t, 4>{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}));
  EXPECT_EQ(philox(0x299f31d0a4093822ull, 0x0370734413198a2eull, 0x85a308d3243f6a88ull),
            (std::array<uint32_t, 4>{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}));
}

TEST(Philox, BatchMatchesScalar) {
  uint32_t w[4][64];
  const uint64_t first = 0xfffffffffffffff0ull;  // crosses the 32-bit and 64-bit word boundaries
  kernels::philox_batch(1234567, first, 37, w);
  for (int i = 0; i < 37; ++i) {
    auto b = kernels::philox(1234567, 0, first + i);
    for (int k = 0; k < 4; ++k) EXPECT_EQ(w[k][i], b[k]) << i << " " << k;
  }
}

TEST(Philox, FastMathMatchesLibm) {
  double worst_log = 0, worst_trig = 0;
  for (uint32_t k = 1; k <= (1u << 24); k += 97) {  // log over (0, 1], sincos over a full turn
    float u = static_cast<float>(k) * 0x1p-24f;
    worst_log = std::max(worst_log, std::fabs(kernels::log_unit(u) - std::log(static_cast<double>(u))) /
                                        std::max(1e-30, std::fabs(std::log(static_cast<double>(u)))));
    kernels::SinCos sc = kernels::sincos_turns(k - 1);
    double a = 6.283185307179586 * (k - 1) * 0x1p-24;
    worst_trig = std::max({worst_trig, std::fabs(sc.sin - std::sin(a)), std::fabs(sc.cos - std::cos(a))});
  }
  EXPECT_LT(worst_log, 3e-7);
  EXPECT_LT(worst_trig, 3e-7);
  for (float y : {0.0f, 1e-7f, 0.5f, 2.0f, 33.3f}) EXPECT_NEAR(kernels::sqrt_nonneg(y), std::sqrt(y), 2e-7 * std::sqrt(y));
  EXPECT_EQ(kernels::log_unit(1.0f), 0.0f);
}

// The vectorized float32 Box-Muller against a plain double-precision loop over the same words.
TEST(Random, RandnMatchesReferenceLoop) {
  for (int64_t n : {1, 3, 5, 257, 100003}) {  // odd sizes; the last is above the parallel grain
    Generator g(99);
    Tensor fast = with_threads(2, [&] { return randn({n}, kFloat32, &g); });
    const float* f = fast.data<float>();
    for (int64_t j = 0; j < n; ++j) {
      auto w = kernels::philox(99, 0, j / 4);
      int h = (j % 4) / 2;
      double u1 = ((w[2 * h] >> 8) + 1) * 0x1p-24, u2 = (w[2 * h + 1] >> 8) * 0x1p-24;
      double r = std::sqrt(-2 * std::log(u1)), a = 6.283185307179586 * u2;
      double ref = j % 2 == 0 ? r * std::cos(a) : r * std::sin(a);
      ASSERT_NEAR(f[j], ref, 2e-6 * (1 + std::fabs(ref))) << "n=" << n << " j=" << j;
    }
    EXPECT_EQ(g.offset(), static_cast<uint64_t>((n + 3) / 4));
  }
}

TEST(Random, RandIsInUnitInterval) {
  EXPECT_LT(kernels::uniform_float(0xffffffffu), 1.0f);
  EXPECT_LT(static_cast<float>(Half(kernels::uniform_float<11>(0xffffffffu))), 1.0f);
  EXPECT_LT(static_cast<float>(BFloat16(kernels::uniform_float<8>(0xffffffffu))), 1.0f);
  EXPECT_LT(kernels::uniform_double(0xffffffffu, 0xffffffffu), 1.0);
  for (DType dt : {kFloat32, kFloat64, kFloat16, kBFloat16}) {
    Tensor t = rand({100001}, dt);
    EXPECT_EQ(t.dtype(), dt);
    for (double v : t.to_vector<double>()) ASSERT_TRUE(v >= 0 && v < 1) << v << " " << dtype_name(dt);
  }
}

TEST(Random, Moments) {
  Generator g(7);
  auto [m, v] = moments(rand({1 << 20}, kFloat32, &g));
  EXPECT_NEAR(m, 0.5, 2e-3);
  EXPECT_NEAR(v, 1.0 / 12, 1e-3);
  for (DType dt : {kFloat32, kFloat64}) {
    Tensor z = randn({1 << 20}, dt, &g);
    auto [zm, zv] = moments(z);
    EXPECT_NEAR(zm, 0, 5e-3);
    EXPECT_NEAR(zv, 1, 5e-3);
    double k4 = 0;  // kurtosis 3 (normal tails)
    for (double x : z.to_vector<double>()) k4 += x * x * x * x;
    EXPECT_NEAR(k4 / z.numel(), 3, 0.05);
  }
  Tensor u = full({1000, 1000}, 0.0);
  uniform_(u, -2, 4, &g);
  auto [um, uv] = moments(u);
  EXPECT_NEAR(um, 1, 1e-2);
  EXPECT_NEAR(uv, 3, 2e-2);  // (b - a)^2 / 12
  Tensor n = empty({1 << 20}, kFloat64);
  normal_(n, 3, 2, &g);
  auto [nm, nv] = moments(n);
  EXPECT_NEAR(nm, 3, 1e-2);
  EXPECT_NEAR(nv, 4, 2e-2);
}

TEST(Random, InPlaceFillsReachNonContiguousAndHalfTensors) {
  Tensor base = zeros({4, 6}, kFloat64);
  Tensor view = base.t();  // non-contiguous
  uniform_(view, 5, 6);
  for (double v : base.to_vector<double>()) EXPECT_TRUE(v >= 5 && v < 6) << v;
  Tensor h = zeros({1000}, kFloat16);
  normal_(h, 10, 0.1);
  auto [m, v] = moments(h);
  EXPECT_NEAR(m, 10, 0.05);
  EXPECT_EQ(h.version(), 1u);
  EXPECT_NE(error_of([&] { Tensor i = zeros({2}, kInt64); uniform_(i); }).find("uniform_: expected a floating-point"),
            std::string::npos);
  EXPECT_NE(error_of([&] { normal_(h, 0, -1); }).find("normal_: expected std >= 0"), std::string::npos);
  EXPECT_NE(error_of([&] { uniform_(h, 2, 1); }).find("uniform_: expected low <= high, got low=2, high=1"),
            std::string::npos);
}

// In-place fills follow the autograd rules of the other in-place ops: refused on a leaf that
// requires grad unless under no_grad; on an intermediate they cut the gradient of what they overwrite.
TEST(Random, InPlaceFillsUnderAutograd) {
  Tensor w = zeros({3}).requires_grad_();
  EXPECT_NE(error_of([&] { uniform_(w); }).find("uniform_: a leaf tensor that requires grad (shape [3]) cannot be "
                                                "modified in place while grad mode is on"),
            std::string::npos);
  {
    NoGradGuard g;
    normal_(w);
  }
  EXPECT_TRUE(w.is_leaf());
  Tensor y = w * 2.0;
  Tensor tail = y.narrow(0, 1, 2);
  uniform_(tail, 5, 6);
  y.sum().backward();
  EXPECT_EQ(w.grad().to_vector<float>(), std::vector<float>({2, 0, 0}));
}

TEST(Random, RandintIsUniform) {
  Generator g(3);
  Tensor t = randint(0, 10, {1 << 20}, kInt64, &g);
  std::vector<int64_t> count(10);
  for (int64_t v : t.to_vector<int64_t>()) {
    ASSERT_TRUE(v >= 0 && v < 10) << v;
    count[v]++;
  }
  double expected = (1 << 20) / 10.0, chi2 = 0;
  for (int64_t c : count) chi2 += (c - expected) * (c - expected) / expected;
  EXPECT_LT(chi2, 27.88);  // 9 degrees of freedom, p = 0.001
  Tensor s = randint(-3, 4, {1000}, kInt8, &g);
  EXPECT_EQ(s.dtype(), kInt8);
  std::vector<int8_t> sv = s.to_vector<int8_t>();
  EXPECT_EQ(*std::min_element(sv.begin(), sv.end()), -3);
  EXPECT_EQ(*std::max_element(sv.begin(), sv.end()), 3);
  const int64_t big = int64_t{1} << 62;
  for (int64_t v : randint(-big, big, {100}, kInt64, &g).to_vector<int64_t>()) EXPECT_TRUE(v >= -big && v < big);
  EXPECT_EQ(randint(0, 3, {5}, kFloat32).dtype(), kFloat32);
  EXPECT_NE(error_of([] { randint(5, 5, {2}); }).find("randint: expected low < high, got low=5, high=5"),
            std::string::npos);
  EXPECT_NE(error_of([] { randint(0, 300, {2}, kUInt8); }).find("randint: [0, 300) does not fit dtype uint8"),
            std::string::npos);
}

TEST(Random, Bernoulli) {
  Generator g(11);
  auto [m, v] = moments(bernoulli({1 << 20}, 0.3, kFloat32, &g));
  EXPECT_NEAR(m, 0.3, 3e-3);
  EXPECT_EQ(bernoulli({3}, 1.0, kBool).to_vector<bool>(), std::vector<bool>({true, true, true}));
  // Tensor p, broadcast to a non-contiguous (expanded) view; the result keeps p's dtype.
  Tensor p = tensor({0, 1, 0.25}, kFloat64).unsqueeze(0).expand({40000, 3});
  Tensor b = bernoulli(p, &g);
  EXPECT_EQ(b.dtype(), kFloat64);
  EXPECT_EQ(b.shape(), Shape({40000, 3}));
  std::vector<double> bv = b.to_vector<double>();
  double col[3] = {0, 0, 0};
  for (size_t i = 0; i < bv.size(); ++i) col[i % 3] += bv[i];
  EXPECT_EQ(col[0], 0);
  EXPECT_EQ(col[1], 40000);
  EXPECT_NEAR(col[2] / 40000, 0.25, 0.01);
  EXPECT_NE(error_of([] { bernoulli(tensor({0.5, 1.5})); }).find("bernoulli: probabilities must be in [0, 1], got 1.5"),
            std::string::npos);
  EXPECT_NE(error_of([] { bernoulli(tensor({0, 1}, kInt64)); }).find("got dtype int64"), std::string::npos);
  EXPECT_NE(error_of([] { bernoulli({2}, -0.1); }).find("bernoulli: probability must be in [0, 1]"),
            std::string::npos);
}

TEST(Random, MultinomialWithReplacement) {
  Generator g(5);
  Tensor w = tensor({{1, 2, 3, 0}, {0, 0, 5, 5}});
  Tensor s = multinomial(w, 60000, true, &g);
  EXPECT_EQ(s.shape(), Shape({2, 60000}));
  EXPECT_EQ(s.dtype(), kInt64);
  std::vector<int64_t> v = s.to_vector<int64_t>();
  std::vector<double> c(8);
  for (size_t i = 0; i < v.size(); ++i) c[(i / 60000) * 4 + v[i]]++;
  EXPECT_NEAR(c[0] / 60000, 1.0 / 6, 0.01);
  EXPECT_NEAR(c[1] / 60000, 2.0 / 6, 0.01);
  EXPECT_NEAR(c[2] / 60000, 3.0 / 6, 0.01);
  EXPECT_EQ(c[3], 0);
  EXPECT_EQ(c[4] + c[5], 0);
  EXPECT_NEAR(c[6] / 60000, 0.5, 0.01);
  EXPECT_EQ(multinomial(tensor({0, 0, 1}), 3, true).to_vector<int64_t>(), std::vector<int64_t>({2, 2, 2}));
}

TEST(Random, MultinomialWithoutReplacement) {
  Generator g(6);
  // Each draw of 3 from 4 categories is distinct and never picks the zero weight; the first pick
  // follows the weights, and drawing all nonzero categories gives a permutation of them.
  Tensor w = tensor({1, 2, 3, 0, 4}, kFloat64).unsqueeze(0).expand({20000, 5});
  std::vector<int64_t> v = multinomial(w, 3, false, &g).to_vector<int64_t>();
  std::vector<double> first(5);
  for (size_t r = 0; r < 20000; ++r) {
    int64_t a = v[3 * r], b = v[3 * r + 1], c = v[3 * r + 2];
    ASSERT_TRUE(a != b && b != c && a != c);
    ASSERT_TRUE(a != 3 && b != 3 && c != 3);
    first[a]++;
  }
  for (int k : {0, 1, 2, 4}) EXPECT_NEAR(first[k] / 20000, (k == 4 ? 4 : k + 1) / 10.0, 0.012) << k;
  std::vector<int64_t> all = multinomial(tensor({5, 1, 0, 2}), 3, false, &g).to_vector<int64_t>();
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, std::vector<int64_t>({0, 1, 3}));
}

TEST(Random, MultinomialErrors) {
  auto err = [](Tensor w, int64_t n, bool repl) { return error_of([&] { multinomial(w, n, repl); }); };
  EXPECT_NE(err(tensor({1, -1}), 1, true).find("multinomial: row 0 has an invalid weight -1"), std::string::npos);
  EXPECT_NE(err(tensor({1, std::nan("")}), 1, true).find("invalid weight nan"), std::string::npos);
  EXPECT_NE(err(tensor({{1, 1}, {0, 0}}), 1, true).find("multinomial: row 1 has all-zero weights"), std::string::npos);
  EXPECT_NE(err(tensor({1, 1}), 3, false).find("cannot draw 3 samples without replacement from 2 categories"),
            std::string::npos);
  EXPECT_NE(err(tensor({1, 0, 1}), 3, false).find("row 0 has only 2 nonzero weights"), std::string::npos);
  EXPECT_NE(err(zeros({2, 2, 2}), 1, true).find("expected a 1-D or 2-D tensor of weights, got shape [2, 2, 2]"),
            std::string::npos);
  EXPECT_NE(err(tensor({1, 1}, kInt64), 1, true).find("expected floating-point weights, got dtype int64"),
            std::string::npos);
  EXPECT_NE(err(tensor({1, 1}), 0, true).find("num_samples must be positive"), std::string::npos);
}

TEST(Random, Randperm) {
  std::vector<int64_t> p = randperm(100000).to_vector<int64_t>();
  std::vector<int64_t> sorted = p;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t i = 0; i < 100000; ++i) ASSERT_EQ(sorted[i], i);
  EXPECT_NE(p, sorted);
  EXPECT_EQ(randperm(0).numel(), 0);
  // All 6 permutations of 3 are equally likely.
  Generator g(8);
  std::map<std::vector<int64_t>, double> count;
  for (int i = 0; i < 30000; ++i) count[randperm(3, &g).to_vector<int64_t>()]++;
  ASSERT_EQ(count.size(), 6u);
  double chi2 = 0;
  for (auto& [perm, c] : count) chi2 += (c - 5000) * (c - 5000) / 5000;
  EXPECT_LT(chi2, 20.52);  // 5 degrees of freedom, p = 0.001
  EXPECT_NE(error_of([] { randperm(-1); }).find("randperm: n must be non-negative, got -1"), std::string::npos);
}

TEST(Random, SameValuesForAnyThreadCount) {
  auto draws = [] {
    Generator g(2024);
    TensorList out;
    out.push_back(rand({70001}, kFloat32, &g));
    out.push_back(rand({70001}, kFloat64, &g));
    out.push_back(randn({70001}, kFloat32, &g));
    out.push_back(randn({70001}, kFloat64, &g));
    out.push_back(randint(-5, 1000, {70001}, kInt64, &g));
    out.push_back(bernoulli({70001}, 0.5, kFloat32, &g));
    out.push_back(multinomial(ones({300, 200}), 150, false, &g));
    out.push_back(multinomial(ones({300, 200}), 150, true, &g));
    out.push_back(randperm(70001, &g));
    out.push_back(bernoulli(rand({70001}, kFloat32, &g), &g));
    Tensor u = zeros({70001}, kFloat64), n = zeros({301, 233}, kFloat16);
    out.push_back(uniform_(u, -2, 3, &g));
    out.push_back(normal_(n, 1, 2, &g).to(kFloat32));
    return out;
  };
  TensorList one = with_threads(1, draws), two = with_threads(2, draws);
  for (size_t i = 0; i < one.size(); ++i)
    EXPECT_EQ(one[i].to_vector<double>(), two[i].to_vector<double>()) << "draw " << i;
}

TEST(Random, GeneratorStateReproducesTheStream) {
  Generator g(17);
  Tensor a = rand({10}, kFloat32, &g);
  uint64_t seed = g.seed(), offset = g.offset();
  Tensor b = randn({33}, kFloat64, &g);
  Tensor c = randint(0, 100, {5}, kInt64, &g);
  g.set_state(seed, offset);
  EXPECT_EQ(randn({33}, kFloat64, &g).to_vector<double>(), b.to_vector<double>());
  EXPECT_EQ(randint(0, 100, {5}, kInt64, &g).to_vector<int64_t>(), c.to_vector<int64_t>());
  EXPECT_NE(rand({10}, kFloat32, &g).to_vector<float>(), a.to_vector<float>());  // the stream moved on
  manual_seed(123);
  Tensor x = randn({8});
  manual_seed(123);
  EXPECT_EQ(randn({8}).to_vector<float>(), x.to_vector<float>());
  Generator h(18);  // another seed, another stream
  EXPECT_NE(rand({10}, kFloat32, &h).to_vector<float>(), a.to_vector<float>());
}

TEST(Random, DtypeErrors) {
  EXPECT_NE(error_of([] { rand({2}, kInt64); }).find("rand: expected a floating-point dtype, got int64"),
            std::string::npos);
  EXPECT_NE(error_of([] { randn({2}, kBool); }).find("randn: expected a floating-point dtype, got bool"),
            std::string::npos);
  EXPECT_EQ(randn_like(zeros({2, 3}, kFloat16)).dtype(), kFloat16);
  EXPECT_EQ(rand_like(zeros({2, 3}, kBFloat16)).shape(), Shape({2, 3}));
}
