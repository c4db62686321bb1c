#include "kernels/cpu/lapack.h"

#include <cblas.h>

#include <algorithm>
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

void ssyevd_(const char* jobz, const char* uplo, const int* n, float* a, const int* lda, float* w, float* work,
             const int* lwork, int* iwork, const int* liwork, int* info, size_t jobz_len, size_t uplo_len);
void dsyevd_(const char* jobz, const char* uplo, const int* n, double* a, const int* lda, double* w, double* work,
             const int* lwork, int* iwork, const int* liwork, int* info, size_t jobz_len, size_t uplo_len);
void sgesdd_(const char* jobz, const int* m, const int* n, float* a, const int* lda, float* s, float* u,
             const int* ldu, float* vt, const int* ldvt, float* work, const int* lwork, int* iwork, int* info,
             size_t jobz_len);
void dgesdd_(const char* jobz, const int* m, const int* n, double* a, const int* lda, double* s, double* u,
             const int* ldu, double* vt, const int* ldvt, double* work, const int* lwork, int* iwork, int* info,
             size_t jobz_len);
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

namespace {

template <class T, class Call>
int syevd_impl(Call call) {
  // A workspace query for both work arrays, then the call.
  int info = 0, lwork = -1, liwork = -1, isize = 0;
  T size = 0;
  call(&size, &lwork, &isize, &liwork, &info);
  if (info != 0) return info;
  lwork = std::max(1, static_cast<int>(size));
  liwork = std::max(1, isize);
  std::vector<T> work(lwork);
  std::vector<int> iwork(liwork);
  call(work.data(), &lwork, iwork.data(), &liwork, &info);
  return info;
}

}  // namespace

int syevd(char uplo, int n, float* a, int lda, float* w) {
  return syevd_impl<float>([&](float* wk, const int* lw, int* iw, const int* liw, int* info) {
    ssyevd_("V", &uplo, &n, a, &lda, w, wk, lw, iw, liw, info, 1, 1);
  });
}
int syevd(char uplo, int n, double* a, int lda, double* w) {
  return syevd_impl<double>([&](double* wk, const int* lw, int* iw, const int* liw, int* info) {
    dsyevd_("V", &uplo, &n, a, &lda, w, wk, lw, iw, liw, info, 1, 1);
  });
}

int gesdd(char jobz, int m, int n, float* a, int lda, float* s, float* u, int ldu, float* vt, int ldvt) {
  std::vector<int> iwork(8 * static_cast<size_t>(std::max(1, std::min(m, n))));
  return with_workspace<float>([&](float* w, const int* lw, int* info) {
    sgesdd_(&jobz, &m, &n, a, &lda, s, u, &ldu, vt, &ldvt, w, lw, iwork.data(), info, 1);
  });
}
int gesdd(char jobz, int m, int n, double* a, int lda, double* s, double* u, int ldu, double* vt, int ldvt) {
  std::vector<int> iwork(8 * static_cast<size_t>(std::max(1, std::min(m, n))));
  return with_workspace<double>([&](double* w, const int* lw, int* info) {
    dgesdd_(&jobz, &m, &n, a, &lda, s, u, &ldu, vt, &ldvt, w, lw, iwork.data(), info, 1);
  });
}

}  // namespace soma::kernels::lapack
