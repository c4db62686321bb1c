// Resizing: interpolate in every mode, pixel_shuffle / pixel_unshuffle and their layers against
// PyTorch (tests/golden/gen_spatial.py), in float64 (values and gradients) and float32 (values),
// gradcheck + gradgradcheck, errors.
#include <gtest/gtest.h>

#include "golden_cases.h"
#include "soma/soma.h"
#include "spatial_golden.h"

using namespace soma;
using namespace spatial_golden;
using soma::testing::expect_golden_cases;
using soma::testing::expect_values;
using soma::testing::seq;
namespace F = soma::nn::functional;
using Options = F::InterpolateOptions;

namespace {

Tensor resize(const Tensor& x, const Options& o) { return F::interpolate(x, o); }

}  // namespace

TEST(Interpolate, NearestMatchesTorch) {
  expect_golden_cases({
      {"size 1d", [](const Tensor& x) { return resize(x, {.size = {7}}); }, {2, 3, 3}, {2, 3, 7},
       interp_nearest1d_out, interp_nearest1d_grad0},
      {"scale 1.7", [](const Tensor& x) { return resize(x, {.scale_factor = {1.7}}); }, {1, 2, 4, 5}, {1, 2, 6, 8},
       interp_nearest_scale_out, interp_nearest_scale_grad0},
      {"scale 2", [](const Tensor& x) { return resize(x, {.scale_factor = {2}}); }, {1, 1, 3, 3}, {1, 1, 6, 6},
       interp_nearest_scale2_out, interp_nearest_scale2_grad0},
      {"size down", [](const Tensor& x) { return resize(x, {.size = {2, 3}}); }, {1, 2, 5, 7}, {1, 2, 2, 3},
       interp_nearest_down_out, interp_nearest_down_grad0},
      {"scale down", [](const Tensor& x) { return resize(x, {.scale_factor = {0.6, 0.45}}); }, {1, 2, 5, 7},
       {1, 2, 3, 3}, interp_nearest_scale_down_out, interp_nearest_scale_down_grad0},
      {"recompute_scale_factor",
       [](const Tensor& x) { return resize(x, {.scale_factor = {1.7}, .recompute_scale_factor = true}); },
       {1, 2, 4, 5}, {1, 2, 6, 8}, interp_nearest_recompute_out, interp_nearest_recompute_grad0},
      {"same size", [](const Tensor& x) { return resize(x, {.scale_factor = {1.1}}); }, {1, 1, 4, 3}, {1, 1, 4, 3},
       interp_nearest_same_size_out, interp_nearest_same_size_grad0},
      {"nearest-exact", [](const Tensor& x) { return resize(x, {.size = {5, 3}, .mode = "nearest-exact"}); },
       {1, 2, 3, 7}, {1, 2, 5, 3}, interp_nearest_exact_out, interp_nearest_exact_grad0},
      {"nearest-exact scale",
       [](const Tensor& x) { return resize(x, {.scale_factor = {2.5}, .mode = "nearest-exact"}); }, {1, 1, 3, 2},
       {1, 1, 7, 5}, interp_nearest_exact_scale_out, interp_nearest_exact_scale_grad0},
      {"3d", [](const Tensor& x) { return resize(x, {.scale_factor = {1.5, 2.0, 0.5}}); }, {1, 1, 2, 3, 4},
       {1, 1, 3, 6, 2}, interp_nearest3d_out, interp_nearest3d_grad0},
  });
}

