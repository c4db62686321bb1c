// Random augmentation: flips, crops, affine warps (bilinear, zero fill), noise, erasing.
#include "soma/data/augment.h"

#include <cmath>
#include <numbers>

#include "soma/creation.h"
#include "soma/math.h"
#include "soma/views.h"

namespace soma::data {

namespace {

void check_image(const char* op, const Tensor& image) {
  SOMA_CHECK(image.dim() == 3 && image.size(1) > 0 && image.size(2) > 0,
             "{}: expected an image [C, H, W], got shape {}", op, image.shape());
}

// `n` uniform draws in [0, 1).
std::vector<double> uniforms(Generator& gen, int64_t n) { return rand({n}, kFloat64, &gen).to_vector<double>(); }

double lerp(double lo, double hi, double u) { return lo + (hi - lo) * u; }

// A whole number uniform in [0, n).
int64_t below(double u, int64_t n) { return std::min(static_cast<int64_t>(u * static_cast<double>(n)), n - 1); }

}  // namespace

Tensor RandomHorizontalFlip::operator()(const Tensor& image, Generator& gen) const {
  SOMA_CHECK(image.dim() >= 1, "RandomHorizontalFlip: expected an image, got a 0-d tensor");
  return uniforms(gen, 1)[0] < p ? flip(image, {-1}) : image;
}

Tensor RandomCrop::operator()(const Tensor& image, Generator& gen) const {
  check_image("RandomCrop", image);
  SOMA_CHECK(size > 0 && padding >= 0, "RandomCrop: size must be positive and padding non-negative, got {} and {}",
             size, padding);
  const int64_t c = image.size(0), h = image.size(1) + 2 * padding, w = image.size(2) + 2 * padding;
  SOMA_CHECK(size <= h && size <= w, "RandomCrop: crop size {} is larger than the padded image {} x {}", size, h, w);
  Tensor padded = image;
  if (padding > 0) {
    padded = zeros({c, h, w}, image.dtype());
    padded.narrow(1, padding, image.size(1)).narrow(2, padding, image.size(2)).copy_(image);
  }
  const std::vector<double> u = uniforms(gen, 2);
  return padded.narrow(1, below(u[0], h - size + 1), size).narrow(2, below(u[1], w - size + 1), size).contiguous();
}

Tensor affine(const Tensor& image, double degrees, double tx, double ty, double scale) {
  check_image("affine", image);
  SOMA_CHECK(scale > 0, "affine: scale must be positive, got {}", scale);
  const Tensor src = (image.is_floating_point() ? image : image.to(kFloat32)).contiguous();
  const int64_t c = src.size(0), h = src.size(1), w = src.size(2);
  Tensor out = empty(src.shape(), src.dtype() == kFloat64 ? kFloat64 : kFloat32);
  const Tensor in = src.to(out.dtype());
  const double a = degrees * std::numbers::pi / 180, cs = std::cos(a), sn = std::sin(a);
  const double cx = 0.5 * static_cast<double>(w), cy = 0.5 * static_cast<double>(h);
  dispatch_float(out.dtype(), [&]<class T>() {
    const T* s = in.data<T>();
    T* o = out.data<T>();
    auto at = [&](int64_t k, int64_t y, int64_t x) -> double {
      return (y >= 0 && y < h && x >= 0 && x < w) ? static_cast<double>(s[(k * h + y) * w + x]) : 0.0;
    };
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x) {
        // Output pixel center relative to the image center, mapped back to the source.
        const double u = (static_cast<double>(x) + 0.5 - cx - tx) / scale, v = (static_cast<double>(y) + 0.5 - cy - ty) / scale;
        const double sx = cs * u - sn * v + cx - 0.5, sy = sn * u + cs * v + cy - 0.5;
        const double fx = std::floor(sx), fy = std::floor(sy);
        const int64_t x0 = static_cast<int64_t>(fx), y0 = static_cast<int64_t>(fy);
        const double ax = sx - fx, ay = sy - fy;
        if (x0 < -1 || x0 >= w || y0 < -1 || y0 >= h) {
          for (int64_t k = 0; k < c; ++k) o[(k * h + y) * w + x] = 0;
          continue;
        }
        for (int64_t k = 0; k < c; ++k) {
          const double top = at(k, y0, x0) * (1 - ax) + at(k, y0, x0 + 1) * ax;
          const double bottom = at(k, y0 + 1, x0) * (1 - ax) + at(k, y0 + 1, x0 + 1) * ax;
          o[(k * h + y) * w + x] = static_cast<T>(top * (1 - ay) + bottom * ay);
        }
      }
  });
  return out;
}

