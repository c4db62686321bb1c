// Gather/scatter/mask/sort ops: values against torch, fast kernels against plain loops,
// gradients to second order, errors.
#include <algorithm>
#include <numeric>

#include "index_helpers.h"

using namespace soma;
using namespace index_test;

namespace {

Tensor idx2(std::initializer_list<std::initializer_list<double>> rows) { return tensor(rows, kInt64); }
Tensor idx(std::initializer_list<double> values) { return tensor(values, kInt64); }

void check_grads(const std::function<Tensor(const TensorList&)>& f, const TensorList& inputs) {
  EXPECT_NO_THROW(gradcheck(f, inputs));
  EXPECT_NO_THROW(gradgradcheck(f, inputs));
}

// Random integers in [0, high) (duplicates likely).
Tensor random_index(const Shape& shape, int64_t high, uint64_t seed) {
  Generator gen(seed);
  return (rand(shape, kFloat64, &gen) * static_cast<double>(high)).to(kInt64);
}

// ---- plain single-threaded references ----------------------------------------------------------

// Calls f(p) for every multi-index p of shape, in row-major order.
template <class F>
void for_positions(const Shape& shape, F f) {
  Shape p(shape.size(), 0);
  for (int64_t e = 0; e < shape.numel(); ++e) {
    f(p);
    for (int64_t d = shape.size() - 1; d >= 0; --d) {
      if (++p[d] < shape[d]) break;
      p[d] = 0;
    }
  }
}

int64_t linear(const Shape& p, const Shape& shape) {
  int64_t off = 0;
  for (int64_t d = 0; d < shape.size(); ++d) off = off * shape[d] + p[d];
  return off;
}

std::vector<double> gather_ref(const Tensor& a, int64_t dim, const Tensor& index) {
  auto av = a.to_vector<double>();
  auto iv = index.to_vector<int64_t>();
  std::vector<double> out(index.numel());
  for_positions(index.shape(), [&](Shape p) {
    const int64_t o = linear(p, index.shape());
    p[dim] = iv[o];
    out[o] = av[linear(p, a.shape())];
  });
  return out;
}

std::vector<double> scatter_add_ref(const Tensor& a, int64_t dim, const Tensor& index, const Tensor& src) {
  auto out = a.to_vector<double>();
  auto iv = index.to_vector<int64_t>();
  auto sv = src.to_vector<double>();
  for_positions(index.shape(), [&](Shape p) {
    const double v = sv[linear(p, src.shape())];
    p[dim] = iv[linear(p, index.shape())];
    out[linear(p, a.shape())] += v;
  });
  return out;
}

std::vector<double> index_select_ref(const Tensor& a, int64_t dim, const Tensor& index) {
  auto av = a.to_vector<double>();
  auto iv = index.to_vector<int64_t>();
  Shape shape = a.shape();
  shape[dim] = index.numel();
  std::vector<double> out;
  for_positions(shape, [&](Shape p) {
    p[dim] = iv[p[dim]];
    out.push_back(av[linear(p, a.shape())]);
  });
  return out;
}

// Stable sort of every row of a 2-D tensor (NaN largest): values and indices.
std::pair<std::vector<double>, std::vector<int64_t>> sort_rows_ref(const Tensor& a, bool descending) {
  auto av = a.to_vector<double>();
  const int64_t rows = a.size(0), n = a.size(1);
  std::vector<double> values;
  std::vector<int64_t> indices;
  for (int64_t r = 0; r < rows; ++r) {
    std::vector<int64_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    auto key = [&](int64_t j) { return av[r * n + j]; };
    std::stable_sort(order.begin(), order.end(), [&](int64_t i, int64_t j) {
      const double x = key(i), y = key(j);
      if (std::isnan(x) || std::isnan(y)) return descending ? !std::isnan(y) : !std::isnan(x);
      return descending ? x > y : x < y;
    });
    for (int64_t j : order) {
      values.push_back(key(j));
      indices.push_back(j);
    }
  }
  return {values, indices};
}

void expect_same(const std::vector<double>& got, const std::vector<double>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i)
    if (!(std::isnan(got[i]) && std::isnan(want[i]))) {
      ASSERT_EQ(got[i], want[i]) << "element " << i;
    }
}

