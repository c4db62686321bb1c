// models::Seq2SeqTransformer and the decoders: greedy and beam search on scorers whose best
// sequence is known, beam 1 == greedy on the model, and a quick training on digit reversal.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <map>

#include "error_of.h"
#include "soma/soma.h"

using namespace soma;
using models::SpecialTokens;

namespace {

constexpr int64_t kPad = 0, kBos = 1, kEos = 2, kA = 3, kB = 4;
const SpecialTokens kSpecial{};  // pad 0, bos 1, eos 2

// A scorer given as a table: prefix (without BOS) -> probabilities of (eos, a, b); pad and BOS get
// probability 0. Prefixes missing from the table end: eos has probability 1.
using Table = std::map<std::vector<int64_t>, std::array<double, 3>>;

models::NextTokenLogProbs table_scorer(const std::vector<Table>& per_source, int64_t beams) {
  return [per_source, beams](const Tensor& prefixes) {
    const int64_t n = prefixes.size(0), t = prefixes.size(1);
    const auto p = prefixes.to_vector<int64_t>();
    std::vector<double> lp(n * 5, -INFINITY);
    for (int64_t r = 0; r < n; ++r) {
      EXPECT_EQ(p[r * t], kBos);
      const std::vector<int64_t> prefix(p.begin() + r * t + 1, p.begin() + (r + 1) * t);
      const Table& table = per_source[r / beams];
      auto it = table.find(prefix);
      const std::array<double, 3> probs = it == table.end() ? std::array<double, 3>{1, 0, 0} : it->second;
      for (int k = 0; k < 3; ++k) lp[r * 5 + 2 + k] = std::log(probs[k]);
    }
    return from_vector(lp, {n, 5});
  };
}

// Greedy takes a (0.42) then EOS (0.5): "a EOS", probability 0.21. The most likely sequence is
// "EOS" (0.3); "b EOS" (0.252, log / 2 = -0.69) wins once scores are divided by the length
// (length_penalty 1) over "a a EOS" (0.105, log / 3 = -0.75) and "a EOS" (-0.78).
const Table kTable = {{{}, {0.3, 0.42, 0.28}}, {{kA}, {0.5, 0.25, 0.25}}, {{kB}, {0.9, 0.05, 0.05}}};
// The same with a and b swapped.
const Table kSwapped = {{{}, {0.3, 0.28, 0.42}}, {{kB}, {0.5, 0.25, 0.25}}, {{kA}, {0.9, 0.05, 0.05}}};

std::vector<int64_t> row(const Tensor& t, int64_t i) { return t[i].to_vector<int64_t>(); }

}  // namespace

TEST(Decoding, GreedyAndBeamOnAKnownScorer) {
  Tensor greedy = models::greedy_search(table_scorer({kTable, kSwapped}, 1), 2, kSpecial, 10);
  EXPECT_EQ(greedy.shape(), (Shape{2, 2}));
  EXPECT_EQ(row(greedy, 0), (std::vector<int64_t>{kA, kEos}));
  EXPECT_EQ(row(greedy, 1), (std::vector<int64_t>{kB, kEos}));

  auto plain = models::beam_search(table_scorer({kTable, kSwapped}, 3), 2, kSpecial, {.beam_width = 3, .length_penalty = 0});
  EXPECT_EQ(plain.tokens.shape(), (Shape{2, 1}));
  EXPECT_EQ(row(plain.tokens, 0), (std::vector<int64_t>{kEos}));
  EXPECT_NEAR(plain.scores[0].item(), std::log(0.3), 1e-12);

  auto penalized = models::beam_search(table_scorer({kTable, kSwapped}, 3), 2, kSpecial, {.beam_width = 3, .length_penalty = 1});
  EXPECT_EQ(row(penalized.tokens, 0), (std::vector<int64_t>{kB, kEos}));
  EXPECT_EQ(row(penalized.tokens, 1), (std::vector<int64_t>{kA, kEos}));
  EXPECT_NEAR(penalized.scores[1].item(), std::log(0.252) / 2, 1e-12);

  // Beam 1 is greedy.
  auto one = models::beam_search(table_scorer({kTable, kSwapped}, 1), 2, kSpecial, {.beam_width = 1});
  EXPECT_TRUE(equal(one.tokens, greedy));
}

