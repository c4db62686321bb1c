// Elementwise math: values against PyTorch, gradients (gradcheck + gradgradcheck), type
// promotion, edge cases and error messages.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "soma/soma.h"
#include "value_helpers.h"

using namespace soma;
using namespace value_test;

namespace {

std::vector<bool> bools(const Tensor& t) {
  EXPECT_EQ(t.dtype(), kBool);
  return t.to_vector<bool>();
}

// Runs `f` and checks that it throws soma::Error whose message contains `part`.
template <class F>
void expect_error(F f, const std::string& part) {
  try {
    f();
    ADD_FAILURE() << "expected an error containing \"" << part << "\"";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

Tensor f64(std::initializer_list<double> v) { return tensor(v, kFloat64); }
void check_grads(const std::function<Tensor(const TensorList&)>& f, const TensorList& inputs) {
  EXPECT_NO_THROW(gradcheck(f, inputs));
  EXPECT_NO_THROW(gradgradcheck(f, inputs));
}

}  // namespace

// ---- golden values: tests/golden/gen_math.py -------------------------------------------------------

const std::vector<double> k_exp = {0.03019738383591175, 0.3678794503211975, 0.7788007855415344, 1.0, 1.3498587608337402, 2.7182817459106445, 12.182494163513184, 22026.46484375};
const std::vector<double> k_expm1 = {-0.9698026180267334, -0.6321205496788025, -0.22119921445846558, 0.0, 0.349858820438385, 1.718281865119934, 11.182494163513184, 22025.46484375};
const std::vector<double> k_tanh = {-0.9981778860092163, -0.7615941762924194, -0.24491865932941437, 0.0, 0.29131263494491577, 0.7615941762924194, 0.9866142868995667, 1.0};
const std::vector<double> k_sigmoid = {0.02931223064661026, 0.2689414322376251, 0.43782350420951843, 0.5, 0.5744425058364868, 0.7310585975646973, 0.9241418242454529, 0.9999545812606812};
const std::vector<double> k_erf = {-0.9999992847442627, -0.8427007794380188, -0.27632638812065125, 0.0, 0.3286267817020416, 0.8427007794380188, 0.9995930194854736, 1.0};
const std::vector<double> k_log = {-6.907755374908447, -2.3025851249694824, -0.6931471824645996, 0.0, 0.6931471824645996, 2.3025851249694824, 11.512925148010254};
const std::vector<double> k_log1p = {0.00099950039293617, 0.09531018137931824, 0.40546509623527527, 0.6931471824645996, 1.0986123085021973, 2.397895336151123, 11.512935638427734};
const std::vector<double> k_pow = {0.25, 0.816496580927726, 2.8284271247461903, 9.0, 2.0, 0.5856620185738528};
const std::vector<double> k_pow_ga = {1.0, -0.5443310539518174, 6.3639610306789285, 24.0, -20.0, 7.52994023880668};
const std::vector<double> k_pow_gb = {39.37675559691196, -13.200821862287292, 4.62820305496004};
const std::vector<double> k_pow0 = {1.0, 0.0, kInf, 1.0};
const std::vector<double> k_pow0_ga = {0.0, 0.0, -kInf, 0.0};
const std::vector<double> k_pow0_gb = {0.0, 0.0, -kInf, 0.6931471805599453};
const std::vector<double> k_rpow = {1.5811388300841898, 2.5, 6.25, 0.4};
const std::vector<double> k_rpow_g = {1.4487828558124876, 2.2907268296853878, 5.72681707421347, 0.3665162927496621};
const std::vector<double> k_ipow = {0.0, 27.0, -1.0, 1.0, 1.0, -32.0};
const std::vector<double> k_maximum = {2.0, 2.0, 3.0, 4.0, 3.0, 3.0, 3.0, 4.0};
const std::vector<double> k_maximum_gp = {0.0, 1.0, 6.5, 12.0};
const std::vector<double> k_maximum_gq = {2.0, 14.5};
const std::vector<double> k_minimum = {1.0, 2.0, 2.0, 2.0, 1.0, 2.0, 3.0, 3.0};
const std::vector<double> k_minimum_gp = {6.0, 7.0, 3.5, 0.0};
const std::vector<double> k_minimum_gq = {8.0, 11.5};
const std::vector<double> k_clamp = {-1.0, -1.0, -0.5, 0.0, 1.0, 1.0, 1.0};
const std::vector<double> k_clamp_g = {0.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0};
const std::vector<double> k_where = {1.0, -2.0, 3.0, -1.0, -2.0, 6.0};
const std::vector<double> k_where_ga = {1.0, 0.0, 3.0, 0.0, 0.0, 6.0};
const std::vector<double> k_where_gb = {4.0, 7.0, 0.0};

// ---- unary functions ---------------------------------------------------------------------------

TEST(MathUnary, Float32MatchesTorch) {
  Tensor x = tensor({-3.5, -1.0, -0.25, 0.0, 0.3, 1.0, 2.5, 10.0});
  Tensor xp = tensor({1e-3, 0.1, 0.5, 1.0, 2.0, 10.0, 1e5});
  const double r = 3e-7;  // a few float32 ulp
  expect_values(exp(x), k_exp, r, 0);
  expect_values(expm1(x), k_expm1, r, 0);
  expect_values(tanh(x), k_tanh, r, 0);
  expect_values(sigmoid(x), k_sigmoid, r, 0);
  expect_values(erf(x), k_erf, r, 0);
  expect_values(log(xp), k_log, r, 0);
  expect_values(log1p(xp), k_log1p, r, 0);
  EXPECT_EQ(exp(x).dtype(), kFloat32);
}

TEST(MathUnary, Float64UsesFullPrecision) {
  Tensor x = f64({-2.0, -0.5, 0.25, 1.5, 3.0});
  std::vector<double> v = x.to_vector<double>(), e, t, s, l;
  for (double a : v) e.push_back(std::exp(a)), t.push_back(std::tanh(a)), s.push_back(1 / (1 + std::exp(-a)));
  expect_values(exp(x), e, 1e-15);
  expect_values(tanh(x), t, 1e-15);
  expect_values(sigmoid(x), s, 1e-15);
  expect_values(log(exp(x)), v, 1e-15);
}

TEST(MathUnary, IntegersPromoteToFloat32AndHalfTypesStay) {
  Tensor i = tensor({0, 1, 2}, kInt64);
  EXPECT_EQ(exp(i).dtype(), kFloat32);
  expect_values(exp(i), {1.0, std::exp(1.0), std::exp(2.0)}, 1e-6);
  EXPECT_EQ(sqrt(tensor({4}, kInt32)).dtype(), kFloat32);
  for (DType h : {kFloat16, kBFloat16}) {
    Tensor x = tensor({-1.0, 0.5, 2.0}, h);
    Tensor y = tanh(x);
    EXPECT_EQ(y.dtype(), h);
    expect_values(y, {std::tanh(-1.0), std::tanh(0.5), std::tanh(2.0)}, 1e-2);
    EXPECT_EQ(exp(x).dtype(), h);
  }
}

TEST(MathUnary, Gradients) {
  Generator gen(3);
  Tensor x = leaf(rand({5}, kFloat64, &gen) + 0.5);
  for (auto f : {&exp, &expm1, &log, &log1p, &sqrt, &rsqrt, &sin, &cos, &tanh, &sigmoid, &erf, &abs, &relu})
    check_grads([f](const TensorList& xs) { return f(xs[0]); }, {x});
  // A transposed (non-contiguous) input.
  Tensor m = leaf(rand({3, 4}, kFloat64, &gen) - 0.5);
  for (auto f : {&exp, &tanh, &sigmoid, &erf, &expm1})
    check_grads([f](const TensorList& xs) { return f(xs[0].t()); }, {m});
}

TEST(MathUnary, SignHasZeroGradient) {
  // As PyTorch: sign records a node whose gradient is zero (at 0 too), so grad() works through
  // it, with create_graph as well; the zero gradient is a constant (no further graph).
  Tensor x = leaf(f64({-1.5, 0.0, 2.0}));
  Tensor y = sign(x);
  EXPECT_TRUE(y.requires_grad());
  expect_values(y, {-1, 0, 1});
  TensorList g = autograd::grad({y.sum()}, {x});
  expect_values(g[0], {0, 0, 0});
  g = autograd::grad({(sign(x * 3.0) * x).sum()}, {x}, {}, {.create_graph = true});
  expect_values(g[0], {-1, 0, 1});  // d/dx [sign(3x) x] = sign(3x)
  Tensor away = leaf(f64({-0.7, 0.4, 1.3}));
  check_grads([](const TensorList& xs) { return sign(xs[0]) * xs[0] * xs[0]; }, {away});
  check_grads([](const TensorList& xs) { return sign(xs[0].t()); }, {leaf(f64({-2.0, 0.5}).reshape({1, 2}))});
}

TEST(MathUnary, InPlace) {
  Tensor x = tensor({0.0, 1.0, 4.0});
  x.exp_();
  expect_values(x, {1.0, std::exp(1.0), std::exp(4.0)}, 3e-7);
  Tensor y = tensor({4.0, 9.0});
  y.sqrt_();
  expect_values(y, {2.0, 3.0});
  Tensor z = tensor({-2, 3, 0}, kInt32);
  z.relu_();
  EXPECT_EQ(z.dtype(), kInt32);
  expect_values(z, {0, 3, 0});
  Tensor h = tensor({1.0, 2.0}, kFloat16);
  h.exp_();
  expect_values(h, {std::exp(1.0), std::exp(2.0)}, 1e-3);
  expect_error([] { tensor({1, 2}, kInt64).exp_(); }, "exp_: the result type float32 cannot be stored in a tensor of dtype int64");
  // Recorded by autograd on a non-leaf: d/dw sum(exp(w * 2)) = 2 exp(2w).
  Tensor w = f64({0.5, -1.0}).requires_grad_();
  Tensor v = w * 2.0;
  v.exp_();
  v.sum().backward();
  expect_values(w.grad(), {2 * std::exp(1.0), 2 * std::exp(-2.0)}, 1e-14);
}

// ---- pow ----------------------------------------------------------------------------------------

TEST(MathPow, TensorTensorMatchesTorch) {
  Tensor a = leaf(tensor({{0.5, 1.5, 2.0}, {3.0, 0.25, 0.7}}, kFloat64));
  Tensor b = leaf(f64({2.0, -0.5, 1.5}));
  Tensor w = tensor({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}}, kFloat64);
  Tensor y = pow(a, b);
  (y * w).sum().backward();
  expect_values(y, k_pow);
  expect_values(a.grad(), k_pow_ga);
  expect_values(b.grad(), k_pow_gb);
}

TEST(MathPow, ZeroBaseEdgeCases) {
  Tensor a = leaf(f64({0.0, 0.0, 0.0, 2.0}));
  Tensor b = leaf(f64({0.0, 2.0, -1.0, 0.0}));
  Tensor y = pow(a, b);
  y.sum().backward();
  expect_values(y, k_pow0);
  expect_values(a.grad(), k_pow0_ga);
  expect_values(b.grad(), k_pow0_gb);
}

TEST(MathPow, ScalarBase) {
  Tensor e = leaf(f64({0.5, 1.0, 2.0, -1.0}));
  Tensor y = pow(2.5, e);
  y.sum().backward();
  expect_values(y, k_rpow);
  expect_values(e.grad(), k_rpow_g);
  EXPECT_EQ(pow(2, tensor({1, 2}, kInt64)).dtype(), kInt64);
  EXPECT_EQ(pow(2.0, tensor({1, 2}, kInt64)).dtype(), kFloat32);
  expect_values(pow(2, tensor({3, 10}, kInt32)), {8, 1024});
}

TEST(MathPow, IntegersAndPromotion) {
  Tensor y = pow(tensor({2, 3, -1, 1, 0, -2}, kInt64), tensor({-1, 3, -3, -4, 0, 5}, kInt64));
  EXPECT_EQ(y.dtype(), kInt64);
  expect_values(y, k_ipow);
  expect_values(pow(tensor({3}, kInt64), 40), {12157665459056928801.0 - 18446744073709551616.0});  // wraps
  EXPECT_EQ(pow(tensor({1, 2}, kInt32), 2.0).dtype(), kFloat32);
  EXPECT_EQ(pow(tensor({1, 2}, kInt32), 3).dtype(), kInt32);
  EXPECT_EQ(pow(tensor({1.0}), tensor({2.0}, kFloat64)).dtype(), kFloat64);
  expect_values(pow(tensor({4.0, 9.0}), 0.5), {2.0, 3.0});
  expect_values(pow(tensor({4.0, -2.0}), -1), {0.25, -0.5});
  expect_values(pow(tensor({2.0, -2.0}), 3), {8.0, -8.0});
  expect_values(pow(tensor({2.0, 9.0}), 1.5), {std::pow(2.0, 1.5), 27.0}, 1e-6);
  expect_error([] { pow(tensor({1, 2}, kInt64), -1); }, "pow: integers to negative integer powers are not allowed");
  expect_error([] { pow(tensor({1}, kBool), tensor({1}, kBool)); }, "pow: not defined for bool tensors");
  expect_error([] { pow(tensor({1.0, 2.0}), tensor({1.0, 2.0, 3.0})); }, "pow: shapes [2] and [3] cannot be broadcast");
}

TEST(MathPow, Gradients) {
  Generator gen(5);
  Tensor a = leaf(rand({3, 2}, kFloat64, &gen) + 0.5);
  Tensor b = leaf(rand({3}, kFloat64, &gen) * 2.0 - 1.0);
  check_grads([](const TensorList& x) { return pow(x[0].t(), x[1]); }, {a, b});  // broadcast, transposed
  check_grads([](const TensorList& x) { return pow(1.7, x[0]); }, {b});
  for (double e : {0.0, 0.5, 2.0, 3.0, -1.0, 2.5})
    check_grads([e](const TensorList& x) { return pow(x[0], e); }, {a});
}

TEST(MathPow, InPlace) {
  Tensor x = tensor({2.0, 3.0});
  x.pow_(2);
  expect_values(x, {4.0, 9.0});
  Tensor i = tensor({2, 3}, kInt64);
  i.pow_(3);
  expect_values(i, {8, 27});
  expect_error([] { tensor({2, 3}, kInt64).pow_(0.5); }, "pow_: the result type float32 cannot be stored");
  // Recorded on a non-leaf: d/dw sum((3w)^2 clamped to [0, 10]) = 18w inside, 0 outside.
  Tensor w = f64({0.5, 2.0}).requires_grad_();
  Tensor v = w * 3.0;
  v.pow_(2);
  v.clamp_(0.0, 10.0);
  v.sum().backward();
  expect_values(w.grad(), {9.0, 0.0});
}

// ---- minimum / maximum --------------------------------------------------------------------------

TEST(MathExtremum, MatchesTorchWithTies) {
  Tensor w = arange(1.0, 9.0, 1.0, kFloat64).view({2, 4});
  for (bool is_max : {true, false}) {
    Tensor p = leaf(f64({1.0, 2.0, 3.0, 4.0}));
    Tensor q = leaf(f64({2.0, 3.0}).view({2, 1}));
    Tensor y = is_max ? maximum(p, q) : minimum(p, q);
    (y * w).sum().backward();
    expect_values(y, is_max ? k_maximum : k_minimum);
    expect_values(p.grad(), is_max ? k_maximum_gp : k_minimum_gp);
    expect_values(q.grad(), is_max ? k_maximum_gq : k_minimum_gq);
  }
}

TEST(MathExtremum, NaNPropagatesAndTypesPromote) {
  Tensor a = tensor({1.0, kNaN, 2.0}), b = tensor({kNaN, 1.0, 2.0});
  expect_values(maximum(a, b), {kNaN, kNaN, 2.0});
  expect_values(minimum(a, b), {kNaN, kNaN, 2.0});
  Tensor m = maximum(tensor({1, 5}, kInt32), tensor({2.5, 2.5}, kFloat64));
  EXPECT_EQ(m.dtype(), kFloat64);
  expect_values(m, {2.5, 5.0});
  expect_values(minimum(tensor({1, 5}, kInt64), tensor({3}, kInt64)), {1, 3});
  expect_error([] { maximum(ones({2, 3}), ones({4})); }, "maximum: shapes [2, 3] and [4] cannot be broadcast");
}

TEST(MathExtremum, Gradients) {
  Generator gen(7);
  Tensor a = leaf(rand({3, 4}, kFloat64, &gen));
  Tensor b = leaf(rand({3}, kFloat64, &gen));
  check_grads([](const TensorList& x) { return maximum(x[0].t(), x[1]); }, {a, b});
  check_grads([](const TensorList& x) { return minimum(x[1], x[0].t()); }, {a, b});
}

// ---- clamp --------------------------------------------------------------------------------------

TEST(MathClamp, MatchesTorch) {
  Tensor c = leaf(f64({-2.0, -1.0, -0.5, 0.0, 1.0, 1.5, 3.0}));
  Tensor y = clamp(c, -1.0, 1.0);
  y.sum().backward();
  expect_values(y, k_clamp);
  expect_values(c.grad(), k_clamp_g);
}

TEST(MathClamp, EdgeCasesAndTypes) {
  expect_values(clamp(tensor({1.0, kNaN, 5.0}), 2, 1), {1.0, kNaN, 1.0});  // min > max gives max
  expect_values(clamp_min(tensor({-kInf, 0.5}), 0), {0.0, 0.5});
  expect_values(clamp_max(tensor({kInf, 0.5}), 0), {0.0, 0.0});
  expect_values(clamp(tensor({-kInf, kInf}), std::nullopt, 3.0), {-kInf, 3.0});
  Tensor i = clamp(tensor({1, 2, 3}, kInt64), 2, std::nullopt);
  EXPECT_EQ(i.dtype(), kInt64);
  expect_values(i, {2, 2, 3});
  Tensor f = clamp(tensor({1, 2, 3}, kInt64), 1.5, std::nullopt);
  EXPECT_EQ(f.dtype(), kFloat32);
  expect_values(f, {1.5, 2.0, 3.0});
  expect_values(clamp(tensor({-300, 5, 300}, kInt32), -1000, 100), {-300, 5, 100});
  expect_values(clamp(tensor({0, 200}, kUInt8), -5, 100), {0, 100});
  expect_error([] { clamp(ones({2}), std::nullopt, std::nullopt); }, "clamp: at least one of min and max");
  Tensor x = tensor({-1.0, 0.5, 2.0});
  x.clamp_(0.0, 1.0);
  expect_values(x, {0.0, 0.5, 1.0});
  expect_error([] { tensor({1, 2}, kInt32).clamp_(0.5, std::nullopt); }, "clamp_: the result type float32");
}

TEST(MathClamp, Gradients) {
  Generator gen(9);
  Tensor a = leaf(rand({3, 4}, kFloat64, &gen) * 4.0 - 2.0);
  check_grads([](const TensorList& x) { return clamp(x[0].t(), -0.9, 1.1); }, {a});
  check_grads([](const TensorList& x) { return clamp_min(x[0], 0.1) * x[0]; }, {a});
}

// ---- where --------------------------------------------------------------------------------------

TEST(MathWhere, MatchesTorch) {
  Tensor cond = gt(tensor({{1.0, 0.0, 1.0}, {0.0, 0.0, 1.0}}), 0.5);
  Tensor a = leaf(tensor({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}}, kFloat64));
  Tensor b = leaf(f64({-1.0, -2.0, -3.0}));
  Tensor w = tensor({{1.0, 2.0, 3.0}, {4.0, 5.0, 6.0}}, kFloat64);
  Tensor y = where(cond, a, b);
  (y * w).sum().backward();
  expect_values(y, k_where);
  expect_values(a.grad(), k_where_ga);
  expect_values(b.grad(), k_where_gb);
}

