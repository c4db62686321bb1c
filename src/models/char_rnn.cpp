#include "soma/models/char_rnn.h"

namespace soma::models {

CharRNN::CharRNN(int64_t vocab_size, CharRNNOptions opts)
    : LanguageModel("CharRNN"), options(std::move(opts)), vocab_(vocab_size) {
  SOMA_CHECK(vocab_size > 0, "CharRNN: vocab_size must be positive, got {}", vocab_size);
  SOMA_CHECK(options.cell == "lstm" || options.cell == "gru", "CharRNN: cell must be \"lstm\" or \"gru\", got \"{}\"",
             options.cell);
  emb = register_module("emb", nn::Embedding(vocab_size, options.embedding_dim));
  const nn::RNNOptions rnn_options{.num_layers = options.num_layers, .batch_first = true, .dropout = options.dropout};
  if (options.cell == "lstm")
    rnn = register_module("rnn", nn::LSTM(options.embedding_dim, options.hidden_size, rnn_options));
  else
    rnn = register_module("rnn", nn::GRU(options.embedding_dim, options.hidden_size, rnn_options));
  head = register_module("head", nn::Linear(options.hidden_size, vocab_size));
}

Tensor CharRNN::logits(const Tensor& tokens) {
  nn::RNNState state;
  return step(tokens, state);
}

Tensor CharRNN::step(const Tensor& tokens, nn::RNNState& state) {
  SOMA_CHECK(tokens.dim() == 2, "CharRNN: expected tokens [B, T] of 2 dims, got shape {}", tokens.shape());
  nn::RNNResult r = rnn->forward(emb->forward(tokens), state);  // [B, T, E] -> [B, T, H]
  state = r.state;
  return head->forward(r.output);
}

std::string CharRNN::extra_repr() const {
  return fmt::format("vocab_size={}, cell={}, embedding_dim={}, hidden_size={}, num_layers={}", vocab_,
                     options.cell, options.embedding_dim, options.hidden_size, options.num_layers);
}

}  // namespace soma::models
