// cumprod and logcumsumexp: values against PyTorch 1.13 (tests/golden/gen_scan.py), zeros in
// cumprod's input, infinities and NaN in logcumsumexp's, dims, dtypes, gradients (gradcheck +
// gradgradcheck) and errors.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "error_of.h"
#include "soma/soma.h"
#include "value_helpers.h"

using namespace soma;
using namespace value_test;

namespace {

// ---- golden values: tests/golden/gen_scan.py ----------------------------------------------------

// x = [[2, 0, 3, -1.5], [0.5, 0, 0, 4], [1.5, -2, 0.25, 3]], w = 1..12
const std::vector<double> k_cumprod1 = {2.0, 0.0, 0.0, -0.0, 0.5, 0.0, 0.0, 0.0, 1.5, -3.0, -0.75, -2.25};
const std::vector<double> k_cumprod1_g = {1.0, -14.0, 0.0, 0.0, 5.0, 3.0, 0.0, 0.0, -34.5, 32.625, -141.0, -9.0};
const std::vector<double> k_cumprod0 = {2.0, 0.0, 3.0, -1.5, 1.0, 0.0, 0.0, -6.0, 1.5, -0.0, 0.0, -18.0};
const std::vector<double> k_cumprod0_g = {10.25, 2.0, 3.0, 180.0, 37.0, 0.0, 29.25, -66.0, 9.0, 0.0, 0.0, -72.0};
const std::vector<double> k_cumprod_gg = {-21.0, -16.0, -18.0, 72.0, 42.0, 165.0, 136.5, 0.0, -754.75, 1006.5, -676.5, -382.5};
const std::vector<double> k_cumprod_int = {3.0, -2.0, 12.0, -10.0};
// cumprod(int32) dtype: torch.int64
const std::vector<double> k_cumprod_bool = {1.0, 1.0, 0.0, 0.0};
const std::vector<double> k_cumprod_t = {1.0, 4.0, 2.0, 10.0, 3.0, 18.0};
const std::vector<double> k_lcse1 = {1000.0, 1001.3132616875182, 1001.3132616875182, 1001.4076059644443, -kInf, -kInf, 0.5, 0.5, -1.0, kInf, kInf, kNaN};
const std::vector<double> k_lcse0 = {1000.0, 1001.0, -kInf, 999.0, 1000.0, 1001.0, 0.5, 999.0, 1000.0, kInf, 2.2014132779827524, kNaN};
const std::vector<double> k_lcse_f32 = {1000.0, 1001.313232421875, 1001.313232421875, 1001.4075927734375, -kInf, -kInf, 0.5, 0.5, -1.0, kInf, kInf, kNaN};
// v = [[0.5, -1.25, 2, 0], [3, 1, -2, 0.75]], weights [[1, -2, 0.5, 3], [-1, 0, 2, 1.5]]
const std::vector<double> k_lcse_v = {0.5, 0.6602241504380872, 2.2326219831020326, 2.3344986126036624, 3.0, 3.1269280110429727, 3.1328452337275756, 3.2211194680771675};
const std::vector<double> k_lcse_g = {-0.136414862786574, -0.1974792921021195, 2.5433170521302135, 0.2905771027584812, 1.9536325498177343, 0.39973069770646164, 0.019901419575445556, 0.1267353329003585};
const std::vector<double> k_lcse_neginf_g = {2.377540668798145, 0.0, 0.6224593312018546};
// torch.logcumsumexp(torch.tensor([1, 2]), 0): "logcumsumexp_out_cpu" not implemented for 'Long'

Tensor with_zeros() { return tensor({2.0, 0.0, 3.0, -1.5, 0.5, 0.0, 0.0, 4.0, 1.5, -2.0, 0.25, 3.0}, {3, 4}, kFloat64); }

}  // namespace

TEST(Cumprod, ValuesAndGradientsWithZerosMatchTorch) {
  const Tensor w = arange(1.0, 13.0, 1.0, kFloat64).reshape({3, 4});
  const std::pair<int64_t, const std::vector<double>*> dims[] = {{1, &k_cumprod1_g}, {-1, &k_cumprod1_g},
                                                                 {0, &k_cumprod0_g}, {-2, &k_cumprod0_g}};
  for (auto [d, want_g] : dims) {
    const Tensor x = leaf(with_zeros());
    const Tensor y = cumprod(x, d);
    expect_values(y, d == 1 || d == -1 ? k_cumprod1 : k_cumprod0);
    expect_values(autograd::grad({(y * w).sum()}, {x})[0], *want_g);
  }
  // Second derivative through the zeros (create_graph).
  const Tensor x = leaf(with_zeros());
  const Tensor g = autograd::grad({(cumprod(x, 1) * w).sum()}, {x}, {}, {.create_graph = true})[0];
  expect_values(autograd::grad({(g * flip(w, {1})).sum()}, {x})[0], k_cumprod_gg);
}

