#pragma once
// Regularization penalties as differentiable loss terms, to add to a loss:
//
//   Tensor loss = criterion(model(x), y) + 1e-4 * optim::l2_penalty(optim::weight_parameters(model));
//
// weight_parameters() selects what is usually penalized (and decayed): weights, not biases or
// the 1-D parameters of normalization layers.
#include <string>
#include <utility>
#include <vector>

#include "soma/nn/module.h"
#include "soma/tensor.h"

namespace soma::optim {

// sum_i |p_i| over all parameters (a 0-d tensor, in the dtype of the first).
Tensor l1_penalty(const TensorList& params);
// sum_i p_i^2 over all parameters (no 1/2: its gradient is 2 p).
Tensor l2_penalty(const TensorList& params);
// l1_ratio * l1 + (1 - l1_ratio) / 2 * l2, the elastic-net penalty of scikit-learn's ElasticNet
// (without its alpha).
Tensor elastic_net_penalty(const TensorList& params, double l1_ratio);

// The parameters whose name does not end in "bias" and that have more than one dimension.
TensorList weight_parameters(const std::vector<std::pair<std::string, Tensor>>& named_parameters);
TensorList weight_parameters(const nn::Module& module);

}  // namespace soma::optim
