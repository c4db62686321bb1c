#pragma once
// Direct 2-D convolution for stride 1, no dilation, no groups and few channels (LeNet-sized
// layers), without im2col. Each image is copied once into a zero-padded buffer of rows of
// width Wp = OW + KW - 1; in that layout every kernel tap (c, kh, kw) reads the same padded
// buffer shifted by c * plane + kh * Wp + kw, so
//
//   y_wide[oc, i] = sum_tap w[oc, tap] * x_pad[offset(tap) + i],   i = oh * Wp + ow
//
// is a matrix product whose right operand is never materialized. Columns ow >= OW of y_wide are
// computed and dropped. With g_wide the output gradient in the same layout (zeros in the
// dropped columns), the adjoints are
//
//   gx_pad[offset(tap) + i] += sum_oc w[oc, tap] * g_wide[oc, i]   (then cropped to [H, W])
//   gw[oc, tap] = sum_i g_wide[oc, i] * x_pad[offset(tap) + i]
//
// Images run in parallel; the weight adjoint sums fixed chunks of the batch in a fixed order,
// so results do not depend on the thread count.
#include "kernels/cpu/conv.h"

namespace soma::kernels::direct {

// Whether the direct kernels handle this geometry (and pay off for it).
bool applies(const Conv2dGeometry& g);

// The three maps of conv.h, on raw contiguous buffers (T: float or double).
template <class T>
void forward(T* y, const T* x, const T* w, const T* bias, const Conv2dGeometry& g);
template <class T>
void backward_input(T* gx, const T* gy, const T* w, const T* bias, const Conv2dGeometry& g);
template <class T>
void backward_weight(T* gw, const T* x, const T* gy, const Conv2dGeometry& g);

}  // namespace soma::kernels::direct
