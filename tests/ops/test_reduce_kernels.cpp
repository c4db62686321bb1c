// The fast reduction, scan and softmax kernels against their plain single-threaded reference
// loops, on random data: sizes above the parallel grain and the piece size, odd sizes, and
// non-contiguous inputs. Plus: results do not depend on the thread count.
#include <gtest/gtest.h>

#include <cmath>

#include "kernels/cpu/reduce.h"
#include "soma/soma.h"

using namespace soma;
using kernels::ReduceOp;

namespace {

// A view of `base` with the given geometry (like torch.as_strided).
Tensor strided(const Tensor& base, const Shape& shape, const Shape& strides) {
  return Tensor(base.storage(), shape, strides, base.offset(), base.dtype());
}

// Element i (row-major) of a float32 tensor of any strides.
float& element(const Tensor& t, int64_t i) {
  int64_t off = 0;
  for (int64_t d = t.dim() - 1; d >= 0; --d) {
    off += (i % t.shape()[d]) * t.strides()[d];
    i /= t.shape()[d];
  }
  return t.data<float>()[off];
}

std::vector<bool> mask_of(const Tensor& x, const Dims& dims) {
  std::vector<bool> m(x.dim(), dims.empty());
  for (int64_t d : dims) m[d] = true;
  return m;
}

Shape kept_shape(const Tensor& x, const std::vector<bool>& m) {
  Shape s;
  for (int64_t d = 0; d < x.dim(); ++d)
    if (!m[d]) s.push_back(x.shape()[d]);
  return s;
}

struct Case {
  const char* name;
  Tensor x;
  Dims dims;
};

// Inputs covering the rows form (with and without pieces), the columns form (with and without
// row pieces), the copy fallback, transposed, permuted, strided and broadcast inputs.
std::vector<Case> cases(DType dt) {
  Generator gen(11);
  auto r = [&](const Shape& s) { return randn(s, dt, &gen); };
  Tensor big = r({100003});
  Tensor m = r({37, 1029});
  Tensor w = r({40, 4100});
  Tensor cube = r({6, 40, 130});
  Tensor base = r({64, 98});
  return {
      {"full 100003", big, {}},
      {"rows [37,1029] dim 1", m, {1}},
      {"cols [37,1029] dim 0", m, {0}},
      {"cols many tiles [40,4100] dim 0", w, {0}},
      {"rows [40,4100] dim 1", w, {1}},
      {"long rows [3,50000] dim 1", r({3, 50000}), {1}},
      {"tall [50000,3] dim 0", r({50000, 3}), {0}},
      {"copy fallback [6,40,130] dims 0,2", cube, {0, 2}},
      {"3-D middle dim", cube, {1}},
      {"transposed dim 0", m.t(), {0}},
      {"transposed dim 1", m.t(), {1}},
      {"transposed full", m.t(), {}},
      {"permuted dim 1", cube.permute({2, 0, 1}), {1}},
      {"strided columns dim 0", strided(base, {64, 49}, {98, 2}), {0}},
      {"strided columns dim 1", strided(base, {64, 49}, {98, 2}), {1}},
      {"broadcast dim 0", r({77}).expand({500, 77}), {0}},
      {"size-1 dims", r({1, 513, 1, 3}), {0, 1}},
  };
}

void expect_close(const Tensor& got, const Tensor& want, double rtol, double atol, const std::string& what) {
  auto g = got.to_vector<double>(), w = want.to_vector<double>();
  ASSERT_EQ(g.size(), w.size()) << what;
  for (size_t i = 0; i < g.size(); ++i) {
    if (std::isnan(w[i])) {
      EXPECT_TRUE(std::isnan(g[i])) << what << " at " << i;
      continue;
    }
    ASSERT_NEAR(g[i], w[i], atol + rtol * std::abs(w[i])) << what << " at " << i;
  }
}

}  // namespace

