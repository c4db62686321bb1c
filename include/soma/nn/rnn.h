#pragma once
// Recurrent layers: RNN (tanh or relu), LSTM and GRU over whole sequences, and their one-step
// cells. Parameter names, shapes and gate order are PyTorch's (weight_ih_l0, weight_hh_l0_reverse,
// ...), so a PyTorch state_dict loads 1:1. All weights start U(-1/sqrt(H), 1/sqrt(H)).
#include <string>

#include "soma/nn/functional/rnn.h"
#include "soma/nn/module.h"

namespace soma::nn {

struct RNNOptions {
  int64_t num_layers = 1;
  bool bias = true;
  bool batch_first = false;     // input and output [B, T, *] instead of [T, B, *]
  double dropout = 0;           // on the outputs of every layer but the last, in training
  bool bidirectional = false;
  std::string nonlinearity = "tanh";  // RNN only: "tanh" or "relu"
  // LSTM only: > 0 adds projections h_t = W_hr (o_t * tanh(c_t)), weight_hr_l{k}[_reverse]
  // [proj_size, hidden_size]; h and the outputs then have proj_size columns. In [0, hidden_size).
  int64_t proj_size = 0;
  DType dtype = kFloat32;
};

// A recurrent state: h [layers * directions, B, H], and c of the same shape for LSTM (with
// proj_size, h is [layers * directions, B, proj_size]).
struct RNNState {
  Tensor h, c;
};

struct RNNResult {
  Tensor output;  // [T, B, directions * H] ([B, T, ...] with batch_first), H = proj_size if set; zero past each length
  RNNState state;  // final states, taken at each sequence's last valid step
};

// The shared machinery of RNN, LSTM and GRU.
class RNNBase : public Module {
 public:
  // input [T, B, I] (or [B, T, I]); state: undefined tensors mean zeros; lengths: int64 [B] in
  // [1, T] for a batch of padded sequences of different lengths (like a packed sequence).
  RNNResult forward(const Tensor& input, const RNNState& state, const Tensor& lengths = {});
  Tensor forward(const Tensor& input) override { return forward(input, RNNState{}).output; }
  std::string extra_repr() const override;
  void reset_parameters();

  // The weights of layer `layer`, direction `direction` (0 forward, 1 reverse).
  functional::RNNLayerWeights layer_weights(int64_t layer, int64_t direction) const;

  int64_t input_size, hidden_size;
  RNNOptions options;

 protected:
  RNNBase(std::string type_name, functional::RNNCellType type, int64_t input_size, int64_t hidden_size,
          RNNOptions options);

 private:
  functional::RNNCellType type_;
  std::vector<functional::RNNLayerWeights> weights_;  // [layer * directions + direction]
};

class RNN : public RNNBase {
 public:
  RNN(int64_t input_size, int64_t hidden_size, RNNOptions options = {});
};

class LSTM : public RNNBase {
 public:
  LSTM(int64_t input_size, int64_t hidden_size, RNNOptions options = {});
};

class GRU : public RNNBase {
 public:
  GRU(int64_t input_size, int64_t hidden_size, RNNOptions options = {});
};

struct RNNCellOptions {
  bool bias = true;
  std::string nonlinearity = "tanh";  // RNNCell only
  DType dtype = kFloat32;
};

// One step. Parameters weight_ih, weight_hh, bias_ih, bias_hh. An undefined state means zeros.
class RNNCellBase : public Module {
 public:
  std::string extra_repr() const override;
  void reset_parameters();
  functional::RNNLayerWeights weights() const { return {weight_ih, weight_hh, bias_ih, bias_hh}; }

  int64_t input_size, hidden_size;
  Tensor weight_ih, weight_hh, bias_ih, bias_hh;

 protected:
  RNNCellBase(std::string type_name, int64_t gates, int64_t input_size, int64_t hidden_size, RNNCellOptions options);
};

class RNNCell : public RNNCellBase {
 public:
  RNNCell(int64_t input_size, int64_t hidden_size, RNNCellOptions options = {});
  Tensor forward(const Tensor& input, const Tensor& hx);  // [B, I], [B, H] -> [B, H]
  Tensor forward(const Tensor& input) override { return forward(input, Tensor()); }
  std::string nonlinearity;
};

class LSTMCell : public RNNCellBase {
 public:
  LSTMCell(int64_t input_size, int64_t hidden_size, RNNCellOptions options = {});
  std::pair<Tensor, Tensor> forward(const Tensor& input, const Tensor& hx, const Tensor& cx);  // -> (h, c)
  Tensor forward(const Tensor& input) override { return forward(input, Tensor(), Tensor()).first; }
};

class GRUCell : public RNNCellBase {
 public:
  GRUCell(int64_t input_size, int64_t hidden_size, RNNCellOptions options = {});
  Tensor forward(const Tensor& input, const Tensor& hx);
  Tensor forward(const Tensor& input) override { return forward(input, Tensor()); }
};

}  // namespace soma::nn
