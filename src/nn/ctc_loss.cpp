// ctc_loss: argument checks, the kernel call (kernels/cpu/ctc.h) recorded as one graph node over
// the per-item negative log-likelihoods, then zero_infinity and the reduction as tensor ops.
#include "soma/nn/functional/ctc_loss.h"

#include <limits>
#include <vector>

#include "autograd/node.h"
#include "kernels/cpu/ctc.h"
#include "soma/creation.h"
#include "soma/grad_mode.h"
#include "soma/math.h"
#include "soma/reduce.h"

namespace soma::nn::functional {

namespace {

// Integer lengths [N] as a vector.
std::vector<int64_t> lengths(const Tensor& t, const char* what, int64_t N) {
  SOMA_CHECK(is_integral(t.dtype()), "ctc_loss: {} must be an integer tensor, got dtype {}", what,
             dtype_name(t.dtype()));
  SOMA_CHECK(t.dim() == 1 && t.size(0) == N, "ctc_loss: {} of shape {} must be [N] = [{}] (one per batch item)",
             what, t.shape(), N);
  return t.to(kInt64).contiguous().to_vector<int64_t>();
}

// The checked problem: every item's labels copied contiguously (padded rows keep their stride).
struct CtcArgs {
  std::vector<int64_t> labels, offsets, input_lengths, target_lengths;
  int64_t max_target_length = 0;
};

CtcArgs check_args(const Tensor& log_probs, const Tensor& targets, const Tensor& input_lengths,
                   const Tensor& target_lengths, int64_t blank) {
  const int64_t T = log_probs.size(0), N = log_probs.size(1), C = log_probs.size(2);
  SOMA_CHECK(blank >= 0 && blank < C, "ctc_loss: blank {} is out of range for {} classes (expected 0 <= blank < {})",
             blank, C, C);
  CtcArgs a;
  a.input_lengths = lengths(input_lengths, "input_lengths", N);
  a.target_lengths = lengths(target_lengths, "target_lengths", N);
  for (int64_t b = 0; b < N; ++b) {
    SOMA_CHECK(a.input_lengths[b] >= 1 && a.input_lengths[b] <= T,
               "ctc_loss: input_lengths[{}] = {} is out of range (expected 1 <= input length <= T = {})", b,
               a.input_lengths[b], T);
    SOMA_CHECK(a.target_lengths[b] >= 0, "ctc_loss: target_lengths[{}] = {} is negative", b, a.target_lengths[b]);
    a.max_target_length = std::max(a.max_target_length, a.target_lengths[b]);
  }
  SOMA_CHECK(is_integral(targets.dtype()), "ctc_loss: targets must be an integer tensor, got dtype {}",
             dtype_name(targets.dtype()));
  a.labels = targets.to(kInt64).contiguous().to_vector<int64_t>();
  a.offsets.resize(N);
  if (targets.dim() == 1) {  // concatenated
    int64_t total = 0;
    for (int64_t b = 0; b < N; ++b) a.offsets[b] = total, total += a.target_lengths[b];
    SOMA_CHECK(targets.size(0) == total,
               "ctc_loss: concatenated targets of shape {} must hold sum(target_lengths) = {} labels",
               targets.shape(), total);
  } else {
    SOMA_CHECK(targets.dim() == 2 && targets.size(0) == N && targets.size(1) >= a.max_target_length,
               "ctc_loss: padded targets of shape {} must be [N = {}, S] with S >= the longest target length {}",
               targets.shape(), N, a.max_target_length);
    for (int64_t b = 0; b < N; ++b) a.offsets[b] = b * targets.size(1);
  }
  for (int64_t b = 0; b < N; ++b)
    for (int64_t k = 0; k < a.target_lengths[b]; ++k) {
      const int64_t label = a.labels[a.offsets[b] + k];
      SOMA_CHECK(label >= 0 && label < C && label != blank,
                 "ctc_loss: target {} of batch item {} is label {} (expected 0 <= label < {}, and not the blank {})",
                 k, b, label, C, blank);
    }
  return a;
}

// The per-item negative log-likelihoods [N] of log_probs [T, N, C], with their graph node.
Tensor ctc_nll(const Tensor& log_probs, const CtcArgs& a, int64_t blank, bool zero_infinity) {
  const Tensor lp = log_probs.detach().contiguous();
  const int64_t T = lp.size(0), N = lp.size(1), C = lp.size(2), states = 2 * a.max_target_length + 1;
  const kernels::CtcBatch batch{a.labels.data(), a.offsets.data(), a.input_lengths.data(), a.target_lengths.data(),
                                T, N, C, blank, states};
  Tensor log_alpha = empty({N, T, states}, lp.dtype()), nll = empty({N}, lp.dtype());
  dispatch_float(lp.dtype(), [&]<class F>() {
    kernels::ctc_forward<F>(batch, lp.data<F>(), log_alpha.data<F>(), nll.data<F>());
  });
  if (!autograd::needs_grad(log_probs)) return nll;
  autograd::record(
      "ctc_loss", nll, {log_probs},
      [sx = autograd::SavedTensor(log_probs), log_alpha, saved_nll = nll.detach(), a, blank, zero_infinity](
          const Tensor& g, autograd::GradMask) -> TensorList {
        const Tensor lp = sx.get().detach().contiguous();
        const kernels::CtcBatch batch{a.labels.data(),         a.offsets.data(), a.input_lengths.data(),
                                      a.target_lengths.data(), lp.size(0),       lp.size(1),
                                      lp.size(2),              blank,            log_alpha.size(2)};
        const Tensor gc = g.detach().contiguous();
        Tensor dx = empty(lp.shape(), lp.dtype());
        dispatch_float(lp.dtype(), [&]<class F>() {
          kernels::ctc_backward<F>(batch, lp.data<F>(), log_alpha.data<F>(), saved_nll.data<F>(), gc.data<F>(),
                                   zero_infinity, dx.data<F>());
        });
        // Under create_graph the gradient gets a node that refuses to be differentiated.
        if (autograd::needs_grad(sx.get(), g))
          autograd::record("ctc_loss_backward", dx, {sx.get(), g}, [](const Tensor&, autograd::GradMask) -> TensorList {
            SOMA_FAIL("ctc_loss: double backward is not supported (as in PyTorch): the gradient of ctc_loss "
                      "cannot be differentiated again");
          });
        return {dx};
      });
  return nll;
}

}  // namespace

Tensor ctc_loss(const Tensor& log_probs, const Tensor& targets, const Tensor& input_lengths,
                const Tensor& target_lengths, int64_t blank, Reduction reduction, bool zero_infinity) {
  SOMA_CHECK(log_probs.dtype() == kFloat32 || log_probs.dtype() == kFloat64,
             "ctc_loss: expected float32 or float64 log_probs, got dtype {}", dtype_name(log_probs.dtype()));
  SOMA_CHECK(reduction != Reduction::BatchMean, "ctc_loss: reduction 'batchmean' is only for kl_div");
  if (log_probs.dim() == 2) {  // one sequence: [T, C], targets [S], 0-d lengths
    SOMA_CHECK(targets.dim() == 1 && input_lengths.dim() == 0 && target_lengths.dim() == 0,
               "ctc_loss: unbatched log_probs [T, C] need targets [S] and 0-d lengths, got targets {}, "
               "input_lengths {}, target_lengths {}",
               targets.shape(), input_lengths.shape(), target_lengths.shape());
    Tensor loss = ctc_loss(log_probs.unsqueeze(1), targets.unsqueeze(0), input_lengths.reshape({1}),
                           target_lengths.reshape({1}), blank, reduction, zero_infinity);
    return reduction == Reduction::None ? loss.squeeze(0) : loss;
  }
  SOMA_CHECK(log_probs.dim() == 3, "ctc_loss: expected log_probs [T, N, C] or [T, C], got shape {}",
             log_probs.shape());
  const CtcArgs args = check_args(log_probs, targets, input_lengths, target_lengths, blank);
  Tensor nll = ctc_nll(log_probs, args, blank, zero_infinity);
  if (zero_infinity) nll = where(eq(nll, std::numeric_limits<double>::infinity()), zeros({}, nll.dtype()), nll);
  switch (reduction) {
    case Reduction::None: return nll;
    case Reduction::Sum: return nll.sum();
    default: {
      // Each loss divided by its target length (at least 1), then the batch mean.
      Tensor divisor = clamp_min(from_vector(args.target_lengths, {log_probs.size(1)}).to(nll.dtype()), 1);
      return (nll / divisor).mean();
    }
  }
}

}  // namespace soma::nn::functional
