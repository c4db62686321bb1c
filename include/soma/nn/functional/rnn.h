#pragma once
// Recurrent layers in functional form: one direction of one RNN / LSTM / GRU layer over a
// sequence, and the single-step cells. Weights follow PyTorch's layout: w_ih [G*H, I],
// w_hh [G*H, H], b_ih and b_hh [G*H], gates stacked in the order i, f, g, o (LSTM) or r, z, n (GRU),
// with GRU's n = tanh(W_in x + b_in + r * (W_hn h + b_hn)).
#include "soma/tensor.h"

namespace soma::nn::functional {

enum class RNNCellType { kRNNTanh, kRNNRelu, kLSTM, kGRU };

struct RNNLayerWeights {
  Tensor w_ih, w_hh;
  Tensor b_ih, b_hh;  // both defined or both undefined (no bias)
  // LSTM with projections: w_hr [P, H] maps o * tanh(c) to the state h [B, P]; w_hh is then
  // [4H, P]. Undefined: no projections.
  Tensor w_hr = {};
};

struct RNNLayerOutput {
  Tensor output;  // [T, B, H] ([T, B, P] with projections); zero past each sequence's length
  Tensor h;       // [B, H] ([B, P]), the state after each sequence's last valid step
  Tensor c;       // [B, H], LSTM only
};

// input [T, B, I]; h0 (and c0 for LSTM) [B, H] or undefined (zeros); lengths: int64 [B] with
// values in [1, T], or undefined (every sequence has T steps). reverse walks the sequence
// backwards from each sequence's own last valid step (the second direction of a bidirectional
// layer). Float32/float64. The whole layer is one fused kernel and one autograd node; its
// backward is a hand-written backpropagation through time, and under create_graph the same
// gradient is built from differentiable ops, so it can be differentiated again. An LSTM with
// projections (weights.w_hr) is fused too: one more product per step, and dW_hr in backward.
RNNLayerOutput rnn_layer(RNNCellType type, const Tensor& input, const Tensor& h0, const Tensor& c0,
                         const RNNLayerWeights& weights, const Tensor& lengths = {}, bool reverse = false);

// The same layer composed step by step from primitive ops (linear, sigmoid, tanh, ...): the
// reference the fused layer is tested against.
RNNLayerOutput rnn_layer_composed(RNNCellType type, const Tensor& input, const Tensor& h0, const Tensor& c0,
                                  const RNNLayerWeights& weights, const Tensor& lengths = {}, bool reverse = false);

// Single steps: input [B, I], hx / cx [B, H] -> the new state [B, H] (one-step fused layers).
Tensor rnn_tanh_cell(const Tensor& input, const Tensor& hx, const RNNLayerWeights& weights);
Tensor rnn_relu_cell(const Tensor& input, const Tensor& hx, const RNNLayerWeights& weights);
std::pair<Tensor, Tensor> lstm_cell(const Tensor& input, const Tensor& hx, const Tensor& cx,
                                    const RNNLayerWeights& weights);
Tensor gru_cell(const Tensor& input, const Tensor& hx, const RNNLayerWeights& weights);

}  // namespace soma::nn::functional
