// Training throughput of two MLPs on random data shaped like Fashion-MNIST (60000 x 784, 10
// classes), the workloads of reference/torch_mlp.py:
//   mlp256_adam_b128:  784-256-128-10 (ReLU), Adam lr 1e-3, batch 128
//   mlp16_sgd_b32:     784-16-16-10 (sigmoid), SGD lr 0.1, batch 32
// Each step: forward, cross-entropy, backward, optimizer step, zero_grad. Reports the median
// over timed segments of training samples per second:
//   RESULT name=<workload> metric=<samples/s> unit=samples/s
// Usage: bench_mlp [threads (default 2)] [segments (default 7)]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <vector>

#include "soma/soma.h"

using namespace soma;

namespace {

constexpr int64_t kSamples = 60000, kFeatures = 784, kClasses = 10;

Tensor cross_entropy(const Tensor& logits, const Tensor& target) {
  return -logits.log_softmax(1).gather(1, target.unsqueeze(1)).mean();
}

struct Mlp {
  std::vector<std::shared_ptr<nn::Linear>> layers;
  bool sigmoid;
  Mlp(std::vector<int64_t> sizes, bool sigmoid) : sigmoid(sigmoid) {
    for (size_t i = 0; i + 1 < sizes.size(); ++i)
      layers.push_back(std::make_shared<nn::Linear>(sizes[i], sizes[i + 1]));
  }
  Tensor forward(Tensor x) const {
    for (size_t i = 0; i < layers.size(); ++i) {
      x = layers[i]->forward(x);
      if (i + 1 < layers.size()) x = sigmoid ? x.sigmoid() : x.relu();
    }
    return x;
  }
  TensorList parameters() const {
    TensorList out;
    for (const auto& l : layers) out.push_back(l->weight), out.push_back(l->bias);
    return out;
  }
};

double run(const char* name, const Mlp& model, optim::Optimizer& opt, int64_t batch, int64_t batches_per_segment,
           int segments, const Tensor& x, const Tensor& y) {
  int64_t next = 0;
  auto train_batch = [&] {
    if (next + batch > kSamples) next = 0;
    Tensor xb = x.narrow(0, next, batch), yb = y.narrow(0, next, batch);
    next += batch;
    Tensor loss = cross_entropy(model.forward(xb), yb);
    loss.backward();
    opt.step();
    opt.zero_grad();
  };
  for (int i = 0; i < 20; ++i) train_batch();  // warm-up (allocator caches, first-step state)
  std::vector<double> rates;
  for (int s = 0; s < segments; ++s) {
    auto t0 = std::chrono::steady_clock::now();
    for (int64_t i = 0; i < batches_per_segment; ++i) train_batch();
    double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    rates.push_back(static_cast<double>(batches_per_segment * batch) / sec);
  }
  std::sort(rates.begin(), rates.end());
  double median = rates[rates.size() / 2];
  std::printf("RESULT name=%s metric=%.0f unit=samples/s\n", name, median);
  std::fflush(stdout);
  return median;
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 2;
  const int segments = argc > 2 ? std::atoi(argv[2]) : 7;
  set_num_threads(threads);
  manual_seed(0);
  Tensor x = randn({kSamples, kFeatures});
  Tensor y = randint(0, kClasses, {kSamples});

  Mlp big({kFeatures, 256, 128, kClasses}, false);
  optim::Adam adam(big.parameters(), {.lr = 1e-3});
  run("mlp256_adam_b128", big, adam, 128, 100, segments, x, y);

  Mlp small({kFeatures, 16, 16, kClasses}, true);
  optim::SGD sgd(small.parameters(), {.lr = 0.1});
  run("mlp16_sgd_b32", small, sgd, 32, 500, segments, x, y);
}
