#pragma once
// Fused recurrent layers (no autograd): one direction of one RNN / LSTM / GRU layer over a whole
// sequence, forward and backward through time. T is float or double; all arrays contiguous.
//
// Forward: the input projection of all time steps is one GEMM ([T*B, I] x W_ihᵀ); each step is one
// product of the previous hidden state with W_hhᵀ ([B, H] x [H, G*H]) and a pointwise gate kernel
// that applies the nonlinearities, updates c and h, and keeps the gate activations for backward.
// Backward: per step (in reverse processing order) the pointwise gate backward and one product
// carrying dh back through W_hh; at the end three big GEMMs give dW_ih, dx and dW_hh (all steps at
// once). The per-step products use W_hh packed once per call (BLAS would repack it every step).
//
// Variable lengths: a batch row b takes part in time step t only when t < lengths[b]; outside,
// its state is carried unchanged and its output is zero (what PyTorch's packed sequences give).
// A reverse layer walks t = T-1 .. 0, so each row starts at its own last valid step.
//
// LSTM with projections (proj > 0): the state h has P = proj columns, h = W_hr (o * tanh(c)), one
// more product per step ([B, H] x W_hrᵀ) forward and one back; out, the h buffers, grad_out,
// grad_h and dh0 are then [.., P] wide, w_hh is [4H, P], and backward also writes dw_hr [P, H].
#include <cstdint>

namespace soma::kernels {

enum class RNNCellKind { kTanh, kRelu, kLSTM, kGRU };

// Gates per cell: 1 (RNN), 4 (LSTM: i, f, g, o), 3 (GRU: r, z, n).
int64_t rnn_gate_count(RNNCellKind kind);
// Width of the saved gate activations per batch row: G*H, and 4H for GRU (r, z, n and W_hn h + b_hn).
int64_t rnn_saved_width(RNNCellKind kind, int64_t H);

template <class T>
struct RNNLayerArgs {
  RNNCellKind kind;
  int64_t steps, batch, input_size, hidden;
  bool reverse = false;
  const T* x = nullptr;                          // [steps, batch, input_size]
  const T* w_ih = nullptr;                       // [G*H, input_size]
  const T* w_hh = nullptr;                       // [G*H, H]
  const T* b_ih = nullptr, *b_hh = nullptr;      // [G*H] each, or null (no bias)
  const int64_t* lengths = nullptr;              // [batch], each in [1, steps], or null (all full)
  int64_t proj = 0;                              // LSTM only: P > 0 for projections, else 0
  const T* w_hr = nullptr;                       // [P, H] with projections
};

// The width of the state h (and of the outputs): P with projections, else H.
template <class T>
int64_t rnn_state_width(const RNNLayerArgs<T>& a) { return a.proj > 0 ? a.proj : a.hidden; }

// States live in buffers of steps + 1 slots of [batch, H] ([batch, P] for h with projections): the initial state in slot 0 (forward)
// or slot `steps` (reverse), the state after time t in slot t + 1 (forward) or t (reverse), so the
// previous states of all time steps are one contiguous block (rnn_prev_states).
inline int64_t rnn_initial_slot(bool reverse, int64_t steps) { return reverse ? steps : 0; }
inline int64_t rnn_final_slot(bool reverse, int64_t steps) { return reverse ? 0 : steps; }
inline int64_t rnn_prev_states_slot(bool reverse) { return reverse ? 1 : 0; }

// Fills out [steps, batch, rnn_state_width], the state buffers hs (and cs for LSTM; else null) whose initial
// slot the caller has filled, and gates [steps, batch, rnn_saved_width].
template <class T>
void rnn_layer_forward(const RNNLayerArgs<T>& a, T* out, T* hs, T* cs, T* gates);

// From the gradients of out (null: zero), of the final h and c (null: zero) and what forward
// saved, writes dx [steps, batch, I], dh0 [batch, rnn_state_width] and dc0 [batch, H] (dc0 for
// LSTM only), dw_ih, dw_hh, with bias db_ih, db_hh, and with projections dw_hr. Every output
// pointer is required (the caller drops unneeded ones).
template <class T>
void rnn_layer_backward(const RNNLayerArgs<T>& a, const T* grad_out, const T* grad_h, const T* grad_c, const T* hs,
                        const T* cs, const T* gates, T* dx, T* dh0, T* dc0, T* dw_ih, T* dw_hh, T* db_ih, T* db_hh,
                        T* dw_hr = nullptr);

// The same forward and backward as plain single-threaded loops (textbook GEMMs, std:: math): the
// reference the fast path is tested against.
template <class T>
void rnn_layer_forward_reference(const RNNLayerArgs<T>& a, T* out, T* hs, T* cs, T* gates);
template <class T>
void rnn_layer_backward_reference(const RNNLayerArgs<T>& a, const T* grad_out, const T* grad_h, const T* grad_c,
                                  const T* hs, const T* cs, const T* gates, T* dx, T* dh0, T* dc0, T* dw_ih,
                                  T* dw_hh, T* db_ih, T* db_hh, T* dw_hr = nullptr);

}  // namespace soma::kernels