TEST(Cumprod, Gradcheck) {
  auto f = [](const TensorList& in) { return cumprod(in[0], 1); };
  for (const Tensor& x : {with_zeros(), tensor({0.0, 0.0, 1.5, -0.5, 2.0, 0.0}, {2, 3}, kFloat64),
                          randn({3, 4}, kFloat64)}) {
    EXPECT_NO_THROW(gradcheck(f, {leaf(x)}));
    EXPECT_NO_THROW(gradgradcheck(f, {leaf(x)}));
  }
  // A non-contiguous input, along dim 0.
  auto g0 = [](const TensorList& in) { return cumprod(in[0].t(), 0); };
  EXPECT_NO_THROW(gradcheck(g0, {leaf(with_zeros())}));
  EXPECT_NO_THROW(gradgradcheck(g0, {leaf(with_zeros())}));
}

TEST(Cumprod, DtypesShapesAndMethod) {
  const Tensor i = cumprod(tensor({3, -2, 4, 5}, {2, 2}, kInt32), 0);
  EXPECT_EQ(i.dtype(), kInt64);
  expect_values(i, k_cumprod_int);
  const Tensor b = cumprod(tensor({1, 1, 0, 1}, kBool), 0);
  EXPECT_EQ(b.dtype(), kInt64);
  expect_values(b, k_cumprod_bool);
  expect_values(arange(1.0, 7.0).reshape({2, 3}).t().cumprod(1), k_cumprod_t);
  EXPECT_EQ(cumprod(tensor({1.5}, kFloat16), 0).dtype(), kFloat16);
  // Integers wrap on overflow (2^62 * 4), as PyTorch.
  EXPECT_EQ(cumprod(from_vector(std::vector<int64_t>{int64_t{1} << 62, 4}), 0).to_vector<int64_t>()[1], 0);
  EXPECT_EQ(cumprod(scalar_tensor(2.5), 0).item(), 2.5);
  EXPECT_EQ(cumprod(zeros({2, 0}), 1).shape(), Shape({2, 0}));
  EXPECT_ERROR(cumprod(zeros({2, 3}), 2), "cumprod");
}

TEST(Logcumsumexp, ValuesMatchTorch) {
  const Tensor z = tensor({1000.0, 1001.0, -kInf, 999.0, -kInf, -kInf, 0.5, -kInf, -1.0, kInf, 2.0, kNaN}, {3, 4},
                          kFloat64);
  expect_values(logcumsumexp(z, 1), k_lcse1);
  expect_values(logcumsumexp(z, 0), k_lcse0);
  expect_values(z.to(kFloat32).logcumsumexp(-1), k_lcse_f32, 1e-6);
  expect_values(logcumsumexp(z.t(), 1), logcumsumexp(z, 0).t().contiguous().to_vector<double>());
  EXPECT_EQ(logcumsumexp(zeros({0, 3}), 0).shape(), Shape({0, 3}));
  EXPECT_EQ(logcumsumexp(scalar_tensor(0.25), -1).item(), 0.25);
  EXPECT_ERROR(logcumsumexp(tensor({1, 2}, kInt64), 0),
               "logcumsumexp: expected a floating-point input, got dtype int64");
}

TEST(Logcumsumexp, GradientsMatchTorch) {
  const Tensor v = leaf(tensor({0.5, -1.25, 2.0, 0.0, 3.0, 1.0, -2.0, 0.75}, {2, 4}, kFloat64));
  const Tensor w = tensor({1.0, -2.0, 0.5, 3.0, -1.0, 0.0, 2.0, 1.5}, {2, 4}, kFloat64);
  const Tensor y = logcumsumexp(v, -1);
  expect_values(y, k_lcse_v);
  expect_values(autograd::grad({(y * w).sum()}, {v})[0], k_lcse_g);
  const Tensor u = leaf(tensor({0.5, -kInf, 1.0}, kFloat64));
  expect_values(autograd::grad({logcumsumexp(u, 0).sum()}, {u})[0], k_lcse_neginf_g);
  for (int64_t d : {0, 1}) {
    auto f = [d](const TensorList& in) { return logcumsumexp(in[0], d); };
    EXPECT_NO_THROW(gradcheck(f, {leaf(randn({3, 4}, kFloat64))}));
    EXPECT_NO_THROW(gradgradcheck(f, {leaf(randn({3, 4}, kFloat64))}));
  }
}
