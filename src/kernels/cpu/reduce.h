#pragma once
// Raw reduction, scan, softmax, logsumexp and variance kernels (no autograd). Inputs already have a compute dtype;
// outputs are contiguous and have the input's dtype.
//
// A reduction splits the input's dims into kept and reduced ones (size-1 dims dropped, the
// reduced ones sorted by stride, both groups coalesced) and then runs one of two loops:
//   rows:    the reduced elements of each output are contiguous (sum over the last dim, or a
//            full reduction): blocks of 2048 elements into 8 vectors of independent
//            accumulators, the blocks' vectors combined pairwise, one horizontal step per row;
//   columns: one strided reduced dim and a contiguous kept dim (sum over dim 0): pairwise over
//            leaves of 16 rows, vectorized across a tile of up to 16 KiB of columns (whole
//            pages per row, so the memory is read nearly in order).
// Any other layout is first copied into the rows form. Long reductions are cut into pieces
// whose boundaries depend only on the shape, reduced in parallel and combined pairwise in a
// fixed order, so results never depend on the thread count.
//
// Each fast kernel has a plain single-threaded `*_reference` loop that tests check it against.
#include <cstdint>
#include <vector>

#include "soma/tensor.h"

namespace soma::kernels {

enum class ReduceOp : uint8_t {
  Sum,
  Prod,
  Max,         // NaN propagates
  Min,         // NaN propagates
  AbsSum,      // sum |x|       (floating only)
  SumSquares,  // sum x^2       (floating only)
  AbsMax,      // max |x|       (floating only)
  PowSum,      // sum |x|^p     (floating only)
};

// out = op over the dims of x where `reduced` is true. `out` is contiguous with x's dtype and
// holds one element per kept position (keepdim or not). An empty reduction gives the op's
// identity (callers reject Max/Min/AbsMax over nothing).
void reduce(const Tensor& out, const Tensor& x, const std::vector<bool>& reduced, ReduceOp op, double p = 0);
void reduce_reference(const Tensor& out, const Tensor& x, const std::vector<bool>& reduced, ReduceOp op,
                      double p = 0);

// Max (is_max) or min of x along `dim` and the index of its first occurrence (NaN counts as
// the extreme). `values` (x's dtype) and `indices` (int64) are contiguous; size(dim) > 0.
void arg_reduce(const Tensor& values, const Tensor& indices, const Tensor& x, int64_t dim, bool is_max);
void arg_reduce_reference(const Tensor& values, const Tensor& indices, const Tensor& x, int64_t dim, bool is_max);

// Inclusive prefix sum along `dim` into contiguous `out` (floating types accumulate in double).
void cumsum(const Tensor& out, const Tensor& x, int64_t dim);
void cumsum_reference(const Tensor& out, const Tensor& x, int64_t dim);

// log(sum(exp(x))) of a floating tensor along `dim` (size > 0) into contiguous `out`, which has
// x's shape without `dim`. Each line is shifted by its maximum, or by 0 where that is infinite.
void logsumexp(const Tensor& out, const Tensor& x, int64_t dim);
void logsumexp_reference(const Tensor& out, const Tensor& x, int64_t dim);

// Variance along the last dim of a floating tensor (size > 0) into contiguous `out` (one value
// per row): sum of (x - mean)^2 divided by max(N - correction, 0). The fast kernel needs a
// contiguous x; the reference takes any strides.
void var_rows(const Tensor& out, const Tensor& x, int64_t correction);
void var_rows_reference(const Tensor& out, const Tensor& x, int64_t correction);

// softmax (or log_softmax) of a floating tensor along `dim` into contiguous `out`.
void softmax(const Tensor& out, const Tensor& x, int64_t dim, bool log);
void softmax_reference(const Tensor& out, const Tensor& x, int64_t dim, bool log);

}  // namespace soma::kernels
