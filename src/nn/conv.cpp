// Convolutions. All three public ops lower to three differentiable primitives on 4-D tensors
// (1-D convolutions add a height of 1): the convolution itself and its two adjoints, which
// are each other's derivatives, so gradients of any order are again made of these three:
//
//   conv(x, w)            d/dx: conv_input_grad(g, w)    d/dw: conv_weight_grad(x, g)
//   conv_input_grad(g, w) d/dg: conv(h, w)               d/dw: conv_weight_grad(h, g)
//   conv_weight_grad(x, g) d/dx: conv_input_grad(g, h)   d/dg: conv(x, h)
//
// (h: the incoming gradient). A transposed convolution is conv_input_grad plus a bias.
#include "soma/nn/conv.h"

#include <algorithm>
#include <cmath>

#include "autograd/node.h"
#include "kernels/cpu/conv.h"
#include "soma/creation.h"
#include "soma/grad_mode.h"
#include "soma/nn/functional/padding.h"
#include "soma/nn/init.h"
#include "soma/reduce.h"
#include "soma/views.h"

namespace soma::nn {

namespace functional {

ConvPadding::ConvPadding(std::string_view mode) {
  SOMA_CHECK(mode == "same" || mode == "valid", "conv: padding must be a number, \"same\" or \"valid\", got \"{}\"",
             mode);
  this->mode = mode == "same" ? Mode::Same : Mode::Valid;
}

}  // namespace functional

namespace {

using autograd::GradMask;
using autograd::SavedTensor;
using kernels::Conv2dGeometry;

Shape input_shape(const Conv2dGeometry& g) { return {g.batch, g.in_channels, g.in_h, g.in_w}; }
Shape output_shape(const Conv2dGeometry& g) { return {g.batch, g.out_channels, g.out_h, g.out_w}; }
Shape weight_shape(const Conv2dGeometry& g) {
  return {g.out_channels, g.in_channels / g.groups, g.kernel_h, g.kernel_w};
}

Tensor contiguous_or_undefined(const Tensor& t) { return t.defined() ? t.contiguous() : t; }

Tensor conv_input_grad(const Tensor& grad, const Tensor& weight, const Tensor& bias, const Conv2dGeometry& g);
Tensor conv_weight_grad(const Tensor& input, const Tensor& grad, const Conv2dGeometry& g);

// The gradient of the bias: g [N, C, H, W] summed per channel.
Tensor conv_bias_grad(const Tensor& g) {
  Tensor out = empty({g.size(1)}, g.dtype());
  kernels::conv2d_backward_bias(out, g.contiguous());
  if (autograd::needs_grad(g))
    autograd::record("conv2d_bias_grad", out, {g}, [shape = g.shape()](const Tensor& h, GradMask) -> TensorList {
      return {h.view({1, h.size(0), 1, 1}).expand(shape)};
    });
  return out;
}

Tensor conv(const Tensor& x, const Tensor& w, const Tensor& b, const Conv2dGeometry& g) {
  Tensor out = empty(output_shape(g), x.dtype());
  kernels::conv2d_forward(out, x.contiguous(), w.contiguous(), contiguous_or_undefined(b), g);
  if (autograd::needs_grad(x, w, b))
    autograd::record("conv2d", out, {x, w, b},
                     [x = SavedTensor(x), w = SavedTensor(w), g, has_bias = b.defined()](const Tensor& gy,
                                                                                          GradMask m) -> TensorList {
                       return {m[0] ? conv_input_grad(gy, w.get(), {}, g) : Tensor(),
                               m[1] ? conv_weight_grad(x.get(), gy, g) : Tensor(),
                               m[2] && has_bias ? conv_bias_grad(gy) : Tensor()};
                     });
  return out;
}

// The adjoint of conv w.r.t. its input, plus bias per input channel.
Tensor conv_input_grad(const Tensor& grad, const Tensor& w, const Tensor& b, const Conv2dGeometry& g) {
  Tensor out = empty(input_shape(g), grad.dtype());
  kernels::conv2d_backward_input(out, grad.contiguous(), w.contiguous(), contiguous_or_undefined(b), g);
  if (autograd::needs_grad(grad, w, b))
    autograd::record("conv2d_input_grad", out, {grad, w, b},
                     [grad = SavedTensor(grad), w = SavedTensor(w), g, has_bias = b.defined()](
                         const Tensor& h, GradMask m) -> TensorList {
                       return {m[0] ? conv(h, w.get(), {}, g) : Tensor(),
                               m[1] ? conv_weight_grad(h, grad.get(), g) : Tensor(),
                               m[2] && has_bias ? conv_bias_grad(h) : Tensor()};
                     });
  return out;
}

// The adjoint of conv w.r.t. its weight.
Tensor conv_weight_grad(const Tensor& x, const Tensor& grad, const Conv2dGeometry& g) {
  Tensor out = empty(weight_shape(g), x.dtype());
  kernels::conv2d_backward_weight(out, x.contiguous(), grad.contiguous(), g);
  if (autograd::needs_grad(x, grad))
    autograd::record("conv2d_weight_grad", out, {x, grad},
                     [x = SavedTensor(x), grad = SavedTensor(grad), g](const Tensor& h, GradMask m) -> TensorList {
                       return {m[0] ? conv_input_grad(grad.get(), h, {}, g) : Tensor(),
                               m[1] ? conv(x.get(), h, {}, g) : Tensor()};
                     });
  return out;
}

// Per spatial dim (height, width) of a 2-D problem; a 1-D one has height 1.
struct Spatial {
  int64_t stride[2], dilation[2], pad_begin[2], pad_end[2];
};

// Checks a convolution's operands and settings. `input` and `weight` are the (batched) 4-D
// forms; `x_shape` and `w_shape` what the caller passed, for messages. `transposed`: weight is
// [C, OC / groups, ...].
void check_operands(const char* op, const Tensor& input, const Tensor& weight, const Tensor& bias,
                    const Shape& x_shape, const Shape& w_shape, int64_t groups, bool transposed) {
  SOMA_CHECK(input.is_floating_point() && (input.dtype() == kFloat32 || input.dtype() == kFloat64),
             "{}: expected a float32 or float64 input, got {}", op, dtype_name(input.dtype()));
  SOMA_CHECK(weight.dtype() == input.dtype() && (!bias.defined() || bias.dtype() == input.dtype()),
             "{}: input ({}), weight ({}) and bias must have the same dtype", op, dtype_name(input.dtype()),
             dtype_name(weight.dtype()));
  SOMA_CHECK(groups >= 1, "{}: groups must be positive, got {}", op, groups);
  const int64_t c = input.size(1), wc = transposed ? weight.size(0) : weight.size(1) * groups;
  const int64_t oc = transposed ? weight.size(1) * groups : weight.size(0);
  SOMA_CHECK(weight.size(0) % groups == 0,
             "{}: weight of shape {} has {} {} channels, not divisible by groups={}", op, w_shape, weight.size(0),
             transposed ? "input" : "output", groups);
  SOMA_CHECK(c == wc, "{}: input of shape {} has {} channels, but weight of shape {} with groups={} expects {}", op,
             x_shape, c, w_shape, groups, wc);
  if (bias.defined())
    SOMA_CHECK(bias.dim() == 1 && bias.size(0) == oc, "{}: bias of shape {} does not match {} output channels", op,
               bias.shape(), oc);
}

void check_spatial(const char* op, const Spatial& s, int dims) {
  for (int d = 2 - dims; d < 2; ++d) {
    SOMA_CHECK(s.stride[d] >= 1, "{}: stride must be positive, got {}", op, s.stride[d]);
    SOMA_CHECK(s.dilation[d] >= 1, "{}: dilation must be positive, got {}", op, s.dilation[d]);
    SOMA_CHECK(s.pad_begin[d] >= 0 && s.pad_end[d] >= 0, "{}: padding must be non-negative, got {}", op,
               s.pad_begin[d]);
  }
}

// Adds the batch dim to an unbatched input ([C, ...] -> [1, C, ...]) and checks the rank.
Tensor batched(const char* op, const Tensor& input, int dims, const char* layout) {
  SOMA_CHECK(input.dim() == dims + 1 || input.dim() == dims + 2,
             "{}: expected a {}-D (unbatched) or {}-D (batched) input {}, got shape {}", op, dims + 1, dims + 2, layout,
             input.shape());
  return input.dim() == dims + 1 ? input.unsqueeze(0) : input;
}

// Resolves "same" / "valid" / numbers into begin and end pads for each spatial dim.
void resolve_padding(const char* op, const functional::ConvPadding& p, Spatial& s, const int64_t kernel[2], int dims) {
  using Mode = functional::ConvPadding::Mode;
  SOMA_CHECK(dims == 2 || !p.per_dim, "{}: padding takes one number, got ({}, {})", op, p.h, p.w);
  for (int d = 0; d < 2; ++d) {
    int64_t begin = d == 0 ? p.h : p.w, end = begin;
    if (d < 2 - dims || p.mode == Mode::Valid) begin = end = 0;
    if (d >= 2 - dims && p.mode == Mode::Same) {
      SOMA_CHECK(s.stride[d] == 1, "{}: padding=\"same\" is not supported for strided convolutions", op);
      const int64_t total = s.dilation[d] * (kernel[d] - 1);
      begin = total / 2;
      end = total - begin;
    }
    s.pad_begin[d] = begin;
    s.pad_end[d] = end;
  }
}

// conv over 4-D operands (1-D problems arrive with height 1).
Tensor conv_nd(const char* op, const Tensor& input, const Tensor& weight, const Tensor& bias,
               const functional::ConvPadding& padding, Spatial s, int64_t groups, int dims) {
  const char* layout = dims == 1 ? "[N, C, L]" : "[N, C, H, W]";
  Tensor x = batched(op, input, dims, layout);
  SOMA_CHECK(weight.dim() == dims + 2, "{}: expected a {}-D weight [out_channels, in_channels / groups, {}], got shape {}",
             op, dims + 2, dims == 1 ? "K" : "KH, KW", weight.shape());
  if (dims == 1) x = x.unsqueeze(2);
  Tensor w = dims == 1 ? weight.unsqueeze(2) : weight;
  check_operands(op, x, w, bias, input.shape(), weight.shape(), groups, false);
  const int64_t kernel[2] = {w.size(2), w.size(3)};
  resolve_padding(op, padding, s, kernel, dims);
  check_spatial(op, s, dims);
  const int64_t in[2] = {x.size(2), x.size(3)};
  int64_t out[2];
  for (int d = 0; d < 2; ++d) {
    const int64_t padded = in[d] + s.pad_begin[d] + s.pad_end[d], span = s.dilation[d] * (kernel[d] - 1) + 1;
    SOMA_CHECK(span <= padded, "{}: kernel of size {} (dilated: {}) is larger than the padded input ({}) of input shape {}",
               op, kernel[d], span, padded, input.shape());
    out[d] = (padded - span) / s.stride[d] + 1;
  }
  const Conv2dGeometry g{x.size(0), x.size(1), in[0], in[1], w.size(0), out[0], out[1], kernel[0], kernel[1],
                         s.stride[0], s.stride[1], s.pad_begin[0], s.pad_begin[1], s.dilation[0], s.dilation[1],
                         groups};
  Tensor y = conv(x, w, bias, g);
  if (dims == 1) y = y.squeeze(2);
  return input.dim() == dims + 1 ? y.squeeze(0) : y;
}

}  // namespace

namespace functional {

Tensor conv1d(const Tensor& input, const Tensor& weight, const Tensor& bias, const Conv1dFuncOptions& o) {
  return conv_nd("conv1d", input, weight, bias, o.padding, {{1, o.stride}, {1, o.dilation}, {0, 0}, {0, 0}}, o.groups, 1);
}

Tensor conv2d(const Tensor& input, const Tensor& weight, const Tensor& bias, const Conv2dFuncOptions& o) {
  return conv_nd("conv2d", input, weight, bias, o.padding,
                 {{o.stride.h, o.stride.w}, {o.dilation.h, o.dilation.w}, {0, 0}, {0, 0}}, o.groups, 2);
}

Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const Tensor& bias, const ConvTranspose2dFuncOptions& o) {
  const char* op = "conv_transpose2d";
  Tensor x = batched(op, input, 2, "[N, C, H, W]");
  SOMA_CHECK(weight.dim() == 4, "{}: expected a 4-D weight [in_channels, out_channels / groups, KH, KW], got shape {}",
             op, weight.shape());
  check_operands(op, x, weight, bias, input.shape(), weight.shape(), o.groups, true);
  const Spatial s{{o.stride.h, o.stride.w}, {o.dilation.h, o.dilation.w}, {o.padding.h, o.padding.w},
                  {o.padding.h, o.padding.w}};
  check_spatial(op, s, 2);
  const int64_t kernel[2] = {weight.size(2), weight.size(3)}, in[2] = {x.size(2), x.size(3)};
  const int64_t out_pad[2] = {o.output_padding.h, o.output_padding.w};
  int64_t out[2];
  for (int d = 0; d < 2; ++d) {
    SOMA_CHECK(out_pad[d] >= 0 && (out_pad[d] < s.stride[d] || out_pad[d] < s.dilation[d]),
               "{}: output_padding ({}) must be smaller than either stride ({}) or dilation ({})", op, out_pad[d],
               s.stride[d], s.dilation[d]);
    out[d] = (in[d] - 1) * s.stride[d] - 2 * s.pad_begin[d] + s.dilation[d] * (kernel[d] - 1) + out_pad[d] + 1;
    SOMA_CHECK(out[d] >= 1, "{}: input of shape {} gives an empty output (size {} along dim {})", op, input.shape(),
               out[d], d + 2);
  }
  // The convolution whose input adjoint this is: it maps [N, OC, OH, OW] to x's shape.
  const Conv2dGeometry g{x.size(0), weight.size(1) * o.groups, out[0], out[1], weight.size(0), in[0], in[1],
                         kernel[0], kernel[1], s.stride[0], s.stride[1], s.pad_begin[0], s.pad_begin[1],
                         s.dilation[0], s.dilation[1], o.groups};
  Tensor y = conv_input_grad(x, weight, bias, g);
  return input.dim() == 3 ? y.squeeze(0) : y;
}

}  // namespace functional