// Runs f with 1 and with 4 threads and expects identical results.
void expect_thread_independent(const std::function<Tensor()>& f) {
  const int saved = get_num_threads();
  set_num_threads(1);
  auto one = f().to_vector<double>();
  set_num_threads(4);
  auto four = f().to_vector<double>();
  set_num_threads(saved);
  expect_same(four, one);
}

}  // namespace

// Golden values: tests/golden/gen_index.py.
const std::vector<double> kGatherDim1 = {0.5, 0.5, 3.5, -2.5, 0.0, -2.5, 2.5, 2.5, 7.0};  // shape [3, 3]
const std::vector<double> kGatherDim0 = {7.0, -2.5, 2.0, 3.5, 0.5, -1.0, 0.0, 2.5};  // shape [2, 4]
const std::vector<double> kScatterDim1 = {0.5, -1.0, 2.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, -2.5, 0.0, 7.0, 0.0, -3.0, 0.0};  // shape [3, 5]
const std::vector<double> kScatterAddDim1 = {1.5, 0.0, 3.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 2.5, 1.0, 8.0, 1.0, 4.0, 1.0};  // shape [3, 5]
const std::vector<double> kScatterValue = {-7.0, -7.0, -7.0, 0.0, 0.0, -7.0, 0.0, 0.0, 0.0, -7.0, 0.0, -7.0, 0.0, -7.0, 0.0};  // shape [3, 5]
const std::vector<double> kScatterAddDim0 = {0.0, -1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 5.0, 0.0, 0.0, 0.0, 0.0, 4.5, -2.5, 2.0, 0.0};  // shape [4, 4]
const std::vector<double> kIndexSelectDim0 = {7.0, 6.0, -3.0, 2.5, 0.5, -1.0, 2.0, 3.5, 7.0, 6.0, -3.0, 2.5};  // shape [3, 4]
const std::vector<double> kIndexSelectDim1 = {3.5, -1.0, 1.5, -2.5, 2.5, 6.0};  // shape [3, 2]
const std::vector<double> kIndexAddDim0 = {8.5, 9.0, 14.0, 17.5, 4.0, -2.5, 0.0, 1.5, 11.0, 11.0, 3.0, 9.5};  // shape [3, 4]
const std::vector<double> kIndexAddDim1 = {0.5, -1.0, 2.0, 4.5, 4.0, -2.5, 0.0, 6.5, 7.0, 6.0, -3.0, 11.5};  // shape [3, 4]
const std::vector<double> kTakeAlongDim = {-1.0, 4.0, 2.5};  // shape [3, 1]
const std::vector<double> kTakeAlongBroadcast = {2.0, 0.5, 0.0, 4.0, -3.0, 7.0};  // shape [3, 2]
const std::vector<double> kMaskedFill = {-1.0, -1.0, -1.0, 3.5, 4.0, -2.5, -1.0, -1.0, -1.0, -1.0, -3.0, 2.5};  // shape [3, 4]
const std::vector<double> kMaskedFillRow = {0.5, 9.0, 9.0, 3.5, 4.0, 9.0, 9.0, 1.5, 7.0, 9.0, 9.0, 2.5};  // shape [3, 4]
const std::vector<double> kMaskedSelect = {0.5, 2.0, 0.0, 1.5, 7.0, 6.0};  // shape [6]
const std::vector<double> kMaskedSelectRow = {-1.0, 2.0, -2.5, 0.0, 6.0, -3.0};  // shape [6]
const std::vector<double> kNonzero = {0, 1, 1, 0, 1, 2};  // shape [3, 2]
const std::vector<double> kNonzero3d = {0, 0, 0, 0, 1, 1, 0, 2, 2, 1, 0, 3, 1, 2, 0};  // shape [5, 3]
const std::vector<double> kNonzeroTransposed = {0, 0, 0, 0, 2, 1, 1, 1, 0, 2, 2, 0, 3, 0, 1};  // shape [5, 3]
const std::vector<double> kSortNaNValues = {-kInf, 0.0, 1.0, 1.0, 3.0, 3.0, 3.0, kInf, kNaN, kNaN};  // shape [10]
const std::vector<double> kSortNaNIndices = {4, 7, 2, 5, 0, 3, 9, 8, 1, 6};  // shape [10]
const std::vector<double> kSortNaNDescValues = {kNaN, kNaN, kInf, 3.0, 3.0, 3.0, 1.0, 1.0, 0.0, -kInf};  // shape [10]
const std::vector<double> kSortNaNDescIndices = {1, 6, 8, 0, 3, 9, 2, 5, 7, 4};  // shape [10]
const std::vector<double> kSortDim0DescValues = {7.0, 6.0, 2.0, 3.5, 4.0, -1.0, 0.0, 2.5, 0.5, -2.5, -3.0, 1.5};  // shape [3, 4]
const std::vector<double> kSortDim0DescIndices = {2, 2, 0, 0, 1, 0, 1, 2, 0, 1, 2, 1};  // shape [3, 4]
const std::vector<double> kSortDim1Values = {-1.0, 0.5, 2.0, 3.5, -2.5, 0.0, 1.5, 4.0, -3.0, 2.5, 6.0, 7.0};  // shape [3, 4]
const std::vector<double> kSortDim1Indices = {1, 0, 2, 3, 1, 2, 3, 0, 2, 3, 1, 0};  // shape [3, 4]
const std::vector<double> kTopkLargestValues = {3.5, 2.0, 4.0, 1.5, 7.0, 6.0};  // shape [3, 2]
const std::vector<double> kTopkLargestIndices = {3, 2, 0, 3, 0, 1};  // shape [3, 2]
const std::vector<double> kTopkSmallestValues = {0.5, -2.5, -3.0, 1.5, 4.0, -1.0, 0.0, 2.5};  // shape [2, 4]
const std::vector<double> kTopkSmallestIndices = {0, 1, 2, 1, 1, 0, 1, 2};  // shape [2, 4]
const std::vector<double> kSortIntDescValues = {5, 5, 5, 2, 1, 0, -3, -3};  // shape [8]
const std::vector<double> kSortIntDescIndices = {0, 2, 6, 4, 7, 3, 1, 5};  // shape [8]

