#pragma once
// Pooling layers: MaxPool1d, MaxPool2d, MinPool2d, AvgPool1d, AvgPool2d, AdaptiveAvgPool2d
// (torch.nn's; MinPool2d is soma's: the min of each window, see functional::min_pool2d).
//
//   nn::MaxPool2d pool(2);                                  // 2x2 windows, stride 2
//   nn::AvgPool2d avg(3, {.stride = 1, .padding = 1, .count_include_pad = false});
//   auto [y, indices] = nn::MaxPool2d(2).forward_with_indices(x);   // PyTorch's return_indices
#include "soma/nn/functional/pooling.h"
#include "soma/nn/module.h"

namespace soma::nn {

using functional::AvgPool1dOptions;
using functional::AvgPool2dOptions;
using functional::MaxPool1dOptions;
using functional::MaxPool2dOptions;
using functional::Size2;

class MaxPool1d : public Module {
 public:
  explicit MaxPool1d(int64_t kernel_size, const MaxPool1dOptions& options = {});
  Tensor forward(const Tensor& input) override;
  std::pair<Tensor, Tensor> forward_with_indices(const Tensor& input);
  std::string extra_repr() const override;

  int64_t kernel_size;
  MaxPool1dOptions options;
};

class MaxPool2d : public Module {
 public:
  explicit MaxPool2d(Size2 kernel_size, const MaxPool2dOptions& options = {});
  Tensor forward(const Tensor& input) override;
  std::pair<Tensor, Tensor> forward_with_indices(const Tensor& input);
  std::string extra_repr() const override;

  Size2 kernel_size;
  MaxPool2dOptions options;
};

// Takes the minimum of each window (same settings as MaxPool2d; padding counts as +inf).
class MinPool2d : public Module {
 public:
  explicit MinPool2d(Size2 kernel_size, const MaxPool2dOptions& options = {});
  Tensor forward(const Tensor& input) override;
  std::pair<Tensor, Tensor> forward_with_indices(const Tensor& input);
  std::string extra_repr() const override;

  Size2 kernel_size;
  MaxPool2dOptions options;
};

class AvgPool1d : public Module {
 public:
  explicit AvgPool1d(int64_t kernel_size, const AvgPool1dOptions& options = {});
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

  int64_t kernel_size;
  AvgPool1dOptions options;
};

class AvgPool2d : public Module {
 public:
  explicit AvgPool2d(Size2 kernel_size, const AvgPool2dOptions& options = {});
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

  Size2 kernel_size;
  AvgPool2dOptions options;
};

class AdaptiveAvgPool2d : public Module {
 public:
  explicit AdaptiveAvgPool2d(Size2 output_size) : Module("AdaptiveAvgPool2d"), output_size(output_size) {}
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

  Size2 output_size;
};

}  // namespace soma::nn
