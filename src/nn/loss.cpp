// Losses. cross_entropy over class indices is one fused kernel pass (log-sum-exp and the picked
// logit per row) with a hand-written backward (softmax minus one-hot, weighted and smoothed);
// under create_graph that backward is written in tensor ops, so it differentiates again. The
// other losses are compositions of differentiable ops.
#include "soma/nn/loss.h"

#include <numbers>
#include <optional>
#include <vector>

#include "autograd/node.h"
#include "kernels/cpu/norm.h"
#include "soma/creation.h"
#include "soma/grad_mode.h"
#include "soma/indexing.h"
#include "soma/math.h"
#include "soma/nn/functional/activation.h"
#include "soma/nn/functional/distance.h"
#include "soma/reduce.h"
#include "soma/views.h"

namespace soma::nn::functional {

using autograd::GradMask;
using autograd::SavedTensor;

namespace {

Tensor reduce(const Tensor& loss, Reduction reduction, const char* name) {
  switch (reduction) {
    case Reduction::None: return loss;
    case Reduction::Mean: return loss.mean();
    case Reduction::Sum: return loss.sum();
    case Reduction::BatchMean: break;
  }
  SOMA_FAIL("{}: reduction 'batchmean' is only for kl_div", name);
}

void check_same_shape(const char* name, const Tensor& input, const Tensor& target) {
  SOMA_CHECK(input.shape() == target.shape(), "{}: input of shape {} and target of shape {} differ", name,
             input.shape(), target.shape());
  SOMA_CHECK(is_floating(input.dtype()), "{}: expected a floating-point input, got dtype {}", name,
             dtype_name(input.dtype()));
}

// Every target is in [0, C) or equal to ignore_index (when given).
void check_labels(const char* name, const Tensor& t, int64_t C, std::optional<int64_t> ignore_index = std::nullopt) {
  SOMA_CHECK(t.dtype() == kInt64, "{}: expected int64 class-index targets, got dtype {}", name, dtype_name(t.dtype()));
  const int64_t* p = t.data<int64_t>();
  for (int64_t i = 0, n = t.numel(); i < n; ++i)
    SOMA_CHECK((p[i] >= 0 && p[i] < C) || p[i] == ignore_index,
               "{}: target label {} is out of range for {} classes (expected 0 <= label < {})", name, p[i], C, C);
}

// Logits/log-probs [N, C, d...] (or [C]) and targets [N, d...] (or []) as rows [R, C] and
// labels [R] (contiguous).
std::pair<Tensor, Tensor> as_rows(const char* name, const Tensor& input, const Tensor& target) {
  SOMA_CHECK(is_floating(input.dtype()), "{}: expected a floating-point input, got dtype {}", name,
             dtype_name(input.dtype()));
  SOMA_CHECK(input.dim() >= 1, "{}: expected an input [N, C, ...] or [C], got a 0-d tensor", name);
  Shape expected;
  if (input.dim() >= 2) {
    expected = input.shape();
    expected.erase(1);
  }
  SOMA_CHECK(target.shape() == expected,
             "{}: target of shape {} does not match input of shape {} (expected target shape {})", name,
             target.shape(), input.shape(), expected);
  const int64_t C = input.dim() == 1 ? input.size(0) : input.size(1);
  Tensor rows = input.dim() == 1 ? input.view({1, C})
                : input.dim() == 2 ? input
                                   : movedim(input, 1, -1).reshape({-1, C});
  return {rows, target.reshape({-1}).contiguous()};
}

void check_class_weight(const char* name, const Tensor& w, int64_t C, DType dtype) {
  if (!w.defined()) return;
  SOMA_CHECK(w.dim() == 1 && w.size(0) == C, "{}: weight of shape {} does not match {} classes", name, w.shape(), C);
  SOMA_CHECK(w.dtype() == dtype, "{}: weight has dtype {}, expected the input's dtype {}", name, dtype_name(w.dtype()),
             dtype_name(dtype));
}

// The fused op: per-row losses alpha nll[r] + beta smooth[r] of logits x [R, C] (see norm.h).
Tensor cross_entropy_rows(const Tensor& x_in, const Tensor& t, const Tensor& w, int64_t ignore_index, double alpha,
                          double beta) {
  const Tensor x = x_in.contiguous();
  const int64_t R = x.size(0), C = x.size(1);
  const DType dt = x.dtype();
  Tensor nll = empty({R}, dt), lse = empty({R}, dt), smooth = beta != 0 ? empty({R}, dt) : Tensor();
  dispatch_float(dt, [&]<class T>() {
    kernels::cross_entropy_forward<T>(x.data<T>(), t.data<int64_t>(), w.defined() ? w.data<T>() : nullptr,
                                      lse.data<T>(), nll.data<T>(), smooth.defined() ? smooth.data<T>() : nullptr, R,
                                      C, ignore_index);
  });
  Tensor out = beta != 0 ? nll * alpha + smooth * beta : (alpha == 1 ? nll : nll * alpha);
  if (autograd::needs_grad(x)) {
    autograd::record(
        "cross_entropy", out, {x},
        [sx = SavedTensor(x), t, w, sl = SavedTensor::output(lse), ignore_index, alpha, beta](
            const Tensor& g, GradMask) -> TensorList {
          const Tensor& x = sx.get();
          const int64_t C = x.size(1);
          if (is_grad_enabled()) {  // create_graph: the same gradient in differentiable ops
            Tensor valid = ne(t, ignore_index);
            Tensor safe_t = where(valid, t, 0);
            Tensor onehot = one_hot(safe_t, C).to(x.dtype());
            Tensor wt = (w.defined() ? w.index_select(0, safe_t) : ones({t.numel()}, x.dtype())) * valid.to(x.dtype());
            Tensor p = soma::softmax(x, 1);
            Tensor dx = (g * wt * alpha).unsqueeze(1) * (p - onehot);
            if (beta != 0) {
              Tensor smooth = w.defined() ? p * w.sum() - w : p * static_cast<double>(C) - 1.0;
              dx = dx + (g * valid.to(x.dtype()) * beta).unsqueeze(1) * smooth;
            }
            return {dx};
          }
          const Tensor gc = g.contiguous();
          Tensor a = gc * alpha, b = beta != 0 ? gc * beta : Tensor();
          Tensor dx = empty(x.shape(), x.dtype());
          dispatch_float(x.dtype(), [&]<class T>() {
            kernels::cross_entropy_backward<T>(x.data<T>(), t.data<int64_t>(), w.defined() ? w.data<T>() : nullptr,
                                               sl.get().data<T>(), a.data<T>(), b.defined() ? b.data<T>() : nullptr,
                                               dx.data<T>(), x.size(0), C, ignore_index);
          });
          return {dx};
        });
  }
  return out;
}

}  // namespace

Tensor cross_entropy(const Tensor& input, const Tensor& target, const CrossEntropyOptions& o) {
  const double eps = o.label_smoothing;
  SOMA_CHECK(eps >= 0 && eps <= 1, "cross_entropy: label_smoothing must be in [0, 1], got {}", eps);
  SOMA_CHECK(o.reduction != Reduction::BatchMean, "cross_entropy: reduction 'batchmean' is only for kl_div");
  SOMA_CHECK(is_floating(input.dtype()), "cross_entropy: expected floating-point logits, got dtype {}",
             dtype_name(input.dtype()));
  SOMA_CHECK(input.dim() >= 1, "cross_entropy: expected logits [N, C, ...] or [C], got a 0-d tensor");
  const int64_t C = input.dim() == 1 ? input.size(0) : input.size(1);
  check_class_weight("cross_entropy", o.weight, C, input.dtype());

  if (is_floating(target.dtype())) {  // class probabilities
    SOMA_CHECK(target.shape() == input.shape(),
               "cross_entropy: probability targets of shape {} do not match logits of shape {}", target.shape(),
               input.shape());
    const int64_t cdim = input.dim() == 1 ? 0 : 1;
    Tensor q = eps > 0 ? target * (1 - eps) + eps / static_cast<double>(C) : target;
    Tensor logp = soma::log_softmax(input, cdim);
    if (o.weight.defined()) {
      Shape s(input.dim(), 1);
      s[cdim] = C;
      logp = logp * o.weight.view(s);
    }
    return reduce(-sum(logp * q, {cdim}), o.reduction, "cross_entropy");
  }

  auto [x, t] = as_rows("cross_entropy", is_half(input.dtype()) ? input.to(kFloat32) : input, target);
  check_labels("cross_entropy", t, C, o.ignore_index);
  const Tensor w = o.weight.defined() ? o.weight.to(x.dtype()).contiguous() : Tensor();
  double alpha = 1 - eps, beta = eps / static_cast<double>(C);
  if (o.reduction == Reduction::Mean) {
    // Both terms are divided by the summed weight of the non-ignored targets (as in PyTorch).
    double denom = 0;
    const int64_t* tp = t.data<int64_t>();
    std::vector<double> wv = w.defined() ? w.to(kFloat64).to_vector<double>() : std::vector<double>();
    for (int64_t i = 0; i < t.numel(); ++i)
      if (tp[i] != o.ignore_index) denom += w.defined() ? wv[tp[i]] : 1.0;
    alpha /= denom;
    beta /= denom;
  }
  Tensor rows = cross_entropy_rows(x, t, w, o.ignore_index, alpha, beta);
  Tensor loss = o.reduction == Reduction::None ? rows.view(target.shape()) : rows.sum();
  return is_half(input.dtype()) ? loss.to(input.dtype()) : loss;
}

Tensor nll_loss(const Tensor& input, const Tensor& target, const NLLLossOptions& o) {
  SOMA_CHECK(o.reduction != Reduction::BatchMean, "nll_loss: reduction 'batchmean' is only for kl_div");
  auto [x, t] = as_rows("nll_loss", input, target);
  const int64_t C = x.size(1);
  check_labels("nll_loss", t, C, o.ignore_index);
  check_class_weight("nll_loss", o.weight, C, input.dtype());
  Tensor valid = ne(t, o.ignore_index);
  Tensor safe_t = where(valid, t, 0);
  Tensor wt = (o.weight.defined() ? o.weight.index_select(0, safe_t) : ones({t.numel()}, x.dtype())) *
              valid.to(x.dtype());
  Tensor loss = -gather(x, 1, safe_t.unsqueeze(1)).squeeze(1) * wt;
  switch (o.reduction) {
    case Reduction::None: return loss.view(target.shape());
    case Reduction::Sum: return loss.sum();
    default: return loss.sum() / wt.sum();
  }
}

Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight, Reduction reduction) {
  check_same_shape("binary_cross_entropy", input, target);
  SOMA_CHECK(!any(logical_or(lt(input, 0), gt(input, 1))).item<bool>(),
             "binary_cross_entropy: all elements of input should be between 0 and 1");
  Tensor loss = -(target * clamp_min(log(input), -100) + (1.0 - target) * clamp_min(log(1.0 - input), -100));
  if (weight.defined()) loss = loss * weight;
  return reduce(loss, reduction, "binary_cross_entropy");
}

Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target, const Tensor& weight,
                                        const Tensor& pos_weight, Reduction reduction) {
  check_same_shape("binary_cross_entropy_with_logits", input, target);
  // log(1 + e^-x) = log1p(e^-|x|) + max(-x, 0), which never overflows; max(-x, 0) is written
  // (|x| - x) / 2 (exact) so that the gradient at x == 0 is sigmoid(0) - t, as PyTorch's.
  const Tensor a = soma::abs(input);
  Tensor softplus_neg = log1p(exp(-a)) + 0.5 * (a - input);
  Tensor loss = pos_weight.defined() ? (1.0 - target) * input + ((pos_weight - 1.0) * target + 1.0) * softplus_neg
                                     : (1.0 - target) * input + softplus_neg;
  if (weight.defined()) loss = loss * weight;
  return reduce(loss, reduction, "binary_cross_entropy_with_logits");
}

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  check_same_shape("mse_loss", input, target);
  Tensor d = input - target;
  return reduce(d * d, reduction, "mse_loss");
}

Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  check_same_shape("l1_loss", input, target);
  return reduce(soma::abs(input - target), reduction, "l1_loss");
}

Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, Reduction reduction, double beta) {
  check_same_shape("smooth_l1_loss", input, target);
  SOMA_CHECK(beta >= 0, "smooth_l1_loss: beta must be non-negative, got {}", beta);
  if (beta == 0) return l1_loss(input, target, reduction);
  Tensor d = input - target, ad = soma::abs(d);
  return reduce(where(lt(ad, beta), d * d * (0.5 / beta), ad - 0.5 * beta), reduction, "smooth_l1_loss");
}

