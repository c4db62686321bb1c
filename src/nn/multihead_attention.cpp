#include <cmath>
#include <limits>

#include "soma/creation.h"
#include "soma/grad_mode.h"
#include "soma/linalg.h"
#include "soma/math.h"
#include "soma/nn/attention.h"
#include "soma/nn/functional.h"
#include "soma/nn/functional/attention.h"
#include "soma/nn/init.h"
#include "soma/reduce.h"
#include "soma/views.h"

namespace soma::nn {

namespace {

constexpr const char* kOp = "MultiheadAttention";

// A PyTorch-style mask (bool: true = blocked; floating: added) as an additive one.
Tensor as_bias(const Tensor& m, DType dtype) {
  if (m.dtype() != kBool) return m.to(dtype);
  return zeros(m.shape(), dtype).masked_fill(m, -std::numeric_limits<double>::infinity());
}

// attn_mask [L, S] or [B*H, L, S] and key_padding_mask [B, S], both in PyTorch's convention, as
// one scaled_dot_product_attention mask broadcastable to [B, H, L, S] (bool: true = may attend).
Tensor combine_masks(const Tensor& attn_mask, const Tensor& key_padding_mask, int64_t B, int64_t H, int64_t L,
                     int64_t S, DType dtype) {
  Tensor am, pm;
  if (attn_mask.defined()) {
    const bool ok = (attn_mask.dim() == 2 && attn_mask.shape() == Shape{L, S}) ||
                    (attn_mask.dim() == 3 && attn_mask.shape() == Shape{B * H, L, S});
    SOMA_CHECK(ok, "{}: attn_mask of shape {} expected [L, S] = [{}, {}] or [B * num_heads, L, S] = [{}, {}, {}]", kOp,
               attn_mask.shape(), L, S, B * H, L, S);
    am = attn_mask.dim() == 3 ? attn_mask.reshape({B, H, L, S}) : attn_mask;
  }
  if (key_padding_mask.defined()) {
    const bool ok = key_padding_mask.shape() == Shape{B, S};
    SOMA_CHECK(ok, "{}: key_padding_mask of shape {} expected [B, S] = [{}, {}]",
               kOp, key_padding_mask.shape(), B, S);
    pm = key_padding_mask.reshape({B, 1, 1, S});
  }
  for (const Tensor& m : {am, pm})
    SOMA_CHECK(!m.defined() || m.dtype() == kBool || is_floating(m.dtype()),
               "{}: masks must be bool or floating point, got dtype {}", kOp, dtype_name(m.dtype()));
  if (!am.defined() && !pm.defined()) return {};
  if (!am.defined() || !pm.defined()) {
    const Tensor& m = am.defined() ? am : pm;
    return m.dtype() == kBool ? ~m : m.to(dtype);
  }
  if (am.dtype() == kBool && pm.dtype() == kBool) return ~am & ~pm;
  return as_bias(am, dtype) + as_bias(pm, dtype);
}

// A mask over S keys extended to S + 1: one more column that blocks nothing (false / zero), as
// PyTorch pads its masks for bias_k and the zero key.
Tensor pad_key_column(const Tensor& mask) {
  if (!mask.defined()) return mask;
  Shape column = mask.shape();
  column.pop_back();
  column.push_back(1);
  return cat({mask, zeros(column, mask.dtype())}, -1);
}

// is_causal made explicit over the S given keys (key s > query l blocked, top-left), merged into
// attn_mask, so that keys appended after them stay visible.
Tensor with_causal(const Tensor& attn_mask, int64_t L, int64_t S) {
  const Tensor causal = triu(ones({L, S}, kBool), 1);  // true = may not attend
  if (!attn_mask.defined()) return causal;
  if (attn_mask.dtype() == kBool) return attn_mask | causal;
  return attn_mask.masked_fill(causal, -std::numeric_limits<double>::infinity());
}

}  // namespace

MultiheadAttention::MultiheadAttention(int64_t embed_dim, int64_t num_heads, MultiheadAttentionOptions options)
    : Module("MultiheadAttention"),
      embed_dim(embed_dim),
      num_heads(num_heads),
      head_dim(num_heads > 0 ? embed_dim / num_heads : 0),
      kdim(options.kdim ? options.kdim : embed_dim),
      vdim(options.vdim ? options.vdim : embed_dim),
      dropout(options.dropout),
      batch_first(options.batch_first),
      add_zero_attn(options.add_zero_attn),
      generator(options.generator) {
  SOMA_CHECK(embed_dim > 0 && num_heads > 0 && embed_dim % num_heads == 0,
             "{}: embed_dim ({}) must be a positive multiple of num_heads ({})", kOp, embed_dim, num_heads);
  SOMA_CHECK(options.dropout >= 0 && options.dropout < 1, "{}: dropout must be in [0, 1), got {}", kOp, options.dropout);
  const int64_t E = embed_dim;
  const DType dt = options.dtype;
  if (kdim == E && vdim == E) {
    in_proj_weight = register_parameter("in_proj_weight", empty({3 * E, E}, dt));
  } else {
    q_proj_weight = register_parameter("q_proj_weight", empty({E, E}, dt));
    k_proj_weight = register_parameter("k_proj_weight", empty({E, kdim}, dt));
    v_proj_weight = register_parameter("v_proj_weight", empty({E, vdim}, dt));
  }
  if (options.bias) in_proj_bias = register_parameter("in_proj_bias", empty({3 * E}, dt));
  if (options.add_bias_kv) {
    bias_k = register_parameter("bias_k", empty({1, 1, E}, dt));
    bias_v = register_parameter("bias_v", empty({1, 1, E}, dt));
  }
  out_proj = register_module("out_proj", Linear(E, E, {.bias = options.bias, .dtype = dt}));
  reset_parameters();
}

void MultiheadAttention::reset_parameters() {
  NoGradGuard no_grad;
  for (Tensor* w : {&in_proj_weight, &q_proj_weight, &k_proj_weight, &v_proj_weight})
    if (w->defined()) init::xavier_uniform_(*w);
  if (in_proj_bias.defined()) init::zeros_(in_proj_bias);
  for (Tensor* b : {&bias_k, &bias_v})
    if (b->defined()) init::xavier_normal_(*b);
  out_proj->reset_parameters();
  if (out_proj->bias.defined()) init::zeros_(out_proj->bias);
}

std::string MultiheadAttention::extra_repr() const {
  std::string s = fmt::format("embed_dim={}, num_heads={}, dropout={}, batch_first={}", embed_dim, num_heads,
                              dropout, batch_first);
  if (bias_k.defined()) s += ", add_bias_kv=true";
  if (add_zero_attn) s += ", add_zero_attn=true";
  return s;
}

MultiheadAttentionOutput MultiheadAttention::forward(const Tensor& query, const Tensor& key, const Tensor& value,
                                                     const MultiheadAttentionForwardOptions& o) {
  const bool batched = query.dim() == 3;
  SOMA_CHECK((query.dim() == 3 || query.dim() == 2) && key.dim() == query.dim() && value.dim() == query.dim(),
             "{}: query, key, value must all be 3-D (batched) or 2-D (unbatched), got {}, {}, {}", kOp, query.shape(),
             key.shape(), value.shape());
  SOMA_CHECK(query.size(-1) == embed_dim && key.size(-1) == kdim && value.size(-1) == vdim,
             "{}: expected feature sizes embed_dim={}, kdim={}, vdim={}, got query {}, key {}, value {}", kOp,
             embed_dim, kdim, vdim, query.shape(), key.shape(), value.shape());
  // To [B, L, E] (views).
  auto to_bf = [&](const Tensor& t) { return !batched ? t.unsqueeze(0) : batch_first ? t : t.transpose(0, 1); };
  const Tensor q_in = to_bf(query), k_in = to_bf(key), v_in = to_bf(value);
  const int64_t B = q_in.size(0), L = q_in.size(1), S = k_in.size(1), E = embed_dim, H = num_heads;
  SOMA_CHECK(k_in.size(0) == B && v_in.size(0) == B && v_in.size(1) == S,
             "{}: key {} and value {} must match query {} in batch size and each other in length", kOp, key.shape(),
             value.shape(), query.shape());

  // Projections; self-attention with the packed weight is one product.
  Tensor q, k, v;
  auto bias = [&](int i) { return in_proj_bias.defined() ? in_proj_bias.narrow(0, i * E, E) : Tensor(); };
  if (in_proj_weight.defined() && query.impl() == key.impl() && key.impl() == value.impl()) {
    Tensor qkv = functional::linear(q_in, in_proj_weight, in_proj_bias);  // [B, L, 3E]
    q = qkv.narrow(2, 0, E), k = qkv.narrow(2, E, E), v = qkv.narrow(2, 2 * E, E);
  } else {
    auto w = [&](int i, const Tensor& separate) { return separate.defined() ? separate : in_proj_weight.narrow(0, i * E, E); };
    q = functional::linear(q_in, w(0, q_proj_weight), bias(0));
    k = functional::linear(k_in, w(1, k_proj_weight), bias(1));
    v = functional::linear(v_in, w(2, v_proj_weight), bias(2));
  }
  Tensor kpm = o.key_padding_mask, attn_mask = o.attn_mask;
  if (!batched && kpm.defined() && kpm.dim() == 1) kpm = kpm.unsqueeze(0);
  // Check the masks against the given keys before keys are appended.
  Tensor mask = combine_masks(attn_mask, kpm, B, H, L, S, q.dtype());
  const bool appended_keys = bias_k.defined() || add_zero_attn;
  int64_t keys = S;
  if (appended_keys && o.is_causal) attn_mask = with_causal(attn_mask, L, S);
  if (bias_k.defined()) {  // one more key [B, 1, E], the same for every batch row
    k = cat({k, bias_k.expand({B, 1, E})}, 1), v = cat({v, bias_v.expand({B, 1, E})}, 1);
    attn_mask = pad_key_column(attn_mask), kpm = pad_key_column(kpm), ++keys;
  }
  auto heads = [&](const Tensor& t, int64_t T) { return t.reshape({B, T, H, head_dim}).transpose(1, 2); };  // [B, H, T, hd]
  q = heads(q, L), k = heads(k, keys), v = heads(v, keys);
  if (add_zero_attn) {  // a zero key and value per head: [B, H, 1, hd]
    const Tensor zero = zeros({B, H, 1, head_dim}, k.dtype());
    k = cat({k, zero}, 2), v = cat({v, zero}, 2);
    attn_mask = pad_key_column(attn_mask), kpm = pad_key_column(kpm), ++keys;
  }
  if (appended_keys) mask = combine_masks(attn_mask, kpm, B, H, L, keys, q.dtype());

  const functional::AttentionOptions ao{.attn_mask = mask,
                                        .is_causal = o.is_causal && !appended_keys,
                                        .dropout_p = is_training() ? dropout : 0.0,
                                        .generator = generator};
  MultiheadAttentionOutput result;
  Tensor out;  // [B, H, L, hd]
  if (o.need_weights) {
    Tensor w = functional::attention_weights(q, k, ao);  // [B, H, L, S], after dropout as in PyTorch
    out = w.matmul(v);
    result.weights = o.average_attn_weights ? w.mean({1}) : w;
    if (!batched) result.weights = result.weights.squeeze(0);
  } else {
    out = functional::scaled_dot_product_attention(q, k, v, ao);
  }
  out = (*out_proj)(out.transpose(1, 2).reshape({B, L, E}));
  result.output = !batched ? out.squeeze(0) : batch_first ? out : out.transpose(0, 1);
  return result;
}

}  // namespace soma::nn
