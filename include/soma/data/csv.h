#pragma once
// CSV files to tensors (in the spirit of pandas.read_csv followed by sklearn's encoders).
//
//   auto t = data::read_csv("iris.csv", {.target = "species"});
//   // t.data: float32 [150, 4]; t.target: int64 [150] codes into t.target_categories
//
// Fields may be "quoted" (with "" for a quote, and delimiters or newlines inside). A column is
// categorical when its first present value is not a number; its values become integer codes
// into the sorted list of its distinct values. A numeric column with a value that is not a
// number is an error. Missing values are empty fields and NA, N/A, NaN, nan, null, NULL, ?.
// Errors name the file, the line (1-based, where the record starts) and the column.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "soma/tensor.h"

namespace soma::data {

enum class Missing {
  Error,  // a missing value throws
  NaN,    // a missing value becomes NaN (in the target too it throws)
};

struct CsvOptions {
  char delimiter = ',';
  // Whether the first row names the columns. Unset: it does when none of its fields is a
  // number while the second row has a number (set it for tables of text only).
  std::optional<bool> header = {};
  // The target column: a name (needs a header) or an index (negative counts from the end);
  // none by default.
  std::variant<std::monostate, std::string, int64_t> target = {};
  Missing missing = Missing::Error;
  DType dtype = kFloat32;  // of data (and of a numeric target): float32 or float64
};

struct CsvTable {
  Tensor data;                                       // [rows, features] (the target column removed)
  Tensor target;                                     // [rows]: int64 codes if categorical, else dtype; undefined if none
  std::vector<std::string> columns;                  // feature names (the header's, else "0", "1", ...)
  std::vector<std::vector<std::string>> categories;  // per feature: sorted categories, empty when numeric
  std::string target_name;
  std::vector<std::string> target_categories;        // empty when the target is numeric
};

// Gzip-compressed files (detected by their first bytes) may decompress to at most this many
// bytes; a larger (or a crafted, ~1000:1) file is refused.
constexpr size_t kMaxCsvGunzipBytes = size_t{1} << 30;

CsvTable read_csv(const std::string& path, const CsvOptions& options = {});
// The same from CSV text; `name` names it in errors.
CsvTable parse_csv(std::string_view text, const CsvOptions& options = {}, const std::string& name = "<memory>");

}  // namespace soma::data