TEST(MathWhere, TypesBroadcastAndErrors) {
  Tensor cond = tensor({1, 0}, kBool);
  Tensor y = where(cond, tensor({1, 2}, kInt64), 2.5);
  EXPECT_EQ(y.dtype(), kFloat32);
  expect_values(y, {1.0, 2.5});
  Tensor h = where(cond, tensor({1.0, 2.0}, kFloat16), tensor({3.0, 4.0}, kFloat16));
  EXPECT_EQ(h.dtype(), kFloat16);
  expect_values(h, {1.0, 4.0});
  // cond broadcast over rows, a over columns.
  Tensor z = where(tensor({1, 0}, kBool).view({2, 1}), tensor({1.0, 2.0, 3.0}), zeros({2, 3}));
  expect_values(z, {1, 2, 3, 0, 0, 0});
  // Non-contiguous operands.
  Tensor m = arange(0.0, 6.0, 1.0).view({2, 3}).t();
  expect_values(where(gt(m, 2.0), m, -1.0), {-1, 3, -1, 4, -1, 5});
  expect_error([] { where(tensor({1, 0}, kInt64), ones({2}), zeros({2})); },
               "where: the condition must be a bool tensor, got int64");
  expect_error([] { where(tensor({1, 0, 1}, kBool), ones({2}), zeros({2})); }, "where: shapes [3] and [2]");
}

