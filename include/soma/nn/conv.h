#pragma once
// Convolution layers: Conv1d, Conv2d, ConvTranspose2d (torch.nn's). Conv1d and Conv2d take
// PyTorch's padding_mode: "zeros" (the default), or "reflect", "replicate" or "circular", which pad
// the input with functional::pad in that mode and then convolve without padding.
//
//   nn::Conv2d conv(1, 6, 5, {.padding = 2});           // 6 filters of 1x5x5, output size = input size
//   nn::Conv2d down(16, 32, 3, {.stride = 2, .padding = "valid", .bias = false});
//   nn::Conv2d wrap(3, 8, 3, {.padding = 1, .padding_mode = "circular"});
#include <string>

#include "soma/nn/functional/conv.h"
#include "soma/nn/module.h"

namespace soma::nn {

using functional::ConvPadding;
using functional::Size2;

struct Conv1dOptions {
  int64_t stride = 1;
  ConvPadding padding = 0;
  int64_t dilation = 1;
  int64_t groups = 1;
  bool bias = true;
  std::string padding_mode = "zeros";  // "zeros", "reflect", "replicate" or "circular"
  DType dtype = kFloat32;
};

struct Conv2dOptions {
  Size2 stride = 1;
  ConvPadding padding = 0;
  Size2 dilation = 1;
  int64_t groups = 1;
  bool bias = true;
  std::string padding_mode = "zeros";
  DType dtype = kFloat32;
};

struct ConvTranspose2dOptions {
  Size2 stride = 1;
  Size2 padding = 0;
  Size2 output_padding = 0;
  int64_t groups = 1;
  bool bias = true;
  Size2 dilation = 1;
  DType dtype = kFloat32;
};

// weight [out, in / groups, K], bias [out]. Initialized like PyTorch: Kaiming-uniform with
// a = sqrt(5), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias, fan_in = in / groups * K.
class Conv1d : public Module {
 public:
  Conv1d(int64_t in_channels, int64_t out_channels, int64_t kernel_size, const Conv1dOptions& options = {});
  Tensor forward(const Tensor& input) override;  // [N, in, L] -> [N, out, L_out]
  std::string extra_repr() const override;
  void reset_parameters();

  int64_t in_channels, out_channels, kernel_size;
  Conv1dOptions options;
  Tensor weight, bias;  // bias undefined when options.bias is false
};

// weight [out, in / groups, KH, KW], bias [out]; initialized as Conv1d (fan_in = in / groups * KH * KW).
class Conv2d : public Module {
 public:
  Conv2d(int64_t in_channels, int64_t out_channels, Size2 kernel_size, const Conv2dOptions& options = {});
  Tensor forward(const Tensor& input) override;  // [N, in, H, W] -> [N, out, OH, OW]
  std::string extra_repr() const override;
  void reset_parameters();

  int64_t in_channels, out_channels;
  Size2 kernel_size;
  Conv2dOptions options;
  Tensor weight, bias;
};

// weight [in, out / groups, KH, KW], bias [out]; initialized as Conv1d with PyTorch's fan_in of
// that weight (out / groups * KH * KW).
class ConvTranspose2d : public Module {
 public:
  ConvTranspose2d(int64_t in_channels, int64_t out_channels, Size2 kernel_size, const ConvTranspose2dOptions& options = {});
  Tensor forward(const Tensor& input) override;  // [N, in, H, W] -> [N, out, OH, OW]
  std::string extra_repr() const override;
  void reset_parameters();

  int64_t in_channels, out_channels;
  Size2 kernel_size;
  ConvTranspose2dOptions options;
  Tensor weight, bias;
};

}  // namespace soma::nn
