#pragma once
// Reverse-mode automatic differentiation over the dynamic graph that ops record, plus the
// derivative tools built on it: grad() with create_graph for higher-order derivatives,
// Jacobian-vector products (forward mode), Hessian-vector products, full Jacobians/Hessians.
#include <functional>

#include "soma/grad_mode.h"
#include "soma/tensor.h"

namespace soma::autograd {

// Accumulates d(sum_i <tensors[i], grad_tensors[i]>)/d(leaf) into every leaf's .grad.
// A grad_tensors entry may be undefined for a one-element tensor (it means 1).
void backward(const TensorList& tensors, const TensorList& grad_tensors = {}, bool retain_graph = false,
              bool create_graph = false);

struct GradOptions {
  bool retain_graph = false;  // keep saved tensors for another backward (create_graph implies it)
  bool create_graph = false;  // record the backward pass itself, so the result can be differentiated
  bool allow_unused = false;  // an input the outputs do not depend on gets an undefined tensor
                              // (otherwise: an Error)
};

// Gradients of `outputs` (weighted by grad_outputs) w.r.t. `inputs`, returned rather than
// accumulated into .grad.
TensorList grad(const TensorList& outputs, const TensorList& inputs, const TensorList& grad_outputs = {},
                GradOptions options = {});

using Function = std::function<TensorList(const TensorList&)>;

// Vector-Jacobian product: returns (f(inputs), v^T J).
std::pair<TensorList, TensorList> vjp(const Function& f, const TensorList& inputs, const TensorList& v,
                                      bool create_graph = false);
// Jacobian-vector product (forward-mode derivative): returns (f(inputs), J v). Computed with
// the double-vjp trick: J v = d/du [u^T J] v, so every op with a double backward supports it.
std::pair<TensorList, TensorList> jvp(const Function& f, const TensorList& inputs, const TensorList& v,
                                      bool create_graph = false);
// Hessian-vector product of a scalar function: returns (f(inputs), H v).
std::pair<Tensor, TensorList> hvp(const std::function<Tensor(const TensorList&)>& f, const TensorList& inputs,
                                  const TensorList& v);
// Jacobian of f: R^n -> R^m (any shapes) as a [numel(out), numel(in)] matrix.
Tensor jacobian(const std::function<Tensor(const Tensor&)>& f, const Tensor& input);
// Hessian of a scalar function of one tensor as a [numel, numel] matrix.
Tensor hessian(const std::function<Tensor(const Tensor&)>& f, const Tensor& input);

}  // namespace soma::autograd
