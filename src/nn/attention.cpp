#include "soma/nn/functional/attention.h"

#include "soma/creation.h"
#include "soma/indexing.h"
#include "soma/linalg.h"
#include "soma/math.h"
#include "soma/reduce.h"

namespace soma::nn::functional {

Tensor causal_mask(int64_t tq, int64_t tk) {
  SOMA_CHECK(tq >= 0 && tk >= tq, "causal_mask: need 0 <= Tq <= Tk, got Tq={} Tk={}", tq, tk);
  return tril(ones({tq, tk}, kBool), tk - tq);
}

Tensor scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v,
                                    const AttentionOptions& options) {
  SOMA_CHECK(q.dim() >= 2 && k.dim() >= 2 && v.dim() >= 2,
             "scaled_dot_product_attention: q, k, v need at least 2 dims [..., T, D], got {}, {}, {}",
             q.shape(), k.shape(), v.shape());
  SOMA_CHECK(q.size(-1) == k.size(-1) && k.size(-2) == v.size(-2),
             "scaled_dot_product_attention: q [..., Tq, D], k [..., Tk, D], v [..., Tk, Dv] expected, "
             "got {}, {}, {}", q.shape(), k.shape(), v.shape());
  const double scale = std::isnan(options.scale) ? 1.0 / std::sqrt(double(q.size(-1))) : options.scale;
  Tensor scores = q.matmul(k.transpose(-2, -1)) * scale;  // [..., Tq, Tk]
  Tensor keep;                                             // bool, true = may attend
  if (options.is_causal) keep = causal_mask(q.size(-2), k.size(-2));
  if (options.attn_mask.defined()) {
    if (options.attn_mask.dtype() == kBool)
      keep = keep.defined() ? logical_and(keep, options.attn_mask) : options.attn_mask;
    else
      scores = scores + options.attn_mask;
  }
  if (!keep.defined()) return scores.softmax(-1).matmul(v);
  // A row with every key masked would be all -inf (NaN after softmax): give it finite scores,
  // then zero its probabilities, so it attends to nothing and its gradient stays finite.
  Tensor no_key = ~keep.any({-1}, /*keepdim=*/true);
  scores = scores.masked_fill(~keep, -std::numeric_limits<double>::infinity()).masked_fill(no_key, 0.0);
  return scores.softmax(-1).masked_fill(no_key, 0.0).matmul(v);
}

}  // namespace soma::nn::functional