namespace {

// A pseudo-random scorer over (eos, a, b) from a hash of the source and prefix.
models::NextTokenLogProbs hashed_scorer(int64_t beams) {
  return [beams](const Tensor& prefixes) {
    const int64_t n = prefixes.size(0), t = prefixes.size(1);
    const auto p = prefixes.to_vector<int64_t>();
    std::vector<double> lp(n * 5, -INFINITY);
    for (int64_t r = 0; r < n; ++r) {
      uint64_t h = 1469598103934665603ull + r / beams;
      for (int64_t j = 0; j < t; ++j) h = (h ^ p[r * t + j]) * 1099511628211ull;
      double w[3], sum = 0;
      for (int k = 0; k < 3; ++k) sum += w[k] = 0.05 + static_cast<double>((h >> (8 * k)) % 256) / 256;
      for (int k = 0; k < 3; ++k) lp[r * 5 + 2 + k] = std::log(w[k] / sum);
    }
    return from_vector(lp, {n, 5});
  };
}

// The best sequence under the hashed scorer by enumeration: every string over {a, b} of up to
// max_len tokens followed by EOS, or of max_len tokens without EOS.
std::pair<double, std::vector<int64_t>> brute_force(int64_t source, int64_t max_len) {
  auto step = hashed_scorer(1);
  std::pair<double, std::vector<int64_t>> best{-INFINITY, {}};
  std::function<void(std::vector<int64_t>, double)> visit = [&](std::vector<int64_t> seq, double sum) {
    std::vector<std::vector<int64_t>> rows(source + 1, seq);  // row `source` scores this source
    std::vector<int64_t> flat;
    for (auto& r : rows) flat.insert(flat.end(), r.begin(), r.end());
    const auto lp = step(from_vector(flat, {source + 1, static_cast<int64_t>(seq.size())}))[source].to_vector<double>();
    const int64_t generated = static_cast<int64_t>(seq.size()) - 1;
    if (generated == max_len) {
      if (sum > best.first) best = {sum, seq};
      return;
    }
    std::vector<int64_t> end = seq;
    end.push_back(kEos);
    if (sum + lp[kEos] > best.first) best = {sum + lp[kEos], end};
    for (int64_t tok : {kA, kB}) {
      std::vector<int64_t> next = seq;
      next.push_back(tok);
      visit(next, sum + lp[tok]);
    }
  };
  visit({kBos}, 0);
  best.second.erase(best.second.begin());
  return best;
}

}  // namespace

TEST(Decoding, WideBeamFindsTheBestSequence) {
  // A beam as wide as the number of candidates (16 live prefixes x 3 tokens at the last step) is
  // exhaustive: it must find the enumerated optimum.
  const int64_t max_len = 5, batch = 3;
  auto out = models::beam_search(hashed_scorer(64), batch, kSpecial, {.beam_width = 64, .length_penalty = 0, .max_len = max_len});
  auto narrow = models::beam_search(hashed_scorer(2), batch, kSpecial, {.beam_width = 2, .length_penalty = 0, .max_len = max_len});
  for (int64_t b = 0; b < batch; ++b) {
    auto [score, seq] = brute_force(b, max_len);
    std::vector<int64_t> got = row(out.tokens, b);
    got.resize(seq.size());
    EXPECT_EQ(got, seq) << "source " << b;
    EXPECT_NEAR(out.scores[b].item(), score, 1e-12);
    EXPECT_LE(narrow.scores[b].item(), score + 1e-12);  // a narrow beam can only do worse
  }
  Tensor greedy = models::greedy_search(hashed_scorer(1), batch, kSpecial, max_len);
  auto one = models::beam_search(hashed_scorer(1), batch, kSpecial, {.beam_width = 1, .max_len = max_len});
  EXPECT_TRUE(equal(one.tokens, greedy));
}

