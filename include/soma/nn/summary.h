#pragma once
// A Keras/torchsummary-style table of a Sequential model: each layer, its output shape for an
// input of `input_shape` (batch included), its parameter count, and the totals.
#include <string>

#include "soma/nn/container.h"

namespace soma::nn {

std::string summary(Sequential& model, const Shape& input_shape, DType dtype = kFloat32);

}  // namespace soma::nn
