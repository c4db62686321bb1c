#pragma once
// Helpers shared by the tokenizers: UTF-8 character boundaries, finding special tokens in
// text, and reading/writing their JSON files.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace soma::data::detail {

// Length (1-4) of the valid UTF-8 sequence starting at s[i], or 0 when s[i] does not start one
// (a stray continuation byte, an overlong form, a surrogate, a value above U+10FFFF, a
// truncated sequence).
size_t utf8_length(std::string_view s, size_t i);
// A character (as CharTokenizer defines it) for error messages: 'A' (U+0041), '\\n' (U+000A),
// or byte 0xFF when it is not valid UTF-8.
std::string describe_char(std::string_view c);

// Cuts every occurrence of a special token out of `text` (the longest one matching at the
// earliest position first) and calls, in order, plain(piece, byte offset of the piece) for the
// text between them and special(index into `specials`) for each occurrence.
template <class Plain, class Special>
void split_special(std::string_view text, const std::vector<std::string>& specials, Plain plain, Special special) {
  // next[k]: where specials[k] next occurs at or after `pos` (npos: nowhere), so that text
  // without a special token is searched once per token, not once per occurrence.
  std::vector<size_t> next(specials.size());
  for (size_t k = 0; k < specials.size(); ++k) next[k] = text.find(specials[k]);
  size_t pos = 0;
  while (true) {
    size_t best = std::string_view::npos, which = 0;
    for (size_t k = 0; k < specials.size(); ++k) {
      if (next[k] != std::string_view::npos && next[k] < pos) next[k] = text.find(specials[k], pos);
      if (next[k] < best || (next[k] == best && next[k] != std::string_view::npos &&
                             specials[k].size() > specials[which].size())) {
        best = next[k];
        which = k;
      }
    }
    if (best == std::string_view::npos) break;
    if (best > pos) plain(text.substr(pos, best - pos), pos);
    special(which);
    pos = best + specials[which].size();
  }
  if (pos < text.size()) plain(text.substr(pos), pos);
}

// Throws unless the special tokens are non-empty, distinct, valid UTF-8 strings.
void check_special_tokens(const std::vector<std::string>& specials, const char* op);

// Parses a tokenizer's JSON object; a syntax error throws soma::Error naming `name`.
nlohmann::json parse_json(std::string_view text, const std::string& name, const char* op);
// j[key] (an object's member); throws naming `name` when missing or of the wrong kind.
const nlohmann::json& member(const nlohmann::json& j, const char* key, nlohmann::json::value_t kind,
                             const std::string& name, const char* op);
// A JSON array of strings; throws naming `key` when it is not one.
std::vector<std::string> string_list(const nlohmann::json& j, const char* key, const std::string& name, const char* op);

}  // namespace soma::data::detail
