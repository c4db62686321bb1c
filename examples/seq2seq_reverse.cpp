// Trains an encoder-decoder Transformer with teacher forcing to reverse sequences of 5 to 10
// digits, then reports the exact-match accuracy of greedy and beam-search decoding on held-out
// sequences.
//
//   seq2seq_reverse [steps=1500] [seed=0]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unordered_set>

#include "soma/soma.h"

using namespace soma;

namespace {

// Tokens: 0 PAD, 1 BOS, 2 EOS, 3..12 the digits 0..9.
constexpr int64_t kPad = 0, kBos = 1, kEos = 2, kVocab = 13, kMinLen = 5, kMaxLen = 10;

// src [n, 11] = digits, EOS, padding; tgt [n, 12] = BOS, the digits reversed, EOS, padding.
std::pair<Tensor, Tensor> reversal_batch(int64_t n, Generator& gen) {
  const auto len = randint(kMinLen, kMaxLen + 1, {n}, kInt64, &gen).to_vector<int64_t>();
  const auto digits = randint(3, 3 + 10, {n, kMaxLen}, kInt64, &gen).to_vector<int64_t>();
  std::vector<int64_t> src(n * (kMaxLen + 1), kPad), tgt(n * (kMaxLen + 2), kPad);
  for (int64_t i = 0; i < n; ++i) {
    int64_t* s = &src[i * (kMaxLen + 1)];
    int64_t* t = &tgt[i * (kMaxLen + 2)];
    t[0] = kBos;
    for (int64_t j = 0; j < len[i]; ++j) s[j] = t[len[i] - j] = digits[i * kMaxLen + j];
    s[len[i]] = t[len[i] + 1] = kEos;
  }
  return {from_vector(src, {n, kMaxLen + 1}), from_vector(tgt, {n, kMaxLen + 2})};
}

// Fraction of rows whose decoded tokens equal the target (without BOS) through its EOS.
double exact_match(const Tensor& decoded, const Tensor& tgt) {
  const int64_t n = tgt.size(0), L = decoded.size(1), T = tgt.size(1);
  const auto d = decoded.to_vector<int64_t>(), t = tgt.to_vector<int64_t>();
  int64_t hits = 0;
  for (int64_t i = 0; i < n; ++i) {
    bool ok = true;
    for (int64_t j = 1; j < T && ok; ++j) {
      const int64_t want = t[i * T + j];
      ok = j - 1 < L && d[i * L + j - 1] == want;
      if (want == kEos) break;
    }
    hits += ok;
  }
  return static_cast<double>(hits) / n;
}

// Row i of an int64 [n, L] tensor as a string key.
std::string key(const Tensor& rows, int64_t i) {
  const auto v = rows[i].to_vector<int64_t>();
  return std::string(v.begin(), v.end());
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  const int steps = argc > 1 ? std::atoi(argv[1]) : 1500;
  const uint64_t seed = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 0;
  manual_seed(seed);
  Generator gen(seed);
  models::Seq2SeqTransformer model({.src_vocab_size = kVocab, .tgt_vocab_size = kVocab, .d_model = 64, .nhead = 4,
                                    .num_encoder_layers = 2, .num_decoder_layers = 2, .dim_feedforward = 128,
                                    .dropout = 0.0, .max_len = 16});
  std::printf("Seq2SeqTransformer: %lld parameters\n", static_cast<long long>(model.num_parameters()));
  optim::Adam opt(model.parameters(), {.lr = 1e-3});
  optim::OneCycleLR schedule(opt, {.max_lr = 2e-3, .total_steps = steps, .pct_start = 0.2});
  std::unordered_set<std::string> seen;  // training sources, kept out of the evaluation
  const auto start = std::chrono::steady_clock::now();
  for (int step = 1; step <= steps; ++step) {
    auto [src, tgt] = reversal_batch(64, gen);
    for (int64_t i = 0; i < src.size(0); ++i) seen.insert(key(src, i));
    Tensor loss = model.loss(src, tgt);
    opt.zero_grad();
    loss.backward();
    opt.step();
    schedule.step();
    if (step % 100 == 0 || step == steps)
      std::printf("step %5d  loss %.4f  %.1f s\n", step, loss.item(), seconds_since(start));
  }
  // 1000 held-out sequences: drawn from another stream, those seen in training dropped.
  Generator held_out(seed + 1000003);
  auto [all_src, all_tgt] = reversal_batch(1200, held_out);
  std::vector<int64_t> keep;
  for (int64_t i = 0; i < all_src.size(0) && keep.size() < 1000; ++i)
    if (!seen.contains(key(all_src, i))) keep.push_back(i);
  const Tensor rows = from_vector(keep, {static_cast<int64_t>(keep.size())});
  const Tensor src = all_src.index_select(0, rows), tgt = all_tgt.index_select(0, rows);
  const double greedy = exact_match(model.greedy_decode(src, kMaxLen + 1), tgt);
  const double beam = exact_match(model.beam_decode(src, {.beam_width = 4, .max_len = kMaxLen + 1}).tokens, tgt);
  std::printf("held-out exact match on %lld sequences: greedy %.1f%%, beam(4) %.1f%%  (%.1f s in all)\n",
              static_cast<long long>(src.size(0)), 100 * greedy,
              100 * beam, seconds_since(start));
  return 0;
}
