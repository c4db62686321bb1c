// LeNet-5 training throughput: random [128, 1, 28, 28] batches (no data loading), conv 6@5x5
// pad 2 - relu - maxpool 2 - conv 16@5x5 - relu - maxpool 2 - 120 - 84 - 10, cross-entropy,
// Adam (lr 1e-3, written out here as one fused loop over each parameter), float32, 2 threads.
// The same workload in PyTorch: bench/reference/torch_lenet.py. Prints
//     RESULT name=lenet_train metric=<samples per second> unit=samples/s
// (the median over repetitions). Usage: bench_lenet [steps] [reps] [threads]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "soma/soma.h"

using namespace soma;

namespace {

constexpr int64_t kBatch = 128;

class LeNet : public nn::Module {
 public:
  LeNet() : Module("LeNet") {
    conv1 = register_module("conv1", nn::Conv2d(1, 6, 5, {.padding = 2}));
    conv2 = register_module("conv2", nn::Conv2d(6, 16, 5));
    fc1 = register_module("fc1", nn::Linear(400, 120));
    fc2 = register_module("fc2", nn::Linear(120, 84));
    fc3 = register_module("fc3", nn::Linear(84, 10));
  }
  Tensor forward(const Tensor& x) override {
    Tensor h = nn::functional::max_pool2d(relu(conv1->forward(x)), 2);
    h = nn::functional::max_pool2d(relu(conv2->forward(h)), 2);
    h = relu(fc1->forward(h.flatten(1)));
    h = relu(fc2->forward(h));
    return fc3->forward(h);
  }
  std::shared_ptr<nn::Conv2d> conv1, conv2;
  std::shared_ptr<nn::Linear> fc1, fc2, fc3;
};

// Adam with PyTorch's defaults (betas 0.9, 0.999, eps 1e-8), no weight decay.
class Adam {
 public:
  Adam(TensorList params, float lr) : params_(std::move(params)), lr_(lr) {
    for (const Tensor& p : params_) {
      m_.push_back(zeros(p.shape()));
      v_.push_back(zeros(p.shape()));
    }
  }
  void step() {
    ++t_;
    const float b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
    const float c1 = 1 - std::pow(b1, static_cast<float>(t_)), c2 = 1 - std::pow(b2, static_cast<float>(t_));
    const float step = lr_ / c1, inv_sqrt_c2 = 1 / std::sqrt(c2);
    for (size_t i = 0; i < params_.size(); ++i) {
      Tensor g = params_[i].grad().contiguous();
      float* p = params_[i].data<float>();
      const float* gp = g.data<float>();
      float* m = m_[i].data<float>();
      float* v = v_[i].data<float>();
      for (int64_t j = 0, n = g.numel(); j < n; ++j) {
        m[j] = b1 * m[j] + (1 - b1) * gp[j];
        v[j] = b2 * v[j] + (1 - b2) * gp[j] * gp[j];
        p[j] -= step * m[j] / (std::sqrt(v[j]) * inv_sqrt_c2 + eps);
      }
      params_[i].bump_version();
    }
  }

 private:
  TensorList params_, m_, v_;
  float lr_;
  int64_t t_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  const int steps = argc > 1 ? std::atoi(argv[1]) : 50;
  const int reps = argc > 2 ? std::atoi(argv[2]) : 5;
  set_num_threads(argc > 3 ? std::atoi(argv[3]) : 2);
  manual_seed(0);
  LeNet model;
  Adam adam(model.parameters(), 1e-3f);
  std::vector<std::pair<Tensor, Tensor>> batches;
  for (int i = 0; i < 8; ++i) batches.emplace_back(randn({kBatch, 1, 28, 28}), randint(0, 10, {kBatch}));

  float loss_value = 0;
  auto step = [&](int i) {
    const auto& [x, y] = batches[i % batches.size()];
    model.zero_grad();
    Tensor loss = -(log_softmax(model(x), 1) * one_hot(y, 10)).sum() / static_cast<double>(kBatch);
    loss.backward();
    adam.step();
    loss_value = loss.item<float>();
  };
  for (int i = 0; i < 5; ++i) step(i);
  std::vector<double> rates;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < steps; ++i) step(i);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    rates.push_back(steps * kBatch / s);
  }
  std::sort(rates.begin(), rates.end());
  std::printf("RESULT name=lenet_train metric=%.0f unit=samples/s (final loss %.4f)\n", rates[rates.size() / 2],
              loss_value);
}