TEST(Interpolate, LinearModesMatchTorch) {
  expect_golden_cases({
      {"linear", [](const Tensor& x) { return resize(x, {.size = {7}, .mode = "linear"}); }, {2, 2, 4}, {2, 2, 7},
       interp_linear_out, interp_linear_grad0},
      {"linear align_corners",
       [](const Tensor& x) { return resize(x, {.size = {7}, .mode = "linear", .align_corners = true}); }, {2, 2, 4},
       {2, 2, 7}, interp_linear_align_out, interp_linear_align_grad0},
      {"linear scale", [](const Tensor& x) { return resize(x, {.scale_factor = {2.5}, .mode = "linear"}); },
       {1, 2, 3}, {1, 2, 7}, interp_linear_scale_out, interp_linear_scale_grad0},
      {"linear same size", [](const Tensor& x) { return resize(x, {.scale_factor = {1.1}, .mode = "linear"}); },
       {1, 1, 4}, {1, 1, 4}, interp_linear_same_size_out, interp_linear_same_size_grad0},
      {"bilinear", [](const Tensor& x) { return resize(x, {.size = {5, 7}, .mode = "bilinear"}); }, {2, 2, 3, 4},
       {2, 2, 5, 7}, interp_bilinear_out, interp_bilinear_grad0},
      {"bilinear align_corners",
       [](const Tensor& x) { return resize(x, {.size = {5, 7}, .mode = "bilinear", .align_corners = true}); },
       {2, 2, 3, 4}, {2, 2, 5, 7}, interp_bilinear_align_out, interp_bilinear_align_grad0},
      {"bilinear scale",
       [](const Tensor& x) { return resize(x, {.scale_factor = {1.5, 0.7}, .mode = "bilinear"}); }, {1, 3, 4, 6},
       {1, 3, 6, 4}, interp_bilinear_scale_out, interp_bilinear_scale_grad0},
      {"bilinear recompute_scale_factor",
       [](const Tensor& x) {
         return resize(x, {.scale_factor = {1.5, 0.7}, .mode = "bilinear", .recompute_scale_factor = true});
       },
       {1, 3, 4, 6}, {1, 3, 6, 4}, interp_bilinear_recompute_out, interp_bilinear_recompute_grad0},
      {"bilinear down", [](const Tensor& x) { return resize(x, {.size = {2, 3}, .mode = "bilinear"}); },
       {1, 2, 5, 7}, {1, 2, 2, 3}, interp_bilinear_down_out, interp_bilinear_down_grad0},
      {"bilinear align_corners to one row",
       [](const Tensor& x) { return resize(x, {.size = {1, 3}, .mode = "bilinear", .align_corners = true}); },
       {1, 1, 3, 4}, {1, 1, 1, 3}, interp_bilinear_align_one_out, interp_bilinear_align_one_grad0},
      {"bilinear non-contiguous",
       [](const Tensor& x) { return resize(x.transpose(2, 3), {.size = {6, 4}, .mode = "bilinear"}); },
       {1, 2, 4, 3}, {1, 2, 6, 4}, interp_bilinear_noncontig_out, interp_bilinear_noncontig_grad0},
      {"trilinear", [](const Tensor& x) { return resize(x, {.size = {4, 3, 5}, .mode = "trilinear"}); },
       {1, 2, 3, 2, 3}, {1, 2, 4, 3, 5}, interp_trilinear_out, interp_trilinear_grad0},
      {"trilinear align_corners",
       [](const Tensor& x) { return resize(x, {.scale_factor = {2}, .mode = "trilinear", .align_corners = true}); },
       {1, 1, 2, 2, 3}, {1, 1, 4, 4, 6}, interp_trilinear_align_out, interp_trilinear_align_grad0},
  });
}

TEST(Interpolate, AreaMatchesTorch) {
  expect_golden_cases({
      {"area", [](const Tensor& x) { return resize(x, {.size = {3, 2}, .mode = "area"}); }, {1, 2, 7, 5},
       {1, 2, 3, 2}, interp_area_out, interp_area_grad0},
      {"area 1d scale", [](const Tensor& x) { return resize(x, {.scale_factor = {0.5}, .mode = "area"}); },
       {2, 2, 7}, {2, 2, 3}, interp_area1d_out, interp_area1d_grad0},
  });
}