TEST(MathWhere, Gradients) {
  Generator gen(11);
  Tensor a = leaf(rand({3, 4}, kFloat64, &gen));
  Tensor b = leaf(rand({4}, kFloat64, &gen));
  Tensor cond = gt(rand({4, 1}, kFloat32, &gen), 0.5);
  check_grads([cond](const TensorList& x) { return where(cond, x[0].t(), x[1].view({4, 1})); }, {a, b});
  check_grads([cond](const TensorList& x) { return where(cond, x[1].view({4, 1}) * x[1], 0.0); }, {a, b});
}

// ---- comparisons and logic ----------------------------------------------------------------------

TEST(MathCompare, ValuesNaNAndPromotion) {
  Tensor a = tensor({1.0, 2.0, kNaN, 4.0}), b = tensor({1.0, 3.0, kNaN, 3.0});
  EXPECT_EQ(bools(eq(a, b)), std::vector<bool>({true, false, false, false}));
  EXPECT_EQ(bools(ne(a, b)), std::vector<bool>({false, true, true, true}));
  EXPECT_EQ(bools(lt(a, b)), std::vector<bool>({false, true, false, false}));
  EXPECT_EQ(bools(le(a, b)), std::vector<bool>({true, true, false, false}));
  EXPECT_EQ(bools(gt(a, b)), std::vector<bool>({false, false, false, true}));
  EXPECT_EQ(bools(ge(a, b)), std::vector<bool>({true, false, false, true}));
  // int tensor against a float scalar compares in float: 2 != 2.5, 3 > 2.5.
  Tensor i = tensor({2, 3}, kInt64);
  EXPECT_EQ(bools(eq(i, 2.5)), std::vector<bool>({false, false}));
  EXPECT_EQ(bools(gt(i, 2.5)), std::vector<bool>({false, true}));
  EXPECT_EQ(bools(i == 2), std::vector<bool>({true, false}));
  EXPECT_EQ(bools(lt(tensor({1, 300}, kInt32), tensor({2, 2}, kUInt8))), std::vector<bool>({true, false}));
  EXPECT_EQ(bools(le(tensor({0.5}, kBFloat16), tensor({0.5}, kFloat64))), std::vector<bool>({true}));
  // Broadcast [2, 1] against [3].
  EXPECT_EQ(bools(tensor({1.0, 2.0}).view({2, 1}) < tensor({0.0, 1.5, 3.0})),
            std::vector<bool>({false, true, true, false, false, true}));
  expect_error([] { eq(ones({2}), ones({3})); }, "eq: shapes [2] and [3] cannot be broadcast together");
  expect_error([] { ge(ones({2, 2}), ones({3, 1})); }, "ge: shapes [2, 2] and [3, 1]");
}

