#pragma once
// LoRA: low-rank adaptation (Hu et al. 2021, "LoRA: Low-Rank Adaptation of Large Language
// Models"), as in Hugging Face peft. A frozen Linear layer y = x W^T + b learns a low-rank
// update instead of W itself:
//
//   y = x W^T + b + scaling * dropout(x) A^T B^T,   A [r, in], B [out, r], scaling = alpha / r
//
// so a layer trains r * (in + out) numbers instead of in * out. B starts at zero, so an adapted
// model starts out computing exactly what the base model did.
//
//   auto names = nn::lora::apply(*model, {.rank = 8, .alpha = 16, .targets = {"qkv", "proj"}});
//   optim::AdamW opt(model->parameters(), {.lr = 1e-3});  // frozen parameters get no grad
//   ... train ...
//   io::save(nn::lora::lora_state_dict(*model), "adapter.safetensors");  // the adapters only
//   nn::lora::merge(*model);  // inference at the base model's cost
//
// Models hold their layers as typed members, so the adapter is not swapped in for the Linear
// (peft's setattr); it is attached to it (Linear::attach_adapter) as a child named "lora",
// whose parameters are "lora.A" and "lora.B" (state_dict keys like "0.lora.A").
#include <functional>
#include <string>
#include <vector>

#include "soma/nn/linear.h"
#include "soma/nn/module.h"

namespace soma::nn {

struct LoRAOptions {
  int64_t rank = 8;      // r
  double alpha = 8.0;    // scaling = alpha / rank
  double dropout = 0.0;  // on the adapter's input, in training mode only
  // Which Linear layers get an adapter: those whose dotted name (as in named_modules) equals one
  // of these or ends with "." + one of them ({"qkv"} matches "blocks.0.attn.qkv"); empty: all.
  std::vector<std::string> targets = {};
  // If set, used instead of targets: called with each Linear's name.
  std::function<bool(const std::string& name, const Linear& layer)> target = {};
};

// The adapter attached to a Linear layer: forward(x) = scaling * dropout(x) A^T B^T.
class LoRA : public Module {
 public:
  LoRA(int64_t in_features, int64_t out_features, LoRAOptions options, DType dtype = kFloat32);
  Tensor forward(const Tensor& input) override;  // [..., in] -> [..., out]
  std::string extra_repr() const override;
  // scaling * B A, the update to the base weight [out, in].
  Tensor delta_weight() const;

  int64_t rank;
  double scaling, dropout;
  Tensor A, B;  // A [rank, in]: Kaiming-uniform (a = sqrt(5)) like peft; B [out, rank]: zeros
};

namespace lora {

// Attaches a LoRA adapter to every targeted Linear layer of `model`, freezes every other
// parameter (requires_grad false) and returns the adapted layers' names. Errors: rank <= 0,
// alpha <= 0, dropout outside [0, 1), no layer matched, a matched layer already adapted.
std::vector<std::string> apply(Module& model, const LoRAOptions& options);

// Folds each adapter into its layer (W += scaling B A) and disables it, so the model computes
// the same function at the base model's cost; unmerge subtracts it back and re-enables the
// adapters. Layers already in the requested state are left alone. While merged, state_dict()
// holds the merged weights.
void merge(Module& model);
void unmerge(Module& model);

// The adapters' tensors only ("0.lora.A", "0.lora.B", ...), sharing data with the model: what
// to save after fine-tuning. load_lora_state_dict copies them into an adapted model of the same
// shape; its keys must be exactly the model's adapter keys.
StateDict lora_state_dict(Module& model);
void load_lora_state_dict(Module& model, const StateDict& state);

}  // namespace lora

}  // namespace soma::nn
