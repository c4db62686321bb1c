#pragma once
// The elementwise loop engine. It maps N operands of one broadcast shape onto a compact
// iteration space (size-1 dims dropped, adjacent dims merged where every operand's strides
// allow), then calls an inner-loop body on runs of the innermost dim:
//
//   body(char* const* ptrs, const int64_t* byte_strides, int64_t n)
//
// with one pointer and one stride per operand (operand 0 is usually the output). Contiguous
// operands show up as one long run whose strides equal the element size, so bodies can take a
// vectorizable fast path. Large iteration spaces are split across OpenMP threads in contiguous
// ranges; each element is visited exactly once, so results never depend on the thread count.
#include <omp.h>

#include <algorithm>
#include <cstdint>

#include "soma/parallel.h"
#include "soma/tensor.h"

namespace soma::kernels {

inline constexpr int kMaxLoopDims = 16;
inline constexpr int kMaxOperands = 4;
// Below this many elements a loop runs on one thread.
inline constexpr int64_t kElementwiseGrain = 32768;

struct LoopGeometry {
  int ndim = 0;     // after coalescing; dim ndim-1 is the innermost
  int nops = 0;
  int64_t numel = 0;
  int64_t shape[kMaxLoopDims];
  int64_t strides[kMaxOperands][kMaxLoopDims];  // bytes
  char* base[kMaxOperands];
};

// Builds the geometry of `ops` (each broadcastable to `shape`) iterated over `shape`.
LoopGeometry make_geometry(const Shape& shape, std::initializer_list<const Tensor*> ops, const char* op_name);

// Runs `body` over the linear index range [begin, end) of the geometry.
template <class Body>
void run_range(const LoopGeometry& g, int64_t begin, int64_t end, Body& body) {
  if (begin >= end) return;
  char* ptrs[kMaxOperands];
  int64_t inner_strides[kMaxOperands];
  if (g.ndim == 0) {  // a single element
    for (int k = 0; k < g.nops; ++k) ptrs[k] = g.base[k], inner_strides[k] = 0;
    body(ptrs, inner_strides, 1);
    return;
  }
  if (g.ndim == 1) {  // the common dense case: one run
    for (int k = 0; k < g.nops; ++k) {
      inner_strides[k] = g.strides[k][0];
      ptrs[k] = g.base[k] + begin * inner_strides[k];
    }
    body(ptrs, inner_strides, end - begin);
    return;
  }
  const int inner = g.ndim - 1;
  const int64_t inner_size = g.shape[inner];
  for (int k = 0; k < g.nops; ++k) inner_strides[k] = g.strides[k][inner];
  // Multi-index of `begin` (outer dims) and the offset within the innermost dim.
  int64_t idx[kMaxLoopDims];
  int64_t rest = begin / inner_size;
  int64_t pos = begin % inner_size;
  for (int d = inner - 1; d >= 0; --d) {
    idx[d] = rest % g.shape[d];
    rest /= g.shape[d];
  }
  int64_t remaining = end - begin;
  while (remaining > 0) {
    for (int k = 0; k < g.nops; ++k) {
      int64_t off = pos * g.strides[k][inner];
      for (int d = 0; d < inner; ++d) off += idx[d] * g.strides[k][d];
      ptrs[k] = g.base[k] + off;
    }
    int64_t n = std::min(inner_size - pos, remaining);
    body(ptrs, inner_strides, n);
    remaining -= n;
    pos = 0;
    for (int d = inner - 1; d >= 0; --d) {  // advance the outer multi-index
      if (++idx[d] < g.shape[d]) break;
      idx[d] = 0;
    }
  }
}

// Runs `body` over the whole geometry, in parallel above `grain` elements.
template <class Body>
void for_each(const LoopGeometry& g, Body body, int64_t grain = kElementwiseGrain) {
  const int64_t total = g.numel;
  if (total == 0) return;
  int threads = get_num_threads();
  if (total < grain || threads <= 1) {
    run_range(g, 0, total, body);
    return;
  }
  int chunks = static_cast<int>(std::min<int64_t>(threads, total / std::max<int64_t>(1, grain / 2) + 1));
#pragma omp parallel num_threads(chunks)
  {
    int t = omp_get_thread_num();
    int nt = omp_get_num_threads();
    int64_t per = (total + nt - 1) / nt;
    Body local = body;
    run_range(g, t * per, std::min(total, (t + 1) * per), local);
  }
}

// True when every operand moves by exactly its element size in the run (a dense run).
inline bool is_dense(const int64_t* strides, const int64_t* sizes, int nops) {
  for (int k = 0; k < nops; ++k)
    if (strides[k] != sizes[k]) return false;
  return true;
}

}  // namespace soma::kernels
