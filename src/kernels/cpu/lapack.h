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

// Eigenvalues (ascending, into w [n]) and, in place of a, the orthonormal eigenvectors (columns)
// of a symmetric matrix, of which only the `uplo` ('L' or 'U') triangle is read; divide and
// conquer.
int syevd(char uplo, int n, float* a, int lda, float* w);
int syevd(char uplo, int n, double* a, int lda, double* w);
// Singular values (descending, into s [min(m, n)]) and vectors of a [m, n] (destroyed): jobz
// 'S' gives the reduced u [m, k] and vt [k, n], 'A' the full u [m, m] and vt [n, n], 'N' none;
// divide and conquer.
int gesdd(char jobz, int m, int n, float* a, int lda, float* s, float* u, int ldu, float* vt, int ldvt);
int gesdd(char jobz, int m, int n, double* a, int lda, double* s, double* u, int ldu, double* vt, int ldvt);

}  // namespace soma::kernels::lapack