Tensor huber_loss(const Tensor& input, const Tensor& target, Reduction reduction, double delta) {
  check_same_shape("huber_loss", input, target);
  SOMA_CHECK(delta > 0, "huber_loss: delta must be positive, got {}", delta);
  Tensor d = input - target, ad = soma::abs(d);
  return reduce(where(le(ad, delta), d * d * 0.5, (ad - 0.5 * delta) * delta), reduction, "huber_loss");
}

Tensor kl_div(const Tensor& input, const Tensor& target, Reduction reduction, bool log_target) {
  check_same_shape("kl_div", input, target);
  // target log target is 0 where target is 0 (the limit), without a 0 * -inf.
  Tensor loss = log_target ? exp(target) * (target - input) : target * (log(where(gt(target, 0), target, 1.0)) - input);
  if (reduction == Reduction::BatchMean)
    return input.dim() == 0 ? loss.sum() : loss.sum() / static_cast<double>(input.size(0));
  return reduce(loss, reduction, "kl_div");
}

Tensor hinge_embedding_loss(const Tensor& input, const Tensor& target, double margin, Reduction reduction) {
  check_same_shape("hinge_embedding_loss", input, target);
  Tensor zero = zeros({}, input.dtype());
  Tensor loss = where(ne(target, 1), clamp_min(margin - input, 0), zero) + where(ne(target, -1), input, zero);
  return reduce(loss, reduction, "hinge_embedding_loss");
}

