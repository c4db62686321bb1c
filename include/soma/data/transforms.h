#pragma once
// Deterministic transforms (torchvision.transforms, sklearn.preprocessing). Each is a small
// callable on a Tensor; data::Compose (augment.h) chains them with random augmentations.
#include <cstdint>
#include <vector>

#include "soma/tensor.h"

namespace soma::data {

// uint8 0..255 to float32 in [0, 1] (x / 255); other dtypes to float32 unchanged in value.
struct ToFloat {
  Tensor operator()(const Tensor& x) const;
};

// (x - mean[c]) / std[c] for each channel c of [..., C, H, W] (one value applies to every channel).
struct Normalize {
  std::vector<double> mean = {};
  std::vector<double> std = {};
  Tensor operator()(const Tensor& x) const;
};

// One-hot rows of int64 class indices: shape [..., num_classes] (soma::one_hot), in `dtype`.
Tensor one_hot(const Tensor& labels, int64_t num_classes, DType dtype = kFloat32);

// sklearn.preprocessing.StandardScaler on [samples, features]: (x - mean) / std, with the
// population std; features that are constant (up to rounding) get scale 1. NaNs are ignored
// when fitting and stay NaN. Statistics are computed in float64.
struct StandardScalerOptions {
  bool with_mean = true;
  bool with_std = true;
};

class StandardScaler {
 public:
  using Options = StandardScalerOptions;
  explicit StandardScaler(Options options = {}) : options_(options) {}
  StandardScaler& fit(const Tensor& x);  // on the training split only
  Tensor transform(const Tensor& x) const;
  Tensor inverse_transform(const Tensor& x) const;
  Tensor fit_transform(const Tensor& x) { return fit(x).transform(x); }
  // Per-feature float64 statistics of the fit.
  const Tensor& mean() const { return mean_; }
  const Tensor& var() const { return var_; }
  const Tensor& scale() const { return scale_; }

 private:
  void check(const char* op, const Tensor& x) const;
  Options options_;
  Tensor mean_, var_, scale_;
};

// sklearn.preprocessing.MinMaxScaler: maps each feature's [min, max] over the training split
// to [range_min, range_max]; constant features map to range_min (their range counts as 1).
struct MinMaxScalerOptions {
  double range_min = 0;
  double range_max = 1;
};

class MinMaxScaler {
 public:
  using Options = MinMaxScalerOptions;
  explicit MinMaxScaler(Options options = {});
  MinMaxScaler& fit(const Tensor& x);
  Tensor transform(const Tensor& x) const;
  Tensor inverse_transform(const Tensor& x) const;
  Tensor fit_transform(const Tensor& x) { return fit(x).transform(x); }
  const Tensor& data_min() const { return data_min_; }
  const Tensor& data_max() const { return data_max_; }
  const Tensor& scale() const { return scale_; }  // x * scale + min_shift
  const Tensor& min_shift() const { return min_; }

 private:
  void check(const char* op, const Tensor& x) const;
  Options options_;
  Tensor data_min_, data_max_, scale_, min_;
};

}  // namespace soma::data
