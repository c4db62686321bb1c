#pragma once
// Connectionist temporal classification loss (Graves et al. 2006), as torch.nn.functional.ctc_loss.
#include "soma/nn/functional/loss.h"
#include "soma/tensor.h"

namespace soma::nn::functional {

// The negative log likelihood of each target sequence summed over all its alignments with the
// input frames (blanks between and around labels, repeats merged), by the forward (alpha)
// recursion in log space; the backward is the alpha-beta posterior of each frame and class.
//
// log_probs: [T, N, C] log-probabilities (log_softmax over C), or [T, C] for one sequence.
// targets:   int64 (or int32) [N, S] padded (row b uses its first target_lengths[b] entries), or
//            1-D [sum(target_lengths)] concatenated; for one sequence [S]. Labels are in [0, C)
//            and never the blank.
// input_lengths, target_lengths: integer [N] (0-d for one sequence); 1 <= input_length <= T,
//            0 <= target_length <= S.
// Returns [N] losses for Reduction::None (0-d for one sequence), else their sum, or for Mean
// the mean over the batch of each loss divided by its target length (at least 1), as in
// PyTorch. A target no alignment fits (too few frames) has loss inf and a NaN gradient; with
// zero_infinity its loss and gradient are 0. The gradient w.r.t. log_probs[t, b, c] (t below the
// input length; 0 past it) is PyTorch's: exp(log_probs) - posterior(t, c). The exact derivative
// is -posterior; the exp term sums to 1 over c like the posterior, so log_softmax's backward
// cancels it and the gradient of the logits is exact. Feed normalized log_probs (as in PyTorch).
// Double backward is not supported (as in PyTorch): differentiating the gradient raises.
Tensor ctc_loss(const Tensor& log_probs, const Tensor& targets, const Tensor& input_lengths,
                const Tensor& target_lengths, int64_t blank = 0, Reduction reduction = Reduction::Mean,
                bool zero_infinity = false);

}  // namespace soma::nn::functional
