#pragma once
// 2-D pooling kernels without autograd (float32/float64, contiguous tensors viewed as
// [planes, H, W] with planes = N * C). Each plane is independent; planes run in parallel
// above a grain, so results do not depend on the thread count.
#include <cstdint>
#include <vector>

#include "soma/tensor.h"

namespace soma::kernels {

struct Pool2dGeometry {
  int64_t planes, in_h, in_w, out_h, out_w;
  int64_t kernel_h, kernel_w;
  int64_t stride_h, stride_w;
  int64_t pad_h = 0, pad_w = 0;
  int64_t dilation_h = 1, dilation_w = 1;
};

// out = the max (or, with `take_min`, the min) of each window; indices (int32) = the position
// h * W + w of that element within its input plane. NaN wins, as in PyTorch.
void extremum_pool2d_forward(const Tensor& out, const Tensor& indices, const Tensor& input, const Pool2dGeometry& g,
                             bool take_min);
// grad_input [planes, H*W] = zeros, then grad_output [planes, n] added at indices [planes, n].
void pool2d_scatter(const Tensor& grad_input, const Tensor& grad_output, const Tensor& indices);
// out [planes, n] = source [planes, H*W] gathered at indices [planes, n] (the adjoint of the scatter).
void pool2d_gather(const Tensor& out, const Tensor& source, const Tensor& indices);

// A window [begin, end) along one dim, and the factor it contributes to the divisor.
struct PoolWindow {
  int64_t begin, end, count;
};
// Averages: out[o_h, o_w] = sum of the window rows[o_h] x cols[o_w] / (rows.count * cols.count).
void avg_pool2d_forward(const Tensor& out, const Tensor& input, const std::vector<PoolWindow>& rows,
                        const std::vector<PoolWindow>& cols);
// The adjoint: each output gradient spread evenly (by the same divisor) over its window.
void avg_pool2d_backward(const Tensor& grad_input, const Tensor& grad_output, const std::vector<PoolWindow>& rows,
                         const std::vector<PoolWindow>& cols);

}  // namespace soma::kernels