TEST(Decoding, BadInput) {
  auto step = hashed_scorer(1);
  EXPECT_NE(error_of([&] { models::beam_search(step, 2, kSpecial, {.beam_width = 0}); }).find("beam_width must be positive, got 0"),
            std::string::npos);
  EXPECT_NE(error_of([&] { models::greedy_search(step, 0, kSpecial, 5); }).find("greedy_search: batch (0) and max_len (5) must be positive"),
            std::string::npos);
  auto wrong = [](const Tensor& p) { return zeros({p.size(0) + 1, 5}); };
  EXPECT_NE(error_of([&] { models::greedy_search(wrong, 2, kSpecial, 5); })
                .find("the step function must return floating [N=2, V] log-probabilities, got [3, 5]"),
            std::string::npos);
}

namespace {

// Digit reversal: digits 0..9 are tokens 3..12. src = digits, EOS, padding to 11;
// tgt = BOS, reversed digits, EOS, padding to 12.
constexpr int64_t kVocab = 13;

std::pair<Tensor, Tensor> reversal(int64_t n, int64_t min_len, int64_t max_len, Generator& gen) {
  const auto len = randint(min_len, max_len + 1, {n}, kInt64, &gen).to_vector<int64_t>();
  const auto digits = randint(3, 13, {n, max_len}, kInt64, &gen).to_vector<int64_t>();
  std::vector<int64_t> src(n * (max_len + 1), kPad), tgt(n * (max_len + 2), kPad);
  for (int64_t i = 0; i < n; ++i) {
    int64_t* s = &src[i * (max_len + 1)];
    int64_t* t = &tgt[i * (max_len + 2)];
    t[0] = kBos;
    for (int64_t j = 0; j < len[i]; ++j) s[j] = t[len[i] - j] = digits[i * max_len + j];
    s[len[i]] = t[len[i] + 1] = kEos;
  }
  return {from_vector(src, {n, max_len + 1}), from_vector(tgt, {n, max_len + 2})};
}

// Fraction of rows where the decoded tokens equal tgt without BOS, up to and including EOS.
double exact_match(const Tensor& decoded, const Tensor& tgt) {
  const int64_t n = tgt.size(0), L = decoded.size(1), T = tgt.size(1);
  const auto d = decoded.to_vector<int64_t>(), t = tgt.to_vector<int64_t>();
  int64_t hits = 0;
  for (int64_t i = 0; i < n; ++i) {
    bool ok = true;
    for (int64_t j = 1; j < T && ok; ++j) {
      const int64_t want = t[i * T + j], got = j - 1 < L ? d[i * L + j - 1] : kPad;
      ok = want == got;
      if (want == kEos) break;
    }
    hits += ok;
  }
  return double(hits) / n;
}

models::Seq2SeqConfig small(DType dtype = kFloat32) {
  return {.src_vocab_size = kVocab, .tgt_vocab_size = kVocab, .d_model = 32, .nhead = 2, .num_encoder_layers = 1,
          .num_decoder_layers = 1, .dim_feedforward = 64, .dropout = 0.0, .max_len = 16, .dtype = dtype};
}

}  // namespace

TEST(Seq2Seq, ShapesLossPaddingAndGradients) {
  manual_seed(0);
  Generator gen(0);
  models::Seq2SeqTransformer model(small());
  auto [src, tgt] = reversal(4, 3, 6, gen);
  EXPECT_EQ(model.forward(src, tgt.narrow(1, 0, 7)).shape(), (Shape{4, 7, kVocab}));
  // Extra padding on either side changes neither the loss nor the predictions of real tokens.
  Tensor loss = model.loss(src, tgt);
  Tensor src_more = cat({src, zeros({4, 3}, kInt64)}, 1), tgt_more = cat({tgt, zeros({4, 2}, kInt64)}, 1);
  EXPECT_NEAR(model.loss(src_more, tgt_more).item(), loss.item(), 1e-5);
  EXPECT_NEAR(loss.item(), std::log(double(kVocab)), 1.5);  // roughly uniform at initialization

  models::Seq2SeqTransformer tiny({.src_vocab_size = 6, .tgt_vocab_size = 5, .d_model = 4, .nhead = 2, .num_encoder_layers = 1,
                                   .num_decoder_layers = 1, .dim_feedforward = 6, .dropout = 0.0, .max_len = 8,
                                   .dtype = kFloat64});
  Tensor s = from_vector(std::vector<int64_t>{3, 4, 5, 2, 5, 2, 0, 0}, {2, 4});
  Tensor t = from_vector(std::vector<int64_t>{1, 4, 3, 2, 1, 3, 2, 0}, {2, 4});
  EXPECT_TRUE(gradcheck([&](const TensorList&) { return tiny.loss(s, t); },
                        {tiny.generator->weight, tiny.tgt_embed->weight, tiny.src_embed->weight,
                         tiny.transformer->decoder->parameters()[2] /* cross-attention in_proj_weight */}));
}

