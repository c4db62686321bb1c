#pragma once
// Ready architectures, built only from the public nn API.
#include <memory>
#include <string>
#include <vector>

#include "soma/models/bert.h"
#include "soma/models/char_rnn.h"
#include "soma/models/generate.h"
#include "soma/models/gpt.h"
#include "soma/models/language_model.h"
#include "soma/models/seq2seq.h"
#include "soma/nn.h"

namespace soma::models {

// A multilayer perceptron on flattened inputs: Flatten, then Linear layers of the given sizes
// (sizes = {in, hidden..., out}) with `activation` ("relu", "sigmoid", "tanh", "gelu") between them.
std::shared_ptr<nn::Sequential> mlp(const std::vector<int64_t>& sizes, const std::string& activation = "relu");

// LeNet-5 for 1x28x28 inputs: conv 6@5x5 (padding 2), max-pool 2, conv 16@5x5, max-pool 2,
// then 400-120-84-num_classes, ReLU activations.
std::shared_ptr<nn::Sequential> lenet5(int64_t num_classes = 10);

// The models `soma train --model NAME` knows, for 1x28x28 inputs and 10 classes:
//   "mlp"      784-256-128-10, ReLU
//   "mlp-tiny" 784-16-16-10, sigmoid (the textbook network: 13,002 parameters)
//   "lenet"    LeNet-5
std::shared_ptr<nn::Sequential> by_name(const std::string& name, int64_t num_classes = 10);
std::vector<std::string> names();

}  // namespace soma::models
