#include "kernels/cpu/conv.h"

#include <cblas.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "kernels/cpu/conv_direct.h"
#include "kernels/cpu/parallel_for.h"
#include "soma/parallel.h"

namespace soma::kernels {

namespace {

// Below this many multiply-adds in all, a kernel runs on one thread.
constexpr int64_t kConvGrain = 1 << 17;
// backward_weight sums the batch in at most this many chunks (fixed, so the result does not
// depend on the thread count), each with its own partial gradient of at most kPartialBudget
// elements in all.
constexpr int64_t kMaxChunks = 16;
constexpr int64_t kPartialBudget = int64_t{1} << 22;

void blas_gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b,
               int64_t ldb, float beta, float* c, int64_t ldc) {
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, 1.0f, a, lda, b,
              ldb, beta, c, ldc);
}
void blas_gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const double* a, int64_t lda, const double* b,
               int64_t ldb, double beta, double* c, int64_t ldc) {
  cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m, n, k, 1.0, a, lda, b,
              ldb, beta, c, ldc);
}

// ceil(a / b) for b > 0 and any sign of a.
int64_t div_ceil(int64_t a, int64_t b) { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }

// The outputs o (along one spatial dim) whose tap at offset `tap` lands inside [0, size):
// o * stride - pad + tap in [0, size)  <=>  o in [lo, hi).
std::pair<int64_t, int64_t> valid_range(int64_t size, int64_t out, int64_t stride, int64_t pad, int64_t tap) {
  const int64_t lo = std::clamp<int64_t>(div_ceil(pad - tap, stride), 0, out);
  const int64_t hi = std::clamp<int64_t>(div_ceil(size + pad - tap, stride), lo, out);
  return {lo, hi};
}

bool is_pointwise(const Conv2dGeometry& g) {
  return g.kernel_h == 1 && g.kernel_w == 1 && g.stride_h == 1 && g.stride_w == 1 && g.pad_h == 0 && g.pad_w == 0 &&
         g.in_h == g.out_h && g.in_w == g.out_w;
}

// Visits every (column row, output row) pair of one image's im2col matrix: f(col_row, in_row
// or nullptr when the tap falls in the padding, ow_lo, ow_hi, first input column).
// col_row has OW entries; entries outside [ow_lo, ow_hi) read padding.
template <class F>
void for_each_col_row(const Conv2dGeometry& g, int64_t channels, F f) {
  const int64_t OW = g.out_w;
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t kh = 0; kh < g.kernel_h; ++kh)
      for (int64_t kw = 0; kw < g.kernel_w; ++kw) {
        const int64_t row0 = ((c * g.kernel_h + kh) * g.kernel_w + kw) * g.out_h * OW;
        const auto [lo, hi] = valid_range(g.in_w, OW, g.stride_w, g.pad_w, kw * g.dilation_w);
        const int64_t iw0 = lo * g.stride_w - g.pad_w + kw * g.dilation_w;
        for (int64_t oh = 0; oh < g.out_h; ++oh) {
          const int64_t ih = oh * g.stride_h - g.pad_h + kh * g.dilation_h;
          const bool inside = ih >= 0 && ih < g.in_h;
          f(row0 + oh * OW, inside ? (c * g.in_h + ih) * g.in_w + iw0 : int64_t{-1}, lo, hi);
        }
      }
}

// col [C*KH*KW, OH*OW] <- patches of x [C, H, W].
template <class T>
void im2col(T* col, const T* x, int64_t channels, const Conv2dGeometry& g) {
  const int64_t OW = g.out_w, sw = g.stride_w;
  for_each_col_row(g, channels, [&](int64_t r, int64_t in, int64_t lo, int64_t hi) {
    T* dst = col + r;
    if (in < 0) {
      std::fill(dst, dst + OW, T(0));
      return;
    }
    std::fill(dst, dst + lo, T(0));
    const T* src = x + in;
    if (sw == 1)
      std::copy(src, src + (hi - lo), dst + lo);
    else
      for (int64_t o = lo; o < hi; ++o) dst[o] = src[(o - lo) * sw];
    std::fill(dst + hi, dst + OW, T(0));
  });
}

