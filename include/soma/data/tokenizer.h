#pragma once
// Tokenizers: text <-> integer ids, in the spirit of Hugging Face `tokenizers`.
//   Tokenizer      the interface: encode, decode, vocab_size, token_to_id / id_to_token, save
//   CharTokenizer  one id per character (this header)
//   BPETokenizer   byte-level byte-pair encoding as in GPT-2 (soma/data/bpe.h)
//   load_tokenizer reads either kind from the JSON file `save` wrote
//
//   auto tok = data::CharTokenizer::train(text);          // ids of sorted(set(text))
//   std::vector<int64_t> ids = tok.encode("In the beginning");
//   std::string back = tok.decode(ids);
//
// Special tokens ("[PAD]", "<eos>", ...) get the ids after the learned vocabulary, in the
// order given. encode() treats their text as ordinary text unless asked to recognize them
// ({.special_tokens = true}); decode() writes them out as their text.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace soma::data {

struct EncodeOptions {
  // Whether occurrences of a special token's text in the input become its id (the longest
  // special token matching at the earliest position wins).
  bool special_tokens = false;
};

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  virtual std::vector<int64_t> encode(std::string_view text, const EncodeOptions& options = {}) const = 0;
  // Throws for an id outside [0, vocab_size()).
  virtual std::string decode(std::span<const int64_t> ids) const = 0;
  virtual int64_t vocab_size() const = 0;
  // The id of a token (a character, a learned BPE token's bytes, or a special token's text).
  virtual std::optional<int64_t> token_to_id(std::string_view token) const = 0;
  // The text (bytes) of the token `id`; throws for an id out of range.
  virtual std::string id_to_token(int64_t id) const = 0;
  virtual const std::vector<std::string>& special_tokens() const = 0;
  // The tokenizer as a JSON document (what save writes; it can also go inside a checkpoint).
  virtual std::string to_json() const = 0;
  // Writes to_json() to `path` (through a temporary file and a rename).
  void save(const std::string& path) const;
};

// Reads a tokenizer saved by CharTokenizer::save or BPETokenizer::save (the file's "type"
// says which); a malformed file throws soma::Error.
std::unique_ptr<Tokenizer> load_tokenizer(const std::string& path);
// The same from the JSON text; `name` names it in errors.
std::unique_ptr<Tokenizer> tokenizer_from_json(std::string_view json, const std::string& name = "<memory>");

struct CharTokenizerOptions {
  // Appended after the characters, in this order.
  std::vector<std::string> special_tokens = {};
  // When set, a character not in the vocabulary encodes to this token (added to the special
  // tokens if not among them); when empty, such a character is an error naming it and its
  // byte offset.
  std::string unk_token = {};
};

// A character is a UTF-8 code point (1-4 bytes; overlong forms, surrogates and values above
// U+10FFFF are not valid); a byte that does not start a valid sequence is a character of its
// own. The vocabulary is the sorted set of a corpus's characters, compared as byte strings,
// which for valid UTF-8 is code point order: for the KJV text the ids are exactly those of
// Python's sorted(set(text)).
class CharTokenizer : public Tokenizer {
 public:
  // `chars`: the vocabulary in id order, each one character as defined above, all distinct.
  explicit CharTokenizer(std::vector<std::string> chars, CharTokenizerOptions options = {});
  // The vocabulary of `corpus`: its distinct characters, sorted.
  static CharTokenizer train(std::string_view corpus, CharTokenizerOptions options = {});
  static CharTokenizer load(const std::string& path);
  static CharTokenizer from_json(std::string_view json, const std::string& name = "<memory>");

  std::vector<int64_t> encode(std::string_view text, const EncodeOptions& options = {}) const override;
  std::string decode(std::span<const int64_t> ids) const override;
  int64_t vocab_size() const override { return static_cast<int64_t>(tokens_.size()); }
  std::optional<int64_t> token_to_id(std::string_view token) const override;
  std::string id_to_token(int64_t id) const override;
  const std::vector<std::string>& special_tokens() const override { return special_; }
  std::string to_json() const override;

  // The characters (without the special tokens), in id order.
  std::span<const std::string> chars() const { return {tokens_.data(), static_cast<size_t>(num_chars_)}; }
  const std::string& unk_token() const { return unk_; }

 private:
  void encode_text(std::string_view text, size_t base, std::vector<int64_t>& out) const;

  std::vector<std::string> tokens_;  // characters, then special tokens
  int64_t num_chars_ = 0;
  std::vector<std::string> special_;
  std::string unk_;
  int64_t unk_id_ = -1;
  int64_t byte_id_[256];  // id of each single-byte character, or -1
  std::unordered_map<std::string, int64_t> multi_id_;  // ids of multi-byte characters
  std::unordered_map<std::string, int64_t> special_id_;
};

}  // namespace soma::data
