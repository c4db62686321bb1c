#pragma once
// Matrix products (OpenBLAS for float32/float64; plain loops for the integer dtypes, float32
// arithmetic for the half types) and the decompositions that second-order methods need
// (LAPACK, through OpenBLAS; float32/float64). All differentiable, to any order.
#include <tuple>
#include <utility>

#include "soma/tensor.h"

namespace soma {

// NumPy matmul: 1-D x 1-D is a dot product, 1-D operands are promoted to a matrix and the
// added dim removed after, and leading (batch) dims broadcast. Operands share one dtype.
Tensor matmul(const Tensor& a, const Tensor& b);
Tensor mm(const Tensor& a, const Tensor& b);   // [n,k] x [k,m]
Tensor bmm(const Tensor& a, const Tensor& b);  // [B,n,k] x [B,k,m]
Tensor mv(const Tensor& a, const Tensor& v);   // [n,k] x [k]
Tensor dot(const Tensor& a, const Tensor& b);  // 1-D x 1-D
Tensor outer(const Tensor& a, const Tensor& b);  // [n] x [m] -> [n,m] (dtypes promote)
// beta * c + alpha * (a @ b) in one BLAS call (the fused linear layer uses it); c broadcasts
// to [n,m]. With beta == 0, c is ignored (NaNs in it do not propagate).
Tensor addmm(const Tensor& c, const Tensor& a, const Tensor& b, Scalar beta = 1, Scalar alpha = 1);

// The lower (tril) or upper (triu) triangle of each matrix in the last two dims, the rest
// zeroed; `diagonal` shifts the border (0: the main diagonal, > 0 above it, < 0 below it).
Tensor tril(const Tensor& a, int64_t diagonal = 0);
Tensor triu(const Tensor& a, int64_t diagonal = 0);

// Pairwise p-norm distances between the rows of x1 [..., P, M] and x2 [..., R, M] -> [..., P, R]
// (leading batch dims broadcast). p >= 0: p = 0 counts the differing coordinates, p = inf is
// the largest absolute difference. As torch.cdist; the gradient at a zero distance is 0.
Tensor cdist(const Tensor& x1, const Tensor& x2, double p = 2);

// The decompositions take a matrix or a batch of matrices (leading dims); errors for singular
// or non-positive-definite input name the matrix's index in the batch.
namespace linalg {
// Solves a x = b for square a (batched over leading dims, which broadcast); b is a vector (or a
// batch of them) when it is 1-D or has exactly a's batch dims, a matrix otherwise.
Tensor solve(const Tensor& a, const Tensor& b);
// Lower-triangular L with a = L L^T, for symmetric positive-definite a (only the lower
// triangle of a is read).
Tensor cholesky(const Tensor& a);
Tensor inv(const Tensor& a);
Tensor det(const Tensor& a);
// Sign and log of |det a| (sign 0 and -inf for a singular matrix). Only logabsdet is differentiable.
std::pair<Tensor, Tensor> slogdet(const Tensor& a);
// Reduced QR: a [m,n] = Q [m,k] R [k,n], k = min(m, n). The gradient needs m >= n.
std::pair<Tensor, Tensor> qr(const Tensor& a);
// Eigenvalues L [n] (ascending) and orthonormal eigenvectors V [n,n] (columns) of symmetric
// matrices, a = V diag(L) V^T; only the lower triangle of a is read (torch.linalg.eigh's
// UPLO='L'). Eigenvectors are defined up to sign (and, for repeated eigenvalues, up to rotation):
// the gradient is that of PyTorch, defined for functions that do not depend on that choice, and
// infinite for repeated eigenvalues.
std::pair<Tensor, Tensor> eigh(const Tensor& a);
Tensor eigvalsh(const Tensor& a);
// a [m,n] = U diag(S) Vh, singular values S [k] descending, k = min(m, n); U [m,m] and Vh [n,n]
// with full_matrices (torch.linalg.svd's default), U [m,k] and Vh [k,n] without. Differentiable
// as in PyTorch (through the first k singular vectors; infinite for repeated singular values
// when the vectors are used).
std::tuple<Tensor, Tensor, Tensor> svd(const Tensor& a, bool full_matrices = true);
Tensor svdvals(const Tensor& a);
}  // namespace linalg

}  // namespace soma
