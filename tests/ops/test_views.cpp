// Shape ops: views share storage, PyTorch semantics, gradients to second order, errors.
#include "index_helpers.h"

using namespace soma;
using namespace index_test;

namespace {

Tensor iota(const Shape& shape) { return arange(0, shape.numel(), 1, kFloat64).view(shape); }

void check_grads(const std::function<Tensor(const TensorList&)>& f, const TensorList& inputs) {
  EXPECT_NO_THROW(gradcheck(f, inputs));
  EXPECT_NO_THROW(gradgradcheck(f, inputs));
}

void check_grads_multi(const GradcheckFn& f, const TensorList& inputs) {
  EXPECT_NO_THROW(gradcheck(f, inputs));
  EXPECT_NO_THROW(gradgradcheck(f, inputs));
}

}  // namespace

// Golden values: tests/golden/gen_index.py.
const std::vector<double> kUnfold1d = {0.0, 1.0, 2.0, 2.0, 3.0, 4.0, 4.0, 5.0, 6.0, 6.0, 7.0, 8.0};  // shape [4, 3]
const std::vector<double> kUnfold2d = {0.5, -1.0, -1.0, 2.0, 2.0, 3.5, 4.0, -2.5, -2.5, 0.0, 0.0, 1.5, 7.0, 6.0, 6.0, -3.0, -3.0, 2.5};  // shape [3, 3, 2]
const std::vector<double> kUnfoldDim0 = {0.5, 4.0, -1.0, -2.5, 2.0, 0.0, 3.5, 1.5, 4.0, 7.0, -2.5, 6.0, 0.0, -3.0, 1.5, 2.5};  // shape [2, 4, 2]
const std::vector<double> kFlip = {2.5, -3.0, 6.0, 7.0, 1.5, 0.0, -2.5, 4.0, 3.5, 2.0, -1.0, 0.5};  // shape [3, 4]
const std::vector<double> kFlipDim1 = {3.5, 2.0, -1.0, 0.5, 1.5, 0.0, -2.5, 4.0, 2.5, -3.0, 6.0, 7.0};  // shape [3, 4]
const std::vector<double> kSliceStep = {-1.0, 3.5, -2.5, 1.5, 6.0, 2.5};  // shape [3, 2]
const std::vector<double> kSliceNeg = {-2.5, 0.0, 6.0, -3.0};  // shape [2, 2]
const std::vector<double> kCat = {0.5, 1.0, 1.0, 3.5, 4.0, 1.0, 1.0, 1.5, 7.0, 1.0, 1.0, 2.5};  // shape [3, 4]
const std::vector<double> kStack1 = {0.5, 7.0, -1.0, 6.0, 2.0, -3.0, 3.5, 2.5};  // shape [4, 2]
const std::vector<double> kMovedim = {0.0, 4.0, 8.0, 12.0, 16.0, 20.0, 1.0, 5.0, 9.0, 13.0, 17.0, 21.0, 2.0, 6.0, 10.0, 14.0, 18.0, 22.0, 3.0, 7.0, 11.0, 15.0, 19.0, 23.0};  // shape [4, 2, 3]

TEST(Views, SliceNarrowSelectMatchPython) {
  Tensor x = golden_x();
  expect_values(x.slice(1, 1, std::nullopt, 2), {3, 2}, kSliceStep);
  expect_values(x.slice(0, -2, std::nullopt).slice(1, -3, -1), {2, 2}, kSliceNeg);
  expect_values(x.slice(1, -100, 100), {3, 4}, x.to_vector<double>());  // clamped like Python
  EXPECT_EQ(x.slice(1, 3, 1).shape(), Shape({3, 0}));
  EXPECT_EQ(x.slice(0, 5, std::nullopt).shape(), Shape({0, 4}));
  expect_values(x.narrow(1, -2, 2), {3, 2}, {2.0, 3.5, 0.0, 1.5, -3.0, 2.5});
  expect_values(x.select(1, -1), {3}, {3.5, 1.5, 2.5});
  expect_values(x[2], {4}, {7.0, 6.0, -3.0, 2.5});
  expect_values(x.select(0, 1).select(0, 1), {}, {-2.5});
}

