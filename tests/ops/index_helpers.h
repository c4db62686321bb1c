#pragma once
// Helpers shared by the views and indexing tests.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "soma/soma.h"

namespace index_test {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
inline constexpr double kInf = std::numeric_limits<double>::infinity();

// Expects `t` to have `shape` and exactly `values` in row-major order (NaN matches NaN).
inline void expect_values(const soma::Tensor& t, const soma::Shape& shape, const std::vector<double>& values) {
  EXPECT_EQ(t.shape().str(), shape.str());
  std::vector<double> got = t.to_vector<double>();
  ASSERT_EQ(got.size(), values.size());
  for (size_t i = 0; i < got.size(); ++i)
    if (!(std::isnan(values[i]) && std::isnan(got[i]))) {
      EXPECT_EQ(got[i], values[i]) << "element " << i;
    }
}

// Expects f() to throw a soma::Error whose message contains `part`.
template <class F>
void expect_error(F f, const std::string& part) {
  try {
    f();
    ADD_FAILURE() << "expected an error containing: " << part;
  } catch (const soma::Error& e) {
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

// A float64 leaf of `shape` with distinct random values, requiring grad.
inline soma::Tensor leaf(const soma::Shape& shape, uint64_t seed) {
  soma::Generator gen(seed);
  return soma::randn(shape, soma::kFloat64, &gen).requires_grad_();
}

// The X used by tests/golden/gen_index.py.
inline soma::Tensor golden_x() {
  return soma::tensor({{0.5, -1.0, 2.0, 3.5}, {4.0, -2.5, 0.0, 1.5}, {7.0, 6.0, -3.0, 2.5}}, soma::kFloat64);
}

}  // namespace index_test
