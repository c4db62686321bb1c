#include "kernels/cpu/scan.h"

#include <cmath>
#include <type_traits>

#include "kernels/cpu/copy.h"
#include "kernels/cpu/parallel_for.h"
#include "soma/creation.h"

namespace soma::kernels {

namespace {

template <class T> using Wide = std::conditional_t<std::is_floating_point_v<T>, double, T>;

// Calls line(p, q, n, stride) for each line along `dim`: p and q point at the line's first
// element of (a contiguous copy of) x and of out, consecutive elements are `stride` apart.
template <class T, class Line>
void for_each_line(const Tensor& out, const Tensor& x, int64_t dim, Line line) {
  if (x.numel() == 0) return;
  const Tensor c = x.is_contiguous() ? x : x.contiguous();
  int64_t outer = 1, n = 1, inner = 1;
  for (int64_t d = 0; d < x.dim(); ++d) (d < dim ? outer : d == dim ? n : inner) *= x.shape()[d];
  const T* xp = c.data<T>();
  T* op = out.data<T>();
  parallel_for(outer * inner, n, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const int64_t at = (i / inner) * n * inner + i % inner;
      line(xp + at, op + at, n, inner);
    }
  });
}

// a * b, wrapping on overflow for integers (signed overflow would be undefined).
template <class T>
T wrapping_mul(T a, T b) {
  if constexpr (std::is_same_v<T, bool>)
    return a && b;
  else if constexpr (std::is_integral_v<T>)
    return static_cast<T>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
  else
    return a * b;
}

// log(exp(x) + exp(y)) as PyTorch's log_add_exp: NaN in y propagates; two equal infinities
// give x itself (so -inf + -inf stays -inf, not NaN).
template <class T>
T log_add_exp(T x, T y) {
  const T lo = std::isnan(y) ? y : std::min(x, y);
  const T hi = std::isnan(y) ? y : std::max(x, y);
  if (lo != hi || std::isfinite(lo)) return std::log1p(std::exp(lo - hi)) + hi;
  return x;
}

}  // namespace

void cumprod(const Tensor& out, const Tensor& x, int64_t dim) {
  dispatch_compute(x.dtype(), [&]<class T>() {
    for_each_line<T>(out, x, dim, [](const T* p, T* q, int64_t n, int64_t s) {
      Wide<T> acc = 1;
      for (int64_t r = 0; r < n; ++r) {
        acc = wrapping_mul<Wide<T>>(acc, p[r * s]);
        q[r * s] = static_cast<T>(acc);
      }
    });
  });
}

void logcumsumexp(const Tensor& out, const Tensor& x, int64_t dim) {
  dispatch_float(x.dtype(), [&]<class T>() {
    for_each_line<T>(out, x, dim, [](const T* p, T* q, int64_t n, int64_t s) {
      double acc = -INFINITY;
      for (int64_t r = 0; r < n; ++r) {
        acc = log_add_exp<double>(p[r * s], acc);
        q[r * s] = static_cast<T>(acc);
      }
    });
  });
}

}  // namespace soma::kernels
