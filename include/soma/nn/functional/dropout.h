#pragma once
// Dropout: inverted dropout (kept elements scaled by 1 / (1 - p) in training), identity otherwise.
#include "soma/random.h"
#include "soma/tensor.h"

namespace soma::nn::functional {

// Zeroes each element with probability p (0 <= p <= 1) when training, drawing from gen (or
// the default generator), and scales the rest by 1 / (1 - p) so the expected value is unchanged.
Tensor dropout(const Tensor& input, double p = 0.5, bool training = true, Generator* gen = nullptr);

}  // namespace soma::nn::functional
