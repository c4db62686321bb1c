#include "soma/nn/container.h"

namespace soma::nn {

Tensor Sequential::forward(const Tensor& input) {
  Tensor x = input;
  for (const auto& layer : layers_) x = layer->forward(x);
  return x;
}

}  // namespace soma::nn
