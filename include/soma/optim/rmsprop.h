#pragma once
// RMSprop, as torch.optim.RMSprop:
//   g = ±grad + weight_decay * p;  sq = alpha * sq + (1 - alpha) * g^2
//   centered: ga = alpha * ga + (1 - alpha) * g;  avg = sqrt(sq - ga^2) + eps   (else sqrt(sq) + eps)
//   momentum > 0: b = momentum * b + g / avg;  p -= lr * b      (else p -= lr * g / avg)
#include "soma/optim/optimizer.h"

namespace soma::optim {

struct RMSpropOptions {
  double lr = 1e-2;
  double alpha = 0.99;
  double eps = 1e-8;
  double weight_decay = 0;
  double momentum = 0;
  bool centered = false;
  bool maximize = false;

  void visit(auto&& f) {
    f("lr", lr), f("alpha", alpha), f("eps", eps), f("weight_decay", weight_decay), f("momentum", momentum);
    f("centered", centered), f("maximize", maximize);
  }
};

class RMSprop : public OptimizerWith<RMSpropOptions> {
 public:
  explicit RMSprop(std::vector<Group> groups);
  RMSprop(TensorList params, RMSpropOptions options = {}) : RMSprop(std::vector<Group>{{std::move(params), options}}) {}
  using Optimizer::step;
  void step() override;
};

}  // namespace soma::optim
