// The per-op overhead workloads of bench_overhead.cpp in libtorch's C++ frontend, timed the same
// way as reference/torch_ops.py (median over 21 repetitions of the mean time of a loop).
// Built by bench/reference/build_libtorch.sh (needs Debian's libtorch-dev); prints RESULT lines.
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

template <class F>
double median_us(F&& f, int reps, int inner) {
  std::vector<double> t;
  for (int r = 0; r < reps; ++r) {
    auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < inner; ++i) f();
    t.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count() / inner);
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

int main(int argc, char** argv) {
  torch::set_num_threads(argc > 1 ? std::atoi(argv[1]) : 2);
  torch::manual_seed(0);
  torch::Tensor a = torch::randn({1}), b = torch::randn({1}), c;
  std::printf("RESULT name=add_1elem metric=%.4f unit=us\n", median_us([&] { c = a + b; }, 21, 10000));
  torch::nn::Linear lin(1, 1);
  torch::Tensor x = torch::randn({1, 1});
  std::printf("RESULT name=linear1_fwd_bwd metric=%.4f unit=us\n",
              median_us([&] { lin->forward(x).backward(); }, 21, 2000));
  torch::NoGradGuard no_grad;
  std::printf("RESULT name=linear1_fwd_nograd metric=%.4f unit=us\n", median_us([&] { c = lin->forward(x); }, 21, 5000));
}