TEST(Indexing, GatherScatterMatchTorch) {
  Tensor x = golden_x();
  Tensor s_idx = idx2({{0, 1, 2}, {4, 4, 0}, {1, 3, 3}});
  expect_values(x.gather(1, idx2({{0, 0, 3}, {1, 2, 1}, {3, 3, 0}})), {3, 3}, kGatherDim1);
  expect_values(x.gather(0, idx2({{2, 1, 0, 0}, {0, 0, 1, 2}})), {2, 4}, kGatherDim0);
  expect_values(zeros({3, 5}, kFloat64).scatter(1, s_idx, x), {3, 5}, kScatterDim1);
  expect_values(ones({3, 5}, kFloat64).scatter_add(1, s_idx, x), {3, 5}, kScatterAddDim1);
  expect_values(scatter(zeros({3, 5}, kFloat64), 1, s_idx, -7.0), {3, 5}, kScatterValue);
  expect_values(zeros({4, 4}, kFloat64).scatter_add(0, idx2({{3, 0, 3, 1}, {3, 3, 0, 1}}), x), {4, 4}, kScatterAddDim0);
  expect_values(x.index_select(0, idx({2, 0, 2})), {3, 4}, kIndexSelectDim0);
  expect_values(x.index_select(1, idx({3, 1}).to(kInt32)), {3, 2}, kIndexSelectDim1);  // int32 indices work too
  expect_values(index_add(x, 0, idx({0, 2, 0}), arange(0, 12, 1, kFloat64).view({3, 4})), {3, 4}, kIndexAddDim0);
  expect_values(index_add(x, 1, idx({3, 3}), arange(0, 6, 1, kFloat64).view({3, 2})), {3, 4}, kIndexAddDim1);
  expect_values(x.take_along_dim(idx2({{1}, {0}, {3}}), 1), {3, 1}, kTakeAlongDim);
  expect_values(x.take_along_dim(idx2({{2, 0}}), 1), {3, 2}, kTakeAlongBroadcast);
  expect_values(x.take_along_dim(x.argsort(1), 1), {3, 4}, kSortDim1Values);
  // Integer, bool and half dtypes move through unchanged.
  expect_values(x.to(kInt32).gather(1, idx2({{3}, {0}, {1}})), {3, 1}, {3, 4, 6});
  expect_values(x.to(kBFloat16).index_select(0, idx({1})), {1, 4}, {4.0, -2.5, 0.0, 1.5});
  expect_values(zeros({2}, kBool).scatter_add(0, idx({1, 1}), ones({2}, kBool)), {2}, {0, 1});
}

