#pragma once
// Raw copies and fills (no autograd): any dtype to any dtype, any strides, src broadcast to dst.
#include "soma/tensor.h"

namespace soma::kernels {

void copy(const Tensor& dst, const Tensor& src);
void fill(const Tensor& dst, Scalar value);

// Converts one element between storage types (half types through float).
template <class To, class From>
inline To convert(From v) {
  if constexpr (std::is_same_v<To, From>)
    return v;
  else if constexpr (std::is_same_v<From, Half> || std::is_same_v<From, BFloat16>)
    return convert<To>(static_cast<float>(v));
  else if constexpr (std::is_same_v<To, Half> || std::is_same_v<To, BFloat16>)
    return To(static_cast<float>(v));
  else if constexpr (std::is_same_v<To, bool>)
    return v != From(0);
  else
    return static_cast<To>(v);
}

}  // namespace soma::kernels