Tensor multi_margin_loss(const Tensor& input, const Tensor& target, int p, double margin, const Tensor& weight,
                         Reduction reduction) {
  SOMA_CHECK(p == 1 || p == 2, "multi_margin_loss: p must be 1 or 2, got {}", p);
  SOMA_CHECK(input.dim() == 1 || input.dim() == 2, "multi_margin_loss: expected an input [N, C] or [C], got shape {}",
             input.shape());
  auto [x, t] = as_rows("multi_margin_loss", input, target);
  const int64_t C = x.size(1);
  check_labels("multi_margin_loss", t, C);
  check_class_weight("multi_margin_loss", weight, C, input.dtype());
  // relu, not clamp: PyTorch counts only terms > 0, so a term exactly 0 gets no gradient.
  Tensor m = soma::relu(x - gather(x, 1, t.unsqueeze(1)) + margin);
  if (p == 2) m = m * m;
  if (weight.defined()) m = m * weight.index_select(0, t).unsqueeze(1);
  Tensor loss = sum(m * (1.0 - one_hot(t, C).to(x.dtype())), {1}) / static_cast<double>(C);
  return reduce(input.dim() == 1 ? loss.view({}) : loss, reduction, "multi_margin_loss");
}

Tensor margin_ranking_loss(const Tensor& input1, const Tensor& input2, const Tensor& target, double margin,
                           Reduction reduction) {
  check_same_shape("margin_ranking_loss", input1, input2);
  check_same_shape("margin_ranking_loss", input1, target);
  return reduce(clamp_min(-target * (input1 - input2) + margin, 0), reduction, "margin_ranking_loss");
}

