#include "kernels/cpu/conv_direct.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <vector>

#include "kernels/cpu/parallel_for.h"

namespace soma::kernels::direct {

namespace {

// Outputs computed together along a row of the wide layout: one vector of kBlock elements
// (a GCC vector type, so the accumulators below are registers on any target: one AVX-512
// register of floats, or two AVX2 ones).
constexpr int64_t kBlock = 16;
template <class T>
struct VecOf;
template <>
struct VecOf<float> {
  typedef float type __attribute__((vector_size(kBlock * sizeof(float))));
};
template <>
struct VecOf<double> {
  typedef double type __attribute__((vector_size(kBlock * sizeof(double))));
};
template <class T>
using Vec = typename VecOf<T>::type;

template <class T>
Vec<T> load(const T* p) {
  Vec<T> v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
template <class T>
void store(T* p, Vec<T> v) {
  std::memcpy(p, &v, sizeof v);
}

// The weight adjoint sums the batch in this many fixed chunks (see conv.cpp), kGroup images of
// a chunk at a time.
constexpr int64_t kChunks = 16;
constexpr int64_t kGroup = 8;

int64_t round_up(int64_t a, int64_t b) { return (a + b - 1) / b * b; }

// The padded layout of one image of a stride-1 convolution with geometry g.
struct Wide {
  int64_t wp;     // padded row width: OW + KW - 1
  int64_t span;   // outputs per channel in the wide layout, OH * wp rounded up to kBlock
  int64_t plane;  // padded input per channel, with a zero margin for the last block's reads
  int64_t taps;   // C * KH * KW
  explicit Wide(const Conv2dGeometry& g)
      : wp(g.out_w + g.kernel_w - 1),
        span(round_up(g.out_h * wp, kBlock)),
        plane(span + (g.kernel_h - 1) * wp + g.kernel_w - 1),
        taps(g.in_channels * g.kernel_h * g.kernel_w) {}
  // offsets[tap] for the taps in weight order (c, kh, kw).
  std::vector<int64_t> offsets(const Conv2dGeometry& g) const {
    std::vector<int64_t> o;
    o.reserve(taps);
    for (int64_t c = 0; c < g.in_channels; ++c)
      for (int64_t kh = 0; kh < g.kernel_h; ++kh)
        for (int64_t kw = 0; kw < g.kernel_w; ++kw) o.push_back(c * plane + kh * wp + kw);
    return o;
  }
};

// xp [C, plane] <- x [C, H, W] placed at (pad_h, pad_w), zeros around.
template <class T>
void pad_image(T* xp, const T* x, const Conv2dGeometry& g, const Wide& l) {
  std::fill(xp, xp + g.in_channels * l.plane, T(0));
  for (int64_t c = 0; c < g.in_channels; ++c)
    for (int64_t h = 0; h < g.in_h; ++h) {
      const T* src = x + (c * g.in_h + h) * g.in_w;
      T* dst = xp + c * l.plane + (h + g.pad_h) * l.wp + g.pad_w;
      for (int64_t w = 0; w < g.in_w; ++w) dst[w] = src[w];
    }
}

// yw [OB, i_begin:i_end] (row stride ld) = wt[:, OB] (taps rows, row stride ldw) applied to the
// shifted windows of xp, IB vectors at a time: the OB x IB accumulators stay in registers
// across all taps, and OB * IB of them hide the latency of the multiply-adds.
template <class T, int OB, int IB>
void product_rows(T* yw, int64_t ld, const T* xp, const int64_t* offsets, int64_t taps, const T* wt, int64_t ldw,
                  int64_t i_begin, int64_t i_end) {
  for (int64_t i0 = i_begin; i0 + IB * kBlock <= i_end; i0 += IB * kBlock) {
    Vec<T> acc[OB][IB] = {};
    for (int64_t k = 0; k < taps; ++k) {
      const T* xs = xp + offsets[k] + i0;
      Vec<T> xv[IB];
      for (int b = 0; b < IB; ++b) xv[b] = load(xs + b * kBlock);
      const T* wk = wt + k * ldw;
      for (int o = 0; o < OB; ++o)
        for (int b = 0; b < IB; ++b) acc[o][b] += wk[o] * xv[b];
    }
    for (int o = 0; o < OB; ++o)
      for (int b = 0; b < IB; ++b) store<T>(yw + o * ld + i0 + b * kBlock, acc[o][b]);
  }
}

// OB output channels over the whole span: blocks of IB vectors, then single vectors.
template <class T, int OB>
void product_channels(T* yw, int64_t span, const T* xp, const std::vector<int64_t>& offsets, const T* wt,
                      int64_t ldw) {
  constexpr int IB = OB >= 6 ? 2 : OB >= 3 ? 3 : 4;
  const int64_t bulk = span / (IB * kBlock) * (IB * kBlock);
  product_rows<T, OB, IB>(yw, span, xp, offsets.data(), offsets.size(), wt, ldw, 0, bulk);
  product_rows<T, OB, 1>(yw, span, xp, offsets.data(), offsets.size(), wt, ldw, bulk, span);
}

// yw [OC, span] for all output channels, 8 at a time.
template <class T>
void product(T* yw, const T* xp, const std::vector<int64_t>& offsets, const T* wt, int64_t channels, int64_t span) {
  for (int64_t o = 0; o < channels; o += 8) {
    T* y = yw + o * span;
    const T* w = wt + o;
    switch (std::min<int64_t>(channels - o, 8)) {
      case 1: product_channels<T, 1>(y, span, xp, offsets, w, channels); break;
      case 2: product_channels<T, 2>(y, span, xp, offsets, w, channels); break;
      case 3: product_channels<T, 3>(y, span, xp, offsets, w, channels); break;
      case 4: product_channels<T, 4>(y, span, xp, offsets, w, channels); break;
      case 5: product_channels<T, 5>(y, span, xp, offsets, w, channels); break;
      case 6: product_channels<T, 6>(y, span, xp, offsets, w, channels); break;
      case 7: product_channels<T, 7>(y, span, xp, offsets, w, channels); break;
      default: product_channels<T, 8>(y, span, xp, offsets, w, channels); break;
    }
  }
}

// y = conv(x, w) + bias for the whole batch, with the weight given as wt [taps, OC].
template <class T>
void convolve(T* y, const T* x, const T* wt, const T* bias, const Conv2dGeometry& g) {
  const Wide l(g);
  const std::vector<int64_t> offsets = l.offsets(g);
  const int64_t in_plane = g.in_channels * g.in_h * g.in_w, out_hw = g.out_h * g.out_w;
  parallel_for(g.batch, g.out_channels * l.taps * l.span, [&](int64_t begin, int64_t end) {
    std::unique_ptr<T[]> xp(new T[g.in_channels * l.plane]), yw(new T[g.out_channels * l.span]);
    for (int64_t n = begin; n < end; ++n) {
      pad_image(xp.get(), x + n * in_plane, g, l);
      product(yw.get(), xp.get(), offsets, wt, g.out_channels, l.span);
      T* yn = y + n * g.out_channels * out_hw;
      for (int64_t oc = 0; oc < g.out_channels; ++oc) {
        const T b = bias ? bias[oc] : T(0);
        for (int64_t oh = 0; oh < g.out_h; ++oh) {
          const T* src = yw.get() + oc * l.span + oh * l.wp;
          T* dst = yn + oc * out_hw + oh * g.out_w;
          for (int64_t ow = 0; ow < g.out_w; ++ow) dst[ow] = src[ow] + b;
        }
      }
    }
  });
}

// gxp[offsets[t] + i] += sum_oc wt[t, oc] * gwide[oc, i] for TB taps t and i in [i_begin, i_end):
// the adjoint of the forward product, with TB x IB accumulators (IB vectors per tap).
template <class T, int TB, int IB>
void scatter_block(T* gxp, const int64_t* offsets, const T* wt, int64_t channels, const T* gwide, int64_t span,
                   int64_t i_begin, int64_t i_end) {
  for (int64_t i0 = i_begin; i0 + IB * kBlock <= i_end; i0 += IB * kBlock) {
    Vec<T> acc[TB][IB] = {};
    for (int64_t oc = 0; oc < channels; ++oc) {
      Vec<T> gv[IB];
      for (int b = 0; b < IB; ++b) gv[b] = load(gwide + oc * span + i0 + b * kBlock);
      for (int t = 0; t < TB; ++t)
        for (int b = 0; b < IB; ++b) acc[t][b] += wt[t * channels + oc] * gv[b];
    }
    for (int t = 0; t < TB; ++t)
      for (int b = 0; b < IB; ++b) {
        T* p = gxp + offsets[t] + i0 + b * kBlock;
        store<T>(p, load(p) + acc[t][b]);
      }
  }
}

// The same for i over the whole span: two vectors at a time, then one.
template <class T, int TB>
void scatter_taps(T* gxp, const int64_t* offsets, const T* wt, int64_t channels, const T* gwide, int64_t span) {
  const int64_t bulk = span / (2 * kBlock) * (2 * kBlock);
  scatter_block<T, TB, 2>(gxp, offsets, wt, channels, gwide, span, 0, bulk);
  scatter_block<T, TB, 1>(gxp, offsets, wt, channels, gwide, span, bulk, span);
}

// gxp [C, plane] += the input adjoint of one image, 8 taps at a time.
template <class T>
void scatter_image(T* gxp, const std::vector<int64_t>& offsets, const T* wt, int64_t channels, const T* gwide,
                   int64_t span) {
  const int64_t taps = offsets.size();
  for (int64_t t = 0; t < taps; t += 8) {
    const int64_t* off = offsets.data() + t;
    const T* w = wt + t * channels;
    switch (std::min<int64_t>(taps - t, 8)) {
      case 1: scatter_taps<T, 1>(gxp, off, w, channels, gwide, span); break;
      case 2: scatter_taps<T, 2>(gxp, off, w, channels, gwide, span); break;
      case 3: scatter_taps<T, 3>(gxp, off, w, channels, gwide, span); break;
      case 4: scatter_taps<T, 4>(gxp, off, w, channels, gwide, span); break;
      case 5: scatter_taps<T, 5>(gxp, off, w, channels, gwide, span); break;
      case 6: scatter_taps<T, 6>(gxp, off, w, channels, gwide, span); break;
      case 7: scatter_taps<T, 7>(gxp, off, w, channels, gwide, span); break;
      default: scatter_taps<T, 8>(gxp, off, w, channels, gwide, span); break;
    }
  }
}

// The output gradient of one image [OC, OH, OW] in the wide layout [OC, span]; the dropped
// columns and the tail stay zero from the first call.
template <class T>
void widen_grad(T* gwide, const T* gn, const Conv2dGeometry& g, const Wide& l) {
  const int64_t out_hw = g.out_h * g.out_w;
  for (int64_t oc = 0; oc < g.out_channels; ++oc)
    for (int64_t oh = 0; oh < g.out_h; ++oh)
      std::copy(gn + oc * out_hw + oh * g.out_w, gn + oc * out_hw + (oh + 1) * g.out_w,
                gwide + oc * l.span + oh * l.wp);
}

// A group of images prepared for the weight adjoint: padded inputs [count][C, plane] and wide
// output gradients [count][OC, span].
template <class T>
struct Group {
  const T* xp;
  int64_t x_stride;
  const T* gwide;
  int64_t g_stride;
  int64_t count;
};

// acc [OB, KB] (row stride ld, one vector per entry) += gwide[OB rows, i] * xp[offsets[KB taps] + i]
// lane by lane over the span of every image of the group; the accumulators stay in registers
// across the group, and the lanes are summed once per batch chunk.
template <class T, int OB, int KB>
void weight_block(Vec<T>* acc, int64_t ld, const Group<T>& grp, int64_t span, const int64_t* offsets) {
  Vec<T> a[OB][KB];
  for (int o = 0; o < OB; ++o)
    for (int k = 0; k < KB; ++k) a[o][k] = acc[o * ld + k];
  for (int64_t n = 0; n < grp.count; ++n) {
    const T* xp = grp.xp + n * grp.x_stride;
    const T* gwide = grp.gwide + n * grp.g_stride;
    for (int64_t i0 = 0; i0 < span; i0 += kBlock) {
      Vec<T> xs[KB], gs[OB];
      for (int k = 0; k < KB; ++k) xs[k] = load(xp + offsets[k] + i0);
      for (int o = 0; o < OB; ++o) gs[o] = load(gwide + o * span + i0);
      for (int o = 0; o < OB; ++o)
        for (int k = 0; k < KB; ++k) a[o][k] += gs[o] * xs[k];
    }
  }
  for (int o = 0; o < OB; ++o)
    for (int k = 0; k < KB; ++k) acc[o * ld + k] = a[o][k];
}

// weight_block for kb in [1, 4] given at run time.
template <class T, int OB>
void weight_block_taps(int64_t kb, Vec<T>* acc, int64_t ld, const Group<T>& grp, int64_t span,
                       const int64_t* offsets) {
  switch (kb) {
    case 1: return weight_block<T, OB, 1>(acc, ld, grp, span, offsets);
    case 2: return weight_block<T, OB, 2>(acc, ld, grp, span, offsets);
    case 3: return weight_block<T, OB, 3>(acc, ld, grp, span, offsets);
    default: return weight_block<T, OB, 4>(acc, ld, grp, span, offsets);
  }
}

// acc [OC, taps] (lane-wise) += the weight adjoint of a group of images, in blocks of up to 4
// channels x 4 taps.
template <class T>
void weight_group(Vec<T>* acc, const Group<T>& grp, int64_t channels, const std::vector<int64_t>& offsets,
                  int64_t span) {
  const int64_t taps = offsets.size();
  for (int64_t o = 0; o < channels; o += 4)
    for (int64_t k = 0; k < taps; k += 4) {
      const int64_t kb = std::min<int64_t>(4, taps - k);
      Vec<T>* dst = acc + o * taps + k;
      const Group<T> rows{grp.xp, grp.x_stride, grp.gwide + o * span, grp.g_stride, grp.count};
      const int64_t* off = offsets.data() + k;
      switch (std::min<int64_t>(4, channels - o)) {
        case 1: weight_block_taps<T, 1>(kb, dst, taps, rows, span, off); break;
        case 2: weight_block_taps<T, 2>(kb, dst, taps, rows, span, off); break;
        case 3: weight_block_taps<T, 3>(kb, dst, taps, rows, span, off); break;
        default: weight_block_taps<T, 4>(kb, dst, taps, rows, span, off); break;
      }
    }
}

// wt [taps, OC] = w [OC, taps] transposed, so each tap's weights are adjacent.
template <class T>
std::vector<T> transposed(const T* w, int64_t channels, int64_t taps) {
  std::vector<T> wt(taps * channels);
  for (int64_t oc = 0; oc < channels; ++oc)
    for (int64_t k = 0; k < taps; ++k) wt[k * channels + oc] = w[oc * taps + k];
  return wt;
}

}  // namespace

bool applies(const Conv2dGeometry& g) {
  // Trailing padding (the part of the padded size not covered by the leading padding).
  const int64_t pad_end_h = g.out_h + g.kernel_h - 1 - g.in_h - g.pad_h;
  const int64_t pad_end_w = g.out_w + g.kernel_w - 1 - g.in_w - g.pad_w;
  const bool shape = g.stride_h == 1 && g.stride_w == 1 && g.dilation_h == 1 && g.dilation_w == 1 && g.groups == 1 &&
                     pad_end_h >= 0 && pad_end_w >= 0;
  // Few channels (im2col + GEMM wins on wide layers), and rows not much narrower than the kernel
  // (the wide layout computes KW - 1 dropped columns per row).
  return shape && g.in_channels * g.kernel_h * g.kernel_w <= 512 && g.out_channels <= 64 &&
         g.in_channels <= 64 && g.out_w >= 2 * (g.kernel_w - 1);
}

template <class T>
void forward(T* y, const T* x, const T* w, const T* bias, const Conv2dGeometry& g) {
  const Wide l(g);
  convolve(y, x, transposed(w, g.out_channels, l.taps).data(), bias, g);
}

template <class T>
void backward_input(T* gx, const T* gy, const T* w, const T* bias, const Conv2dGeometry& g) {
  const Wide l(g);
  const std::vector<int64_t> offsets = l.offsets(g);
  const std::vector<T> wt = transposed(w, g.out_channels, l.taps);
  const int64_t in_hw = g.in_h * g.in_w, out_plane = g.out_channels * g.out_h * g.out_w;
  parallel_for(g.batch, g.out_channels * l.taps * l.span, [&](int64_t begin, int64_t end) {
    std::unique_ptr<T[]> gxp(new T[g.in_channels * l.plane]);
    std::vector<T> gwide(g.out_channels * l.span, T(0));
    for (int64_t n = begin; n < end; ++n) {
      widen_grad(gwide.data(), gy + n * out_plane, g, l);
      std::fill(gxp.get(), gxp.get() + g.in_channels * l.plane, T(0));
      scatter_image(gxp.get(), offsets, wt.data(), g.out_channels, gwide.data(), l.span);
      // The input's part of the padded gradient (plus the transposed convolution's bias).
      for (int64_t c = 0; c < g.in_channels; ++c) {
        const T b = bias ? bias[c] : T(0);
        for (int64_t h = 0; h < g.in_h; ++h) {
          const T* src = gxp.get() + c * l.plane + (h + g.pad_h) * l.wp + g.pad_w;
          T* dst = gx + (n * g.in_channels + c) * in_hw + h * g.in_w;
          for (int64_t x = 0; x < g.in_w; ++x) dst[x] = src[x] + b;
        }
      }
    }
  });
}

template <class T>
void backward_weight(T* gw, const T* x, const T* gy, const Conv2dGeometry& g) {
  const Wide l(g);
  const std::vector<int64_t> offsets = l.offsets(g);
  const int64_t wsize = g.out_channels * l.taps, chunks = std::clamp<int64_t>(g.batch, 1, kChunks);
  const int64_t in_plane = g.in_channels * g.in_h * g.in_w, out_hw = g.out_h * g.out_w;
  // Chunk c sums images [c * batch / chunks, (c + 1) * batch / chunks) into partials[c].
  std::vector<T> partials(chunks * wsize, T(0));
  parallel_for(chunks, g.batch / chunks * g.out_channels * l.taps * l.span, [&](int64_t begin, int64_t end) {
    // Up to kGroup images at a time, laid out for the kernel (the output gradient's dropped
    // columns and tail stay zero).
    const int64_t x_stride = g.in_channels * l.plane, g_stride = g.out_channels * l.span;
    std::unique_ptr<T[]> xp(new T[kGroup * x_stride]);
    std::vector<T> gwide(kGroup * g_stride, T(0));
    std::vector<Vec<T>> acc(wsize);
    for (int64_t c = begin; c < end; ++c) {
      std::fill(acc.begin(), acc.end(), Vec<T>{});
      const int64_t last = (c + 1) * g.batch / chunks;
      for (int64_t n0 = c * g.batch / chunks; n0 < last; n0 += kGroup) {
        const int64_t count = std::min(kGroup, last - n0);
        for (int64_t i = 0; i < count; ++i) {
          pad_image(xp.get() + i * x_stride, x + (n0 + i) * in_plane, g, l);
          widen_grad(gwide.data() + i * g_stride, gy + (n0 + i) * g.out_channels * out_hw, g, l);
        }
        weight_group(acc.data(), Group<T>{xp.get(), x_stride, gwide.data(), g_stride, count}, g.out_channels,
                     offsets, l.span);
      }
      for (int64_t i = 0; i < wsize; ++i)
        for (int64_t j = 0; j < kBlock; ++j) partials[c * wsize + i] += acc[i][j];
    }
  });
  std::copy(partials.begin(), partials.begin() + wsize, gw);
  for (int64_t c = 1; c < chunks; ++c)
    for (int64_t i = 0; i < wsize; ++i) gw[i] += partials[c * wsize + i];
}

template void forward<float>(float*, const float*, const float*, const float*, const Conv2dGeometry&);
template void forward<double>(double*, const double*, const double*, const double*, const Conv2dGeometry&);
template void backward_input<float>(float*, const float*, const float*, const float*, const Conv2dGeometry&);
template void backward_input<double>(double*, const double*, const double*, const double*, const Conv2dGeometry&);
template void backward_weight<float>(float*, const float*, const float*, const Conv2dGeometry&);
template void backward_weight<double>(double*, const double*, const double*, const Conv2dGeometry&);

}  // namespace soma::kernels::direct
