#include "data/untrusted_json.h"

#include "soma/error.h"

namespace soma::data::detail {

namespace {

using json = nlohmann::json;

// Throws unless `text` nests arrays and objects at most kMaxJsonDepth deep. Brackets inside
// strings do not count; unbalanced ones are left for the parser to reject.
void check_depth(std::string_view text, std::string_view what) {
  size_t depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;  // the escaped character, which may be a quote
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      SOMA_CHECK(++depth <= kMaxJsonDepth, "{} nests arrays and objects more than {} deep (at byte {})", what,
                 kMaxJsonDepth, i);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
}

std::string dump_scalar(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// Appends `j` to `out` until out passes `limit` characters.
void append_excerpt(const json& j, std::string& out, size_t limit) {
  if (j.is_string()) {  // cut before rendering: the string may be megabytes long
    const std::string& s = j.get_ref<const std::string&>();
    out += dump_scalar(s.size() > limit ? s.substr(0, limit) : s);
    return;
  }
  if (!j.is_structured()) {
    out += dump_scalar(j);
    return;
  }
  out += j.is_array() ? '[' : '{';
  for (auto it = j.begin(); it != j.end() && out.size() <= limit; ++it) {
    if (it != j.begin()) out += ',';
    if (j.is_object()) {
      append_excerpt(json(it.key()), out, limit);
      out += ':';
    }
    append_excerpt(*it, out, limit);
  }
  out += j.is_array() ? ']' : '}';
}

}  // namespace

json parse_untrusted_json(std::string_view text, std::string_view what) {
  check_depth(text, what);
  try {
    return json::parse(text);
  } catch (const json::exception& e) {
    SOMA_FAIL("{} is not valid JSON ({})", what, text_excerpt(e.what()));
  }
}

std::string json_excerpt(const json& j, size_t max_chars) {
  std::string out;
  append_excerpt(j, out, max_chars);
  return text_excerpt(out, max_chars);
}

std::string text_excerpt(std::string_view text, size_t max_chars) {
  if (text.size() <= max_chars) return std::string(text);
  return std::string(text.substr(0, max_chars)) + "...";
}

}  // namespace soma::data::detail