TEST(Indexing, MasksAndNonzeroMatchTorch) {
  Tensor x = golden_x();
  Tensor m = tensor({{1, 0, 1, 0}, {0, 0, 1, 1}, {1, 1, 0, 0}}, kBool);
  Tensor row = tensor({0, 1, 1, 0}, kBool);
  expect_values(x.masked_fill(m, -1.0), {3, 4}, kMaskedFill);
  expect_values(x.masked_fill(row, 9), {3, 4}, kMaskedFillRow);
  expect_values(x.masked_select(m), {6}, kMaskedSelect);
  expect_values(x.masked_select(row), {6}, kMaskedSelectRow);
  expect_values(x.t().masked_select(m.t()), {6}, x.t().contiguous().masked_select(m.t().contiguous()).to_vector<double>());
  expect_values(tensor({{0.0, 1.0, 0.0}, {2.0, 0.0, kNaN}}).nonzero(), {3, 2}, kNonzero);
  Tensor mod5 = tensor({0, 5, 10, 15, 20}, kInt64);  // (arange(24) % 5 == 0) as a bool tensor
  Tensor b = zeros({24}, kBool).scatter(0, mod5, ones({5}, kBool)).view({2, 3, 4});
  expect_values(b.nonzero(), {5, 3}, kNonzero3d);
  expect_values(b.transpose(0, 2).nonzero(), {5, 3}, kNonzeroTransposed);
  EXPECT_EQ(zeros({3, 0}).nonzero().shape(), Shape({0, 2}));
  EXPECT_EQ(scalar_tensor(2.0).nonzero().shape(), Shape({1, 0}));
  // In place: writes self and moves the version counter.
  Tensor y = x.clone();
  const uint32_t v = y.version();
  y.masked_fill_(row, 9.0);
  EXPECT_GT(y.version(), v);
  expect_values(y, {3, 4}, kMaskedFillRow);
  expect_values(one_hot(idx({2, 0, 1, 2})), {4, 3}, {0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1});
  expect_values(one_hot(idx2({{1}, {0}}), 4), {2, 1, 4}, {0, 1, 0, 0, 1, 0, 0, 0});
}

TEST(Indexing, SortAndTopkMatchTorch) {
  Tensor v = tensor({3.0, kNaN, 1.0, 3.0, -kInf, 1.0, kNaN, 0.0, kInf, 3.0}, kFloat64);
  auto [sv, si] = v.sort();
  expect_values(sv, {10}, kSortNaNValues);
  expect_values(si, {10}, kSortNaNIndices);
  auto [dv, di] = v.sort(0, /*descending=*/true);
  expect_values(dv, {10}, kSortNaNDescValues);
  expect_values(di, {10}, kSortNaNDescIndices);
  Tensor x = golden_x();
  auto [v0, i0] = x.sort(0, true);
  expect_values(v0, {3, 4}, kSortDim0DescValues);
  expect_values(i0, {3, 4}, kSortDim0DescIndices);
  auto [v1, i1] = x.sort(1);
  expect_values(v1, {3, 4}, kSortDim1Values);
  expect_values(i1, {3, 4}, kSortDim1Indices);
  expect_values(x.t().argsort(0), {4, 3}, i1.t().to_vector<double>());
  auto [tv, ti] = x.topk(2, 1);
  expect_values(tv, {3, 2}, kTopkLargestValues);
  expect_values(ti, {3, 2}, kTopkLargestIndices);
  auto [sv2, si2] = x.topk(2, 0, /*largest=*/false);
  expect_values(sv2, {2, 4}, kTopkSmallestValues);
  expect_values(si2, {2, 4}, kTopkSmallestIndices);
  auto [iv, ii] = tensor({5, -3, 5, 0, 2, -3, 5, 1}, kInt32).sort(0, true);
  EXPECT_EQ(iv.dtype(), kInt32);
  expect_values(iv, {8}, kSortIntDescValues);
  expect_values(ii, {8}, kSortIntDescIndices);
  expect_values(x.to(kFloat16).sort(1).first, {3, 4}, kSortDim1Values);
  EXPECT_EQ(x.topk(0).first.shape(), Shape({3, 0}));
  expect_values(scalar_tensor(4.0).sort().first, {}, {4.0});
}

