#include "kernels/cpu/norm.h"

#include <algorithm>
#include <cmath>
#include <type_traits>

#include "kernels/cpu/parallel_for.h"
#include "kernels/cpu/vecmath.h"
#include "soma/parallel.h"

namespace soma::kernels {

namespace {


template <class T>
inline T fast_exp(T v) {
  if constexpr (std::is_same_v<T, float>) return vec::exp(v); else return std::exp(v);
}

// The sum of f(i) over i in [0, n): 16 independent accumulators of type T (vector registers
// once inlined), folded into a double every 1024 terms. A row costs n / 16 dependent additions
// instead of n, while the rounding error stays that of 1024-term sums.
template <class T, class F>
double lane_sum(int64_t n, F f) {
  constexpr int64_t kLanes = 16, kBlock = 1024;
  double total = 0;
  for (int64_t b0 = 0; b0 < n; b0 += kBlock) {
    const int64_t b1 = std::min(n, b0 + kBlock);
    T acc[kLanes] = {};
    int64_t i = b0;
    for (; i + kLanes <= b1; i += kLanes)
      for (int64_t l = 0; l < kLanes; ++l) acc[l] += f(i + l);
    for (; i < b1; ++i) total += f(i);
    for (int64_t l = 0; l < kLanes; ++l) total += acc[l];
  }
  return total;
}

// Mean and biased variance of x[0..n) (two passes: exact for data with a large mean).
template <class T>
void moments(const T* x, int64_t n, double& mean, double& var) {
  mean = lane_sum<T>(n, [x](int64_t i) { return x[i]; }) / static_cast<double>(n);
  const T m = static_cast<T>(mean);
  var = lane_sum<T>(n, [x, m](int64_t i) {
          const T d = x[i] - m;
          return d * d;
        }) /
        static_cast<double>(n);
}

// Column sums over rows of g * xhat (dw) and g (db) for layer norm, parallel over column tiles.
template <class T>
void layer_norm_param_grads(const T* g, const T* x, const T* mean, const T* rstd, T* dw, T* db, int64_t rows,
                            int64_t n) {
  constexpr int64_t kTileCols = 256;
  parallel_for((n + kTileCols - 1) / kTileCols, rows * kTileCols, [&](int64_t tb, int64_t te) {
    double sw[kTileCols], sb[kTileCols];
    for (int64_t tile = tb; tile < te; ++tile) {
      const int64_t c0 = tile * kTileCols, c1 = std::min(n, c0 + kTileCols), m = c1 - c0;
      std::fill(sw, sw + m, 0.0);
      std::fill(sb, sb + m, 0.0);
      for (int64_t r = 0; r < rows; ++r) {
        const T* gr = g + r * n + c0;
        const T* xr = x + r * n + c0;
        const double mu = mean[r], rs = rstd[r];
        for (int64_t j = 0; j < m; ++j) {
          sw[j] += static_cast<double>(gr[j]) * ((xr[j] - mu) * rs);
          sb[j] += gr[j];
        }
      }
      for (int64_t j = 0; j < m; ++j) {
        if (dw) dw[c0 + j] = static_cast<T>(sw[j]);
        if (db) db[c0 + j] = static_cast<T>(sb[j]);
      }
    }
  });
}

}  // namespace

template <class T>
void layer_norm_forward(const T* x, const T* w, const T* b, T* y, T* mean, T* rstd, int64_t rows, int64_t n,
                        double eps) {
  parallel_for(rows, n, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const T* xr = x + r * n;
      T* yr = y + r * n;
      double mu, var;
      moments(xr, n, mu, var);
      const T m = static_cast<T>(mu), rs = static_cast<T>(1.0 / std::sqrt(var + eps));
      mean[r] = m;
      rstd[r] = rs;
      if (w && b)
        for (int64_t i = 0; i < n; ++i) yr[i] = (xr[i] - m) * rs * w[i] + b[i];
      else if (w)
        for (int64_t i = 0; i < n; ++i) yr[i] = (xr[i] - m) * rs * w[i];
      else
        for (int64_t i = 0; i < n; ++i) yr[i] = (xr[i] - m) * rs + (b ? b[i] : T(0));
    }
  });
}

