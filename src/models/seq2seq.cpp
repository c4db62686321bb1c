#include "soma/models/seq2seq.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "soma/creation.h"
#include "soma/grad_mode.h"
#include "soma/math.h"
#include "soma/nn/functional.h"

namespace soma::models {

namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

// Prefixes (each a vector of ids of the same length) as an int64 [N, t] tensor.
Tensor prefix_tensor(const std::vector<std::vector<int64_t>>& rows) {
  const int64_t t = static_cast<int64_t>(rows.front().size());
  std::vector<int64_t> flat;
  flat.reserve(rows.size() * t);
  for (const auto& r : rows) flat.insert(flat.end(), r.begin(), r.end());
  return from_vector(flat, {static_cast<int64_t>(rows.size()), t});
}

// Calls the step function and returns its [N, V] log-probabilities as doubles (row-major).
std::vector<double> next_log_probs(const NextTokenLogProbs& step, const Tensor& prefixes, int64_t& vocab) {
  const Tensor lp = step(prefixes);
  SOMA_CHECK(lp.defined() && lp.dim() == 2 && lp.size(0) == prefixes.size(0) && lp.is_floating_point(),
             "beam_search/greedy_search: the step function must return floating [N={}, V] log-probabilities, got {}",
             prefixes.size(0), lp.defined() ? lp.shape() : Shape{});
  vocab = lp.size(1);
  return lp.to(kFloat64).contiguous().to_vector<double>();
}

// Sequences without their first token (BOS), right-padded to a common length: [B, L] int64.
Tensor pad_sequences(const std::vector<std::vector<int64_t>>& seqs, int64_t pad_id) {
  size_t len = 0;
  for (const auto& s : seqs) len = std::max(len, s.size() - 1);
  std::vector<int64_t> flat(seqs.size() * len, pad_id);
  for (size_t b = 0; b < seqs.size(); ++b) std::copy(seqs[b].begin() + 1, seqs[b].end(), flat.begin() + b * len);
  return from_vector(flat, {static_cast<int64_t>(seqs.size()), static_cast<int64_t>(len)});
}

void check_search(const char* op, int64_t batch, int64_t max_len) {
  SOMA_CHECK(batch > 0 && max_len > 0, "{}: batch ({}) and max_len ({}) must be positive", op, batch, max_len);
}

// The hypotheses of one source during beam search.
struct Beams {
  std::vector<std::vector<int64_t>> prefixes;  // K live prefixes (BOS first)
  std::vector<double> sums;                    // their summed log-probabilities (-inf: unused slot)
  std::vector<std::pair<double, std::vector<int64_t>>> finished;  // (penalized score, tokens)
  bool done = false;
};

}  // namespace

Tensor greedy_search(const NextTokenLogProbs& step, int64_t batch, const SpecialTokens& special, int64_t max_len) {
  check_search("greedy_search", batch, max_len);
  std::vector<std::vector<int64_t>> seqs(batch, {special.bos_id});
  std::vector<bool> done(batch, false);
  for (int64_t t = 0; t < max_len && std::count(done.begin(), done.end(), false) > 0; ++t) {
    int64_t V = 0;
    const std::vector<double> lp = next_log_probs(step, prefix_tensor(seqs), V);
    for (int64_t b = 0; b < batch; ++b) {
      const double* row = lp.data() + b * V;
      const int64_t tok = done[b] ? special.pad_id : std::max_element(row, row + V) - row;
      seqs[b].push_back(tok);
      done[b] = done[b] || tok == special.eos_id;
    }
  }
  return pad_sequences(seqs, special.pad_id);
}

