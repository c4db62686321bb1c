#include "kernels/cpu/pool.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "soma/parallel.h"

namespace soma::kernels {

namespace {

// Below this much work (elements touched) in all, a kernel runs on one thread.
constexpr int64_t kPoolGrain = 1 << 15;

template <class F>
void for_each_plane(int64_t planes, int64_t work_per_plane, F body) {
  if (get_num_threads() > 1 && planes > 1 && planes * work_per_plane >= kPoolGrain) {
#pragma omp parallel for schedule(static)
    for (int64_t p = 0; p < planes; ++p) body(p);
  } else {
    for (int64_t p = 0; p < planes; ++p) body(p);
  }
}

void check(const char* op, const TensorList& ts) {
  for (const Tensor& t : ts)
    SOMA_CHECK(t.is_contiguous() && (t.dtype() == ts[0].dtype() || t.dtype() == kInt32) &&
                   (ts[0].dtype() == kFloat32 || ts[0].dtype() == kFloat64),
               "{}: expected contiguous float32/float64 tensors (int32 indices)", op);
}

// The first tap start + k * dilation at or after 0 (the window's first element inside the input).
int64_t first_inside(int64_t start, int64_t dilation) {
  while (start < 0) start += dilation;
  return start;
}

// Whether v replaces best (NaN always does, so a NaN in the window wins).
template <bool kMin, class T>
inline bool better(T v, T best) {
  return (kMin ? v < best : v > best) || v != v;
}

// The common case of windows K x K without padding or dilation, the window fixed at compile time.
template <class T, bool kMin, int K>
void extremum_plane_fixed(T* yp, int32_t* ip, const T* xp, const Pool2dGeometry& g) {
  for (int64_t oh = 0; oh < g.out_h; ++oh)
    for (int64_t ow = 0; ow < g.out_w; ++ow) {
      const int64_t base = oh * g.stride_h * g.in_w + ow * g.stride_w;
      T best = kMin ? std::numeric_limits<T>::infinity() : -std::numeric_limits<T>::infinity();
      int64_t best_i = base;
      for (int kh = 0; kh < K; ++kh)
        for (int kw = 0; kw < K; ++kw) {
          const int64_t i = base + kh * g.in_w + kw;
          if (better<kMin>(xp[i], best)) best = xp[i], best_i = i;
        }
      yp[oh * g.out_w + ow] = best;
      ip[oh * g.out_w + ow] = static_cast<int32_t>(best_i);
    }
}

template <class T, bool kMin>
void extremum_typed(T* y, int32_t* idx, const T* x, const Pool2dGeometry& g) {
  const int64_t in_plane = g.in_h * g.in_w, out_plane = g.out_h * g.out_w;
  // Without padding and dilation and with floor-mode sizes every window lies inside the input.
  const bool simple = g.pad_h == 0 && g.pad_w == 0 && g.dilation_h == 1 && g.dilation_w == 1 &&
                      g.kernel_h == g.kernel_w && (g.out_h - 1) * g.stride_h + g.kernel_h <= g.in_h &&
                      (g.out_w - 1) * g.stride_w + g.kernel_w <= g.in_w;
  if (simple && (g.kernel_h == 2 || g.kernel_h == 3)) {
    for_each_plane(g.planes, out_plane * g.kernel_h * g.kernel_w, [&](int64_t p) {
      if (g.kernel_h == 2)
        extremum_plane_fixed<T, kMin, 2>(y + p * out_plane, idx + p * out_plane, x + p * in_plane, g);
      else
        extremum_plane_fixed<T, kMin, 3>(y + p * out_plane, idx + p * out_plane, x + p * in_plane, g);
    });
    return;
  }
  for_each_plane(g.planes, out_plane * g.kernel_h * g.kernel_w, [&](int64_t p) {
    const T* xp = x + p * in_plane;
    T* yp = y + p * out_plane;
    int32_t* ip = idx + p * out_plane;
    for (int64_t oh = 0; oh < g.out_h; ++oh) {
      const int64_t hs = oh * g.stride_h - g.pad_h;
      const int64_t h0 = first_inside(hs, g.dilation_h);
      const int64_t h1 = std::min(hs + (g.kernel_h - 1) * g.dilation_h + 1, g.in_h);
      for (int64_t ow = 0; ow < g.out_w; ++ow) {
        const int64_t ws = ow * g.stride_w - g.pad_w;
        const int64_t w0 = first_inside(ws, g.dilation_w);
        const int64_t w1 = std::min(ws + (g.kernel_w - 1) * g.dilation_w + 1, g.in_w);
        T best = kMin ? std::numeric_limits<T>::infinity() : -std::numeric_limits<T>::infinity();
        int64_t best_i = h0 * g.in_w + w0;
        for (int64_t h = h0; h < h1; h += g.dilation_h)
          for (int64_t w = w0; w < w1; w += g.dilation_w) {
            const T v = xp[h * g.in_w + w];
            if (better<kMin>(v, best)) {
              best = v;
              best_i = h * g.in_w + w;
            }
          }
        yp[oh * g.out_w + ow] = best;
        ip[oh * g.out_w + ow] = static_cast<int32_t>(best_i);
      }
    }
  });
}

}  // namespace

void extremum_pool2d_forward(const Tensor& out, const Tensor& indices, const Tensor& input, const Pool2dGeometry& g,
                             bool take_min) {
  check("max_pool2d", {out, indices, input});
  SOMA_CHECK(g.in_h * g.in_w <= std::numeric_limits<int32_t>::max(), "max_pool2d: input planes of {}x{} are too large",
             g.in_h, g.in_w);
  dispatch_float(out.dtype(), [&]<class T>() {
    T* y = static_cast<T*>(out.data_ptr());
    int32_t* idx = static_cast<int32_t*>(indices.data_ptr());
    const T* x = static_cast<const T*>(input.data_ptr());
    if (take_min)
      extremum_typed<T, true>(y, idx, x, g);
    else
      extremum_typed<T, false>(y, idx, x, g);
  });
}

void pool2d_scatter(const Tensor& grad_input, const Tensor& grad_output, const Tensor& indices) {
  check("max_pool2d_backward", {grad_input, grad_output, indices});
  const int64_t planes = grad_input.size(0), in_plane = grad_input.size(1), out_plane = indices.size(1);
  dispatch_float(grad_input.dtype(), [&]<class T>() {
    T* gx = static_cast<T*>(grad_input.data_ptr());
    const T* gy = static_cast<const T*>(grad_output.data_ptr());
    const int32_t* idx = static_cast<const int32_t*>(indices.data_ptr());
    for_each_plane(planes, in_plane + out_plane, [&](int64_t p) {
      T* gxp = gx + p * in_plane;
      std::fill(gxp, gxp + in_plane, T(0));
      for (int64_t o = 0; o < out_plane; ++o) gxp[idx[p * out_plane + o]] += gy[p * out_plane + o];
    });
  });
}

void pool2d_gather(const Tensor& out, const Tensor& source, const Tensor& indices) {
  check("max_pool2d_double_backward", {out, source, indices});
  const int64_t planes = out.size(0), in_plane = source.size(1), out_plane = out.size(1);
  dispatch_float(out.dtype(), [&]<class T>() {
    T* y = static_cast<T*>(out.data_ptr());
    const T* s = static_cast<const T*>(source.data_ptr());
    const int32_t* idx = static_cast<const int32_t*>(indices.data_ptr());
    for_each_plane(planes, out_plane, [&](int64_t p) {
      for (int64_t o = 0; o < out_plane; ++o) y[p * out_plane + o] = s[p * in_plane + idx[p * out_plane + o]];
    });
  });
}

void avg_pool2d_forward(const Tensor& out, const Tensor& input, const std::vector<PoolWindow>& rows,
                        const std::vector<PoolWindow>& cols) {
  check("avg_pool2d", {out, input});
  const int64_t oh = rows.size(), ow = cols.size();
  const int64_t planes = out.numel() / std::max<int64_t>(oh * ow, 1);
  const int64_t in_plane = input.numel() / std::max<int64_t>(planes, 1), in_w = input.size(-1);
  dispatch_float(out.dtype(), [&]<class T>() {
    T* y = static_cast<T*>(out.data_ptr());
    const T* x = static_cast<const T*>(input.data_ptr());
    for_each_plane(planes, in_plane + oh * ow, [&](int64_t p) {
      const T* xp = x + p * in_plane;
      for (int64_t i = 0; i < oh; ++i)
        for (int64_t j = 0; j < ow; ++j) {
          const PoolWindow& r = rows[i];
          const PoolWindow& c = cols[j];
          T sum = 0;
          for (int64_t h = r.begin; h < r.end; ++h)
            for (int64_t w = c.begin; w < c.end; ++w) sum += xp[h * in_w + w];
          y[(p * oh + i) * ow + j] = sum / static_cast<T>(r.count * c.count);
        }
    });
  });
}

void avg_pool2d_backward(const Tensor& grad_input, const Tensor& grad_output, const std::vector<PoolWindow>& rows,
                         const std::vector<PoolWindow>& cols) {
  check("avg_pool2d_backward", {grad_input, grad_output});
  const int64_t oh = rows.size(), ow = cols.size();
  const int64_t planes = grad_output.numel() / std::max<int64_t>(oh * ow, 1);
  const int64_t in_plane = grad_input.numel() / std::max<int64_t>(planes, 1), in_w = grad_input.size(-1);
  dispatch_float(grad_input.dtype(), [&]<class T>() {
    T* gx = static_cast<T*>(grad_input.data_ptr());
    const T* gy = static_cast<const T*>(grad_output.data_ptr());
    for_each_plane(planes, in_plane + oh * ow, [&](int64_t p) {
      T* gxp = gx + p * in_plane;
      std::fill(gxp, gxp + in_plane, T(0));
      for (int64_t i = 0; i < oh; ++i)
        for (int64_t j = 0; j < ow; ++j) {
          const PoolWindow& r = rows[i];
          const PoolWindow& c = cols[j];
          const T v = gy[(p * oh + i) * ow + j] / static_cast<T>(r.count * c.count);
          for (int64_t h = r.begin; h < r.end; ++h)
            for (int64_t w = c.begin; w < c.end; ++w) gxp[h * in_w + w] += v;
        }
    });
  });
}

}  // namespace soma::kernels
