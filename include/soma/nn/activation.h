#pragma once
// Activation modules (the functional forms are in nn/functional/activation.h).
#include <string>

#include "soma/nn/functional/activation.h"
#include "soma/nn/linear.h"
#include "soma/nn/module.h"

namespace soma::nn {

// A module for a parameter-free activation: forward calls F on the input.
#define SOMA_SIMPLE_ACTIVATION(Name, call)                                  \
  class Name : public Module {                                              \
   public:                                                                  \
    Name() : Module(#Name) {}                                               \
    Tensor forward(const Tensor& x) override { return functional::call(x); } \
  };
SOMA_SIMPLE_ACTIVATION(ReLU, relu)
SOMA_SIMPLE_ACTIVATION(SELU, selu)
SOMA_SIMPLE_ACTIVATION(SiLU, silu)
SOMA_SIMPLE_ACTIVATION(Sigmoid, sigmoid)
SOMA_SIMPLE_ACTIVATION(Tanh, tanh)
SOMA_SIMPLE_ACTIVATION(Softsign, softsign)
SOMA_SIMPLE_ACTIVATION(Abs, abs)  // absolute-value rectification
#undef SOMA_SIMPLE_ACTIVATION

class LeakyReLU : public Module {
 public:
  explicit LeakyReLU(double negative_slope = 0.01) : Module("LeakyReLU"), negative_slope(negative_slope) {}
  Tensor forward(const Tensor& x) override { return functional::leaky_relu(x, negative_slope); }
  std::string extra_repr() const override;
  double negative_slope;
};

// Learnable slope: weight [num_parameters] (1, or the channel count of dim 1), filled with init.
class PReLU : public Module {
 public:
  explicit PReLU(int64_t num_parameters = 1, double init = 0.25, DType dtype = kFloat32);
  Tensor forward(const Tensor& x) override { return functional::prelu(x, weight); }
  std::string extra_repr() const override;
  int64_t num_parameters;
  Tensor weight;
};

// Random slopes U(lower, upper) in training (from gen, or the default generator), their mean in eval.
class RReLU : public Module {
 public:
  explicit RReLU(double lower = 1.0 / 8, double upper = 1.0 / 3, Generator* gen = nullptr);
  Tensor forward(const Tensor& x) override { return functional::rrelu(x, lower, upper, is_training(), gen); }
  std::string extra_repr() const override;
  double lower, upper;
  Generator* gen;
};

class ELU : public Module {
 public:
  explicit ELU(double alpha = 1.0) : Module("ELU"), alpha(alpha) {}
  Tensor forward(const Tensor& x) override { return functional::elu(x, alpha); }
  std::string extra_repr() const override;
  double alpha;
};

class GELU : public Module {
 public:
  explicit GELU(std::string approximate = "none");
  Tensor forward(const Tensor& x) override { return functional::gelu(x, approximate); }
  std::string extra_repr() const override;
  std::string approximate;
};

class Hardtanh : public Module {
 public:
  explicit Hardtanh(double min_val = -1.0, double max_val = 1.0);
  Tensor forward(const Tensor& x) override { return functional::hardtanh(x, min_val, max_val); }
  std::string extra_repr() const override;
  double min_val, max_val;
};

class Softplus : public Module {
 public:
  explicit Softplus(double beta = 1.0, double threshold = 20.0) : Module("Softplus"), beta(beta), threshold(threshold) {}
  Tensor forward(const Tensor& x) override { return functional::softplus(x, beta, threshold); }
  std::string extra_repr() const override;
  double beta, threshold;
};

class Softmax : public Module {
 public:
  explicit Softmax(int64_t dim) : Module("Softmax"), dim(dim) {}
  Tensor forward(const Tensor& x) override { return functional::softmax(x, dim); }
  std::string extra_repr() const override;
  int64_t dim;
};

class LogSoftmax : public Module {
 public:
  explicit LogSoftmax(int64_t dim) : Module("LogSoftmax"), dim(dim) {}
  Tensor forward(const Tensor& x) override { return functional::log_softmax(x, dim); }
  std::string extra_repr() const override;
  int64_t dim;
};

// Maxout units: f(x) = max(z_1, ..., z_k), z_i = w_i^T x + b_i. A Linear layer to
// out_features * pieces, then the max over each unit's `pieces` consecutive outputs.
class Maxout : public Module {
 public:
  Maxout(int64_t in_features, int64_t out_features, int64_t pieces, LinearOptions options = {});
  Tensor forward(const Tensor& x) override;  // [..., in] -> [..., out]
  std::string extra_repr() const override;
  int64_t in_features, out_features, pieces;
  std::shared_ptr<Linear> linear;
};

// Radial basis units: RBF(x) = exp(-||x - c||^2 / (2 sigma^2)) with learnable centres c
// [out, in] (initialized N(0, 1)) and widths sigma = exp(log_sigma) [out] (initialized 1).
class RBF : public Module {
 public:
  RBF(int64_t in_features, int64_t out_features, DType dtype = kFloat32);
  Tensor forward(const Tensor& x) override { return functional::rbf(x, centres, log_sigma); }
  std::string extra_repr() const override;
  int64_t in_features, out_features;
  Tensor centres, log_sigma;
};

}  // namespace soma::nn
