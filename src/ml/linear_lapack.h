#pragma once
// The few LAPACK routines the linear models call (OpenBLAS provides them), declared with
// gfortran's calling convention: every argument by pointer, column-major matrices, and a
// trailing hidden length for each character argument.
#include <cstddef>

extern "C" {
// Minimum-norm least squares by a divide-and-conquer SVD: min ||b - A x||.
void dgelsd_(const int* m, const int* n, const int* nrhs, double* a, const int* lda, double* b, const int* ldb,
             double* s, const double* rcond, int* rank, double* work, const int* lwork, int* iwork, int* info);
// Solves A X = B for symmetric positive definite A by Cholesky; info > 0 when A is not.
void dposv_(const char* uplo, const int* n, const int* nrhs, double* a, const int* lda, double* b, const int* ldb,
            int* info, std::size_t uplo_len);
// The thin SVD A = U diag(s) VT (jobz = 'S').
void dgesdd_(const char* jobz, const int* m, const int* n, double* a, const int* lda, double* s, double* u,
             const int* ldu, double* vt, const int* ldvt, double* work, const int* lwork, int* iwork, int* info,
             std::size_t jobz_len);
}
