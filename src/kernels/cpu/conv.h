#pragma once
// 2-D convolution kernels without autograd (float32/float64, contiguous NCHW tensors).
//
// The fast paths lower each image to a column matrix (im2col: [C*KH*KW, OH*OW]) and multiply
// it with the weight through BLAS, one image per thread (each BLAS call single-threaded: the
// products of small layers are too small for BLAS threading). The three kernels are the
// forward pass and the two adjoints of the map (input -> output) and (weight -> output):
//
//   forward:          out[n] = W @ im2col(x[n]) + bias
//   backward_input:   gx[n]  = col2im(W^T @ g[n]) (+ bias per input channel: transposed conv)
//   backward_weight:  gW     = sum_n g[n] @ im2col(x[n])^T
//
// With groups, channel group j of the output sees only channel group j of the input.
// Results do not depend on the thread count: backward_weight sums fixed chunks of the batch
// in a fixed order.
#include <cstdint>

#include "soma/tensor.h"

namespace soma::kernels {

struct Conv2dGeometry {
  int64_t batch, in_channels, in_h, in_w;
  int64_t out_channels, out_h, out_w;
  int64_t kernel_h, kernel_w;
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_h = 0, pad_w = 0;  // leading padding (top, left); the trailing side follows from the sizes
  int64_t dilation_h = 1, dilation_w = 1;
  int64_t groups = 1;
};

// out [N, OC, OH, OW] = conv(input [N, C, H, W], weight [OC, C/groups, KH, KW]) + bias [OC]
// (bias may be undefined).
void conv2d_forward(const Tensor& out, const Tensor& input, const Tensor& weight, const Tensor& bias,
                    const Conv2dGeometry& g);
// grad_input [N, C, H, W] = adjoint of conv w.r.t. the input, applied to grad_output
// [N, OC, OH, OW]; plus bias [C] per channel when defined (the transposed convolution).
void conv2d_backward_input(const Tensor& grad_input, const Tensor& grad_output, const Tensor& weight,
                           const Tensor& bias, const Conv2dGeometry& g);
// grad_weight [OC, C/groups, KH, KW] = adjoint of conv w.r.t. the weight.
void conv2d_backward_weight(const Tensor& grad_weight, const Tensor& input, const Tensor& grad_output,
                            const Conv2dGeometry& g);

// grad_bias [OC] = grad_output [N, OC, OH, OW] summed over all but the channel dim (in a fixed
// order, whatever the thread count).
void conv2d_backward_bias(const Tensor& grad_bias, const Tensor& grad_output);

// The same three maps by direct loops over every (output, kernel tap) pair, single-threaded:
// the references the fast paths are tested against. Any of the outputs may be undefined.
void conv2d_reference(const Tensor& out, const Tensor& input, const Tensor& weight, const Tensor& bias,
                      const Conv2dGeometry& g);
void conv2d_backward_reference(const Tensor& grad_input, const Tensor& grad_weight, const Tensor& grad_output,
                               const Tensor& input, const Tensor& weight, const Conv2dGeometry& g);

}  // namespace soma::kernels
