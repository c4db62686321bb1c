// The workloads of bench_mlp.cpp in libtorch C++ (the same as torch_mlp.py):
//   mlp256_adam_b128: 784-256-128-10 (ReLU), Adam lr 1e-3, batch 128
//   mlp16_sgd_b32:    784-16-16-10 (sigmoid), SGD lr 0.1, batch 32
// on random data shaped like Fashion-MNIST, median samples/s over timed segments:
//   RESULT name=<workload> metric=<samples/s> unit=samples/s
// Usage: libtorch_mlp [threads (default 2)] [segments (default 7)]
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {

constexpr int64_t kSamples = 60000, kFeatures = 784, kClasses = 10;

torch::nn::Sequential mlp(const std::vector<int64_t>& sizes, bool sigmoid) {
  torch::nn::Sequential net;
  for (size_t i = 0; i + 1 < sizes.size(); ++i) {
    net->push_back(torch::nn::Linear(sizes[i], sizes[i + 1]));
    if (i + 2 < sizes.size()) {
      if (sigmoid)
        net->push_back(torch::nn::Sigmoid());
      else
        net->push_back(torch::nn::ReLU());
    }
  }
  return net;
}

void run(const char* name, torch::nn::Sequential& model, torch::optim::Optimizer& opt, int64_t batch,
         int64_t batches_per_segment, int segments, const torch::Tensor& x, const torch::Tensor& y) {
  int64_t next = 0;
  auto train_batch = [&] {
    if (next + batch > kSamples) next = 0;
    auto xb = x.narrow(0, next, batch), yb = y.narrow(0, next, batch);
    next += batch;
    auto loss = torch::nn::functional::cross_entropy(model->forward(xb), yb);
    loss.backward();
    opt.step();
    opt.zero_grad();
  };
  for (int i = 0; i < 20; ++i) train_batch();
  std::vector<double> rates;
  for (int s = 0; s < segments; ++s) {
    auto t0 = std::chrono::steady_clock::now();
    for (int64_t i = 0; i < batches_per_segment; ++i) train_batch();
    double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    rates.push_back(static_cast<double>(batches_per_segment * batch) / sec);
  }
  std::sort(rates.begin(), rates.end());
  std::printf("RESULT name=%s metric=%.0f unit=samples/s\n", name, rates[rates.size() / 2]);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 2;
  const int segments = argc > 2 ? std::atoi(argv[2]) : 7;
  torch::set_num_threads(threads);
  torch::manual_seed(0);
  auto x = torch::randn({kSamples, kFeatures});
  auto y = torch::randint(0, kClasses, {kSamples});
  auto big = mlp({kFeatures, 256, 128, kClasses}, false);
  torch::optim::Adam adam(big->parameters(), torch::optim::AdamOptions(1e-3));
  run("mlp256_adam_b128", big, adam, 128, 100, segments, x, y);
  auto small = mlp({kFeatures, 16, 16, kClasses}, true);
  torch::optim::SGD sgd(small->parameters(), torch::optim::SGDOptions(0.1));
  run("mlp16_sgd_b32", small, sgd, 32, 500, segments, x, y);
}