Tensor RandomRotation::operator()(const Tensor& image, Generator& gen) const {
  SOMA_CHECK(degrees >= 0, "RandomRotation: degrees must be non-negative, got {}", degrees);
  return affine(image, lerp(-degrees, degrees, uniforms(gen, 1)[0]), 0, 0, 1);
}

Tensor RandomAffine::operator()(const Tensor& image, Generator& gen) const {
  check_image("RandomAffine", image);
  SOMA_CHECK(degrees >= 0 && translate[0] >= 0 && translate[0] <= 1 && translate[1] >= 0 && translate[1] <= 1,
             "RandomAffine: expected degrees >= 0 and translate in [0, 1], got {} and ({}, {})", degrees, translate[0],
             translate[1]);
  SOMA_CHECK(scale[0] > 0 && scale[0] <= scale[1], "RandomAffine: expected 0 < scale[0] <= scale[1], got ({}, {})",
             scale[0], scale[1]);
  const std::vector<double> u = uniforms(gen, 4);
  const double max_dx = translate[0] * static_cast<double>(image.size(2));
  const double max_dy = translate[1] * static_cast<double>(image.size(1));
  return affine(image, lerp(-degrees, degrees, u[0]), std::round(lerp(-max_dx, max_dx, u[1])),
                std::round(lerp(-max_dy, max_dy, u[2])), lerp(scale[0], scale[1], u[3]));
}

Tensor GaussianNoise::operator()(const Tensor& image, Generator& gen) const {
  SOMA_CHECK(image.is_floating_point(), "GaussianNoise: expected a floating-point image, got {}",
             dtype_name(image.dtype()));
  SOMA_CHECK(std >= 0, "GaussianNoise: std must be non-negative, got {}", std);
  Tensor noisy = image + (randn(image.shape(), image.dtype(), &gen) * std + mean);
  return clip ? noisy.clamp(0.0, 1.0) : noisy;
}

Tensor RandomErasing::operator()(const Tensor& image, Generator& gen) const {
  check_image("RandomErasing", image);
  SOMA_CHECK(scale[0] >= 0 && scale[0] <= scale[1] && scale[1] <= 1 && ratio[0] > 0 && ratio[0] <= ratio[1],
             "RandomErasing: expected 0 <= scale[0] <= scale[1] <= 1 and 0 < ratio[0] <= ratio[1]");
  if (uniforms(gen, 1)[0] >= p) return image;
  const int64_t h = image.size(1), w = image.size(2);
  const double area = static_cast<double>(h * w);
  for (int attempt = 0; attempt < 10; ++attempt) {
    const std::vector<double> u = uniforms(gen, 4);
    const double erase = area * lerp(scale[0], scale[1], u[0]);
    const double aspect = std::exp(lerp(std::log(ratio[0]), std::log(ratio[1]), u[1]));
    const int64_t eh = std::lround(std::sqrt(erase * aspect)), ew = std::lround(std::sqrt(erase / aspect));
    if (eh < 1 || ew < 1 || eh >= h || ew >= w) continue;
    Tensor out = image.clone();
    out.narrow(1, below(u[2], h - eh + 1), eh).narrow(2, below(u[3], w - ew + 1), ew).fill_(value);
    return out;
  }
  return image;
}

Tensor Compose::operator()(const Tensor& x) {
  Tensor y = x;
  for (const Stage& s : stages_) y = s.step(y, gen_);
  return y;
}

}  // namespace soma::data
