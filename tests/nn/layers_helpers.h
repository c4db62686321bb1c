#pragma once
// Shared helpers of the layer tests.
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "error_of.h"
#include "soma/soma.h"

namespace layers_test {

using ::error_of;

using namespace soma;

// The closed-form inputs of tests/golden/gen_layers.py: x[i] = 3 sin(1.7 i + 0.3), float64.
inline Tensor xs(const Shape& shape) {
  std::vector<double> v(shape.numel());
  for (size_t i = 0; i < v.size(); ++i) v[i] = 3 * std::sin(1.7 * static_cast<double>(i) + 0.3);
  return from_vector(v, shape);
}

inline Tensor golden(const std::vector<double>& v, const Shape& shape) { return from_vector(v, shape); }

}  // namespace layers_test
