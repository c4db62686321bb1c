#pragma once
// nn::functional: the stateless forms of the layers, activations and losses (modules call
// these). Declarations grouped by family; each family has its own source under src/nn/.
#include "soma/nn/functional/activation.h"
#include "soma/nn/functional/attention.h"
#include "soma/nn/functional/conv.h"
#include "soma/nn/functional/distance.h"
#include "soma/nn/functional/distillation.h"
#include "soma/nn/functional/dropout.h"
#include "soma/nn/functional/embedding.h"
#include "soma/nn/functional/loss.h"
#include "soma/nn/functional/normalization.h"
#include "soma/nn/functional/pooling.h"
#include "soma/tensor.h"

namespace soma::nn::functional {

// ---- linear ------------------------------------------------------------------------------------
// input [..., in], weight [out, in], bias [out] (optional) -> [..., out]; one GEMM with the bias fused.
Tensor linear(const Tensor& input, const Tensor& weight, const Tensor& bias = {});

}  // namespace soma::nn::functional
