// Scaled dot-product attention: the fused kernel (kernels/cpu/attention.h) with a hand-written
// backward, and the same computation composed from differentiable ops, which serves double
// backward (create_graph), dropout, the half dtypes and an additive mask that requires grad.
#include "soma/nn/functional/attention.h"

#include <algorithm>
#include <numeric>
#include <vector>

#include "autograd/node.h"
#include "kernels/cpu/attention.h"
#include "soma/creation.h"
#include "soma/grad_mode.h"
#include "soma/indexing.h"
#include "soma/linalg.h"
#include "soma/math.h"
#include "soma/nn/functional/dropout.h"
#include "soma/reduce.h"

namespace soma::nn::functional {

using autograd::GradMask;
using autograd::SavedTensor;

Tensor causal_mask(int64_t tq, int64_t tk, CausalVariant variant) {
  const bool lower_right = variant == CausalVariant::LowerRight;
  SOMA_CHECK(tq >= 0 && tk >= 0, "causal_mask: need Tq >= 0 and Tk >= 0, got Tq={} Tk={}", tq, tk);
  SOMA_CHECK(!lower_right || tk >= tq, "causal_mask: CausalVariant::LowerRight needs Tq <= Tk, got Tq={} Tk={}", tq, tk);
  return tril(ones({tq, tk}, kBool), lower_right ? tk - tq : 0);
}

namespace {

constexpr const char* kOp = "scaled_dot_product_attention";

double resolve_scale(const Tensor& q, const AttentionOptions& o) {
  return std::isnan(o.scale) ? 1.0 / std::sqrt(double(q.size(-1))) : o.scale;
}

void check_inputs(const Tensor& q, const Tensor& k, const Tensor* v, const AttentionOptions& o) {
  SOMA_CHECK(q.dim() >= 2 && k.dim() >= 2 && (!v || v->dim() >= 2),
             "{}: q, k, v need at least 2 dims [..., T, D], got {}, {}, {}", kOp, q.shape(), k.shape(),
             v ? v->shape() : Shape{});
  SOMA_CHECK(q.size(-1) == k.size(-1) && (!v || k.size(-2) == v->size(-2)),
             "{}: q [..., Tq, D], k [..., Tk, D], v [..., Tk, Dv] expected, got {}, {}, {}", kOp, q.shape(),
             k.shape(), v ? v->shape() : Shape{});
  SOMA_CHECK(is_floating(q.dtype()) && q.dtype() == k.dtype() && (!v || v->dtype() == q.dtype()),
             "{}: q, k, v need one floating-point dtype, got {}, {}, {}", kOp, dtype_name(q.dtype()),
             dtype_name(k.dtype()), v ? dtype_name(v->dtype()) : "-");
  SOMA_CHECK(!o.is_causal || o.causal_variant != CausalVariant::LowerRight || q.size(-2) <= k.size(-2),
             "{}: is_causal with CausalVariant::LowerRight needs Tq <= Tk, got q {} and k {}", kOp, q.shape(),
             k.shape());
  SOMA_CHECK(o.dropout_p >= 0 && o.dropout_p < 1, "{}: dropout_p must be in [0, 1), got {}", kOp, o.dropout_p);
  const Tensor& m = o.attn_mask;
  if (!m.defined()) return;
  SOMA_CHECK(m.dtype() == kBool || is_floating(m.dtype()),
             "{}: attn_mask must be bool or floating point, got dtype {}", kOp, dtype_name(m.dtype()));
  const bool fits = m.dim() == 0 || ((m.size(-1) == 1 || m.size(-1) == k.size(-2)) &&
                                     (m.dim() < 2 || m.size(-2) == 1 || m.size(-2) == q.size(-2)));
  SOMA_CHECK(fits, "{}: attn_mask of shape {} does not broadcast to [..., Tq={}, Tk={}]", kOp, m.shape(), q.size(-2),
             k.size(-2));
}

// The leading (batch) dims of t, for broadcasting.
Shape lead(const Tensor& t) {
  Shape s = t.shape();
  s.resize(std::max<int64_t>(0, t.dim() - 2));
  return s;
}

Shape with_tail(Shape s, int64_t a, int64_t b) {
  s.push_back(a);
  s.push_back(b);
  return s;
}

// ---- the fused path -------------------------------------------------------------------------------

// The offset of each flattened batch entry of `view` (whose leading dims are `batch`).
std::vector<int64_t> batch_offsets(const Tensor& view, const Shape& batch) {
  const int64_t nb = batch.size(), count = batch.numel();
  std::vector<int64_t> offsets(count);
  for (int64_t i = 0; i < count; ++i) {
    int64_t off = 0, rest = i;
    for (int64_t d = nb - 1; d >= 0; --d) {
      off += (rest % batch[d]) * view.stride(d);
      rest /= batch[d];
    }
    offsets[i] = off;
  }
  return offsets;
}

// The mask expanded (as a view) to batch + [Tq, Tk], with the per-batch offsets the kernel reads.
template <class T>
struct KernelMask {
  Tensor view;
  std::vector<int64_t> offsets;
  kernels::AttentionMask<T> mask;