// ---- embedding, ranking and likelihood losses ---------------------------------------------------

namespace {

void check_floating(const char* name, const Tensor& t, const char* what) {
  SOMA_CHECK(is_floating(t.dtype()), "{}: expected a floating-point {}, got dtype {}", name, what,
             dtype_name(t.dtype()));
}

// shape[:-1] (empty for a 0-d shape).
Shape drop_last(const Shape& shape) {
  Shape s = shape;
  if (!s.empty()) s.pop_back();
  return s;
}

// max(v, eps) whose gradient passes to v unchanged (PyTorch clamps var in place under no_grad).
Tensor clamp_min_straight_through(const Tensor& v, double eps) {
  Tensor out = clamp_min(v.detach(), eps);
  if (autograd::needs_grad(v))
    autograd::record("gaussian_nll_loss_clamp", out, {v}, [](const Tensor& g, GradMask) -> TensorList { return {g}; });
  return out;
}

// Multilabel targets [R, C] (each row's labels until its first -1) as masks: labels [R, C]
// (the k-th label, 0 past the end), listed [R, C] (k is before the end) and is_label [R, C].
struct MultilabelMasks {
  Tensor labels, listed, is_label;
};

MultilabelMasks multilabel_masks(const Tensor& target, int64_t R, int64_t C) {
  const std::vector<int64_t> t = target.contiguous().to_vector<int64_t>();
  std::vector<int64_t> labels(R * C, 0);
  std::vector<uint8_t> listed(R * C, 0), is_label(R * C, 0);
  for (int64_t r = 0; r < R; ++r) {
    bool ended = false;
    for (int64_t k = 0; k < C; ++k) {
      const int64_t v = t[r * C + k];
      SOMA_CHECK(v >= -1 && v < C,
                 "multilabel_margin_loss: target {} is out of range for {} classes (expected -1 <= target < {}, "
                 "-1 ending the labels)",
                 v, C, C);
      ended = ended || v < 0;
      if (ended) continue;
      labels[r * C + k] = v;
      listed[r * C + k] = 1;
      is_label[r * C + v] = 1;
    }
  }
  const Shape shape{R, C};
  return {from_vector(labels, shape), from_vector(listed, shape).to(kBool), from_vector(is_label, shape).to(kBool)};
}

}  // namespace

