#pragma once
// Shape: a list of dimension sizes (or strides, or dims) stored inline for up to 6 entries, so
// that making, copying and comparing the shapes of ordinary tensors never touches the heap.
#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <span>
#include <string>
#include <vector>

namespace soma {

class Shape {
 public:
  static constexpr int64_t kInline = 6;

  Shape() = default;
  Shape(std::initializer_list<int64_t> v) { assign(v.begin(), v.size()); }
  Shape(std::span<const int64_t> v) { assign(v.data(), v.size()); }
  Shape(const std::vector<int64_t>& v) { assign(v.data(), v.size()); }
  explicit Shape(int64_t n, int64_t value = 0) {
    reserve(n);
    size_ = n;
    std::fill(data(), data() + n, value);
  }
  Shape(const Shape& o) { assign(o.data(), o.size_); }
  Shape(Shape&& o) noexcept { move_from(o); }
  Shape& operator=(const Shape& o) {
    if (this != &o) assign(o.data(), o.size_);
    return *this;
  }
  Shape& operator=(Shape&& o) noexcept {
    if (this != &o) {
      release();
      move_from(o);
    }
    return *this;
  }
  ~Shape() { release(); }

  int64_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  int64_t* data() { return heap_ ? heap_ : inline_; }
  const int64_t* data() const { return heap_ ? heap_ : inline_; }
  int64_t& operator[](int64_t i) { return data()[i]; }
  int64_t operator[](int64_t i) const { return data()[i]; }
  int64_t* begin() { return data(); }
  int64_t* end() { return data() + size_; }
  const int64_t* begin() const { return data(); }
  const int64_t* end() const { return data() + size_; }
  int64_t back() const { return data()[size_ - 1]; }
  operator std::span<const int64_t>() const { return {data(), static_cast<size_t>(size_)}; }
  std::vector<int64_t> vec() const { return {begin(), end()}; }

  void push_back(int64_t v) {
    reserve(size_ + 1);
    data()[size_++] = v;
  }
  void pop_back() { --size_; }
  void insert(int64_t pos, int64_t v) {
    reserve(size_ + 1);
    int64_t* d = data();
    std::memmove(d + pos + 1, d + pos, (size_ - pos) * sizeof(int64_t));
    d[pos] = v;
    ++size_;
  }
  void erase(int64_t pos) {
    int64_t* d = data();
    std::memmove(d + pos, d + pos + 1, (size_ - pos - 1) * sizeof(int64_t));
    --size_;
  }
  void resize(int64_t n, int64_t value = 0) {
    reserve(n);
    for (int64_t i = size_; i < n; ++i) data()[i] = value;
    size_ = n;
  }
  void reserve(int64_t n) {
    if (n <= capacity()) return;
    int64_t cap = std::max<int64_t>(n, 2 * capacity());
    auto* p = new int64_t[cap];
    std::memcpy(p, data(), size_ * sizeof(int64_t));
    delete[] heap_;
    heap_ = p;
    cap_ = cap;
  }

  // Product of the entries (the element count when this is a shape).
  int64_t numel() const {
    int64_t n = 1;
    for (int64_t v : *this) n *= v;
    return n;
  }
  friend bool operator==(const Shape& a, const Shape& b) {
    if (a.size_ != b.size_) return false;
    const int64_t *x = a.data(), *y = b.data();
    for (int64_t i = 0; i < a.size_; ++i)  // short shapes: a plain loop beats a memcmp call
      if (x[i] != y[i]) return false;
    return true;
  }
  std::string str() const;  // "[2, 3]"

 private:
  int64_t capacity() const { return heap_ ? cap_ : kInline; }
  void assign(const int64_t* p, size_t n) {
    reserve(static_cast<int64_t>(n));
    if (n) std::memmove(data(), p, n * sizeof(int64_t));  // p may be null when n == 0
    size_ = static_cast<int64_t>(n);
  }
  void move_from(Shape& o) {
    size_ = o.size_;
    if (o.heap_) {
      heap_ = o.heap_;
      cap_ = o.cap_;
      o.heap_ = nullptr;
    } else {
      std::memcpy(inline_, o.inline_, size_ * sizeof(int64_t));
    }
    o.size_ = 0;
  }
  void release() {
    delete[] heap_;
    heap_ = nullptr;
  }

  int64_t size_ = 0;
  int64_t* heap_ = nullptr;
  int64_t cap_ = 0;
  int64_t inline_[kInline];
};

// A list of dimensions (negative values count from the end).
using Dims = Shape;

// Maps a possibly negative dim into [0, ndim); throws naming `op` when out of range.
int64_t wrap_dim(int64_t dim, int64_t ndim, const char* op);

// Contiguous (row-major) strides of a shape.
Shape contiguous_strides(const Shape& shape);

// The NumPy broadcast of two shapes; throws naming `op` when they are incompatible.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

}  // namespace soma

template <>
struct fmt::formatter<soma::Shape> : fmt::formatter<std::string> {
  auto format(const soma::Shape& s, format_context& ctx) const {
    return fmt::formatter<std::string>::format(s.str(), ctx);
  }
};
