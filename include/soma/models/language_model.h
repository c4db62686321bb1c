#pragma once
// A language model: token ids in, next-token logits out. GPT and the character RNN models
// implement it, so `soma train --data FILE`, evaluation and sampling work with any of them.
#include <cstdint>

#include "soma/nn/module.h"

namespace soma::models {

class LanguageModel : public nn::Module {
 public:
  using nn::Module::Module;
  // tokens [B, T] int64 -> logits [B, T, vocab]: position t scores the token at t + 1.
  virtual Tensor logits(const Tensor& tokens) = 0;
  virtual int64_t vocab_size() const = 0;
  // Longest input the model accepts; 0 means unbounded (recurrent models).
  virtual int64_t context_length() const { return 0; }
};

}  // namespace soma::models
