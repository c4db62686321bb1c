// Per-op overhead: a 1-element `a + b`, and forward(+backward) of a Linear(1, 1) layer
// (y = x W^T + b on a [1, 1] input), the workloads of reference/torch_overhead.py.
#include <benchmark/benchmark.h>

#include "soma/soma.h"

using namespace soma;

static void add_1elem(benchmark::State& state) {
  Tensor a = randn({1}), b = randn({1});
  for (auto _ : state) {
    Tensor c = a + b;
    benchmark::DoNotOptimize(c.data_ptr());
  }
}
BENCHMARK(add_1elem);

struct Linear1 {
  Tensor weight = randn({1, 1}).requires_grad_();
  Tensor bias = randn({1}).requires_grad_();
  Tensor forward(const Tensor& x) const { return addmm(bias, x, weight.t()); }
};

static void linear1_fwd_bwd(benchmark::State& state) {
  Linear1 lin;
  Tensor x = randn({1, 1});
  for (auto _ : state) lin.forward(x).backward();  // gradients accumulate, as in the reference
}
BENCHMARK(linear1_fwd_bwd);

static void linear1_fwd_nograd(benchmark::State& state) {
  Linear1 lin;
  Tensor x = randn({1, 1});
  NoGradGuard no_grad;
  for (auto _ : state) {
    Tensor y = lin.forward(x);
    benchmark::DoNotOptimize(y.data_ptr());
  }
}
BENCHMARK(linear1_fwd_nograd);

BENCHMARK_MAIN();