TEST(ReduceKernels, MatchReferenceFloat32) {
  const std::pair<ReduceOp, const char*> ops[] = {{ReduceOp::Sum, "sum"},         {ReduceOp::Max, "max"},
                                                  {ReduceOp::Min, "min"},         {ReduceOp::AbsSum, "abs sum"},
                                                  {ReduceOp::SumSquares, "sumsq"}, {ReduceOp::AbsMax, "abs max"},
                                                  {ReduceOp::PowSum, "pow sum"}};
  for (const Case& c : cases(kFloat32)) {
    const auto m = mask_of(c.x, c.dims);
    for (auto [op, op_name] : ops) {
      Tensor fast = empty(kept_shape(c.x, m)), ref = empty(kept_shape(c.x, m));
      kernels::reduce(fast, c.x, m, op, 3.0);
      kernels::reduce_reference(ref, c.x, m, op, 3.0);
      // Pairwise float32 sums vs float64 accumulation: relative to the sum of magnitudes.
      Tensor scale = empty(kept_shape(c.x, m));
      kernels::reduce_reference(scale, c.x, m, op == ReduceOp::SumSquares ? op : op == ReduceOp::PowSum ? op : ReduceOp::AbsSum, 3.0);
      auto f = fast.to_vector<double>(), r = ref.to_vector<double>(), s = scale.to_vector<double>();
      for (size_t i = 0; i < f.size(); ++i)
        ASSERT_NEAR(f[i], r[i], 2e-6 * s[i] + 1e-6) << c.name << ", " << op_name << ", element " << i;
    }
  }
}

TEST(ReduceKernels, MatchReferenceExactTypes) {
  // int64 sums and products, float64 products near 1, bool max/min (any/all): exact or tight.
  for (const Case& c : cases(kFloat64)) {
    const auto m = mask_of(c.x, c.dims);
    Tensor xi = (c.x * 100.0).to(kInt64);
    Tensor fi = empty(kept_shape(c.x, m), kInt64), ri = empty(kept_shape(c.x, m), kInt64);
    kernels::reduce(fi, xi, m, ReduceOp::Sum);
    kernels::reduce_reference(ri, xi, m, ReduceOp::Sum);
    EXPECT_EQ(fi.to_vector<int64_t>(), ri.to_vector<int64_t>()) << c.name;

    Tensor xp = c.x * 1e-3 + 1.0;
    Tensor fp = empty(kept_shape(c.x, m), kFloat64), rp = empty(kept_shape(c.x, m), kFloat64);
    kernels::reduce(fp, xp, m, ReduceOp::Prod);
    kernels::reduce_reference(rp, xp, m, ReduceOp::Prod);
    expect_close(fp, rp, 1e-12, 0, std::string(c.name) + " prod");

    Tensor xb = (c.x * 0.3).to(kInt64).to(kBool);  // mostly false
    for (ReduceOp op : {ReduceOp::Max, ReduceOp::Min}) {
      Tensor fb = empty(kept_shape(c.x, m), kBool), rb = empty(kept_shape(c.x, m), kBool);
      kernels::reduce(fb, xb, m, op);
      kernels::reduce_reference(rb, xb, m, op);
      EXPECT_EQ(fb.to_vector<bool>(), rb.to_vector<bool>()) << c.name;
    }
  }
}

TEST(ReduceKernels, ArgReduceMatchesReference) {
  for (const Case& c : cases(kFloat32)) {
    if (c.dims.size() != 1) continue;
    // Few distinct values (many ties), written through the view; a NaN in some lines.
    Tensor x = c.x;
    x.copy_((x * 2.0).to(kInt64).to(kFloat32));
    if (x.numel() > 1000) element(x, 7) = element(x, x.numel() / 2) = std::nanf("");
    const int64_t d = c.dims[0];
    Shape out = kept_shape(x, mask_of(x, c.dims));
    for (bool is_max : {true, false}) {
      Tensor fv = empty(out), fi = empty(out, kInt64), rv = empty(out), ri = empty(out, kInt64);
      kernels::arg_reduce(fv, fi, x, d, is_max);
      kernels::arg_reduce_reference(rv, ri, x, d, is_max);
      EXPECT_EQ(fi.to_vector<int64_t>(), ri.to_vector<int64_t>()) << c.name;
      expect_close(fv, rv, 0, 0, c.name);
    }
  }
}

TEST(ReduceKernels, ArgReduceAcrossPieces) {
  // A row long enough to be cut into pieces (of 32768): the extreme tied in a later piece and
  // an earlier one, then a NaN in a later piece; values against the plain loop and by hand.
  Generator gen(3);
  Tensor x = randn({100003}, kFloat32, &gen);
  float* p = x.data<float>();
  auto check = [&](int64_t want_max, int64_t want_min, const char* what) {
    for (bool is_max : {true, false}) {
      Tensor fv = empty({}), fi = empty({}, kInt64), rv = empty({}), ri = empty({}, kInt64);
      kernels::arg_reduce(fv, fi, x, 0, is_max);
      kernels::arg_reduce_reference(rv, ri, x, 0, is_max);
      EXPECT_EQ(fi.item<int64_t>(), ri.item<int64_t>()) << what;
      EXPECT_EQ(fi.item<int64_t>(), is_max ? want_max : want_min) << what;
      EXPECT_EQ(std::isnan(fv.item<double>()), std::isnan(rv.item<double>())) << what;
    }
  };
  p[70000] = p[40000] = p[99999] = 9.0f;
  p[65536] = p[1] = -9.0f;
  check(40000, 1, "ties");
  p[80000] = p[99000] = std::nanf("");
  check(80000, 80000, "NaN in a later piece");
  p[100002] = p[5] = std::nanf("");
  check(5, 5, "NaN in the first piece and in the tail");
}

