// Padding: functional::pad in every mode and the padding layers against PyTorch
// (tests/golden/gen_spatial.py), gradcheck + gradgradcheck, errors; convolutions with a
// padding_mode against PyTorch's modules.
#include <gtest/gtest.h>

#include "golden_cases.h"
#include "soma/soma.h"
#include "spatial_golden.h"

using namespace soma;
using namespace spatial_golden;
using soma::testing::expect_golden;
using soma::testing::expect_golden_cases;
using soma::testing::seq;
namespace F = soma::nn::functional;

TEST(Pad, MatchesTorch) {
  expect_golden_cases({
      {"constant", [](const Tensor& x) { return F::pad(x, {1, 2, 0, 1}, "constant", 0.5); }, {2, 3, 3, 4},
       {2, 3, 4, 7}, pad_const_out, pad_const_grad0},
      {"constant crop", [](const Tensor& x) { return F::pad(x, {-1, 2, 1, -2, 1, 0}, "constant", -1.0); },
       {2, 3, 4, 5}, {2, 4, 3, 6}, pad_crop_out, pad_crop_grad0},
      {"reflect 1d", [](const Tensor& x) { return F::pad(x, {2, 3}, "reflect"); }, {2, 3, 5}, {2, 3, 10},
       pad_reflect1d_out, pad_reflect1d_grad0},
      {"reflect unbatched", [](const Tensor& x) { return F::pad(x, {1, 2}, "reflect"); }, {3, 5}, {3, 8},
       pad_reflect_unbatched_out, pad_reflect_unbatched_grad0},
      {"reflect 2d", [](const Tensor& x) { return F::pad(x, {1, 2, 3, 0}, "reflect"); }, {2, 2, 4, 5}, {2, 2, 7, 8},
       pad_reflect2d_out, pad_reflect2d_grad0},
      {"reflect crop", [](const Tensor& x) { return F::pad(x, {-1, 2}, "reflect"); }, {1, 2, 4}, {1, 2, 5},
       pad_reflect_crop_out, pad_reflect_crop_grad0},
      {"reflect 3d", [](const Tensor& x) { return F::pad(x, {1, 1, 2, 0, 1, 2}, "reflect"); }, {1, 2, 3, 4, 3},
       {1, 2, 6, 6, 5}, pad_reflect3d_out, pad_reflect3d_grad0},
      {"replicate 2d", [](const Tensor& x) { return F::pad(x, {3, 1, 0, 4}, "replicate"); }, {1, 2, 3, 4},
       {1, 2, 7, 8}, pad_replicate2d_out, pad_replicate2d_grad0},
      {"replicate crop", [](const Tensor& x) { return F::pad(x, {-1, 2}, "replicate"); }, {2, 1, 4}, {2, 1, 5},
       pad_replicate_crop_out, pad_replicate_crop_grad0},
      {"replicate 3d unbatched", [](const Tensor& x) { return F::pad(x, {1, 0, 0, 2, 1, 1}, "replicate"); },
       {2, 3, 3, 4}, {2, 5, 5, 5}, pad_replicate3d_out, pad_replicate3d_grad0},
      {"circular 1d", [](const Tensor& x) { return F::pad(x, {2, 1}, "circular"); }, {2, 2, 4}, {2, 2, 7},
       pad_circular1d_out, pad_circular1d_grad0},
      {"circular 2d", [](const Tensor& x) { return F::pad(x, {1, 2, 3, 0}, "circular"); }, {1, 2, 3, 4},
       {1, 2, 6, 7}, pad_circular2d_out, pad_circular2d_grad0},
      {"circular crop", [](const Tensor& x) { return F::pad(x, {-1, 2}, "circular"); }, {1, 2, 4}, {1, 2, 5},
       pad_circular_crop_out, pad_circular_crop_grad0},
      {"circular 3d", [](const Tensor& x) { return F::pad(x, {1, 0, 1, 1, 0, 2}, "circular"); }, {1, 1, 2, 3, 3},
       {1, 1, 4, 5, 4}, pad_circular3d_out, pad_circular3d_grad0},
      {"non-contiguous", [](const Tensor& x) { return F::pad(x.transpose(1, 2), {2, 1, 1, 1}, "reflect"); },
       {1, 4, 3, 5}, {1, 3, 6, 8}, pad_noncontig_out, pad_noncontig_grad0},
  });
}

