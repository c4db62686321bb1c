#pragma once
// MultiheadAttention with PyTorch's semantics and parameter names.
#include <memory>

#include "soma/nn/linear.h"
#include "soma/nn/module.h"
#include "soma/random.h"

namespace soma::nn {

struct MultiheadAttentionOptions {
  double dropout = 0;  // on the attention probabilities, in training
  bool bias = true;    // in_proj_bias and out_proj.bias
  int64_t kdim = 0;    // 0: embed_dim
  int64_t vdim = 0;    // 0: embed_dim
  bool batch_first = false;  // inputs [B, L, E] instead of [L, B, E]
  // Learned bias_k, bias_v [1, 1, E], appended to the projected keys and values as one more key
  // that every query may attend (masks get a column of false / zero for it).
  bool add_bias_kv = false;
  // A zero key and value appended per head after the projection (and after bias_k, bias_v),
  // likewise never masked.
  bool add_zero_attn = false;
  DType dtype = kFloat32;
  Generator* generator = nullptr;  // for dropout; null: the default generator
};

// The masks and switches of one call (PyTorch's forward arguments).
struct MultiheadAttentionForwardOptions {
  // [B, S]: bool, true = this key is padding and is ignored; or floating, added to the scores.
  Tensor key_padding_mask{};
  // Return the attention weights too. Defaults to false (PyTorch: true), since the weights need
  // the [L, S] probabilities that the fused kernel never forms.
  bool need_weights = false;
  // [L, S] or [B * num_heads, L, S]: bool, true = may NOT attend (PyTorch's MultiheadAttention
  // convention, the opposite of scaled_dot_product_attention's); or floating, added.
  Tensor attn_mask{};
  bool average_attn_weights = true;  // weights averaged over heads: [B, L, S]; else [B, H, L, S]
  // Also mask the keys after each query (query i sees keys 0..i, as scaled_dot_product_attention's
  // is_causal); lets the kernel skip tiles.
  bool is_causal = false;
};

struct MultiheadAttentionOutput {
  Tensor output;   // like query: [L, B, E] ([B, L, E] with batch_first; [L, E] unbatched)
  Tensor weights;  // undefined unless need_weights
};

// Attention with num_heads heads of embed_dim / num_heads each. Parameters as in PyTorch:
// in_proj_weight [3E, E] (q, k, v rows stacked) when kdim == vdim == E, else q_proj_weight [E, E],
// k_proj_weight [E, kdim], v_proj_weight [E, vdim]; in_proj_bias [3E]; out_proj (Linear E -> E).
// With add_bias_kv also bias_k, bias_v [1, 1, E]. Initialized like PyTorch: Xavier-uniform
// projections, Xavier-normal bias_k and bias_v, zero biases. A query whose keys are all masked
// gets zeros (PyTorch: NaN). With add_bias_kv or add_zero_attn, is_causal masks key s > l among
// the given keys (top-left, as generate_square_subsequent_mask), never the appended ones.
class MultiheadAttention : public Module {
 public:
  MultiheadAttention(int64_t embed_dim, int64_t num_heads, MultiheadAttentionOptions options = {});
  MultiheadAttentionOutput forward(const Tensor& query, const Tensor& key, const Tensor& value,
                                   const MultiheadAttentionForwardOptions& options = {});
  MultiheadAttentionOutput operator()(const Tensor& query, const Tensor& key, const Tensor& value,
                                      const MultiheadAttentionForwardOptions& options = {}) {
    return forward(query, key, value, options);
  }
  std::string extra_repr() const override;
  void reset_parameters();

  int64_t embed_dim, num_heads, head_dim, kdim, vdim;
  double dropout;
  bool batch_first, add_zero_attn;
  Generator* generator;
  Tensor in_proj_weight, q_proj_weight, k_proj_weight, v_proj_weight, in_proj_bias;
  Tensor bias_k, bias_v;  // [1, 1, E] with add_bias_kv, else undefined
  std::shared_ptr<Linear> out_proj;
};

}  // namespace soma::nn