template <class T>
void layer_norm_backward(const T* g, const T* x, const T* mean, const T* rstd, const T* w, T* dx, T* dw, T* db,
                         int64_t rows, int64_t n) {
  if (dx) {
    parallel_for(rows, 2 * n, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const T* gr = g + r * n;
        const T* xr = x + r * n;
        T* dr = dx + r * n;
        const T m = mean[r], rs = rstd[r];
        auto gw = [gr, w](int64_t i) { return w ? gr[i] * w[i] : gr[i]; };
        const double s1 = lane_sum<T>(n, gw);
        const double s2 = lane_sum<T>(n, [&](int64_t i) { return gw(i) * ((xr[i] - m) * rs); });  // sum gw * xhat
        const T c1 = static_cast<T>(s1 / static_cast<double>(n)), c2 = static_cast<T>(s2 / static_cast<double>(n));
        for (int64_t i = 0; i < n; ++i) {
          const T gw = w ? gr[i] * w[i] : gr[i];
          dr[i] = rs * (gw - c1 - (xr[i] - m) * rs * c2);
        }
      }
    });
  }
  if (dw || db) layer_norm_param_grads(g, x, mean, rstd, dw, db, rows, n);
}

template <class T>
void batch_norm_stats(const T* x, T* mean, T* var, int64_t N, int64_t C, int64_t S) {
  const double count = static_cast<double>(N * S);
  parallel_for(C, N * S, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      double s = 0;
      for (int64_t n = 0; n < N; ++n) {
        const T* p = x + (n * C + c) * S;
        for (int64_t i = 0; i < S; ++i) s += p[i];
      }
      const double mu = s / count;
      double q = 0;
      for (int64_t n = 0; n < N; ++n) {
        const T* p = x + (n * C + c) * S;
        for (int64_t i = 0; i < S; ++i) {
          const double d = p[i] - mu;
          q += d * d;
        }
      }
      mean[c] = static_cast<T>(mu);
      var[c] = static_cast<T>(q / count);
    }
  });
}

template <class T>
void batch_norm_apply(const T* x, const T* mean, const T* invstd, const T* w, const T* b, T* y, int64_t N,
                      int64_t C, int64_t S) {
  parallel_for(N * C, S, [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      const int64_t c = p % C;
      const T scale = invstd[c] * (w ? w[c] : T(1));
      const T shift = (b ? b[c] : T(0)) - mean[c] * scale;
      const T* xp = x + p * S;
      T* yp = y + p * S;
      for (int64_t i = 0; i < S; ++i) yp[i] = xp[i] * scale + shift;
    }
  });
}

template <class T>
void batch_norm_backward(const T* g, const T* x, const T* mean, const T* invstd, const T* w, T* dx, T* dw, T* db,
                         int64_t N, int64_t C, int64_t S, bool batch_stats) {
  const double count = static_cast<double>(N * S);
  parallel_for(C, 2 * N * S, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      const T m = mean[c], rs = invstd[c];
      double sg = 0, sgx = 0;  // sum g, sum g * xhat
      for (int64_t n = 0; n < N; ++n) {
        const T* gp = g + (n * C + c) * S;
        const T* xp = x + (n * C + c) * S;
        for (int64_t i = 0; i < S; ++i) {
          sg += gp[i];
          sgx += static_cast<double>(gp[i]) * ((xp[i] - m) * rs);
        }
      }
      if (dw) dw[c] = static_cast<T>(sgx);
      if (db) db[c] = static_cast<T>(sg);
      if (!dx) continue;
      const T scale = rs * (w ? w[c] : T(1));
      const T k1 = batch_stats ? static_cast<T>(sg / count) : T(0);
      const T k2 = batch_stats ? static_cast<T>(sgx / count) : T(0);
      for (int64_t n = 0; n < N; ++n) {
        const T* gp = g + (n * C + c) * S;
        const T* xp = x + (n * C + c) * S;
        T* dp = dx + (n * C + c) * S;
        for (int64_t i = 0; i < S; ++i) dp[i] = scale * (gp[i] - k1 - (xp[i] - m) * rs * k2);
      }
    }
  });
}

