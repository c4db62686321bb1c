#pragma once
// Scaled dot-product attention: softmax(q kᵀ · scale + mask) v, the core of every attention layer.
#include <cmath>
#include <limits>

#include "soma/random.h"
#include "soma/tensor.h"

namespace soma::nn::functional {

// Where the causal triangle sits when there are fewer queries than keys (PyTorch's
// torch.nn.attention.bias.CausalVariant). UpperLeft, what is_causal means in PyTorch: query i may
// see key j when j <= i (the mask torch.ones(Tq, Tk).tril(0)). LowerRight, aligned to the end of
// the keys: j <= i + (Tk - Tq), what a KV cache needs (Tq new queries after Tk - Tq cached keys:
// each new token sees the whole past and itself). With Tq == Tk both are the lower triangle.
enum class CausalVariant { UpperLeft, LowerRight };

struct AttentionOptions {
  // Optional mask broadcastable to [..., Tq, Tk]: bool (true = the query may attend to the key,
  // as in PyTorch) or floating point (added to the scores, -inf blocks).
  Tensor attn_mask{};
  // Causal masking: query i may not see the keys after it, as causal_variant places them.
  bool is_causal = false;
  CausalVariant causal_variant = CausalVariant::UpperLeft;
  // Multiplies q kᵀ; NaN means 1 / sqrt(D).
  double scale = std::numeric_limits<double>::quiet_NaN();
  // Dropout on the attention probabilities (always applied when > 0: pass 0 in evaluation),
  // drawing from generator (null: the default generator).
  double dropout_p = 0;
  Generator* generator = nullptr;
};

// q [..., Tq, D], k [..., Tk, D], v [..., Tk, Dv] -> [..., Tq, Dv]. Leading dims (and the
// mask's) broadcast. A query row whose keys are all masked gives zeros (not NaN).
//
// float32/float64 inputs run a fused tiled kernel (online softmax, FlashAttention-2 backward)
// that never holds the [Tq, Tk] scores; dropout, other dtypes and an additive mask that requires
// grad take the composed path (matmul + masked softmax + matmul). Double backward works either way.
Tensor scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v,
                                    const AttentionOptions& options = {});

// The probabilities that scaled_dot_product_attention applies to v (after dropout, if any):
// [..., Tq, Tk], composed from differentiable ops. Rows with every key masked are zeros.
Tensor attention_weights(const Tensor& q, const Tensor& k, const AttentionOptions& options = {});

// The [Tq, Tk] bool mask that `is_causal` applies (true = may attend). LowerRight needs Tq <= Tk.
Tensor causal_mask(int64_t tq, int64_t tk, CausalVariant variant = CausalVariant::UpperLeft);

}  // namespace soma::nn::functional
