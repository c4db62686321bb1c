#pragma once
// Dropout layer: random zeroing in training mode, identity in evaluation mode.
#include "soma/nn/functional/dropout.h"
#include "soma/nn/module.h"

namespace soma::nn {

class Dropout : public Module {
 public:
  explicit Dropout(double p = 0.5, Generator* gen = nullptr);
  Tensor forward(const Tensor& input) override { return functional::dropout(input, p, is_training(), gen); }
  std::string extra_repr() const override;
  double p;
  Generator* gen;  // null: the default generator
};

}  // namespace soma::nn