TEST(Views, WritesThroughViewsShowInTheBase) {
  Tensor x = iota({3, 4});
  x.slice(1, 0, std::nullopt, 2).fill_(-1);
  x.select(0, 2).narrow(0, 1, 2).fill_(9);
  expect_values(x, {3, 4}, {-1, 1, -1, 3, -1, 5, -1, 7, -1, 9, 9, 11});
  TensorList parts = x.split(2, 1);
  parts[1].fill_(0);
  expect_values(x.select(1, 3), {3}, {0, 0, 0});
  Tensor w = x.unfold(1, 2, 2);
  w.select(2, 0).fill_(5);
  expect_values(x.select(0, 0), {4}, {5, 1, 5, 0});
  Tensor f = x.view({12});
  EXPECT_EQ(f.storage(), x.storage());
  EXPECT_EQ(x.unflatten(1, {2, 2}).storage(), x.storage());
  EXPECT_EQ(x.chunk(2, 0)[1].storage(), x.storage());
  EXPECT_EQ(movedim(x, 0, 1).storage(), x.storage());
  EXPECT_EQ(broadcast_to(x.select(0, 0), {5, 4}).storage(), x.storage());
  EXPECT_NE(flip(x, {0}).storage(), x.storage());  // flip copies
}

TEST(Views, FlattenUnflattenMovedim) {
  Tensor x = iota({2, 3, 4});
  EXPECT_EQ(x.flatten().shape(), Shape({24}));
  EXPECT_EQ(x.flatten(1).shape(), Shape({2, 12}));
  EXPECT_EQ(x.flatten(0, 1).shape(), Shape({6, 4}));
  EXPECT_EQ(x.flatten(-1).shape(), Shape({2, 3, 4}));
  EXPECT_EQ(scalar_tensor(3.0).flatten().shape(), Shape({1}));
  Tensor t = x.transpose(0, 2).flatten(1);  // not viewable: a copy with the right values
  expect_values(t.select(0, 1), {6}, {1, 13, 5, 17, 9, 21});
  EXPECT_EQ(x.unflatten(2, {2, -1}).shape(), Shape({2, 3, 2, 2}));
  EXPECT_EQ(x.unflatten(-3, {1, 2}).shape(), Shape({1, 2, 3, 4}));
  expect_values(movedim(x, 2, 0), {4, 2, 3}, kMovedim);
  EXPECT_EQ(movedim(x, 0, -1).shape(), Shape({3, 4, 2}));
}

TEST(Views, UnfoldMatchesTorch) {
  expect_values(arange(0, 10, 1, kFloat64).unfold(0, 3, 2), {4, 3}, kUnfold1d);
  expect_values(golden_x().unfold(1, 2, 1), {3, 3, 2}, kUnfold2d);
  expect_values(golden_x().unfold(0, 2, 1), {2, 4, 2}, kUnfoldDim0);
  EXPECT_EQ(iota({5}).unfold(0, 0, 2).shape(), Shape({3, 0}));
}

TEST(Views, SplitAndChunkSizes) {
  auto sizes = [](const TensorList& ts) {
    std::vector<int64_t> s;
    for (const Tensor& t : ts) s.push_back(t.size(0));
    return s;
  };
  // Chunk sizes as PyTorch gives them (tests/golden/gen_index.py).
  EXPECT_EQ(sizes(iota({5}).chunk(3)), (std::vector<int64_t>{2, 2, 1}));
  EXPECT_EQ(sizes(iota({6}).chunk(4)), (std::vector<int64_t>{2, 2, 2}));
  EXPECT_EQ(sizes(iota({0}).chunk(3)), (std::vector<int64_t>{0, 0, 0}));
  EXPECT_EQ(sizes(iota({7}).split(3)), (std::vector<int64_t>{3, 3, 1}));
  EXPECT_EQ(sizes(split(iota({7}), std::vector<int64_t>{4, 0, 3})), (std::vector<int64_t>{4, 0, 3}));
  TensorList p = iota({2, 5}).split(2, -1);
  expect_values(p[2], {2, 1}, {4, 9});
}

