#include "soma/storage.h"

#include "soma/allocator.h"

namespace soma {

Storage::Storage(size_t nbytes) : data_(cached_alloc(nbytes)), nbytes_(nbytes) {}

Storage::Storage(void* data, size_t nbytes, std::function<void(void*)> deleter)
    : data_(data), nbytes_(nbytes), deleter_(std::move(deleter)) {
  if (!deleter_) deleter_ = [](void*) {};
}

Storage::~Storage() {
  if (deleter_)
    deleter_(data_);
  else
    cached_free(data_, nbytes_);
}

}  // namespace soma
