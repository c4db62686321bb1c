#include "kernels/cpu/copy.h"

#include <cstring>

#include "kernels/cpu/loops.h"

namespace soma::kernels {

void copy(const Tensor& dst, const Tensor& src) {
  if (dst.numel() == 0) return;
  if (dst.dtype() == src.dtype() && dst.shape() == src.shape() && dst.is_contiguous() && src.is_contiguous()) {
    std::memcpy(dst.data_ptr(), src.data_ptr(), dst.numel() * dst.element_size());
    return;
  }
  LoopGeometry g = make_geometry(dst.shape(), {&dst, &src}, "copy");
  dispatch(dst.dtype(), [&]<class D>() {
    dispatch(src.dtype(), [&]<class S>() {
      for_each(g, [](char* const* p, const int64_t* s, int64_t n) {
        if (s[0] == sizeof(D) && s[1] == sizeof(S)) {
          D* d = reinterpret_cast<D*>(p[0]);
          const S* x = reinterpret_cast<const S*>(p[1]);
          for (int64_t i = 0; i < n; ++i) d[i] = convert<D>(x[i]);
        } else {
          for (int64_t i = 0; i < n; ++i)
            *reinterpret_cast<D*>(p[0] + i * s[0]) = convert<D>(*reinterpret_cast<const S*>(p[1] + i * s[1]));
        }
      });
    });
  });
}

void fill(const Tensor& dst, Scalar value) {
  if (dst.numel() == 0) return;
  LoopGeometry g = make_geometry(dst.shape(), {&dst}, "fill");
  dispatch(dst.dtype(), [&]<class T>() {
    const T v = value.to<T>();
    for_each(g, [v](char* const* p, const int64_t* s, int64_t n) {
      if (s[0] == sizeof(T)) {
        T* d = reinterpret_cast<T*>(p[0]);
        for (int64_t i = 0; i < n; ++i) d[i] = v;
      } else {
        for (int64_t i = 0; i < n; ++i) *reinterpret_cast<T*>(p[0] + i * s[0]) = v;
      }
    });
  });
}

}  // namespace soma::kernels
