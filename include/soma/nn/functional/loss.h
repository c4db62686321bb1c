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

}  // namespace soma::nn::functional
