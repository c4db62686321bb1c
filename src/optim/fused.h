#pragma once
// The fused update loop of the optimizers: one pass over a parameter's elements updating the
// parameter and its state together. Elementwise, so results do not depend on the thread count.
// The loops are written `#pragma omp simd` (the operands never overlap) with no branch on
// optional buffers inside: a pointer that may be null is turned into a compile-time flag with
// with_flag, so every loop vectorizes.
#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <type_traits>

#include "soma/parallel.h"

namespace soma::optim::detail {

// Below this many elements an update runs on one thread.
inline constexpr int64_t kUpdateGrain = 32768;

// Calls body(begin, end) over [0, n), split across threads above the grain.
template <class Body>
void parallel_range(int64_t n, const Body& body) {
  const int threads = get_num_threads();
  if (n < kUpdateGrain || threads <= 1) {
    body(int64_t{0}, n);
    return;
  }
  const int chunks = static_cast<int>(std::min<int64_t>(threads, n / (kUpdateGrain / 2)));
#pragma omp parallel num_threads(chunks)
  {
    const int64_t per = (n + omp_get_num_threads() - 1) / omp_get_num_threads();
    const int64_t b = std::min(n, per * omp_get_thread_num());
    body(b, std::min(n, b + per));
  }
}

// Calls f(std::true_type{}) or f(std::false_type{}): `if constexpr (decltype(flag)::value)`
// inside f selects code at compile time.
template <class F>
void with_flag(bool flag, F&& f) {
  if (flag)
    f(std::true_type{});
  else
    f(std::false_type{});
}

}  // namespace soma::optim::detail
