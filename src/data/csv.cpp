// CSV parsing: records (with quoting), column typing, categorical codes, missing values.
#include "soma/data/csv.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>

#include "data/bytes.h"
#include "soma/creation.h"

namespace soma::data {

namespace {

struct Record {
  int64_t line;  // where it starts
  std::vector<std::string> fields;
};

std::vector<Record> split_records(std::string_view text, char delim, const std::string& name) {
  std::vector<Record> records;
  Record rec{1, {}};
  std::string field;
  int64_t line = 1;
  bool quoted = false, after_quote = false;
  auto end_field = [&] {
    rec.fields.push_back(std::move(field));
    field.clear();
    after_quote = false;
  };
  auto end_record = [&] {
    end_field();
    if (rec.fields.size() > 1 || !rec.fields[0].empty()) records.push_back(std::move(rec));  // skip blank lines
    rec = Record{line, {}};
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field.push_back('"');
          ++i;
        } else {
          quoted = false;
          after_quote = true;
        }
      } else {
        if (c == '\n') ++line;
        field.push_back(c);
      }
    } else if (c == delim) {
      end_field();
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      ++line;
      end_record();
    } else if (after_quote) {
      SOMA_CHECK(c == ' ' || c == '\t', "read_csv: '{}' line {}, column {}: unexpected '{}' after a closing quote",
                 name, line, rec.fields.size() + 1, c);
    } else if (c == '"' && field.find_first_not_of(" \t") == std::string::npos) {
      quoted = true;
      field.clear();
    } else {
      field.push_back(c);
    }
  }
  SOMA_CHECK(!quoted, "read_csv: '{}' line {}: a quoted field is not closed by the end of the file", name, line);
  end_record();
  return records;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_missing(std::string_view s) {
  s = trim(s);
  for (std::string_view m : {"", "NA", "N/A", "NaN", "nan", "null", "NULL", "?"})
    if (s == m) return true;
  return false;
}

bool parse_number(std::string_view s, double& v) {
  s = trim(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty() || s.front() == '+') return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && end == s.data() + s.size();
}

bool is_number(std::string_view s) {
  double v;
  return parse_number(s, v);
}

// A column's values as doubles: numbers, or codes into `categories`; NaN where missing.
struct Column {
  std::vector<double> values;
  std::vector<std::string> categories;
};

Column encode(const std::vector<Record>& rows, size_t col, const std::string& col_name, bool is_target,
              const CsvOptions& options, const std::string& name) {
  Column out;
  out.values.resize(rows.size());
  bool categorical = false;
  for (const Record& r : rows)
    if (!is_missing(r.fields[col])) {
      categorical = !is_number(r.fields[col]);
      break;
    }
  std::map<std::string, int64_t> codes;
  for (size_t i = 0; i < rows.size(); ++i) {
    const std::string& f = rows[i].fields[col];
    if (is_missing(f)) {
      SOMA_CHECK(options.missing == Missing::NaN && !is_target, "read_csv: '{}' line {}, column {} ('{}'): missing {}",
                 name, rows[i].line, col + 1, col_name, is_target ? "target value" : "value");
      out.values[i] = std::numeric_limits<double>::quiet_NaN();
    } else if (categorical) {
      codes.try_emplace(std::string(trim(f)), 0);
    } else {
      SOMA_CHECK(parse_number(f, out.values[i]), "read_csv: '{}' line {}, column {} ('{}'): '{}' is not a number", name,
                 rows[i].line, col + 1, col_name, f);
    }
  }
  if (categorical) {
    for (auto& [category, code] : codes) {
      code = static_cast<int64_t>(out.categories.size());
      out.categories.push_back(category);
    }
    for (size_t i = 0; i < rows.size(); ++i)
      if (!is_missing(rows[i].fields[col]))
        out.values[i] = static_cast<double>(codes.at(std::string(trim(rows[i].fields[col]))));
  }
  return out;
}

}  // namespace

CsvTable parse_csv(std::string_view text, const CsvOptions& options, const std::string& name) {
  SOMA_CHECK(options.dtype == kFloat32 || options.dtype == kFloat64, "read_csv: dtype must be float32 or float64, got {}",
             dtype_name(options.dtype));
  SOMA_CHECK(options.delimiter != '"' && options.delimiter != '\n' && options.delimiter != '\r',
             "read_csv: the delimiter cannot be a quote or a line break");
  std::vector<Record> rows = split_records(text, options.delimiter, name);
  SOMA_CHECK(!rows.empty(), "read_csv: '{}' has no rows", name);
  const size_t ncols = rows[0].fields.size();
  for (const Record& r : rows)
    SOMA_CHECK(r.fields.size() == ncols, "read_csv: '{}' line {} has {} fields, expected {} (as on line {})", name,
               r.line, r.fields.size(), ncols, rows[0].line);

  bool header = false;
  if (options.header) {
    header = *options.header;
  } else if (rows.size() > 1) {
    bool first_has_number = false, second_has_number = false;
    for (size_t c = 0; c < ncols; ++c) {
      first_has_number |= is_number(rows[0].fields[c]);
      second_has_number |= is_number(rows[1].fields[c]);
    }
    header = !first_has_number && second_has_number;
  }
  std::vector<std::string> names(ncols);
  for (size_t c = 0; c < ncols; ++c) names[c] = header ? std::string(trim(rows[0].fields[c])) : std::to_string(c);
  if (header) rows.erase(rows.begin());

  int64_t target = -1;
  if (const auto* s = std::get_if<std::string>(&options.target)) {
    auto it = std::find(names.begin(), names.end(), *s);
    SOMA_CHECK(it != names.end(), "read_csv: '{}' has no column named '{}'{}", name, *s,
               header ? "" : " (it has no header)");
    target = it - names.begin();
  } else if (const auto* i = std::get_if<int64_t>(&options.target)) {
    const int64_t n = static_cast<int64_t>(ncols);
    SOMA_CHECK(*i >= -n && *i < n, "read_csv: target column {} is out of range for '{}' with {} columns", *i, name, n);
    target = *i < 0 ? *i + n : *i;
  }

  CsvTable table;
  const int64_t nrows = static_cast<int64_t>(rows.size()), nfeat = static_cast<int64_t>(ncols) - (target >= 0);
  Tensor data = empty({nrows, nfeat}, kFloat64);
  double* d = data.data<double>();
  for (size_t c = 0, f = 0; c < ncols; ++c) {
    Column col = encode(rows, c, names[c], static_cast<int64_t>(c) == target, options, name);
    if (static_cast<int64_t>(c) == target) {
      table.target_name = names[c];
      const bool categorical = !col.categories.empty();
      table.target = from_vector(col.values).to(categorical ? kInt64 : options.dtype);
      table.target_categories = std::move(col.categories);
      continue;
    }
    for (int64_t r = 0; r < nrows; ++r) d[r * nfeat + f] = col.values[r];
    table.columns.push_back(names[c]);
    table.categories.push_back(std::move(col.categories));
    ++f;
  }
  table.data = data.to(options.dtype);
  return table;
}

CsvTable read_csv(const std::string& path, const CsvOptions& options) {
  return parse_csv(detail::read_maybe_gzip(path, "read_csv", kMaxCsvGunzipBytes), options, path);
}

}  // namespace soma::data
