#pragma once
// Loss functions, as in torch.nn.functional. Class-index targets are int64; an index out of
// range raises an Error naming the loss, the label and the class count.
#include "soma/tensor.h"

namespace soma::nn::functional {

// How per-element losses are combined. BatchMean (kl_div only): the sum divided by the batch size.
enum class Reduction { None, Mean, Sum, BatchMean };

struct CrossEntropyOptions {
  Tensor weight{};              // [C] class weights (undefined: all 1)
  int64_t ignore_index = -100;  // class-index targets equal to it contribute nothing
  Reduction reduction = Reduction::Mean;
  double label_smoothing = 0.0;  // in [0, 1]
};

// input: logits [N, C] or [N, C, d1, ...] (or [C]); target: class indices [N, d1, ...] (int64),
// or class probabilities shaped like input. log_softmax and the negative log likelihood in one
// fused pass, with a hand-written backward. "mean" over class indices divides by the summed
// weights of the non-ignored targets, as in PyTorch.
Tensor cross_entropy(const Tensor& input, const Tensor& target, const CrossEntropyOptions& options = {});

struct NLLLossOptions {
  Tensor weight{};
  int64_t ignore_index = -100;
  Reduction reduction = Reduction::Mean;
};
// input: log-probabilities [N, C, d1, ...] (or [C]); target: class indices [N, d1, ...].
Tensor nll_loss(const Tensor& input, const Tensor& target, const NLLLossOptions& options = {});

// -w (y log x + (1 - y) log(1 - x)) for probabilities x in [0, 1], each log clamped at -100.
Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, const Tensor& weight = {},
                            Reduction reduction = Reduction::Mean);
// binary_cross_entropy(sigmoid(x), y) computed stably from logits; pos_weight (broadcast along
// the last dim) weighs the positive term.
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target, const Tensor& weight = {},
                                        const Tensor& pos_weight = {}, Reduction reduction = Reduction::Mean);
Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean);
Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean);
// 0.5 d^2 / beta where |d| < beta, |d| - 0.5 beta elsewhere (beta = 0: l1_loss).
Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean,
                      double beta = 1.0);
// 0.5 d^2 where |d| <= delta, delta (|d| - 0.5 delta) elsewhere.
Tensor huber_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean,
                  double delta = 1.0);
// KL(target || input) pointwise: target (log target - input), input being log-probabilities
// and target probabilities (log-probabilities with log_target). Use BatchMean for the true KL
// divergence per sample.
Tensor kl_div(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean,
              bool log_target = false);
// x where y = 1, max(0, margin - x) where y = -1.
Tensor hinge_embedding_loss(const Tensor& input, const Tensor& target, double margin = 1.0,
                            Reduction reduction = Reduction::Mean);
// Multi-class hinge: per sample sum_{j != y} max(0, margin - x[y] + x[j])^p w[y] / C; input [N, C]
// or [C], target [N] or 0-d; p is 1 or 2.
Tensor multi_margin_loss(const Tensor& input, const Tensor& target, int p = 1, double margin = 1.0,
                         const Tensor& weight = {}, Reduction reduction = Reduction::Mean);
// max(0, -y (x1 - x2) + margin), y in {1, -1}.
Tensor margin_ranking_loss(const Tensor& input1, const Tensor& input2, const Tensor& target, double margin = 0.0,
                           Reduction reduction = Reduction::Mean);

// ---- embedding, ranking and likelihood losses ---------------------------------------------------

// 1 - cos(x1, x2) where y = 1, max(0, cos(x1, x2) - margin) where y = -1, 0 for other y; x1, x2
// [N, D] with y [N], or [D] with a 0-d y. cos = x1.x2 / sqrt((|x1|^2 + e)(|x2|^2 + e)) with
// e = 1e-12 (as a float), as in PyTorch (a zero vector gives cos 0).
Tensor cosine_embedding_loss(const Tensor& input1, const Tensor& input2, const Tensor& target, double margin = 0.0,
                             Reduction reduction = Reduction::Mean);
// max(0, margin + d(a, p) - d(a, n)) with d = pairwise_distance(., ., p, eps); swap uses
// min(d(a, n), d(p, n)) as the negative distance. anchor, positive, negative: [N, D] or [D].
Tensor triplet_margin_loss(const Tensor& anchor, const Tensor& positive, const Tensor& negative, double margin = 1.0,
                           double p = 2.0, double eps = 1e-6, bool swap = false, Reduction reduction = Reduction::Mean);
// log(1 + exp(-y x)) for targets y in {1, -1}, computed without overflow.
Tensor soft_margin_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean);
// input [N, C] or [C]; target int64 of the same shape holding class indices, ended by the first
// -1 (the rest is ignored; every entry must be in [-1, C)). Per sample
// sum_{j in targets} sum_{i not in targets} max(0, 1 - (x[j] - x[i])) / C.
Tensor multilabel_margin_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean);
// Poisson negative log likelihood: exp(x) - t x (log_input) or x - t log(x + eps); full adds the
// Stirling term t log t - t + 0.5 log(2 pi t) where t > 1.
Tensor poisson_nll_loss(const Tensor& input, const Tensor& target, bool log_input = true, bool full = false,
                        double eps = 1e-8, Reduction reduction = Reduction::Mean);
// 0.5 (log(max(var, eps)) + (input - target)^2 / max(var, eps)) (+ 0.5 log(2 pi) with full). var
// is shaped like input, or like input without its last dim, or with a last dim of 1 (one
// variance shared by the last dim); it must not be negative. The clamp does not stop the
// gradient (as in PyTorch).
Tensor gaussian_nll_loss(const Tensor& input, const Tensor& target, const Tensor& var, bool full = false,
                         double eps = 1e-6, Reduction reduction = Reduction::Mean);

}  // namespace soma::nn::functional
