#include "soma/shape.h"

#include "soma/error.h"

namespace soma {

std::string Shape::str() const {
  std::string s = "[";
  for (int64_t i = 0; i < size_; ++i) {
    if (i) s += ", ";
    s += std::to_string(data()[i]);
  }
  return s + "]";
}

int64_t wrap_dim(int64_t dim, int64_t ndim, const char* op) {
  int64_t n = ndim == 0 ? 1 : ndim;  // a 0-d tensor accepts dim 0 and -1, as in PyTorch
  SOMA_CHECK(dim >= -n && dim < n, "{}: dim {} is out of range for a tensor of {} dims (expected {} to {})",
             op, dim, ndim, -n, n - 1);
  return dim < 0 ? dim + n : dim;
}

Shape contiguous_strides(const Shape& shape) {
  Shape strides(shape.size());
  int64_t s = 1;
  for (int64_t i = shape.size() - 1; i >= 0; --i) {
    strides[i] = s;
    // Checked even when the shape holds no elements: [0, 2^32, 2^32] has no int64 strides.
    SOMA_CHECK(!__builtin_mul_overflow(s, std::max<int64_t>(shape[i], 1), &s) || i == 0,
               "contiguous_strides: shape {} is too large: the stride of dim {} overflows int64", shape, i - 1);
  }
  return strides;
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  int64_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (int64_t i = 0; i < n; ++i) {
    int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    SOMA_CHECK(da == db || da == 1 || db == 1,
               "{}: shapes {} and {} cannot be broadcast together (dim {}: {} vs {})", op, a, b, i, da, db);
    out[i] = da == 1 ? db : da;
  }
  return out;
}

}  // namespace soma
