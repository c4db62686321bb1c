#include "kernels/cpu/attention.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "kernels/cpu/parallel_for.h"
#include "kernels/cpu/vecmath.h"

namespace soma::kernels {

namespace {

// Tile sizes: a [32, 64] score tile plus the q/k/v rows it touches stay in L1/L2 for D <= 128.
// Measured single-threaded for D 32-64, T 128-1024 (causal): 32x64 beat 64x64, 64x128 and
// 128x128 by 5-30%, mostly by wasting less work on the diagonal tiles.
constexpr int64_t kBlockQ = 32;
constexpr int64_t kBlockK = 64;

template <class T>
constexpr T kInf = std::numeric_limits<T>::infinity();

template <class T>
inline T fast_exp(T v) {
  if constexpr (std::is_same_v<T, float>) return vec::exp(v); else return std::exp(v);
}

// c[m, n] = beta c + alpha op(a) op(b) on row-major tiles (one single-threaded BLAS call: the
// callers already run one tile per thread, and OpenBLAS stays serial inside a parallel region).
// OpenBLAS measured 2.3-3.6x faster here than a vectorized loop kernel (operands repacked, four
// rows of c per pass) for D 32-64 and T 128-1024.
template <class T>
void tile_gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda, const T* b,
               int64_t ldb, T beta, T* c, int64_t ldc) {
  const CBLAS_TRANSPOSE fa = ta ? CblasTrans : CblasNoTrans, fb = tb ? CblasTrans : CblasNoTrans;
  if constexpr (std::is_same_v<T, float>)
    cblas_sgemm(CblasRowMajor, fa, fb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  else
    cblas_dgemm(CblasRowMajor, fa, fb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

// The largest of init and x[0..n), in 16 independent lanes (vector registers): a single running
// maximum would be one dependent instruction per element.
template <class T>
T row_max(const T* x, int64_t n, T init) {
  constexpr int64_t kLanes = 16;
  T lane[kLanes];
  std::fill(lane, lane + kLanes, init);
  int64_t c = 0;
  for (; c + kLanes <= n; c += kLanes)
    for (int64_t l = 0; l < kLanes; ++l) lane[l] = x[c + l] > lane[l] ? x[c + l] : lane[l];
  T mx = init;
  for (; c < n; ++c) mx = x[c] > mx ? x[c] : mx;
  for (int64_t l = 0; l < kLanes; ++l) mx = lane[l] > mx ? lane[l] : mx;
  return mx;
}

// x[c] = exp(x[c] - shift) over [0, n); returns their sum (16 lanes, as row_max).
template <class T>
T exp_shifted_sum(T* x, int64_t n, T shift) {
  constexpr int64_t kLanes = 16;
  T lane[kLanes] = {};
  int64_t c = 0;
  for (; c + kLanes <= n; c += kLanes)
    for (int64_t l = 0; l < kLanes; ++l) lane[l] += (x[c + l] = fast_exp(x[c + l] - shift));
  T sum = 0;
  for (; c < n; ++c) sum += (x[c] = fast_exp(x[c] - shift));
  for (int64_t l = 0; l < kLanes; ++l) sum += lane[l];
  return sum;
}

// The number of keys of row i visible under the causal rule (all Tk without it).
inline int64_t visible_keys(const AttentionShape& s, int64_t i) {
  return s.causal ? std::clamp<int64_t>(i + s.causal_offset + 1, 0, s.tk) : s.tk;
}

// Applies the mask and the causal rule to scores S[m, n] of queries i0.. and keys j0.. of batch b
// (blocked entries become -inf).
template <class T>
void mask_tile(T* S, int64_t m, int64_t n, int64_t b, int64_t i0, int64_t j0, const AttentionMask<T>& mask,
               const AttentionShape& s) {
  for (int64_t r = 0; r < m; ++r) {
    T* row = S + r * n;
    const int64_t at = (mask.keep || mask.bias) ? mask.batch_offset[b] + (i0 + r) * mask.stride_q + j0 * mask.stride_k : 0;
    if (mask.keep) {
      const bool* keep = mask.keep + at;
      for (int64_t c = 0; c < n; ++c)
        if (!keep[c * mask.stride_k]) row[c] = -kInf<T>;
    } else if (mask.bias) {
      const T* bias = mask.bias + at;
      for (int64_t c = 0; c < n; ++c) row[c] += bias[c * mask.stride_k];
    }
    for (int64_t c = std::max<int64_t>(0, visible_keys(s, i0 + r) - j0); c < n; ++c) row[c] = -kInf<T>;
  }
}

// Forward of one tile of queries [i0, i0 + m) of batch b: online softmax over key tiles.
template <class T>
void forward_tile(Rows<const T> q, Rows<const T> k, Rows<const T> v, const AttentionMask<T>& mask,
                  const AttentionShape& s, int64_t b, int64_t i0, int64_t m, T* S, T* rmax, T* rsum, Rows<T> out,
                  T* lse) {
  const int64_t D = s.d, Dv = s.dv, ldo = out.row_stride;
  const T* Q = q.row(b, i0);
  const T* K = k.row(b, 0);
  const T* V = v.row(b, 0);
  T* O = out.row(b, i0);
  for (int64_t r = 0; r < m; ++r) std::fill(O + r * ldo, O + r * ldo + Dv, T(0));
  std::fill(rmax, rmax + m, -kInf<T>);
  std::fill(rsum, rsum + m, T(0));
  const bool masked = s.causal || mask.keep || mask.bias;
  const int64_t kend = visible_keys(s, i0 + m - 1);  // causal: tiles past the diagonal are skipped
  for (int64_t j0 = 0; j0 < kend; j0 += kBlockK) {
    const int64_t n = std::min(kBlockK, kend - j0);
    tile_gemm<T>(false, true, m, n, D, T(s.scale), Q, q.row_stride, K + j0 * k.row_stride, k.row_stride, T(0), S, n);
    if (masked) mask_tile(S, m, n, b, i0, j0, mask, s);
    for (int64_t r = 0; r < m; ++r) {
      T* row = S + r * n;
      const T mx = row_max(row, n, rmax[r]);
      if (mx == -kInf<T>) {  // nothing visible yet: the row contributes nothing
        std::fill(row, row + n, T(0));
        continue;
      }
      const T corr = fast_exp(rmax[r] - mx);  // rescales what was summed under the old max
      rsum[r] = rsum[r] * corr + exp_shifted_sum(row, n, mx);
      rmax[r] = mx;
      if (corr != T(1))
        for (int64_t c = 0; c < Dv; ++c) O[r * ldo + c] *= corr;
    }
    tile_gemm<T>(false, false, m, Dv, n, T(1), S, n, V + j0 * v.row_stride, v.row_stride, T(1), O, ldo);
  }
  for (int64_t r = 0; r < m; ++r) {
    const T inv = rsum[r] > 0 ? T(1) / rsum[r] : T(0);  // a row with no visible key gives zeros
    for (int64_t c = 0; c < Dv; ++c) O[r * ldo + c] *= inv;
    lse[b * s.tq + i0 + r] = rsum[r] > 0 ? rmax[r] + std::log(rsum[r]) : kInf<T>;
  }
}

// Backward of batch b: key tiles outer (their dk, dv stay in cache), query tiles inner.
template <class T>
void backward_batch(Rows<const T> q, Rows<const T> k, Rows<const T> v, Rows<const T> out, Rows<const T> dout,
                    const T* lse, const AttentionMask<T>& mask, const AttentionShape& s, int64_t b, T* P, T* dP, T* Dr,
                    Rows<T> dq, Rows<T> dk, Rows<T> dv) {
  const int64_t D = s.d, Dv = s.dv, Tq = s.tq, Tk = s.tk;
  const int64_t ldq = q.row_stride, ldk = k.row_stride, ldv = v.row_stride, ldo = out.row_stride,
                lddo = dout.row_stride, lddq = dq.row_stride, lddk = dk.row_stride, lddv = dv.row_stride;
  const T* Q = q.row(b, 0);
  const T* K = k.row(b, 0);
  const T* V = v.row(b, 0);
  const T* O = out.row(b, 0);
  const T* dO = dout.row(b, 0);
  const T* L = lse + b * Tq;
  T* dQ = dq.row(b, 0);
  T* dK = dk.row(b, 0);
  T* dV = dv.row(b, 0);
  for (int64_t i = 0; i < Tq; ++i) std::fill(dQ + i * lddq, dQ + i * lddq + D, T(0));
  for (int64_t j = 0; j < Tk; ++j) {
    std::fill(dK + j * lddk, dK + j * lddk + D, T(0));
    std::fill(dV + j * lddv, dV + j * lddv + Dv, T(0));
  }
  for (int64_t i = 0; i < Tq; ++i) {
    T acc = 0;
    for (int64_t c = 0; c < Dv; ++c) acc += dO[i * lddo + c] * O[i * ldo + c];
    Dr[i] = acc;
  }
  const bool masked = s.causal || mask.keep || mask.bias;
  const T scale = T(s.scale);
  for (int64_t j0 = 0; j0 < Tk; j0 += kBlockK) {
    const int64_t n = std::min(kBlockK, Tk - j0);
    // Causal: the first query that sees key j0 is j0 - causal_offset; earlier query tiles are skipped.
    const int64_t first = s.causal ? std::min(Tq, std::max<int64_t>(0, j0 - s.causal_offset)) / kBlockQ * kBlockQ : 0;
    for (int64_t i0 = first; i0 < Tq; i0 += kBlockQ) {
      const int64_t m = std::min(kBlockQ, Tq - i0);
      tile_gemm<T>(false, true, m, n, D, scale, Q + i0 * ldq, ldq, K + j0 * ldk, ldk, T(0), P, n);
      if (masked) mask_tile(P, m, n, b, i0, j0, mask, s);
      for (int64_t r = 0; r < m; ++r) {
        T* row = P + r * n;
        const T l = L[i0 + r];
        for (int64_t c = 0; c < n; ++c) row[c] = fast_exp(row[c] - l);
      }
      tile_gemm<T>(true, false, n, Dv, m, T(1), P, n, dO + i0 * lddo, lddo, T(1), dV + j0 * lddv, lddv);
      tile_gemm<T>(false, true, m, n, Dv, T(1), dO + i0 * lddo, lddo, V + j0 * ldv, ldv, T(0), dP, n);
      for (int64_t r = 0; r < m; ++r) {
        T* ds = dP + r * n;
        const T* p = P + r * n;
        const T d = Dr[i0 + r];
        for (int64_t c = 0; c < n; ++c) ds[c] = p[c] * (ds[c] - d);
      }
      tile_gemm<T>(false, false, m, D, n, scale, dP, n, K + j0 * ldk, ldk, T(1), dQ + i0 * lddq, lddq);
      tile_gemm<T>(true, false, n, D, m, scale, dP, n, Q + i0 * ldq, ldq, T(1), dK + j0 * lddk, lddk);
    }
  }
}

// Reference: the probabilities of one whole score row, in double; sets lse (+inf for a row
// with no visible key, whose probabilities are all zero).
template <class T>
std::vector<double> reference_probs(const T* q, const T* k, const AttentionMask<T>& mask, const AttentionShape& s,
                                    int64_t b, int64_t i, double& lse) {
  std::vector<double> p(s.tk);
  double mx = -kInf<double>;
  for (int64_t j = 0; j < s.tk; ++j) {
    double dot = 0;
    for (int64_t c = 0; c < s.d; ++c) dot += double(q[(b * s.tq + i) * s.d + c]) * k[(b * s.tk + j) * s.d + c];
    double x = dot * s.scale;
    const int64_t at = (mask.keep || mask.bias) ? mask.batch_offset[b] + i * mask.stride_q + j * mask.stride_k : 0;
    if (mask.keep && !mask.keep[at]) x = -kInf<double>;
    if (mask.bias) x += mask.bias[at];
    if (j >= visible_keys(s, i)) x = -kInf<double>;
    p[j] = x;
    mx = std::max(mx, x);
  }
  double sum = 0;
  for (double& x : p) sum += (x = mx == -kInf<double> ? 0.0 : std::exp(x - mx));
  for (double& x : p) x = sum > 0 ? x / sum : 0.0;
  lse = sum > 0 ? mx + std::log(sum) : kInf<double>;
  return p;
}

}  // namespace

template <class T>
void attention_forward(Rows<const T> q, Rows<const T> k, Rows<const T> v, const AttentionMask<T>& mask,
                       const AttentionShape& s, Rows<T> out, T* lse) {
  const int64_t tiles = (s.tq + kBlockQ - 1) / kBlockQ;
  parallel_for(s.batch * tiles, kBlockQ * s.tk * (s.d + s.dv), [&](int64_t u0, int64_t u1) {
    std::vector<T> work(kBlockQ * kBlockK + 2 * kBlockQ);
    for (int64_t u = u0; u < u1; ++u) {
      const int64_t b = u / tiles, i0 = (u % tiles) * kBlockQ;
      forward_tile(q, k, v, mask, s, b, i0, std::min(kBlockQ, s.tq - i0), work.data(), work.data() + kBlockQ * kBlockK,
                   work.data() + kBlockQ * kBlockK + kBlockQ, out, lse);
    }
  });
}

template <class T>
void attention_backward(Rows<const T> q, Rows<const T> k, Rows<const T> v, Rows<const T> out, Rows<const T> dout,
                        const T* lse, const AttentionMask<T>& mask, const AttentionShape& s, Rows<T> dq, Rows<T> dk,
                        Rows<T> dv) {
  parallel_for(s.batch, 2 * s.tq * s.tk * (s.d + s.dv), [&](int64_t b0, int64_t b1) {
    std::vector<T> work(2 * kBlockQ * kBlockK + s.tq);
    for (int64_t b = b0; b < b1; ++b)
      backward_batch(q, k, v, out, dout, lse, mask, s, b, work.data(), work.data() + kBlockQ * kBlockK,
                     work.data() + 2 * kBlockQ * kBlockK, dq, dk, dv);
  });
}

template <class T>
void attention_forward(const T* q, const T* k, const T* v, const AttentionMask<T>& mask, const AttentionShape& s,
                       T* out, T* lse) {
  attention_forward<T>(dense_rows(q, s.tq, s.d), dense_rows(k, s.tk, s.d), dense_rows(v, s.tk, s.dv), mask, s,
                       dense_rows(out, s.tq, s.dv), lse);
}

template <class T>
void attention_backward(const T* q, const T* k, const T* v, const T* out, const T* dout, const T* lse,
                        const AttentionMask<T>& mask, const AttentionShape& s, T* dq, T* dk, T* dv) {
  attention_backward<T>(dense_rows(q, s.tq, s.d), dense_rows(k, s.tk, s.d), dense_rows(v, s.tk, s.dv),
                        dense_rows(out, s.tq, s.dv), dense_rows(dout, s.tq, s.dv), lse, mask, s,
                        dense_rows(dq, s.tq, s.d), dense_rows(dk, s.tk, s.d), dense_rows(dv, s.tk, s.dv));
}

template <class T>
void attention_forward_reference(const T* q, const T* k, const T* v, const AttentionMask<T>& mask,
                                 const AttentionShape& s, T* out, T* lse) {
  for (int64_t b = 0; b < s.batch; ++b)
    for (int64_t i = 0; i < s.tq; ++i) {
      double l;
      const std::vector<double> p = reference_probs(q, k, mask, s, b, i, l);
      lse[b * s.tq + i] = T(l);
      for (int64_t c = 0; c < s.dv; ++c) {
        double acc = 0;
        for (int64_t j = 0; j < s.tk; ++j) acc += p[j] * v[(b * s.tk + j) * s.dv + c];
        out[(b * s.tq + i) * s.dv + c] = T(acc);
      }
    }
}

template <class T>
void attention_backward_reference(const T* q, const T* k, const T* v, const T* out, const T* dout, const T* lse,
                                  const AttentionMask<T>& mask, const AttentionShape& s, T* dq, T* dk, T* dv) {
  std::fill(dq, dq + s.batch * s.tq * s.d, T(0));
  std::fill(dk, dk + s.batch * s.tk * s.d, T(0));
  std::fill(dv, dv + s.batch * s.tk * s.dv, T(0));
  for (int64_t b = 0; b < s.batch; ++b)
    for (int64_t i = 0; i < s.tq; ++i) {
      double l;
      const std::vector<double> p = reference_probs(q, k, mask, s, b, i, l);
      const T* g = dout + (b * s.tq + i) * s.dv;
      std::vector<double> dp(s.tk);
      double dsum = 0;  // sum_j p_j dp_j = rowsum(dout * out)
      for (int64_t j = 0; j < s.tk; ++j) {
        double acc = 0;
        for (int64_t c = 0; c < s.dv; ++c) acc += double(g[c]) * v[(b * s.tk + j) * s.dv + c];
        dp[j] = acc;
        dsum += p[j] * acc;
      }
      for (int64_t j = 0; j < s.tk; ++j) {
        for (int64_t c = 0; c < s.dv; ++c) dv[(b * s.tk + j) * s.dv + c] += T(p[j] * g[c]);
        const double ds = p[j] * (dp[j] - dsum) * s.scale;
        for (int64_t c = 0; c < s.d; ++c) {
          dq[(b * s.tq + i) * s.d + c] += T(ds * k[(b * s.tk + j) * s.d + c]);
          dk[(b * s.tk + j) * s.d + c] += T(ds * q[(b * s.tq + i) * s.d + c]);
        }
      }
    }
}

#define SOMA_ATTENTION_INSTANTIATE(T)                                                                               \
  template void attention_forward<T>(Rows<const T>, Rows<const T>, Rows<const T>, const AttentionMask<T>&,         \
                                     const AttentionShape&, Rows<T>, T*);                                          \
  template void attention_backward<T>(Rows<const T>, Rows<const T>, Rows<const T>, Rows<const T>, Rows<const T>,   \
                                      const T*, const AttentionMask<T>&, const AttentionShape&, Rows<T>, Rows<T>,  \
                                      Rows<T>);                                                                    \
  template void attention_forward<T>(const T*, const T*, const T*, const AttentionMask<T>&, const AttentionShape&, \
                                     T*, T*);                                                                      \
  template void attention_backward<T>(const T*, const T*, const T*, const T*, const T*, const T*,                  \
                                      const AttentionMask<T>&, const AttentionShape&, T*, T*, T*);                 \
  template void attention_forward_reference<T>(const T*, const T*, const T*, const AttentionMask<T>&,              \
                                               const AttentionShape&, T*, T*);                                     \
  template void attention_backward_reference<T>(const T*, const T*, const T*, const T*, const T*, const T*,        \
                                                const AttentionMask<T>&, const AttentionShape&, T*, T*, T*);
SOMA_ATTENTION_INSTANTIATE(float)
SOMA_ATTENTION_INSTANTIATE(double)
#undef SOMA_ATTENTION_INSTANTIATE

}  // namespace soma::kernels
