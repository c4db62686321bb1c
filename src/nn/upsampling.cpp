// Resizing. interpolate works one spatial dim at a time, last to first, as PyTorch's kernels
// nest their loops (the innermost dim is blended first): nearest modes are one index_select per
// dim, linear modes two index_selects blended by per-position weights,
//   y = x.index_select(dim, i0) * w0 + x.index_select(dim, i1) * w1,
// so all of them are differentiable to any order. Positions and weights follow PyTorch 1.13's
// UpSample.h (nearest_idx, area_pixel_compute_scale / _source_index), including its float
// arithmetic, so results match PyTorch's.
#include "soma/nn/upsampling.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "soma/creation.h"
#include "soma/indexing.h"
#include "soma/math.h"
#include "soma/nn/functional/pooling.h"
#include "soma/views.h"

namespace soma::nn::functional {

namespace {

enum class Resize { Nearest, NearestExact, Linear, Area };

// The mode, after checking that it suits an input with `dims` spatial dims.
Resize parse_mode(const std::string& mode, int64_t dims) {
  if (mode == "nearest") return Resize::Nearest;
  if (mode == "nearest-exact") return Resize::NearestExact;
  if (mode == "area") {
    SOMA_CHECK(dims <= 2, "interpolate: mode \"area\" supports 3-D and 4-D inputs, got a {}-D input", dims + 2);
    return Resize::Area;
  }
  const char* linear_modes[] = {"linear", "bilinear", "trilinear"};
  for (int64_t d = 1; d <= 3; ++d)
    if (mode == linear_modes[d - 1]) {
      SOMA_CHECK(d == dims, "interpolate: got a {}-D input, but mode \"{}\" needs a {}-D input", dims + 2, mode, d + 2);
      return Resize::Linear;
    }
  SOMA_FAIL("interpolate: mode must be \"nearest\", \"nearest-exact\", \"linear\", \"bilinear\", \"trilinear\" or "
            "\"area\", got \"{}\"",
            mode);
}

// PyTorch's compute_scales_value: the source step per output step.
template <class T>
T scale_value(std::optional<double> scale_factor, int64_t in, int64_t out) {
  return scale_factor && *scale_factor > 0 ? static_cast<T>(1.0 / *scale_factor)
                                           : static_cast<T>(in) / static_cast<T>(out);
}

// For each output position, the input position it copies (nearest_idx / nearest_exact_idx;
// always in float, whatever the dtype, as in PyTorch).
std::vector<int64_t> nearest_positions(int64_t in, int64_t out, std::optional<double> scale_factor, bool exact) {
  std::vector<int64_t> src(out);
  const float scale = scale_value<float>(scale_factor, in, out);
  for (int64_t o = 0; o < out; ++o) {
    if (!exact && out == in) src[o] = o;  // PyTorch's exact shortcuts for scales 1 and 1/2
    else if (!exact && out == 2 * in) src[o] = o >> 1;
    else if (exact) src[o] = static_cast<int64_t>(std::floor(static_cast<float>((o + 0.5) * scale)));
    else src[o] = static_cast<int64_t>(std::floor(static_cast<float>(o) * scale));
    src[o] = std::min(src[o], in - 1);
  }
  return src;
}

// The two inputs each output position blends and their weights (compute_source_index_and_lambda
// in T: float for float32 inputs, double for float64).
template <class T>
void linear_positions(int64_t in, int64_t out, std::optional<double> scale_factor, bool align_corners,
                      std::vector<int64_t>& i0, std::vector<int64_t>& i1, std::vector<T>& w0, std::vector<T>& w1) {
  const T scale = align_corners ? (out > 1 ? static_cast<T>(in - 1) / static_cast<T>(out - 1) : T(0))
                                : scale_value<T>(scale_factor, in, out);
  for (int64_t o = 0; o < out; ++o) {
    const T real = align_corners ? scale * static_cast<T>(o)
                                 : std::max(scale * (static_cast<T>(o) + T(0.5)) - T(0.5), T(0));
    i0[o] = static_cast<int64_t>(real);
    i1[o] = i0[o] + (i0[o] < in - 1 ? 1 : 0);
    w1[o] = std::clamp(real - static_cast<T>(i0[o]), T(0), T(1));
    w0[o] = T(1) - w1[o];
  }
}

// Weights [out] shaped to broadcast along `dim` of a tensor with `rank` dims: [out, 1, ..., 1].
template <class T>
Tensor along(const std::vector<T>& weights, int64_t dim, int64_t rank) {
  Shape shape(rank - dim, 1);
  shape[0] = static_cast<int64_t>(weights.size());
  return from_vector(weights, shape);
}

template <class T>
Tensor linear_resize_dim(const Tensor& x, int64_t dim, int64_t out, std::optional<double> scale_factor,
                         bool align_corners) {
  const int64_t in = x.size(dim);
  std::vector<int64_t> i0(out), i1(out);
  std::vector<T> w0(out), w1(out);
  linear_positions<T>(in, out, scale_factor, align_corners, i0, i1, w0, w1);
  return x.index_select(dim, from_vector(i0)) * along(w0, dim, x.dim()) +
         x.index_select(dim, from_vector(i1)) * along(w1, dim, x.dim());
}

// The output size of each spatial dim and the scale_factor (if any) its formulas use.
struct Target {
  std::vector<int64_t> size;
  std::vector<std::optional<double>> scale_factor;
};

// One value for every dim, or one per dim (PyTorch's "size shape must match input shape").
template <class V>
std::vector<V> per_dim(const char* what, const std::vector<V>& values, int64_t dims) {
  SOMA_CHECK(values.size() == 1 || static_cast<int64_t>(values.size()) == dims,
             "interpolate: {} must have one value or one per spatial dim ({}), got {}", what, dims, values.size());
  return values.size() == 1 ? std::vector<V>(dims, values[0]) : values;
}

Target target_size(const Tensor& input, const InterpolateOptions& o, Resize mode) {
  const int64_t dims = input.dim() - 2;
  SOMA_CHECK(o.size.empty() != o.scale_factor.empty(), "interpolate: {}",
             o.size.empty() ? "either size or scale_factor must be given" : "only one of size or scale_factor may be given");
  Target t;
  if (!o.size.empty()) {
    SOMA_CHECK(!o.recompute_scale_factor.value_or(false),
               "interpolate: recompute_scale_factor is not meaningful with an explicit size");
    t.size = per_dim("size", o.size, dims);
    t.scale_factor.assign(dims, std::nullopt);
  } else {
    const auto factors = per_dim("scale_factor", o.scale_factor, dims);
    const bool recompute = o.recompute_scale_factor.value_or(false) || mode == Resize::Area;
    for (int64_t d = 0; d < dims; ++d) {
      SOMA_CHECK(std::isfinite(factors[d]) && factors[d] > 0, "interpolate: scale_factor must be positive and finite, got {}",
                 factors[d]);
      t.size.push_back(static_cast<int64_t>(std::floor(static_cast<double>(input.size(2 + d)) * factors[d])));
      t.scale_factor.push_back(recompute ? std::nullopt : std::optional<double>(factors[d]));
    }
  }
  for (int64_t d = 0; d < dims; ++d)
    SOMA_CHECK(input.size(2 + d) > 0 && t.size[d] > 0,
               "interpolate: input and output sizes must be positive, got input shape {} and output size {} along "
               "dim {}",
               input.shape(), t.size[d], 2 + d);
  return t;
}

Tensor area_resize(const Tensor& x, const std::vector<int64_t>& size) {
  if (size.size() == 2) return adaptive_avg_pool2d(x, {size[0], size[1]});
  return adaptive_avg_pool2d(x.unsqueeze(2), {1, size[0]}).squeeze(2);
}

}  // namespace

Tensor interpolate(const Tensor& input, const InterpolateOptions& o) {
  SOMA_CHECK(input.dim() >= 3 && input.dim() <= 5,
             "interpolate: expected a batched input [N, C, L], [N, C, H, W] or [N, C, D, H, W], got shape {}",
             input.shape());
  SOMA_CHECK(input.dtype() == kFloat32 || input.dtype() == kFloat64,
             "interpolate: expected a float32 or float64 input, got {}", dtype_name(input.dtype()));
  const Resize mode = parse_mode(o.mode, input.dim() - 2);
  SOMA_CHECK(mode == Resize::Linear || !o.align_corners.has_value(),
             "interpolate: align_corners can only be set with the linear modes (linear, bilinear, trilinear), "
             "not with \"{}\"",
             o.mode);
  const Target t = target_size(input, o, mode);
  if (mode == Resize::Area) return area_resize(input, t.size);
  Tensor y = input;
  for (int64_t d = static_cast<int64_t>(t.size.size()) - 1; d >= 0; --d) {
    const int64_t dim = 2 + d, in = input.size(dim), out = t.size[d];
    if (mode == Resize::Linear) {
      if (out == in) continue;  // PyTorch copies (weights 1 and 0)
      y = input.dtype() == kFloat32
              ? linear_resize_dim<float>(y, dim, out, t.scale_factor[d], o.align_corners.value_or(false))
              : linear_resize_dim<double>(y, dim, out, t.scale_factor[d], o.align_corners.value_or(false));
    } else {
      y = y.index_select(dim, from_vector(nearest_positions(in, out, t.scale_factor[d], mode == Resize::NearestExact)));
    }
  }
  return y;
}

// ---- pixel shuffle ------------------------------------------------------------------------------

namespace {

// input's leading (batch) dims, all but the last three, followed by `tail`.
Shape batch_dims_then(const Tensor& input, std::initializer_list<int64_t> tail) {
  Shape shape;
  for (int64_t d = 0; d < input.dim() - 3; ++d) shape.push_back(input.size(d));
  for (int64_t v : tail) shape.push_back(v);
  return shape;
}

// The permutation of [*, a, b, c, d, e] (batch dims first) that reorders its last five dims.
Dims permutation(int64_t batch_dims, std::initializer_list<int64_t> last_five) {
  Dims dims;
  for (int64_t d = 0; d < batch_dims; ++d) dims.push_back(d);
  for (int64_t v : last_five) dims.push_back(batch_dims + v);
  return dims;
}

void check_shuffle_input(const char* op, const Tensor& input, const char* factor_name, int64_t factor) {
  SOMA_CHECK(input.dim() >= 3, "{}: expected an input [*, C, H, W] with at least 3 dims, got shape {}", op,
             input.shape());
  SOMA_CHECK(factor > 0, "{}: {} must be positive, got {}", op, factor_name, factor);
}

}  // namespace

Tensor pixel_shuffle(const Tensor& input, int64_t r) {
  check_shuffle_input("pixel_shuffle", input, "upscale_factor", r);
  const int64_t c = input.size(-3), h = input.size(-2), w = input.size(-1), batch_dims = input.dim() - 3;
  SOMA_CHECK(c % (r * r) == 0,
             "pixel_shuffle: the channel dim (size {}, input shape {}) must be divisible by upscale_factor^2 = {}", c,
             input.shape(), r * r);
  // [*, C, r, r, H, W] -> [*, C, H, r, W, r]
  return input.reshape(batch_dims_then(input, {c / (r * r), r, r, h, w}))
      .permute(permutation(batch_dims, {0, 3, 1, 4, 2}))
      .reshape(batch_dims_then(input, {c / (r * r), h * r, w * r}));
}

Tensor pixel_unshuffle(const Tensor& input, int64_t r) {
  check_shuffle_input("pixel_unshuffle", input, "downscale_factor", r);
  const int64_t c = input.size(-3), h = input.size(-2), w = input.size(-1), batch_dims = input.dim() - 3;
  SOMA_CHECK(h % r == 0 && w % r == 0,
             "pixel_unshuffle: height and width (input shape {}) must be divisible by downscale_factor {}",
             input.shape(), r);
  // [*, C, H, r, W, r] -> [*, C, r, r, H, W]
  return input.reshape(batch_dims_then(input, {c, h / r, r, w / r, r}))
      .permute(permutation(batch_dims, {0, 2, 4, 1, 3}))
      .reshape(batch_dims_then(input, {c * r * r, h / r, w / r}));
}

}  // namespace soma::nn::functional

