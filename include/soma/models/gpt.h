#pragma once
// GPT: a decoder-only transformer language model in the GPT-2 / nanoGPT layout.
//
//   tokens [B, T] -> wte(tokens) + wpe(0..T-1)                      [B, T, C]
//   n_layer blocks, each pre-LayerNorm:
//     x = x + proj(attention(qkv(ln1(x))))     qkv: Linear(C, 3C) packed q|k|v, causal, H heads
//     x = x + fc2(gelu_tanh(fc(ln2(x))))       fc: Linear(C, 4C), fc2: Linear(4C, C)
//   logits = ln_f(x) @ wte.weightᵀ                                  [B, T, V]
//
// The LM head is tied to the token embedding: `head.weight` in the state_dict is the very tensor
// `wte.weight` (parameters() lists it once; both uses add to its gradient), as in PyTorch.
// Initialization follows GPT-2: every Linear and Embedding weight N(0, 0.02), the residual
// projections (proj, fc2) N(0, 0.02 / sqrt(2 n_layer)), biases zero, LayerNorms weight 1 bias 0.
//
// Dropout (when config.dropout > 0, training mode only) is applied to the embedding sum, the
// attention probabilities and each residual branch (after proj and fc2), as in nanoGPT.
#include <memory>
#include <vector>

#include "soma/models/language_model.h"
#include "soma/nn.h"
#include "soma/optim/adam.h"

namespace soma::models {

struct GPTConfig {
  int64_t vocab_size = 65;
  int64_t block_size = 128;  // the context length
  int64_t n_layer = 4;
  int64_t n_head = 4;
  int64_t n_embd = 128;      // divisible by n_head
  double dropout = 0.0;
  bool bias = true;          // biases of the Linear layers (LayerNorms always have one)
};

// The keys and values of past positions, one pair of preallocated buffers per layer, so that
// generation runs only the new tokens through the model. Buffers are [B, H, block_size, D];
// positions 0..length()-1 hold data. Appending writes in place (no reallocation).
class KVCache {
 public:
  KVCache() = default;
  KVCache(const GPTConfig& config, int64_t batch, DType dtype = kFloat32);

  int64_t length() const { return length_; }
  int64_t batch() const { return batch_; }
  int64_t capacity() const { return capacity_; }
  void clear() { length_ = 0; }

  // Writes k, v [B, H, Tn, D] of `layer` at positions length()..length()+Tn-1 and returns views
  // of all keys and values so far, [B, H, length()+Tn, D]. commit(Tn) then advances length()
  // (after every layer has appended, so all layers see the same start).
  std::pair<Tensor, Tensor> append(size_t layer, const Tensor& k, const Tensor& v);
  void commit(int64_t new_tokens) { length_ += new_tokens; }

 private:
  std::vector<Tensor> k_, v_;
  int64_t length_ = 0, batch_ = 0, capacity_ = 0;
};

// One transformer block (names as in nanoGPT: ln1, qkv, proj, ln2, fc, fc2).
class GPTBlock : public nn::Module {
 public:
  GPTBlock(const GPTConfig& config);
  Tensor forward(const Tensor& x) override;  // [B, T, C] -> [B, T, C]
  // With a cache: x holds the new positions only; keys/values of the past come from `cache`.
  Tensor forward(const Tensor& x, KVCache* cache, size_t layer);

  int64_t n_head;
  double dropout;
  std::shared_ptr<nn::LayerNorm> ln1, ln2;
  std::shared_ptr<nn::Linear> qkv, proj, fc, fc2;

 private:
  Tensor attention(const Tensor& x, KVCache* cache, size_t layer);
};

class GPT : public LanguageModel {
 public:
  explicit GPT(const GPTConfig& config);

  // tokens [B, T] int64 with 1 <= T <= block_size -> logits [B, T, V].
  Tensor logits(const Tensor& tokens) override;
  Tensor forward(const Tensor& tokens) override { return logits(tokens); }
  // Runs only the new tokens [B, Tn] (positions cache.length().. ) and appends their keys and
  // values to the cache: logits [B, Tn, V], equal (up to rounding) to the last Tn positions of
  // logits() over the whole sequence. Needs cache.length() + Tn <= block_size.
  Tensor forward_with_cache(const Tensor& tokens, KVCache& cache);
  // Mean cross-entropy of logits(tokens) against targets [B, T].
  Tensor loss(const Tensor& tokens, const Tensor& targets);

  int64_t vocab_size() const override { return config.vocab_size; }
  int64_t context_length() const override { return config.block_size; }
  std::string extra_repr() const override;

  GPTConfig config;
  std::shared_ptr<nn::Embedding> wte, wpe;
  std::vector<std::shared_ptr<GPTBlock>> blocks;
  std::shared_ptr<nn::LayerNorm> ln_f;

 private:
  Tensor run(const Tensor& tokens, KVCache* cache);
  void init_weights();
};

// AdamW over the model's parameters in two groups, following nanoGPT: weight decay on every
// parameter with dim >= 2 (Linear weights and the embeddings, the tied one included), none on
// biases and LayerNorm parameters (dim 1).
std::unique_ptr<optim::AdamW> configure_adamw(const nn::Module& model, double lr, double weight_decay,
                                              std::pair<double, double> betas = {0.9, 0.95});

}  // namespace soma::models
