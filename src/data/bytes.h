#pragma once
// Reading whole files into memory, gunzipping them when they start with the gzip magic bytes.
#include <string>
#include <string_view>

namespace soma::data::detail {

// The bytes of the file at `path`; throws "<op>: cannot read '<path>'" naming the cause.
std::string read_file(const std::string& path, const char* op);
// The file's bytes, decompressed when they start with the gzip magic (1f 8b).
std::string read_maybe_gzip(const std::string& path, const char* op);
// The decompressed contents of gzip data (one or more members); throws on corrupt or truncated input.
std::string gunzip(std::string_view data, const std::string& path, const char* op);
bool is_gzip(std::string_view data);

}  // namespace soma::data::detail
