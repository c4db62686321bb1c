// The CTC forward (alpha) and backward (beta, posterior) recursions of Graves et al. (2006),
// eqs. (6)-(16), written as PyTorch's CPU kernel writes them so that the values agree to the
// last bits: the same summation order and the same log-sum-exp with a max shift.
#include "kernels/cpu/ctc.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "kernels/cpu/parallel_for.h"

namespace soma::kernels {

namespace {

// One batch item's view of the problem.
struct CtcItem {
  const int64_t* labels;
  int64_t input_length, target_length, blank;
  // The class of state s of the extended target (blank, l1, blank, l2, ..., blank).
  int64_t state_class(int64_t s) const { return s % 2 == 0 ? blank : labels[s / 2]; }
  int64_t last_state() const { return 2 * target_length; }
};

CtcItem item(const CtcBatch& batch, int64_t b) {
  return {batch.labels + batch.offsets[b], batch.input_lengths[b], batch.target_lengths[b], batch.blank};
}

template <class T>
constexpr T kNegInf = -std::numeric_limits<T>::infinity();

// log(e^a + e^b + e^c) shifted by the largest (by 0 when all are -inf).
template <class T>
T log_sum_exp3(T a, T b, T c) {
  T m = std::max({a, b, c});
  if (m == kNegInf<T>) m = 0;
  return std::log(std::exp(a - m) + std::exp(b - m) + std::exp(c - m)) + m;
}

// acc = log(e^acc + e^v), starting from -inf (the empty sum).
template <class T>
void log_add_into(T& acc, T v) {
  if (acc == kNegInf<T>) {
    acc = v;
    return;
  }
  const T m = std::max(acc, v);
  acc = std::log(std::exp(acc - m) + std::exp(v - m)) + m;
}

// Item b's forward recursion into alpha [T, states]; returns its nll.
template <class T>
T forward_item(const CtcBatch& batch, int64_t b, const T* lp, T* alpha) {
  const CtcItem it = item(batch, b);
  const int64_t NC = batch.N * batch.C, S = batch.states, last = it.last_state();
  auto frame = [&](int64_t t) { return lp + t * NC + b * batch.C; };  // [C] log-probabilities of frame t
  std::fill(alpha, alpha + S, kNegInf<T>);
  alpha[0] = frame(0)[it.blank];
  if (it.target_length > 0) alpha[1] = frame(0)[it.state_class(1)];
  for (int64_t t = 1; t < it.input_length; ++t) {
    const T* prev = alpha + (t - 1) * S;
    T* cur = alpha + t * S;
    const T* f = frame(t);
    for (int64_t s = 0; s <= last; ++s) {
      const int64_t c = it.state_class(s);
      // Stay, advance by one, or skip a blank between two different labels.
      const T a1 = prev[s];
      const T a2 = s > 0 ? prev[s - 1] : kNegInf<T>;
      const T a3 = s > 1 && it.state_class(s - 2) != c ? prev[s - 2] : kNegInf<T>;
      cur[s] = log_sum_exp3(a1, a2, a3) + f[c];
    }
  }
  const T* end = alpha + (it.input_length - 1) * S;
  if (it.target_length == 0) return -end[0];
  // Alignments end in the last label or the blank after it.
  const T l1 = end[last], l2 = end[last - 1];
  T m = std::max(l1, l2);
  if (m == kNegInf<T>) m = 0;
  return -(std::log(std::exp(l1 - m) + std::exp(l2 - m)) + m);
}

// Item b's gradient into grad [T, N, C] (its column b); beta holds two rows of `states`.
template <class T>
void backward_item(const CtcBatch& batch, int64_t b, const T* lp, const T* alpha, T nll, T gnll, bool zero_infinity,
                   T* grad, T* beta) {
  const CtcItem it = item(batch, b);
  const int64_t NC = batch.N * batch.C, C = batch.C, S = batch.states, last = it.last_state();
  auto at = [&](auto* base, int64_t t) { return base + t * NC + b * C; };  // frame t of item b
  for (int64_t t = 0; t < batch.T; ++t) std::fill(at(grad, t), at(grad, t) + C, T(0));
  if (zero_infinity && nll == std::numeric_limits<T>::infinity()) return;

  const int64_t L = it.input_length;
  // grad[t][c] first collects log sum_{s: l'[s] = c} alpha[t][s] beta[t][s] (eq. 16).
  for (int64_t t = 0; t < L; ++t) std::fill(at(grad, t), at(grad, t) + C, kNegInf<T>);
  T* next = beta;      // beta of frame t + 1
  T* cur = beta + S;   // beta of frame t
  std::fill(cur, cur + S, kNegInf<T>);
  cur[last] = at(lp, L - 1)[it.blank];
  if (it.target_length > 0) cur[last - 1] = at(lp, L - 1)[it.state_class(last - 1)];
  for (int64_t t = L - 1;; --t) {
    const T* a = alpha + t * S;
    T* g = at(grad, t);
    for (int64_t s = last; s >= 0; --s) log_add_into(g[it.state_class(s)], a[s] + cur[s]);
    if (t == 0) break;
    std::swap(next, cur);
    const T* f = at(lp, t - 1);
    for (int64_t s = last; s >= 0; --s) {
      const int64_t c = it.state_class(s);
      const T b1 = next[s];
      const T b2 = s < last ? next[s + 1] : kNegInf<T>;
      const T b3 = s < last - 1 && it.state_class(s + 2) != c ? next[s + 2] : kNegInf<T>;
      cur[s] = log_sum_exp3(b1, b2, b3) + f[c];
    }
  }
  // d nll / d lp[t][c] as PyTorch: exp(lp) - exp(log(alpha beta) + nll - lp), times the incoming gradient.
  for (int64_t t = 0; t < L; ++t) {
    const T* f = at(lp, t);
    T* g = at(grad, t);
    for (int64_t c = 0; c < C; ++c) g[c] = (std::exp(f[c]) - std::exp(g[c] + nll - f[c])) * gnll;
  }
}

}  // namespace

template <class T>
void ctc_forward(const CtcBatch& batch, const T* log_probs, T* log_alpha, T* nll) {
  const int64_t per_item = batch.T * batch.states;
  parallel_for(batch.N, per_item * 8, [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b) nll[b] = forward_item(batch, b, log_probs, log_alpha + b * per_item);
  });
}

template <class T>
void ctc_backward(const CtcBatch& batch, const T* log_probs, const T* log_alpha, const T* nll, const T* grad_nll,
                  bool zero_infinity, T* grad) {
  const int64_t per_item = batch.T * batch.states;
  parallel_for(batch.N, per_item * 16, [&](int64_t begin, int64_t end) {
    std::vector<T> beta(2 * batch.states);  // once per thread, reused by its items
    for (int64_t b = begin; b < end; ++b)
      backward_item(batch, b, log_probs, log_alpha + b * per_item, nll[b], grad_nll[b], zero_infinity, grad,
                    beta.data());
  });
}

template void ctc_forward<float>(const CtcBatch&, const float*, float*, float*);
template void ctc_forward<double>(const CtcBatch&, const double*, double*, double*);
template void ctc_backward<float>(const CtcBatch&, const float*, const float*, const float*, const float*, bool,
                                  float*);
template void ctc_backward<double>(const CtcBatch&, const double*, const double*, const double*, const double*, bool,
                                   double*);

}  // namespace soma::kernels
