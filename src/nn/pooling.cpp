// Pooling. Everything runs on 4-D [N, C, H, W] tensors (1-D pooling adds a height of 1,
// unbatched inputs a batch of 1). The backward passes are linear in the incoming gradient and
// come in adjoint pairs, so double backward needs no new kernels:
//
//   max/min pool:  backward = scatter of g at the saved indices;  scatter' = gather at them
//   avg pool:      backward = spread of g over each window;       spread' = avg pool itself
#include "soma/nn/pooling.h"

#include <algorithm>
#include <string>

#include "autograd/node.h"
#include "kernels/cpu/pool.h"
#include "soma/creation.h"

namespace soma::nn {

namespace {

using autograd::GradMask;
using kernels::Pool2dGeometry;
using kernels::PoolWindow;
using Windows = std::vector<PoolWindow>;

// [N, C, H, W] viewed as [N * C, H * W].
Tensor planes(const Tensor& t) { return t.view({t.size(0) * t.size(1), t.size(2) * t.size(3)}); }

Tensor pool_gather(const Tensor& source, const Tensor& indices);

// The gradient of a max pool: `grad` [N, C, OH, OW] added into zeros of `shape` at `indices`.
Tensor pool_scatter(const Tensor& grad, const Tensor& indices, const Shape& shape) {
  Tensor out = empty(shape, grad.dtype());
  kernels::pool2d_scatter(planes(out), planes(grad.contiguous()), planes(indices));
  if (autograd::needs_grad(grad))
    autograd::record("max_pool2d_backward", out, {grad}, [indices](const Tensor& h, GradMask) -> TensorList {
      return {pool_gather(h, indices)};
    });
  return out;
}

// source [N, C, H, W] read at indices [N, C, OH, OW].
Tensor pool_gather(const Tensor& source, const Tensor& indices) {
  Tensor out = empty(indices.shape(), source.dtype());
  kernels::pool2d_gather(planes(out), planes(source.contiguous()), planes(indices));
  if (autograd::needs_grad(source))
    autograd::record("max_pool2d_double_backward", out, {source},
                     [indices, shape = source.shape()](const Tensor& h, GradMask) -> TensorList {
                       return {pool_scatter(h, indices, shape)};
                     });
  return out;
}

std::pair<Tensor, Tensor> extremum_pool(const char* op, const Tensor& x, const Pool2dGeometry& g, bool take_min) {
  Tensor out = empty({x.size(0), x.size(1), g.out_h, g.out_w}, x.dtype());
  Tensor indices = empty(out.shape(), kInt32);
  kernels::extremum_pool2d_forward(out, indices, x.contiguous(), g, take_min);
  if (autograd::needs_grad(x))
    autograd::record(op, out, {x}, [indices, shape = x.shape()](const Tensor& h, GradMask) -> TensorList {
      return {pool_scatter(h, indices, shape)};
    });
  return {out, indices};
}

Tensor avg_pool(const Tensor& x, const Windows& rows, const Windows& cols);

// The gradient of an average pool: each of grad's entries spread over its window.
Tensor avg_pool_backward(const Tensor& grad, const Windows& rows, const Windows& cols, const Shape& shape) {
  Tensor out = empty(shape, grad.dtype());
  kernels::avg_pool2d_backward(out, grad.contiguous(), rows, cols);
  if (autograd::needs_grad(grad))
    autograd::record("avg_pool2d_backward", out, {grad}, [rows, cols](const Tensor& h, GradMask) -> TensorList {
      return {avg_pool(h, rows, cols)};
    });
  return out;
}

Tensor avg_pool(const Tensor& x, const Windows& rows, const Windows& cols) {
  Tensor out = empty({x.size(0), x.size(1), static_cast<int64_t>(rows.size()), static_cast<int64_t>(cols.size())},
                     x.dtype());
  kernels::avg_pool2d_forward(out, x.contiguous(), rows, cols);
  if (autograd::needs_grad(x))
    autograd::record("avg_pool2d", out, {x}, [rows, cols, shape = x.shape()](const Tensor& h, GradMask) -> TensorList {
      return {avg_pool_backward(h, rows, cols, shape)};
    });
  return out;
}

// ---- shapes and checks ------------------------------------------------------------------------------

// A stride of 0 means the kernel size.
Size2 stride_or_kernel(const Size2& stride, const Size2& k) {
  return {stride.h == 0 ? k.h : stride.h, stride.w == 0 ? k.w : stride.w};
}

// The input as [N, C, H, W] (1-D: H = 1; unbatched: N = 1), after checking rank and dtype.
Tensor as_4d(const char* op, const Tensor& input, int dims) {
  SOMA_CHECK(input.dim() == dims + 1 || input.dim() == dims + 2,
             "{}: expected a {}-D (unbatched) or {}-D (batched) input {}, got shape {}", op, dims + 1, dims + 2,
             dims == 1 ? "[N, C, L]" : "[N, C, H, W]", input.shape());
  SOMA_CHECK(input.dtype() == kFloat32 || input.dtype() == kFloat64, "{}: expected a float32 or float64 input, got {}",
             op, dtype_name(input.dtype()));
  Tensor x = input.dim() == dims + 1 ? input.unsqueeze(0) : input;
  return dims == 1 ? x.unsqueeze(2) : x;
}

// A 4-D result back in the caller's layout.
Tensor from_4d(const Tensor& y, const Tensor& input, int dims) {
  Tensor r = dims == 1 ? y.squeeze(2) : y;
  return input.dim() == dims + 1 ? r.squeeze(0) : r;
}

// The output size along one dim (PyTorch's pooling_output_shape): with ceil_mode the last
// window may run past the input, but must start inside it or inside the left padding.
int64_t pooled_size(const char* op, const Tensor& input, int64_t in, int64_t k, int64_t stride, int64_t pad,
                    int64_t dilation, bool ceil_mode) {
  SOMA_CHECK(k > 0 && stride > 0 && dilation > 0,
             "{}: kernel_size ({}), stride ({}) and dilation ({}) must be positive", op, k, stride, dilation);
  SOMA_CHECK(pad >= 0 && pad <= k / 2, "{}: padding ({}) must be between 0 and half the kernel size ({})", op, pad, k);
  const int64_t span = in + 2 * pad - dilation * (k - 1) - 1 + (ceil_mode ? stride - 1 : 0);
  int64_t out = (span >= 0 ? span / stride : -((-span + stride - 1) / stride)) + 1;
  if (ceil_mode && (out - 1) * stride >= in + pad) --out;
  SOMA_CHECK(out >= 1, "{}: input of shape {} is too small for kernel size {} (dilation {}, padding {}): output size {}",
             op, input.shape(), k, dilation, pad, out);
  return out;
}

std::pair<Tensor, Tensor> extremum_pool_nd(const char* op, const Tensor& input, int dims, Size2 k,
                                           const MaxPool2dOptions& o, bool take_min) {
  Tensor x = as_4d(op, input, dims);
  const Size2 s = stride_or_kernel(o.stride, k);
  Pool2dGeometry g{x.size(0) * x.size(1), x.size(2), x.size(3), 0, 0, k.h, k.w, s.h, s.w, o.padding.h, o.padding.w,
                   o.dilation.h, o.dilation.w};
  g.out_h = pooled_size(op, input, g.in_h, k.h, s.h, o.padding.h, o.dilation.h, o.ceil_mode);
  g.out_w = pooled_size(op, input, g.in_w, k.w, s.w, o.padding.w, o.dilation.w, o.ceil_mode);
  auto [y, indices] = extremum_pool(op, x, g, take_min);
  return {from_4d(y, input, dims), from_4d(indices, input, dims)};
}

// The public form of the indices: int64, as in PyTorch (the kernels use int32).
std::pair<Tensor, Tensor> with_int64_indices(std::pair<Tensor, Tensor> r) { return {r.first, r.second.to(kInt64)}; }

MaxPool2dOptions as_2d(const MaxPool1dOptions& o) {
  return {.stride = {1, o.stride}, .padding = {0, o.padding}, .dilation = {1, o.dilation}, .ceil_mode = o.ceil_mode};
}

// The windows of an average pool along one dim.
Windows avg_windows(const char* op, const Tensor& input, int64_t in, int64_t k, int64_t stride, int64_t pad,
                    bool ceil_mode, bool count_include_pad) {
  const int64_t out = pooled_size(op, input, in, k, stride, pad, 1, ceil_mode);
  Windows w(out);
  for (int64_t o = 0; o < out; ++o) {
    const int64_t begin = o * stride - pad, end = std::min(begin + k, in + pad);
    const int64_t b = std::max<int64_t>(begin, 0), e = std::min(end, in);
    w[o] = {b, e, count_include_pad ? end - begin : e - b};
  }
  return w;
}

Tensor avg_pool_nd(const char* op, const Tensor& input, int dims, Size2 k, const AvgPool2dOptions& o) {
  Tensor x = as_4d(op, input, dims);
  const Size2 s = stride_or_kernel(o.stride, k);
  Windows rows = avg_windows(op, input, x.size(2), k.h, s.h, o.padding.h, o.ceil_mode, o.count_include_pad);
  Windows cols = avg_windows(op, input, x.size(3), k.w, s.w, o.padding.w, o.ceil_mode, o.count_include_pad);
  if (o.divisor_override) {
    // The divisor is rows[i].count * cols[j].count: put all of it in the rows' factor.
    SOMA_CHECK(*o.divisor_override != 0, "{}: divisor_override must not be zero", op);
    for (PoolWindow& r : rows) r.count = *o.divisor_override;
    for (PoolWindow& c : cols) c.count = 1;
  }
  return from_4d(avg_pool(x, rows, cols), input, dims);
}

// Adaptive windows: [floor(o * in / out), ceil((o + 1) * in / out)).
Windows adaptive_windows(int64_t in, int64_t out) {
  Windows w(out);
  for (int64_t o = 0; o < out; ++o) {
    const int64_t b = o * in / out, e = ((o + 1) * in + out - 1) / out;
    w[o] = {b, e, e - b};
  }
  return w;
}

std::string size_repr(const Size2& s) { return s.h == s.w ? std::to_string(s.h) : fmt::format("({}, {})", s.h, s.w); }

}  // namespace

namespace functional {

std::pair<Tensor, Tensor> max_pool1d_with_indices(const Tensor& input, int64_t k, const MaxPool1dOptions& o) {
  return with_int64_indices(extremum_pool_nd("max_pool1d", input, 1, {1, k}, as_2d(o), false));
}
Tensor max_pool1d(const Tensor& input, int64_t k, const MaxPool1dOptions& o) {
  return extremum_pool_nd("max_pool1d", input, 1, {1, k}, as_2d(o), false).first;
}
std::pair<Tensor, Tensor> max_pool2d_with_indices(const Tensor& input, Size2 k, const MaxPool2dOptions& o) {
  return with_int64_indices(extremum_pool_nd("max_pool2d", input, 2, k, o, false));
}
Tensor max_pool2d(const Tensor& input, Size2 k, const MaxPool2dOptions& o) {
  return extremum_pool_nd("max_pool2d", input, 2, k, o, false).first;
}
std::pair<Tensor, Tensor> min_pool2d_with_indices(const Tensor& input, Size2 k, const MaxPool2dOptions& o) {
  return with_int64_indices(extremum_pool_nd("min_pool2d", input, 2, k, o, true));
}
Tensor min_pool2d(const Tensor& input, Size2 k, const MaxPool2dOptions& o) {
  return extremum_pool_nd("min_pool2d", input, 2, k, o, true).first;
}

Tensor avg_pool1d(const Tensor& input, int64_t k, const AvgPool1dOptions& o) {
  return avg_pool_nd("avg_pool1d", input, 1, {1, k},
                     {.stride = {1, o.stride}, .padding = {0, o.padding}, .ceil_mode = o.ceil_mode,
                      .count_include_pad = o.count_include_pad});
}
Tensor avg_pool2d(const Tensor& input, Size2 k, const AvgPool2dOptions& o) { return avg_pool_nd("avg_pool2d", input, 2, k, o); }

Tensor adaptive_avg_pool2d(const Tensor& input, Size2 output_size) {
  const char* op = "adaptive_avg_pool2d";
  Tensor x = as_4d(op, input, 2);
  SOMA_CHECK(output_size.h > 0 && output_size.w > 0, "{}: output size must be positive, got ({}, {})", op,
             output_size.h, output_size.w);
  SOMA_CHECK(x.size(2) > 0 && x.size(3) > 0, "{}: input of shape {} has an empty spatial dim", op, input.shape());
  return from_4d(avg_pool(x, adaptive_windows(x.size(2), output_size.h), adaptive_windows(x.size(3), output_size.w)),
                 input, 2);
}

}  // namespace functional

// ---- modules ------------------------------------------------------------------------------------

MaxPool1d::MaxPool1d(int64_t k, const MaxPool1dOptions& o) : Module("MaxPool1d"), kernel_size(k), options(o) {}
Tensor MaxPool1d::forward(const Tensor& input) { return functional::max_pool1d(input, kernel_size, options); }
std::pair<Tensor, Tensor> MaxPool1d::forward_with_indices(const Tensor& input) {
  return functional::max_pool1d_with_indices(input, kernel_size, options);
}
std::string MaxPool1d::extra_repr() const {
  return fmt::format("kernel_size={}, stride={}, padding={}, dilation={}, ceil_mode={}", kernel_size,
                     options.stride == 0 ? kernel_size : options.stride, options.padding, options.dilation,
                     options.ceil_mode ? "True" : "False");
}

MaxPool2d::MaxPool2d(Size2 k, const MaxPool2dOptions& o) : Module("MaxPool2d"), kernel_size(k), options(o) {}
Tensor MaxPool2d::forward(const Tensor& input) { return functional::max_pool2d(input, kernel_size, options); }
std::pair<Tensor, Tensor> MaxPool2d::forward_with_indices(const Tensor& input) {
  return functional::max_pool2d_with_indices(input, kernel_size, options);
}
std::string MaxPool2d::extra_repr() const {
  return fmt::format("kernel_size={}, stride={}, padding={}, dilation={}, ceil_mode={}", size_repr(kernel_size),
                     size_repr(stride_or_kernel(options.stride, kernel_size)), size_repr(options.padding),
                     size_repr(options.dilation), options.ceil_mode ? "True" : "False");
}

MinPool2d::MinPool2d(Size2 k, const MaxPool2dOptions& o) : Module("MinPool2d"), kernel_size(k), options(o) {}
Tensor MinPool2d::forward(const Tensor& input) { return functional::min_pool2d(input, kernel_size, options); }
std::pair<Tensor, Tensor> MinPool2d::forward_with_indices(const Tensor& input) {
  return functional::min_pool2d_with_indices(input, kernel_size, options);
}
std::string MinPool2d::extra_repr() const {
  return fmt::format("kernel_size={}, stride={}, padding={}, dilation={}, ceil_mode={}", size_repr(kernel_size),
                     size_repr(stride_or_kernel(options.stride, kernel_size)), size_repr(options.padding),
                     size_repr(options.dilation), options.ceil_mode ? "True" : "False");
}

AvgPool1d::AvgPool1d(int64_t k, const AvgPool1dOptions& o) : Module("AvgPool1d"), kernel_size(k), options(o) {}
Tensor AvgPool1d::forward(const Tensor& input) { return functional::avg_pool1d(input, kernel_size, options); }
std::string AvgPool1d::extra_repr() const {
  return fmt::format("kernel_size=({},), stride=({},), padding=({},)", kernel_size,
                     options.stride == 0 ? kernel_size : options.stride, options.padding);
}

AvgPool2d::AvgPool2d(Size2 k, const AvgPool2dOptions& o) : Module("AvgPool2d"), kernel_size(k), options(o) {}
Tensor AvgPool2d::forward(const Tensor& input) { return functional::avg_pool2d(input, kernel_size, options); }
std::string AvgPool2d::extra_repr() const {
  return fmt::format("kernel_size={}, stride={}, padding={}", size_repr(kernel_size),
                     size_repr(stride_or_kernel(options.stride, kernel_size)), size_repr(options.padding));
}

Tensor AdaptiveAvgPool2d::forward(const Tensor& input) { return functional::adaptive_avg_pool2d(input, output_size); }
std::string AdaptiveAvgPool2d::extra_repr() const { return "output_size=" + size_repr(output_size); }

}  // namespace soma::nn