  KernelMask(const Tensor& attn_mask, const Shape& batch, int64_t tq, int64_t tk) {
    if (!attn_mask.defined()) return;
    const Tensor m = attn_mask.dtype() == kBool ? attn_mask : attn_mask.detach().to(dtype_v<T>);
    view = m.expand(with_tail(batch, tq, tk));
    offsets = batch_offsets(view, batch);
    mask.batch_offset = offsets.data();
    mask.stride_q = view.stride(-2);
    mask.stride_k = view.stride(-1);
    if (m.dtype() == kBool)
      mask.keep = view.data<bool>();
    else
      mask.bias = view.data<T>();
  }
};

// An operand of the kernel: t [..., rows, cols] expanded to batch + [rows, cols]. It is read in
// place when its rows are contiguous (as the heads split from a packed [B, T, 3 * H * D]
// projection are: [B, H, T, D] with strides [T * 3HD, D, 3HD, 1]), and copied otherwise.
template <class T>
struct KernelRows {
  Tensor view;
  std::vector<int64_t> offsets;

  KernelRows(const Tensor& t, const Shape& batch) {
    view = t.expand(with_tail(batch, t.size(-2), t.size(-1)));
    const bool rows_dense = view.stride(-1) == 1 && view.stride(-2) >= view.size(-1);
    if (!rows_dense && view.numel() > 0) view = view.contiguous();
    offsets = batch_offsets(view, batch);
  }
  template <class P = const T>
  kernels::Rows<P> rows() const {
    return {.data = const_cast<P*>(view.data<T>()), .batch_offset = offsets.data(), .batch_stride = 0,
            .row_stride = std::max<int64_t>(view.stride(-2), view.size(-1))};
  }
};

// An empty tensor of `shape` whose dims lie in memory in the order of ref's strides, the last
// dim innermost. The output and the gradients take the layout of q, k and v, so that heads split
// from a [B, T, H * D] tensor come back as a [B, T, H * D] tensor without a copy.
Tensor empty_in_layout_of(const Tensor& ref, const Shape& shape) {
  const int64_t n = shape.size();
  Dims order(n - 1);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return ref.stride(a) > ref.stride(b); });
  order.push_back(n - 1);
  Shape stored;
  Dims back(n);
  for (int64_t i = 0; i < n; ++i) {
    stored.push_back(shape[order[i]]);
    back[order[i]] = i;
  }
  return empty(stored, ref.dtype()).permute(back);
}

kernels::AttentionShape kernel_shape(const Shape& batch, const Tensor& q, const Tensor& k, const Tensor& v,
                                     double scale, const AttentionOptions& o) {
  const int64_t tq = q.size(-2), tk = k.size(-2);
  return {.batch = batch.numel(), .tq = tq, .tk = tk, .d = q.size(-1), .dv = v.size(-1), .scale = scale,
          .causal = o.is_causal, .causal_offset = o.causal_variant == CausalVariant::LowerRight ? tk - tq : 0};
}

// Gradients of q, k, v in differentiable ops (for create_graph): with P = attention_weights,
// dv = Pᵀ g, dS = P (g vᵀ - rowsum(P * g vᵀ)), dq = scale dS k, dk = scale dSᵀ q.
TensorList composed_backward(const Tensor& g, const Tensor& q, const Tensor& k, const Tensor& v,
                             const AttentionOptions& o, GradMask need) {
  const double scale = resolve_scale(q, o);
  Tensor p = attention_weights(q, k, o);
  Tensor dp = g.matmul(v.transpose(-2, -1));
  Tensor ds = p * (dp - (dp * p).sum({-1}, true));
  return {need[0] ? sum_to(ds.matmul(k) * scale, q.shape()) : Tensor(),
          need[1] ? sum_to(ds.transpose(-2, -1).matmul(q) * scale, k.shape()) : Tensor(),
          need[2] ? sum_to(p.transpose(-2, -1).matmul(g), v.shape()) : Tensor()};
}