namespace {
// Max, then log-sum-exp of a row.
template <class T>
T row_lse(const T* xr, int64_t C) {
  T mx = xr[0];
  for (int64_t c = 1; c < C; ++c) mx = xr[c] > mx ? xr[c] : mx;
  if (std::isinf(mx)) mx = 0;  // all -inf (or an inf): keep exp's arguments finite or NaN as due
  T s = 0;
  for (int64_t c = 0; c < C; ++c) s += fast_exp(xr[c] - mx);
  return mx + std::log(s);
}
}  // namespace

template <class T>
void cross_entropy_forward(const T* x, const int64_t* t, const T* w, T* lse, T* nll, T* smooth, int64_t rows,
                           int64_t C, int64_t ignore_index) {
  parallel_for(rows, C, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const T* xr = x + r * C;
      const T l = row_lse(xr, C);
      lse[r] = l;
      if (t[r] == ignore_index) {
        nll[r] = 0;
        if (smooth) smooth[r] = 0;
        continue;
      }
      nll[r] = (w ? w[t[r]] : T(1)) * (l - xr[t[r]]);
      if (smooth) {
        T s = 0;
        for (int64_t c = 0; c < C; ++c) s += (w ? w[c] : T(1)) * (l - xr[c]);
        smooth[r] = s;
      }
    }
  });
}

template <class T>
void cross_entropy_backward(const T* x, const int64_t* t, const T* w, const T* lse, const T* a, const T* b, T* dx,
                            int64_t rows, int64_t C, int64_t ignore_index) {
  T W = 0;
  if (b) for (int64_t c = 0; c < C; ++c) W += w ? w[c] : T(1);
  parallel_for(rows, 2 * C, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const T* xr = x + r * C;
      T* dr = dx + r * C;
      if (t[r] == ignore_index) {
        std::fill(dr, dr + C, T(0));
        continue;
      }
      const T l = lse[r], an = a[r] * (w ? w[t[r]] : T(1)), bn = b ? b[r] : T(0);
      const T k = an + bn * W;
      if (w)
        for (int64_t c = 0; c < C; ++c) dr[c] = k * fast_exp(xr[c] - l) - bn * w[c];
      else
        for (int64_t c = 0; c < C; ++c) dr[c] = k * fast_exp(xr[c] - l) - bn;
      dr[t[r]] -= an;
    }
  });
}

#define SOMA_NORM_INSTANTIATE(T)                                                                                \
  template void layer_norm_forward<T>(const T*, const T*, const T*, T*, T*, T*, int64_t, int64_t, double);      \
  template void layer_norm_backward<T>(const T*, const T*, const T*, const T*, const T*, T*, T*, T*, int64_t,   \
                                       int64_t);                                                                \
  template void batch_norm_stats<T>(const T*, T*, T*, int64_t, int64_t, int64_t);                              \
  template void batch_norm_apply<T>(const T*, const T*, const T*, const T*, const T*, T*, int64_t, int64_t,     \
                                    int64_t);                                                                   \
  template void batch_norm_backward<T>(const T*, const T*, const T*, const T*, const T*, T*, T*, T*, int64_t,   \
                                       int64_t, int64_t, bool);                                                 \
  template void cross_entropy_forward<T>(const T*, const int64_t*, const T*, T*, T*, T*, int64_t, int64_t,      \
                                         int64_t);                                                              \
  template void cross_entropy_backward<T>(const T*, const int64_t*, const T*, const T*, const T*, const T*, T*, \
                                          int64_t, int64_t, int64_t);
SOMA_NORM_INSTANTIATE(float)
SOMA_NORM_INSTANTIATE(double)
#undef SOMA_NORM_INSTANTIATE

}  // namespace soma::kernels
