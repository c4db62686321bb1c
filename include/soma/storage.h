#pragma once
// Storage: one block of memory that any number of tensor views share. Its version counter
// counts in-place writes through any view, so autograd can tell when a tensor it saved for
// backward has been modified.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

namespace soma {

class Storage {
 public:
  // Allocates `nbytes` from the caching allocator.
  explicit Storage(size_t nbytes);
  // Wraps memory owned elsewhere; `deleter` (if any) runs when the last view is gone.
  Storage(void* data, size_t nbytes, std::function<void(void*)> deleter);
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  ~Storage();

  void* data() const { return data_; }
  size_t nbytes() const { return nbytes_; }
  uint32_t version() const { return version_.load(std::memory_order_relaxed); }
  void bump_version() { version_.fetch_add(1, std::memory_order_relaxed); }

 private:
  void* data_;
  size_t nbytes_;
  std::function<void(void*)> deleter_;  // empty: memory came from the caching allocator
  std::atomic<uint32_t> version_{0};
};

}  // namespace soma
