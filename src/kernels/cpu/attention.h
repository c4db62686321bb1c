#pragma once
// Fused scaled dot-product attention (no autograd), FlashAttention-2 style: the scores are
// computed tile by tile with an online softmax (running max and sum per query row), so the
// [Tq, Tk] matrix never exists; the forward saves only the output and the per-row logsumexp,
// and the backward recomputes each tile's probabilities from q, k and the logsumexp.
//
// Layout: q [B, Tq, D], k [B, Tk, D], v [B, Tk, Dv], out [B, Tq, Dv], where B is every leading
// dim flattened (batch * heads). Each operand is given as Rows: its rows are contiguous but may lie
// anywhere, so q, k, v can be read where a packed [batch, T, 3 * heads * D] projection left them
// and out written as [batch, T, heads * Dv], without the layout copies. T is float or double. Work is split over
// whole (batch, query tile) units in the forward and whole batch entries in the backward, each
// computed by one thread in a fixed order: results do not depend on the thread count.
#include <cstdint>

namespace soma::kernels {

struct AttentionShape {
  int64_t batch = 1, tq = 0, tk = 0, d = 0, dv = 0;
  double scale = 1;
  // Causal: query i may see key j when j <= i + causal_offset (0: the triangle starts at the
  // first key, PyTorch's is_causal; tk - tq: it ends at the last key, as a KV cache needs).
  bool causal = false;
  int64_t causal_offset = 0;
};

// Where the rows of one operand lie: row i of batch entry b starts at
// data + (batch_offset ? batch_offset[b] : b * batch_stride) + i * row_stride.
template <class T>
struct Rows {
  T* data = nullptr;
  const int64_t* batch_offset = nullptr;  // [B], or null for a uniform batch_stride
  int64_t batch_stride = 0, row_stride = 0;

  T* row(int64_t b, int64_t i) const {
    return data + (batch_offset ? batch_offset[b] : b * batch_stride) + i * row_stride;
  }
};

// The rows of a contiguous [B, rows, cols] buffer.
template <class T>
Rows<T> dense_rows(T* data, int64_t rows, int64_t cols) {
  return {.data = data, .batch_offset = nullptr, .batch_stride = rows * cols, .row_stride = cols};
}

// An optional mask, read in place with strides (broadcast dims have stride 0). Entry (b, i, j)
// is at base + batch_offset[b] + i * stride_q + j * stride_k. At most one of keep (bool, true =
// may attend) and bias (added to the scaled scores) is set.
template <class T>
struct AttentionMask {
  const bool* keep = nullptr;
  const T* bias = nullptr;
  const int64_t* batch_offset = nullptr;  // [B]
  int64_t stride_q = 0, stride_k = 0;
};

// out = softmax(q kᵀ scale + mask) v; lse [B, Tq] = the logsumexp of each score row, +inf for
// a row with no visible key (whose output is zeros).
template <class T>
void attention_forward(Rows<const T> q, Rows<const T> k, Rows<const T> v, const AttentionMask<T>& mask,
                       const AttentionShape& s, Rows<T> out, T* lse);

// With P = exp(S - lse), dP = dout vᵀ, Dr = rowsum(dout * out), dS = P (dP - Dr):
// dq = scale dS k, dk = scale dSᵀ q, dv = Pᵀ dout. dq, dk, dv are overwritten.
template <class T>
void attention_backward(Rows<const T> q, Rows<const T> k, Rows<const T> v, Rows<const T> out, Rows<const T> dout,
                        const T* lse, const AttentionMask<T>& mask, const AttentionShape& s, Rows<T> dq, Rows<T> dk,
                        Rows<T> dv);

// The same two functions on contiguous buffers.
template <class T>
void attention_forward(const T* q, const T* k, const T* v, const AttentionMask<T>& mask, const AttentionShape& s,
                       T* out, T* lse);
template <class T>
void attention_backward(const T* q, const T* k, const T* v, const T* out, const T* dout, const T* lse,
                        const AttentionMask<T>& mask, const AttentionShape& s, T* dq, T* dk, T* dv);

// The same two functions as plain single-threaded loops over whole score rows: the references
// the tiled kernels are tested against.
template <class T>
void attention_forward_reference(const T* q, const T* k, const T* v, const AttentionMask<T>& mask,
                                 const AttentionShape& s, T* out, T* lse);
template <class T>
void attention_backward_reference(const T* q, const T* k, const T* v, const T* out, const T* dout, const T* lse,
                                  const AttentionMask<T>& mask, const AttentionShape& s, T* dq, T* dk, T* dv);

}  // namespace soma::kernels