// x [C, H, W] += the patches in col (the adjoint of im2col).
template <class T>
void col2im_add(T* x, const T* col, int64_t channels, const Conv2dGeometry& g) {
  const int64_t sw = g.stride_w;
  for_each_col_row(g, channels, [&](int64_t r, int64_t in, int64_t lo, int64_t hi) {
    if (in < 0) return;
    const T* src = col + r;
    T* dst = x + in;
    if (sw == 1)
      for (int64_t o = lo; o < hi; ++o) dst[o - lo] += src[o];
    else
      for (int64_t o = lo; o < hi; ++o) dst[(o - lo) * sw] += src[o];
  });
}

// Runs body(i, scratch) for i in [0, count): on all threads (each with its own scratch buffer
// of `scratch_size` elements and single-threaded BLAS) when `parallel`, else in order.
template <class T, class F>
void for_each_image(int64_t count, bool parallel, int64_t scratch_size, F body) {
  if (parallel) {
#pragma omp parallel
    {
      std::unique_ptr<T[]> scratch(scratch_size > 0 ? new T[scratch_size] : nullptr);
#pragma omp for schedule(static)
      for (int64_t i = 0; i < count; ++i) body(i, scratch.get());
    }
  } else {
    std::unique_ptr<T[]> scratch(scratch_size > 0 ? new T[scratch_size] : nullptr);
    for (int64_t i = 0; i < count; ++i) body(i, scratch.get());
  }
}

struct Dims {
  int64_t cg, ocg, kk, ckk, ohw, in_plane, out_plane;
  explicit Dims(const Conv2dGeometry& g)
      : cg(g.in_channels / g.groups),
        ocg(g.out_channels / g.groups),
        kk(g.kernel_h * g.kernel_w),
        ckk(cg * kk),
        ohw(g.out_h * g.out_w),
        in_plane(g.in_channels * g.in_h * g.in_w),
        out_plane(g.out_channels * g.out_h * g.out_w) {}
};

// Small stride-1 layers skip im2col (conv_direct.h); 1x1 ones need no im2col anyway.
bool use_direct_kernels(const Conv2dGeometry& g) { return !is_pointwise(g) && direct::applies(g); }

// One image per thread pays off once the batch can fill the threads.
bool parallel_over_images(const Conv2dGeometry& g, const Dims& d) {
  const int64_t threads = get_num_threads();
  return threads > 1 && g.batch >= threads && g.batch * g.out_channels * d.ckk * d.ohw >= kConvGrain;
}

template <class T>
void forward_typed(const Tensor& out, const Tensor& input, const Tensor& weight, const Tensor& bias,
                   const Conv2dGeometry& g) {
  const Dims d(g);
  const T* x = static_cast<const T*>(input.data_ptr());
  const T* w = static_cast<const T*>(weight.data_ptr());
  const T* b = bias.defined() ? static_cast<const T*>(bias.data_ptr()) : nullptr;
  T* y = static_cast<T*>(out.data_ptr());
  if (use_direct_kernels(g)) return direct::forward(y, x, w, b, g);
  const bool direct = is_pointwise(g);
  for_each_image<T>(g.batch, parallel_over_images(g, d), direct ? 0 : g.in_channels * d.kk * d.ohw,
                    [&](int64_t n, T* col) {
                      const T* xn = x + n * d.in_plane;
                      T* yn = y + n * d.out_plane;
                      if (!direct) im2col(col, xn, g.in_channels, g);
                      const T* cols = direct ? xn : col;
                      if (b)
                        for (int64_t oc = 0; oc < g.out_channels; ++oc)
                          std::fill(yn + oc * d.ohw, yn + (oc + 1) * d.ohw, b[oc]);
                      for (int64_t j = 0; j < g.groups; ++j)
                        blas_gemm(false, false, d.ocg, d.ohw, d.ckk, w + j * d.ocg * d.ckk, d.ckk,
                                  cols + j * d.ckk * d.ohw, d.ohw, b ? T(1) : T(0), yn + j * d.ocg * d.ohw, d.ohw);
                    });
}

