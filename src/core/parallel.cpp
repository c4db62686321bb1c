#include "soma/parallel.h"

#include <omp.h>

#include <atomic>

#include "soma/error.h"

extern "C" void openblas_set_num_threads(int);

namespace soma {
namespace {
std::atomic<int> num_threads{0};  // 0: not set yet
}

void set_num_threads(int n) {
  SOMA_CHECK(n >= 1, "set_num_threads: expected at least 1 thread, got {}", n);
  num_threads.store(n, std::memory_order_relaxed);
  omp_set_num_threads(n);
  openblas_set_num_threads(n);
}

int get_num_threads() {
  int n = num_threads.load(std::memory_order_relaxed);
  if (n == 0) {
    n = omp_get_max_threads();
    num_threads.store(n, std::memory_order_relaxed);
  }
  return n;
}

}  // namespace soma
