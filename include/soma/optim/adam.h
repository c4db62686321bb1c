#pragma once
// The Adam family, each as its torch.optim namesake (t is the parameter's step count, from 1;
// g = ±grad, plus weight_decay * p where decay is L2):
//   Adam:   m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2  (amsgrad: vmax = max(vmax, v), used for v)
//           p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
//   AdamW:  Adam with decoupled decay: p *= 1 - lr * weight_decay first, no L2 term in g.
//   Adamax: m as Adam;  u = max(b2 u, |g| + eps);  p -= lr / (1 - b1^t) * m / u
//   NAdam:  mu_t = b1 (1 - 0.5 * 0.96^(t * momentum_decay)), prod = mu_1...mu_t;  m, v as Adam;
//           d = sqrt(v / (1 - b2^t)) + eps
//           p -= lr (1 - mu_t) / (1 - prod) * g / d + lr mu_{t+1} / (1 - prod mu_{t+1}) * m / d
//   RAdam:  m, v as Adam; rho_inf = 2 / (1 - b2) - 1, rho_t = rho_inf - 2 t b2^t / (1 - b2^t);
//           rho_t > 5: p -= lr r_t sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps) with the
//           rectification r_t = sqrt((rho_t-4)(rho_t-2) rho_inf / ((rho_inf-4)(rho_inf-2) rho_t));
//           otherwise p -= lr / (1 - b1^t) * m.
#include <utility>

#include "soma/optim/optimizer.h"

namespace soma::optim {

struct AdamOptions {
  double lr = 1e-3;
  std::pair<double, double> betas = {0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 0;
  bool amsgrad = false;
  bool maximize = false;

  void visit(auto&& f) {
    f("lr", lr), f("beta1", betas.first), f("beta2", betas.second), f("eps", eps);
    f("weight_decay", weight_decay), f("amsgrad", amsgrad), f("maximize", maximize);
  }
};

class Adam : public OptimizerWith<AdamOptions> {
 public:
  explicit Adam(std::vector<Group> groups);
  Adam(TensorList params, AdamOptions options = {}) : Adam(std::vector<Group>{{std::move(params), options}}) {}
  using Optimizer::step;
  void step() override;
};

// AdamW's options: Adam's, with weight_decay 1e-2 by default.
struct AdamWOptions {
  double lr = 1e-3;
  std::pair<double, double> betas = {0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 1e-2;
  bool amsgrad = false;
  bool maximize = false;

  void visit(auto&& f) {
    f("lr", lr), f("beta1", betas.first), f("beta2", betas.second), f("eps", eps);
    f("weight_decay", weight_decay), f("amsgrad", amsgrad), f("maximize", maximize);
  }
};

class AdamW : public OptimizerWith<AdamWOptions> {
 public:
  explicit AdamW(std::vector<Group> groups);
  AdamW(TensorList params, AdamWOptions options = {}) : AdamW(std::vector<Group>{{std::move(params), options}}) {}
  using Optimizer::step;
  void step() override;
};

struct AdamaxOptions {
  double lr = 2e-3;
  std::pair<double, double> betas = {0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 0;
  bool maximize = false;

  void visit(auto&& f) {
    f("lr", lr), f("beta1", betas.first), f("beta2", betas.second), f("eps", eps);
    f("weight_decay", weight_decay), f("maximize", maximize);
  }
};

class Adamax : public OptimizerWith<AdamaxOptions> {
 public:
  explicit Adamax(std::vector<Group> groups);
  Adamax(TensorList params, AdamaxOptions options = {}) : Adamax(std::vector<Group>{{std::move(params), options}}) {}
  using Optimizer::step;
  void step() override;
};

struct NAdamOptions {
  double lr = 2e-3;
  std::pair<double, double> betas = {0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 0;
  double momentum_decay = 4e-3;

  void visit(auto&& f) {
    f("lr", lr), f("beta1", betas.first), f("beta2", betas.second), f("eps", eps);
    f("weight_decay", weight_decay), f("momentum_decay", momentum_decay);
  }
};

class NAdam : public OptimizerWith<NAdamOptions> {
 public:
  explicit NAdam(std::vector<Group> groups);
  NAdam(TensorList params, NAdamOptions options = {}) : NAdam(std::vector<Group>{{std::move(params), options}}) {}
  using Optimizer::step;
  void step() override;
};

struct RAdamOptions {
  double lr = 1e-3;
  std::pair<double, double> betas = {0.9, 0.999};
  double eps = 1e-8;
  double weight_decay = 0;

  void visit(auto&& f) {
    f("lr", lr), f("beta1", betas.first), f("beta2", betas.second), f("eps", eps);
    f("weight_decay", weight_decay);
  }
};

class RAdam : public OptimizerWith<RAdamOptions> {
 public:
  explicit RAdam(std::vector<Group> groups);
  RAdam(TensorList params, RAdamOptions options = {}) : RAdam(std::vector<Group>{{std::move(params), options}}) {}
  using Optimizer::step;
  void step() override;
};

}  // namespace soma::optim