TEST(Indexing, GatherScatterKernelsMatchPlainLoops) {
  // Sizes above the parallel grain, odd sizes, non-contiguous inputs, duplicate indices.
  Generator gen(11);
  Tensor a = randn({301, 257}, kFloat64, &gen).t();  // [257, 301], transposed
  Tensor gi = random_index({257, 199}, 301, 12);
  expect_same(a.gather(1, gi).to_vector<double>(), gather_ref(a, 1, gi));
  Tensor gi0 = random_index({129, 301}, 257, 13);
  expect_same(a.gather(0, gi0).to_vector<double>(), gather_ref(a, 0, gi0));
  Tensor src = randn({257, 400}, kFloat64, &gen).slice(1, 0, std::nullopt, 2);  // [257, 200], strided
  Tensor target = randn({257, 301}, kFloat64, &gen);
  expect_same(target.scatter_add(1, gi, src).to_vector<double>(), scatter_add_ref(target, 1, gi, src));
  expect_same(target.scatter_add(0, gi0.slice(0, 0, 100), a).to_vector<double>(),
              scatter_add_ref(target, 0, gi0.slice(0, 0, 100), a));
  // Embedding-style lookups and their gradient (index_add).
  Tensor weight = randn({1000, 67}, kFloat64, &gen);
  Tensor ids = random_index({701}, 1000, 14);
  expect_same(weight.index_select(0, ids).to_vector<double>(), index_select_ref(weight, 0, ids));
  Tensor ids50 = random_index({50}, 301, 15);
  expect_same(a.index_select(1, ids50).to_vector<double>(), index_select_ref(a, 1, ids50));
  Tensor rows = randn({701, 67}, kFloat64, &gen);
  Tensor ids2 = ids.unsqueeze(1).expand({701, 67});
  expect_same(index_add(zeros({1000, 67}, kFloat64), 0, ids, rows).to_vector<double>(),
              scatter_add_ref(zeros({1000, 67}, kFloat64), 0, ids2, rows));
  expect_thread_independent([&] { return a.gather(1, gi); });
  expect_thread_independent([&] { return target.scatter_add(1, gi, src); });
  expect_thread_independent([&] { return target.scatter(1, gi, src); });
  expect_thread_independent([&] { return index_add(zeros({1000, 67}, kFloat64), 0, ids, rows); });
}

TEST(Indexing, SortKernelMatchesPlainStableSort) {
  Generator gen(21);
  // Rounded values give many ties; a few NaNs.
  Tensor x = (randn({67, 1031}, kFloat64, &gen) * 4.0).to(kInt64).to(kFloat64);
  x.select(0, 3).narrow(0, 10, 5).fill_(kNaN);
  x.select(1, 7).narrow(0, 2, 3).fill_(kNaN);
  for (bool desc : {false, true}) {
    auto [v, i] = x.sort(1, desc);
    auto [rv, ri] = sort_rows_ref(x, desc);
    expect_same(v.to_vector<double>(), rv);
    EXPECT_EQ(i.to_vector<int64_t>(), ri);
    auto [tv, ti] = x.topk(13, 1, desc);
    auto [tv2, ti2] = x.sort(1, desc);
    expect_same(tv.to_vector<double>(), tv2.narrow(1, 0, 13).to_vector<double>());
    EXPECT_EQ(ti.to_vector<int64_t>(), ti2.narrow(1, 0, 13).to_vector<int64_t>());
    // Along dim 0 of the same data: the sort of the transposed rows.
    auto [v0, i0] = x.sort(0, desc);
    auto [rv0, ri0] = sort_rows_ref(x.t(), desc);
    expect_same(v0.t().to_vector<double>(), rv0);
    EXPECT_EQ(i0.t().to_vector<int64_t>(), ri0);
  }
  expect_thread_independent([&] { return x.sort(1).second; });
  expect_thread_independent([&] { return x.topk(5, 0).second; });
}

