// floor_divide, div with a rounding_mode, remainder and fmod: values against PyTorch 1.13
// (tests/golden/gen_division.py), integer and floating dtypes, zero divisors, NaN/inf,
// broadcasting, gradients (gradcheck + gradgradcheck) and errors.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "error_of.h"
#include "soma/soma.h"
#include "value_helpers.h"

using namespace soma;
using namespace value_test;

namespace {

// ---- golden values: tests/golden/gen_division.py ------------------------------------------------

const std::vector<double> kFloatA = {-7.0, 7.0, -7.0, 7.0, 5.5, -5.5, 6.0, -6.0, 1.0, -1.0, 0.0, 0.0, kNaN, 2.0, kInf, -kInf, 3.0, -3.0, -0.0, 1e-300};
const std::vector<double> kFloatB = {2.0, 2.0, -2.0, -2.0, 2.0, 2.0, -3.0, 3.0, 0.0, 0.0, 0.0, -3.0, 2.0, kNaN, 2.0, 3.0, kInf, kInf, 5.0, -1e+300};
const std::vector<double> k_float64_floor_divide = {-4.0, 3.0, 3.0, -4.0, 2.0, -3.0, -2.0, -2.0, kInf, -kInf, kNaN, -0.0, kNaN, kNaN, kNaN, kNaN, 0.0, -1.0, -0.0, -1.0};
const std::vector<double> k_float64_div_trunc = {-3.0, 3.0, 3.0, -3.0, 2.0, -2.0, -2.0, -2.0, kInf, -kInf, kNaN, -0.0, kNaN, kNaN, kInf, -kInf, 0.0, -0.0, -0.0, -0.0};
const std::vector<double> k_float64_div_floor = {-4.0, 3.0, 3.0, -4.0, 2.0, -3.0, -2.0, -2.0, kInf, -kInf, kNaN, -0.0, kNaN, kNaN, kNaN, kNaN, 0.0, -1.0, -0.0, -1.0};
const std::vector<double> k_float64_remainder = {1.0, 1.0, -1.0, -1.0, 1.5, 0.5, 0.0, -0.0, kNaN, kNaN, kNaN, 0.0, kNaN, kNaN, kNaN, kNaN, 3.0, kInf, -0.0, -1e+300};
const std::vector<double> k_float64_fmod = {-1.0, 1.0, -1.0, 1.0, 1.5, -1.5, 0.0, -0.0, kNaN, kNaN, kNaN, 0.0, kNaN, kNaN, kNaN, kNaN, 3.0, -3.0, -0.0, 1e-300};
const std::vector<double> k_float32_floor_divide = {-4.0, 3.0, 3.0, -4.0, 2.0, -3.0, -2.0, -2.0, kInf, -kInf, kNaN, -0.0, kNaN, kNaN, kNaN, kNaN, 0.0, -1.0, -0.0, -0.0};
const std::vector<double> k_float32_div_trunc = {-3.0, 3.0, 3.0, -3.0, 2.0, -2.0, -2.0, -2.0, kInf, -kInf, kNaN, -0.0, kNaN, kNaN, kInf, -kInf, 0.0, -0.0, -0.0, -0.0};
const std::vector<double> k_float32_div_floor = {-4.0, 3.0, 3.0, -4.0, 2.0, -3.0, -2.0, -2.0, kInf, -kInf, kNaN, -0.0, kNaN, kNaN, kNaN, kNaN, 0.0, -1.0, -0.0, -0.0};
const std::vector<double> k_float32_remainder = {1.0, 1.0, -1.0, -1.0, 1.5, 0.5, 0.0, -0.0, kNaN, kNaN, kNaN, 0.0, kNaN, kNaN, kNaN, kNaN, 3.0, kInf, -0.0, 0.0};
const std::vector<double> k_float32_fmod = {-1.0, 1.0, -1.0, 1.0, 1.5, -1.5, 0.0, -0.0, kNaN, kNaN, kNaN, 0.0, kNaN, kNaN, kNaN, kNaN, 3.0, -3.0, -0.0, 0.0};
const std::vector<double> k_floor_divide_sign = {-1.0, 1.0, 1.0, -1.0, 1.0, -1.0, -1.0, -1.0, 1.0, -1.0, -1.0, -1.0, 1.0, -1.0, -1.0, 1.0, 1.0, -1.0, -1.0, -1.0};
const std::vector<int64_t> kIntA = {-7, 7, -7, 7, 0, -1, 1, 6, -6, 9223372036854775807};
const std::vector<int64_t> kIntB = {2, 2, -2, -2, 3, 3, -3, 3, -3, 2};
const std::vector<int64_t> k_int_floor_divide = {-4, 3, 3, -4, 0, -1, -1, 2, 2, 4611686018427387903};
const std::vector<int64_t> k_int_div_trunc = {-3, 3, 3, -3, 0, 0, 0, 2, 2, 4611686018427387903};
const std::vector<int64_t> k_int_remainder = {1, 1, -1, -1, 0, 2, -2, 0, 0, 1};
const std::vector<int64_t> k_int_fmod = {-1, 1, -1, 1, 0, -1, 1, 0, 0, 1};
const std::vector<int64_t> k_int8_floor_divide = {-128, -43, -127, -2};
const std::vector<int64_t> k_int8_remainder = {0, 1, 0, 1};
const std::vector<int64_t> k_int8_fmod = {0, -2, 0, -2};
// remainder(uint8, int8) -> int16
const std::vector<int64_t> k_u8_i8_remainder = {-1, -1};
const std::vector<double> k_remainder_scalar = {1.0, 2.0, 0.0, 1.0, 1.0};
const std::vector<double> k_remainder_float_scalar = {-0.0, -1.0, 0.0, -1.0, -0.5};
const std::vector<double> k_rremainder = {-1.0, 1.0, 2.0, -3.0};
const std::vector<double> k_fmod_scalar = {-2.0, -1.0, 0.0, 1.0, 1.0};
const std::vector<double> k_floor_divide_scalar = {2.0, 0.0, 0.0, -2.0, -4.0};
const std::vector<double> k_floor_divide_float_scalar = {-4.0, -1.0, 0.0, 2.0, 4.0};
// a = [[-7.5, 3.25, 0.5], [8.0, -2.75, 4.5]] transposed, b = [[2], [-1.5], [0.75]], w = 1..6
const std::vector<double> k_remainder_bc = {0.5, 0.0, -1.25, -1.25, 0.5, 0.0};
const std::vector<double> k_remainder_ga = {1.0, 2.0, 3.0, 4.0, 5.0, 6.0};
const std::vector<double> k_remainder_gb = {-4.0, 5.0, -36.0};
const std::vector<double> k_fmod_bc = {-1.5, 0.0, 0.25, -1.25, 0.5, 0.0};
const std::vector<double> k_fmod_ga = {1.0, 2.0, 3.0, 4.0, 5.0, 6.0};
const std::vector<double> k_fmod_gb = {-5.0, 2.0, -36.0};
const std::vector<double> k_div_floor_bc = {-4.0, 4.0, -3.0, 1.0, 0.0, 6.0};
const std::vector<double> k_div_floor_ga = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0};
const std::vector<double> k_div_floor_gb = {0.0, 0.0, 0.0};
// torch.remainder(torch.tensor([1, 2]), torch.tensor([0, 1])): ZeroDivisionError
// torch.fmod(torch.tensor([3]), 0): ZeroDivisionError
// torch.floor_divide(torch.tensor([3]), 0): ZeroDivisionError
// torch.div(torch.tensor([3]), 0, rounding_mode='trunc'): ZeroDivisionError

