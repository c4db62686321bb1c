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

// The path of `file` (or file.gz) in dir, or empty when neither exists. Something other than a
// file under that name (a directory) is an error, not a reason to look elsewhere.
std::string find_in(const std::string& name, const std::string& dir, const std::string& file) {
  for (const std::string& candidate : {file, file + ".gz"}) {
    const fs::path path = fs::path(dir) / candidate;
    std::error_code ec;
    const fs::file_status status = fs::status(path, ec);
    if (!fs::exists(status)) continue;
    SOMA_CHECK(fs::is_regular_file(status), "{}: '{}' is not a regular file (expected the IDX file {})", name,
               path.string(), candidate);
    return path.string();
  }
  return {};
}

// Where to look: options.root alone; else $SOMA_DATA and $SOMA_DATA/subdir alone (a directory
// the user names must hold every file: no silent fallback to the installed data set for a split
// it lacks); else the installed data set.
std::vector<std::string> search_dirs(const std::string& root, const std::string& subdir) {
  if (!root.empty()) return {root};
  if (const char* env = std::getenv("SOMA_DATA"); env && *env) return {env, (fs::path(env) / subdir).string()};
  return {"/usr/share/datasets/" + subdir};
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
  std::string missing;  // what the first directory holding any of the two files lacks
  for (const std::string& dir : dirs) {
    images_path = find_in(name, dir, image_file);
    labels_path = find_in(name, dir, label_file);
    if (!images_path.empty() && !labels_path.empty()) {
      root_ = dir;
      break;
    }
    if (missing.empty() && (!images_path.empty() || !labels_path.empty()))
      missing = (fs::path(dir) / (images_path.empty() ? image_file : label_file)).string();
  }
  if (root_.empty()) {
    std::string searched;
    for (const std::string& d : dirs) searched += (searched.empty() ? "" : ", ") + d;
    const char* env = std::getenv("SOMA_DATA");
    const bool from_env = options.root.empty() && env && *env;
    SOMA_CHECK(missing.empty(), "{}: {} (or .gz) is missing{}", name, missing,
               from_env ? " (SOMA_DATA must hold both files of each split it is used for)" : "");
    SOMA_FAIL("{}: cannot find {} and {} (or .gz) in {}{}", name, image_file, label_file, searched,
              from_env ? " (the directories of SOMA_DATA; unset it to use the installed data set)"
                       : "; pass options.root or set SOMA_DATA");
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