TEST(Views, CatStackFlipMatchTorch) {
  Tensor x = golden_x();
  Tensor c = cat({x.slice(1, 0, 1), ones({3, 2}, kInt64), x.slice(1, 3, 4)}, 1);
  EXPECT_EQ(c.dtype(), kFloat64);
  expect_values(c, {3, 4}, kCat);
  EXPECT_EQ(cat({ones({2}, kInt64), ones({2}, kFloat32)}).dtype(), kFloat32);
  // A 1-D empty tensor is skipped but still takes part in type promotion.
  Tensor skipped = cat({empty({0}, kFloat64), ones({2, 3}, kInt32)});
  EXPECT_EQ(skipped.dtype(), kFloat64);
  EXPECT_EQ(skipped.shape(), Shape({2, 3}));
  expect_values(cat({iota({2, 2}), iota({1, 2})}, -2), {3, 2}, {0, 1, 2, 3, 0, 1});
  expect_values(stack({x[0], x[2]}, 1), {4, 2}, kStack1);
  EXPECT_EQ(stack({x, x, x}, -1).shape(), Shape({3, 4, 3}));
  expect_values(flip(x, {0, 1}), {3, 4}, kFlip);
  expect_values(flip(x, {-1}), {3, 4}, kFlipDim1);
  expect_values(flip(x.t(), {1}), {4, 3}, flip(x, {0}).t().to_vector<double>());
  expect_values(flip(scalar_tensor(2.0), {0}), {}, {2.0});
}

TEST(Views, GradientsOfSlicingViews) {
  Tensor x = leaf({4, 5}, 1);
  check_grads([](const TensorList& v) { return v[0].narrow(1, 1, 3); }, {x});
  check_grads([](const TensorList& v) { return v[0].t().slice(0, 1, std::nullopt, 2); }, {x});
  check_grads([](const TensorList& v) { return v[0].slice(1, -4, -1, 2).select(0, -1); }, {x});
  check_grads([](const TensorList& v) { return v[0].t().select(1, 2) * v[0].select(0, 0); }, {x});
  check_grads([](const TensorList& v) { return v[0].flatten().unflatten(0, {2, 10}); }, {x});
  check_grads([](const TensorList& v) { return v[0].t().flatten(); }, {x});
  check_grads([](const TensorList& v) { return movedim(v[0].unsqueeze(0), 0, 2) * 2.0; }, {x});
}

TEST(Views, GradientsOfUnfold) {
  Tensor x = leaf({3, 7}, 2);
  check_grads([](const TensorList& v) { return v[0].unfold(1, 3, 2); }, {x});  // overlapping windows
  check_grads([](const TensorList& v) { return v[0].unfold(1, 2, 3); }, {x});  // gaps between windows
  check_grads([](const TensorList& v) { return v[0].t().unfold(0, 4, 1) * v[0].t().unfold(0, 4, 1); }, {x});
  // Overlapping windows accumulate: each element's gradient counts its windows.
  Tensor y = ones({6}, kFloat64).requires_grad_();
  y.unfold(0, 3, 1).sum().backward();
  expect_values(y.grad(), {6}, {1, 2, 3, 3, 2, 1});
}

TEST(Views, GradientsOfSplitAndChunk) {
  Tensor x = leaf({5, 3}, 3);
  // Only some outputs used: the others' gradients count as zero.
  check_grads_multi([](const TensorList& v) { TensorList p = v[0].split(2); return TensorList{p[0] * p[0], p[2]}; },
                    {x});
  check_grads_multi([](const TensorList& v) { return v[0].t().chunk(2, 1); }, {x});
  check_grads_multi([](const TensorList& v) { return split(v[0], std::vector<int64_t>{1, 2}, 1); }, {x});
  Tensor y = leaf({6}, 4);
  (y.chunk(3)[1] * 2.0).sum().backward();
  expect_values(y.grad(), {6}, {0, 0, 2, 2, 0, 0});
}

