#pragma once
// Linear (y = x W^T + b), Identity and Flatten.
#include "soma/nn/module.h"

namespace soma::nn {

struct LinearOptions {
  bool bias = true;
  DType dtype = kFloat32;
};

// weight [out_features, in_features], bias [out_features]; initialized like PyTorch
// (Kaiming-uniform with a = sqrt(5): U(-1/sqrt(in), 1/sqrt(in)) for weight and bias).
class Linear : public Module {
 public:
  Linear(int64_t in_features, int64_t out_features, LinearOptions options = {});
  Tensor forward(const Tensor& input) override;  // [..., in] -> [..., out]
  std::string extra_repr() const override;
  void reset_parameters();
  // Attaches an adapter (nn::LoRA, see nn/lora.h) as child `name`, so its parameters are the
  // layer's: forward then returns x W^T + b + adapter(x) while adapter_enabled is true.
  void attach_adapter(const std::string& name, std::shared_ptr<Module> module);

  int64_t in_features, out_features;
  Tensor weight, bias;  // bias undefined when options.bias is false
  std::shared_ptr<Module> adapter;  // null: none
  bool adapter_enabled = true;      // false: skipped (e.g. folded into weight by lora::merge)
};

class Identity : public Module {
 public:
  Identity() : Module("Identity") {}
  Tensor forward(const Tensor& input) override { return input; }
};

// Flattens dims start_dim..end_dim into one (default: all but the batch dim).
class Flatten : public Module {
 public:
  explicit Flatten(int64_t start_dim = 1, int64_t end_dim = -1)
      : Module("Flatten"), start_dim(start_dim), end_dim(end_dim) {}
  Tensor forward(const Tensor& input) override { return input.flatten(start_dim, end_dim); }
  std::string extra_repr() const override;

  int64_t start_dim, end_dim;
};

}  // namespace soma::nn
