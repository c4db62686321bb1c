#pragma once
// Preprocessing transformers (scikit-learn's sklearn.preprocessing and sklearn.impute): scaling,
// imputing, polynomial features, one-hot and label encoding. All compute in float64.
//
//   ml::StandardScaler scaler;
//   Tensor Z = scaler.fit_transform(X_train);   // zero mean, unit variance per column
//   Tensor Z_test = scaler.transform(X_test);
//
// Values are numbers only (a Tensor holds no strings): categories and labels are numbers, as
// scikit-learn's are for numeric arrays. `copy` parameters are accepted and have no effect
// (transform always returns a new array).
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "soma/ml/estimator.h"

namespace soma::ml {

// (x - mean_) / scale_ per column. var_ is the population variance; a constant column (variance
// within rounding of zero, scikit-learn's test) gets scale_ 1. mean_, var_ and scale_ are
// computed whatever with_mean / with_std say; those only choose what transform applies. Left
// out: NaN handling (X must be finite), partial_fit, sample_weight.
struct StandardScalerOptions {
  bool copy = true;
  bool with_mean = true;
  bool with_std = true;
};

class StandardScaler : public Cloneable<StandardScaler, Transformer> {
 public:
  explicit StandardScaler(StandardScalerOptions options = {}) : options_(options) {}
  std::string_view name() const override { return "StandardScaler"; }
  StandardScaler& fit(const Tensor& X, const Tensor& y = Tensor()) override;
  Tensor transform(const Tensor& X) const override;
  Tensor inverse_transform(const Tensor& X) const;

  Tensor mean_, var_, scale_;  // float64 [n_features]
  int64_t n_samples_seen_ = 0;

 protected:
  void visit_params(ParamVisitor& v) override;
  void visit_fitted(const std::function<void(const char*, Tensor&)>& visit) override;
  void check_fitted_state() const override;

 private:
  StandardScalerOptions options_;
};

// x * scale_ + min_ per column, mapping each column's training range onto feature_range (a
// constant column maps to the range's lower end). feature_range is a parameter "(min, max)" as
// text, since parameters are scalars here: "(0, 1)", "(-1, 1)".
struct MinMaxScalerOptions {
  std::string feature_range = "(0, 1)";
  bool copy = true;
  bool clip = false;  // clip transformed values into feature_range
};

class MinMaxScaler : public Cloneable<MinMaxScaler, Transformer> {
 public:
  explicit MinMaxScaler(MinMaxScalerOptions options = {}) : options_(std::move(options)) {}
  std::string_view name() const override { return "MinMaxScaler"; }
  MinMaxScaler& fit(const Tensor& X, const Tensor& y = Tensor()) override;
  Tensor transform(const Tensor& X) const override;
  Tensor inverse_transform(const Tensor& X) const;

  Tensor min_, scale_, data_min_, data_max_, data_range_;  // float64 [n_features]
  int64_t n_samples_seen_ = 0;

 protected:
  void visit_params(ParamVisitor& v) override;
  void visit_fitted(const std::function<void(const char*, Tensor&)>& visit) override;
  void check_fitted_state() const override;

 private:
  std::pair<double, double> range(std::string_view who) const;
  MinMaxScalerOptions options_;
};

// Replaces missing values (missing_values: NaN by default, or a number) per column by the
// column's mean, median, most frequent value (the smallest on a tie) or fill_value ('constant';
// None means 0). A column with no observed value is dropped by transform, as in scikit-learn
// 1.2 (keep_empty_features=False), except with 'constant'. Left out: add_indicator,
// keep_empty_features, string data.
struct SimpleImputerOptions {
  double missing_values = std::numeric_limits<double>::quiet_NaN();
  std::string strategy = "mean";  // 'mean' | 'median' | 'most_frequent' | 'constant'
  std::optional<double> fill_value = std::nullopt;
  bool copy = true;
};

class SimpleImputer : public Cloneable<SimpleImputer, Transformer> {
 public:
  explicit SimpleImputer(SimpleImputerOptions options = {}) : options_(std::move(options)) {}
  std::string_view name() const override { return "SimpleImputer"; }
  SimpleImputer& fit(const Tensor& X, const Tensor& y = Tensor()) override;
  Tensor transform(const Tensor& X) const override;

