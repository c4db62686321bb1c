#pragma once
// Helpers shared by test_conv.cpp and test_pool.cpp: the deterministic inputs of
// tests/golden/gen_conv.py and comparisons with its values.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "error_of.h"
#include "soma/soma.h"

namespace soma::testing {

using ::error_of;

// sin(a * i + b) over the row-major index i, float64 (gen_conv.py's seq).
inline Tensor seq(const Shape& shape, double a, double b) {
  return (arange(0, shape.numel(), 1, kFloat64) * a + b).sin().reshape(shape);
}

inline void expect_values(const Tensor& t, const std::vector<double>& expected, const std::string& what,
                          double tol = 1e-9) {
  std::vector<double> v = t.contiguous().to_vector<double>();
  ASSERT_EQ(v.size(), expected.size()) << what << ": shape " << fmt::format("{}", t.shape());
  for (size_t i = 0; i < v.size(); ++i)
    ASSERT_NEAR(v[i], expected[i], tol * std::max(1.0, std::abs(expected[i]))) << what << " element " << i;
}

// Runs `f` on gen_conv.py's inputs of the given shapes and compares the output and the
// gradients of sum(y * seq(y.shape, 0.29, 0.4)) with the golden values.
inline void expect_golden(const std::function<Tensor(const TensorList&)>& f, const std::vector<Shape>& shapes,
                          const Shape& out_shape, const std::vector<double>& out,
                          const std::vector<std::vector<double>>& grads) {
  TensorList inputs;
  for (size_t k = 0; k < shapes.size(); ++k) inputs.push_back(seq(shapes[k], 0.37 + 0.11 * k, 0.1 * k).requires_grad_());
  Tensor y = f(inputs);
  EXPECT_EQ(y.shape(), out_shape);
  expect_values(y, out, "output");
  (y * seq(y.shape(), 0.29, 0.4)).sum().backward();
  for (size_t k = 0; k < inputs.size(); ++k) expect_values(inputs[k].grad(), grads[k], "grad " + std::to_string(k));
}

}  // namespace soma::testing
