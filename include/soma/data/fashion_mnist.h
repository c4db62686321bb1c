#pragma once
// MNIST and Fashion-MNIST (torchvision.datasets.MNIST / FashionMNIST) from their IDX files
// (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-..., each optionally .gz).
//
//   data::FashionMNIST train("train"), test("test");
//   data::DataLoader loader(train, {.batch_size = 128, .shuffle = true});
//   for (auto& [x, y] : loader) { ... }  // x: float32 [B, 1, 28, 28] in [0, 1], y: int64 [B]
//
// The files are looked for in options.root when given, else in $SOMA_DATA,
// $SOMA_DATA/fashion-mnist (or mnist), then /usr/share/datasets/fashion-mnist (or mnist),
// where Debian's dataset-fashion-mnist package installs them. A whole split is loaded once
// into one uint8 tensor; batches are row gathers converted to float on the way out.
#include <string>
#include <vector>

#include "soma/data/dataset.h"

namespace soma::data {

struct MNISTOptions {
  std::string root = {};   // directory holding the files; empty: search the default places
  DType dtype = kFloat32;   // kFloat32: inputs scaled to [0, 1]; kUInt8: the raw bytes 0..255
};

class MNIST : public Dataset {
 public:
  // split: "train" (60000 examples) or "test" (10000).
  explicit MNIST(const std::string& split = "train", MNISTOptions options = {});
  int64_t size() const override { return labels_.size(0); }
  // input [1, 28, 28] (options.dtype), target an int64 scalar.
  Example get(int64_t index) const override;
  Batch get_batch(std::span<const int64_t> indices) const override;
  // All images, uint8 [N, 28, 28], and all labels, int64 [N].
  const Tensor& images() const { return images_; }
  const Tensor& labels() const { return labels_; }
  const std::vector<std::string>& classes() const { return classes_; }
  // The directory the files were read from.
  const std::string& root() const { return root_; }

 protected:
  MNIST(const std::string& name, const std::string& subdir, std::vector<std::string> classes, const std::string& split,
        MNISTOptions options);

 private:
  Tensor images_, labels_;
  DType dtype_;
  std::vector<std::string> classes_;
  std::string root_;
};

class FashionMNIST : public MNIST {
 public:
  explicit FashionMNIST(const std::string& split = "train", MNISTOptions options = {});
};

// Bytes 0..255 as float32 in [0, 1] (x / 255, as torchvision's ToTensor).
Tensor bytes_to_unit(const Tensor& bytes);

}  // namespace soma::data