TEST(Pad, Float32IntegersAndEmptyResults) {
  Tensor x = seq({2, 3, 4}, 0.37, 0.0);
  for (const char* mode : {"constant", "reflect", "replicate", "circular"}) {
    SCOPED_TRACE(mode);
    EXPECT_TRUE(equal(F::pad(x.to(kFloat32), {2, 1}, mode), F::pad(x, {2, 1}, mode).to(kFloat32)));
  }
  Tensor ints = arange(0, 6, 1, kInt64).reshape({2, 3});
  EXPECT_TRUE(equal(F::pad(ints, {1, 0}, "constant", 7), tensor({{7, 0, 1, 2}, {7, 3, 4, 5}}).to(kInt64)));
  EXPECT_TRUE(equal(F::pad(ints, {1, 1}, "reflect"), tensor({{1, 0, 1, 2, 1}, {4, 3, 4, 5, 4}}).to(kInt64)));
  // Cropping everything is allowed in constant and circular mode (as in PyTorch).
  EXPECT_EQ(F::pad(x, {-2, -2}).shape(), Shape({2, 3, 0}));
  EXPECT_EQ(F::pad(x, {-2, -2}, "circular").shape(), Shape({2, 3, 0}));
  // An empty pad list, zero pads and crops return the input's values in a tensor of their own.
  EXPECT_TRUE(equal(F::pad(x, {}), x));
  EXPECT_TRUE(equal(F::pad(x, {0, 0, 0, 0}, "reflect"), x));
  for (Tensor y : {F::pad(x, {}), F::pad(x, {0, 0}, "circular"), F::pad(x, {-1, 0, 0, -1})})
    EXPECT_NE(y.storage(), x.storage());
  // A batch of none pads fine.
  EXPECT_EQ(F::pad(zeros({0, 3, 2}), {1, 1}, "reflect").shape(), Shape({0, 3, 4}));
}

TEST(Pad, GradcheckAndGradgradcheck) {
  Tensor x = seq({2, 2, 4, 3}, 0.37, 0.1).requires_grad_();
  const std::vector<std::vector<int64_t>> pads = {{2, 1, 1, 3}, {-1, 2, 1, -1}, {0, 0, 2, 2}};
  for (const char* mode : {"constant", "reflect", "replicate", "circular"})
    for (const auto& p : pads) {
      SCOPED_TRACE(fmt::format("{} ({})", mode, fmt::join(p, ", ")));
      auto f = [&](const TensorList& t) { return F::pad(t[0], p, mode, std::string_view(mode) == "constant" ? std::optional<double>(1.5) : std::nullopt); };
      EXPECT_NO_THROW(gradcheck(f, {x}));
      EXPECT_NO_THROW(gradgradcheck(f, {x}));
    }
  // A strided input.
  Tensor xt = seq({2, 3, 5}, 0.41, 0.2).transpose(1, 2).requires_grad_();
  auto reflect = [](const TensorList& t) { return F::pad(t[0], {2, 2}, "reflect"); };
  EXPECT_NO_THROW(gradgradcheck(reflect, {xt}));
}

TEST(Pad, ErrorsNameTheLimit) {
  Tensor x = zeros({1, 3, 4});
  EXPECT_ERROR(F::pad(x, {1, 2, 3}), "even length");
  EXPECT_ERROR(F::pad(x, {1, 1, 1, 1, 1, 1, 1, 1}), "too long");
  EXPECT_ERROR(F::pad(x, {1, 1}, "wrap"), "mode must be");
  EXPECT_ERROR(F::pad(x, {4, 0}, "reflect"), "must be smaller than its size 4");
  EXPECT_ERROR(F::pad(x, {0, 4}, "reflect"), "must be smaller than its size 4");
  EXPECT_ERROR(F::pad(x, {-2, -2}, "reflect"), "gives size 0");
  EXPECT_ERROR(F::pad(x, {-4, 0}, "replicate"), "gives size 0");
  EXPECT_ERROR(F::pad(zeros({1, 3, 0}), {1, 1}, "replicate"), "size 0");
  EXPECT_ERROR(F::pad(x, {5, 0}, "circular"), "wraps around more than once");
  // PyTorch 1.13 reads uninitialized memory here; soma refuses: 3 > the 2 elements left.
  EXPECT_ERROR(F::pad(x, {3, -2}, "circular"), "wraps around more than once");
  EXPECT_ERROR(F::pad(x, {-3, -2}), "removes more than its size 4");
  EXPECT_ERROR(F::pad(x, {1, 1}, "reflect", 2.0), "takes no value");
  EXPECT_NO_THROW(F::pad(x, {1, 1}, "reflect", 0.0));
  EXPECT_ERROR(F::pad(zeros({4}), {1, 1}, "reflect"), "needs a 2- or 3-D input");
  EXPECT_ERROR(F::pad(zeros({3, 4}), {1, 1}, "circular"), "needs a 3-D input");
  EXPECT_ERROR(F::pad(zeros({1, 1, 1, 2, 2, 2}), {1, 1, 1, 1, 1, 1}, "replicate"), "needs a 4- or 5-D input");
}

