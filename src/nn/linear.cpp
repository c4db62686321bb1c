#include "soma/nn/linear.h"

#include <cmath>

#include "soma/creation.h"
#include "soma/grad_mode.h"
#include "soma/linalg.h"
#include "soma/math.h"
#include "soma/nn/functional.h"
#include "soma/nn/init.h"

namespace soma::nn {

namespace functional {

Tensor linear(const Tensor& input, const Tensor& weight, const Tensor& bias) {
  SOMA_CHECK(weight.dim() == 2, "linear: weight must be 2-D [out, in], got shape {}", weight.shape());
  SOMA_CHECK(input.dim() >= 1 && input.size(-1) == weight.size(1),
             "linear: input of shape {} does not match weight of shape {} (expected last dim {})", input.shape(),
             weight.shape(), weight.size(1));
  if (bias.defined())
    SOMA_CHECK(bias.dim() == 1 && bias.size(0) == weight.size(0),
               "linear: bias of shape {} does not match weight of shape {} (expected [{}])", bias.shape(),
               weight.shape(), weight.size(0));
  if (input.dim() == 2) return bias.defined() ? addmm(bias, input, weight.t()) : mm(input, weight.t());
  // [..., in] -> [N, in] -> [N, out] -> [..., out]
  Shape out_shape = input.shape();
  out_shape[out_shape.size() - 1] = weight.size(0);
  Tensor flat = input.reshape({-1, weight.size(1)});
  Tensor y = bias.defined() ? addmm(bias, flat, weight.t()) : mm(flat, weight.t());
  return y.reshape(out_shape);
}

}  // namespace functional

Linear::Linear(int64_t in, int64_t out, LinearOptions options)
    : Module("Linear"), in_features(in), out_features(out) {
  SOMA_CHECK(in > 0 && out > 0, "Linear: in_features and out_features must be positive, got {} and {}", in, out);
  weight = register_parameter("weight", empty({out, in}, options.dtype));
  if (options.bias) bias = register_parameter("bias", empty({out}, options.dtype));
  reset_parameters();
}

void Linear::reset_parameters() {
  NoGradGuard no_grad;
  init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (bias.defined()) {
    double bound = 1.0 / std::sqrt(static_cast<double>(in_features));
    init::uniform_(bias, -bound, bound);
  }
}

Tensor Linear::forward(const Tensor& input) {
  Tensor y = functional::linear(input, weight, bias);
  return adapter && adapter_enabled ? y + adapter->forward(input) : y;
}

void Linear::attach_adapter(const std::string& name, std::shared_ptr<Module> module) {
  SOMA_CHECK(!adapter, "Linear: an adapter is already attached (in_features={}, out_features={})", in_features,
             out_features);
  add_child(name, module);
  adapter = std::move(module);
}

std::string Linear::extra_repr() const {
  return fmt::format("in_features={}, out_features={}, bias={}", in_features, out_features, bias.defined());
}

std::string Flatten::extra_repr() const { return fmt::format("start_dim={}, end_dim={}", start_dim, end_dim); }

}  // namespace soma::nn
