// Causal self-attention, forward + backward, float32: soma's fused kernel (scaled_dot_product_attention)
// and the same attention composed from primitive ops (matmul + masked softmax + matmul), at the
// GPT anchor's shape [B=32, H=4, T=128, D=32] and a long-sequence shape [B=4, H=8, T=1024, D=64].
// The same workload in PyTorch 1.13 (explicit attention): bench/reference/torch_attention.py.
// Prints, per shape and path,
//     RESULT name=attention_<path>_<shape> metric=<milliseconds per forward + backward> unit=ms
// (the median over repetitions). Usage: bench_attention [reps] [threads]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "soma/soma.h"

using namespace soma;
namespace F = soma::nn::functional;

namespace {

struct Case {
  const char* name;
  int64_t B, H, T, D;
};

// Median milliseconds of one forward + backward of `attend` over `reps` timed runs.
template <class Attend>
double time_ms(const Case& c, int reps, Attend attend) {
  Generator gen(0);
  Tensor q = randn({c.B, c.H, c.T, c.D}, kFloat32, &gen).requires_grad_();
  Tensor k = randn({c.B, c.H, c.T, c.D}, kFloat32, &gen).requires_grad_();
  Tensor v = randn({c.B, c.H, c.T, c.D}, kFloat32, &gen).requires_grad_();
  Tensor g = randn({c.B, c.H, c.T, c.D}, kFloat32, &gen);
  auto step = [&] { autograd::grad({attend(q, k, v)}, {q, k, v}, {g}); };
  for (int i = 0; i < 2; ++i) step();  // warm up the allocator cache
  const int iters = c.T >= 1024 ? 2 : 10;
  std::vector<double> ms;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < iters; ++i) step();
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() / iters);
  }
  std::nth_element(ms.begin(), ms.begin() + ms.size() / 2, ms.end());
  return ms[ms.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const int reps = argc > 1 ? std::atoi(argv[1]) : 7;
  set_num_threads(argc > 2 ? std::atoi(argv[2]) : 2);
  const Case cases[] = {{"b32_h4_t128_d32", 32, 4, 128, 32}, {"b4_h8_t1024_d64", 4, 8, 1024, 64}};
  for (const Case& c : cases) {
    const double fused = time_ms(c, reps, [](const Tensor& q, const Tensor& k, const Tensor& v) {
      return F::scaled_dot_product_attention(q, k, v, {.is_causal = true});
    });
    std::printf("RESULT name=attention_fused_%s metric=%.3f unit=ms\n", c.name, fused);
    const double composed = time_ms(c, reps, [](const Tensor& q, const Tensor& k, const Tensor& v) {
      return F::attention_weights(q, k, {.is_causal = true}).matmul(v);
    });
    std::printf("RESULT name=attention_composed_%s metric=%.3f unit=ms\n", c.name, composed);
    std::fflush(stdout);
  }
}