Tensor fused_attention(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionOptions& o) {
  Shape batch = broadcast_shapes(broadcast_shapes(lead(q), lead(k), kOp), lead(v), kOp);
  if (o.attn_mask.defined()) batch = broadcast_shapes(batch, lead(o.attn_mask), kOp);
  const double scale = resolve_scale(q, o);
  const int64_t tq = q.size(-2), tk = k.size(-2);
  const kernels::AttentionShape shape = kernel_shape(batch, q, k, v, scale, o);
  Tensor out, lse = empty(with_tail(batch, tq, 1), q.dtype());
  dispatch_float(q.dtype(), [&]<class T>() {
    const KernelRows<T> qr(q, batch), kr(k, batch), vr(v, batch);
    out = empty_in_layout_of(qr.view, with_tail(batch, tq, v.size(-1)));
    const KernelRows<T> outr(out, batch);
    KernelMask<T> m(o.attn_mask, batch, tq, tk);
    kernels::attention_forward<T>(qr.rows(), kr.rows(), vr.rows(), m.mask, shape, outr.template rows<T>(),
                                  lse.data<T>());
  });
  if (!autograd::needs_grad(q, k, v)) return out;
  autograd::record(
      kOp, out, {q, k, v},
      [sq = SavedTensor(q), sk = SavedTensor(k), sv = SavedTensor(v), so = SavedTensor::output(out),
       sl = SavedTensor::output(lse), o, batch, shape](const Tensor& g, GradMask need) -> TensorList {
        const Tensor &q = sq.get(), &k = sk.get(), &v = sv.get();
        if (is_grad_enabled()) return composed_backward(g, q, k, v, o, need);
        Tensor dq, dk, dv;
        dispatch_float(q.dtype(), [&]<class T>() {
          const KernelRows<T> qr(q, batch), kr(k, batch), vr(v, batch), outr(so.get(), batch), gr(g, batch);
          dq = empty_in_layout_of(qr.view, qr.view.shape());
          dk = empty_in_layout_of(kr.view, kr.view.shape());
          dv = empty_in_layout_of(vr.view, vr.view.shape());
          const KernelRows<T> dqr(dq, batch), dkr(dk, batch), dvr(dv, batch);
          KernelMask<T> m(o.attn_mask, batch, shape.tq, shape.tk);
          kernels::attention_backward<T>(qr.rows(), kr.rows(), vr.rows(), outr.rows(), gr.rows(), sl.get().data<T>(),
                                         m.mask, shape, dqr.template rows<T>(), dkr.template rows<T>(),
                                         dvr.template rows<T>());
        });
        return {need[0] ? sum_to(dq, q.shape()) : Tensor(), need[1] ? sum_to(dk, k.shape()) : Tensor(),
                need[2] ? sum_to(dv, v.shape()) : Tensor()};
      });
  return out;
}

bool fusable(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionOptions& o) {
  const Tensor& m = o.attn_mask;
  return (q.dtype() == kFloat32 || q.dtype() == kFloat64) && o.dropout_p == 0 && q.size(-1) > 0 &&
         v.size(-1) > 0 && !(m.defined() && m.dtype() != kBool && autograd::needs_grad(m));
}

}  // namespace

Tensor attention_weights(const Tensor& q, const Tensor& k, const AttentionOptions& options) {
  check_inputs(q, k, nullptr, options);
  Tensor scores = q.matmul(k.transpose(-2, -1)) * resolve_scale(q, options);  // [..., Tq, Tk]
  Tensor keep;                                                                 // bool, true = may attend
  if (options.is_causal) keep = causal_mask(q.size(-2), k.size(-2), options.causal_variant);
  if (options.attn_mask.defined()) {
    if (options.attn_mask.dtype() == kBool)
      keep = keep.defined() ? logical_and(keep, options.attn_mask) : options.attn_mask;
    else
      scores = scores + options.attn_mask;
  }
  // An additive mask blocks with -inf: treat those keys as masked too, so that a row it blocks
  // entirely gives zeros as in the fused kernel (not NaN).
  if (options.attn_mask.defined() && options.attn_mask.dtype() != kBool) {
    Tensor finite = scores.detach() > -std::numeric_limits<double>::infinity();
    keep = keep.defined() ? logical_and(keep, finite) : finite;
  }
  Tensor p;
  if (!keep.defined()) {
    p = scores.softmax(-1);
  } else {
    // A row with every key masked would be all -inf (NaN after softmax): give it finite scores,
    // then zero its probabilities, so it attends to nothing and its gradient stays finite.
    Tensor no_key = ~keep.any({-1}, /*keepdim=*/true);
    scores = scores.masked_fill(~keep, -std::numeric_limits<double>::infinity()).masked_fill(no_key, 0.0);
    p = scores.softmax(-1).masked_fill(no_key, 0.0);
  }
  return options.dropout_p > 0 ? dropout(p, options.dropout_p, true, options.generator) : p;
}

Tensor scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v,
                                    const AttentionOptions& options) {
  check_inputs(q, k, &v, options);
  if (fusable(q, k, v, options)) return fused_attention(q, k, v, options);
  return attention_weights(q, k, options).matmul(v);
}

}  // namespace soma::nn::functional