Tensor cosine_embedding_loss(const Tensor& input1, const Tensor& input2, const Tensor& target, double margin,
                             Reduction reduction) {
  const char* name = "cosine_embedding_loss";
  SOMA_CHECK(target.dim() <= 1, "{}: expected a 0-d or 1-D target, got shape {}", name, target.shape());
  SOMA_CHECK(input1.dim() == target.dim() + 1 && input2.dim() == target.dim() + 1,
             "{}: a target of shape {} expects inputs of {} dims, got shapes {} and {}", name, target.shape(),
             target.dim() + 1, input1.shape(), input2.shape());
  check_floating(name, input1, "input1");
  check_floating(name, input2, "input2");
  // Added to the squared norms; PyTorch's constant is the float 1e-12f (9.99999996e-13), which
  // shows in the gradient at a zero vector.
  constexpr double kEps = static_cast<double>(1e-12f);
  const Dims feature{target.dim()};
  Tensor dot = sum(input1 * input2, feature);
  Tensor denom = sqrt((sum(input1 * input1, feature) + kEps) * (sum(input2 * input2, feature) + kEps));
  Tensor cos = dot / denom;
  Tensor zero = zeros({}, cos.dtype());
  Tensor loss = where(eq(target, 1), 1.0 - cos, zero) + where(eq(target, -1), clamp_min(cos - margin, 0), zero);
  return reduce(loss, reduction, name);
}

Tensor triplet_margin_loss(const Tensor& anchor, const Tensor& positive, const Tensor& negative, double margin,
                           double p, double eps, bool swap, Reduction reduction) {
  const char* name = "triplet_margin_loss";
  SOMA_CHECK(anchor.dim() == positive.dim() && positive.dim() == negative.dim(),
             "{}: all inputs should have the same number of dims, got shapes {}, {} and {}", name, anchor.shape(),
             positive.shape(), negative.shape());
  SOMA_CHECK(p > 0, "{}: p must be positive (or inf), got {}", name, p);
  Tensor d_pos = pairwise_distance(anchor, positive, p, eps);
  Tensor d_neg = pairwise_distance(anchor, negative, p, eps);
  if (swap) d_neg = minimum(d_neg, pairwise_distance(positive, negative, p, eps));
  return reduce(clamp_min(d_pos + margin - d_neg, 0), reduction, name);
}

