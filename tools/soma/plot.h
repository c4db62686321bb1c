#pragma once
// Learning curves as a self-contained SVG: loss (left) and accuracy (right) per epoch, train
// and validation series.
#include <string>
#include <vector>

namespace soma::cli {

struct Series {
  std::string name;
  std::vector<double> values;  // one per epoch; NaN = missing
};

// Writes the SVG text for panels of series (e.g. {"loss", {train, val}}, {"accuracy", {...}}).
std::string learning_curve_svg(const std::vector<std::pair<std::string, std::vector<Series>>>& panels);

}  // namespace soma::cli