// ---- modules ------------------------------------------------------------------------------------

namespace {

void init_conv(Tensor& weight, Tensor& bias) {
  NoGradGuard no_grad;
  init::kaiming_uniform_(weight, std::sqrt(5.0));
  if (bias.defined()) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(init::fan_in_and_fan_out(weight).first));
    init::uniform_(bias, -bound, bound);
  }
}

void check_channels(const char* layer, int64_t in, int64_t out, int64_t groups) {
  SOMA_CHECK(in > 0 && out > 0, "{}: in_channels and out_channels must be positive, got {} and {}", layer, in, out);
  SOMA_CHECK(groups > 0 && in % groups == 0 && out % groups == 0,
             "{}: in_channels ({}) and out_channels ({}) must be divisible by groups ({})", layer, in, out, groups);
}

std::string pair(int64_t a, int64_t b) { return fmt::format("({}, {})", a, b); }
std::string pair(const Size2& s) { return pair(s.h, s.w); }

std::string padding_repr(const ConvPadding& p, int dims) {
  if (p.mode != ConvPadding::Mode::Explicit) return p.mode == ConvPadding::Mode::Same ? "same" : "valid";
  return dims == 1 ? fmt::format("({},)", p.w) : pair(p.h, p.w);
}

// PyTorch's repr: settings shown only when they differ from their defaults.
std::string conv_repr(int64_t in, int64_t out, const std::string& kernel, const std::string& stride,
                      const std::string& padding, bool zero_padding, const std::string& dilation, bool unit_dilation,
                      const std::string& output_padding, int64_t groups, bool bias) {
  std::string s = fmt::format("{}, {}, kernel_size={}, stride={}", in, out, kernel, stride);
  if (!zero_padding) s += ", padding=" + padding;
  if (!unit_dilation) s += ", dilation=" + dilation;
  if (!output_padding.empty()) s += ", output_padding=" + output_padding;
  if (groups != 1) s += fmt::format(", groups={}", groups);
  if (!bias) s += ", bias=False";
  return s;
}

