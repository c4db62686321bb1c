#include "soma/optim/optimizer.h"

#include <set>

#include "soma/creation.h"
#include "soma/grad_mode.h"

namespace soma::optim {

Optimizer::Optimizer(std::string name, std::vector<TensorList> groups, std::vector<std::string> buffer_names)
    : name_(std::move(name)), groups_(std::move(groups)), buffer_names_(std::move(buffer_names)) {
  SOMA_CHECK(!groups_.empty(), "{}: got no parameter groups", name_);
  std::set<TensorImpl*> seen;
  size_t count = 0;
  for (size_t g = 0; g < groups_.size(); ++g)
    for (const Tensor& p : groups_[g]) {
      SOMA_CHECK(p.defined(), "{}: parameter {} of group {} is undefined", name_, count, g);
      SOMA_CHECK(p.is_floating_point() && (p.dtype() == kFloat32 || p.dtype() == kFloat64),
                 "{}: parameters must be float32 or float64, got {} (parameter {} of group {})", name_,
                 dtype_name(p.dtype()), count, g);
      SOMA_CHECK(p.is_leaf(), "{}: can't optimize a non-leaf tensor (parameter {} of group {})", name_, count, g);
      SOMA_CHECK(seen.insert(p.impl()).second, "{}: parameter {} appears more than once (group {})", name_, count, g);
      ++count;
    }
  states_.resize(count);
  for (ParamState& s : states_) s.buffers.resize(buffer_names_.size());
}

Tensor Optimizer::step(const Closure& closure) {
  Tensor loss;
  {
    EnableGradGuard enable;
    loss = closure();
  }
  step();
  return loss;
}

void Optimizer::zero_grad(bool set_to_none) {
  for (const TensorList& group : groups_)
    for (const Tensor& p : group) p.zero_grad(set_to_none);
}

const TensorList& Optimizer::params(size_t group) const {
  SOMA_CHECK(group < groups_.size(), "{}: group {} out of range ({} groups)", name_, group, groups_.size());
  return groups_[group];
}

double Optimizer::lr(size_t group) const {
  SOMA_CHECK(group < groups_.size(), "{}: group {} out of range ({} groups)", name_, group, groups_.size());
  return const_cast<Optimizer*>(this)->lr_ref(group);
}

void Optimizer::set_lr(double lr, size_t group) {
  SOMA_CHECK(group < groups_.size(), "{}: group {} out of range ({} groups)", name_, group, groups_.size());
  SOMA_CHECK(lr >= 0, "{}: learning rate must be >= 0, got {}", name_, lr);
  lr_ref(group) = lr;
}

void Optimizer::set_lr(double lr) {
  for (size_t g = 0; g < groups_.size(); ++g) set_lr(lr, g);
}

bool Optimizer::has_option(const std::string& name) const {
  bool found = false;
  const_cast<Optimizer*>(this)->visit_options(0, [&](const char* key, double&) { found |= name == key; });
  return found;
}

double Optimizer::option(const std::string& name, size_t group) const {
  SOMA_CHECK(has_option(name), "{}: no option '{}'", name_, name);
  double value = 0;
  params(group);  // checks the group index
  const_cast<Optimizer*>(this)->visit_options(group, [&](const char* key, double& v) {
    if (name == key) value = v;
  });
  return value;
}

void Optimizer::set_option(const std::string& name, double value, size_t group) {
  SOMA_CHECK(has_option(name), "{}: no option '{}'", name_, name);
  params(group);
  visit_options(group, [&](const char* key, double& v) {
    if (name == key) v = value;
  });
}

const std::vector<double>& Optimizer::initial_lrs() {
  if (initial_lrs_.empty())
    for (size_t g = 0; g < groups_.size(); ++g) initial_lrs_.push_back(lr_ref(g));
  return initial_lrs_;
}

StateDict Optimizer::state_dict() const {
  StateDict out;
  auto* self = const_cast<Optimizer*>(this);  // visit_options only reads here
  for (size_t g = 0; g < groups_.size(); ++g) {
    const std::string prefix = fmt::format("group.{}.", g);
    out[prefix + "num_params"] = scalar_tensor(static_cast<int64_t>(groups_[g].size()));
    self->visit_options(g, [&](const char* key, double& v) { out[prefix + key] = scalar_tensor(v, kFloat64); });
    if (!initial_lrs_.empty()) out[prefix + "initial_lr"] = scalar_tensor(initial_lrs_[g], kFloat64);
  }
  for (size_t i = 0; i < states_.size(); ++i) {
    const ParamState& s = states_[i];
    if (s.step == 0) continue;
    out[fmt::format("state.{}.step", i)] = scalar_tensor(s.step);
    for (size_t k = 0; k < buffer_names_.size(); ++k)
      if (s.buffers[k].defined()) out[fmt::format("state.{}.{}", i, buffer_names_[k])] = s.buffers[k].clone();
  }
  save_extra(out);
  return out;
}

void Optimizer::load_state_dict(const StateDict& state) {
  auto get = [&](const std::string& key) -> const Tensor& {
    auto it = state.find(key);
    SOMA_CHECK(it != state.end(), "{}: load_state_dict: missing key '{}'", name_, key);
    return it->second;
  };
  // Check everything before modifying anything.
  for (size_t g = 0; g < groups_.size(); ++g) {
    int64_t n = get(fmt::format("group.{}.num_params", g)).item<int64_t>();
    SOMA_CHECK(n == static_cast<int64_t>(groups_[g].size()),
               "{}: load_state_dict: group {} has {} parameters, the state has {}", name_, g, groups_[g].size(), n);
    visit_options(g, [&](const char* key, double&) { get(fmt::format("group.{}.{}", g, key)); });
  }
  SOMA_CHECK(!state.contains(fmt::format("group.{}.num_params", groups_.size())),
             "{}: load_state_dict: the state has more than {} groups", name_, groups_.size());
  std::vector<const Tensor*> params;
  for (const TensorList& group : groups_)
    for (const Tensor& p : group) params.push_back(&p);
  for (size_t i = 0; i < states_.size(); ++i)
    for (size_t k = 0; k < buffer_names_.size(); ++k) {
      auto it = state.find(fmt::format("state.{}.{}", i, buffer_names_[k]));
      if (it == state.end() || it->second.dim() == 0) continue;  // 0-d buffers are scalars
      SOMA_CHECK(it->second.shape() == params[i]->shape(),
                 "{}: load_state_dict: state '{}' has shape {}, the parameter has shape {}", name_, it->first,
                 it->second.shape(), params[i]->shape());
    }
  for (size_t g = 0; g < groups_.size(); ++g)
    visit_options(g, [&](const char* key, double& v) { v = get(fmt::format("group.{}.{}", g, key)).item(); });
  initial_lrs_.clear();
  if (state.contains("group.0.initial_lr"))
    for (size_t g = 0; g < groups_.size(); ++g)
      initial_lrs_.push_back(get(fmt::format("group.{}.initial_lr", g)).item());
  for (size_t i = 0; i < states_.size(); ++i) {
    ParamState& s = states_[i];
    auto step = state.find(fmt::format("state.{}.step", i));
    s.step = step == state.end() ? 0 : step->second.item<int64_t>();
    for (size_t k = 0; k < buffer_names_.size(); ++k) {
      auto it = state.find(fmt::format("state.{}.{}", i, buffer_names_[k]));
      s.buffers[k] = it == state.end() ? Tensor() : it->second.detach().to(params[i]->dtype()).contiguous().clone();
    }
  }
  load_extra(state);
}

void Optimizer::for_each_update(const std::function<void(size_t, const Tensor&, const Tensor&, ParamState&)>& f) {
  NoGradGuard no_grad;
  size_t index = 0;
  for (size_t g = 0; g < groups_.size(); ++g)
    for (const Tensor& p : groups_[g]) {
      ParamState& s = states_[index++];
      Tensor grad = p.grad();
      if (!grad.defined()) continue;
      SOMA_CHECK(grad.shape() == p.shape(), "{}: gradient of shape {} for a parameter of shape {}", name_, grad.shape(),
                 p.shape());
      grad = grad.to(p.dtype()).contiguous();
      if (p.is_contiguous()) {
        f(g, p, grad, s);
      } else {
        Tensor dense = p.detach().contiguous();
        f(g, dense, grad, s);
        p.detach().copy_(dense);
      }
      p.bump_version();
    }
}

Tensor& Optimizer::buffer(ParamState& state, size_t k, const Tensor& param, double init) {
  Tensor& b = state.buffers[k];
  if (!b.defined()) b = full(param.shape(), init, param.dtype());
  return b;
}

}  // namespace soma::optim
