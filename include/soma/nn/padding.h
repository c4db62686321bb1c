#pragma once
// Padding layers (torch.nn's): ZeroPad2d, ConstantPad1d/2d/3d, ReflectionPad1d/2d/3d,
// ReplicationPad1d/2d/3d; each calls functional::pad. The padding is one number for every
// side or one per side in F.pad's order: (left, right[, top, bottom[, front, back]]).
//
//   nn::ReflectionPad2d pad(2);                       // [N, C, H, W] -> [N, C, H + 4, W + 4]
//   nn::ConstantPad1d crop({-1, 2}, 3.5);             // drop 1 element on the left, add two 3.5s on the right
#include <initializer_list>
#include <string>
#include <vector>

#include "soma/nn/functional/padding.h"
#include "soma/nn/module.h"

namespace soma::nn {

// A padding layer's sizes: one number for every side, or one per side.
struct PadSizes {
  PadSizes(int64_t all_sides) : values{all_sides}, same_for_all(true) {}
  PadSizes(std::initializer_list<int64_t> sides) : values(sides) {}
  PadSizes(std::vector<int64_t> sides) : values(std::move(sides)) {}
  std::vector<int64_t> values;
  bool same_for_all = false;
};

// The shared form of the padding layers (PyTorch's _ConstantPadNd, _ReflectionPadNd, ...).
class PadNd : public Module {
 public:
  Tensor forward(const Tensor& input) override;
  std::string extra_repr() const override;

  std::vector<int64_t> padding;  // 2 * dims values, F.pad's order
  std::string mode;
  double value;

 protected:
  PadNd(const char* name, int dims, const PadSizes& padding, std::string mode, double value = 0.0);
};

class ConstantPad1d : public PadNd {
 public:
  ConstantPad1d(PadSizes padding, double value) : PadNd("ConstantPad1d", 1, padding, "constant", value) {}
};
class ConstantPad2d : public PadNd {
 public:
  ConstantPad2d(PadSizes padding, double value) : PadNd("ConstantPad2d", 2, padding, "constant", value) {}
};
class ConstantPad3d : public PadNd {
 public:
  ConstantPad3d(PadSizes padding, double value) : PadNd("ConstantPad3d", 3, padding, "constant", value) {}
};
class ZeroPad2d : public PadNd {
 public:
  explicit ZeroPad2d(PadSizes padding) : PadNd("ZeroPad2d", 2, padding, "constant") {}
};
class ReflectionPad1d : public PadNd {
 public:
  explicit ReflectionPad1d(PadSizes padding) : PadNd("ReflectionPad1d", 1, padding, "reflect") {}
};
class ReflectionPad2d : public PadNd {
 public:
  explicit ReflectionPad2d(PadSizes padding) : PadNd("ReflectionPad2d", 2, padding, "reflect") {}
};
class ReflectionPad3d : public PadNd {
 public:
  explicit ReflectionPad3d(PadSizes padding) : PadNd("ReflectionPad3d", 3, padding, "reflect") {}
};
class ReplicationPad1d : public PadNd {
 public:
  explicit ReplicationPad1d(PadSizes padding) : PadNd("ReplicationPad1d", 1, padding, "replicate") {}
};
class ReplicationPad2d : public PadNd {
 public:
  explicit ReplicationPad2d(PadSizes padding) : PadNd("ReplicationPad2d", 2, padding, "replicate") {}
};
class ReplicationPad3d : public PadNd {
 public:
  explicit ReplicationPad3d(PadSizes padding) : PadNd("ReplicationPad3d", 3, padding, "replicate") {}
};

}  // namespace soma::nn
