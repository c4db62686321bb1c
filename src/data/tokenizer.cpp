// The helpers the tokenizers share (UTF-8, special tokens, JSON files) and load_tokenizer.
#include "soma/data/tokenizer.h"

#include <filesystem>
#include <fstream>
#include <set>

#include "data/bytes.h"
#include "data/tokenizer_detail.h"
#include "data/untrusted_json.h"
#include "soma/data/bpe.h"
#include "soma/error.h"

namespace soma::data {

namespace detail {

size_t utf8_length(std::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b = byte(i);
  if (b < 0x80) return 1;
  // The lead byte gives the length and the smallest value, which rules out overlong forms.
  size_t n;
  uint32_t cp, min;
  if (b >= 0xC2 && b <= 0xDF) n = 2, cp = b & 0x1F, min = 0x80;
  else if (b >= 0xE0 && b <= 0xEF) n = 3, cp = b & 0x0F, min = 0x800;
  else if (b >= 0xF0 && b <= 0xF4) n = 4, cp = b & 0x07, min = 0x10000;
  else return 0;
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = cp << 6 | (byte(i + k) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

std::string describe_char(std::string_view c) {
  if (c.empty()) return "''";
  if (utf8_length(c, 0) != c.size()) return fmt::format("byte 0x{:02X}", static_cast<unsigned char>(c[0]));
  uint32_t cp = static_cast<unsigned char>(c[0]);
  if (c.size() > 1) {
    cp &= 0xFF >> (c.size() + 1);
    for (size_t k = 1; k < c.size(); ++k) cp = cp << 6 | (static_cast<unsigned char>(c[k]) & 0x3F);
  }
  std::string shown(c);
  if (cp < 0x20 || cp == 0x7F) {
    shown = cp == '\n' ? "\\n" : cp == '\t' ? "\\t" : cp == '\r' ? "\\r" : fmt::format("\\x{:02X}", cp);
  }
  return fmt::format("'{}' (U+{:04X})", shown, cp);
}

void check_special_tokens(const std::vector<std::string>& specials, const char* op) {
  std::set<std::string_view> seen;
  for (const std::string& t : specials) {
    SOMA_CHECK(!t.empty(), "{}: a special token is empty", op);
    for (size_t i = 0; i < t.size();) {
      const size_t n = utf8_length(t, i);
      SOMA_CHECK(n > 0, "{}: a special token is not valid UTF-8 (byte 0x{:02X} at offset {})", op,
                 static_cast<unsigned char>(t[i]), i);
      i += n;
    }
    SOMA_CHECK(seen.insert(t).second, "{}: special token '{}' is given twice", op, t);
  }
}

nlohmann::json parse_json(std::string_view text, const std::string& name, const char* op) {
  const nlohmann::json j = parse_untrusted_json(text, fmt::format("{}: '{}'", op, name));
  SOMA_CHECK(j.is_object(), "{}: '{}' is not a tokenizer (expected a JSON object)", op, name);
  return j;
}

const nlohmann::json& member(const nlohmann::json& j, const char* key, nlohmann::json::value_t kind,
                             const std::string& name, const char* op) {
  const auto it = j.find(key);
  SOMA_CHECK(it != j.end(), "{}: '{}' has no \"{}\"", op, name, key);
  // Unsigned and signed integers are the same kind here.
  const bool integer = kind == nlohmann::json::value_t::number_integer && it->is_number_integer();
  SOMA_CHECK(it->type() == kind || integer, "{}: '{}' has a \"{}\" of type {}, expected {}", op, name, key,
             it->type_name(), nlohmann::json(kind).type_name());
  return *it;
}

std::vector<std::string> string_list(const nlohmann::json& j, const char* key, const std::string& name,
                                     const char* op) {
  std::vector<std::string> out;
  for (const nlohmann::json& e : member(j, key, nlohmann::json::value_t::array, name, op)) {
    SOMA_CHECK(e.is_string(), "{}: '{}' has a \"{}\" entry of type {}, expected a string", op, name, key,
               e.type_name());
    out.push_back(e.get<std::string>());
  }
  return out;
}

}  // namespace detail

void Tokenizer::save(const std::string& path) const {
  const std::string json = to_json();
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary);
    SOMA_CHECK(out, "Tokenizer::save: cannot write '{}'", tmp);
    out << json;
    SOMA_CHECK(out.good(), "Tokenizer::save: writing '{}' failed", tmp);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  SOMA_CHECK(!ec, "Tokenizer::save: cannot rename '{}' to '{}': {}", tmp, path, ec.message());
}

std::unique_ptr<Tokenizer> tokenizer_from_json(std::string_view json, const std::string& name) {
  constexpr const char* op = "load_tokenizer";
  const nlohmann::json j = detail::parse_json(json, name, op);
  const std::string type = detail::member(j, "type", nlohmann::json::value_t::string, name, op).get<std::string>();
  if (type == "char") return std::make_unique<CharTokenizer>(CharTokenizer::from_json(json, name));
  if (type == "bpe") return std::make_unique<BPETokenizer>(BPETokenizer::from_json(json, name));
  SOMA_FAIL("{}: '{}' has unknown tokenizer type '{}' (expected 'char' or 'bpe')", op, name, type);
}

std::unique_ptr<Tokenizer> load_tokenizer(const std::string& path) {
  return tokenizer_from_json(detail::read_file(path, "load_tokenizer"), path);
}

}  // namespace soma::data
