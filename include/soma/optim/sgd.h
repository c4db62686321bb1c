#pragma once
// Stochastic gradient descent with momentum, dampening, Nesterov momentum, L2 weight decay and
// maximization, as torch.optim.SGD:
//   g = ±grad + weight_decay * p
//   b = g on the first step, then momentum * b + (1 - dampening) * g
//   p -= lr * (nesterov ? g + momentum * b : b)        (just lr * g without momentum)
#include "soma/optim/optimizer.h"

namespace soma::optim {

struct SGDOptions {
  double lr = 1e-2;
  double momentum = 0;
  double dampening = 0;
  double weight_decay = 0;
  bool nesterov = false;
  bool maximize = false;

  void visit(auto&& f) {
    f("lr", lr), f("momentum", momentum), f("dampening", dampening), f("weight_decay", weight_decay);
    f("nesterov", nesterov), f("maximize", maximize);
  }
};

class SGD : public OptimizerWith<SGDOptions> {
 public:
  explicit SGD(std::vector<Group> groups);
  SGD(TensorList params, SGDOptions options) : SGD(std::vector<Group>{{std::move(params), options}}) {}
  using Optimizer::step;
  void step() override;
};

}  // namespace soma::optim
