#pragma once
// An encoder-decoder Transformer for sequence-to-sequence tasks (translation-like), trained with
// teacher forcing, and its decoders: greedy search and beam search.
#include <functional>
#include <memory>

#include "soma/nn/embedding.h"
#include "soma/nn/linear.h"
#include "soma/nn/positional_encoding.h"
#include "soma/nn/transformer.h"

namespace soma::models {

// The special tokens a decoder needs.
struct SpecialTokens {
  int64_t pad_id = 0;
  int64_t bos_id = 1;  // starts every target
  int64_t eos_id = 2;  // ends it
};

struct Seq2SeqConfig {
  int64_t src_vocab_size = 0;
  int64_t tgt_vocab_size = 0;
  int64_t d_model = 128;
  int64_t nhead = 4;
  int64_t num_encoder_layers = 2;
  int64_t num_decoder_layers = 2;
  int64_t dim_feedforward = 256;
  double dropout = 0.1;
  int64_t max_len = 256;  // longest source or target
  SpecialTokens special = {};  // the same ids in source and target vocabularies
  DType dtype = kFloat32;
};

struct BeamSearchOptions {
  int64_t beam_width = 4;
  // A finished hypothesis scores sum(log p) / length^length_penalty, length counting the generated
  // tokens with EOS (Hugging Face's length_penalty): > 0 favours longer, < 0 shorter sequences.
  double length_penalty = 1.0;
  int64_t max_len = 64;  // generated tokens at most, EOS included
};

struct BeamSearchOutput {
  Tensor tokens;  // [B, L] int64: the best hypothesis per source, without BOS, padded after EOS
  Tensor scores;  // [B] float64: its length-penalized score
};

// log-probabilities of the next token [N, V] (float) for N prefixes [N, t] (int64, each starting
// with BOS). The decoders call it with N = batch * beams, row r extending a hypothesis of source r / beams.
using NextTokenLogProbs = std::function<Tensor(const Tensor& prefixes)>;

// Picks the most likely token at each step until every sequence has produced EOS or max_len tokens.
// Returns [B, L] int64 without BOS, padded with pad_id after EOS.
Tensor greedy_search(const NextTokenLogProbs& step, int64_t batch, const SpecialTokens& special, int64_t max_len);
// Keeps the beam_width best prefixes per source; stops a source once beam_width hypotheses have
// finished and no live prefix can still beat them (Hugging Face's rule without early_stopping);
// prefixes alive at max_len count as finished.
BeamSearchOutput beam_search(const NextTokenLogProbs& step, int64_t batch, const SpecialTokens& special,
                             const BeamSearchOptions& options = {});

// Token embeddings scaled by sqrt(d_model) plus sinusoidal positions (as in "Attention Is All You
// Need"), nn::Transformer (post-LN, ReLU, batch first) and a Linear projection to target logits.
class Seq2SeqTransformer : public nn::Module {
 public:
  explicit Seq2SeqTransformer(Seq2SeqConfig config);
  // src [B, S] int64 -> memory [B, S, E]. Source pad_id positions are masked as keys.
  Tensor encode(const Tensor& src);
  // tgt [B, T] (BOS first) with causal self-attention over memory [B, S, E] -> logits [B, T, V].
  Tensor decode(const Tensor& tgt, const Tensor& memory, const Tensor& src);
  // Teacher forcing: src [B, S], tgt_in [B, T] -> logits [B, T, V].
  Tensor forward(const Tensor& src, const Tensor& tgt_in);
  // tgt [B, T + 1] = BOS, tokens, EOS, then pad_id: the mean cross-entropy of predicting tgt[:, 1:]
  // from tgt[:, :-1], ignoring padding.
  Tensor loss(const Tensor& src, const Tensor& tgt);

  // Decoding in evaluation mode without gradients; outputs as greedy_search and beam_search.
  Tensor greedy_decode(const Tensor& src, int64_t max_len = 64);
  BeamSearchOutput beam_decode(const Tensor& src, const BeamSearchOptions& options = {});

  Seq2SeqConfig config;
  std::shared_ptr<nn::Embedding> src_embed, tgt_embed;
  std::shared_ptr<nn::SinusoidalPositionalEncoding> positions;
  std::shared_ptr<nn::Transformer> transformer;
  std::shared_ptr<nn::Linear> generator;  // d_model -> tgt_vocab_size

 private:
  // The decoder's step function for memory/src repeated `beams` times per source.
  NextTokenLogProbs stepper(const Tensor& src, int64_t beams);
};

}  // namespace soma::models
