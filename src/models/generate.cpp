#include "soma/models/generate.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "soma/creation.h"
#include "soma/grad_mode.h"
#include "soma/models/gpt.h"
#include "soma/random.h"
#include "soma/reduce.h"

namespace soma::models {

namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

void check_options(const GenerationOptions& o, int64_t vocab) {
  SOMA_CHECK(o.max_new_tokens >= 0, "generate: max_new_tokens must be >= 0, got {}", o.max_new_tokens);
  SOMA_CHECK(o.temperature >= 0 && std::isfinite(o.temperature), "generate: temperature must be >= 0, got {}",
             o.temperature);
  SOMA_CHECK(o.top_k >= 0, "generate: top_k must be >= 0 (0 = off), got {}", o.top_k);
  SOMA_CHECK(o.top_p > 0 && o.top_p <= 1, "generate: top_p must be in (0, 1], got {}", o.top_p);
  SOMA_CHECK(o.repetition_penalty > 0 && std::isfinite(o.repetition_penalty),
             "generate: repetition_penalty must be > 0 and finite, got {}", o.repetition_penalty);
  if (o.stop_token)
    SOMA_CHECK(*o.stop_token >= 0 && *o.stop_token < vocab, "generate: stop_token {} is out of range for vocabulary {}",
               *o.stop_token, vocab);
}

// row / t. A temperature so small that a score would overflow float (t = 1e-300) divides the
// scores minus the row's highest instead: the same softmax, now finite, with all its mass on the
// best tokens (greedy in the limit) instead of inf - inf = NaN.
void divide_by_temperature(float* row, int64_t V, double t) {
  double top = -std::numeric_limits<double>::infinity(), largest = 0;  // over the finite scores
  for (int64_t v = 0; v < V; ++v)
    if (std::isfinite(row[v])) top = std::max<double>(top, row[v]), largest = std::max<double>(largest, std::abs(row[v]));
  const double shift = largest / t > std::numeric_limits<float>::max() ? top : 0.0;
  for (int64_t v = 0; v < V; ++v) {
    const double scaled = (row[v] - shift) / t;  // <= 0 when shifted; below float's range: -inf
    row[v] = scaled < std::numeric_limits<float>::lowest() ? kNegInf : static_cast<float>(scaled);
  }
}

// Keeps the k highest scores of a row (and any tied with the k-th), the rest to -inf.
void top_k_row(float* row, int64_t V, int64_t k) {
  if (k <= 0 || k >= V) return;
  std::vector<float> sorted(row, row + V);
  std::nth_element(sorted.begin(), sorted.begin() + (k - 1), sorted.end(), std::greater<float>());
  const float kth = sorted[k - 1];
  for (int64_t v = 0; v < V; ++v)
    if (row[v] < kth) row[v] = kNegInf;
}

// Keeps the highest-probability tokens until their total reaches p (always at least one).
void top_p_row(float* row, int64_t V, double p) {
  if (p >= 1) return;
  std::vector<int64_t> order(V);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return row[a] > row[b]; });
  const double top = row[order[0]];
  double total = 0;
  for (int64_t v = 0; v < V; ++v) total += std::exp(static_cast<double>(row[v]) - top);
  double before = 0;  // probability of the tokens ranked above the current one
  for (int64_t i = 0; i < V; ++i) {
    const int64_t v = order[i];
    const double prob = std::exp(static_cast<double>(row[v]) - top) / total;
    if (i > 0 && before >= p) row[v] = kNegInf;
    before += prob;
  }
}

constexpr int64_t kFirstChunk = 256;  // tokens of room for new tokens before the buffer first grows

// seq [B, L] full, `left` more tokens to come (left >= 1) -> a copy with room for up to L more
// (doubling, so appending n tokens costs O(n) copies), never more than needed.
Tensor grown(const Tensor& seq, int64_t L, int64_t left) {
  Tensor bigger = empty({seq.size(0), L + std::min(L, left)}, kInt64);
  bigger.narrow(1, 0, L).copy_(seq);
  return bigger;
}

// Restores a module's training mode when it goes out of scope.
struct ModeGuard {
  nn::Module& module;
  bool was_training;
  ~ModeGuard() { module.train(was_training); }
};

}  // namespace