TEST(MathCompare, LogicOnAnyDtype) {
  Tensor a = tensor({0.0, 1.0, kNaN, -2.0}), b = tensor({0, 0, 1, 5}, kInt32);
  EXPECT_EQ(bools(logical_and(a, b)), std::vector<bool>({false, false, true, true}));
  EXPECT_EQ(bools(logical_or(a, b)), std::vector<bool>({false, true, true, true}));
  EXPECT_EQ(bools(logical_xor(a, b)), std::vector<bool>({false, true, false, false}));
  EXPECT_EQ(bools(logical_not(a)), std::vector<bool>({true, false, false, false}));
  Tensor p = tensor({1, 0, 1}, kBool), q = tensor({1, 1, 0}, kBool);
  EXPECT_EQ(bools(p & q), std::vector<bool>({true, false, false}));
  EXPECT_EQ(bools(p | q), std::vector<bool>({true, true, true}));
  EXPECT_EQ(bools(p ^ q), std::vector<bool>({false, true, true}));
  EXPECT_EQ(bools(~p), std::vector<bool>({false, true, false}));
  expect_error([] { logical_and(ones({2}), ones({3})); }, "logical_and: shapes [2] and [3]");
}

TEST(MathCompare, ValueTests) {
  Tensor a = tensor({1.0, kNaN, kInf, -kInf, 0.0});
  EXPECT_EQ(bools(isnan(a)), std::vector<bool>({false, true, false, false, false}));
  EXPECT_EQ(bools(isfinite(a)), std::vector<bool>({true, false, false, false, true}));
  EXPECT_EQ(bools(isnan(tensor({kNaN}, kFloat16))), std::vector<bool>({true}));
  EXPECT_EQ(bools(isnan(tensor({1, 2}, kInt64))), std::vector<bool>({false, false}));
  EXPECT_EQ(bools(isfinite(tensor({1, 2}, kInt64))), std::vector<bool>({true, true}));
}

