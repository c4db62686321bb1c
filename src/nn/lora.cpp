#include "soma/nn/lora.h"

#include <fmt/ranges.h>

#include <cmath>
#include <set>

#include "soma/creation.h"
#include "soma/grad_mode.h"
#include "soma/linalg.h"
#include "soma/math.h"
#include "soma/nn/functional.h"
#include "soma/nn/init.h"

namespace soma::nn {

namespace {

void check_options(const LoRAOptions& o, const char* op) {
  SOMA_CHECK(o.rank > 0, "{}: rank must be positive, got {}", op, o.rank);
  SOMA_CHECK(o.alpha > 0, "{}: alpha must be positive, got {}", op, o.alpha);
  SOMA_CHECK(o.dropout >= 0 && o.dropout < 1, "{}: dropout must be in [0, 1), got {}", op, o.dropout);
}

bool is_target(const LoRAOptions& o, const std::string& name, const Linear& layer) {
  if (o.target) return o.target(name, layer);
  if (o.targets.empty()) return true;
  for (const std::string& suffix : o.targets) {
    if (name == suffix) return true;
    if (name.size() > suffix.size() && name.ends_with(suffix) && name[name.size() - suffix.size() - 1] == '.')
      return true;
  }
  return false;
}

// The Linear layers of `model` that carry a LoRA adapter, with their names (each layer once,
// even if the module is used in two places).
std::vector<std::pair<std::string, Linear*>> adapted_layers(Module& model) {
  std::vector<std::pair<std::string, Linear*>> out;
  std::set<Module*> seen;
  for (auto& [name, m] : model.named_modules()) {
    auto* linear = dynamic_cast<Linear*>(m);
    if (linear && dynamic_cast<LoRA*>(linear->adapter.get()) && seen.insert(m).second) out.emplace_back(name, linear);
  }
  return out;
}

LoRA& adapter_of(Linear& layer) { return static_cast<LoRA&>(*layer.adapter); }

std::string key(const std::string& layer, const char* tensor) {
  return layer.empty() ? fmt::format("lora.{}", tensor) : fmt::format("{}.lora.{}", layer, tensor);
}

}  // namespace

LoRA::LoRA(int64_t in, int64_t out, LoRAOptions options, DType dtype)
    : Module("LoRA"), rank(options.rank), scaling(options.alpha / static_cast<double>(options.rank)),
      dropout(options.dropout) {
  check_options(options, "LoRA");
  A = register_parameter("A", empty({rank, in}, dtype));
  B = register_parameter("B", zeros({out, rank}, dtype));
  NoGradGuard no_grad;
  init::kaiming_uniform_(A, std::sqrt(5.0));
}

Tensor LoRA::forward(const Tensor& input) {
  Tensor x = functional::dropout(input, dropout, is_training() && dropout > 0);
  // [..., in] -> [..., r] -> [..., out]
  return functional::linear(functional::linear(x, A), B) * scaling;
}

Tensor LoRA::delta_weight() const { return mm(B, A) * scaling; }

std::string LoRA::extra_repr() const {
  return fmt::format("rank={}, in_features={}, out_features={}, scaling={}, dropout={}", rank, A.size(1), B.size(0),
                     scaling, dropout);
}

namespace lora {

std::vector<std::string> apply(Module& model, const LoRAOptions& options) {
  check_options(options, "lora::apply");
  std::vector<std::pair<std::string, Linear*>> matched;
  std::set<Module*> seen;
  for (auto& [name, m] : model.named_modules()) {
    auto* linear = dynamic_cast<Linear*>(m);
    if (!linear || !is_target(options, name, *linear) || !seen.insert(m).second) continue;
    SOMA_CHECK(!linear->adapter, "lora::apply: layer '{}' already has an adapter (apply LoRA once per model)", name);
    matched.emplace_back(name, linear);
  }
  SOMA_CHECK(!matched.empty(), "lora::apply: no Linear layer matched the targets [{}] in a {}",
             fmt::join(options.targets, ", "), model.type_name());
  // Freeze the base model, then attach the (trainable) adapters.
  for (const Tensor& p : model.parameters()) Tensor(p).requires_grad_(false);
  std::vector<std::string> names;
  for (auto& [name, linear] : matched) {
    auto adapter = std::make_shared<LoRA>(linear->in_features, linear->out_features, options, linear->weight.dtype());
    adapter->train(linear->is_training());
    linear->attach_adapter("lora", adapter);
    names.push_back(name);
  }
  return names;
}

void merge(Module& model) {
  NoGradGuard no_grad;
  for (auto& [name, linear] : adapted_layers(model)) {
    if (!linear->adapter_enabled) continue;
    linear->weight.add_(adapter_of(*linear).delta_weight());
    linear->adapter_enabled = false;
  }
}

void unmerge(Module& model) {
  NoGradGuard no_grad;
  for (auto& [name, linear] : adapted_layers(model)) {
    if (linear->adapter_enabled) continue;
    linear->weight.sub_(adapter_of(*linear).delta_weight());
    linear->adapter_enabled = true;
  }
}

StateDict lora_state_dict(Module& model) {
  StateDict out;
  for (auto& [name, linear] : adapted_layers(model)) {
    out.emplace(key(name, "A"), adapter_of(*linear).A.detach());
    out.emplace(key(name, "B"), adapter_of(*linear).B.detach());
  }
  return out;
}

void load_lora_state_dict(Module& model, const StateDict& state) {
  auto layers = adapted_layers(model);
  SOMA_CHECK(!layers.empty(), "load_lora_state_dict: the {} has no LoRA adapters (call lora::apply first)",
             model.type_name());
  StateDict own = lora_state_dict(model);
  std::vector<std::string> missing, unexpected;
  for (const auto& [k, t] : own)
    if (!state.count(k)) missing.push_back(k);
  for (const auto& [k, t] : state)
    if (!own.count(k)) unexpected.push_back(k);
  SOMA_CHECK(missing.empty() && unexpected.empty(),
             "load_lora_state_dict: adapter keys do not match: missing [{}], unexpected [{}]", fmt::join(missing, ", "),
             fmt::join(unexpected, ", "));
  for (auto& [name, linear] : layers)
    SOMA_CHECK(linear->adapter_enabled, "load_lora_state_dict: layer '{}' is merged; unmerge the model first", name);
  for (const auto& [k, t] : own)
    SOMA_CHECK(state.at(k).defined() && state.at(k).shape() == t.shape(),
               "load_lora_state_dict: size mismatch for '{}': the state has shape {}, the model has shape {}", k,
               state.at(k).defined() ? state.at(k).shape() : Shape{}, t.shape());
  NoGradGuard no_grad;
  for (auto& [k, t] : own) Tensor(t).copy_(state.at(k));
}

}  // namespace lora

}  // namespace soma::nn
