#pragma once
// Transformer encoder and decoder layers, their stacks and the full encoder-decoder Transformer,
// with PyTorch's semantics, defaults and parameter names.
#include <memory>
#include <string>

#include "soma/nn/attention.h"
#include "soma/nn/container.h"
#include "soma/nn/dropout.h"
#include "soma/nn/linear.h"
#include "soma/nn/normalization.h"

namespace soma::nn {

struct TransformerLayerOptions {
  int64_t dim_feedforward = 2048;
  double dropout = 0.1;
  std::string activation = "relu";  // "relu" or "gelu"
  double layer_norm_eps = 1e-5;
  bool batch_first = false;  // [B, T, E] instead of [T, B, E]
  bool norm_first = false;   // pre-LN (x + f(norm(x))) instead of post-LN (norm(x + f(x)))
  DType dtype = kFloat32;
};

// Self-attention then a feed-forward block, each with a residual connection and a layer norm.
// Masks follow MultiheadAttention (bool: true = blocked; floating: added).
class TransformerEncoderLayer : public Module {
 public:
  TransformerEncoderLayer(int64_t d_model, int64_t nhead, TransformerLayerOptions options = {});
  Tensor forward(const Tensor& src) override { return forward(src, {}, {}); }
  // src_mask [T, T] or [B * nhead, T, T]; src_key_padding_mask [B, T].
  Tensor forward(const Tensor& src, const Tensor& src_mask, const Tensor& src_key_padding_mask);

  bool norm_first;
  std::string activation;
  std::shared_ptr<MultiheadAttention> self_attn;
  std::shared_ptr<Linear> linear1, linear2;
  std::shared_ptr<Dropout> dropout, dropout1, dropout2;
  std::shared_ptr<LayerNorm> norm1, norm2;
};

// Self-attention, cross-attention over the encoder's output (memory), then a feed-forward block.
class TransformerDecoderLayer : public Module {
 public:
  TransformerDecoderLayer(int64_t d_model, int64_t nhead, TransformerLayerOptions options = {});
  // tgt_mask [T, T]; memory_mask [T, S]; key padding masks [B, T] and [B, S].
  Tensor forward(const Tensor& tgt, const Tensor& memory, const Tensor& tgt_mask = {}, const Tensor& memory_mask = {},
                 const Tensor& tgt_key_padding_mask = {}, const Tensor& memory_key_padding_mask = {});

  bool norm_first;
  std::string activation;
  std::shared_ptr<MultiheadAttention> self_attn, multihead_attn;
  std::shared_ptr<Linear> linear1, linear2;
  std::shared_ptr<Dropout> dropout, dropout1, dropout2, dropout3;
  std::shared_ptr<LayerNorm> norm1, norm2, norm3;
};

// num_layers independently initialized encoder layers, then an optional final LayerNorm ("norm").
class TransformerEncoder : public Module {
 public:
  TransformerEncoder(int64_t d_model, int64_t nhead, int64_t num_layers, TransformerLayerOptions options = {},
                     bool final_norm = false);
  Tensor forward(const Tensor& src) override { return forward(src, {}, {}); }
  Tensor forward(const Tensor& src, const Tensor& mask, const Tensor& src_key_padding_mask);

  std::shared_ptr<ModuleList> layers;
  std::shared_ptr<LayerNorm> norm;  // null without final_norm
};

class TransformerDecoder : public Module {
 public:
  TransformerDecoder(int64_t d_model, int64_t nhead, int64_t num_layers, TransformerLayerOptions options = {},
                     bool final_norm = false);
  Tensor forward(const Tensor& tgt, const Tensor& memory, const Tensor& tgt_mask = {}, const Tensor& memory_mask = {},
                 const Tensor& tgt_key_padding_mask = {}, const Tensor& memory_key_padding_mask = {});

  std::shared_ptr<ModuleList> layers;
  std::shared_ptr<LayerNorm> norm;
};

struct TransformerOptions {
  int64_t d_model = 512;
  int64_t nhead = 8;
  int64_t num_encoder_layers = 6;
  int64_t num_decoder_layers = 6;
  TransformerLayerOptions layer;
};

// The encoder-decoder model of "Attention Is All You Need": encoder and decoder stacks with final
// layer norms; every parameter of 2 or more dims is re-initialized Xavier-uniform, as in PyTorch.
class Transformer : public Module {
 public:
  explicit Transformer(TransformerOptions options = {});
  // src [S, B, E], tgt [T, B, E] (batch first: [B, S, E], [B, T, E]) -> [T, B, E].
  Tensor forward(const Tensor& src, const Tensor& tgt, const Tensor& src_mask = {}, const Tensor& tgt_mask = {},
                 const Tensor& memory_mask = {}, const Tensor& src_key_padding_mask = {},
                 const Tensor& tgt_key_padding_mask = {}, const Tensor& memory_key_padding_mask = {});

  int64_t d_model, nhead;
  bool batch_first;
  std::shared_ptr<TransformerEncoder> encoder;
  std::shared_ptr<TransformerDecoder> decoder;
};

// The [sz, sz] float mask of causal attention for MultiheadAttention and the layers above:
// -inf above the diagonal (blocked), 0 elsewhere (PyTorch's Transformer.generate_square_subsequent_mask).
Tensor generate_square_subsequent_mask(int64_t sz, DType dtype = kFloat32);

}  // namespace soma::nn
