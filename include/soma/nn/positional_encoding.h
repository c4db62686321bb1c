#pragma once
// Positional encodings added to token embeddings [B, T, E] (or [T, B, E] when not batch_first).
#include "soma/nn/module.h"

namespace soma::nn {

struct PositionalEncodingOptions {
  int64_t max_len = 5000;
  bool batch_first = true;
  DType dtype = kFloat32;
};

// The fixed sinusoids of "Attention Is All You Need": pe[t, 2i] = sin(t / 10000^(2i/E)),
// pe[t, 2i+1] = cos(t / 10000^(2i/E)); a non-persistent buffer "pe" [max_len, E].
class SinusoidalPositionalEncoding : public Module {
 public:
  explicit SinusoidalPositionalEncoding(int64_t d_model, PositionalEncodingOptions options = {});
  Tensor forward(const Tensor& x) override;  // x + pe[:T]
  std::string extra_repr() const override;

  int64_t d_model, max_len;
  bool batch_first;
  Tensor pe;
};

// A learned position embedding: parameter "weight" [max_len, E], initialized N(0, 0.02) (as in GPT-2).
class LearnedPositionalEncoding : public Module {
 public:
  explicit LearnedPositionalEncoding(int64_t d_model, PositionalEncodingOptions options = {});
  Tensor forward(const Tensor& x) override;  // x + weight[:T]
  std::string extra_repr() const override;

  int64_t d_model, max_len;
  bool batch_first;
  Tensor weight;
};

}  // namespace soma::nn
