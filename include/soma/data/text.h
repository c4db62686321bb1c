#pragma once
// Text corpora for language models: reading text, the KJV Bible, and the windows of a token
// stream a model trains on (inputs and the same tokens shifted by one as targets).
//
//   std::string text = data::kjv_bible_text();
//   auto tok = data::CharTokenizer::train(text);
//   auto [train, val] = data::TokenWindows(tok.encode(text), 128).split(0.9);
//   Generator gen(1234);
//   auto [x, y] = train.sample(32, &gen);   // x, y: int64 [32, 128], y[b, t] = x[b, t + 1]
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "soma/data/dataset.h"
#include "soma/random.h"

namespace soma::data {

// The bytes of a text file; throws when it is missing, unreadable or empty.
std::string read_text_file(const std::string& path);

// The King James Bible, one verse per line ("Ge1:1 In the beginning God created ..."), as
// printed by `bible -f Gen1:1-Rev22:21` from the Debian packages bible-kjv and bible-kjv-text:
// 4,404,412 ASCII bytes, the text the PyTorch reference benchmarks train on. Throws when the
// program is missing or fails.
std::string kjv_bible_text();

// Random (input, target) windows of a token stream tokens [n]: example i is
// input = tokens[i, i + seq_len) and target = tokens[i + 1, i + seq_len + 1), so there are
// n - seq_len examples. The windows share the stream's storage.
class TokenWindows : public Dataset {
 public:
  // `tokens`: a 1-D int64 tensor (or the ids themselves) of at least seq_len + 1 tokens.
  TokenWindows(Tensor tokens, int64_t seq_len);
  TokenWindows(std::span<const int64_t> tokens, int64_t seq_len);

  int64_t size() const override { return tokens_.size(0) - seq_len_; }
  Example get(int64_t index) const override;
  // Inputs and targets [B, seq_len], copied into one tensor each.
  Batch get_batch(std::span<const int64_t> indices) const override;

  // `batch` windows at random starts, drawn uniformly from [0, n - seq_len - 1) as the
  // reference's get_batch does (its last window is never drawn, unless it is the only one).
  Batch sample(int64_t batch, Generator* gen = nullptr) const;
  // The windows of the first floor(fraction * n) tokens and of the rest (the reference's
  // 90% / 10% train / validation split for fraction = 0.9); each part needs seq_len + 1 tokens.
  std::pair<TokenWindows, TokenWindows> split(double fraction) const;

  const Tensor& tokens() const { return tokens_; }
  int64_t seq_len() const { return seq_len_; }

 private:
  Tensor tokens_;  // int64 [n], contiguous
  int64_t seq_len_;
};

// x, y: int64 [batch, seq] windows of tokens [n] (1-D int64) at random starts, y shifted by one:
// the reference's get_batch(data, batch, seq) with soma's generator in place of PyTorch's.
Batch get_batch(const Tensor& tokens, int64_t batch, int64_t seq, Generator* gen = nullptr);

}  // namespace soma::data
