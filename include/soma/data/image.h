#pragma once
// Image files to tensors [C, H, W]: PNG (8- or 16-bit gray, gray + alpha, RGB, RGBA, palette,
// with transparency as an alpha channel) and PGM (P2 text, P5 binary, maxval up to 65535).
// Float results are scaled to [0, 1] (value / maxval); uint8 results keep 8-bit samples (16-bit
// samples are scaled down to 8 bits). Corrupt or truncated files throw an Error naming the file.
#include <string>
#include <string_view>

#include "soma/tensor.h"

namespace soma::data {

struct ImageOptions {
  DType dtype = kFloat32;  // float32 in [0, 1], or uint8
};

Tensor read_png(const std::string& path, const ImageOptions& options = {});
Tensor read_pgm(const std::string& path, const ImageOptions& options = {});
// PNG or PGM, told apart by the file's first bytes.
Tensor read_image(const std::string& path, const ImageOptions& options = {});
// The same from a file's bytes; `name` names it in errors.
Tensor decode_png(std::string_view bytes, const ImageOptions& options = {}, const std::string& name = "<memory>");
Tensor decode_pgm(std::string_view bytes, const ImageOptions& options = {}, const std::string& name = "<memory>");

// Writes an 8-bit PNG from [C, H, W] (C = 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA) or [H, W]:
// uint8 as it is, floating point clamped to [0, 1] and scaled to 0..255 (rounded).
void write_png(const std::string& path, const Tensor& image);

// Bilinear resampling of [C, H, W], [N, C, H, W] or [H, W] images (floating point) to
// height x width, as torch.nn.functional.interpolate(mode="bilinear", align_corners=False)
// (no antialiasing).
Tensor resize(const Tensor& image, int64_t height, int64_t width);

}  // namespace soma::data
