#include "kernels/cpu/gemm.h"

#include <cblas.h>

#include <algorithm>
#include <type_traits>

#include "kernels/cpu/copy.h"
#include "soma/creation.h"
#include "soma/parallel.h"

namespace soma::kernels {

namespace {

// Batched products below this size run one product per thread (each BLAS call then stays
// single-threaded) instead of threading inside each call.
constexpr int64_t kPerThreadGemm = 96 * 96 * 96;
// Below this many multiply-adds in all, everything runs on one thread.
constexpr int64_t kGemmGrain = 65536;

template <class T>
constexpr bool kBlasType = std::is_same_v<T, float> || std::is_same_v<T, double>;

// How BLAS can read a strided matrix: row-major (no transpose, leading dim = row stride) or
// column-major (transpose, leading dim = column stride). The stride of a size-1 dim never matters.
struct Layout {
  bool ok = false;
  bool trans = false;
  int64_t ld = 0;
};

Layout blas_layout(int64_t rows, int64_t cols, int64_t rs, int64_t cs) {
  if ((cols <= 1 || cs == 1) && (rows <= 1 || rs >= std::max<int64_t>(cols, 1)))
    return {true, false, rows <= 1 ? std::max<int64_t>(cols, 1) : rs};
  if ((rows <= 1 || rs == 1) && (cols <= 1 || cs >= std::max<int64_t>(rows, 1)))
    return {true, true, cols <= 1 ? std::max<int64_t>(rows, 1) : cs};
  return {};
}

Layout matrix_layout(const Tensor& t) { return blas_layout(t.size(-2), t.size(-1), t.stride(-2), t.stride(-1)); }

// A copy of t in `dtype` whose matrices are dense rows; broadcast (stride-0) batch dims stay
// broadcast instead of being materialized.
Tensor dense_copy(const Tensor& t, DType dtype) {
  Shape shape = t.shape();
  for (int64_t d = 0; d + 2 < t.dim(); ++d)
    if (t.stride(d) == 0) shape[d] = 1;
  Tensor c = empty(shape, dtype);
  copy(c, Tensor(t.storage(), shape, t.strides(), t.offset(), t.dtype()));
  Shape strides = c.strides();
  for (int64_t d = 0; d + 2 < t.dim(); ++d)
    if (t.stride(d) == 0) strides[d] = 0;
  return Tensor(c.storage(), t.shape(), strides, 0, dtype);
}

// Element offset of matrix `i` (row-major over the batch dims) within t.
int64_t batch_offset(const Tensor& t, int64_t batch_dims, int64_t i) {
  int64_t off = 0;
  for (int64_t d = batch_dims - 1; d >= 0 && i > 0; --d) {
    const int64_t size = t.shape()[d];
    off += (i % size) * t.strides()[d];
    i /= size;
  }
  return off;
}

// ---- BLAS by element type ------------------------------------------------------------------------

CBLAS_TRANSPOSE flag(bool trans) { return trans ? CblasTrans : CblasNoTrans; }

void blas_gemm(bool ta, bool tb, int64_t n, int64_t m, int64_t k, float alpha, const float* a, int64_t lda,
               const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  cblas_sgemm(CblasRowMajor, flag(ta), flag(tb), n, m, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
void blas_gemm(bool ta, bool tb, int64_t n, int64_t m, int64_t k, double alpha, const double* a, int64_t lda,
               const double* b, int64_t ldb, double beta, double* c, int64_t ldc) {
  cblas_dgemm(CblasRowMajor, flag(ta), flag(tb), n, m, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
// y = beta y + alpha op(A) x with A stored row-major [rows, cols].
void blas_gemv(bool trans, int64_t rows, int64_t cols, float alpha, const float* a, int64_t lda, const float* x,
               int64_t incx, float beta, float* y, int64_t incy) {
  cblas_sgemv(CblasRowMajor, flag(trans), rows, cols, alpha, a, lda, x, incx, beta, y, incy);
}
void blas_gemv(bool trans, int64_t rows, int64_t cols, double alpha, const double* a, int64_t lda, const double* x,
               int64_t incx, double beta, double* y, int64_t incy) {
  cblas_dgemv(CblasRowMajor, flag(trans), rows, cols, alpha, a, lda, x, incx, beta, y, incy);
}
float blas_dot(int64_t n, const float* x, int64_t incx, const float* y, int64_t incy) {
  return cblas_sdot(n, x, incx, y, incy);
}
double blas_dot(int64_t n, const double* x, int64_t incx, const double* y, int64_t incy) {
  return cblas_ddot(n, x, incx, y, incy);
}

// ---- the products --------------------------------------------------------------------------------

// A strided matrix operand.
template <class T>
struct Mat {
  const T* p;
  int64_t rs, cs;
};

// One row of a product: c[m] = beta c + alpha a[k] @ b[k, m], accumulating over the rows of b
// so the inner loop runs along c (vectorized when b's rows are dense).
template <class T>
void gemm_row(T* c, const T* a, int64_t a_inc, Mat<T> b, int64_t m, int64_t k, T alpha, T beta) {
  if (beta == T(0))
    std::fill(c, c + m, T(0));
  else if (beta != T(1))
    for (int64_t j = 0; j < m; ++j) c[j] *= beta;
  for (int64_t p = 0; p < k; ++p) {
    const T s = alpha * a[p * a_inc];
    const T* bp = b.p + p * b.rs;
    if (b.cs == 1) {
      for (int64_t j = 0; j < m; ++j) c[j] += s * bp[j];
    } else {
      for (int64_t j = 0; j < m; ++j) c[j] += s * bp[j * b.cs];
    }
  }
}

// One product through BLAS: gemv or dot when a side is a vector, gemm otherwise.
template <class T>
void blas_product(T* c, int64_t ldc, Mat<T> a, Layout la, Mat<T> b, Layout lb, int64_t n, int64_t m, int64_t k,
                  T alpha, T beta) {
  if (n == 1 && m == 1) {
    const T d = alpha * blas_dot(k, a.p, a.cs, b.p, b.rs);
    *c = beta == T(0) ? d : beta * *c + d;
  } else if (m == 1 || n == 1) {
    // A vector result: gemv of the matrix operand with the vector one. With beta == 0 the
    // output is cleared first, so stale NaNs in fresh memory cannot leak through.
    const bool column = m == 1;
    const Layout& l = column ? la : lb;
    const Mat<T>& mat = column ? a : b;
    const int64_t rows = column ? n : m;
    const int64_t incy = column ? ldc : 1;
    if (beta == T(0))
      for (int64_t i = 0; i < rows; ++i) c[i * incy] = T(0);
    // Stored row-major as [rows, k] (a, not transposed) or [k, rows] (b, or a transposed).
    const bool trans = column ? l.trans : !l.trans;
    const int64_t sr = trans ? k : rows, sc = trans ? rows : k;
    blas_gemv(trans, sr, sc, alpha, mat.p, l.ld, column ? b.p : a.p, column ? b.rs : a.cs, beta, c, incy);
  } else {
    blas_gemm(la.trans, lb.trans, n, m, k, alpha, a.p, la.ld, b.p, lb.ld, beta, c, ldc);
  }
}

// Runs body(i) for i in [0, count), on several threads when `parallel`.
template <class F>
void run_each(int64_t count, bool parallel, F body) {
  if (parallel) {
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < count; ++i) body(i);
  } else {
    for (int64_t i = 0; i < count; ++i) body(i);
  }
}

// Loop path: the rows of all the products, split across threads above the grain.
template <class T>
void loop_products(const Tensor& out, const Tensor& a, const Tensor& b, T beta, T alpha) {
  const int64_t bd = out.dim() - 2;
  const int64_t n = a.size(-2), k = a.size(-1), m = b.size(-1);
  const int64_t batches = out.numel() / (n * m);
  const int64_t ldc = out.stride(-2), ars = a.stride(-2), acs = a.stride(-1);
  const Mat<T> b0{static_cast<const T*>(b.data_ptr()), b.stride(-2), b.stride(-1)};
  const T* a0 = static_cast<const T*>(a.data_ptr());
  T* c0 = static_cast<T*>(out.data_ptr());
  const bool parallel = get_num_threads() > 1 && batches * n * m * k >= kGemmGrain;
  run_each(batches * n, parallel, [&](int64_t r) {
    const int64_t i = r / n, row = r % n;
    const Mat<T> bi{b0.p + batch_offset(b, bd, i), b0.rs, b0.cs};
    gemm_row(c0 + batch_offset(out, bd, i) + row * ldc, a0 + batch_offset(a, bd, i) + row * ars, acs, bi, m, k,
             alpha, beta);
  });
}

// BLAS path: one call per product; small products of a batch run one per thread.
template <class T>
void blas_products(const Tensor& out, Tensor a, Tensor b, T beta, T alpha) {
  const int64_t bd = out.dim() - 2;
  const int64_t n = a.size(-2), k = a.size(-1), m = b.size(-1);
  const int64_t batches = out.numel() / (n * m);
  const int64_t ldc = n <= 1 ? std::max<int64_t>(m, 1) : out.stride(-2);
  Layout la = matrix_layout(a), lb = matrix_layout(b);
  if (!la.ok) a = dense_copy(a, a.dtype()), la = matrix_layout(a);
  if (!lb.ok) b = dense_copy(b, b.dtype()), lb = matrix_layout(b);
  const T* a0 = static_cast<const T*>(a.data_ptr());
  const T* b0 = static_cast<const T*>(b.data_ptr());
  T* c0 = static_cast<T*>(out.data_ptr());
  const int64_t work = n * m * k;
  const bool per_thread = get_num_threads() > 1 && batches > 1 && work < kPerThreadGemm && batches * work >= kGemmGrain;
  run_each(batches, per_thread, [&](int64_t i) {
    const Mat<T> am{a0 + batch_offset(a, bd, i), a.stride(-2), a.stride(-1)};
    const Mat<T> bm{b0 + batch_offset(b, bd, i), b.stride(-2), b.stride(-1)};
    blas_product(c0 + batch_offset(out, bd, i), ldc, am, la, bm, lb, n, m, k, alpha, beta);
  });
}

template <class T>
void gemm_typed(const Tensor& out, const Tensor& a, const Tensor& b, T beta, T alpha) {
  // Float products always go to BLAS: OpenBLAS's own small-matrix kernels beat a plain loop
  // from 2x2x2 up (1x1x1: 16 ns against 11 ns, lost in the op's own overhead).
  if constexpr (kBlasType<T>) {
    if (a.size(-1) > 0) return blas_products<T>(out, a, b, beta, alpha);
  }
  loop_products<T>(out, a, b, beta, alpha);
}

void check_operands(const char* op, const Tensor& out, const Tensor& a, const Tensor& b) {
  const int64_t nd = out.dim();
  SOMA_CHECK(nd >= 2 && a.dim() == nd && b.dim() == nd && a.size(-1) == b.size(-2) && out.size(-2) == a.size(-2) &&
                 out.size(-1) == b.size(-1),
             "{}: operands of shapes {} and {} do not fit the output shape {}", op, a.shape(), b.shape(), out.shape());
  SOMA_CHECK(a.dtype() == out.dtype() && b.dtype() == out.dtype() && out.dtype() != kBool,
             "{}: unsupported dtypes {}, {} -> {}", op, dtype_name(a.dtype()), dtype_name(b.dtype()),
             dtype_name(out.dtype()));
  for (int64_t d = 0; d + 2 < nd; ++d)
    SOMA_CHECK(a.size(d) == out.size(d) && b.size(d) == out.size(d), "{}: batch dims of {} and {} differ from {}", op,
               a.shape(), b.shape(), out.shape());
}

}  // namespace

void gemm(const Tensor& out, const Tensor& a, const Tensor& b, double beta, double alpha) {
  check_operands("gemm", out, a, b);
  SOMA_CHECK(out.size(-1) <= 1 || out.stride(-1) == 1, "gemm: the output needs unit stride along its last dim");
  if (out.numel() == 0) return;
  if (is_half(out.dtype())) {
    Tensor c = empty(out.shape(), kFloat32);
    if (beta != 0) copy(c, out);
    gemm_typed<float>(c, dense_copy(a, kFloat32), dense_copy(b, kFloat32), static_cast<float>(beta),
                      static_cast<float>(alpha));
    copy(out, c);
    return;
  }
  dispatch_compute(out.dtype(), [&]<class T>() {
    if constexpr (!std::is_same_v<T, bool>) gemm_typed<T>(out, a, b, static_cast<T>(beta), static_cast<T>(alpha));
  });
}

void gemm_reference(const Tensor& out, const Tensor& a, const Tensor& b, double beta, double alpha) {
  check_operands("gemm_reference", out, a, b);
  const int64_t bd = out.dim() - 2;
  const int64_t n = a.size(-2), k = a.size(-1), m = b.size(-1);
  const int64_t batches = n * m == 0 ? 0 : out.numel() / (n * m);
  dispatch(out.dtype(), [&]<class S>() {
    using T = std::conditional_t<std::is_same_v<S, Half> || std::is_same_v<S, BFloat16>, float, S>;
    if constexpr (!std::is_same_v<T, bool>) {
      const S* a0 = static_cast<const S*>(a.data_ptr());
      const S* b0 = static_cast<const S*>(b.data_ptr());
      S* c0 = static_cast<S*>(out.data_ptr());
      for (int64_t i = 0; i < batches; ++i) {
        const S* ap = a0 + batch_offset(a, bd, i);
        const S* bp = b0 + batch_offset(b, bd, i);
        S* cp = c0 + batch_offset(out, bd, i);
        for (int64_t r = 0; r < n; ++r) {
          for (int64_t j = 0; j < m; ++j) {
            T acc = 0;
            for (int64_t p = 0; p < k; ++p)
              acc += convert<T>(ap[r * a.stride(-2) + p * a.stride(-1)]) * convert<T>(bp[p * b.stride(-2) + j * b.stride(-1)]);
            S& c = cp[r * out.stride(-2) + j * out.stride(-1)];
            T v = static_cast<T>(alpha) * acc;
            c = convert<S>(beta == 0 ? v : static_cast<T>(beta) * convert<T>(c) + v);
          }
        }
      }
    }
  });
}

}  // namespace soma::kernels