// float32 inputs: the same positions as PyTorch's and values within a few float roundings of its
// (its kernels round the blends in another order).
TEST(Interpolate, Float32MatchesTorch) {
  const struct {
    const char* name;
    Options options;
    Shape in;
    const std::vector<double>& expected;
  } cases[] = {
      {"nearest scale", {.scale_factor = {1.7}}, {1, 2, 4, 5}, interp_nearest_scale_out32},
      {"nearest scale down", {.scale_factor = {0.6, 0.45}}, {1, 2, 5, 7}, interp_nearest_scale_down_out32},
      {"nearest-exact scale", {.scale_factor = {2.5}, .mode = "nearest-exact"}, {1, 1, 3, 2},
       interp_nearest_exact_scale_out32},
      {"linear scale", {.scale_factor = {2.5}, .mode = "linear"}, {1, 2, 3}, interp_linear_scale_out32},
      {"bilinear", {.size = {5, 7}, .mode = "bilinear"}, {2, 2, 3, 4}, interp_bilinear_out32},
      {"bilinear scale", {.scale_factor = {1.5, 0.7}, .mode = "bilinear"}, {1, 3, 4, 6}, interp_bilinear_scale_out32},
      {"bilinear down", {.size = {2, 3}, .mode = "bilinear"}, {1, 2, 5, 7}, interp_bilinear_down_out32},
      {"trilinear", {.size = {4, 3, 5}, .mode = "trilinear"}, {1, 2, 3, 2, 3}, interp_trilinear_out32},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Tensor y = F::interpolate(seq(c.in, 0.37, 0.0).to(kFloat32), c.options);
    EXPECT_EQ(y.dtype(), kFloat32);
    expect_values(y, c.expected, "float32 output", 1e-6);
  }
}

TEST(Interpolate, GradcheckAndGradgradcheck) {
  Tensor x = seq({1, 2, 3, 4}, 0.37, 0.1).requires_grad_();
  const std::vector<Options> options = {
      {.size = {5, 7}},
      {.scale_factor = {0.6, 1.7}, .mode = "nearest-exact"},
      {.size = {5, 7}, .mode = "bilinear"},
      {.scale_factor = {1.5, 0.7}, .mode = "bilinear", .align_corners = true},
      {.size = {2, 3}, .mode = "area"},
  };
  for (size_t i = 0; i < options.size(); ++i) {
    auto f = [&](const TensorList& t) { return F::interpolate(t[0], options[i]); };
    EXPECT_NO_THROW(gradcheck(f, {x})) << "case " << i;
    EXPECT_NO_THROW(gradgradcheck(f, {x})) << "case " << i;
  }
  Tensor x3 = seq({1, 1, 2, 3, 2}, 0.41, 0.2).requires_grad_();
  auto trilinear = [](const TensorList& t) { return F::interpolate(t[0], {.size = {3, 4, 3}, .mode = "trilinear"}); };
  EXPECT_NO_THROW(gradgradcheck(trilinear, {x3}));
  // A strided input.
  Tensor xt = seq({1, 2, 5, 3}, 0.41, 0.2).transpose(2, 3).requires_grad_();
  auto linear = [](const TensorList& t) { return F::interpolate(t[0], {.size = {4, 6}, .mode = "bilinear"}); };
  EXPECT_NO_THROW(gradgradcheck(linear, {xt}));
}

TEST(Interpolate, ErrorsNameTheProblem) {
  Tensor x = zeros({1, 2, 3, 4});
  EXPECT_ERROR(F::interpolate(x, {}), "either size or scale_factor must be given");
  EXPECT_ERROR(F::interpolate(x, {.size = {4}, .scale_factor = {2}}), "only one of size or scale_factor");
  EXPECT_ERROR(F::interpolate(x, {.size = {4, 5, 6}}), "size must have one value or one per spatial dim (2), got 3");
  EXPECT_ERROR(F::interpolate(x, {.scale_factor = {2, 2, 2}}), "scale_factor must have one value or one per");
  EXPECT_ERROR(F::interpolate(x, {.size = {4}, .mode = "linear"}), "got a 4-D input, but mode \"linear\" needs a 3-D");
  EXPECT_ERROR(F::interpolate(zeros({1, 2, 3}), {.size = {4}, .mode = "bilinear"}), "needs a 4-D input");
  EXPECT_ERROR(F::interpolate(x, {.size = {4}, .align_corners = false}), "align_corners can only be set");
  EXPECT_ERROR(F::interpolate(x, {.size = {4}, .recompute_scale_factor = true}), "not meaningful with an explicit size");
  EXPECT_ERROR(F::interpolate(x, {.size = {4}, .mode = "bicubic"}), "mode must be");
  EXPECT_ERROR(F::interpolate(zeros({2, 3}), {.size = {4}}), "expected a batched input");
  EXPECT_ERROR(F::interpolate(zeros({1, 2, 3}, kInt64), {.size = {4}}), "float32 or float64");
  EXPECT_ERROR(F::interpolate(x, {.size = {0, 4}}), "output sizes must be positive");
  EXPECT_ERROR(F::interpolate(x, {.scale_factor = {0.2}}), "output sizes must be positive");
  EXPECT_ERROR(F::interpolate(x, {.scale_factor = {-2}}), "scale_factor must be positive and finite");
  EXPECT_ERROR(F::interpolate(zeros({1, 2, 0, 4}), {.size = {4}}), "input and output sizes must be positive");
  EXPECT_ERROR(F::interpolate(zeros({1, 1, 2, 2, 2}), {.size = {1}, .mode = "area"}), "3-D and 4-D inputs");
}

