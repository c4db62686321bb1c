#include "soma/nn/module.h"

#include <fmt/ranges.h>

#include <functional>
#include <set>

#include "soma/creation.h"
#include "soma/grad_mode.h"

namespace soma::nn {

Tensor Module::forward(const Tensor&) {
  SOMA_FAIL("{}: this module has no single-tensor forward; call its own forward(...) overload", type_name_);
}

Tensor Module::register_parameter(std::string name, Tensor value, bool requires_grad) {
  SOMA_CHECK(name.find('.') == std::string::npos && !name.empty(), "{}: invalid parameter name '{}'", type_name_, name);
  if (value.defined() && requires_grad) value.requires_grad_(true);
  params_.emplace_back(std::move(name), value);
  return value;
}

Tensor Module::register_buffer(std::string name, Tensor value, bool persistent) {
  SOMA_CHECK(name.find('.') == std::string::npos && !name.empty(), "{}: invalid buffer name '{}'", type_name_, name);
  buffers_.push_back({std::move(name), value, persistent});
  return value;
}

void Module::add_child(std::string name, std::shared_ptr<Module> module) {
  SOMA_CHECK(module != nullptr, "{}: child module '{}' is null", type_name_, name);
  SOMA_CHECK(name.find('.') == std::string::npos && !name.empty(), "{}: invalid module name '{}'", type_name_, name);
  children_.emplace_back(std::move(name), std::move(module));
}

void Module::collect(const std::string& prefix, bool recurse, bool want_params,
                     std::vector<std::pair<std::string, Tensor>>& out) const {
  if (want_params) {
    for (const auto& [name, t] : params_)
      if (t.defined()) out.emplace_back(prefix + name, t);
  } else {
    for (const Buffer& b : buffers_)
      if (b.value.defined()) out.emplace_back(prefix + b.name, b.value);
  }
  if (!recurse) return;
  for (const auto& [name, child] : children_) child->collect(prefix + name + ".", true, want_params, out);
}

namespace {
// Drops entries whose tensor appeared earlier (a module or parameter used twice).
std::vector<std::pair<std::string, Tensor>> unique(std::vector<std::pair<std::string, Tensor>> all) {
  std::set<const TensorImpl*> seen;
  std::vector<std::pair<std::string, Tensor>> out;
  for (auto& entry : all)
    if (seen.insert(entry.second.impl()).second) out.push_back(std::move(entry));
  return out;
}
TensorList tensors_of(const std::vector<std::pair<std::string, Tensor>>& named) {
  TensorList out;
  for (const auto& [name, t] : named) out.push_back(t);
  return out;
}
}  // namespace

std::vector<std::pair<std::string, Tensor>> Module::named_parameters(bool recurse) const {
  std::vector<std::pair<std::string, Tensor>> all;
  collect("", recurse, true, all);
  return unique(std::move(all));
}

std::vector<std::pair<std::string, Tensor>> Module::named_buffers(bool recurse) const {
  std::vector<std::pair<std::string, Tensor>> all;
  collect("", recurse, false, all);
  return unique(std::move(all));
}

TensorList Module::parameters(bool recurse) const { return tensors_of(named_parameters(recurse)); }
TensorList Module::buffers(bool recurse) const { return tensors_of(named_buffers(recurse)); }

std::vector<std::pair<std::string, Module*>> Module::named_modules() {
  std::vector<std::pair<std::string, Module*>> out;
  std::vector<std::pair<std::string, Module*>> stack{{"", this}};
  while (!stack.empty()) {
    auto [name, m] = stack.back();
    stack.pop_back();
    out.emplace_back(name, m);
    for (auto it = m->children_.rbegin(); it != m->children_.rend(); ++it)
      stack.emplace_back(name.empty() ? it->first : name + "." + it->first, it->second.get());
  }
  return out;
}

int64_t Module::num_parameters(bool only_trainable) const {
  int64_t n = 0;
  for (const Tensor& p : parameters())
    if (!only_trainable || p.requires_grad()) n += p.numel();
  return n;
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [name, child] : children_) child->train(on);
}

void Module::zero_grad(bool set_to_none) {
  for (const Tensor& p : parameters()) p.zero_grad(set_to_none);
}

void Module::to(DType dtype) {
  NoGradGuard no_grad;
  for (const Tensor& t : parameters())
    if (t.is_floating_point() && t.dtype() != dtype) t.set_data(t.detach().to(dtype));
  for (const Tensor& t : buffers())
    if (t.is_floating_point() && t.dtype() != dtype) t.set_data(t.detach().to(dtype));
}

StateDict Module::state_dict() const {
  StateDict out;
  std::vector<std::pair<std::string, Tensor>> all;
  collect("", true, true, all);
  for (auto& [name, t] : all) out.emplace(name, t.detach());
  // Only persistent buffers are saved.
  std::function<void(const Module&, const std::string&)> add_buffers = [&](const Module& m, const std::string& prefix) {
    for (const Buffer& b : m.buffers_)
      if (b.persistent && b.value.defined()) out.emplace(prefix + b.name, b.value.detach());
    for (const auto& [name, child] : m.children_) add_buffers(*child, prefix + name + ".");
  };
  add_buffers(*this, "");
  return out;
}

void Module::load_state_dict(const StateDict& state, bool strict) {
  StateDict own = state_dict();
  std::vector<std::string> missing, unexpected;
  for (const auto& [name, t] : own)
    if (!state.count(name)) missing.push_back(name);
  for (const auto& [name, t] : state)
    if (!own.count(name)) unexpected.push_back(name);
  if (strict && (!missing.empty() || !unexpected.empty()))
    SOMA_FAIL("load_state_dict: {} state does not match: missing keys [{}], unexpected keys [{}]", type_name_,
              fmt::join(missing, ", "), fmt::join(unexpected, ", "));
  for (const auto& [name, t] : own) {
    auto it = state.find(name);
    if (it == state.end()) continue;
    SOMA_CHECK(it->second.defined(), "load_state_dict: the value for '{}' is undefined", name);
    SOMA_CHECK(it->second.shape() == t.shape(),
               "load_state_dict: size mismatch for '{}': the state has shape {}, the module has shape {}", name,
               it->second.shape(), t.shape());
  }
  NoGradGuard no_grad;
  for (auto& [name, t] : own) {
    auto it = state.find(name);
    if (it != state.end()) t.copy_(it->second);
  }
}

void Module::describe(std::string& out, int indent) const {
  out += type_name_ + "(" + extra_repr();
  if (children_.empty()) {
    out += ")";
    return;
  }
  if (!extra_repr().empty()) out += ",";
  out += "\n";
  for (const auto& [name, child] : children_) {
    out += std::string(indent + 2, ' ') + "(" + name + "): ";
    child->describe(out, indent + 2);
    out += "\n";
  }
  out += std::string(indent, ' ') + ")";
}

std::string Module::str() const {
  std::string out;
  describe(out, 0);
  return out;
}

}  // namespace soma::nn
