// In-place ops on views under autograd: CopySlices, as_strided and the regeneration of the
// grad_fn of views whose memory was written since they were made (see view_history.h).
#include "autograd/view_history.h"

#include <algorithm>
#include <utility>

#include "autograd/node.h"
#include "kernels/cpu/copy.h"
#include "kernels/cpu/index.h"

namespace soma {
namespace autograd {
namespace {

// Where a view lies in its base, in elements: the base's shape and strides, and the view's
// shape, strides and offset (relative to the base's offset). A tensor laid out like the base
// (same strides) holds the view's elements at the same places.
struct Geometry {
  Shape base_shape, base_strides;
  Shape shape, strides;
  int64_t offset = 0;
};

Geometry geometry_of(const TensorImpl* view, const Tensor& base) {
  return {base.shape(), base.strides(), view->shape, view->strides, view->offset - base.offset()};
}

// True when two elements of (shape, strides) may share memory (an expanded view, overlapping
// windows): an in-place write through it would have several results for one place. Exact for
// the views of a dense tensor; may refuse an exotic non-overlapping layout.
bool overlaps(const Shape& shape, const Shape& strides) {
  std::vector<std::pair<int64_t, int64_t>> dims;  // (stride, size) of dims of more than one element
  for (int64_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 0) return false;
    if (shape[i] > 1) dims.emplace_back(strides[i], shape[i]);
  }
  std::sort(dims.begin(), dims.end());
  int64_t span = 0;  // the largest offset the smaller-stride dims reach
  for (auto [stride, size] : dims) {
    if (stride <= span) return true;
    span += (size - 1) * stride;
  }
  return false;
}

// A new uninitialized tensor of `shape` laid out with `strides` (offset 0).
Tensor empty_strided(const Shape& shape, const Shape& strides, DType dtype) {
  int64_t extent = shape.numel() == 0 ? 0 : 1;
  for (int64_t i = 0; i < shape.size() && extent > 0; ++i) extent += (shape[i] - 1) * strides[i];
  auto storage = std::make_shared<Storage>(extent * dtype_size(dtype));
  return Tensor(std::move(storage), shape, strides, 0, dtype);
}

// The view's elements inside a tensor laid out like the base (no autograd).
Tensor region(const Tensor& laid_out, const Geometry& geo) {
  Tensor r(laid_out.storage(), geo.shape, geo.strides, laid_out.offset() + geo.offset, laid_out.dtype());
  r.impl()->is_view = true;
  return r;
}

// x (of the base's shape, any layout) in the base's layout; the gradient passes through.
Tensor to_base_layout(const Tensor& x, const Geometry& geo) {
  if (x.strides() == geo.base_strides) return x;
  Tensor out = empty_strided(geo.base_shape, geo.base_strides, x.dtype());
  kernels::copy(out, x);
  if (needs_grad(x)) record("clone", out, {x}, [](const Tensor& g, GradMask) -> TensorList { return {g}; });
  return out;
}

Tensor as_strided(const Tensor& x, const Geometry& geo);

// The gradient of as_strided: g added into zeros laid out like the base (places the view
// reaches twice get both contributions). Its own gradient is as_strided again.
Tensor as_strided_backward(const Tensor& g, const Geometry& geo) {
  Tensor out = empty_strided(geo.base_shape, geo.base_strides, g.dtype());
  const int64_t n = static_cast<int64_t>(out.storage()->nbytes() / dtype_size(g.dtype()));
  kernels::fill(Tensor(out.storage(), {n}, {1}, 0, g.dtype()), 0);  // holes of a sparse layout too
  if (overlaps(geo.shape, geo.strides))
    kernels::accumulate(region(out, geo), g);
  else
    kernels::copy(region(out, geo), g);
  if (needs_grad(g))
    record("as_strided_backward", out, {g},
           [geo](const Tensor& gg, GradMask) -> TensorList { return {as_strided(gg, geo)}; });
  return out;
}

// The view's elements of x (x has the base's shape).
Tensor as_strided(const Tensor& x, const Geometry& geo) {
  Tensor laid_out = to_base_layout(x, geo);
  Tensor out = region(laid_out, geo);
  if (needs_grad(laid_out))
    record("as_strided", out, {laid_out},
           [geo](const Tensor& g, GradMask) -> TensorList { return {as_strided_backward(g, geo)}; });
  return out;
}

// g with the view's elements zeroed: the gradient of the base's old values, of which the view's
// were overwritten. A projection, so its gradient is itself.
Tensor zero_region(const Tensor& g, const Geometry& geo) {
  Tensor out = empty_strided(geo.base_shape, geo.base_strides, g.dtype());
  kernels::copy(out, g);
  kernels::fill(region(out, geo), 0);
  if (needs_grad(g))
    record("copy_slices_backward", out, {g},
           [geo](const Tensor& gg, GradMask) -> TensorList { return {zero_region(gg, geo)}; });
  return out;
}

// Gives `view` the grad_fn as_strided(base).
void regenerate(TensorImpl* view, const Tensor& base) {
  GradModeGuard on(true);  // a view read under no_grad still needs its history for later
  Tensor v = as_strided(base, geometry_of(view, base));
  view->grad_fn = v.impl()->grad_fn;
  view->output_nr = 0;
}

}  // namespace

void track_view(TensorImpl* view, const Tensor& source) {
  const TensorImpl* s = source.impl();
  const bool source_is_view = s->view_base && s->view_base->storage == s->storage;
  view->view_base = source_is_view ? s->view_base : source.impl_ptr();
  view->view_version = s->storage->version();
  view->view_made_in_no_grad = !is_grad_enabled() || (source_is_view && s->view_made_in_no_grad);
}

Tensor view_base(const Tensor& t) {
  const TensorImpl* p = t.impl();
  if (p->view_base && p->view_base->storage == p->storage) return Tensor(p->view_base);
  return {};
}

bool inplace_records(const Tensor& self, bool other_requires_grad) {
  if (!is_grad_enabled()) return false;
  if (other_requires_grad || self.requires_grad()) return true;
  Tensor base = view_base(self);  // a view made under no_grad does not require grad itself
  return base.defined() && base.requires_grad();
}

void check_inplace(const Tensor& self, const char* op, bool other_requires_grad) {
  const TensorImpl* p = self.impl();
  SOMA_CHECK(!(self.is_leaf() && p->requires_grad),
             "{}: a leaf tensor that requires grad (shape {}) cannot be modified in place while grad mode is "
             "on; wrap the update in NoGradGuard",
             op, self.shape());
  if (Tensor base = view_base(self); base.defined()) {
    SOMA_CHECK(!(base.is_leaf() && base.impl()->requires_grad),
               "{}: a view of a leaf Variable that requires grad is being used in an in-place operation (view "
               "shape {}, leaf shape {}); modify the leaf under NoGradGuard, or clone() it first",
               op, self.shape(), base.shape());
    SOMA_CHECK(!p->view_made_in_no_grad || !base.requires_grad(),
               "{}: a view (shape {}) was created in no_grad mode and is being modified in place with grad mode "
               "enabled; make the view with grad mode on, or clone() it",
               op, self.shape());
    SOMA_CHECK(!overlaps(self.shape(), self.strides()) && !overlaps(base.shape(), base.strides()),
               "{}: more than one element of the view being written (shape {}, strides {}) refers to the same "
               "memory location; clone() it first",
               op, self.shape(), self.strides());
  }
  SOMA_CHECK(is_floating(self.dtype()) || !other_requires_grad,
             "{}: cannot write a result that requires grad into a tensor of dtype {}", op, dtype_name(self.dtype()));
}

void rebase_history(const Tensor& self, const Tensor& result) {
  TensorImpl* p = self.impl();
  Tensor base = view_base(self);
  if (!base.defined()) {
    p->grad_fn = result.grad_fn();
    p->output_nr = result.output_nr();
    return;
  }
  // base := base with the view's elements replaced by result.
  Geometry geo = geometry_of(p, base);
  record("CopySlices", base, {base, result}, [geo](const Tensor& g, GradMask mask) -> TensorList {
    return {mask[0] ? zero_region(g, geo) : Tensor(), mask[1] ? as_strided(g, geo) : Tensor()};
  });
  regenerate(p, base);
  p->view_version = p->storage->version();
}

}  // namespace autograd

void refresh_view_history(TensorImpl* view) {
  view->view_version = view->storage->version();
  if (view->view_base->storage != view->storage) {  // the base was given other memory (set_data)
    view->view_base.reset();
    return;
  }
  if (view->view_made_in_no_grad || view->requires_grad) return;
  Tensor base(view->view_base);
  if (base.requires_grad()) autograd::regenerate(view, base);
}

}  // namespace soma
