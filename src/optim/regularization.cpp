#include "soma/optim/regularization.h"

#include "soma/creation.h"
#include "soma/math.h"
#include "soma/reduce.h"

namespace soma::optim {

namespace {

template <class Term>
Tensor sum_over(const TensorList& params, const char* name, Term term) {
  SOMA_CHECK(!params.empty(), "{}: got no parameters", name);
  Tensor total;
  for (const Tensor& p : params) {
    SOMA_CHECK(p.is_floating_point(), "{}: parameters must be floating point, got {}", name, dtype_name(p.dtype()));
    Tensor t = term(p);
    total = total.defined() ? total + t : t;
  }
  return total;
}

}  // namespace

Tensor l1_penalty(const TensorList& params) {
  return sum_over(params, "l1_penalty", [](const Tensor& p) { return p.abs().sum(); });
}

Tensor l2_penalty(const TensorList& params) {
  return sum_over(params, "l2_penalty", [](const Tensor& p) { return (p * p).sum(); });
}

Tensor elastic_net_penalty(const TensorList& params, double l1_ratio) {
  SOMA_CHECK(l1_ratio >= 0 && l1_ratio <= 1, "elastic_net_penalty: l1_ratio must be in [0, 1], got {}", l1_ratio);
  return sum_over(params, "elastic_net_penalty",
                  [&](const Tensor& p) { return p.abs().sum() * l1_ratio + (p * p).sum() * ((1 - l1_ratio) / 2); });
}

TensorList weight_parameters(const std::vector<std::pair<std::string, Tensor>>& named_parameters) {
  TensorList out;
  for (const auto& [name, p] : named_parameters)
    if (p.dim() > 1 && !name.ends_with("bias")) out.push_back(p);
  return out;
}

TensorList weight_parameters(const nn::Module& module) { return weight_parameters(module.named_parameters()); }

}  // namespace soma::optim
