#pragma once
// A table of golden cases of single-input ops (test_padding.cpp, test_upsampling.cpp): each runs
// through expect_golden on gen_conv.py's deterministic input.
#include <functional>
#include <vector>

#include "conv_test_util.h"

namespace soma::testing {

struct GoldenCase {
  const char* name;
  std::function<Tensor(const Tensor&)> op;
  Shape in, out;
  const std::vector<double>& values;
  const std::vector<double>& grad;
};

inline void expect_golden_cases(const std::vector<GoldenCase>& cases) {
  for (const GoldenCase& c : cases) {
    SCOPED_TRACE(c.name);
    expect_golden([&](const TensorList& t) { return c.op(t[0]); }, {c.in}, c.out, c.values, {c.grad});
  }
}

}  // namespace soma::testing
