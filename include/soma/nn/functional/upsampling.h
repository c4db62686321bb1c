#pragma once
// Resizing (torch.nn.functional.interpolate, pixel_shuffle, pixel_unshuffle).
//
// interpolate resizes the spatial dims of a batched input [N, C, L], [N, C, H, W] or
// [N, C, D, H, W] (float32 or float64) to `size`, or by `scale_factor` (output size
// floor(in * scale_factor)). Modes, with PyTorch 1.13's source-index formulas:
//   "nearest"        src = floor(dst * scale), scale = 1 / scale_factor if given, else in / out
//   "nearest-exact"  src = floor((dst + 0.5) * scale)
//   "linear" (3-D input), "bilinear" (4-D), "trilinear" (5-D): with align_corners, the corner
//                    pixels' centres line up (src = dst * (in - 1) / (out - 1)); without, src =
//                    max((dst + 0.5) * scale - 0.5, 0), blending the two nearest inputs
//   "area"           adaptive average pooling to the output size (3-D and 4-D inputs)
// When scale_factor is given and recompute_scale_factor is not true, the scale in these formulas
// is 1 / scale_factor (not in / out), as in PyTorch. align_corners may only be set for the
// linear modes (default false). Differentiable to any order (index_select and arithmetic).
//
//   Tensor up = nn::functional::interpolate(x, {.scale_factor = {2}, .mode = "bilinear"});
//   Tensor y = nn::functional::interpolate(x, {.size = {7, 9}, .mode = "bilinear", .align_corners = true});
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "soma/tensor.h"

namespace soma::nn::functional {

struct InterpolateOptions {
  std::vector<int64_t> size = {};        // output spatial size: one value for every dim, or one per dim
  std::vector<double> scale_factor = {};  // or a multiplier: one for every dim, or one per dim
  std::string mode = "nearest";
  std::optional<bool> align_corners = std::nullopt;
  // true: compute the output size from scale_factor, then use in / out as the scale.
  std::optional<bool> recompute_scale_factor = std::nullopt;
};

Tensor interpolate(const Tensor& input, const InterpolateOptions& options);

// [*, C * r * r, H, W] -> [*, C, H * r, W * r]: out[c, h * r + i, w * r + j] = in[c * r * r + i * r + j, h, w].
Tensor pixel_shuffle(const Tensor& input, int64_t upscale_factor);
// The inverse: [*, C, H * r, W * r] -> [*, C * r * r, H, W].
Tensor pixel_unshuffle(const Tensor& input, int64_t downscale_factor);

}  // namespace soma::nn::functional
