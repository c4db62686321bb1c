#pragma once
// Pooling (torch.nn.functional.max_pool1d/2d, avg_pool1d/2d, adaptive_avg_pool2d) and min
// pooling. Inputs are batched [N, C, L] / [N, C, H, W] or unbatched [C, L] / [C, H, W];
// float32 or float64. A stride of 0 (the default) means the kernel size.
//
//   Tensor y = nn::functional::max_pool2d(x, 2);
//   auto [v, idx] = nn::functional::max_pool2d_with_indices(x, {3, 2}, {.stride = 1, .ceil_mode = true});
#include <cstdint>
#include <optional>
#include <utility>

#include "soma/nn/functional/conv.h"
#include "soma/tensor.h"

namespace soma::nn::functional {

struct MaxPool1dOptions {
  int64_t stride = 0;  // 0: kernel_size
  int64_t padding = 0;  // implicit -inf (max) / +inf (min) on both sides, at most half the kernel
  int64_t dilation = 1;
  bool ceil_mode = false;  // round the output size up (windows must still start inside the input or left padding)
};

struct MaxPool2dOptions {
  Size2 stride = 0;  // 0: kernel_size
  Size2 padding = 0;
  Size2 dilation = 1;
  bool ceil_mode = false;
};

struct AvgPool1dOptions {
  int64_t stride = 0;  // 0: kernel_size
  int64_t padding = 0;  // implicit zeros on both sides, at most half the kernel
  bool ceil_mode = false;
  bool count_include_pad = true;  // divide by the window size including padding (not past it)
};

struct AvgPool2dOptions {
  Size2 stride = 0;  // 0: kernel_size
  Size2 padding = 0;
  bool ceil_mode = false;
  bool count_include_pad = true;
  // Divide every window's sum by this (nonzero) number instead of its size; count_include_pad
  // then has no effect.
  std::optional<int64_t> divisor_override = std::nullopt;
};

// The max of each window; _with_indices also returns, as int64, the flat position h * W + w
// (or l) of each max within its input plane, as PyTorch's return_indices does. NaN wins.
Tensor max_pool1d(const Tensor& input, int64_t kernel_size, const MaxPool1dOptions& options = {});
std::pair<Tensor, Tensor> max_pool1d_with_indices(const Tensor& input, int64_t kernel_size,
                                                  const MaxPool1dOptions& options = {});
Tensor max_pool2d(const Tensor& input, Size2 kernel_size, const MaxPool2dOptions& options = {});
std::pair<Tensor, Tensor> max_pool2d_with_indices(const Tensor& input, Size2 kernel_size,
                                                  const MaxPool2dOptions& options = {});
// The min of each window: -max_pool2d(-x), computed by the max-pool kernel with the comparison
// flipped (one pass, no negated copies). Padding counts as +inf.
Tensor min_pool2d(const Tensor& input, Size2 kernel_size, const MaxPool2dOptions& options = {});
std::pair<Tensor, Tensor> min_pool2d_with_indices(const Tensor& input, Size2 kernel_size,
                                                  const MaxPool2dOptions& options = {});

Tensor avg_pool1d(const Tensor& input, int64_t kernel_size, const AvgPool1dOptions& options = {});
Tensor avg_pool2d(const Tensor& input, Size2 kernel_size, const AvgPool2dOptions& options = {});

// The mean over windows [floor(i * H / OH), ceil((i + 1) * H / OH)) (likewise along W), so the
// output is [.., OH, OW] for any input size.
Tensor adaptive_avg_pool2d(const Tensor& input, Size2 output_size);

}  // namespace soma::nn::functional
