#pragma once
// parallel_for: splits [0, n) items into one contiguous range per thread when the work is worth
// it (n * cost elements above `grain`), else runs it on the calling thread. Each item is handled
// by exactly one thread, so results never depend on the thread count.
#include <omp.h>

#include <algorithm>
#include <cstdint>

#include "soma/parallel.h"

namespace soma::kernels {

inline constexpr int64_t kParallelGrain = 32768;

template <class F>
void parallel_for(int64_t n, int64_t cost, F f, int64_t grain = kParallelGrain) {
  if (n <= 0) return;
  const int threads = get_num_threads();
  if (n == 1 || threads <= 1 || n * cost < grain) return f(int64_t{0}, n);
  const int nt = static_cast<int>(std::min<int64_t>({threads, n, n * cost / std::max<int64_t>(1, grain / 2)}));
#pragma omp parallel num_threads(nt)
  {
    const int64_t k = omp_get_num_threads(), per = (n + k - 1) / k;
    const int64_t b = omp_get_thread_num() * per, e = std::min(n, b + per);
    if (b < e) f(b, e);
  }
}

}  // namespace soma::kernels
