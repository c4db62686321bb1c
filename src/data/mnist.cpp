// MNIST and Fashion-MNIST: locating the IDX files and serving rows of the loaded split.
#include "soma/data/fashion_mnist.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "soma/creation.h"
#include "soma/data/idx.h"

namespace soma::data {

namespace {

namespace fs = std::filesystem;

// The path of `file` (or file.gz) in dir, or empty.
std::string find_in(const std::string& dir, const std::string& file) {
  for (const std::string& name : {file, file + ".gz"}) {
    std::error_code ec;
    if (fs::is_regular_file(fs::path(dir) / name, ec)) return (fs::path(dir) / name).string();
  }
  return {};
}

std::vector<std::string> search_dirs(const std::string& root, const std::string& subdir) {
  if (!root.empty()) return {root};
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("SOMA_DATA"); env && *env) {
    dirs.push_back(env);
    dirs.push_back((fs::path(env) / subdir).string());
  }
  dirs.push_back("/usr/share/datasets/" + subdir);
  return dirs;
}

}  // namespace

Tensor bytes_to_unit(const Tensor& bytes) {
  SOMA_CHECK(bytes.dtype() == kUInt8, "bytes_to_unit: expected a uint8 tensor, got {}", dtype_name(bytes.dtype()));
  const Tensor src = bytes.contiguous();
  Tensor out = empty(src.shape(), kFloat32);
  const uint8_t* in = src.data<uint8_t>();
  float* o = out.data<float>();
  for (int64_t i = 0, n = src.numel(); i < n; ++i) o[i] = static_cast<float>(in[i]) / 255.0f;
  return out;
}

MNIST::MNIST(const std::string& split, MNISTOptions options)
    : MNIST("MNIST", "mnist", {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}, split, std::move(options)) {}

FashionMNIST::FashionMNIST(const std::string& split, MNISTOptions options)
    : MNIST("FashionMNIST", "fashion-mnist",
            {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"},
            split, std::move(options)) {}

MNIST::MNIST(const std::string& name, const std::string& subdir, std::vector<std::string> classes,
             const std::string& split, MNISTOptions options)
    : dtype_(options.dtype), classes_(std::move(classes)) {
  SOMA_CHECK(split == "train" || split == "test", "{}: split must be \"train\" or \"test\", got \"{}\"", name, split);
  SOMA_CHECK(dtype_ == kFloat32 || dtype_ == kUInt8, "{}: dtype must be float32 or uint8, got {}", name,
             dtype_name(dtype_));
  const std::string prefix = split == "train" ? "train" : "t10k";
  const std::string image_file = prefix + "-images-idx3-ubyte", label_file = prefix + "-labels-idx1-ubyte";
  std::string images_path, labels_path;
  const std::vector<std::string> dirs = search_dirs(options.root, subdir);
  for (const std::string& dir : dirs) {
    images_path = find_in(dir, image_file);
    labels_path = find_in(dir, label_file);
    if (!images_path.empty() && !labels_path.empty()) {
      root_ = dir;
      break;
    }
  }
  if (root_.empty()) {
    std::string searched;
    for (const std::string& d : dirs) searched += (searched.empty() ? "" : ", ") + d;
    SOMA_FAIL("{}: cannot find {} and {} (or .gz) in {}; pass options.root or set SOMA_DATA", name, image_file,
              label_file, searched);
  }
  images_ = read_idx(images_path);
  const Tensor labels = read_idx(labels_path);
  SOMA_CHECK(images_.dtype() == kUInt8 && images_.dim() == 3, "{}: '{}' should hold uint8 images [N, rows, cols], got {} {}",
             name, images_path, dtype_name(images_.dtype()), images_.shape());
  SOMA_CHECK(labels.dtype() == kUInt8 && labels.dim() == 1 && labels.size(0) == images_.size(0),
             "{}: '{}' should hold {} uint8 labels, got {} {}", name, labels_path, images_.size(0),
             dtype_name(labels.dtype()), labels.shape());
  labels_ = labels.to(kInt64);
  const int64_t* l = labels_.data<int64_t>();
  const int64_t bad = std::count_if(l, l + size(), [&](int64_t v) { return v >= static_cast<int64_t>(classes_.size()); });
  SOMA_CHECK(bad == 0, "{}: '{}' has {} labels outside 0..{}", name, labels_path, bad, classes_.size() - 1);
}

Example MNIST::get(int64_t index) const {
  check_index("MNIST", index, size());
  Tensor image = images_[index].unsqueeze(0);
  return {dtype_ == kFloat32 ? bytes_to_unit(image) : image.clone(), labels_[index]};
}

Batch MNIST::get_batch(std::span<const int64_t> indices) const {
  Tensor images = gather_rows(images_, indices).unsqueeze(1);
  return {dtype_ == kFloat32 ? bytes_to_unit(images) : images, gather_rows(labels_, indices)};
}

}  // namespace soma::data