Tensor soft_margin_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  check_floating("soft_margin_loss", input, "input");
  // softplus is log1p(exp(z)) without the overflow of exp(z) (it is z itself above 20, where
  // the two agree to 1e-9 relative); its gradient is sigmoid(z), also at z = 0.
  return reduce(softplus(-input * target), reduction, "soft_margin_loss");
}

Tensor multilabel_margin_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  const char* name = "multilabel_margin_loss";
  check_floating(name, input, "input");
  SOMA_CHECK(input.dim() <= 2, "{}: expected an input [N, C] or [C], got shape {}", name, input.shape());
  SOMA_CHECK(target.dtype() == kInt64, "{}: expected int64 targets, got dtype {}", name, dtype_name(target.dtype()));
  SOMA_CHECK(target.shape() == input.shape(), "{}: target of shape {} does not match input of shape {}", name,
             target.shape(), input.shape());
  const int64_t C = input.dim() == 0 ? 1 : input.size(-1), R = input.dim() == 2 ? input.size(0) : 1;
  const Tensor x = input.reshape({R, C});
  const MultilabelMasks m = multilabel_masks(target, R, C);
  // z[r, k, i] = 1 - x[r, label k] + x[r, i], counted for listed labels k and non-labels i where
  // z > 0 (the gradient is 0 at z = 0, as in PyTorch).
  Tensor z = 1.0 - gather(x, 1, m.labels).unsqueeze(2) + x.unsqueeze(1);
  Tensor counted = logical_and(logical_and(m.listed.unsqueeze(2), logical_not(m.is_label).unsqueeze(1)), gt(z, 0));
  Tensor loss = sum(where(counted, z, 0.0), {1, 2}) / static_cast<double>(C);
  return reduce(input.dim() <= 1 ? loss.view({}) : loss, reduction, name);
}

Tensor poisson_nll_loss(const Tensor& input, const Tensor& target, bool log_input, bool full, double eps,
                        Reduction reduction) {
  check_floating("poisson_nll_loss", input, "input");
  Tensor loss = log_input ? exp(input) - target * input : input - target * log(input + eps);
  if (full) {
    // Stirling's approximation of log(target!), only where target > 1 (it is 0 at 0 and 1).
    Tensor stirling = target * log(target) - target + 0.5 * log(target * (2 * std::numbers::pi));
    loss = loss + where(le(target, 1), zeros({}, stirling.dtype()), stirling);
  }
  return reduce(loss, reduction, "poisson_nll_loss");
}

Tensor gaussian_nll_loss(const Tensor& input, const Tensor& target, const Tensor& var, bool full, double eps,
                         Reduction reduction) {
  const char* name = "gaussian_nll_loss";
  check_floating(name, input, "input");
  check_floating(name, var, "var");
  Tensor v = var;
  if (var.shape() != input.shape()) {
    // One variance per row (homoscedastic): var is input's shape without, or with 1 as, the last dim.
    const Shape lead = drop_last(input.shape());
    if (var.shape() == lead)
      v = var.unsqueeze(-1);
    else
      SOMA_CHECK(var.dim() >= 1 && drop_last(var.shape()) == lead && var.size(-1) == 1,
                 "{}: var of shape {} does not fit input of shape {} (expected {}, {} or {} with a last dim of 1)",
                 name, var.shape(), input.shape(), input.shape(), lead, lead);
  }
  SOMA_CHECK(!any(lt(var, 0)).item<bool>(), "{}: var has negative entries (expected var >= 0)", name);
  v = clamp_min_straight_through(v, eps);
  Tensor d = input - target;
  Tensor loss = (log(v) + d * d / v) * 0.5;
  if (full) loss = loss + 0.5 * std::log(2 * std::numbers::pi);
  return reduce(loss, reduction, name);
}

}  // namespace soma::nn::functional