Tensor ints(const std::vector<int64_t>& v, DType dtype = kInt64) { return from_vector(v).to(dtype); }

}  // namespace

TEST(Division, FloatingPointMatchesTorch) {
  for (DType dt : {kFloat64, kFloat32}) {
    const Tensor a = tensor(kFloatA, {static_cast<int64_t>(kFloatA.size())}, kFloat64).to(dt);
    const Tensor b = tensor(kFloatB, {static_cast<int64_t>(kFloatB.size())}, kFloat64).to(dt);
    const bool f64 = dt == kFloat64;
    expect_values(floor_divide(a, b), f64 ? k_float64_floor_divide : k_float32_floor_divide);
    expect_values(div(a, b, "trunc"), f64 ? k_float64_div_trunc : k_float32_div_trunc);
    expect_values(div(a, b, "floor"), f64 ? k_float64_div_floor : k_float32_div_floor);
    expect_values(remainder(a, b), f64 ? k_float64_remainder : k_float32_remainder);
    expect_values(fmod(a, b), f64 ? k_float64_fmod : k_float32_fmod);
    EXPECT_EQ(floor_divide(a, b).dtype(), dt);
    EXPECT_EQ(remainder(a, b).dtype(), dt);
  }
  // Zero quotients keep the sign of a / b, as Python's //.
  const Tensor q = floor_divide(tensor(kFloatA, {20}, kFloat64), tensor(kFloatB, {20}, kFloat64));
  const std::vector<double> got = q.to_vector<double>();
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(got[i])) continue;
    EXPECT_EQ(std::copysign(1.0, got[i]), k_floor_divide_sign[i]) << "element " << i;
  }
  // Half types compute in float32.
  expect_values(remainder(tensor({-7, 5.5}, kFloat16), tensor({2, -2}, kFloat16)), {1, -0.5});
  EXPECT_EQ(fmod(tensor({-7, 5.5}, kBFloat16), 2).dtype(), kBFloat16);
}

