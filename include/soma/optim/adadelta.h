#pragma once
// Adadelta, as torch.optim.Adadelta:
//   g = ±grad + weight_decay * p;  sq = rho * sq + (1 - rho) * g^2
//   d = sqrt(acc + eps) / sqrt(sq + eps) * g;  acc = rho * acc + (1 - rho) * d^2;  p -= lr * d
#include "soma/optim/optimizer.h"

namespace soma::optim {

struct AdadeltaOptions {
  double lr = 1.0;
  double rho = 0.9;
  double eps = 1e-6;
  double weight_decay = 0;
  bool maximize = false;

  void visit(auto&& f) {
    f("lr", lr), f("rho", rho), f("eps", eps), f("weight_decay", weight_decay), f("maximize", maximize);
  }
};

class Adadelta : public OptimizerWith<AdadeltaOptions> {
 public:
  explicit Adadelta(std::vector<Group> groups);
  Adadelta(TensorList params, AdadeltaOptions options = {})
      : Adadelta(std::vector<Group>{{std::move(params), options}}) {}
  using Optimizer::step;
  void step() override;
};

}  // namespace soma::optim