TEST(MathCompare, AllcloseAndEqual) {
  Tensor a = tensor({1.0, 2.0, kInf}), b = tensor({1.0 + 1e-6, 2.0, kInf});
  EXPECT_TRUE(allclose(a, b));
  EXPECT_FALSE(allclose(a, tensor({1.1, 2.0, kInf})));
  EXPECT_FALSE(allclose(a, tensor({1.0, 2.0, -kInf})));
  EXPECT_FALSE(allclose(a, tensor({1.0, 2.0})));  // shapes differ
  EXPECT_TRUE(allclose(tensor({1.0, 2.0}), tensor({1.05, 2.0}), 0.0, 0.06));
  EXPECT_FALSE(allclose(tensor({kNaN}), tensor({kNaN})));
  EXPECT_TRUE(allclose(tensor({kNaN}), tensor({kNaN}), 1e-5, 1e-8, true));
  EXPECT_TRUE(allclose(arange(0.0, 6.0, 1.0).view({2, 3}).t(), tensor({{0.0, 3.0}, {1.0, 4.0}, {2.0, 5.0}}, kFloat64)));
  EXPECT_TRUE(equal(tensor({1, 2}, kInt64), tensor({1.0, 2.0})));
  EXPECT_FALSE(equal(tensor({1.0, 2.0}), tensor({1.0, 2.5})));
  EXPECT_FALSE(equal(tensor({kNaN}), tensor({kNaN})));
  EXPECT_FALSE(equal(ones({2, 1}), ones({2})));
  expect_error([] { allclose(ones({1}), ones({1}), -1.0); }, "allclose: rtol and atol must be non-negative");
}

TEST(MathArithmetic, DivisionByZero) {
  expect_values(tensor({1.0, -1.0, 0.0}) / 0.0, {kInf, -kInf, kNaN});
  Tensor q = tensor({1, -1}, kInt64) / tensor({0, 0}, kInt64);
  EXPECT_EQ(q.dtype(), kFloat32);
  expect_values(q, {kInf, -kInf});
}