TEST(Division, IntegersMatchTorch) {
  const Tensor a = from_vector(kIntA), b = from_vector(kIntB);
  EXPECT_EQ(floor_divide(a, b).to_vector<int64_t>(), k_int_floor_divide);
  EXPECT_EQ(div(a, b, "floor").to_vector<int64_t>(), k_int_floor_divide);
  EXPECT_EQ(div(a, b, "trunc").to_vector<int64_t>(), k_int_div_trunc);
  EXPECT_EQ(remainder(a, b).to_vector<int64_t>(), k_int_remainder);
  EXPECT_EQ(fmod(a, b).to_vector<int64_t>(), k_int_fmod);
  EXPECT_EQ(floor_divide(a, b).dtype(), kInt64);
  EXPECT_EQ(div(a, b, std::nullopt).dtype(), kFloat32);  // true division
  // int8 and the one overflowing quotient, -128 / -1, which wraps to -128 (no SIGFPE).
  const Tensor a8 = ints({-128, -128, 127, -5}, kInt8), b8 = ints({-1, 3, -1, 3}, kInt8);
  EXPECT_EQ(floor_divide(a8, b8).to_vector<int64_t>(), k_int8_floor_divide);
  EXPECT_EQ(remainder(a8, b8).to_vector<int64_t>(), k_int8_remainder);
  EXPECT_EQ(fmod(a8, b8).to_vector<int64_t>(), k_int8_fmod);
  EXPECT_EQ(floor_divide(a8, b8).dtype(), kInt8);
  // The same at int64 and int32, where a C++ division would trap.
  const int64_t min64 = std::numeric_limits<int64_t>::min();
  EXPECT_EQ(floor_divide(ints({min64}), ints({-1})).item<int64_t>(), min64);
  EXPECT_EQ(div(ints({min64}), ints({-1}), "trunc").item<int64_t>(), min64);
  EXPECT_EQ(remainder(ints({min64}), ints({-1})).item<int64_t>(), 0);
  EXPECT_EQ(fmod(ints({-2147483648}, kInt32), -1).item<int64_t>(), 0);
  // uint8 with int8 promotes to int16.
  const Tensor r = remainder(ints({200, 7}, kUInt8), ints({-3, -2}, kInt8));
  EXPECT_EQ(r.dtype(), kInt16);
  EXPECT_EQ(r.to_vector<int64_t>(), k_u8_i8_remainder);
  EXPECT_EQ(remainder(ints({250}, kUInt8), ints({7}, kUInt8)).to_vector<int64_t>(), std::vector<int64_t>({5}));
}

TEST(Division, ScalarFormsAndMethods) {
  const Tensor t = ints({-5, -1, 0, 4, 7});
  expect_values(remainder(t, 3), k_remainder_scalar);
  EXPECT_EQ(remainder(t, 3).dtype(), kInt64);
  expect_values(remainder(t, -2.5), k_remainder_float_scalar);
  EXPECT_EQ(remainder(t, -2.5).dtype(), kFloat32);
  expect_values(remainder(5, ints({-3, 2, 3, -4})), k_rremainder);
  expect_values(fmod(t, -3), k_fmod_scalar);
  expect_values(floor_divide(t, -2), k_floor_divide_scalar);
  expect_values(floor_divide(t, 1.5), k_floor_divide_float_scalar);
  expect_values(div(t, -2, "floor"), k_floor_divide_scalar);
  expect_values(t.remainder(3), k_remainder_scalar);
  expect_values(t.fmod(-3), k_fmod_scalar);
  expect_values(t.floor_divide(-2), k_floor_divide_scalar);
  expect_values(t.div(ints({-2}), "floor"), k_floor_divide_scalar);
  EXPECT_EQ(t.div(ints({2})).dtype(), kFloat32);
  // Empty operands give empty results, without a division-by-zero error.
  EXPECT_EQ(remainder(zeros({0, 3}, kInt64), zeros({3}, kInt64)).shape(), Shape({0, 3}));
}

