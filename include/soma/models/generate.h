#pragma once
// Autoregressive generation from a language model: batched, streaming, seeded.
//
//   models::GPT model(config);
//   Tensor out = models::generate(model, prompt /*[B, T0] int64*/,
//                                 {.max_new_tokens = 200, .temperature = 0.8, .top_k = 40, .seed = 7},
//                                 [](const Tensor& next) { /* [B] int64, as each step is sampled */ });
//
// Each step scores the next token from the last position's logits, transformed in this order
// (Hugging Face's order): repetition penalty, temperature, top-k, top-p; then it samples from
// the softmax with a Generator seeded by `seed` (one multinomial draw of [B] per step), or takes
// the argmax when temperature is 0. Same seed, same tokens.
//
// Context window. A model with a context length N (GPT: block_size) sees at most N tokens. A
// prompt longer than N is cropped to its last N tokens. When the window would grow past N, it
// restarts from the last N/2 tokens of the sequence (rounded up) and grows again from there.
// With the KV cache this costs one re-run of N/2 tokens every N/2 new tokens (the positions of
// the cached keys change, so the cache is rebuilt); always keeping the last N tokens instead
// would force a full re-run for every token. The naive path (use_cache = false) recomputes the
// same window every token, so both paths give the same tokens at any length. (nanoGPT and the
// PyTorch reference in bench/ keep exactly the last N tokens: past N their samples differ.)
#include <cstdint>
#include <functional>
#include <optional>

#include "soma/models/language_model.h"

namespace soma::models {

struct GenerationOptions {
  int64_t max_new_tokens = 100;      // memory grows with the tokens made, not with this bound
  double temperature = 1.0;          // 0: greedy (argmax); tiny ones (1e-300) approach greedy, never NaN
  int64_t top_k = 0;                 // keep the k highest-scoring tokens (ties kept); 0: all
  double top_p = 1.0;                // keep the smallest top set with probability >= top_p; 1: all
  double repetition_penalty = 1.0;   // CTRL: a token already in the row scores s / p if s > 0, else s * p
  std::optional<int64_t> stop_token{};  // a row ends after emitting it; later steps pad it with stop_token
  uint64_t seed = 0;
  bool use_cache = true;             // GPT only: run just the new token each step with a KVCache
};

// Called after each step with the tokens just chosen, [B] int64.
using TokenCallback = std::function<void(const Tensor& next)>;

// prompt [B, T0] int64 (T0 >= 1, ids < vocab_size) -> [B, T0 + n] with n <= max_new_tokens new
// tokens (fewer when every row has emitted stop_token). The returned prompt part is uncropped.
// Runs in evaluation mode without gradients and restores the model's mode afterwards.
Tensor generate(LanguageModel& model, const Tensor& prompt, const GenerationOptions& options = {},
                const TokenCallback& on_token = {});

// The next-token scores of one step, [B, V] float32, after the repetition penalty, temperature,
// top-k and top-p of `options` (removed tokens at -inf); `sequences` [B, L] holds each row's
// tokens so far (for the penalty). Greedy (temperature 0) applies only the penalty.
Tensor next_token_scores(const Tensor& logits, const Tensor& sequences, const GenerationOptions& options);

}  // namespace soma::models
