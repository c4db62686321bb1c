#pragma once
// In-place ops on views under autograd (PyTorch's CopySlices).
//
// Every view made by a view op remembers its base: the tensor that owns the memory. When an
// in-place op writes through a view v of base b, with result r = op(v) computed out of place:
//
//   b.grad_fn   := CopySlices(b's old history, r)   b with v's region replaced by r
//   v.grad_fn   := as_strided(b)                     v's region of the new b
//
// The gradient of CopySlices is (g with v's region zeroed) for the old b and (g's region) for r;
// r's own graph leads back through v's old history to the old b. Other views of b see that the
// storage version moved and regenerate their grad_fn as as_strided(b) on first use
// (refresh_view_history). All formulas are tensor ops, so double backward works through them.
#include "soma/tensor.h"

namespace soma::autograd {

// Makes `view` (just created from `source`, sharing its storage) remember its base.
void track_view(TensorImpl* view, const Tensor& source);

// The base of a view whose memory is still the base's (undefined if none).
Tensor view_base(const Tensor& t);

// True when an in-place op on `self` must be recorded: grad mode is on and self, the op's other
// operand, or the base of the view self is requires grad.
bool inplace_records(const Tensor& self, bool other_requires_grad);

// Throws unless `self` may be written in place while autograd records.
void check_inplace(const Tensor& self, const char* op, bool other_requires_grad);

// After `result` (the op computed out of place, with history) was copied into `self`: gives self
// (and, for a view, its base) the history of that write.
void rebase_history(const Tensor& self, const Tensor& result);

}  // namespace soma::autograd
