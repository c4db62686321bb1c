#pragma once
// Byte-level byte-pair encoding, as GPT-2's tokenizer.
//
//   auto tok = data::BPETokenizer::train(text, 1000, {"<eos>"});
//   std::vector<int64_t> ids = tok.encode("In the beginning<eos>", {.special_tokens = true});
//   tok.decode(ids) == "In the beginning<eos>"
//
// Ids 0..255 are the bytes themselves (GPT-2 permutes them; soma does not), id 256 + i is the
// token made by merges()[i] (the concatenation of its two tokens' bytes), and the special
// tokens follow. Any byte string, valid UTF-8 or not, encodes and decodes back exactly.
//
// Text is first cut into pieces the way GPT-2's pattern
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// cuts it, with a hand-written splitter that classifies bytes, not code points: letters are
// A-Z, a-z and every byte >= 0x80 (so UTF-8 text of any script stays within words), numbers
// 0-9, whitespace " \t\n\v\f\r". For ASCII text the pieces are exactly GPT-2's. Merges never
// cross a piece boundary, so a token never spans a word and the space before the next.
//
// Training counts the pieces of the corpus once, then repeatedly merges the most frequent
// adjacent pair (ties: the smaller left id, then the smaller right id), updating the counts of
// the words containing it only. Pairs seen fewer than twice are not merged, so the vocabulary
// can end up smaller than asked for a small corpus. Occurrences of the special tokens are cut
// out of the corpus first: no merge produces or spans them.
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "soma/data/tokenizer.h"

namespace soma::data {

class BPETokenizer : public Tokenizer {
 public:
  using Merge = std::pair<int64_t, int64_t>;  // the ids of the left and right token

  // The most bytes the tokens of a vocabulary may hold in all (GPT-2's 50,257 hold ~400 KB),
  // checked before any token is built.
  static constexpr uint64_t kMaxVocabBytes = uint64_t{1} << 28;

  // merges[i] makes token 256 + i from two tokens with smaller ids; no pair twice.
  explicit BPETokenizer(std::vector<Merge> merges = {}, std::vector<std::string> special_tokens = {});
  // Learns merges from `corpus` until the vocabulary (256 bytes, merges, special tokens) has
  // `vocab_size` tokens or no pair occurs twice.
  static BPETokenizer train(std::string_view corpus, int64_t vocab_size, std::vector<std::string> special_tokens = {});
  static BPETokenizer load(const std::string& path);
  static BPETokenizer from_json(std::string_view json, const std::string& name = "<memory>");

  // The pieces of `text` before merging (see above); they concatenate to `text`.
  static std::vector<std::string_view> pre_split(std::string_view text);

  std::vector<int64_t> encode(std::string_view text, const EncodeOptions& options = {}) const override;
  std::string decode(std::span<const int64_t> ids) const override;
  int64_t vocab_size() const override { return static_cast<int64_t>(tokens_.size()); }
  std::optional<int64_t> token_to_id(std::string_view token) const override;
  std::string id_to_token(int64_t id) const override;
  const std::vector<std::string>& special_tokens() const override { return special_; }
  std::string to_json() const override;

  const std::vector<Merge>& merges() const { return merges_; }

 private:
  // piece -> (start, count) of its ids in the output, within one encode() call
  using PieceCache = std::unordered_map<std::string_view, std::pair<size_t, size_t>>;
  void encode_text(std::string_view text, PieceCache& cache, std::vector<int64_t>& out) const;
  void encode_piece(std::string_view piece, std::vector<int64_t>& out) const;
  // Throws unless each merge joins earlier tokens, no pair twice, within kMaxVocabBytes; fills rank_.
  void check_merges();

  std::vector<Merge> merges_;
  std::vector<std::string> special_;
  std::vector<std::string> tokens_;                        // bytes of every id
  std::unordered_map<uint64_t, int32_t> rank_;             // (left << 32 | right) -> merge index
  std::unordered_map<std::string, int64_t> token_id_;      // bytes -> id (special tokens win)
};

}  // namespace soma::data