TEST(PadLayers, ShapesReprAndErrors) {
  Tensor x = seq({1, 2, 3, 4}, 0.37, 0.0);
  EXPECT_TRUE(equal(nn::ReflectionPad2d(2)(x), F::pad(x, {2, 2, 2, 2}, "reflect")));
  EXPECT_TRUE(equal(nn::ReplicationPad2d({1, 0, 2, 3})(x), F::pad(x, {1, 0, 2, 3}, "replicate")));
  EXPECT_TRUE(equal(nn::ZeroPad2d({1, 1, 0, 2})(x), F::pad(x, {1, 1, 0, 2})));
  EXPECT_TRUE(equal(nn::ConstantPad1d({-1, 2}, 3.5)(x), F::pad(x, {-1, 2}, "constant", 3.5)));
  EXPECT_EQ(nn::ConstantPad3d(1, 0.0)(zeros({1, 2, 2, 2})).shape(), Shape({1, 4, 4, 4}));
  EXPECT_EQ(nn::ReflectionPad1d(1)(x[0]).shape(), Shape({2, 3, 6}));
  EXPECT_EQ(nn::ReplicationPad3d(1)(zeros({2, 2, 2, 2})).shape(), Shape({2, 4, 4, 4}));
  EXPECT_EQ(nn::ReflectionPad3d({1, 0, 0, 0, 0, 1})(zeros({1, 2, 2, 2, 2})).shape(), Shape({1, 2, 3, 2, 3}));
  EXPECT_EQ(nn::ReflectionPad2d(1).extra_repr(), "(1, 1, 1, 1)");
  EXPECT_EQ(nn::ConstantPad1d({1, 2}, 3.5).extra_repr(), "padding=(1, 2), value=3.5");
  EXPECT_EQ(nn::ZeroPad2d(1).extra_repr(), "(1, 1, 1, 1)");
  EXPECT_EQ(nn::ConstantPad2d(1, 0.0).extra_repr(), "padding=(1, 1, 1, 1), value=0.0");
  EXPECT_EQ(nn::ZeroPad2d(1).type_name(), "ZeroPad2d");
  EXPECT_ERROR(nn::ReflectionPad2d({1, 2, 3}), "ReflectionPad2d: padding must be one number or 4 numbers");
}

// ---- convolutions with a padding_mode -------------------------------------------------------------

namespace {

// PyTorch's nn.Conv2d / Conv1d forward with the given weight and bias.
Tensor conv2d_module(const Tensor& x, const Tensor& w, const Tensor& b, nn::Conv2dOptions o) {
  nn::Conv2d conv(w.size(1), w.size(0), {w.size(2), w.size(3)}, o);
  conv.weight = w;
  conv.bias = b;
  return conv(x);
}

Tensor conv1d_module(const Tensor& x, const Tensor& w, const Tensor& b, nn::Conv1dOptions o) {
  nn::Conv1d conv(w.size(1), w.size(0), w.size(2), o);
  conv.weight = w;
  conv.bias = b;
  return conv(x);
}

}  // namespace