TEST(Indexing, GradientsOfGatherScatter) {
  Tensor x = leaf({4, 5}, 31), s = leaf({4, 5}, 32);
  Tensor gi = idx2({{0, 4, 4}, {1, 1, 0}, {3, 2, 2}});        // duplicates
  Tensor ui = idx2({{0, 4, 2}, {1, 3, 0}, {3, 2, 4}});        // unique per row (scatter)
  check_grads([&](const TensorList& v) { return v[0].t().gather(0, gi); }, {x});
  check_grads([&](const TensorList& v) { return v[0].gather(1, gi) * v[0].gather(1, gi); }, {x});
  check_grads([&](const TensorList& v) { return v[0].scatter(1, ui, v[1].t()); }, {x, s});  // src larger than index
  check_grads([&](const TensorList& v) { return v[0].scatter(1, ui, v[1]) * v[1]; }, {x, s});
  check_grads([&](const TensorList& v) { return scatter(v[0] * v[0], 1, ui, 2.5); }, {x});
  check_grads([&](const TensorList& v) { return v[0].scatter_add(1, gi, v[1].t()); }, {x, s});
  check_grads([&](const TensorList& v) { return v[0].scatter_add(1, gi, v[1] * v[1]); }, {x, s});
  check_grads([&](const TensorList& v) { return v[0].take_along_dim(idx2({{2, 0}}), 1); }, {x});
}

TEST(Indexing, GradientsOfIndexSelectAndAdd) {
  Tensor x = leaf({4, 5}, 33), s = leaf({3, 3}, 34);
  Tensor ids = idx({2, 0, 2});
  check_grads([&](const TensorList& v) { return v[0].index_select(0, ids); }, {x});
  check_grads([&](const TensorList& v) { return v[0].t().index_select(0, ids) * v[0].index_select(1, ids).t(); }, {x});
  check_grads([&](const TensorList& v) { return index_add(v[0].slice(1, 0, std::nullopt, 2).t(), 1, ids, v[1].t()); },
              {x, s});
  check_grads([&](const TensorList& v) { return index_add(v[0], 0, ids, v[1].t() * v[1].t().narrow(1, 0, 5) ); },
              {x, leaf({5, 3}, 35)});
}

TEST(Indexing, GradientsOfMasksAndSorts) {
  Tensor x = leaf({3, 4}, 36);
  Tensor m = tensor({{1, 0, 1, 0}, {0, 0, 1, 1}, {1, 1, 0, 0}}, kBool);
  Tensor row = tensor({0, 1, 1, 0}, kBool);
  check_grads([&](const TensorList& v) { return v[0].t().masked_fill(m.t(), 3.0) * v[0].t(); }, {x});
  check_grads([&](const TensorList& v) { return v[0].select(0, 1).masked_fill(m, 0.0); }, {x});  // broadcast input
  check_grads([&](const TensorList& v) { return v[0].masked_select(row) * v[0].masked_select(row); }, {x});
  check_grads([&](const TensorList& v) { return v[0].select(0, 2).masked_select(m); }, {x});  // broadcast input
  check_grads([&](const TensorList& v) { return v[0].t().sort(1, true).first; }, {x});
  check_grads([&](const TensorList& v) { return v[0].sort(0).first * v[0]; }, {x});
  check_grads([&](const TensorList& v) { return v[0].t().topk(2, 0).first; }, {x});
  check_grads([&](const TensorList& v) { return v[0].topk(3, 1, false).first.pow(2.0); }, {x});
  // In-place masked_fill_ records a gradient that is zero at the mask.
  Tensor y = ones({4}, kFloat64).requires_grad_();
  Tensor z = y * 2.0;
  z.masked_fill_(tensor({1, 0, 0, 1}, kBool), 5.0);
  z.sum().backward();
  expect_values(y.grad(), {4}, {0, 2, 2, 0});
}