void check_same_padding(const char* layer, const ConvPadding& p, bool strided) {
  SOMA_CHECK(p.mode != ConvPadding::Mode::Same || !strided,
             "{}: padding=\"same\" is not supported for strided convolutions", layer);
}

bool zero_padding(const ConvPadding& p) {
  return p.mode == ConvPadding::Mode::Explicit && p.h == 0 && p.w == 0;
}

void check_padding_mode(const char* layer, const std::string& mode) {
  SOMA_CHECK(mode == "zeros" || mode == "reflect" || mode == "replicate" || mode == "circular",
             "{}: padding_mode must be \"zeros\", \"reflect\", \"replicate\" or \"circular\", got \"{}\"", layer,
             mode);
}

// The padding of a layer with a padding_mode other than "zeros", in functional::pad's order
// (last dim first), as PyTorch's _reversed_padding_repeated_twice: kernel and dilation list the
// spatial dims first to last.
std::vector<int64_t> reversed_padding(const ConvPadding& p, const std::vector<int64_t>& kernel,
                                      const std::vector<int64_t>& dilation) {
  const size_t dims = kernel.size();
  std::vector<int64_t> pads;
  for (size_t i = dims; i-- > 0;) {
    const int64_t explicit_pad = dims == 2 && i == 0 ? p.h : p.w;
    int64_t begin = p.mode == ConvPadding::Mode::Explicit ? explicit_pad : 0, end = begin;
    if (p.mode == ConvPadding::Mode::Same) {
      const int64_t total = dilation[i] * (kernel[i] - 1);
      begin = total / 2;
      end = total - begin;
    }
    pads.insert(pads.end(), {begin, end});
  }
  return pads;
}

