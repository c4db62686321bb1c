// Matrix-product throughput: square float32 matmul (GFLOP/s) at 1 and 2 threads, and the
// per-op time of a Linear(1,1)-like x @ w. bench/gemm_compare.sh runs these beside torch.mm.
#include <benchmark/benchmark.h>

#include "soma/soma.h"

namespace {

void BM_matmul_f32(benchmark::State& state) {
  const int64_t n = state.range(0);
  soma::set_num_threads(static_cast<int>(state.range(1)));
  soma::Generator gen(0);
  soma::Tensor a = soma::randn({n, n}, soma::kFloat32, &gen), b = soma::randn({n, n}, soma::kFloat32, &gen);
  for (auto _ : state) benchmark::DoNotOptimize(soma::matmul(a, b));
  state.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * n * n * n, benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
}
BENCHMARK(BM_matmul_f32)
    ->ArgsProduct({{128, 256, 512, 1024, 2048}, {1, 2}})
    ->ArgNames({"n", "threads"})
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

// x [1,1] @ w [1,1]: the whole per-op cost of a tiny product (checks, allocation, BLAS call).
void BM_matmul_1x1(benchmark::State& state) {
  soma::set_num_threads(1);
  soma::Tensor x = soma::ones({1, 1}), w = soma::ones({1, 1});
  for (auto _ : state) benchmark::DoNotOptimize(soma::matmul(x, w));
}
BENCHMARK(BM_matmul_1x1)->Unit(benchmark::kNanosecond);

}  // namespace

BENCHMARK_MAIN();
