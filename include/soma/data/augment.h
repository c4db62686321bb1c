#pragma once
// Random augmentation of images [C, H, W] (torchvision.transforms), reproducible: each takes
// the Generator it draws from, so a seed fixes every result. Compose chains augmentations and
// deterministic transforms with a generator of its own:
//
//   data::Compose augment({data::RandomCrop{.size = 28, .padding = 2},
//                          data::RandomHorizontalFlip{}, data::Normalize{{0.286}, {0.353}}}, /*seed=*/1);
//   data::Transformed train(data::FashionMNIST("train"), augment);
//
// Geometric transforms sample bilinearly around the image center and fill with zeros.
#include <array>
#include <functional>
#include <type_traits>
#include <vector>

#include "soma/random.h"
#include "soma/tensor.h"

namespace soma::data {

struct RandomHorizontalFlip {
  double p = 0.5;
  Tensor operator()(const Tensor& image, Generator& gen) const;
};

// Pads each side by `padding` zeros, then crops a random size x size window.
struct RandomCrop {
  int64_t size = 0;
  int64_t padding = 0;
  Tensor operator()(const Tensor& image, Generator& gen) const;
};

// Rotates by an angle uniform in [-degrees, degrees] (counter-clockwise when positive).
struct RandomRotation {
  double degrees = 0;
  Tensor operator()(const Tensor& image, Generator& gen) const;
};

// Rotation uniform in [-degrees, degrees], translation uniform in +-translate * (width,
// height) (rounded to whole pixels, as torchvision), scale uniform in [scale[0], scale[1]].
struct RandomAffine {
  double degrees = 0;
  std::array<double, 2> translate = {0, 0};
  std::array<double, 2> scale = {1, 1};
  Tensor operator()(const Tensor& image, Generator& gen) const;
};

// x + N(mean, std^2) noise, clamped to [0, 1] when clip is set.
struct GaussianNoise {
  double mean = 0;
  double std = 0.1;
  bool clip = true;
  Tensor operator()(const Tensor& image, Generator& gen) const;
};

// With probability p, sets a random rectangle (area a fraction in `scale` of the image, aspect
// ratio in `ratio`, log-uniform) to `value`; after 10 failed tries to fit one, does nothing.
struct RandomErasing {
  double p = 0.5;
  std::array<double, 2> scale = {0.02, 0.33};
  std::array<double, 2> ratio = {0.3, 3.3};
  double value = 0;
  Tensor operator()(const Tensor& image, Generator& gen) const;
};

// The image (floating point [C, H, W]) under the affine map that rotates by `degrees`
// (counter-clockwise), scales by `scale` about the center, then shifts by (tx, ty) pixels.
Tensor affine(const Tensor& image, double degrees, double tx, double ty, double scale);

// A chain of transforms; random ones draw from the Compose's own generator, in order.
class Compose {
 public:
  using Step = std::function<Tensor(const Tensor&, Generator&)>;
  // Wraps a random transform f(x, gen) or a deterministic one f(x).
  struct Stage {
    template <class F>
    Stage(F f) {
      if constexpr (std::is_invocable_r_v<Tensor, F&, const Tensor&, Generator&>)
        step = std::move(f);
      else
        step = [f = std::move(f)](const Tensor& x, Generator&) mutable -> Tensor { return f(x); };
    }
    Step step;
  };
  explicit Compose(std::vector<Stage> stages, uint64_t seed = 0) : stages_(std::move(stages)), gen_(seed) {}
  Tensor operator()(const Tensor& x);
  Generator& generator() { return gen_; }

 private:
  std::vector<Stage> stages_;
  Generator gen_;
};

}  // namespace soma::data