BeamSearchOutput beam_search(const NextTokenLogProbs& step, int64_t batch, const SpecialTokens& special,
                             const BeamSearchOptions& o) {
  check_search("beam_search", batch, o.max_len);
  SOMA_CHECK(o.beam_width > 0, "beam_search: beam_width must be positive, got {}", o.beam_width);
  const int64_t K = o.beam_width;
  auto penalized = [&](double sum, size_t generated) { return sum / std::pow(double(generated), o.length_penalty); };
  // One live prefix per source to start with; the other slots are unused (-inf) so the first step
  // does not expand K copies of the same prefix.
  std::vector<Beams> beams(batch);
  for (Beams& s : beams) {
    s.prefixes.assign(K, {special.bos_id});
    s.sums.assign(K, kNegInf);
    s.sums[0] = 0;
  }
  for (int64_t t = 1; t <= o.max_len; ++t) {
    std::vector<std::vector<int64_t>> rows;
    for (const Beams& s : beams) rows.insert(rows.end(), s.prefixes.begin(), s.prefixes.end());
    int64_t V = 0;
    const std::vector<double> lp = next_log_probs(step, prefix_tensor(rows), V);
    for (int64_t b = 0; b < batch; ++b) {
      Beams& s = beams[b];
      if (s.done) {  // keep the rows aligned: extend with padding
        for (auto& p : s.prefixes) p.push_back(special.pad_id);
        continue;
      }
      // The 2K best extensions (k, v) by summed log-probability: enough to keep K live after EOS ones.
      std::vector<int64_t> cand(K * V);
      std::iota(cand.begin(), cand.end(), 0);
      auto total = [&](int64_t c) { return s.sums[c / V] + lp[(b * K + c / V) * V + c % V]; };
      const int64_t n = std::min<int64_t>(2 * K, K * V);
      std::partial_sort(cand.begin(), cand.begin() + n, cand.end(),
                        [&](int64_t x, int64_t y) { return total(x) > total(y); });
      std::vector<std::vector<int64_t>> next;
      std::vector<double> sums;
      for (int64_t r = 0; r < n && static_cast<int64_t>(next.size()) < K; ++r) {
        const double sum = total(cand[r]);
        if (!std::isfinite(sum)) break;
        std::vector<int64_t> seq = s.prefixes[cand[r] / V];
        seq.push_back(cand[r] % V);
        if (cand[r] % V == special.eos_id) {
          // Only an EOS among the K best candidates finishes a hypothesis (as in Hugging Face).
          if (r < K) s.finished.emplace_back(penalized(sum, seq.size() - 1), std::move(seq));
        } else {
          next.push_back(std::move(seq));
          sums.push_back(sum);
        }
      }
      std::sort(s.finished.begin(), s.finished.end(), [](const auto& x, const auto& y) { return x.first > y.first; });
      if (static_cast<int64_t>(s.finished.size()) > K) s.finished.resize(K);
      const bool full = static_cast<int64_t>(s.finished.size()) == K;
      // Every live prefix is dead (all candidates were -inf or EOS), or none can beat the K finished.
      if (next.empty() || (full && penalized(sums[0], t) <= s.finished.back().first)) {
        s.done = true;
        next.assign(K, s.prefixes[0]);
        for (auto& p : next) p.push_back(special.pad_id);
        sums.assign(K, kNegInf);
      }
      while (static_cast<int64_t>(next.size()) < K) {  // unused slots
        next.push_back(next.front());
        sums.push_back(kNegInf);
      }
      s.prefixes = std::move(next);
      s.sums = std::move(sums);
    }
    if (std::all_of(beams.begin(), beams.end(), [](const Beams& s) { return s.done; })) break;
  }
  std::vector<std::vector<int64_t>> best(batch);
  std::vector<double> scores(batch);
  for (int64_t b = 0; b < batch; ++b) {
    Beams& s = beams[b];
    for (int64_t k = 0; k < K && !s.done; ++k)  // max_len reached: live prefixes count as finished
      if (std::isfinite(s.sums[k])) s.finished.emplace_back(penalized(s.sums[k], s.prefixes[k].size() - 1), s.prefixes[k]);
    SOMA_CHECK(!s.finished.empty(), "beam_search: no hypothesis with finite score for source {}", b);
    auto top = std::max_element(s.finished.begin(), s.finished.end(),
                                [](const auto& x, const auto& y) { return x.first < y.first; });
    best[b] = top->second;
    scores[b] = top->first;
  }
  return {pad_sequences(best, special.pad_id), from_vector(scores, {batch})};
}

