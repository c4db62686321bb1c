#pragma once
// Hyper-parameters by scikit-learn's names, so that search, the command line and saved models
// can read and set any of them.
//
//   auto forest = ml::make_estimator("RandomForestClassifier");
//   forest->set_params({{"n_estimators", int64_t{50}}, {"max_depth", ml::None}});
//   forest->set_param("criterion", ml::parse_param_value("entropy"));
//
// A value is None, a bool, an int, a float or a string, like the Python values scikit-learn
// takes. Each parameter states what it accepts (its Constraint, as scikit-learn's
// `_parameter_constraints`); a value outside it is a soma::Error naming the estimator, the
// parameter, what it accepts and what it got.
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace soma::ml {

using NoneType = std::monostate;
inline constexpr NoneType None{};
using ParamValue = std::variant<NoneType, bool, int64_t, double, std::string>;
using Params = std::map<std::string, ParamValue>;

// Python's spelling: None, True, 3, 0.5, 'gini'.
std::string repr(const ParamValue& value);
// Command-line text to a value: None, true/True, false/False, an integer, a float (inf, nan
// included), else the text as a string.
ParamValue parse_param_value(std::string_view text);

// A closed or open interval of numbers.
struct Interval {
  double low = -std::numeric_limits<double>::infinity();
  double high = std::numeric_limits<double>::infinity();
  bool low_open = false;
  bool high_open = false;
  bool contains(double x) const;
  std::string describe(bool integers = false) const;  // "[0.0, inf)", "(0.0, 1.0]"; "[1, inf)" for ints
};
inline Interval at_least(double low) { return {low}; }
inline Interval greater_than(double low) { return {low, std::numeric_limits<double>::infinity(), true}; }
inline Interval between(double low, double high) { return {low, high}; }

// What one parameter accepts; a value may match any of the alternatives.
struct Constraint {
  bool none = false;                   // None
  bool boolean = false;                // True/False
  std::optional<Interval> integer = {};     // ints in this interval
  std::optional<Interval> real = {};      // floats (and ints) in this interval
  std::vector<std::string> options = {};  // these strings
  // Two rarer cases (SimpleImputer's missing_values=nan, MinMaxScaler's feature_range as text):
  bool nan = false;        // the float nan
  bool any_text = false;   // any string (the estimator parses and checks it when it fits)
  std::string describe() const;        // "an int in [1, inf), None or one of 'sqrt', 'log2'"
  bool accepts(const ParamValue& value) const;
};

// A reference to the field that holds a parameter inside an estimator's options.
using ParamField = std::variant<bool*, int64_t*, double*, std::string*, std::optional<int64_t>*,
                                std::optional<double>*, ParamValue*>;

// Estimators list their parameters to a visitor: one call per parameter, in scikit-learn's
// order. get_params, set_params, clone and save/load all go through this one list.
class ParamVisitor {
 public:
  virtual ~ParamVisitor() = default;
  virtual void visit(const char* name, ParamField field, const Constraint& constraint) = 0;
};

// Helpers for the common kinds of parameter.
Constraint real_in(Interval interval);
Constraint int_in(Interval interval);
Constraint one_of(std::vector<std::string> options);
Constraint boolean();
Constraint int_or_none(Interval interval);  // random_state, max_depth, ...

// Reads `field` as a value / writes a value (already checked against the constraint) into it.
ParamValue read_field(const ParamField& field);
void write_field(const ParamField& field, const ParamValue& value);

}  // namespace soma::ml
