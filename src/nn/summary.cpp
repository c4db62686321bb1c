#include "soma/nn/summary.h"

#include <fmt/format.h>

#include "soma/creation.h"
#include "soma/grad_mode.h"

namespace soma::nn {

namespace {
// 13002 -> "13,002"
std::string grouped(int64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}
}  // namespace

std::string summary(Sequential& model, const Shape& input_shape, DType dtype) {
  NoGradGuard no_grad;
  bool was_training = model.is_training();
  model.eval();
  const std::string rule(64, '=');
  std::string out = fmt::format("{:<28}{:<24}{:>12}\n{}\n", "Layer (type)", "Output shape", "Param #", rule);
  out += fmt::format("{:<28}{:<24}{:>12}\n", "Input", input_shape.str(), "");
  Tensor x = zeros(input_shape, dtype);
  size_t i = 0;
  for (const auto& layer : model) {
    x = layer->forward(x);
    out += fmt::format("{:<28}{:<24}{:>12}\n", fmt::format("{} ({})", i++, layer->type_name()), x.shape().str(),
                       grouped(layer->num_parameters()));
  }
  model.train(was_training);
  out += fmt::format("{}\nTotal params: {}\nTrainable params: {}\n", rule, grouped(model.num_parameters()),
                     grouped(model.num_parameters(true)));
  return out;
}

}  // namespace soma::nn
