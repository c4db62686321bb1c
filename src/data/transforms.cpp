// ToFloat, Normalize, one_hot, and the StandardScaler / MinMaxScaler of scikit-learn.
#include "soma/data/transforms.h"

#include <cmath>
#include <limits>

#include "soma/creation.h"
#include "soma/data/fashion_mnist.h"
#include "soma/indexing.h"
#include "soma/math.h"

namespace soma::data {

namespace {

constexpr double kEps = std::numeric_limits<double>::epsilon();

// Per-column statistics of a 2-D tensor in float64, NaNs skipped: count, mean, population var, min, max.
struct ColumnStats {
  std::vector<double> count, mean, var, min, max;
};

ColumnStats column_stats(const Tensor& x) {
  const Tensor d = x.to(kFloat64).contiguous();
  const int64_t n = d.size(0), f = d.size(1);
  const double* p = d.data<double>();
  ColumnStats s{std::vector<double>(f, 0), std::vector<double>(f, 0), std::vector<double>(f, 0),
                std::vector<double>(f, std::numeric_limits<double>::infinity()),
                std::vector<double>(f, -std::numeric_limits<double>::infinity())};
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < f; ++j) {
      const double v = p[i * f + j];
      if (std::isnan(v)) continue;
      s.count[j] += 1;
      s.mean[j] += v;
      s.min[j] = std::min(s.min[j], v);
      s.max[j] = std::max(s.max[j], v);
    }
  for (int64_t j = 0; j < f; ++j) s.mean[j] /= s.count[j];
  for (int64_t i = 0; i < n; ++i)  // two passes, as scikit-learn
    for (int64_t j = 0; j < f; ++j) {
      const double v = p[i * f + j];
      if (!std::isnan(v)) s.var[j] += (v - s.mean[j]) * (v - s.mean[j]);
    }
  for (int64_t j = 0; j < f; ++j) s.var[j] /= s.count[j];
  return s;
}

void check_2d(const char* op, const Tensor& x) {
  SOMA_CHECK(x.dim() == 2 && x.is_floating_point() && x.size(0) > 0,
             "{}: expected a non-empty floating-point tensor [samples, features], got shape {} of dtype {}", op,
             x.shape(), dtype_name(x.dtype()));
}

}  // namespace

Tensor ToFloat::operator()(const Tensor& x) const { return x.dtype() == kUInt8 ? bytes_to_unit(x) : x.to(kFloat32); }

Tensor Normalize::operator()(const Tensor& x) const {
  SOMA_CHECK(x.dim() >= 3 && x.is_floating_point(),
             "Normalize: expected a floating-point image [..., C, H, W], got shape {} of dtype {}", x.shape(),
             dtype_name(x.dtype()));
  const int64_t c = x.size(-3);
  auto per_channel = [&](const std::vector<double>& v, const char* what) {
    SOMA_CHECK(v.size() == 1 || static_cast<int64_t>(v.size()) == c,
               "Normalize: {} has {} values for an image with {} channels", what, v.size(), c);
    std::vector<double> full(c);
    for (int64_t k = 0; k < c; ++k) full[k] = v[v.size() == 1 ? 0 : k];
    return from_vector(full, {c, 1, 1}).to(x.dtype());
  };
  for (double s : std) SOMA_CHECK(s != 0, "Normalize: std must be nonzero, got {}", s);
  return (x - per_channel(mean, "mean")) / per_channel(std, "std");
}

Tensor one_hot(const Tensor& labels, int64_t num_classes, DType dtype) {
  return soma::one_hot(labels, num_classes).to(dtype);
}

void StandardScaler::check(const char* op, const Tensor& x) const {
  SOMA_CHECK(mean_.defined(), "{}: the scaler is not fitted (call fit first)", op);
  check_2d(op, x);
  SOMA_CHECK(x.size(1) == mean_.size(0), "{}: x has {} features, but the scaler was fitted on {}", op, x.size(1),
             mean_.size(0));
}

StandardScaler& StandardScaler::fit(const Tensor& x) {
  check_2d("StandardScaler.fit", x);
  const ColumnStats s = column_stats(x);
  std::vector<double> scale(s.var.size());
  for (size_t j = 0; j < scale.size(); ++j) {
    const double bound = s.count[j] * kEps * s.var[j] + std::pow(s.count[j] * s.mean[j] * kEps, 2);
    scale[j] = s.var[j] <= bound ? 1.0 : std::sqrt(s.var[j]);  // a constant feature keeps its values
  }
  mean_ = from_vector(s.mean);
  var_ = from_vector(s.var);
  scale_ = from_vector(scale);
  return *this;
}

Tensor StandardScaler::transform(const Tensor& x) const {
  check("StandardScaler.transform", x);
  Tensor y = options_.with_mean ? x - mean_.to(x.dtype()) : x;
  return options_.with_std ? y / scale_.to(x.dtype()) : y.clone();
}

Tensor StandardScaler::inverse_transform(const Tensor& x) const {
  check("StandardScaler.inverse_transform", x);
  Tensor y = options_.with_std ? x * scale_.to(x.dtype()) : x;
  return options_.with_mean ? y + mean_.to(x.dtype()) : y.clone();
}

MinMaxScaler::MinMaxScaler(Options options) : options_(options) {
  SOMA_CHECK(options.range_min < options.range_max, "MinMaxScaler: the range must have min < max, got ({}, {})",
             options.range_min, options.range_max);
}

void MinMaxScaler::check(const char* op, const Tensor& x) const {
  SOMA_CHECK(scale_.defined(), "{}: the scaler is not fitted (call fit first)", op);
  check_2d(op, x);
  SOMA_CHECK(x.size(1) == scale_.size(0), "{}: x has {} features, but the scaler was fitted on {}", op, x.size(1),
             scale_.size(0));
}

MinMaxScaler& MinMaxScaler::fit(const Tensor& x) {
  check_2d("MinMaxScaler.fit", x);
  const ColumnStats s = column_stats(x);
  const size_t f = s.min.size();
  std::vector<double> scale(f), shift(f);
  for (size_t j = 0; j < f; ++j) {
    double range = s.max[j] - s.min[j];
    if (range < 10 * kEps) range = 1;
    scale[j] = (options_.range_max - options_.range_min) / range;
    shift[j] = options_.range_min - s.min[j] * scale[j];
  }
  data_min_ = from_vector(s.min);
  data_max_ = from_vector(s.max);
  scale_ = from_vector(scale);
  min_ = from_vector(shift);
  return *this;
}

Tensor MinMaxScaler::transform(const Tensor& x) const {
  check("MinMaxScaler.transform", x);
  return x * scale_.to(x.dtype()) + min_.to(x.dtype());
}

Tensor MinMaxScaler::inverse_transform(const Tensor& x) const {
  check("MinMaxScaler.inverse_transform", x);
  return (x - min_.to(x.dtype())) / scale_.to(x.dtype());
}

}  // namespace soma::data