// The input padded in a non-"zeros" padding_mode (an unbatched input gets a batch of 1 for the
// pad, so circular works on it too).
Tensor pad_input(const char* layer, const Tensor& input, const std::vector<int64_t>& pads, const std::string& mode,
                 int dims) {
  SOMA_CHECK(input.dim() == dims + 1 || input.dim() == dims + 2,
             "{}: expected a {}-D (unbatched) or {}-D (batched) input, got shape {}", layer, dims + 1, dims + 2,
             input.shape());
  if (std::all_of(pads.begin(), pads.end(), [](int64_t p) { return p == 0; })) return input;
  const bool unbatched = input.dim() == dims + 1;
  Tensor padded = functional::pad(unbatched ? input.unsqueeze(0) : input, pads, mode);
  return unbatched ? padded.squeeze(0) : padded;
}

std::string padding_mode_repr(const std::string& mode) { return mode == "zeros" ? "" : ", padding_mode=" + mode; }

}  // namespace

Conv1d::Conv1d(int64_t in, int64_t out, int64_t k, const Conv1dOptions& o)
    : Module("Conv1d"), in_channels(in), out_channels(out), kernel_size(k), options(o) {
  check_channels("Conv1d", in, out, o.groups);
  SOMA_CHECK(k > 0, "Conv1d: kernel_size must be positive, got {}", k);
  check_same_padding("Conv1d", o.padding, o.stride != 1);
  check_padding_mode("Conv1d", o.padding_mode);
  weight = register_parameter("weight", empty({out, in / o.groups, k}, o.dtype));
  if (o.bias) bias = register_parameter("bias", empty({out}, o.dtype));
  reset_parameters();
}