template <class T>
void backward_input_typed(const Tensor& grad_input, const Tensor& grad_output, const Tensor& weight,
                          const Tensor& bias, const Conv2dGeometry& g) {
  const Dims d(g);
  const T* go = static_cast<const T*>(grad_output.data_ptr());
  const T* w = static_cast<const T*>(weight.data_ptr());
  const T* b = bias.defined() ? static_cast<const T*>(bias.data_ptr()) : nullptr;
  T* gx = static_cast<T*>(grad_input.data_ptr());
  if (use_direct_kernels(g)) return direct::backward_input(gx, go, w, b, g);
  const bool direct = is_pointwise(g);
  const int64_t plane = g.in_h * g.in_w;
  for_each_image<T>(g.batch, parallel_over_images(g, d), direct ? 0 : g.in_channels * d.kk * d.ohw,
                    [&](int64_t n, T* col) {
                      const T* gn = go + n * d.out_plane;
                      T* gxn = gx + n * d.in_plane;
                      T* cols = direct ? gxn : col;
                      for (int64_t j = 0; j < g.groups; ++j)
                        blas_gemm(true, false, d.ckk, d.ohw, d.ocg, w + j * d.ocg * d.ckk, d.ckk,
                                  gn + j * d.ocg * d.ohw, d.ohw, T(0), cols + j * d.ckk * d.ohw, d.ohw);
                      if (!direct) {
                        std::fill(gxn, gxn + d.in_plane, T(0));
                        col2im_add(gxn, col, g.in_channels, g);
                      }
                      if (b)
                        for (int64_t c = 0; c < g.in_channels; ++c)
                          for (int64_t i = 0; i < plane; ++i) gxn[c * plane + i] += b[c];
                    });
}

template <class T>
void backward_weight_typed(const Tensor& grad_weight, const Tensor& input, const Tensor& grad_output,
                           const Conv2dGeometry& g) {
  const Dims d(g);
  const T* x = static_cast<const T*>(input.data_ptr());
  const T* go = static_cast<const T*>(grad_output.data_ptr());
  T* gw = static_cast<T*>(grad_weight.data_ptr());
  if (use_direct_kernels(g)) return direct::backward_weight(gw, x, go, g);
  const int64_t wsize = g.out_channels * d.ckk;
  const int64_t chunks = std::clamp<int64_t>(kPartialBudget / std::max<int64_t>(wsize, 1), 1,
                                             std::min<int64_t>(kMaxChunks, std::max<int64_t>(g.batch, 1)));
  const bool direct = is_pointwise(g);
  // Chunk c sums images [c * batch / chunks, (c + 1) * batch / chunks) into partial c (chunk 0: gw).
  std::vector<T> partials((chunks - 1) * wsize);
  const bool parallel = chunks > 1 && get_num_threads() > 1 && g.batch * g.out_channels * d.ckk * d.ohw >= kConvGrain;
  for_each_image<T>(chunks, parallel, direct ? 0 : g.in_channels * d.kk * d.ohw, [&](int64_t c, T* col) {
    T* acc = c == 0 ? gw : partials.data() + (c - 1) * wsize;
    const int64_t begin = c * g.batch / chunks, end = (c + 1) * g.batch / chunks;
    if (begin == end) std::fill(acc, acc + wsize, T(0));
    for (int64_t n = begin; n < end; ++n) {
      const T* xn = x + n * d.in_plane;
      if (!direct) im2col(col, xn, g.in_channels, g);
      const T* cols = direct ? xn : col;
      for (int64_t j = 0; j < g.groups; ++j)
        blas_gemm(false, true, d.ocg, d.ckk, d.ohw, go + n * d.out_plane + j * d.ocg * d.ohw, d.ohw,
                  cols + j * d.ckk * d.ohw, d.ohw, n == begin ? T(0) : T(1), acc + j * d.ocg * d.ckk, d.ckk);
    }
  });
  for (int64_t c = 1; c < chunks; ++c) {
    const T* p = partials.data() + (c - 1) * wsize;
    for (int64_t i = 0; i < wsize; ++i) gw[i] += p[i];
  }
}

