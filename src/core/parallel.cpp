#include "soma/parallel.h"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "soma/error.h"

extern "C" void openblas_set_num_threads(int);

namespace soma {
namespace {
std::atomic<int> num_threads{0};  // 0: not set yet
}

int max_num_threads() {
  // Oversubscribing a few times can help a machine whose cores wait on memory; far more only
  // costs memory (each OpenBLAS thread gets its own buffers, and with an address-space limit
  // OpenBLAS retries the failing allocation forever).
  return 4 * static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

void set_num_threads(int n) {
  const int most = max_num_threads();
  SOMA_CHECK(n >= 1 && n <= most,
             "set_num_threads: expected 1 to {} threads (4 per core on this machine's {}), got {}", most, most / 4, n);
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
