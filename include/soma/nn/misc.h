#pragma once
// Bilinear, Unflatten and Residual.
#include <memory>

#include "soma/nn/module.h"

namespace soma::nn {

namespace functional {
// y[..., o] = x1[..., :] A[o] x2[..., :] + b[o]: x1 [..., in1], x2 [..., in2], weight
// [out, in1, in2], bias [out] (optional) -> [..., out].
Tensor bilinear(const Tensor& input1, const Tensor& input2, const Tensor& weight, const Tensor& bias = {});
}  // namespace functional

struct BilinearOptions {
  bool bias = true;
  DType dtype = kFloat32;
};

// weight [out, in1, in2] and bias [out], both U(-1/sqrt(in1), 1/sqrt(in1)) as in PyTorch.
class Bilinear : public Module {
 public:
  Bilinear(int64_t in1_features, int64_t in2_features, int64_t out_features, BilinearOptions options = {});
  using Module::forward;
  Tensor forward(const Tensor& input1, const Tensor& input2) {
    return functional::bilinear(input1, input2, weight, bias);
  }
  Tensor operator()(const Tensor& input1, const Tensor& input2) { return forward(input1, input2); }
  std::string extra_repr() const override;
  void reset_parameters();

  int64_t in1_features, in2_features, out_features;
  Tensor weight, bias;
};

// Splits dim into the given sizes (one may be -1).
class Unflatten : public Module {
 public:
  Unflatten(int64_t dim, Shape unflattened_size)
      : Module("Unflatten"), dim(dim), unflattened_size(std::move(unflattened_size)) {}
  Tensor forward(const Tensor& input) override { return input.unflatten(dim, unflattened_size); }
  std::string extra_repr() const override;
  int64_t dim;
  Shape unflattened_size;
};

// A residual connection: forward(x) = body(x) + x, or body(x) + projection(x) when a projection
// (e.g. a Linear matching the widths) is given.
class Residual : public Module {
 public:
  explicit Residual(std::shared_ptr<Module> body, std::shared_ptr<Module> projection = nullptr);
  template <class M>
    requires std::is_base_of_v<Module, std::remove_cvref_t<M>> && (!std::is_lvalue_reference_v<M>)
  explicit Residual(M&& body) : Residual(std::make_shared<std::remove_cvref_t<M>>(std::move(body))) {}
  template <class M, class P>
    requires std::is_base_of_v<Module, std::remove_cvref_t<M>> && (!std::is_lvalue_reference_v<M>) &&
             std::is_base_of_v<Module, std::remove_cvref_t<P>> && (!std::is_lvalue_reference_v<P>)
  Residual(M&& body, P&& projection)
      : Residual(std::make_shared<std::remove_cvref_t<M>>(std::move(body)),
                 std::make_shared<std::remove_cvref_t<P>>(std::move(projection))) {}
  Tensor forward(const Tensor& input) override;

  std::shared_ptr<Module> body, projection;
};

}  // namespace soma::nn
