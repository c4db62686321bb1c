#pragma once
// Helpers shared by the elementwise-math, division, scan, statistics and distance tests.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "soma/soma.h"

namespace value_test {

inline constexpr double kInf = std::numeric_limits<double>::infinity();
inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Elementwise |got - want| <= atol + rtol |want|; infinities and NaNs must match exactly.
inline void expect_values(const soma::Tensor& t, const std::vector<double>& want, double rtol = 1e-12,
                          double atol = 1e-12) {
  std::vector<double> got = t.to_vector<double>();
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(want[i]) || std::isinf(want[i])) {
      EXPECT_TRUE(std::isnan(want[i]) ? std::isnan(got[i]) : got[i] == want[i]) << "element " << i << ": " << got[i];
    } else {
      EXPECT_NEAR(got[i], want[i], atol + rtol * std::abs(want[i])) << "element " << i;
    }
  }
}

// A leaf copy of t that requires grad.
inline soma::Tensor leaf(const soma::Tensor& t) { return t.detach().requires_grad_(); }

}  // namespace value_test
