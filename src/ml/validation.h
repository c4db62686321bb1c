#pragma once
// Checking and converting estimators' inputs (private to src/ml).
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "soma/tensor.h"

namespace soma::ml::detail {

// X as a contiguous float64 [n, d] (converted or copied when needed). Throws, naming
// `who` ("LogisticRegression.fit"), when X is undefined, not 2-D, has no rows or columns, or
// holds NaN or infinity (unless allow_nan, for estimators that handle missing values).
Tensor check_matrix(const Tensor& X, std::string_view who, bool allow_nan = false);
// The same as float32 (trees and forests split on float32 values, as scikit-learn does).
Tensor check_matrix_f32(const Tensor& X, std::string_view who, bool allow_nan = false);

// y as a contiguous float64 [n]: 1-D (or [n, 1]) with n entries, finite.
Tensor check_targets(const Tensor& y, int64_t n, std::string_view who);

// Class labels encoded as 0..k-1 in the order of the sorted distinct labels.
struct EncodedLabels {
  Tensor classes;              // int64 [k]
  std::vector<int64_t> codes;  // [n]
};
// y must be 1-D (or [n, 1]) with n entries of an integer or bool dtype, or integral floats
// ("Unknown label type: continuous" otherwise). At least two classes unless allow_one_class.
EncodedLabels encode_labels(const Tensor& y, int64_t n, std::string_view who, bool allow_one_class = false);
// classes[codes[i]] as int64 [n].
Tensor decode_labels(const Tensor& classes, const std::vector<int64_t>& codes);

// The seed an estimator draws from: random_state when set; else a fresh one from
// std::random_device (scikit-learn's None: a different run each time).
uint64_t resolve_seed(const std::optional<int64_t>& random_state);

// Rows of a row-major float64 matrix [n, d].
inline const double* row(const Tensor& matrix, int64_t i) {
  return matrix.data<double>() + i * matrix.size(1);
}

}  // namespace soma::ml::detail