TEST(ReduceKernels, NaNPropagatesFromAnyPosition) {
  // In a block, in the whole-lane tail, in the padded tail, and in a later piece.
  for (int64_t at : {0, 100, 2047, 2048, 4100, 4101, 32767, 40000, 100002}) {
    Tensor x = randn({100003});
    x.data<float>()[at] = std::nanf("");
    for (ReduceOp op : {ReduceOp::Sum, ReduceOp::Max, ReduceOp::Min, ReduceOp::AbsMax}) {
      Tensor out = empty({});
      kernels::reduce(out, x, {true}, op);
      EXPECT_TRUE(std::isnan(out.item<double>())) << "NaN at " << at << ", op " << static_cast<int>(op);
    }
  }
}

TEST(ReduceKernels, CumsumSoftmaxLogsumexpMatchReference) {
  for (const Case& c : cases(kFloat32)) {
    if (c.dims.size() != 1 || c.x.numel() > 300000) continue;
    const int64_t d = c.dims[0];
    Tensor f = empty(c.x.shape()), r = empty(c.x.shape());
    kernels::cumsum(f, c.x, d);
    kernels::cumsum_reference(r, c.x, d);
    expect_close(f, r, 0, 0, std::string(c.name) + " cumsum");
    Tensor fl = empty(kept_shape(c.x, mask_of(c.x, c.dims))), rl = empty(fl.shape());
    kernels::logsumexp(fl, c.x, d);
    kernels::logsumexp_reference(rl, c.x, d);
    expect_close(fl, rl, 2e-6, 1e-6, std::string(c.name) + " logsumexp");
    for (bool log : {false, true}) {
      kernels::softmax(f, c.x, d, log);
      kernels::softmax_reference(r, c.x, d, log);
      expect_close(f, r, 2e-6, 1e-7, std::string(c.name) + (log ? " log_softmax" : " softmax"));
    }
  }
}

TEST(ReduceKernels, VarRowsMatchesReference) {
  Generator gen(4);
  for (const Shape& shape : {Shape{37, 1029}, Shape{3, 50000}, Shape{100003}, Shape{5, 1}}) {
    Tensor x = randn(shape, kFloat32, &gen) * 2.0 + 10.0;  // an offset mean: cancellation if done naively
    Shape out;
    for (int64_t d = 0; d + 1 < shape.size(); ++d) out.push_back(shape[d]);
    for (int64_t correction : {0, 1}) {
      Tensor f = empty(out), r = empty(out);
      kernels::var_rows(f, x, correction);
      kernels::var_rows_reference(r, x, correction);
      if (shape.back() == 1 && correction == 1) {
        EXPECT_TRUE(std::isnan(f.to_vector<double>()[0]));
        continue;
      }
      expect_close(f, r, 1e-5, 0, "var rows");
    }
  }
}

TEST(ReduceKernels, ResultsDoNotDependOnThreadCount) {
  Generator gen(5);
  Tensor big = randn({(1 << 20) + 7}, kFloat32, &gen);
  Tensor m = randn({2048, 300}, kFloat32, &gen);
  Tensor tall = randn({40000, 5}, kFloat32, &gen);
  auto run = [&] {
    return TensorList{big.sum(),          m.sum({0}),       m.sum({1}),         tall.sum({0}),     m.t().sum({0}),
                      m.softmax(1),       m.log_softmax(0),   m.logsumexp({1}),   m.logsumexp({0}),   m.var({1}), m.cumsum(0),        big.norm(),        m.amax({0}),
                      std::get<1>(m.max(0)), std::get<1>(m.max(1)), big.argmax(),      big.max()};
  };
  const int before = get_num_threads();
  set_num_threads(1);
  TensorList one = run();
  set_num_threads(2);
  TensorList two = run();
  set_num_threads(before);
  for (size_t i = 0; i < one.size(); ++i)
    EXPECT_EQ(one[i].to_vector<double>(), two[i].to_vector<double>()) << "result " << i;
}