TEST(ConvPaddingMode, MatchesTorch) {
  const struct {
    const char* mode;
    const std::vector<double>&out2, &x2, &w2, &b2, &out1, &x1, &w1, &b1;
  } modes[] = {
      {"reflect", conv2d_reflect_out, conv2d_reflect_grad0, conv2d_reflect_grad1, conv2d_reflect_grad2,
       conv1d_reflect_out, conv1d_reflect_grad0, conv1d_reflect_grad1, conv1d_reflect_grad2},
      {"replicate", conv2d_replicate_out, conv2d_replicate_grad0, conv2d_replicate_grad1, conv2d_replicate_grad2,
       conv1d_replicate_out, conv1d_replicate_grad0, conv1d_replicate_grad1, conv1d_replicate_grad2},
      {"circular", conv2d_circular_out, conv2d_circular_grad0, conv2d_circular_grad1, conv2d_circular_grad2,
       conv1d_circular_out, conv1d_circular_grad0, conv1d_circular_grad1, conv1d_circular_grad2},
  };
  for (const auto& m : modes) {
    SCOPED_TRACE(m.mode);
    expect_golden(
        [&](const TensorList& t) {
          return conv2d_module(t[0], t[1], t[2],
                               {.stride = {2, 1}, .padding = {1, 2}, .padding_mode = m.mode, .dtype = kFloat64});
        },
        {{1, 2, 5, 6}, {3, 2, 3, 2}, {3}}, {1, 3, 3, 9}, m.out2, {m.x2, m.w2, m.b2});
    expect_golden(
        [&](const TensorList& t) {
          return conv1d_module(t[0], t[1], t[2], {.padding = 2, .dilation = 2, .padding_mode = m.mode, .dtype = kFloat64});
        },
        {{2, 2, 7}, {3, 2, 3}, {3}}, {2, 3, 7}, m.out1, {m.x1, m.w1, m.b1});
  }
  expect_golden(
      [](const TensorList& t) {
        return conv2d_module(t[0], t[1], t[2],
                             {.padding = "same", .dilation = {1, 2}, .padding_mode = "reflect", .dtype = kFloat64});
      },
      {{1, 2, 5, 6}, {3, 2, 4, 2}, {3}}, {1, 3, 5, 6}, conv2d_same_reflect_out,
      {conv2d_same_reflect_grad0, conv2d_same_reflect_grad1, conv2d_same_reflect_grad2});
}

TEST(ConvPaddingMode, UnbatchedGradcheckReprAndErrors) {
  // An unbatched input pads like a batch of one, in every mode.
  nn::Conv2d conv(2, 3, 3, {.padding = 1, .padding_mode = "circular", .dtype = kFloat64});
  Tensor x = seq({1, 2, 4, 5}, 0.37, 0.0);
  EXPECT_TRUE(allclose(conv(x[0]), conv(x)[0]));
  EXPECT_EQ(conv(x).shape(), Shape({1, 3, 4, 5}));
  // Zero padding stays the default and unchanged.
  nn::Conv2d zeros_conv(2, 3, 3, {.padding = 1, .dtype = kFloat64});
  EXPECT_TRUE(allclose(zeros_conv(x), F::conv2d(x, zeros_conv.weight, zeros_conv.bias, {.padding = 1})));
  // A padding_mode with no padding convolves the input as it is.
  nn::Conv1d unpadded(2, 3, 3, {.padding_mode = "reflect", .dtype = kFloat64});
  Tensor x1 = seq({2, 2, 6}, 0.41, 0.0);
  EXPECT_TRUE(allclose(unpadded(x1), F::conv1d(x1, unpadded.weight, unpadded.bias)));

  auto f = [](const TensorList& t) {
    return conv2d_module(t[0], t[1], t[2], {.padding = {2, 1}, .padding_mode = "reflect", .dtype = kFloat64});
  };
  TensorList inputs = {seq({1, 2, 4, 3}, 0.37, 0.0).requires_grad_(), seq({2, 2, 2, 2}, 0.48, 0.1).requires_grad_(),
                       seq({2}, 0.59, 0.2).requires_grad_()};
  EXPECT_NO_THROW(gradcheck(f, inputs));
  EXPECT_NO_THROW(gradgradcheck(f, inputs));

  EXPECT_EQ(conv.extra_repr(), "2, 3, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), padding_mode=circular");
  EXPECT_EQ(nn::Conv1d(2, 3, 3, {.padding_mode = "reflect"}).extra_repr(),
            "2, 3, kernel_size=(3,), stride=(1,), padding_mode=reflect");
  EXPECT_ERROR(nn::Conv2d(2, 3, 3, {.padding_mode = "zero"}), "Conv2d: padding_mode must be \"zeros\"");
  EXPECT_ERROR(nn::Conv1d(2, 3, 3, {.padding_mode = "wrap"}), "Conv1d: padding_mode must be");
  // Reflect padding still needs pad < size, as in PyTorch.
  nn::Conv1d wide(1, 1, 3, {.padding = 4, .padding_mode = "reflect"});
  EXPECT_ERROR(wide(zeros({1, 1, 4})), "must be smaller than its size 4");
  EXPECT_ERROR(wide(zeros({4})), "Conv1d: expected a 2-D (unbatched) or 3-D (batched) input");
}