// ---- modules ------------------------------------------------------------------------------------

namespace soma::nn {

namespace {

// Python's str of a float (2.0, 0.5) or of a tuple of them.
std::string float_repr(double v) { return v == std::trunc(v) && std::isfinite(v) ? fmt::format("{:.1f}", v) : fmt::format("{}", v); }

template <class V, class Repr>
std::string values_repr(const std::vector<V>& values, Repr repr) {
  if (values.size() == 1) return repr(values[0]);
  std::string s = "(";
  for (size_t i = 0; i < values.size(); ++i) s += (i ? ", " : "") + repr(values[i]);
  return s + ")";
}

}  // namespace

// PyTorch's: "scale_factor=2.0, mode=bilinear" or "size=(4, 6), mode=nearest".
std::string Upsample::extra_repr() const {
  const std::string what = options.scale_factor.empty()
                               ? "size=" + values_repr(options.size, [](int64_t v) { return std::to_string(v); })
                               : "scale_factor=" + values_repr(options.scale_factor, float_repr);
  return what + ", mode=" + options.mode;
}

UpsamplingNearest2d::UpsamplingNearest2d(const UpsamplingOptions& o)
    : Upsample("UpsamplingNearest2d", {.size = o.size, .scale_factor = o.scale_factor, .mode = "nearest"}) {}

UpsamplingBilinear2d::UpsamplingBilinear2d(const UpsamplingOptions& o)
    : Upsample("UpsamplingBilinear2d",
               {.size = o.size, .scale_factor = o.scale_factor, .mode = "bilinear", .align_corners = true}) {}

}  // namespace soma::nn
