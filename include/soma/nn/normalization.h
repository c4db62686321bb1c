#pragma once
// BatchNorm1d / BatchNorm2d, LayerNorm and GroupNorm, with PyTorch's defaults and state.
#include <optional>

#include "soma/nn/module.h"

namespace soma::nn {

struct BatchNormOptions {
  double eps = 1e-5;
  // Weight of the batch statistics in the running averages; nullopt: a cumulative average.
  std::optional<double> momentum = 0.1;
  bool affine = true;
  bool track_running_stats = true;
  DType dtype = kFloat32;
};

// Shared by BatchNorm1d and BatchNorm2d: weight (ones) and bias (zeros) [C] when affine;
// running_mean (zeros), running_var (ones) and num_batches_tracked (int64 0-d) buffers when
// tracking. Training normalizes with batch statistics and updates the running ones; evaluation
// uses the running statistics (batch statistics when not tracking).
class BatchNorm : public Module {
 public:
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;
  void reset_running_stats();
  void reset_parameters();

  int64_t num_features;
  double eps;
  std::optional<double> momentum;
  bool affine, track_running_stats;
  Tensor weight, bias, running_mean, running_var, num_batches_tracked;

 protected:
  BatchNorm(std::string type_name, int64_t num_features, BatchNormOptions options);
  virtual void check_input(const Tensor& input) const = 0;
};

// Input [N, C] or [N, C, L].
class BatchNorm1d : public BatchNorm {
 public:
  explicit BatchNorm1d(int64_t num_features, BatchNormOptions options = {})
      : BatchNorm("BatchNorm1d", num_features, options) {}

 protected:
  void check_input(const Tensor& input) const override;
};

// Input [N, C, H, W].
class BatchNorm2d : public BatchNorm {
 public:
  explicit BatchNorm2d(int64_t num_features, BatchNormOptions options = {})
      : BatchNorm("BatchNorm2d", num_features, options) {}

 protected:
  void check_input(const Tensor& input) const override;
};

struct LayerNormOptions {
  double eps = 1e-5;
  bool elementwise_affine = true;
  DType dtype = kFloat32;
};

// Normalizes over the trailing dims normalized_shape; weight (ones) and bias (zeros) of that shape.
class LayerNorm : public Module {
 public:
  explicit LayerNorm(Shape normalized_shape, LayerNormOptions options = {});
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

  Shape normalized_shape;
  double eps;
  bool elementwise_affine;
  Tensor weight, bias;
};

struct GroupNormOptions {
  double eps = 1e-5;
  bool affine = true;
  DType dtype = kFloat32;
};

// Input [N, C, *] with C = num_channels divisible by num_groups; weight (ones), bias (zeros) [C].
class GroupNorm : public Module {
 public:
  GroupNorm(int64_t num_groups, int64_t num_channels, GroupNormOptions options = {});
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

  int64_t num_groups, num_channels;
  double eps;
  bool affine;
  Tensor weight, bias;
};

}  // namespace soma::nn
