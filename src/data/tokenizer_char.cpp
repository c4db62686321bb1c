// CharTokenizer: one id per character (UTF-8 code point, or a byte that is not valid UTF-8).
#include <algorithm>
#include <set>

#include "data/bytes.h"
#include "data/tokenizer_detail.h"
#include "data/untrusted_json.h"
#include "soma/data/tokenizer.h"
#include "soma/error.h"

namespace soma::data {

using detail::describe_char;
using detail::utf8_length;

CharTokenizer::CharTokenizer(std::vector<std::string> chars, CharTokenizerOptions options)
    : tokens_(std::move(chars)), special_(std::move(options.special_tokens)), unk_(std::move(options.unk_token)) {
  num_chars_ = static_cast<int64_t>(tokens_.size());
  std::fill(std::begin(byte_id_), std::end(byte_id_), -1);
  for (int64_t id = 0; id < num_chars_; ++id) {
    const std::string& c = tokens_[id];
    SOMA_CHECK(!c.empty() && (utf8_length(c, 0) == c.size() || c.size() == 1),
               "CharTokenizer: vocabulary entry {} ({} bytes) is not one character", id, c.size());
    const bool fresh = c.size() == 1 ? byte_id_[static_cast<unsigned char>(c[0])] < 0 : !multi_id_.contains(c);
    SOMA_CHECK(fresh, "CharTokenizer: character {} is in the vocabulary twice", describe_char(c));
    if (c.size() == 1)
      byte_id_[static_cast<unsigned char>(c[0])] = id;
    else
      multi_id_.emplace(c, id);
  }
  if (!unk_.empty() && std::find(special_.begin(), special_.end(), unk_) == special_.end()) special_.push_back(unk_);
  detail::check_special_tokens(special_, "CharTokenizer");
  for (size_t k = 0; k < special_.size(); ++k) {
    SOMA_CHECK(!token_to_id(special_[k]), "CharTokenizer: special token '{}' is also a character of the vocabulary",
               special_[k]);
    special_id_.emplace(special_[k], num_chars_ + static_cast<int64_t>(k));
    tokens_.push_back(special_[k]);
  }
  if (!unk_.empty()) unk_id_ = special_id_.at(unk_);
}

CharTokenizer CharTokenizer::train(std::string_view corpus, CharTokenizerOptions options) {
  SOMA_CHECK(!corpus.empty(), "CharTokenizer::train: the corpus is empty");
  bool byte_seen[256] = {};
  std::set<std::string_view> multi;
  for (size_t i = 0; i < corpus.size();) {
    const size_t n = std::max<size_t>(utf8_length(corpus, i), 1);
    if (n == 1)
      byte_seen[static_cast<unsigned char>(corpus[i])] = true;
    else
      multi.insert(corpus.substr(i, n));
    i += n;
  }
  std::vector<std::string> chars(multi.begin(), multi.end());
  for (int b = 0; b < 256; ++b)
    if (byte_seen[b]) chars.emplace_back(1, static_cast<char>(b));
  // std::string compares bytes as unsigned, and UTF-8 byte order is code point order.
  std::sort(chars.begin(), chars.end());
  return CharTokenizer(std::move(chars), std::move(options));
}

void CharTokenizer::encode_text(std::string_view text, size_t base, std::vector<int64_t>& out) const {
  for (size_t i = 0; i < text.size();) {
    const unsigned char b = static_cast<unsigned char>(text[i]);
    size_t n = 1;
    int64_t id = -1;
    if (b < 0x80 || (n = utf8_length(text, i)) <= 1) {
      n = 1;
      id = byte_id_[b];
    } else if (auto it = multi_id_.find(std::string(text.substr(i, n))); it != multi_id_.end()) {
      id = it->second;
    }
    if (id < 0) {
      SOMA_CHECK(unk_id_ >= 0,
                 "CharTokenizer::encode: character {} at byte offset {} is not in the vocabulary of {} characters "
                 "(an unk_token would stand for it)",
                 describe_char(text.substr(i, n)), base + i, num_chars_);
      id = unk_id_;
    }
    out.push_back(id);
    i += n;
  }
}

std::vector<int64_t> CharTokenizer::encode(std::string_view text, const EncodeOptions& options) const {
  std::vector<int64_t> out;
  out.reserve(text.size());
  if (!options.special_tokens || special_.empty()) {
    encode_text(text, 0, out);
    return out;
  }
  detail::split_special(
      text, special_, [&](std::string_view piece, size_t offset) { encode_text(piece, offset, out); },
      [&](size_t k) { out.push_back(num_chars_ + static_cast<int64_t>(k)); });
  return out;
}

std::string CharTokenizer::decode(std::span<const int64_t> ids) const {
  std::string out;
  out.reserve(ids.size());
  for (int64_t id : ids) out += id_to_token(id);
  return out;
}

std::optional<int64_t> CharTokenizer::token_to_id(std::string_view token) const {
  if (auto it = special_id_.find(std::string(token)); it != special_id_.end()) return it->second;
  if (token.size() == 1 && byte_id_[static_cast<unsigned char>(token[0])] >= 0)
    return byte_id_[static_cast<unsigned char>(token[0])];
  if (auto it = multi_id_.find(std::string(token)); it != multi_id_.end()) return it->second;
  return std::nullopt;
}

std::string CharTokenizer::id_to_token(int64_t id) const {
  SOMA_CHECK(id >= 0 && id < vocab_size(), "CharTokenizer: token id {} is out of range for a vocabulary of {}", id,
             vocab_size());
  return tokens_[id];
}

std::string CharTokenizer::to_json() const {
  // Characters that are valid UTF-8 are JSON strings; a lone byte that is not is its value.
  nlohmann::json chars = nlohmann::json::array();
  for (int64_t id = 0; id < num_chars_; ++id) {
    const std::string& c = tokens_[id];
    if (utf8_length(c, 0) == c.size())
      chars.push_back(c);
    else
      chars.push_back(static_cast<unsigned char>(c[0]));
  }
  const nlohmann::json j = {{"type", "char"}, {"chars", chars}, {"special_tokens", special_}, {"unk_token", unk_}};
  return j.dump(1) + "\n";
}

CharTokenizer CharTokenizer::load(const std::string& path) {
  return from_json(detail::read_file(path, "CharTokenizer::load"), path);
}

CharTokenizer CharTokenizer::from_json(std::string_view json, const std::string& name) {
  constexpr const char* op = "CharTokenizer::load";
  const nlohmann::json j = detail::parse_json(json, name, op);
  using kind = nlohmann::json::value_t;
  SOMA_CHECK(detail::member(j, "type", kind::string, name, op) == "char",
             "{}: '{}' is a tokenizer of type {}, expected \"char\"", op, name, detail::json_excerpt(j["type"]));
  std::vector<std::string> chars;
  for (const nlohmann::json& c : detail::member(j, "chars", kind::array, name, op)) {
    if (c.is_string()) {
      chars.push_back(c.get<std::string>());
    } else {
      SOMA_CHECK(c.is_number_integer() && c.get<int64_t>() >= 0x80 && c.get<int64_t>() <= 0xFF,
                 "{}: '{}' has a \"chars\" entry {}, expected a string or a byte value in 128..255", op, name,
                 detail::json_excerpt(c));
      chars.emplace_back(1, static_cast<char>(c.get<int64_t>()));
    }
  }
  CharTokenizerOptions options{.special_tokens = detail::string_list(j, "special_tokens", name, op),
                               .unk_token = detail::member(j, "unk_token", kind::string, name, op)};
  try {
    return CharTokenizer(std::move(chars), std::move(options));
  } catch (const Error& e) {
    SOMA_FAIL("{}: '{}' is not a valid tokenizer: {}", op, name, e.what());
  }
}

}  // namespace soma::data