TEST(Seq2Seq, BeamOneEqualsGreedyOnTheModel) {
  manual_seed(1);
  Generator gen(1);
  models::Seq2SeqTransformer model(small());
  auto [src, tgt] = reversal(6, 3, 8, gen);
  Tensor greedy = model.greedy_decode(src, 9);
  auto beam = model.beam_decode(src, {.beam_width = 1, .max_len = 9});
  EXPECT_TRUE(equal(beam.tokens, greedy));
  EXPECT_TRUE(model.is_training());  // decoding restores the mode
  auto wide = model.beam_decode(src, {.beam_width = 4, .max_len = 9});
  EXPECT_EQ(wide.tokens.size(0), 6);
}

TEST(Seq2Seq, BadInput) {
  models::Seq2SeqTransformer model(small());
  EXPECT_NE(error_of([&] { model.encode(zeros({2, 3})); }).find("Seq2SeqTransformer::encode: src must be int64 [B, L] with L >= 1, got float32 [2, 3]"),
            std::string::npos);
  EXPECT_NE(error_of([&] { model.encode(zeros({2, 17}, kInt64)); }).find("src length 17 exceeds max_len 16"),
            std::string::npos);
  EXPECT_NE(error_of([&] { model.loss(zeros({2, 3}, kInt64), zeros({2, 1}, kInt64)); }).find("tgt must be int64 [B, T + 1]"),
            std::string::npos);
  EXPECT_NE(error_of([&] { model.forward(zeros({2, 3}, kInt64), zeros({3, 4}, kInt64)); }).find("must be [B=2, T]"),
            std::string::npos);
  EXPECT_NE(error_of([&] { models::Seq2SeqTransformer m({.src_vocab_size = 2, .tgt_vocab_size = 13}); })
                .find("special token id 2 is not in both vocabularies (sizes 2 and 13)"),
            std::string::npos);
}

TEST(Seq2Seq, LearnsToReverseShortSequences) {
  // Tiny tensors: one thread is fastest, and on a busy machine OpenMP's waiting threads can slow
  // each step down many times over.
  const int threads = get_num_threads();
  set_num_threads(1);
  // A shorter version of examples/seq2seq_reverse.cpp: lengths 3..6, 600 steps.
  manual_seed(2);
  Generator gen(2);
  models::Seq2SeqConfig config = small();
  config.d_model = 64, config.nhead = 4, config.dim_feedforward = 128, config.num_encoder_layers = 2;
  models::Seq2SeqTransformer model(config);
  optim::Adam opt(model.parameters());
  const int steps = 600;
  optim::OneCycleLR schedule(opt, {.max_lr = 3e-3, .total_steps = steps, .pct_start = 0.2});
  for (int step = 0; step < steps; ++step) {
    auto [src, tgt] = reversal(64, 3, 6, gen);
    Tensor loss = model.loss(src, tgt);
    opt.zero_grad();
    loss.backward();
    opt.step();
    schedule.step();
  }
  Generator held_out(12345);
  auto [src, tgt] = reversal(200, 3, 6, held_out);
  const double greedy = exact_match(model.greedy_decode(src, 8), tgt);
  const double beam = exact_match(model.beam_decode(src, {.beam_width = 3, .max_len = 8}).tokens, tgt);
  // Chance is 10^-3 at best. This short run reaches about 45% (the example's longer one, 99%);
  // a broken attention mask, target shift or decoder stays near zero.
  EXPECT_GT(greedy, 0.25);
  EXPECT_GT(beam, 0.25);
  set_num_threads(threads);
}
