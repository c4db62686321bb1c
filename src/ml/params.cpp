// Parameter values, constraints and fields (see soma/ml/params.h).
#include "soma/ml/params.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdlib>

#include "soma/error.h"

namespace soma::ml {
namespace {

std::string number(double x) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  std::string s = fmt::format("{}", x);
  if (s.find_first_of(".eE") == std::string::npos) s += ".0";  // 1.0, as Python prints floats
  return s;
}

bool integral(double x) { return std::isfinite(x) && x == std::floor(x) && std::fabs(x) < 9.0e15; }

}  // namespace

std::string repr(const ParamValue& value) {
  struct {
    std::string operator()(NoneType) const { return "None"; }
    std::string operator()(bool b) const { return b ? "True" : "False"; }
    std::string operator()(int64_t i) const { return std::to_string(i); }
    std::string operator()(double d) const { return number(d); }
    std::string operator()(const std::string& s) const { return "'" + s + "'"; }
  } print;
  return std::visit(print, value);
}

ParamValue parse_param_value(std::string_view text) {
  if (text == "None" || text == "none") return None;
  if (text == "True" || text == "true") return true;
  if (text == "False" || text == "false") return false;
  int64_t i = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), i);
  if (ec == std::errc() && end == text.data() + text.size()) return i;
  if (!text.empty()) {
    std::string copy(text);
    char* stop = nullptr;
    double d = std::strtod(copy.c_str(), &stop);
    if (stop == copy.c_str() + copy.size() && !std::isspace(static_cast<unsigned char>(copy[0]))) return d;
  }
  if (text.size() >= 2 && (text.front() == '\'' || text.front() == '"') && text.back() == text.front())
    return std::string(text.substr(1, text.size() - 2));
  return std::string(text);
}

bool Interval::contains(double x) const {
  if (std::isnan(x)) return false;
  bool above = low_open ? x > low : x >= low;
  bool below = high_open ? x < high : x <= high;
  return above && below;
}

std::string Interval::describe(bool integers) const {
  auto bound = [&](double x) { return integers && std::isfinite(x) ? fmt::format("{}", static_cast<int64_t>(x)) : number(x); };
  return fmt::format("{}{}, {}{}", low_open || std::isinf(low) ? "(" : "[", bound(low), bound(high),
                     high_open || std::isinf(high) ? ")" : "]");
}

std::string Constraint::describe() const {
  std::vector<std::string> parts;
  if (integer) parts.push_back("an int in " + integer->describe(true));
  if (real) parts.push_back("a float in " + real->describe());
  if (boolean) parts.push_back("a bool");
  if (nan) parts.push_back("nan");
  if (none) parts.push_back("None");
  if (any_text) parts.push_back("a string");
  if (!options.empty()) {
    std::string list;
    for (size_t i = 0; i < options.size(); ++i) list += (i ? ", '" : "'") + options[i] + "'";
    parts.push_back((options.size() == 1 ? "" : "one of ") + list);
  }
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i == 0 ? "" : i + 1 == parts.size() ? " or " : ", ") + parts[i];
  return out;
}

bool Constraint::accepts(const ParamValue& value) const {
  if (std::holds_alternative<NoneType>(value)) return none;
  if (std::holds_alternative<bool>(value)) return boolean;
  if (auto* i = std::get_if<int64_t>(&value))
    return (integer && integer->contains(static_cast<double>(*i))) || (real && real->contains(static_cast<double>(*i)));
  if (auto* d = std::get_if<double>(&value))
    return (real && real->contains(*d)) || (nan && std::isnan(*d));  // 5.0 is not an int, as in scikit-learn
  const auto& s = std::get<std::string>(value);
  if (any_text) return true;
  for (const auto& o : options)
    if (o == s) return true;
  return false;
}

Constraint real_in(Interval interval) { return {.real = interval}; }
Constraint int_in(Interval interval) { return {.integer = interval}; }
Constraint one_of(std::vector<std::string> options) { return {.options = std::move(options)}; }
Constraint boolean() { return {.boolean = true}; }
Constraint int_or_none(Interval interval) { return {.none = true, .integer = interval}; }

ParamValue read_field(const ParamField& field) {
  struct {
    ParamValue operator()(bool* p) const { return *p; }
    ParamValue operator()(int64_t* p) const { return *p; }
    ParamValue operator()(double* p) const { return *p; }
    ParamValue operator()(std::string* p) const { return *p; }
    ParamValue operator()(std::optional<int64_t>* p) const { return *p ? ParamValue(**p) : ParamValue(None); }
    ParamValue operator()(std::optional<double>* p) const { return *p ? ParamValue(**p) : ParamValue(None); }
    ParamValue operator()(ParamValue* p) const { return *p; }
  } read;
  return std::visit(read, field);
}

namespace {
double as_double(const ParamValue& v) {
  if (auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
  if (auto* d = std::get_if<double>(&v)) return *d;
  SOMA_FAIL("parameter value {} is not a number", repr(v));
}
int64_t as_int(const ParamValue& v) {
  if (auto* i = std::get_if<int64_t>(&v)) return *i;
  if (auto* d = std::get_if<double>(&v); d && integral(*d)) return static_cast<int64_t>(*d);
  SOMA_FAIL("parameter value {} is not an int", repr(v));
}
}  // namespace

void write_field(const ParamField& field, const ParamValue& value) {
  struct {
    const ParamValue& v;
    void operator()(bool* p) const {
      SOMA_CHECK(std::holds_alternative<bool>(v), "parameter value {} is not a bool", repr(v));
      *p = std::get<bool>(v);
    }
    void operator()(int64_t* p) const { *p = as_int(v); }
    void operator()(double* p) const { *p = as_double(v); }
    void operator()(std::string* p) const {
      SOMA_CHECK(std::holds_alternative<std::string>(v), "parameter value {} is not a string", repr(v));
      *p = std::get<std::string>(v);
    }
    void operator()(std::optional<int64_t>* p) const {
      if (std::holds_alternative<NoneType>(v)) *p = std::nullopt; else *p = as_int(v);
    }
    void operator()(std::optional<double>* p) const {
      if (std::holds_alternative<NoneType>(v)) *p = std::nullopt; else *p = as_double(v);
    }
    void operator()(ParamValue* p) const { *p = v; }
  } write{value};
  std::visit(write, field);
}

}  // namespace soma::ml