TEST(Division, GradientsMatchTorch) {
  // a non-contiguous [3, 2] (a transposed view), b [3, 1] broadcast along dim 1.
  const Tensor a = leaf(tensor({-7.5, 3.25, 0.5, 8.0, -2.75, 4.5}, {2, 3}, kFloat64).t());
  const Tensor b = leaf(tensor({2.0, -1.5, 0.75}, {3, 1}, kFloat64));
  const Tensor w = arange(1.0, 7.0, 1.0, kFloat64).reshape({3, 2});
  struct Case {
    Tensor (*op)(const Tensor&, const Tensor&);
    const std::vector<double>& y;
    const std::vector<double>& ga;
    const std::vector<double>& gb;
  };
  const Case cases[] = {{remainder, k_remainder_bc, k_remainder_ga, k_remainder_gb},
                        {fmod, k_fmod_bc, k_fmod_ga, k_fmod_gb},
                        {[](const Tensor& x, const Tensor& y) { return div(x, y, "floor"); }, k_div_floor_bc,
                         k_div_floor_ga, k_div_floor_gb}};
  for (const Case& c : cases) {
    const Tensor y = c.op(a, b);
    expect_values(y, c.y);
    const TensorList g = autograd::grad({(y * w).sum()}, {a, b});
    expect_values(g[0], c.ga);
    expect_values(g[1], c.gb);
  }
  // floor_divide: zero gradient (PyTorch 1.13 has none; div(..., "floor") gives zeros).
  const TensorList g = autograd::grad({floor_divide(a, b).sum()}, {a, b});
  expect_values(g[0], std::vector<double>(6, 0.0));
  expect_values(g[1], std::vector<double>(3, 0.0));
}

TEST(Division, Gradcheck) {
  // Away from the jumps of floor / trunc (a / b not near an integer).
  const Tensor a = leaf(tensor({-7.3, 3.4, 0.45, 8.2, -2.5, 4.45}, {3, 2}, kFloat64));
  const Tensor b = leaf(tensor({2.1, -1.7, 0.8}, {3, 1}, kFloat64));
  using Op = Tensor (*)(const Tensor&, const Tensor&);
  for (Op op : {Op(remainder), Op(fmod)}) {
    auto f = [op](const TensorList& in) { return op(in[0], in[1]); };
    EXPECT_NO_THROW(gradcheck(f, {a, b}));
    EXPECT_NO_THROW(gradgradcheck(f, {a, b}));
  }
  auto scalar = [](const TensorList& in) { return remainder(in[0], -1.3) + fmod(in[0], 0.7); };
  EXPECT_NO_THROW(gradcheck(scalar, {a}));
  EXPECT_NO_THROW(gradgradcheck(scalar, {a}));
}

TEST(Division, IntegerDivisionByZeroIsAnError) {
  const Tensor a = ints({1, 2}), z = ints({0, 1});
  EXPECT_ERROR(remainder(a, z), "remainder: integer division by zero");
  EXPECT_ERROR(fmod(ints({3}), 0), "fmod: integer division by zero");
  EXPECT_ERROR(floor_divide(ints({3}, kInt8), ints({0}, kInt8)), "floor_divide: integer division by zero");
  EXPECT_ERROR(div(ints({3}, kUInt8), 0, "trunc"), "div: integer division by zero");
  EXPECT_ERROR(remainder(7, ints({0})), "remainder: integer division by zero");
  // Floating-point division by zero follows IEEE instead.
  expect_values(floor_divide(tensor({-5.0, 5.0}), 0.0), {-kInf, kInf});
  expect_values(fmod(tensor({-5.0, 5.0}), 0.0), {kNaN, kNaN});
  // An integer tensor with a floating-point zero divides in float32.
  expect_values(remainder(ints({3}), 0.0), {kNaN});
}

TEST(Division, BadArgumentErrors) {
  const Tensor b = tensor({1, 0}, kBool);
  EXPECT_ERROR(remainder(b, b), "remainder: not defined for bool tensors (got bool and bool)");
  EXPECT_ERROR(floor_divide(b, b), "floor_divide: not defined for bool tensors");
  EXPECT_ERROR(div(tensor({1.0}), tensor({2.0}), "round"),
               "div: rounding_mode must be \"trunc\", \"floor\" or none (true division), got \"round\"");
  EXPECT_ERROR(fmod(zeros({2, 3}), zeros({4})), "fmod");
}
