#pragma once
// Matrix products (OpenBLAS for float32/float64) and the decompositions that second-order
// methods need (LAPACK, through OpenBLAS). All differentiable.
#include <utility>

#include "soma/tensor.h"

namespace soma {

// NumPy matmul: 1-D x 1-D is a dot product, 1-D operands are promoted to a matrix and the
// added dim removed after, and leading (batch) dims broadcast.
Tensor matmul(const Tensor& a, const Tensor& b);
Tensor mm(const Tensor& a, const Tensor& b);   // [n,k] x [k,m]
Tensor bmm(const Tensor& a, const Tensor& b);  // [B,n,k] x [B,k,m]
Tensor mv(const Tensor& a, const Tensor& v);   // [n,k] x [k]
Tensor dot(const Tensor& a, const Tensor& b);  // 1-D x 1-D
Tensor outer(const Tensor& a, const Tensor& b);
// beta * c + alpha * (a @ b) in one BLAS call (the fused linear layer uses it).
Tensor addmm(const Tensor& c, const Tensor& a, const Tensor& b, Scalar beta = 1, Scalar alpha = 1);

namespace linalg {
// Solves a x = b for square a (batched over leading dims); b may be a vector or a matrix.
Tensor solve(const Tensor& a, const Tensor& b);
// Lower-triangular L with a = L L^T, for symmetric positive-definite a.
Tensor cholesky(const Tensor& a);
Tensor inv(const Tensor& a);
Tensor det(const Tensor& a);
// Sign and log of |det a|.
std::pair<Tensor, Tensor> slogdet(const Tensor& a);
// Reduced QR: a [m,n] = Q [m,k] R [k,n], k = min(m, n).
std::pair<Tensor, Tensor> qr(const Tensor& a);
}  // namespace linalg

}  // namespace soma