void check(const char* op, const TensorList& ts) {
  for (const Tensor& t : ts)
    if (t.defined())
      SOMA_CHECK(t.is_contiguous() && t.dtype() == ts[0].dtype() && (t.dtype() == kFloat32 || t.dtype() == kFloat64),
                 "{}: expected contiguous float32/float64 tensors of one dtype", op);
}

// Element (n, c, h, w) of a contiguous 4-D tensor of sizes [*, C, H, W].
inline int64_t at(int64_t n, int64_t c, int64_t h, int64_t w, int64_t C, int64_t H, int64_t W) {
  return ((n * C + c) * H + h) * W + w;
}

// Calls f(n, oc, oh, ow, c, kh, kw, ih, iw) for every output element and every kernel tap of it
// that lands inside the input (c: the input channel, kernel index c % Cg).
template <class F>
void for_each_tap(const Conv2dGeometry& g, F f) {
  const int64_t cg = g.in_channels / g.groups, ocg = g.out_channels / g.groups;
  for (int64_t n = 0; n < g.batch; ++n)
    for (int64_t oc = 0; oc < g.out_channels; ++oc)
      for (int64_t oh = 0; oh < g.out_h; ++oh)
        for (int64_t ow = 0; ow < g.out_w; ++ow)
          for (int64_t k = 0; k < cg; ++k)
            for (int64_t kh = 0; kh < g.kernel_h; ++kh)
              for (int64_t kw = 0; kw < g.kernel_w; ++kw) {
                const int64_t ih = oh * g.stride_h - g.pad_h + kh * g.dilation_h;
                const int64_t iw = ow * g.stride_w - g.pad_w + kw * g.dilation_w;
                if (ih >= 0 && ih < g.in_h && iw >= 0 && iw < g.in_w) f(n, oc, oh, ow, (oc / ocg) * cg + k, kh, kw, ih, iw);
              }
}

}  // namespace

void conv2d_forward(const Tensor& out, const Tensor& input, const Tensor& weight, const Tensor& bias,
                    const Conv2dGeometry& g) {
  check("conv2d_forward", {out, input, weight, bias});
  if (out.numel() == 0) return;
  dispatch_float(out.dtype(), [&]<class T>() { forward_typed<T>(out, input, weight, bias, g); });
}

void conv2d_backward_input(const Tensor& grad_input, const Tensor& grad_output, const Tensor& weight,
                           const Tensor& bias, const Conv2dGeometry& g) {
  check("conv2d_backward_input", {grad_input, grad_output, weight, bias});
  if (grad_input.numel() == 0) return;
  dispatch_float(grad_input.dtype(),
                 [&]<class T>() { backward_input_typed<T>(grad_input, grad_output, weight, bias, g); });
}

void conv2d_backward_weight(const Tensor& grad_weight, const Tensor& input, const Tensor& grad_output,
                            const Conv2dGeometry& g) {
  check("conv2d_backward_weight", {grad_weight, input, grad_output});
  if (grad_weight.numel() == 0) return;
  dispatch_float(grad_weight.dtype(), [&]<class T>() { backward_weight_typed<T>(grad_weight, input, grad_output, g); });
}