TEST(PixelShuffle, MatchesTorch) {
  expect_golden_cases({
      {"shuffle", [](const Tensor& x) { return F::pixel_shuffle(x, 2); }, {2, 8, 2, 3}, {2, 2, 4, 6},
       pixel_shuffle_out, pixel_shuffle_grad0},
      {"shuffle, extra batch dims", [](const Tensor& x) { return F::pixel_shuffle(x, 3); }, {2, 1, 9, 1, 2},
       {2, 1, 1, 3, 6}, pixel_shuffle_batch_dims_out, pixel_shuffle_batch_dims_grad0},
      {"unshuffle", [](const Tensor& x) { return F::pixel_unshuffle(x, 2); }, {1, 2, 4, 6}, {1, 8, 2, 3},
       pixel_unshuffle_out, pixel_unshuffle_grad0},
      {"unshuffle unbatched", [](const Tensor& x) { return F::pixel_unshuffle(x, 3); }, {1, 3, 6}, {9, 1, 2},
       pixel_unshuffle_unbatched_out, pixel_unshuffle_unbatched_grad0},
  });
}

TEST(PixelShuffle, InverseGradcheckAndErrors) {
  Tensor x = seq({2, 3, 4, 6}, 0.37, 0.0).transpose(2, 3);  // [2, 3, 6, 4], strided
  EXPECT_TRUE(equal(F::pixel_shuffle(F::pixel_unshuffle(x, 2), 2), x));
  EXPECT_TRUE(equal(nn::PixelShuffle(2)(nn::PixelUnshuffle(2)(x.to(kFloat32))), x.to(kFloat32)));
  auto f = [](const TensorList& t) { return F::pixel_shuffle(t[0], 2); };
  EXPECT_NO_THROW(gradgradcheck(f, {seq({1, 4, 2, 3}, 0.41, 0.2).requires_grad_()}));
  EXPECT_EQ(nn::PixelShuffle(3).extra_repr(), "upscale_factor=3");
  EXPECT_EQ(nn::PixelUnshuffle(2).extra_repr(), "downscale_factor=2");
  EXPECT_ERROR(F::pixel_shuffle(zeros({1, 6, 2, 2}), 2), "must be divisible by upscale_factor^2 = 4");
  EXPECT_ERROR(F::pixel_shuffle(zeros({4, 2}), 2), "at least 3 dims");
  EXPECT_ERROR(F::pixel_shuffle(zeros({1, 4, 2, 2}), 0), "upscale_factor must be positive");
  EXPECT_ERROR(F::pixel_unshuffle(zeros({1, 1, 4, 5}), 2), "must be divisible by downscale_factor 2");
}

TEST(UpsampleLayers, CallInterpolate) {
  Tensor x = seq({1, 2, 3, 4}, 0.37, 0.0);
  nn::Upsample up({.scale_factor = {2}, .mode = "bilinear"});
  EXPECT_TRUE(equal(up(x), F::interpolate(x, {.scale_factor = {2}, .mode = "bilinear"})));
  EXPECT_EQ(up.extra_repr(), "scale_factor=2.0, mode=bilinear");
  EXPECT_EQ(nn::Upsample({.size = {4, 6}}).extra_repr(), "size=(4, 6), mode=nearest");
  nn::UpsamplingBilinear2d bilinear({.size = {5, 7}});
  EXPECT_TRUE(equal(bilinear(x), F::interpolate(x, {.size = {5, 7}, .mode = "bilinear", .align_corners = true})));
  EXPECT_EQ(bilinear.type_name(), "UpsamplingBilinear2d");
  nn::UpsamplingNearest2d nearest({.scale_factor = {3}});
  EXPECT_TRUE(equal(nearest(x), F::interpolate(x, {.scale_factor = {3}})));
  EXPECT_EQ(nearest.type_name(), "UpsamplingNearest2d");
}
