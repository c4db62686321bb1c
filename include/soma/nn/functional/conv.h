#pragma once
// Convolutions (torch.nn.functional.conv1d / conv2d / conv_transpose2d). Inputs are batched
// [N, C, L] / [N, C, H, W] or unbatched [C, L] / [C, H, W]; float32 or float64, with weight and
// bias of the input's dtype. Zero padding only.
//
//   Tensor y = nn::functional::conv2d(x, w, b, {.stride = 2, .padding = {1, 2}});
//   Tensor z = nn::functional::conv2d(x, w, {}, {.padding = "same", .dilation = 2});
#include <cstdint>
#include <string_view>

#include "soma/tensor.h"

namespace soma::nn::functional {

// A size per spatial dim: one number for both (2) or one per dim ({height, width}).
struct Size2 {
  Size2(int64_t v) : h(v), w(v) {}
  Size2(int64_t h, int64_t w) : h(h), w(w) {}
  int64_t h, w;
};

// A convolution's padding: a number (both sides of every spatial dim), one number per dim
// ({height, width}; 2-D only), or "valid" (none) or "same" (output size = input size; stride 1
// only; an odd total padding puts the extra element at the end, as PyTorch does).
struct ConvPadding {
  enum class Mode { Explicit, Valid, Same };
  ConvPadding(int64_t p = 0) : h(p), w(p) {}
  ConvPadding(int64_t h, int64_t w) : h(h), w(w), per_dim(true) {}
  template <size_t N>
  ConvPadding(const char (&mode)[N]) : ConvPadding(std::string_view(mode)) {}
  explicit ConvPadding(std::string_view mode);

  Mode mode = Mode::Explicit;
  int64_t h = 0, w = 0;
  bool per_dim = false;
};

struct Conv1dFuncOptions {
  int64_t stride = 1;
  ConvPadding padding = 0;
  int64_t dilation = 1;
  int64_t groups = 1;
};

struct Conv2dFuncOptions {
  Size2 stride = 1;
  ConvPadding padding = 0;
  Size2 dilation = 1;
  int64_t groups = 1;
};

struct ConvTranspose2dFuncOptions {
  Size2 stride = 1;
  Size2 padding = 0;         // removed from both sides of the output
  Size2 output_padding = 0;  // added to one side of the output (smaller than stride or dilation)
  int64_t groups = 1;
  Size2 dilation = 1;
};

// input [N, C, L], weight [OC, C / groups, K], bias [OC] (optional) -> [N, OC, L_out].
Tensor conv1d(const Tensor& input, const Tensor& weight, const Tensor& bias = {}, const Conv1dFuncOptions& options = {});
// input [N, C, H, W], weight [OC, C / groups, KH, KW], bias [OC] (optional) -> [N, OC, OH, OW]
// with OH = (H + pad_top + pad_bottom - dilation * (KH - 1) - 1) / stride + 1 (likewise OW).
Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias = {}, const Conv2dFuncOptions& options = {});
// The adjoint of conv2d w.r.t. its input ("deconvolution"): input [N, C, H, W], weight
// [C, OC / groups, KH, KW], bias [OC] (optional) -> [N, OC, OH, OW] with
// OH = (H - 1) * stride - 2 * padding + dilation * (KH - 1) + output_padding + 1.
Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const Tensor& bias = {},
                        const ConvTranspose2dFuncOptions& options = {});

}  // namespace soma::nn::functional
