#include "soma/nn/misc.h"

#include <cmath>

#include "soma/creation.h"
#include "soma/grad_mode.h"
#include "soma/linalg.h"
#include "soma/math.h"
#include "soma/nn/init.h"
#include "soma/reduce.h"
#include "soma/views.h"

namespace soma::nn {

namespace functional {

Tensor bilinear(const Tensor& x1, const Tensor& x2, const Tensor& weight, const Tensor& bias) {
  SOMA_CHECK(weight.dim() == 3, "bilinear: weight must be 3-D [out, in1, in2], got shape {}", weight.shape());
  const int64_t out = weight.size(0), in1 = weight.size(1), in2 = weight.size(2);
  SOMA_CHECK(x1.dim() >= 1 && x2.dim() == x1.dim() && x1.size(-1) == in1 && x2.size(-1) == in2,
             "bilinear: inputs of shapes {} and {} do not match weight of shape {} (expected [..., {}] and [..., {}])",
             x1.shape(), x2.shape(), weight.shape(), in1, in2);
  Shape lead = x1.shape();
  lead.pop_back();
  Shape lead2 = x2.shape();
  lead2.pop_back();
  SOMA_CHECK(lead == lead2, "bilinear: the leading dims of inputs {} and {} differ", x1.shape(), x2.shape());
  if (bias.defined())
    SOMA_CHECK(bias.dim() == 1 && bias.size(0) == out, "bilinear: bias of shape {} does not match {} outputs",
               bias.shape(), out);
  // (x1 A) as one matrix product [N, in1] x [in1, out * in2], then the dot with x2 per output.
  Tensor a = x1.reshape({-1, in1});
  Tensor b = x2.reshape({-1, 1, in2});
  Tensor t = mm(a, weight.permute({1, 0, 2}).reshape({in1, out * in2})).view({-1, out, in2});
  Tensor y = sum(t * b, {2});
  if (bias.defined()) y = y + bias;
  lead.push_back(out);
  return y.view(lead);
}

}  // namespace functional

Bilinear::Bilinear(int64_t in1, int64_t in2, int64_t out, BilinearOptions options)
    : Module("Bilinear"), in1_features(in1), in2_features(in2), out_features(out) {
  SOMA_CHECK(in1 > 0 && in2 > 0 && out > 0, "Bilinear: feature sizes must be positive, got {}, {} and {}", in1, in2,
             out);
  weight = register_parameter("weight", empty({out, in1, in2}, options.dtype));
  if (options.bias) bias = register_parameter("bias", empty({out}, options.dtype));
  reset_parameters();
}

void Bilinear::reset_parameters() {
  NoGradGuard no_grad;
  const double bound = 1.0 / std::sqrt(static_cast<double>(in1_features));
  init::uniform_(weight, -bound, bound);
  if (bias.defined()) init::uniform_(bias, -bound, bound);
}

std::string Bilinear::extra_repr() const {
  return fmt::format("in1_features={}, in2_features={}, out_features={}, bias={}", in1_features, in2_features,
                     out_features, bias.defined());
}

std::string Unflatten::extra_repr() const {
  std::string sizes;
  for (int64_t s : unflattened_size) sizes += fmt::format("{}, ", s);
  if (unflattened_size.size() > 1) sizes.resize(sizes.size() - 2);
  else if (!sizes.empty()) sizes.pop_back();
  return fmt::format("dim={}, unflattened_size=({})", dim, sizes);
}

Residual::Residual(std::shared_ptr<Module> body_, std::shared_ptr<Module> projection_)
    : Module("Residual"), body(std::move(body_)), projection(std::move(projection_)) {
  SOMA_CHECK(body != nullptr, "Residual: the body module is null");
  add_child("body", body);
  if (projection) add_child("projection", projection);
}

Tensor Residual::forward(const Tensor& input) {
  Tensor y = body->forward(input);
  Tensor skip = projection ? projection->forward(input) : input;
  SOMA_CHECK(y.shape() == skip.shape(), "Residual: the body's output of shape {} does not match the skip path's shape {}",
             y.shape(), skip.shape());
  return y + skip;
}

}  // namespace soma::nn