void Conv1d::reset_parameters() { init_conv(weight, bias); }

Tensor Conv1d::forward(const Tensor& input) {
  if (options.padding_mode != "zeros") {
    const auto pads = reversed_padding(options.padding, {kernel_size}, {options.dilation});
    return functional::conv1d(pad_input("Conv1d", input, pads, options.padding_mode, 1), weight, bias,
                              {.stride = options.stride, .dilation = options.dilation, .groups = options.groups});
  }
  return functional::conv1d(input, weight, bias,
                            {.stride = options.stride, .padding = options.padding, .dilation = options.dilation,
                             .groups = options.groups});
}

std::string Conv1d::extra_repr() const {
  return conv_repr(in_channels, out_channels, fmt::format("({},)", kernel_size), fmt::format("({},)", options.stride),
                   padding_repr(options.padding, 1), zero_padding(options.padding),
                   fmt::format("({},)", options.dilation), options.dilation == 1, "", options.groups, bias.defined()) +
         padding_mode_repr(options.padding_mode);
}

Conv2d::Conv2d(int64_t in, int64_t out, Size2 k, const Conv2dOptions& o)
    : Module("Conv2d"), in_channels(in), out_channels(out), kernel_size(k), options(o) {
  check_channels("Conv2d", in, out, o.groups);
  SOMA_CHECK(k.h > 0 && k.w > 0, "Conv2d: kernel_size must be positive, got {}", pair(k));
  check_same_padding("Conv2d", o.padding, o.stride.h != 1 || o.stride.w != 1);
  check_padding_mode("Conv2d", o.padding_mode);
  weight = register_parameter("weight", empty({out, in / o.groups, k.h, k.w}, o.dtype));
  if (o.bias) bias = register_parameter("bias", empty({out}, o.dtype));
  reset_parameters();
}

