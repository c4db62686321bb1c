#include "soma/nn/transformer.h"

#include <limits>

#include "soma/creation.h"
#include "soma/grad_mode.h"
#include "soma/linalg.h"
#include "soma/math.h"
#include "soma/nn/functional/activation.h"
#include "soma/nn/init.h"

namespace soma::nn {

namespace {

void check_options(const char* op, int64_t d_model, int64_t nhead, const TransformerLayerOptions& o) {
  SOMA_CHECK(o.activation == "relu" || o.activation == "gelu", "{}: activation must be \"relu\" or \"gelu\", got \"{}\"",
             op, o.activation);
  SOMA_CHECK(o.dim_feedforward > 0, "{}: dim_feedforward must be positive, got {}", op, o.dim_feedforward);
  SOMA_CHECK(nhead > 0 && d_model > 0 && d_model % nhead == 0, "{}: d_model ({}) must be a positive multiple of nhead ({})",
             op, d_model, nhead);
}

MultiheadAttention make_attention(int64_t d_model, int64_t nhead, const TransformerLayerOptions& o) {
  return MultiheadAttention(d_model, nhead, {.dropout = o.dropout, .batch_first = o.batch_first, .dtype = o.dtype});
}

Tensor activate(const std::string& activation, const Tensor& x) {
  return activation == "gelu" ? functional::gelu(x) : functional::relu(x);
}

// Self-attention without weights: the fused kernel.
Tensor self_attention(MultiheadAttention& attn, const Tensor& x, const Tensor& mask, const Tensor& padding) {
  return attn(x, x, x, {.key_padding_mask = padding, .attn_mask = mask}).output;
}

}  // namespace

TransformerEncoderLayer::TransformerEncoderLayer(int64_t d_model, int64_t nhead, TransformerLayerOptions o)
    : Module("TransformerEncoderLayer"), norm_first(o.norm_first), activation(o.activation) {
  check_options("TransformerEncoderLayer", d_model, nhead, o);
  self_attn = register_module("self_attn", make_attention(d_model, nhead, o));
  linear1 = register_module("linear1", Linear(d_model, o.dim_feedforward, {.dtype = o.dtype}));
  dropout = register_module("dropout", Dropout(o.dropout));
  linear2 = register_module("linear2", Linear(o.dim_feedforward, d_model, {.dtype = o.dtype}));
  norm1 = register_module("norm1", LayerNorm({d_model}, {.eps = o.layer_norm_eps, .dtype = o.dtype}));
  norm2 = register_module("norm2", LayerNorm({d_model}, {.eps = o.layer_norm_eps, .dtype = o.dtype}));
  dropout1 = register_module("dropout1", Dropout(o.dropout));
  dropout2 = register_module("dropout2", Dropout(o.dropout));
}

Tensor TransformerEncoderLayer::forward(const Tensor& src, const Tensor& src_mask, const Tensor& src_key_padding_mask) {
  auto sa = [&](const Tensor& x) { return (*dropout1)(self_attention(*self_attn, x, src_mask, src_key_padding_mask)); };
  auto ff = [&](const Tensor& x) { return (*dropout2)((*linear2)((*dropout)(activate(activation, (*linear1)(x))))); };
  Tensor x = src;
  if (norm_first) {
    x = x + sa((*norm1)(x));
    return x + ff((*norm2)(x));
  }
  x = (*norm1)(x + sa(x));
  return (*norm2)(x + ff(x));
}

TransformerDecoderLayer::TransformerDecoderLayer(int64_t d_model, int64_t nhead, TransformerLayerOptions o)
    : Module("TransformerDecoderLayer"), norm_first(o.norm_first), activation(o.activation) {
  check_options("TransformerDecoderLayer", d_model, nhead, o);
  self_attn = register_module("self_attn", make_attention(d_model, nhead, o));
  multihead_attn = register_module("multihead_attn", make_attention(d_model, nhead, o));
  linear1 = register_module("linear1", Linear(d_model, o.dim_feedforward, {.dtype = o.dtype}));
  dropout = register_module("dropout", Dropout(o.dropout));
  linear2 = register_module("linear2", Linear(o.dim_feedforward, d_model, {.dtype = o.dtype}));
  norm1 = register_module("norm1", LayerNorm({d_model}, {.eps = o.layer_norm_eps, .dtype = o.dtype}));
  norm2 = register_module("norm2", LayerNorm({d_model}, {.eps = o.layer_norm_eps, .dtype = o.dtype}));
  norm3 = register_module("norm3", LayerNorm({d_model}, {.eps = o.layer_norm_eps, .dtype = o.dtype}));
  dropout1 = register_module("dropout1", Dropout(o.dropout));
  dropout2 = register_module("dropout2", Dropout(o.dropout));
  dropout3 = register_module("dropout3", Dropout(o.dropout));
}

Tensor TransformerDecoderLayer::forward(const Tensor& tgt, const Tensor& memory, const Tensor& tgt_mask,
                                        const Tensor& memory_mask, const Tensor& tgt_key_padding_mask,
                                        const Tensor& memory_key_padding_mask) {
  auto sa = [&](const Tensor& x) { return (*dropout1)(self_attention(*self_attn, x, tgt_mask, tgt_key_padding_mask)); };
  auto mha = [&](const Tensor& x) {
    return (*dropout2)(
        (*multihead_attn)(x, memory, memory, {.key_padding_mask = memory_key_padding_mask, .attn_mask = memory_mask}).output);
  };
  auto ff = [&](const Tensor& x) { return (*dropout3)((*linear2)((*dropout)(activate(activation, (*linear1)(x))))); };
  Tensor x = tgt;
  if (norm_first) {
    x = x + sa((*norm1)(x));
    x = x + mha((*norm2)(x));
    return x + ff((*norm3)(x));
  }
  x = (*norm1)(x + sa(x));
  x = (*norm2)(x + mha(x));
  return (*norm3)(x + ff(x));
}

TransformerEncoder::TransformerEncoder(int64_t d_model, int64_t nhead, int64_t num_layers, TransformerLayerOptions o,
                                       bool final_norm)
    : Module("TransformerEncoder") {
  SOMA_CHECK(num_layers >= 0, "TransformerEncoder: num_layers must be >= 0, got {}", num_layers);
  layers = register_module("layers", ModuleList());
  for (int64_t i = 0; i < num_layers; ++i) layers->push_back(TransformerEncoderLayer(d_model, nhead, o));
  if (final_norm) norm = register_module("norm", LayerNorm({d_model}, {.eps = o.layer_norm_eps, .dtype = o.dtype}));
}

Tensor TransformerEncoder::forward(const Tensor& src, const Tensor& mask, const Tensor& src_key_padding_mask) {
  Tensor x = src;
  for (const auto& layer : *layers) x = static_cast<TransformerEncoderLayer&>(*layer).forward(x, mask, src_key_padding_mask);
  return norm ? (*norm)(x) : x;
}

TransformerDecoder::TransformerDecoder(int64_t d_model, int64_t nhead, int64_t num_layers, TransformerLayerOptions o,
                                       bool final_norm)
    : Module("TransformerDecoder") {
  SOMA_CHECK(num_layers >= 0, "TransformerDecoder: num_layers must be >= 0, got {}", num_layers);
  layers = register_module("layers", ModuleList());
  for (int64_t i = 0; i < num_layers; ++i) layers->push_back(TransformerDecoderLayer(d_model, nhead, o));
  if (final_norm) norm = register_module("norm", LayerNorm({d_model}, {.eps = o.layer_norm_eps, .dtype = o.dtype}));
}

Tensor TransformerDecoder::forward(const Tensor& tgt, const Tensor& memory, const Tensor& tgt_mask,
                                   const Tensor& memory_mask, const Tensor& tgt_key_padding_mask,
                                   const Tensor& memory_key_padding_mask) {
  Tensor x = tgt;
  for (const auto& layer : *layers)
    x = static_cast<TransformerDecoderLayer&>(*layer).forward(x, memory, tgt_mask, memory_mask, tgt_key_padding_mask,
                                                              memory_key_padding_mask);
  return norm ? (*norm)(x) : x;
}

Transformer::Transformer(TransformerOptions o)
    : Module("Transformer"), d_model(o.d_model), nhead(o.nhead), batch_first(o.layer.batch_first) {
  encoder = register_module("encoder", TransformerEncoder(o.d_model, o.nhead, o.num_encoder_layers, o.layer, true));
  decoder = register_module("decoder", TransformerDecoder(o.d_model, o.nhead, o.num_decoder_layers, o.layer, true));
  NoGradGuard no_grad;
  for (Tensor p : parameters())
    if (p.dim() > 1) init::xavier_uniform_(p);
}

Tensor Transformer::forward(const Tensor& src, const Tensor& tgt, const Tensor& src_mask, const Tensor& tgt_mask,
                            const Tensor& memory_mask, const Tensor& src_key_padding_mask,
                            const Tensor& tgt_key_padding_mask, const Tensor& memory_key_padding_mask) {
  const int64_t batch_dim = batch_first ? 0 : 1;
  SOMA_CHECK(src.dim() == 3 && tgt.dim() == 3 && src.size(batch_dim) == tgt.size(batch_dim) && src.size(2) == d_model &&
                 tgt.size(2) == d_model,
             "Transformer: src {} and tgt {} must be 3-D with the same batch size and d_model={} features", src.shape(),
             tgt.shape(), d_model);
  Tensor memory = encoder->forward(src, src_mask, src_key_padding_mask);
  return decoder->forward(tgt, memory, tgt_mask, memory_mask, tgt_key_padding_mask, memory_key_padding_mask);
}

Tensor generate_square_subsequent_mask(int64_t sz, DType dtype) {
  SOMA_CHECK(sz >= 0, "generate_square_subsequent_mask: size must be >= 0, got {}", sz);
  return zeros({sz, sz}, dtype).masked_fill(triu(ones({sz, sz}, kBool), 1), -std::numeric_limits<double>::infinity());
}

}  // namespace soma::nn