  Tensor statistics_;  // float64 [n_features]; NaN for a column with no observed value

 protected:
  void visit_params(ParamVisitor& v) override;
  void visit_fitted(const std::function<void(const char*, Tensor&)>& visit) override;
  void check_fitted_state() const override;

 private:
  bool is_missing(double v) const;
  SimpleImputerOptions options_;
};

// All monomials of the features up to degree, in scikit-learn's column order: the bias, then
// degree 1, 2, ... each in lexicographic order of the feature indices (x0², x0·x1, x1², ...).
// powers_[i, j] is the exponent of feature j in output column i. Left out: degree as a
// (min, max) pair, order='F'.
struct PolynomialFeaturesOptions {
  int64_t degree = 2;
  bool interaction_only = false;
  bool include_bias = true;
  std::string order = "C";
};

class PolynomialFeatures : public Cloneable<PolynomialFeatures, Transformer> {
 public:
  explicit PolynomialFeatures(PolynomialFeaturesOptions options = {}) : options_(std::move(options)) {}
  std::string_view name() const override { return "PolynomialFeatures"; }
  PolynomialFeatures& fit(const Tensor& X, const Tensor& y = Tensor()) override;
  Tensor transform(const Tensor& X) const override;

  Tensor powers_;  // int64 [n_output_features, n_features]
  int64_t n_output_features_ = 0;

 protected:
  void visit_params(ParamVisitor& v) override;
  void visit_fitted(const std::function<void(const char*, Tensor&)>& visit) override;
  void check_fitted_state() const override;

 private:
  PolynomialFeaturesOptions options_;
};

// One column per category of each input column (categories_: the sorted distinct training
// values), 1 where the row has that value. handle_unknown 'ignore' encodes an unseen value as all
// zeros; drop 'first' / 'if_binary' leaves out the first category (of every column / of the
// two-category columns). Dense output only: sparse_output must be False (scikit-learn's default
// is True). Left out: categories as lists, drop as an array, min_frequency, max_categories,
// dtype (the output is float64).
struct OneHotEncoderOptions {
  std::string categories = "auto";
  ParamValue drop = None;  // None | 'first' | 'if_binary'
  bool sparse_output = false;
  std::string handle_unknown = "error";  // 'error' | 'ignore'
};

class OneHotEncoder : public Cloneable<OneHotEncoder, Transformer> {
 public:
  explicit OneHotEncoder(OneHotEncoderOptions options = {}) : options_(std::move(options)) {}
  std::string_view name() const override { return "OneHotEncoder"; }
  OneHotEncoder& fit(const Tensor& X, const Tensor& y = Tensor()) override;
  Tensor transform(const Tensor& X) const override;
  // An all-zero group (an unknown value under 'ignore') decodes to NaN; a dropped category is
  // what an all-zero group means when drop is set.
  Tensor inverse_transform(const Tensor& X) const;

  std::vector<Tensor> categories_;  // per input column: float64 [n_categories], sorted
  Tensor drop_idx_;                 // int64 [n_features]: the dropped category, -1 for none

  StateDict fitted_state() const override;  // categories_ as "categories_.<column>"
  void load_fitted_state(const StateDict& state) override;

 protected:
  void visit_params(ParamVisitor& v) override;

 private:
  int64_t n_output() const;
  OneHotEncoderOptions options_;
};

// Class labels to 0..n_classes-1 and back. fit / transform take y, a 1-D array of integer labels
// (or integral floats); the X-named arguments of the interface are y here.
class LabelEncoder : public Cloneable<LabelEncoder, Transformer> {
 public:
  std::string_view name() const override { return "LabelEncoder"; }
  LabelEncoder& fit(const Tensor& y, const Tensor& unused = Tensor()) override;
  Tensor transform(const Tensor& y) const override;  // int64 [n]
  Tensor inverse_transform(const Tensor& codes) const;  // int64 [n]

 protected:
  void visit_params(ParamVisitor&) override {}
  void visit_fitted(const std::function<void(const char*, Tensor&)>& visit) override;
  void check_fitted_state() const override;

 public:
  Tensor classes_;  // int64 [n_classes], sorted
};

}  // namespace soma::ml