void Conv2d::reset_parameters() { init_conv(weight, bias); }

Tensor Conv2d::forward(const Tensor& input) {
  if (options.padding_mode != "zeros") {
    const auto pads = reversed_padding(options.padding, {kernel_size.h, kernel_size.w},
                                       {options.dilation.h, options.dilation.w});
    return functional::conv2d(pad_input("Conv2d", input, pads, options.padding_mode, 2), weight, bias,
                              {.stride = options.stride, .dilation = options.dilation, .groups = options.groups});
  }
  return functional::conv2d(input, weight, bias,
                            {.stride = options.stride, .padding = options.padding, .dilation = options.dilation,
                             .groups = options.groups});
}

std::string Conv2d::extra_repr() const {
  return conv_repr(in_channels, out_channels, pair(kernel_size), pair(options.stride), padding_repr(options.padding, 2),
                   zero_padding(options.padding), pair(options.dilation),
                   options.dilation.h == 1 && options.dilation.w == 1, "", options.groups, bias.defined()) +
         padding_mode_repr(options.padding_mode);
}

ConvTranspose2d::ConvTranspose2d(int64_t in, int64_t out, Size2 k, const ConvTranspose2dOptions& o)
    : Module("ConvTranspose2d"), in_channels(in), out_channels(out), kernel_size(k), options(o) {
  check_channels("ConvTranspose2d", in, out, o.groups);
  SOMA_CHECK(k.h > 0 && k.w > 0, "ConvTranspose2d: kernel_size must be positive, got {}", pair(k));
  weight = register_parameter("weight", empty({in, out / o.groups, k.h, k.w}, o.dtype));
  if (o.bias) bias = register_parameter("bias", empty({out}, o.dtype));
  reset_parameters();
}

void ConvTranspose2d::reset_parameters() { init_conv(weight, bias); }

Tensor ConvTranspose2d::forward(const Tensor& input) {
  return functional::conv_transpose2d(input, weight, bias,
                                      {.stride = options.stride, .padding = options.padding,
                                       .output_padding = options.output_padding, .groups = options.groups,
                                       .dilation = options.dilation});
}

std::string ConvTranspose2d::extra_repr() const {
  const Size2& op = options.output_padding;
  return conv_repr(in_channels, out_channels, pair(kernel_size), pair(options.stride), pair(options.padding),
                   options.padding.h == 0 && options.padding.w == 0, pair(options.dilation),
                   options.dilation.h == 1 && options.dilation.w == 1, op.h == 0 && op.w == 0 ? "" : pair(op),
                   options.groups, bias.defined());
}

}  // namespace soma::nn
