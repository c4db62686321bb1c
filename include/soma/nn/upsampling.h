#pragma once
// Resizing layers (torch.nn's): Upsample, UpsamplingNearest2d, UpsamplingBilinear2d,
// PixelShuffle, PixelUnshuffle; each calls its functional form (soma/nn/functional/upsampling.h).
//
//   nn::Upsample up({.scale_factor = {2}, .mode = "bilinear"});   // [N, C, H, W] -> [N, C, 2H, 2W]
//   nn::PixelShuffle shuffle(3);                                  // [N, 9C, H, W] -> [N, C, 3H, 3W]
#include <string>
#include <vector>

#include "soma/nn/functional/upsampling.h"
#include "soma/nn/module.h"

namespace soma::nn {

using UpsampleOptions = functional::InterpolateOptions;

class Upsample : public Module {
 public:
  explicit Upsample(const UpsampleOptions& options) : Module("Upsample"), options(options) {}
  Tensor forward(const Tensor& input) override { return functional::interpolate(input, options); }
  std::string extra_repr() const override;

  UpsampleOptions options;

 protected:
  Upsample(const char* name, const UpsampleOptions& options) : Module(name), options(options) {}
};

// The output size or the scale factor of the fixed-mode upsampling layers.
struct UpsamplingOptions {
  std::vector<int64_t> size = {};
  std::vector<double> scale_factor = {};
};

// Upsample with mode "nearest" on [N, C, H, W].
class UpsamplingNearest2d : public Upsample {
 public:
  explicit UpsamplingNearest2d(const UpsamplingOptions& o);
};

// Upsample with mode "bilinear" and align_corners = true on [N, C, H, W].
class UpsamplingBilinear2d : public Upsample {
 public:
  explicit UpsamplingBilinear2d(const UpsamplingOptions& o);
};

class PixelShuffle : public Module {
 public:
  explicit PixelShuffle(int64_t upscale_factor) : Module("PixelShuffle"), upscale_factor(upscale_factor) {}
  Tensor forward(const Tensor& input) override { return functional::pixel_shuffle(input, upscale_factor); }
  std::string extra_repr() const override { return "upscale_factor=" + std::to_string(upscale_factor); }

  int64_t upscale_factor;
};

class PixelUnshuffle : public Module {
 public:
  explicit PixelUnshuffle(int64_t downscale_factor) : Module("PixelUnshuffle"), downscale_factor(downscale_factor) {}
  Tensor forward(const Tensor& input) override { return functional::pixel_unshuffle(input, downscale_factor); }
  std::string extra_repr() const override { return "downscale_factor=" + std::to_string(downscale_factor); }

  int64_t downscale_factor;
};

}  // namespace soma::nn