void conv2d_backward_bias(const Tensor& grad_bias, const Tensor& grad_output) {
  check("conv2d_backward_bias", {grad_bias, grad_output});
  const int64_t n = grad_output.size(0), channels = grad_output.size(1);
  const int64_t plane = grad_output.numel() / std::max<int64_t>(n * channels, 1);
  dispatch_float(grad_bias.dtype(), [&]<class T>() {
    const T* g = static_cast<const T*>(grad_output.data_ptr());
    T* gb = static_cast<T*>(grad_bias.data_ptr());
    parallel_for(channels, n * plane, [&](int64_t begin, int64_t end) {
      for (int64_t c = begin; c < end; ++c) {
        // 16 running sums (vectorized), added up at the end.
        T lanes[16] = {};
        for (int64_t i = 0; i < n; ++i) {
          const T* p = g + (i * channels + c) * plane;
          int64_t j = 0;
          for (; j + 16 <= plane; j += 16)
            for (int l = 0; l < 16; ++l) lanes[l] += p[j + l];
          for (; j < plane; ++j) lanes[j % 16] += p[j];
        }
        T total = 0;
        for (T v : lanes) total += v;
        gb[c] = total;
      }
    });
  });
}

void conv2d_reference(const Tensor& out, const Tensor& input, const Tensor& weight, const Tensor& bias,
                      const Conv2dGeometry& g) {
  check("conv2d_reference", {out, input, weight, bias});
  const int64_t cg = g.in_channels / g.groups;
  dispatch_float(out.dtype(), [&]<class T>() {
    const T* x = static_cast<const T*>(input.data_ptr());
    const T* w = static_cast<const T*>(weight.data_ptr());
    T* y = static_cast<T*>(out.data_ptr());
    for (int64_t i = 0; i < out.numel(); ++i)
      y[i] = bias.defined() ? static_cast<const T*>(bias.data_ptr())[i / (g.out_h * g.out_w) % g.out_channels] : T(0);
    for_each_tap(g, [&](int64_t n, int64_t oc, int64_t oh, int64_t ow, int64_t c, int64_t kh, int64_t kw, int64_t ih,
                        int64_t iw) {
      y[at(n, oc, oh, ow, g.out_channels, g.out_h, g.out_w)] +=
          w[at(oc, c % cg, kh, kw, cg, g.kernel_h, g.kernel_w)] * x[at(n, c, ih, iw, g.in_channels, g.in_h, g.in_w)];
    });
  });
}

void conv2d_backward_reference(const Tensor& grad_input, const Tensor& grad_weight, const Tensor& grad_output,
                               const Tensor& input, const Tensor& weight, const Conv2dGeometry& g) {
  check("conv2d_backward_reference", {grad_output, grad_input, grad_weight, input, weight});
  const int64_t cg = g.in_channels / g.groups;
  dispatch_float(grad_output.dtype(), [&]<class T>() {
    const T* go = static_cast<const T*>(grad_output.data_ptr());
    T* gx = grad_input.defined() ? static_cast<T*>(grad_input.data_ptr()) : nullptr;
    T* gw = grad_weight.defined() ? static_cast<T*>(grad_weight.data_ptr()) : nullptr;
    if (gx) std::fill(gx, gx + grad_input.numel(), T(0));
    if (gw) std::fill(gw, gw + grad_weight.numel(), T(0));
    for_each_tap(g, [&](int64_t n, int64_t oc, int64_t oh, int64_t ow, int64_t c, int64_t kh, int64_t kw, int64_t ih,
                        int64_t iw) {
      const T gy = go[at(n, oc, oh, ow, g.out_channels, g.out_h, g.out_w)];
      const int64_t wi = at(oc, c % cg, kh, kw, cg, g.kernel_h, g.kernel_w);
      const int64_t xi = at(n, c, ih, iw, g.in_channels, g.in_h, g.in_w);
      if (gx) gx[xi] += gy * static_cast<const T*>(weight.data_ptr())[wi];
      if (gw) gw[wi] += gy * static_cast<const T*>(input.data_ptr())[xi];
    });
  });
}

}  // namespace soma::kernels
