#pragma once
// LAPACK (through OpenBLAS) on one column-major matrix at a time, float or double. Each
// routine overwrites its inputs as LAPACK does, handles its own workspace, and returns
// LAPACK's info: 0 on success, > 0 for a numerical failure (a zero pivot, a leading minor that
// is not positive), < 0 for a bad argument.
namespace soma::kernels::lapack {

// Solves a x = b in place of b (a [n, n] becomes its LU factors; ipiv gets n pivots).
int gesv(int n, int nrhs, float* a, int lda, int* ipiv, float* b, int ldb);
int gesv(int n, int nrhs, double* a, int lda, int* ipiv, double* b, int ldb);
// LU factorization with partial pivoting: a [m, n] = P L U.
int getrf(int m, int n, float* a, int lda, int* ipiv);
int getrf(int m, int n, double* a, int lda, int* ipiv);
// The inverse from getrf's factors.
int getri(int n, float* a, int lda, const int* ipiv);
int getri(int n, double* a, int lda, const int* ipiv);
// Cholesky factor U (a = U^T U) in the upper triangle; the strict lower triangle is left as it was.
int potrf_upper(int n, float* a, int lda);
int potrf_upper(int n, double* a, int lda);
// Householder QR: R in the upper triangle, the reflectors below it and in tau [min(m, n)].
int geqrf(int m, int n, float* a, int lda, float* tau);
int geqrf(int m, int n, double* a, int lda, double* tau);
// The first n columns of Q from geqrf's k reflectors, in place of a [m, n].
int orgqr(int m, int n, int k, float* a, int lda, const float* tau);
int orgqr(int m, int n, int k, double* a, int lda, const double* tau);

}  // namespace soma::kernels::lapack
