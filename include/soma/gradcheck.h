#pragma once
// Gradient checks: compare autograd's derivatives with central finite differences in float64.
// Each returns true, or throws soma::Error describing the first mismatch (input, element,
// analytical vs numerical value).
#include <functional>

#include "soma/tensor.h"

namespace soma {

struct GradcheckOptions {
  double eps = 1e-6;
  double atol = 1e-5;
  double rtol = 1e-3;
};

using GradcheckFn = std::function<TensorList(const TensorList&)>;

// First derivatives. Inputs must be float64; those with requires_grad are checked.
bool gradcheck(const GradcheckFn& f, const TensorList& inputs, GradcheckOptions options = {});
bool gradcheck(const std::function<Tensor(const TensorList&)>& f, const TensorList& inputs,
               GradcheckOptions options = {});
// Second derivatives: checks the gradient of (f's vector-Jacobian product with a fixed random
// vector), i.e. double backward.
bool gradgradcheck(const GradcheckFn& f, const TensorList& inputs, GradcheckOptions options = {});
bool gradgradcheck(const std::function<Tensor(const TensorList&)>& f, const TensorList& inputs,
                   GradcheckOptions options = {});

}  // namespace soma
