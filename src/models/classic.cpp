#include "soma/models.h"

namespace soma::models {

namespace {

std::shared_ptr<nn::Module> activation_module(const std::string& name) {
  if (name == "relu") return std::make_shared<nn::ReLU>();
  if (name == "sigmoid") return std::make_shared<nn::Sigmoid>();
  if (name == "tanh") return std::make_shared<nn::Tanh>();
  if (name == "gelu") return std::make_shared<nn::GELU>();
  SOMA_FAIL("mlp: unknown activation '{}' (expected relu, sigmoid, tanh or gelu)", name);
}

}  // namespace

std::shared_ptr<nn::Sequential> mlp(const std::vector<int64_t>& sizes, const std::string& activation) {
  SOMA_CHECK(sizes.size() >= 2, "mlp: need at least an input and an output size, got {}", sizes.size());
  auto net = std::make_shared<nn::Sequential>();
  net->push_back(nn::Flatten());
  for (size_t i = 0; i + 1 < sizes.size(); ++i) {
    net->push_back(nn::Linear(sizes[i], sizes[i + 1]));
    if (i + 2 < sizes.size()) net->push_back(activation_module(activation));
  }
  return net;
}

std::shared_ptr<nn::Sequential> lenet5(int64_t num_classes) {
  return std::make_shared<nn::Sequential>(
      nn::Conv2d(1, 6, 5, {.padding = 2}), nn::ReLU(), nn::MaxPool2d(2), nn::Conv2d(6, 16, 5), nn::ReLU(),
      nn::MaxPool2d(2), nn::Flatten(), nn::Linear(400, 120), nn::ReLU(), nn::Linear(120, 84), nn::ReLU(),
      nn::Linear(84, num_classes));
}

std::shared_ptr<nn::Sequential> by_name(const std::string& name, int64_t num_classes) {
  if (name == "mlp") return mlp({784, 256, 128, num_classes}, "relu");
  if (name == "mlp-tiny") return mlp({784, 16, 16, num_classes}, "sigmoid");
  if (name == "lenet") return lenet5(num_classes);
  SOMA_FAIL("models: unknown model '{}' (known: mlp, mlp-tiny, lenet)", name);
}

std::vector<std::string> names() { return {"mlp", "mlp-tiny", "lenet"}; }

}  // namespace soma::models
