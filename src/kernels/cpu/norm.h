#pragma once
// Fused kernels of the nn layers (no autograd): layer norm, batch norm and softmax
// cross-entropy, each a few passes over memory instead of a chain of elementwise ops.
// T is float or double; sums accumulate in double. Work is split over rows or channels (above a
// grain) so that every output element is computed by one thread in a fixed order: results do
// not depend on the thread count.
#include <cstdint>

namespace soma::kernels {

// ---- layer norm: rows of length n, x and y contiguous [rows, n] ----------------------------------
// y = (x - mean) * rstd * w + b with the biased variance and rstd = 1 / sqrt(var + eps); w and b
// (length n) may be null. Writes mean and rstd per row.
template <class T>
void layer_norm_forward(const T* x, const T* w, const T* b, T* y, T* mean, T* rstd, int64_t rows, int64_t n,
                        double eps);
// dx = rstd * (gw - mean(gw) - xhat * mean(gw * xhat)) with gw = g * w (w may be null: 1);
// dw = column sums of g * xhat, db = column sums of g. Any of dx, dw, db may be null.
template <class T>
void layer_norm_backward(const T* g, const T* x, const T* mean, const T* rstd, const T* w, T* dx, T* dw, T* db,
                         int64_t rows, int64_t n);

// ---- batch norm: x contiguous [N, C, S], statistics per channel over N and S --------------------
// Per-channel mean and biased variance.
template <class T>
void batch_norm_stats(const T* x, T* mean, T* var, int64_t N, int64_t C, int64_t S);
// y = (x - mean[c]) * invstd[c] * w[c] + b[c] (w, b may be null).
template <class T>
void batch_norm_apply(const T* x, const T* mean, const T* invstd, const T* w, const T* b, T* y, int64_t N,
                      int64_t C, int64_t S);
// With batch statistics (training): dx = w invstd (g - mean(g) - xhat mean(g xhat)) per channel;
// with fixed statistics: dx = g w invstd. dw = sum g xhat, db = sum g. dx, dw, db may be null.
template <class T>
void batch_norm_backward(const T* g, const T* x, const T* mean, const T* invstd, const T* w, T* dx, T* dw, T* db,
                         int64_t N, int64_t C, int64_t S, bool batch_stats);

// ---- softmax cross-entropy: logits x contiguous [rows, C] ---------------------------------------
// Class targets t (rows whose target is ignore_index give 0 and are skipped), class weights w
// (null: 1). Per row: lse = logsumexp(x), nll = w[t] (lse - x[t]), smooth = sum_c w[c] (lse - x[c])
// (smooth may be null). Targets must already be validated.
template <class T>
void cross_entropy_forward(const T* x, const int64_t* t, const T* w, T* lse, T* nll, T* smooth, int64_t rows,
                           int64_t C, int64_t ignore_index);
// dx[r, c] = a[r] w[t] (p - [c == t]) + b[r] (W p - w[c]), p = exp(x - lse), W = sum w (b may be
// null: the term is dropped).
template <class T>
void cross_entropy_backward(const T* x, const int64_t* t, const T* w, const T* lse, const T* a, const T* b, T* dx,
                            int64_t rows, int64_t C, int64_t ignore_index);

}  // namespace soma::kernels