Seq2SeqTransformer::Seq2SeqTransformer(Seq2SeqConfig c) : Module("Seq2SeqTransformer"), config(c) {
  SOMA_CHECK(c.src_vocab_size > 0 && c.tgt_vocab_size > 0, "Seq2SeqTransformer: vocabulary sizes must be positive, got {} and {}",
             c.src_vocab_size, c.tgt_vocab_size);
  const SpecialTokens& sp = c.special;
  for (int64_t id : {sp.pad_id, sp.bos_id, sp.eos_id})
    SOMA_CHECK(id >= 0 && id < std::min(c.src_vocab_size, c.tgt_vocab_size),
               "Seq2SeqTransformer: special token id {} is not in both vocabularies (sizes {} and {})", id,
               c.src_vocab_size, c.tgt_vocab_size);
  transformer = register_module("transformer", nn::Transformer({.d_model = c.d_model,
                                                                .nhead = c.nhead,
                                                                .num_encoder_layers = c.num_encoder_layers,
                                                                .num_decoder_layers = c.num_decoder_layers,
                                                                .layer = {.dim_feedforward = c.dim_feedforward,
                                                                          .dropout = c.dropout,
                                                                          .batch_first = true,
                                                                          .dtype = c.dtype}}));
  src_embed = register_module("src_embed", nn::Embedding(c.src_vocab_size, c.d_model, {.padding_idx = sp.pad_id, .dtype = c.dtype}));
  tgt_embed = register_module("tgt_embed", nn::Embedding(c.tgt_vocab_size, c.d_model, {.padding_idx = sp.pad_id, .dtype = c.dtype}));
  positions = register_module("positions", nn::SinusoidalPositionalEncoding(c.d_model, {.max_len = c.max_len, .dtype = c.dtype}));
  generator = register_module("generator", nn::Linear(c.d_model, c.tgt_vocab_size, {.dtype = c.dtype}));
}

namespace {

void check_tokens(const char* op, const char* what, const Tensor& t, int64_t max_len) {
  SOMA_CHECK(t.dim() == 2 && t.dtype() == kInt64 && t.size(1) >= 1,
             "Seq2SeqTransformer::{}: {} must be int64 [B, L] with L >= 1, got {} {}", op, what, dtype_name(t.dtype()),
             t.shape());
  SOMA_CHECK(t.size(1) <= max_len, "Seq2SeqTransformer::{}: {} length {} exceeds max_len {}", op, what, t.size(1), max_len);
}

}  // namespace

Tensor Seq2SeqTransformer::encode(const Tensor& src) {
  check_tokens("encode", "src", src, config.max_len);
  // Embeddings are scaled by sqrt(d_model) so they are not drowned by the unit-size sinusoids.
  Tensor x = (*positions)((*src_embed)(src) * std::sqrt(double(config.d_model)));
  return transformer->encoder->forward(x, {}, src == config.special.pad_id);
}

Tensor Seq2SeqTransformer::decode(const Tensor& tgt, const Tensor& memory, const Tensor& src) {
  check_tokens("decode", "tgt", tgt, config.max_len);
  SOMA_CHECK(memory.dim() == 3 && memory.size(0) == tgt.size(0) && memory.size(0) == src.size(0) &&
                 memory.size(1) == src.size(1) && memory.size(2) == config.d_model,
             "Seq2SeqTransformer::decode: memory {} must be [B, S, E={}] for tgt {} and src {}", memory.shape(),
             config.d_model, tgt.shape(), src.shape());
  const int64_t T = tgt.size(1);
  Tensor y = (*positions)((*tgt_embed)(tgt) * std::sqrt(double(config.d_model)));
  // Causal self-attention; target padding only follows EOS, so causality already keeps it out of
  // real positions and its own outputs are ignored by the loss.
  Tensor h = transformer->decoder->forward(y, memory, nn::generate_square_subsequent_mask(T, memory.dtype()), {}, {},
                                           src == config.special.pad_id);
  return (*generator)(h);
}

