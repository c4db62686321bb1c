// Fits a small network y = W2 tanh(W1 x + b1) + b2 to sin(3x) on [-1, 1] with autograd and
// plain gradient descent with momentum: the smallest end-to-end use of soma's core.
#include <cmath>
#include <cstdio>

#include "soma/soma.h"

using namespace soma;

int main() {
  manual_seed(0);
  const int64_t n = 256, hidden = 32;
  Tensor x = linspace(-1, 1, n).reshape({n, 1});
  Tensor y = sin(x * 3.0);

  // He-style initial scale; parameters are leaves that require grad.
  Tensor w1 = (randn({1, hidden}) * 1.0).requires_grad_();
  Tensor b1 = zeros({hidden}).requires_grad_();
  Tensor w2 = (randn({hidden, 1}) * std::sqrt(1.0 / hidden)).requires_grad_();
  Tensor b2 = zeros({1}).requires_grad_();
  TensorList params = {w1, b1, w2, b2};
  TensorList velocity;
  for (const Tensor& p : params) velocity.push_back(zeros_like(p));

  const double lr = 0.05, momentum = 0.9;
  double loss_value = 0;
  for (int step = 0; step <= 2000; ++step) {
    Tensor pred = matmul(tanh(matmul(x, w1) + b1), w2) + b2;
    Tensor loss = ((pred - y) * (pred - y)).mean();
    for (const Tensor& p : params) p.zero_grad();
    loss.backward();
    {
      NoGradGuard no_grad;
      for (size_t i = 0; i < params.size(); ++i) {
        velocity[i].mul_(momentum).add_(params[i].grad());
        params[i].sub_(velocity[i], lr);
      }
    }
    loss_value = loss.item();
    if (step % 400 == 0) std::printf("step %4d  mse %.6f\n", step, loss_value);
  }
  std::printf("final mse %.6f (%s)\n", loss_value, loss_value < 1e-3 ? "fit" : "did not fit");
  return loss_value < 1e-3 ? 0 : 1;
}
