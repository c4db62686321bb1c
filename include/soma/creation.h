#pragma once
// Making tensors: filled, ranges, identity, from C++ values, and the *_like forms.
// Random creation lives in random.h.
#include <concepts>
#include <initializer_list>
#include <vector>

#include "soma/tensor.h"

namespace soma {

// Uninitialized memory (from the caching allocator).
Tensor empty(const Shape& shape, DType dtype = kFloat32);
Tensor zeros(const Shape& shape, DType dtype = kFloat32);
Tensor ones(const Shape& shape, DType dtype = kFloat32);
Tensor full(const Shape& shape, Scalar value, DType dtype = kFloat32);
Tensor empty_like(const Tensor& t);
Tensor zeros_like(const Tensor& t);
Tensor ones_like(const Tensor& t);
Tensor full_like(const Tensor& t, Scalar value);
// A 0-d tensor holding `value` (dtype: float32 for floating, int64 for integers, bool).
Tensor scalar_tensor(Scalar value);
Tensor scalar_tensor(Scalar value, DType dtype);

// [start, end) in steps of `step`; int64 when all three are integers, float32 otherwise.
Tensor arange(Scalar end);
Tensor arange(Scalar start, Scalar end, Scalar step = 1);
Tensor arange(Scalar start, Scalar end, Scalar step, DType dtype);
// `steps` evenly spaced values from start to end inclusive.
Tensor linspace(double start, double end, int64_t steps, DType dtype = kFloat32);
// An n x m identity (m defaults to n).
Tensor eye(int64_t n, int64_t m = -1, DType dtype = kFloat32);

// From C++ values: the dtype follows T (float -> float32, double -> float64, int64_t -> int64, ...).
template <class T>
Tensor from_vector(const std::vector<T>& values, const Shape& shape);
template <class T>
Tensor from_vector(const std::vector<T>& values) {
  return from_vector(values, Shape{static_cast<int64_t>(values.size())});
}
// Literals: tensor({1, 2, 3}) and tensor({{1, 2}, {3, 4}}), float32 unless a dtype is given.
// The 1-D form takes Scalars (a user-defined conversion), so that a list of one-element rows
// such as tensor({{1}, {0}}) picks the 2-D form ([2, 1]) instead of being ambiguous.
Tensor tensor(std::initializer_list<Scalar> values, DType dtype = kFloat32);
Tensor tensor(std::initializer_list<std::initializer_list<double>> rows, DType dtype = kFloat32);
Tensor tensor(const std::vector<double>& values, const Shape& shape, DType dtype = kFloat32);
// A std::initializer_list<double> held in a variable (a braced list never deduces to it).
template <std::same_as<double> T>
Tensor tensor(std::initializer_list<T> values, DType dtype = kFloat32) {
  return tensor(std::vector<double>(values), Shape{static_cast<int64_t>(values.size())}, dtype);
}
// Wraps memory owned by the caller (no copy). The memory must outlive every view of the tensor.
Tensor from_blob(void* data, const Shape& shape, DType dtype);

}  // namespace soma