Tensor next_token_scores(const Tensor& logits, const Tensor& sequences, const GenerationOptions& o) {
  SOMA_CHECK(logits.dim() == 2 && logits.is_floating_point(), "next_token_scores: expected logits [B, V], got {}",
             logits.shape());
  SOMA_CHECK(sequences.dim() == 2 && sequences.dtype() == kInt64 && sequences.size(0) == logits.size(0),
             "next_token_scores: expected int64 sequences [{}, L], got {} of dtype {}", logits.size(0),
             sequences.shape(), dtype_name(sequences.dtype()));
  check_options(o, logits.size(1));
  Tensor scores = logits.to(kFloat32).clone();  // a fresh contiguous buffer, modified below
  Tensor seq = sequences.contiguous();
  const int64_t B = scores.size(0), V = scores.size(1), L = seq.size(1);
  float* s = scores.data<float>();
  const int64_t* ids = seq.data<int64_t>();
  const float pen = static_cast<float>(o.repetition_penalty);
  for (int64_t b = 0; b < B; ++b) {
    float* row = s + b * V;
    if (o.repetition_penalty != 1) {
      std::vector<char> seen(V, 0);
      for (int64_t t = 0; t < L; ++t)
        if (ids[b * L + t] >= 0 && ids[b * L + t] < V) seen[ids[b * L + t]] = 1;
      for (int64_t v = 0; v < V; ++v)
        if (seen[v]) row[v] = row[v] > 0 ? row[v] / pen : row[v] * pen;
    }
    if (o.temperature == 0) continue;
    if (o.temperature != 1) divide_by_temperature(row, V, o.temperature);
    top_k_row(row, V, o.top_k);
    top_p_row(row, V, o.top_p);
  }
  return scores;
}

Tensor generate(LanguageModel& model, const Tensor& prompt, const GenerationOptions& o, const TokenCallback& on_token) {
  const int64_t V = model.vocab_size(), N = model.context_length();
  SOMA_CHECK(prompt.defined(), "generate: the prompt is undefined; expected an int64 tensor [B, T0]");
  SOMA_CHECK(prompt.dim() == 2 && prompt.dtype() == kInt64,
             "generate: expected an int64 prompt [B, T0], got shape {} and dtype {}", prompt.shape(),
             dtype_name(prompt.dtype()));
  const int64_t B = prompt.size(0), T0 = prompt.size(1);
  SOMA_CHECK(B >= 1 && T0 >= 1, "generate: the prompt is empty (shape {}); need at least one token per row",
             prompt.shape());
  const int64_t lo = prompt.min().item<int64_t>(), hi = prompt.max().item<int64_t>();
  SOMA_CHECK(lo >= 0 && hi < V, "generate: prompt token id {} is out of range for vocabulary {}", lo < 0 ? lo : hi, V);
  check_options(o, V);

  NoGradGuard no_grad;
  ModeGuard mode{model, model.is_training()};
  model.eval();
  GPT* gpt = o.use_cache ? dynamic_cast<GPT*>(&model) : nullptr;
  KVCache cache;
  if (gpt) cache = KVCache(gpt->config, B, gpt->wte->weight.dtype());
  int64_t cache_start = 0;  // sequence position of the cache's first entry

  // The sequence so far grows with what is generated rather than being allocated for
  // max_new_tokens up front: a stream may be asked for "endless" tokens (INT64_MAX) and stopped
  // by its reader or a stop token.
  Tensor seq = empty({B, T0 + std::min<int64_t>(o.max_new_tokens, kFirstChunk)}, kInt64);
  seq.narrow(1, 0, T0).copy_(prompt);
  int64_t L = T0;
  int64_t w = N > 0 && T0 > N ? T0 - N : 0;  // window start: the model sees seq[w, L)
  Generator gen(o.seed);
  std::vector<char> done(B, 0);
  for (int64_t step = 0; step < o.max_new_tokens; ++step) {
    if (N > 0 && L - w > N) w = L - (N + 1) / 2;
    Tensor last;  // [B, V]
    if (gpt) {
      if (cache_start != w) cache.clear(), cache_start = w;
      const int64_t from = w + cache.length();
      Tensor lg = gpt->forward_with_cache(seq.narrow(1, from, L - from), cache);
      last = lg.select(1, lg.size(1) - 1);
    } else {
      Tensor lg = model.logits(seq.narrow(1, w, L - w));
      last = lg.select(1, lg.size(1) - 1);
    }
    Tensor scores = next_token_scores(last, seq.narrow(1, 0, L), o);
    Tensor next = o.temperature == 0 ? scores.argmax(1) : multinomial(scores.softmax(1), 1, true, &gen).view({B});
    next = next.contiguous();
    int64_t* nx = next.data<int64_t>();
    bool all_done = true;
    for (int64_t b = 0; b < B; ++b) {
      if (done[b]) nx[b] = *o.stop_token;
      if (o.stop_token && nx[b] == *o.stop_token) done[b] = 1;
      all_done = all_done && done[b];
    }
    if (L == seq.size(1)) seq = grown(seq, L, o.max_new_tokens - step);
    seq.select(1, L).copy_(next);
    ++L;
    if (on_token) on_token(next);
    if (all_done) break;
  }
  return seq.narrow(1, 0, L).clone();
}

}  // namespace soma::models
