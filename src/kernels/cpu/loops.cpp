#include "kernels/cpu/loops.h"

namespace soma::kernels {

LoopGeometry make_geometry(const Shape& shape, std::initializer_list<const Tensor*> ops, const char* op_name) {
  LoopGeometry g;
  g.nops = static_cast<int>(ops.size());
  g.numel = shape.numel();
  // Fast path: every operand contiguous with exactly this shape -> one dense run.
  bool dense = true;
  for (const Tensor* t : ops) dense = dense && t->shape() == shape && t->is_contiguous();
  if (dense && g.numel > 0) {
    g.ndim = 1;
    g.shape[0] = g.numel;
    int k = 0;
    for (const Tensor* t : ops) {
      g.base[k] = static_cast<char*>(t->data_ptr());
      g.strides[k][0] = static_cast<int64_t>(t->element_size());
      ++k;
    }
    return g;
  }
  const int64_t nd = shape.size();
  // Per-operand byte strides aligned to `shape` (0 where the operand is broadcast).
  int64_t full[kMaxOperands][64];
  SOMA_CHECK(nd <= 64, "{}: tensors of more than 64 dims are not supported (got {})", op_name, nd);
  int k = 0;
  for (const Tensor* t : ops) {
    g.base[k] = static_cast<char*>(t->data_ptr());
    const int64_t tnd = t->dim();
    const int64_t es = static_cast<int64_t>(t->element_size());
    for (int64_t d = 0; d < nd; ++d) {
      int64_t td = d - (nd - tnd);
      full[k][d] = (td < 0 || t->shape()[td] == 1) ? 0 : t->strides()[td] * es;
    }
    ++k;
  }
  // Drop size-1 dims and merge a dim into the next (inner) one when all operands allow it.
  int out = 0;
  for (int64_t d = 0; d < nd; ++d) {
    if (shape[d] == 1) continue;
    if (out > 0) {
      bool mergeable = true;
      for (int j = 0; j < g.nops; ++j)
        if (g.strides[j][out - 1] != full[j][d] * shape[d]) mergeable = false;
      if (mergeable) {
        g.shape[out - 1] *= shape[d];
        for (int j = 0; j < g.nops; ++j) g.strides[j][out - 1] = full[j][d];
        continue;
      }
    }
    SOMA_CHECK(out < kMaxLoopDims, "{}: too many non-mergeable dims ({}) for the loop engine", op_name, nd);
    g.shape[out] = shape[d];
    for (int j = 0; j < g.nops; ++j) g.strides[j][out] = full[j][d];
    ++out;
  }
  g.ndim = out;
  if (g.numel == 0) g.ndim = 0;
  return g;
}

}  // namespace soma::kernels
