#pragma once
// Elementwise kernels over the loop engine: out = op(a) and out = op(a, b), where all
// operands already have the compute dtype (TOut may differ, e.g. bool for comparisons).
// Dense runs and runs against a broadcast scalar get plain indexed loops that the compiler
// vectorizes; anything else walks byte strides. The bodies are `flatten`ed: g++ otherwise keeps
// large ops (tanh, sigmoid) as out-of-line calls per element, and the loop does not vectorize.
#include "kernels/cpu/loops.h"

namespace soma::kernels {

template <class TOut, class T, class Op>
void unary_kernel(const Tensor& out, const Tensor& a, Op op) {
  LoopGeometry g = make_geometry(out.shape(), {&out, &a}, "unary");
  for_each(g, [op](char* const* p, const int64_t* s, int64_t n) __attribute__((flatten)) {
    if (s[0] == sizeof(TOut) && s[1] == sizeof(T)) {
      TOut* o = reinterpret_cast<TOut*>(p[0]);
      const T* x = reinterpret_cast<const T*>(p[1]);
      for (int64_t i = 0; i < n; ++i) o[i] = op(x[i]);
    } else {
      for (int64_t i = 0; i < n; ++i)
        *reinterpret_cast<TOut*>(p[0] + i * s[0]) = op(*reinterpret_cast<const T*>(p[1] + i * s[1]));
    }
  });
}

template <class TOut, class T, class Op>
void binary_kernel(const Tensor& out, const Tensor& a, const Tensor& b, Op op) {
  LoopGeometry g = make_geometry(out.shape(), {&out, &a, &b}, "binary");
  for_each(g, [op](char* const* p, const int64_t* s, int64_t n) __attribute__((flatten)) {
    TOut* o = reinterpret_cast<TOut*>(p[0]);
    const T* x = reinterpret_cast<const T*>(p[1]);
    const T* y = reinterpret_cast<const T*>(p[2]);
    if (s[0] == sizeof(TOut) && s[1] == sizeof(T) && s[2] == sizeof(T)) {
      for (int64_t i = 0; i < n; ++i) o[i] = op(x[i], y[i]);
    } else if (s[0] == sizeof(TOut) && s[1] == sizeof(T) && s[2] == 0) {
      const T yv = *y;
      for (int64_t i = 0; i < n; ++i) o[i] = op(x[i], yv);
    } else if (s[0] == sizeof(TOut) && s[1] == 0 && s[2] == sizeof(T)) {
      const T xv = *x;
      for (int64_t i = 0; i < n; ++i) o[i] = op(xv, y[i]);
    } else {
      for (int64_t i = 0; i < n; ++i)
        *reinterpret_cast<TOut*>(p[0] + i * s[0]) =
            op(*reinterpret_cast<const T*>(p[1] + i * s[1]), *reinterpret_cast<const T*>(p[2] + i * s[2]));
    }
  });
}

}  // namespace soma::kernels