TEST(Indexing, BadArgumentsThrow) {
  Tensor x = golden_x();
  expect_error([&] { x.gather(1, idx2({{0}, {4}, {1}})); }, "gather: index 4 is out of bounds for dim 1 with size 4");
  expect_error([&] { x.gather(0, idx2({{-1, 0}})); }, "gather: index -1 is out of bounds for dim 0 with size 3");
  expect_error([&] { x.gather(1, idx({0, 1})); }, "gather: index of shape [2] must have as many dims as the input of shape [3, 4]");
  expect_error([&] { x.gather(1, zeros({4, 1}, kInt64)); }, "gather: index of shape [4, 1] is larger than the input of shape [3, 4] in dim 0");
  expect_error([&] { x.gather(1, zeros({3, 1})); }, "gather: index must be an int64 or int32 tensor, got float32");
  expect_error([&] { x.gather(2, idx2({{0}})); }, "gather: dim 2 is out of range");
  expect_error([&] { x.index_select(0, idx({0, 3})); }, "index_select: index 3 is out of bounds for dim 0 with size 3");
  expect_error([&] { x.index_select(0, idx2({{0}})); }, "index_select: index must be 0-d or 1-D, got shape [1, 1]");
  expect_error([&] { x.scatter(1, idx2({{5}}), x); }, "scatter: index 5 is out of bounds for dim 1 with size 4");
  expect_error([&] { x.scatter(1, idx2({{0}}), x.to(kFloat32)); }, "scatter: src has dtype float32 but the input has dtype float64");
  expect_error([&] { x.scatter_add(1, zeros({1, 5}, kInt64), x); }, "scatter_add: index of shape [1, 5] is larger than src of shape [3, 4] in dim 1");
  expect_error([&] { scatter(x, 0, idx2({{3}}), 1.0); }, "scatter: index 3 is out of bounds for dim 0 with size 3");
  expect_error([&] { index_add(x, 0, idx({0, 1}), ones({2, 3}, kFloat64)); }, "index_add: src of shape [2, 3] does not match the input of shape [3, 4]");
  expect_error([&] { index_add(x, 1, idx({4}), ones({3, 1}, kFloat64)); }, "index_add: index 4 is out of bounds for dim 1 with size 4");
  expect_error([&] { x.take_along_dim(idx({0, 1}), 0); }, "take_along_dim: indices of shape [2] must have as many dims");
  expect_error([&] { x.take_along_dim(idx2({{0, 3, 1, 1}}), 0); }, "take_along_dim: index 3 is out of bounds for dim 0 with size 3");
  expect_error([&] { x.masked_fill(ones({3, 4}), 0.0); }, "masked_fill: mask must be a bool tensor, got float32");
  expect_error([&] { x.masked_fill(ones({2, 4}, kBool), 0.0); }, "masked_fill: shapes [3, 4] and [2, 4] cannot be broadcast");
  expect_error([&] { x.masked_select(ones({4}, kInt64)); }, "masked_select: mask must be a bool tensor, got int64");
  expect_error([&] { x.clone().masked_fill_(ones({2, 3, 4}, kBool), 0.0); }, "masked_fill_: a mask of shape [2, 3, 4] cannot be broadcast to the in-place shape [3, 4]");
  expect_error([&] { x.topk(5, 1); }, "topk: k = 5 is out of range for dim 1 of size 4");
  expect_error([&] { x.sort(-3); }, "sort: dim -3 is out of range");
  expect_error([&] { one_hot(idx({0, 3}), 3); }, "one_hot: class index 3 is out of range for 3 classes");
  expect_error([&] { one_hot(idx({-1})); }, "one_hot: class index -1 is out of range");
  expect_error([&] { one_hot(x); }, "one_hot: index must be an int64 or int32 tensor, got float64");
  expect_error([&] { one_hot(empty({0}, kInt64)); }, "one_hot: cannot infer the number of classes from an empty tensor");
}
