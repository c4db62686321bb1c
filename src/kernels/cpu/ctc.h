#pragma once
// The CTC loss recursions (no autograd), in log space as in PyTorch's CPU kernel. Batch items
// are independent and each is handled by one thread, so results do not depend on the thread
// count. T is float or double.
#include <cstdint>

namespace soma::kernels {

// One batch of CTC problems. log_probs is contiguous [T, N, C]. Item b's labels are
// labels[offsets[b] + k] for k < target_lengths[b] (validated: in [0, C), never the blank), and
// its frames t < input_lengths[b] (validated: 1 <= input_length <= T). An item's extended
// target l' (length 2 S + 1, S its target length) puts a blank around every label; state s of
// l' is the blank for even s, label (s - 1) / 2 for odd s.
struct CtcBatch {
  const int64_t* labels;
  const int64_t* offsets;         // [N]
  const int64_t* input_lengths;   // [N]
  const int64_t* target_lengths;  // [N]
  int64_t T, N, C, blank;
  int64_t states;  // 2 * max target length + 1: the last dim of log_alpha
};

// log_alpha [N, T, states]: log of the summed probability of the alignment prefixes of frames
// 0..t ending in state s (-inf where none; rows past the input length are left unset).
// nll [N]: minus the log-likelihood of each target (inf where no alignment fits).
template <class T>
void ctc_forward(const CtcBatch& batch, const T* log_probs, T* log_alpha, T* nll);

// grad [T, N, C] of the losses weighted by grad_nll [N]: for frames below the input length,
// grad_nll[b] (exp(lp) - sum_{s: l'[s] = c} exp(log_alpha + log_beta - lp + nll)), as PyTorch
// computes it (the exp(lp) term is cancelled by a log_softmax before log_probs); 0 past the
// input length, and 0 for the whole item when zero_infinity and its nll is inf.
template <class T>
void ctc_backward(const CtcBatch& batch, const T* log_probs, const T* log_alpha, const T* nll, const T* grad_nll,
                  bool zero_infinity, T* grad);

}  // namespace soma::kernels
