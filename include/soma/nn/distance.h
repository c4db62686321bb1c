#pragma once
// Distance modules: forward(x1, x2) calls the functional form with the module's settings.
#include "soma/nn/functional/distance.h"
#include "soma/nn/module.h"

namespace soma::nn {

class PairwiseDistance : public Module {
 public:
  explicit PairwiseDistance(double p = 2.0, double eps = 1e-6, bool keepdim = false)
      : Module("PairwiseDistance"), p(p), eps(eps), keepdim(keepdim) {}
  using Module::forward;
  Tensor forward(const Tensor& x1, const Tensor& x2) { return functional::pairwise_distance(x1, x2, p, eps, keepdim); }
  Tensor operator()(const Tensor& x1, const Tensor& x2) { return forward(x1, x2); }
  double p, eps;
  bool keepdim;
};

}  // namespace soma::nn
