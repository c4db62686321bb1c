// Derivative tools built on autograd::grad: vjp, jvp (double-vjp trick), hvp, jacobian, hessian.
#include "autograd/node.h"
#include "kernels/cpu/copy.h"
#include "soma/autograd.h"
#include "soma/creation.h"

namespace soma::autograd {

namespace {

TensorList with_grad(const TensorList& inputs) {
  TensorList out;
  for (const Tensor& t : inputs) out.push_back(t.detach().requires_grad_(true));
  return out;
}

void check_like(const TensorList& v, const TensorList& ref, const char* op, const char* what) {
  SOMA_CHECK(v.size() == ref.size(), "{}: got {} {} for {} tensors", op, v.size(), what, ref.size());
  for (size_t i = 0; i < v.size(); ++i)
    SOMA_CHECK(v[i].shape() == ref[i].shape(), "{}: {} {} has shape {}, expected {}", op, what, i, v[i].shape(),
               ref[i].shape());
}

// Undefined gradients (inputs the outputs do not depend on) become zeros.
TensorList zeros_for_unused(TensorList grads, const TensorList& like) {
  for (size_t i = 0; i < grads.size(); ++i)
    if (!grads[i].defined()) grads[i] = zeros_like(like[i]);
  return grads;
}

// Row `k` of a contiguous 2-D tensor, as a raw view (no autograd).
Tensor row(const Tensor& m, int64_t k) {
  return Tensor(m.storage(), {m.shape()[1]}, {1}, m.offset() + k * m.shape()[1], m.dtype());
}

}  // namespace

std::pair<TensorList, TensorList> vjp(const Function& f, const TensorList& inputs, const TensorList& v,
                                      bool create_graph) {
  EnableGradGuard enable;
  TensorList x = with_grad(inputs);
  TensorList y = f(x);
  check_like(v, y, "vjp", "vectors");
  TensorList g = zeros_for_unused(grad(y, x, v, {.create_graph = create_graph, .allow_unused = true}), x);
  if (!create_graph)
    for (Tensor& t : y) t = t.detach();
  return {y, g};
}

std::pair<TensorList, TensorList> jvp(const Function& f, const TensorList& inputs, const TensorList& v,
                                      bool create_graph) {
  EnableGradGuard enable;
  check_like(v, inputs, "jvp", "tangents");
  TensorList x = with_grad(inputs);
  TensorList y = f(x);
  // u^T J is linear in u; differentiating it w.r.t. u along v gives J v.
  TensorList u;
  for (const Tensor& t : y) u.push_back(zeros_like(t).requires_grad_(true));
  TensorList ut_j = grad(y, x, u, {.create_graph = true, .allow_unused = true});
  TensorList outs, used_v;
  for (size_t i = 0; i < ut_j.size(); ++i)
    if (ut_j[i].defined() && ut_j[i].requires_grad()) {
      outs.push_back(ut_j[i]);
      used_v.push_back(v[i]);
    }
  TensorList jv(y.size());
  if (!outs.empty()) jv = grad(outs, u, used_v, {.create_graph = create_graph, .allow_unused = true});
  jv = zeros_for_unused(jv, y);
  if (!create_graph)
    for (Tensor& t : y) t = t.detach();
  return {y, jv};
}

std::pair<Tensor, TensorList> hvp(const std::function<Tensor(const TensorList&)>& f, const TensorList& inputs,
                                  const TensorList& v) {
  EnableGradGuard enable;
  check_like(v, inputs, "hvp", "vectors");
  TensorList x = with_grad(inputs);
  Tensor y = f(x);
  SOMA_CHECK(y.numel() == 1, "hvp: the function must return one element, got shape {}", y.shape());
  TensorList g = grad({y}, x, {}, {.create_graph = true, .allow_unused = true});
  TensorList outs, used_v;
  for (size_t i = 0; i < g.size(); ++i)
    if (g[i].defined() && g[i].requires_grad()) {
      outs.push_back(g[i]);
      used_v.push_back(v[i]);
    }
  TensorList hv(x.size());
  if (!outs.empty()) hv = grad(outs, x, used_v, {.allow_unused = true});
  return {y.detach(), zeros_for_unused(hv, x)};
}

Tensor jacobian(const std::function<Tensor(const Tensor&)>& f, const Tensor& input) {
  EnableGradGuard enable;
  Tensor x = input.detach().requires_grad_(true);
  Tensor y = f(x);
  Tensor jac = zeros({y.numel(), x.numel()}, x.dtype());
  if (!y.requires_grad()) return jac;
  Tensor flat_y = y.reshape({y.numel()});
  for (int64_t k = 0; k < y.numel(); ++k) {
    Tensor onehot = zeros({y.numel()}, y.dtype());
    kernels::fill(Tensor(onehot.storage(), {1}, {1}, k, onehot.dtype()), 1);
    TensorList g = grad({flat_y}, {x}, {onehot}, {.retain_graph = true, .allow_unused = true});
    if (g[0].defined()) kernels::copy(row(jac, k), g[0].reshape({x.numel()}));
  }
  return jac;
}

Tensor hessian(const std::function<Tensor(const Tensor&)>& f, const Tensor& input) {
  return jacobian(
      [&](const Tensor& x) {
        Tensor y = f(x);
        SOMA_CHECK(y.numel() == 1, "hessian: the function must return one element, got shape {}", y.shape());
        TensorList g = grad({y}, {x}, {}, {.create_graph = true, .allow_unused = true});
        return g[0].defined() ? g[0] : zeros_like(x);
      },
      input);
}

}  // namespace soma::autograd
