#pragma once
// JSON from untrusted files (safetensors headers, checkpoint records, tokenizer files).
//
// nlohmann's parser, dump() and destructor recurse once per level of nesting, so a file of
// 100,000 '[' overflows the stack. parse_untrusted_json refuses such nesting with a scan
// before parsing, and error messages show values through json_excerpt, never whole.
#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace soma::data::detail {

// The deepest nesting of arrays and objects accepted; the formats read need 3 or 4.
constexpr size_t kMaxJsonDepth = 64;

// `text` parsed. `what` starts the error messages, naming the op and the file, as in
// "load: model.safetensors: the header": "<what> is not valid JSON (<parser's message>)" or
// "<what> nests arrays and objects more than 64 deep".
nlohmann::json parse_untrusted_json(std::string_view text, std::string_view what);

// `j` as JSON, cut to about max_chars characters ("..." marks the cut), without ever
// rendering more of it than that: for error messages.
std::string json_excerpt(const nlohmann::json& j, size_t max_chars = 60);
// `text` cut to max_chars bytes ("..." marks the cut).
std::string text_excerpt(std::string_view text, size_t max_chars = 200);

}  // namespace soma::data::detail