TEST(Views, GradientsOfCatStackFlip) {
  Tensor a = leaf({2, 3}, 5), b = leaf({3, 3}, 6), c = leaf({3, 2}, 7);
  check_grads([](const TensorList& v) { return cat({v[0], v[1].t(), v[2].t()}, 0); }, {a, b, c});
  check_grads([](const TensorList& v) { return cat({v[1], v[2]}, -1) * cat({v[2], v[1]}, 1); }, {a, b, c});
  check_grads([](const TensorList& v) { return stack({v[1], v[1].t(), cat({v[0], v[2].t().slice(0, 1, 2)})}, 1); }, {a, b, c});
  check_grads([](const TensorList& v) { return flip(v[1].t(), {0, 1}) * v[1]; }, {a, b, c});
  // Mixed dtypes: the gradient comes back in each input's dtype.
  Tensor f = ones({2}, kFloat32).requires_grad_();
  Tensor d = ones({2}, kFloat64).requires_grad_();
  (cat({f, d}) * 3.0).sum().backward();
  EXPECT_EQ(f.grad().dtype(), kFloat32);
  expect_values(f.grad(), {2}, {3, 3});
  // More inputs than fit in a gradient mask.
  TensorList many;
  for (int i = 0; i < 70; ++i) many.push_back(ones({1}, kFloat64).requires_grad_());
  cat(many).sum().backward();
  EXPECT_EQ(many[69].grad().item(), 1.0);
}

TEST(Views, BadArgumentsThrow) {
  Tensor x = iota({3, 4});
  expect_error([&] { x.narrow(1, 3, 2); }, "narrow: start 3 + length 2 exceeds the size 4 of dim 1");
  expect_error([&] { x.narrow(0, 5, 0); }, "narrow: start 5 is out of range for dim 0 of size 3");
  expect_error([&] { x.slice(0, 0, 2, 0); }, "slice: step must be positive, got 0");
  expect_error([&] { x.slice(2, 0, 1); }, "slice: dim 2 is out of range");
  expect_error([&] { x.select(1, -5); }, "select: index -5 is out of range for dim 1 of size 4");
  expect_error([&] { scalar_tensor(1.0).select(0, 0); }, "select: cannot select from a 0-d tensor");
  expect_error([&] { x.flatten(1, 0); }, "flatten: start_dim 1 comes after end_dim 0");
  expect_error([&] { x.unflatten(1, {3, -1}); }, "unflatten: shape [3, -1] is invalid");
  expect_error([&] { x.unfold(1, 5, 1); }, "unfold: window size 5 is out of range for dim 1 of size 4");
  expect_error([&] { x.unfold(1, 2, 0); }, "unfold: step must be positive");
  expect_error([&] { x.split(0); }, "split: split_size must be positive, got 0");
  expect_error([&] { split(x, std::vector<int64_t>{1, 1}, 0); }, "split: sizes [1, 1] add up to 2, not to the size 3");
  expect_error([&] { x.chunk(0); }, "chunk: the number of chunks must be positive");
  expect_error([&] { cat({}); }, "cat: expected a non-empty list");
  expect_error([&] { cat({x, iota({3, 5})}); }, "cat: sizes must match except in dim 0, got shapes [3, 4] and [3, 5]");
  expect_error([&] { cat({x, iota({12})}); }, "cat: tensors must have the same number of dims");
  expect_error([&] { cat({x, scalar_tensor(1.0)}); }, "cat: a 0-d tensor (at position 1)");
  expect_error([&] { stack({x, x.t()}); }, "stack: expects tensors of equal shape, got [3, 4] (at position 0) and [4, 3]");
  expect_error([&] { flip(x, {1, -1}); }, "flip: dim 1 appears more than once");
  expect_error([&] { movedim(x, 2, 0); }, "movedim: dim 2 is out of range");
}