Tensor Seq2SeqTransformer::forward(const Tensor& src, const Tensor& tgt_in) {
  check_tokens("forward", "src", src, config.max_len);
  SOMA_CHECK(tgt_in.dim() == 2 && tgt_in.size(0) == src.size(0),
             "Seq2SeqTransformer::forward: tgt {} must be [B={}, T]", tgt_in.shape(), src.size(0));
  return decode(tgt_in, encode(src), src);
}

Tensor Seq2SeqTransformer::loss(const Tensor& src, const Tensor& tgt) {
  SOMA_CHECK(tgt.dim() == 2 && tgt.size(1) >= 2 && tgt.dtype() == kInt64,
             "Seq2SeqTransformer::loss: tgt must be int64 [B, T + 1] with BOS first and T >= 1, got {} {}",
             dtype_name(tgt.dtype()), tgt.shape());
  const int64_t T = tgt.size(1) - 1;
  Tensor logits = forward(src, tgt.narrow(1, 0, T));
  Tensor labels = tgt.narrow(1, 1, T);
  return nn::functional::cross_entropy(logits.flatten(0, 1), labels.masked_fill(labels == config.special.pad_id, -100).flatten());
}

NextTokenLogProbs Seq2SeqTransformer::stepper(const Tensor& src, int64_t beams) {
  check_tokens("decode", "src", src, config.max_len);
  const int64_t B = src.size(0), S = src.size(1);
  // Row r of the step's batch belongs to source r / beams.
  Tensor memory = encode(src).unsqueeze(1).expand({B, beams, S, config.d_model}).reshape({B * beams, S, config.d_model});
  Tensor src_rep = src.unsqueeze(1).expand({B, beams, S}).reshape({B * beams, S});
  // No cache of past keys and values: every step re-runs the decoder over the whole prefix.
  return [this, memory, src_rep](const Tensor& prefixes) {
    SOMA_CHECK(prefixes.size(1) <= config.max_len, "Seq2SeqTransformer: decoding beyond max_len {}", config.max_len);
    Tensor logits = decode(prefixes, memory, src_rep);
    return nn::functional::log_softmax(logits.select(1, logits.size(1) - 1), -1);
  };
}

namespace {

// Evaluation mode for the scope of a decoding call, the previous mode restored even on an error.
class EvalGuard {
 public:
  explicit EvalGuard(nn::Module& m) : m_(m), was_training_(m.is_training()) { m.eval(); }
  ~EvalGuard() { m_.train(was_training_); }

 private:
  nn::Module& m_;
  bool was_training_;
};

}  // namespace

Tensor Seq2SeqTransformer::greedy_decode(const Tensor& src, int64_t max_len) {
  NoGradGuard no_grad;
  EvalGuard eval_mode(*this);
  NextTokenLogProbs step = stepper(src, 1);
  return greedy_search(step, src.size(0), config.special, std::min(max_len, config.max_len - 1));
}

BeamSearchOutput Seq2SeqTransformer::beam_decode(const Tensor& src, const BeamSearchOptions& options) {
  NoGradGuard no_grad;
  EvalGuard eval_mode(*this);
  BeamSearchOptions o = options;
  o.max_len = std::min(o.max_len, config.max_len - 1);  // BOS takes one position
  SOMA_CHECK(o.beam_width > 0, "beam_search: beam_width must be positive, got {}", o.beam_width);
  NextTokenLogProbs step = stepper(src, o.beam_width);
  return beam_search(step, src.size(0), config.special, o);
}

}  // namespace soma::models
