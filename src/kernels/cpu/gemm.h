#pragma once
// Matrix products without autograd: float32/float64 through OpenBLAS (gemm, or gemv/dot when
// one side is a vector), loops for the integer dtypes; the half types compute in float32.
#include "soma/tensor.h"

namespace soma::kernels {

// out[..., n, m] = beta * out + alpha * (a[..., n, k] @ b[..., k, m]).
// a, b and out share the batch dims (a and b may be broadcast views, stride 0). Strided and
// transposed operands reach BLAS through its transpose flags and leading dims; an operand is
// copied only when neither of its two matrix dims has unit stride. `out` must have unit
// stride along its last dim. With beta == 0 the old contents of out are ignored.
void gemm(const Tensor& out, const Tensor& a, const Tensor& b, double beta = 0, double alpha = 1);

// The same product by the textbook triple loop, single-threaded: the reference the fast
// paths are tested against.
void gemm_reference(const Tensor& out, const Tensor& a, const Tensor& b, double beta = 0, double alpha = 1);

}  // namespace soma::kernels
