// Elementwise and reduction throughput on 1M-16M float32 elements, beside a memcpy of the same
// number of bytes (the memory-bandwidth ceiling). Counter `GB/s` counts bytes read + written.
#include <benchmark/benchmark.h>

#include <cstring>

#include "soma/soma.h"

using namespace soma;

namespace {

void set_bytes(benchmark::State& state, int64_t bytes_per_iter) {
  state.counters["GB/s"] = benchmark::Counter(static_cast<double>(bytes_per_iter) * state.iterations() / 1e9,
                                              benchmark::Counter::kIsRate);
}

void memcpy_bytes(benchmark::State& state) {
  const int64_t n = state.range(0);
  Tensor a = randn({n}), b = empty({n});
  std::memcpy(b.data_ptr(), a.data_ptr(), n * 4);  // first touch of b outside the timing
  for (auto _ : state) {
    std::memcpy(b.data_ptr(), a.data_ptr(), n * 4);
    benchmark::ClobberMemory();
  }
  set_bytes(state, 8 * n);
}

template <class Op>
void unary(benchmark::State& state, Op op) {
  const int64_t n = state.range(0);
  Tensor a = randn({n});
  op(a);  // warm-up: the output's pages are touched once (the allocator then reuses them)
  for (auto _ : state) {
    Tensor c = op(a);
    benchmark::DoNotOptimize(c.data_ptr());
  }
  set_bytes(state, 8 * n);
}

template <class Op>
void binary(benchmark::State& state, Op op) {
  const int64_t n = state.range(0);
  Tensor a = randn({n}), b = randn({n});
  op(a, b);  // warm-up, as in unary
  for (auto _ : state) {
    Tensor c = op(a, b);
    benchmark::DoNotOptimize(c.data_ptr());
  }
  set_bytes(state, 12 * n);
}

template <class Op>
void reduction(benchmark::State& state, Op op) {
  const int64_t n = state.range(0);
  Tensor a = randn({n});
  for (auto _ : state) {
    Tensor c = op(a);
    benchmark::DoNotOptimize(c.data_ptr());
  }
  set_bytes(state, 4 * n);
}

// Square [r, r] inputs; `write_factor` 0 for reductions, 1 when the output is as large as the input.
template <class Op>
void rowwise_2d(benchmark::State& state, Op op, int write_factor) {
  const int64_t r = state.range(0);
  Tensor a = randn({r, r});
  for (auto _ : state) {
    Tensor c = op(a);
    benchmark::DoNotOptimize(c.data_ptr());
  }
  set_bytes(state, 4 * r * r * (1 + write_factor));
}

#define SIZES ->Arg(1 << 20)->Arg(1 << 22)->Arg(1 << 24)->Unit(benchmark::kMicrosecond)->UseRealTime()

BENCHMARK(memcpy_bytes) SIZES;
BENCHMARK_CAPTURE(binary, add, [](const Tensor& a, const Tensor& b) { return a + b; }) SIZES;
BENCHMARK_CAPTURE(binary, mul, [](const Tensor& a, const Tensor& b) { return a * b; }) SIZES;
BENCHMARK_CAPTURE(unary, relu, [](const Tensor& a) { return relu(a); }) SIZES;
BENCHMARK_CAPTURE(unary, exp, [](const Tensor& a) { return exp(a); }) SIZES;
BENCHMARK_CAPTURE(unary, tanh, [](const Tensor& a) { return tanh(a); }) SIZES;
BENCHMARK_CAPTURE(unary, sigmoid, [](const Tensor& a) { return sigmoid(a); }) SIZES;
BENCHMARK_CAPTURE(reduction, sum, [](const Tensor& a) { return a.sum(); }) SIZES;
BENCHMARK_CAPTURE(reduction, max, [](const Tensor& a) { return a.max(); }) SIZES;
BENCHMARK_CAPTURE(reduction, mean, [](const Tensor& a) { return a.mean(); }) SIZES;
BENCHMARK_CAPTURE(reduction, argmax, [](const Tensor& a) { return a.argmax(); }) SIZES;
BENCHMARK_CAPTURE(rowwise_2d, sum_dim0, [](const Tensor& a) { return a.sum({0}); }, 0)
    ->Arg(4096)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_CAPTURE(rowwise_2d, sum_dim1, [](const Tensor& a) { return a.sum({1}); }, 0)
    ->Arg(4096)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_CAPTURE(rowwise_2d, max_dim1, [](const Tensor& a) { return std::get<1>(a.max(1)); }, 0)
    ->Arg(4096)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_CAPTURE(rowwise_2d, logsumexp_dim1, [](const Tensor& a) { return a.logsumexp({1}); }, 0)
    ->Arg(4096)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_CAPTURE(rowwise_2d, var_dim1, [](const Tensor& a) { return a.var({1}); }, 0)
    ->Arg(4096)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_CAPTURE(rowwise_2d, softmax_dim1, [](const Tensor& a) { return softmax(a, 1); }, 1)
    ->Arg(4096)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
