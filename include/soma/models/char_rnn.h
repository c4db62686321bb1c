#pragma once
// A character-level recurrent language model: Embedding(vocab, E) -> LSTM or GRU(E, H, layers)
// -> Linear(H, vocab), with a stateful step API for sampling.
#include <memory>
#include <string>

#include "soma/models/language_model.h"
#include "soma/nn/embedding.h"
#include "soma/nn/linear.h"
#include "soma/nn/rnn.h"

namespace soma::models {

struct CharRNNOptions {
  int64_t embedding_dim = 64;
  int64_t hidden_size = 256;
  int64_t num_layers = 1;
  std::string cell = "lstm";  // "lstm" or "gru"
  double dropout = 0;         // between recurrent layers, in training
};

// Parameters: emb.weight, rnn.weight_ih_l0 ..., head.weight, head.bias (the names of the
// equivalent PyTorch module with attributes emb, rnn, head).
class CharRNN : public LanguageModel {
 public:
  CharRNN(int64_t vocab_size, CharRNNOptions options = {});
  // tokens [B, T] int64 -> logits [B, T, vocab]; every sequence starts from a zero state.
  Tensor logits(const Tensor& tokens) override;
  Tensor forward(const Tensor& tokens) override { return logits(tokens); }
  // Continues from `state` (undefined tensors: zeros) over tokens [B, T], returns the logits
  // [B, T, vocab] and leaves the state after the last token in `state`: feed a prompt, then one
  // sampled token at a time.
  Tensor step(const Tensor& tokens, nn::RNNState& state);
  int64_t vocab_size() const override { return vocab_; }
  std::string extra_repr() const override;

  CharRNNOptions options;
  std::shared_ptr<nn::Embedding> emb;
  std::shared_ptr<nn::RNNBase> rnn;
  std::shared_ptr<nn::Linear> head;

 private:
  int64_t vocab_;
};

}  // namespace soma::models
