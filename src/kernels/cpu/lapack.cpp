#include "kernels/cpu/lapack.h"

#include <cblas.h>

#include <cstddef>
#include <vector>

static_assert(sizeof(blasint) == sizeof(int), "LAPACK is expected to use 32-bit integers");

// The Fortran entry points (character arguments carry a hidden length).
extern "C" {
void sgesv_(const int* n, const int* nrhs, float* a, const int* lda, int* ipiv, float* b, const int* ldb, int* info);
void dgesv_(const int* n, const int* nrhs, double* a, const int* lda, int* ipiv, double* b, const int* ldb, int* info);
void sgetrf_(const int* m, const int* n, float* a, const int* lda, int* ipiv, int* info);
void dgetrf_(const int* m, const int* n, double* a, const int* lda, int* ipiv, int* info);
void sgetri_(const int* n, float* a, const int* lda, const int* ipiv, float* work, const int* lwork, int* info);
void dgetri_(const int* n, double* a, const int* lda, const int* ipiv, double* work, const int* lwork, int* info);
void spotrf_(const char* uplo, const int* n, float* a, const int* lda, int* info, size_t uplo_len);
void dpotrf_(const char* uplo, const int* n, double* a, const int* lda, int* info, size_t uplo_len);
void sgeqrf_(const int* m, const int* n, float* a, const int* lda, float* tau, float* work, const int* lwork, int* info);
void dgeqrf_(const int* m, const int* n, double* a, const int* lda, double* tau, double* work, const int* lwork,
             int* info);
void sorgqr_(const int* m, const int* n, const int* k, float* a, const int* lda, const float* tau, float* work,
             const int* lwork, int* info);
void dorgqr_(const int* m, const int* n, const int* k, double* a, const int* lda, const double* tau, double* work,
             const int* lwork, int* info);
}

namespace soma::kernels::lapack {

namespace {

// Runs a LAPACK routine that takes a workspace: once with lwork = -1 to ask its size, then for real.
template <class T, class Call>
int with_workspace(Call call) {
  int info = 0, lwork = -1;
  T size = 0;
  call(&size, &lwork, &info);
  if (info != 0) return info;
  lwork = static_cast<int>(size) > 1 ? static_cast<int>(size) : 1;
  std::vector<T> work(lwork);
  call(work.data(), &lwork, &info);
  return info;
}

}  // namespace

int gesv(int n, int nrhs, float* a, int lda, int* ipiv, float* b, int ldb) {
  int info = 0;
  sgesv_(&n, &nrhs, a, &lda, ipiv, b, &ldb, &info);
  return info;
}
int gesv(int n, int nrhs, double* a, int lda, int* ipiv, double* b, int ldb) {
  int info = 0;
  dgesv_(&n, &nrhs, a, &lda, ipiv, b, &ldb, &info);
  return info;
}

int getrf(int m, int n, float* a, int lda, int* ipiv) {
  int info = 0;
  sgetrf_(&m, &n, a, &lda, ipiv, &info);
  return info;
}
int getrf(int m, int n, double* a, int lda, int* ipiv) {
  int info = 0;
  dgetrf_(&m, &n, a, &lda, ipiv, &info);
  return info;
}

int getri(int n, float* a, int lda, const int* ipiv) {
  return with_workspace<float>([&](float* w, const int* lw, int* info) { sgetri_(&n, a, &lda, ipiv, w, lw, info); });
}
int getri(int n, double* a, int lda, const int* ipiv) {
  return with_workspace<double>([&](double* w, const int* lw, int* info) { dgetri_(&n, a, &lda, ipiv, w, lw, info); });
}

int potrf_upper(int n, float* a, int lda) {
  int info = 0;
  spotrf_("U", &n, a, &lda, &info, 1);
  return info;
}
int potrf_upper(int n, double* a, int lda) {
  int info = 0;
  dpotrf_("U", &n, a, &lda, &info, 1);
  return info;
}

int geqrf(int m, int n, float* a, int lda, float* tau) {
  return with_workspace<float>([&](float* w, const int* lw, int* info) { sgeqrf_(&m, &n, a, &lda, tau, w, lw, info); });
}
int geqrf(int m, int n, double* a, int lda, double* tau) {
  return with_workspace<double>(
      [&](double* w, const int* lw, int* info) { dgeqrf_(&m, &n, a, &lda, tau, w, lw, info); });
}

int orgqr(int m, int n, int k, float* a, int lda, const float* tau) {
  return with_workspace<float>(
      [&](float* w, const int* lw, int* info) { sorgqr_(&m, &n, &k, a, &lda, tau, w, lw, info); });
}
int orgqr(int m, int n, int k, double* a, int lda, const double* tau) {
  return with_workspace<double>(
      [&](double* w, const int* lw, int* info) { dorgqr_(&m, &n, &k, a, &lda, tau, w, lw, info); });
}

}  // namespace soma::kernels::lapack
