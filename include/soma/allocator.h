#pragma once
// The caching allocator behind every tensor's storage. Freed blocks are kept in size buckets
// (four per power of two) and handed out again, so a training step that repeats the same
// shapes allocates nothing from the operating system after its first iteration.
#include <cstddef>
#include <cstdint>

namespace soma {

struct AllocatorStats {
  uint64_t os_allocations = 0;  // blocks obtained from the OS (malloc)
  uint64_t cache_hits = 0;      // requests served from the cache
  uint64_t bytes_cached = 0;    // bytes held in the cache right now
  uint64_t bytes_in_use = 0;    // bytes handed out and not yet freed
};

// 64-byte aligned memory of at least `nbytes` bytes.
void* cached_alloc(size_t nbytes);
// Returns a block from cached_alloc(nbytes) to the cache.
void cached_free(void* ptr, size_t nbytes);
AllocatorStats allocator_stats();
// Gives every cached block back to the OS.
void empty_cache();

}  // namespace soma
