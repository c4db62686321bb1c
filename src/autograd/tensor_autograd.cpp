// The autograd methods of Tensor.
#include "autograd/node.h"
#include "soma/autograd.h"
#include "soma/creation.h"

namespace soma {

Tensor& Tensor::requires_grad_(bool flag) {
  TensorImpl* p = impl();
  SOMA_CHECK(p->grad_fn == nullptr || flag,
             "requires_grad_: a non-leaf tensor (made by '{}') always requires grad; use detach()",
             p->grad_fn ? p->grad_fn->name() : "");
  SOMA_CHECK(!flag || is_floating(p->dtype),
             "requires_grad_: only floating-point tensors can require grad (got dtype {})", dtype_name(p->dtype));
  if (p->grad_fn == nullptr) p->requires_grad = flag;
  return *this;
}

void Tensor::set_grad(const Tensor& g) const {
  if (g.defined())
    SOMA_CHECK(g.shape() == shape(), "set_grad: gradient shape {} does not match tensor shape {}", g.shape(),
               shape());
  impl()->grad = g.impl_ptr();
}

void Tensor::zero_grad(bool set_to_none) const {
  TensorImpl* p = impl();
  if (!p->grad) return;
  if (set_to_none) {
    p->grad.reset();
  } else {
    Tensor g(p->grad);
    if (g.requires_grad()) g = g.detach();
    g.zero_();
    p->grad = g.impl_ptr();
  }
}

void Tensor::backward(const Tensor& gradient, bool retain_graph, bool create_graph) const {
  autograd::backward({*this}, {gradient}, retain_graph, create_graph);
}

Tensor Tensor::detach() const {
  TensorImpl* p = impl();
  Tensor out(p->storage, p->shape, p->strides, p->offset, p->dtype);
  out.impl()->is_view = true;
  return out;
}

Tensor& Tensor::detach_() {
  TensorImpl* p = impl();
  SOMA_CHECK(!p->is_view || p->grad_fn == nullptr,
             "detach_: cannot detach a view of another tensor in place; use detach()");
  p->grad_fn.reset();
  p->output_nr = 0;
  p->requires_grad = false;
  return *this;
}

void Tensor::set_data(const Tensor& data) const {
  TensorImpl* p = impl();
  const TensorImpl* d = data.impl();
  SOMA_CHECK(!p->requires_grad || is_floating(d->dtype), "set_data: a tensor that requires grad needs floating-point data, got {}",
             dtype_name(d->dtype));
  if (!(p->shape == d->shape) || p->dtype != d->dtype) p->grad.reset();  // the old gradient no longer fits
  p->storage = d->storage;
  p->shape = d->shape;
  p->strides = d->strides;
  p->offset = d->offset;
  p->dtype = d->dtype;
}

void Tensor::retain_grad() const {
  TensorImpl* p = impl();
  refresh_if_stale(p);
  if (!p->grad_fn) return;  // leaves keep their gradient anyway
  if (p->retains_grad) return;
  p->retains_grad = true;
  p->grad_fn->retained.emplace_back(p->output_nr, impl_ptr());
}

void Tensor::register_hook(GradHook hook) const {
  TensorImpl* p = impl();
  SOMA_CHECK(requires_grad(), "register_hook: cannot register a hook on a tensor that does not require grad");
  if (p->grad_fn)
    p->grad_fn->pre_hooks.emplace_back(p->output_nr, std::move(hook));
  else
    p->leaf_hooks.push_back(std::move(hook));
}

}  // namespace soma
