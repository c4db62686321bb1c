// Creation, conversion and copies.
#include "soma/creation.h"

#include <cmath>

#include "autograd/node.h"
#include "kernels/cpu/copy.h"
#include "ops/util.h"
#include "soma/math.h"

namespace soma {

Tensor empty(const Shape& shape, DType dtype) {
  for (int64_t s : shape) SOMA_CHECK(s >= 0, "empty: negative size in shape {}", shape);
  auto storage = std::make_shared<Storage>(shape.numel() * dtype_size(dtype));
  return Tensor(std::move(storage), shape, contiguous_strides(shape), 0, dtype);
}

Tensor full(const Shape& shape, Scalar value, DType dtype) {
  Tensor t = empty(shape, dtype);
  kernels::fill(t, value);
  return t;
}

Tensor zeros(const Shape& shape, DType dtype) { return full(shape, 0, dtype); }
Tensor ones(const Shape& shape, DType dtype) { return full(shape, 1, dtype); }
Tensor empty_like(const Tensor& t) { return empty(t.shape(), t.dtype()); }
Tensor zeros_like(const Tensor& t) { return zeros(t.shape(), t.dtype()); }
Tensor ones_like(const Tensor& t) { return ones(t.shape(), t.dtype()); }
Tensor full_like(const Tensor& t, Scalar value) { return full(t.shape(), value, t.dtype()); }
Tensor scalar_tensor(Scalar value) { return full({}, value, value.natural_dtype()); }
Tensor scalar_tensor(Scalar value, DType dtype) { return full({}, value, dtype); }

Tensor arange(Scalar end) { return arange(0, end, 1); }

Tensor arange(Scalar start, Scalar end, Scalar step) {
  bool integral = !start.is_floating() && !end.is_floating() && !step.is_floating();
  return arange(start, end, step, integral ? kInt64 : kFloat32);
}

Tensor arange(Scalar start, Scalar end, Scalar step, DType dtype) {
  double s = start.to_double(), e = end.to_double(), st = step.to_double();
  const bool integral = is_integral(dtype) || dtype == kBool;
  SOMA_CHECK(st != 0 && (!integral || step.to_int() != 0),
             "arange: step must be nonzero (got {} for dtype {})", st, dtype_name(dtype));
  SOMA_CHECK(std::isfinite(s) && std::isfinite(e) && std::isfinite(st), "arange: start, end and step must be finite");
  SOMA_CHECK((e - s) / st >= 0 || s == e, "arange: the step {} goes away from end ({} to {})", st, s, e);
  // Integer ranges count in int64 (exact beyond 2^53), others in double, as in PyTorch.
  auto n = integral ? (end.to_int() - start.to_int() + step.to_int() - (step.to_int() > 0 ? 1 : -1)) / step.to_int()
                    : static_cast<int64_t>(std::ceil((e - s) / st));
  Tensor t = empty({std::max<int64_t>(n, 0)}, dtype);
  dispatch(dtype, [&]<class T>() {
    T* p = static_cast<T*>(t.data_ptr());
    if constexpr (std::is_integral_v<T>) {  // start and step truncated to integers, as in PyTorch
      int64_t si = start.to_int(), sti = step.to_int();
      for (int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(si + i * sti);
    } else {
      for (int64_t i = 0; i < n; ++i) p[i] = kernels::convert<T>(s + static_cast<double>(i) * st);
    }
  });
  return t;
}

Tensor linspace(double start, double end, int64_t steps, DType dtype) {
  SOMA_CHECK(steps >= 0, "linspace: steps must be non-negative, got {}", steps);
  if (steps == 1) return full({1}, start, dtype);
  Tensor t = empty({steps}, dtype);
  dispatch(dtype, [&]<class T>() {
    // As in PyTorch: the ends are first converted to the dtype; floating types compute in their
    // own precision (float for the half types), integers in double.
    constexpr bool single = std::is_same_v<T, float> || std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>;
    using C = std::conditional_t<single, float, double>;
    const C a = static_cast<C>(kernels::convert<T>(start)), b = static_cast<C>(kernels::convert<T>(end));
    const C step = (b - a) / static_cast<C>(steps - 1);
    T* p = static_cast<T*>(t.data_ptr());
    // Symmetric formula: the second half counts back from `end`, so both ends are exact. A fused
    // multiply-add, as PyTorch's vectorized kernel computes it (same values at any -O level).
    for (int64_t i = 0; i < steps; ++i)
      p[i] = kernels::convert<T>(i < steps / 2 ? std::fma(step, static_cast<C>(i), a)
                                               : std::fma(-step, static_cast<C>(steps - 1 - i), b));
  });
  return t;
}

Tensor eye(int64_t n, int64_t m, DType dtype) {
  if (m == -1) m = n;
  SOMA_CHECK(n >= 0 && m >= 0, "eye: sizes must be non-negative, got n={}, m={}", n, m);
  Tensor t = zeros({n, m}, dtype);
  dispatch(dtype, [&]<class T>() {
    T* p = static_cast<T*>(t.data_ptr());
    for (int64_t i = 0; i < std::min(n, m); ++i) p[i * m + i] = kernels::convert<T>(1);
  });
  return t;
}

template <class T>
Tensor from_vector(const std::vector<T>& values, const Shape& shape) {
  SOMA_CHECK(static_cast<int64_t>(values.size()) == shape.numel(),
             "from_vector: {} values do not fill shape {} ({} elements)", values.size(), shape, shape.numel());
  Tensor t = empty(shape, dtype_v<T>);
  T* p = static_cast<T*>(t.data_ptr());
  for (size_t i = 0; i < values.size(); ++i) p[i] = values[i];
  return t;
}
template Tensor from_vector(const std::vector<float>&, const Shape&);
template Tensor from_vector(const std::vector<double>&, const Shape&);
template Tensor from_vector(const std::vector<int64_t>&, const Shape&);
template Tensor from_vector(const std::vector<int32_t>&, const Shape&);
template Tensor from_vector(const std::vector<int16_t>&, const Shape&);
template Tensor from_vector(const std::vector<int8_t>&, const Shape&);
template Tensor from_vector(const std::vector<uint8_t>&, const Shape&);
template Tensor from_vector(const std::vector<bool>&, const Shape&);

Tensor tensor(const std::vector<double>& values, const Shape& shape, DType dtype) {
  return from_vector(values, shape).to(dtype);
}

Tensor tensor(std::initializer_list<Scalar> values, DType dtype) {
  std::vector<double> v;
  v.reserve(values.size());
  for (const Scalar& s : values) v.push_back(s.to_double());
  return tensor(v, Shape{static_cast<int64_t>(values.size())}, dtype);
}

Tensor tensor(std::initializer_list<std::initializer_list<double>> rows, DType dtype) {
  std::vector<double> v;
  int64_t cols = rows.size() ? static_cast<int64_t>(rows.begin()->size()) : 0;
  for (const auto& r : rows) {
    SOMA_CHECK(static_cast<int64_t>(r.size()) == cols, "tensor: rows have different lengths ({} and {})", cols,
               r.size());
    v.insert(v.end(), r.begin(), r.end());
  }
  return tensor(v, Shape{static_cast<int64_t>(rows.size()), cols}, dtype);
}

Tensor from_blob(void* data, const Shape& shape, DType dtype) {
  auto storage = std::make_shared<Storage>(data, shape.numel() * dtype_size(dtype), nullptr);
  return Tensor(std::move(storage), shape, contiguous_strides(shape), 0, dtype);
}

// ---- conversion and copies ----------------------------------------------------------------------

Tensor Tensor::to(DType target) const {
  if (dtype() == target) return *this;
  Tensor out = empty(shape(), target);
  kernels::copy(out, *this);
  if (autograd::needs_grad(*this) && is_floating(target)) {
    DType source = dtype();
    autograd::record("to", out, {*this}, [source](const Tensor& g, autograd::GradMask) -> TensorList {
      return {g.to(source)};
    });
  }
  return out;
}

Tensor Tensor::clone() const {
  Tensor out = empty(shape(), dtype());
  kernels::copy(out, *this);
  if (autograd::needs_grad(*this))
    autograd::record("clone", out, {*this}, [](const Tensor& g, autograd::GradMask) -> TensorList { return {g}; });
  return out;
}

Tensor Tensor::contiguous() const { return is_contiguous() ? *this : clone(); }

Tensor& Tensor::copy_(const Tensor& src) {
  SOMA_CHECK(broadcast_shapes(shape(), src.shape(), "copy_") == shape(),
             "copy_: source of shape {} cannot be broadcast to destination shape {}", src.shape(), shape());
  Tensor self = *this;
  DType target = dtype();
  ops::apply_inplace(
      *this, "copy_", src.requires_grad(), [&] { kernels::copy(self, src); },
      [&] {
        Tensor r = src.to(target);
        return r.shape() == self.shape() ? r.clone() : r.expand(self.shape()).clone();
      });
  return *this;
}

Tensor& Tensor::fill_(Scalar value) {
  Tensor self = *this;
  ops::apply_inplace(
      *this, "fill_", false, [&] { kernels::fill(self, value); },
      [&] { return ops::overwritten("fill_", self, full_like(self, value)); });
  return *this;
}

Tensor& Tensor::zero_() { return fill_(0); }

}  // namespace soma
