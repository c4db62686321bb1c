#pragma once
// AdaGrad, as torch.optim.Adagrad:
//   g = ±grad + weight_decay * p;  clr = lr / (1 + (step - 1) * lr_decay)
//   sum += g^2;  p -= clr * g / (sqrt(sum) + eps)          (sum starts at initial_accumulator_value)
#include "soma/optim/optimizer.h"

namespace soma::optim {

struct AdagradOptions {
  double lr = 1e-2;
  double lr_decay = 0;
  double weight_decay = 0;
  double initial_accumulator_value = 0;
  double eps = 1e-10;
  bool maximize = false;

  void visit(auto&& f) {
    f("lr", lr), f("lr_decay", lr_decay), f("weight_decay", weight_decay);
    f("initial_accumulator_value", initial_accumulator_value), f("eps", eps), f("maximize", maximize);
  }
};

class Adagrad : public OptimizerWith<AdagradOptions> {
 public:
  explicit Adagrad(std::vector<Group> groups);
  Adagrad(TensorList params, AdagradOptions options = {}) : Adagrad(std::vector<Group>{{std::move(params), options}}) {}
  using Optimizer::step;
  void step() override;
};

}  // namespace soma::optim
