#include "soma/allocator.h"

#include <cstdlib>
#include <mutex>
#include <new>
#include <vector>

namespace soma {
namespace {

constexpr size_t kAlign = 64;
constexpr int kBuckets = 4 * 64;

// Rounds a request up to one of four sizes per power of two (at most 25% waste above 256
// bytes), then to a multiple of the alignment as aligned_alloc requires, and returns its bucket
// index.
int bucket_of(size_t n, size_t* rounded) {
  if (n <= kAlign) {
    *rounded = kAlign;
    return 0;
  }
  int hi = 63 - __builtin_clzll(n - 1);  // n - 1 < 2^(hi+1)
  size_t quarter = size_t{1} << (hi - 2);
  size_t base = size_t{1} << hi;
  size_t steps = (n - base + quarter - 1) / quarter;  // 1..4 quarters above base
  *rounded = (base + steps * quarter + kAlign - 1) & ~(kAlign - 1);
  return hi * 4 + static_cast<int>(steps);
}

struct Cache {
  std::mutex mu;
  std::vector<void*> free[kBuckets + 1];
  AllocatorStats stats;

  ~Cache() {
    for (auto& list : free)
      for (void* p : list) std::free(p);
  }
};

Cache& cache() {
  static Cache* c = new Cache;  // never destroyed: tensors may outlive static destructors
  return *c;
}

}  // namespace

void* cached_alloc(size_t nbytes) {
  size_t rounded;
  int b = bucket_of(nbytes == 0 ? 1 : nbytes, &rounded);
  Cache& c = cache();
  {
    std::lock_guard lock(c.mu);
    c.stats.bytes_in_use += rounded;
    if (!c.free[b].empty()) {
      void* p = c.free[b].back();
      c.free[b].pop_back();
      c.stats.cache_hits++;
      c.stats.bytes_cached -= rounded;
      return p;
    }
    c.stats.os_allocations++;
  }
  void* p = std::aligned_alloc(kAlign, rounded);
  if (!p) throw std::bad_alloc();
  return p;
}

void cached_free(void* ptr, size_t nbytes) {
  if (!ptr) return;
  size_t rounded;
  int b = bucket_of(nbytes == 0 ? 1 : nbytes, &rounded);
  Cache& c = cache();
  std::lock_guard lock(c.mu);
  c.stats.bytes_in_use -= rounded;
  c.stats.bytes_cached += rounded;
  c.free[b].push_back(ptr);
}

AllocatorStats allocator_stats() {
  Cache& c = cache();
  std::lock_guard lock(c.mu);
  return c.stats;
}

void empty_cache() {
  Cache& c = cache();
  std::lock_guard lock(c.mu);
  for (auto& list : c.free) {
    for (void* p : list) std::free(p);
    list.clear();
  }
  c.stats.bytes_cached = 0;
}

}  // namespace soma
