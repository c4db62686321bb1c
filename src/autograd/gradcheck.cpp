// Finite-difference checks of first and second derivatives (float64).
#include "soma/gradcheck.h"

#include <cmath>

#include "soma/autograd.h"
#include "soma/creation.h"
#include "soma/random.h"

namespace soma {

namespace {

// Address of element `k` (row-major order) of a float64 tensor of any strides.
double* element(const Tensor& t, int64_t k) {
  int64_t off = 0;
  for (int64_t d = t.dim() - 1; d >= 0; --d) {
    off += (k % t.shape()[d]) * t.strides()[d];
    k /= t.shape()[d];
  }
  return static_cast<double*>(t.data_ptr()) + off;
}

TensorList floating_outputs(const TensorList& outs) {
  TensorList r;
  for (const Tensor& t : outs)
    if (t.defined() && t.is_floating_point()) r.push_back(t);
  return r;
}

// Outputs of f flattened and concatenated, as doubles. Grad mode stays on: f may itself
// differentiate (gradgradcheck checks a function that calls autograd::grad).
std::vector<double> flat_outputs(const GradcheckFn& f, const TensorList& inputs) {
  std::vector<double> v;
  for (const Tensor& t : floating_outputs(f(inputs))) {
    auto part = t.to_vector<double>();
    v.insert(v.end(), part.begin(), part.end());
  }
  return v;
}

}  // namespace

bool gradcheck(const GradcheckFn& f, const TensorList& inputs, GradcheckOptions o) {
  for (size_t i = 0; i < inputs.size(); ++i)
    if (inputs[i].defined() && inputs[i].requires_grad())
      SOMA_CHECK(inputs[i].dtype() == kFloat64, "gradcheck: input {} must be float64 (got {})", i,
                 dtype_name(inputs[i].dtype()));

  TensorList outs = floating_outputs(f(inputs));
  int64_t n_out = 0;
  for (const Tensor& t : outs) n_out += t.numel();

  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& x = inputs[i];
    if (!x.defined() || !x.requires_grad()) continue;
    const int64_t n_in = x.numel();
    // Numerical Jacobian, column by column: [n_out][n_in].
    std::vector<double> numerical(n_out * n_in);
    for (int64_t j = 0; j < n_in; ++j) {
      double* p = element(x, j);
      const double orig = *p;
      *p = orig + o.eps;
      auto plus = flat_outputs(f, inputs);
      *p = orig - o.eps;
      auto minus = flat_outputs(f, inputs);
      *p = orig;
      for (int64_t k = 0; k < n_out; ++k) numerical[k * n_in + j] = (plus[k] - minus[k]) / (2 * o.eps);
    }
    // Analytical Jacobian, row by row.
    int64_t k = 0;
    for (size_t oi = 0; oi < outs.size(); ++oi) {
      for (int64_t e = 0; e < outs[oi].numel(); ++e, ++k) {
        std::vector<double> row(n_in, 0.0);
        if (outs[oi].requires_grad()) {
          // Seed one output element with 1; outputs that do not require grad cannot be roots.
          TensorList roots, root_grads;
          for (size_t q = 0; q < outs.size(); ++q) {
            if (!outs[q].requires_grad()) continue;
            Tensor z = zeros(outs[q].shape(), kFloat64);
            if (q == oi) *element(z, e) = 1.0;
            roots.push_back(outs[q]);
            root_grads.push_back(z.to(outs[q].dtype()));
          }
          TensorList g = autograd::grad(roots, {x}, root_grads, {.retain_graph = true, .allow_unused = true});
          if (g[0].defined()) row = g[0].to_vector<double>();
        }
        for (int64_t j = 0; j < n_in; ++j) {
          double a = row[j], nmr = numerical[k * n_in + j];
          SOMA_CHECK(std::abs(a - nmr) <= o.atol + o.rtol * std::abs(nmr),
                     "gradcheck: Jacobian mismatch for output {} element {} w.r.t. input {} (shape {}) element {}: "
                     "analytical {:.8g} vs numerical {:.8g}",
                     oi, e, i, x.shape(), j, a, nmr);
        }
      }
    }
  }
  return true;
}

bool gradcheck(const std::function<Tensor(const TensorList&)>& f, const TensorList& inputs, GradcheckOptions o) {
  return gradcheck(GradcheckFn([&](const TensorList& xs) { return TensorList{f(xs)}; }), inputs, o);
}

bool gradgradcheck(const GradcheckFn& f, const TensorList& inputs, GradcheckOptions o) {
  // Fixed random vectors v for the outputs; check the gradient of x -> v^T J(x).
  TensorList outs = floating_outputs(f(inputs));
  Generator gen(1234);
  TensorList vs;
  for (const Tensor& t : outs) vs.push_back(randn(t.shape(), kFloat64, &gen).requires_grad_(true));
  std::vector<size_t> diff;  // inputs that require grad
  for (size_t i = 0; i < inputs.size(); ++i)
    if (inputs[i].defined() && inputs[i].requires_grad()) diff.push_back(i);
  const size_t n = inputs.size();
  GradcheckFn vjp_fn = [&](const TensorList& all) {
    TensorList xs(all.begin(), all.begin() + n);
    TensorList ys = floating_outputs(f(xs));
    TensorList roots, root_grads;
    for (size_t q = 0; q < ys.size(); ++q)
      if (ys[q].requires_grad()) roots.push_back(ys[q]), root_grads.push_back(all[n + q]);
    TensorList wrt;
    for (size_t i : diff) wrt.push_back(xs[i]);
    TensorList g = autograd::grad(roots, wrt, root_grads, {.create_graph = true, .allow_unused = true});
    TensorList r;
    for (size_t i = 0; i < g.size(); ++i) r.push_back(g[i].defined() ? g[i] : zeros_like(wrt[i]));
    return r;
  };
  TensorList all = inputs;
  all.insert(all.end(), vs.begin(), vs.end());
  return gradcheck(vjp_fn, all, o);
}

bool gradgradcheck(const std::function<Tensor(const TensorList&)>& f, const TensorList& inputs,
                   GradcheckOptions o) {
  return gradgradcheck(GradcheckFn([&](const TensorList& xs) { return TensorList{f(xs)}; }), inputs, o);
}

}  // namespace soma
