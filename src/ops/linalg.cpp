// Matrix products and decompositions, with gradients.
//
// Every product goes through one differentiable op, `product`, over operands with equal batch
// dims; matmul/mm/bmm/mv/dot are shape handling around it, so their gradients (and double
// gradients) come from product's backward plus the views'. The decompositions call LAPACK on
// column-major copies; their backward formulas follow PyTorch's FunctionsManual.
#include "soma/linalg.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <exception>
#include <limits>
#include <string>
#include <tuple>
#include <vector>

#include "autograd/node.h"
#include "kernels/cpu/copy.h"
#include "kernels/cpu/gemm.h"
#include "kernels/cpu/lapack.h"
#include "ops/util.h"
#include "soma/creation.h"
#include "soma/grad_mode.h"
#include "soma/math.h"
#include "soma/parallel.h"
#include "soma/views.h"

namespace soma {

using autograd::GradMask;
using autograd::SavedTensor;

namespace {

// ---- helpers -------------------------------------------------------------------------------------

// The last two dims swapped (a view).
Tensor mT(const Tensor& t) { return t.transpose(-2, -1); }

// The last two dims swapped, as a plain tensor over the same storage (no autograd, not a view:
// for results that own their column-major buffer).
Tensor raw_mT(const Tensor& t) {
  Shape shape = t.shape(), strides = t.strides();
  const int64_t d = t.dim();
  std::swap(shape[d - 1], shape[d - 2]);
  std::swap(strides[d - 1], strides[d - 2]);
  return Tensor(t.storage(), shape, strides, t.offset(), t.dtype());
}

// The first `drop` dims removed from the end: the batch dims of a matrix shape.
Shape leading(const Shape& s, int64_t drop) {
  Shape out;
  for (int64_t i = 0; i + drop < s.size(); ++i) out.push_back(s[i]);
  return out;
}

Shape with_matrix(Shape batch, int64_t rows, int64_t cols) {
  batch.push_back(rows);
  batch.push_back(cols);
  return batch;
}

void check_product_dtypes(const char* op, const Tensor& a, const Tensor& b) {
  SOMA_CHECK(a.dtype() == b.dtype(), "{}: expected operands of the same dtype, got {} and {}", op,
             dtype_name(a.dtype()), dtype_name(b.dtype()));
  SOMA_CHECK(a.dtype() != kBool, "{}: bool tensors are not supported", op);
}

void check_inner(const char* op, const Tensor& a, const Tensor& b, int64_t ka, int64_t kb) {
  SOMA_CHECK(ka == kb, "{}: shapes {} and {} cannot be multiplied ({} != {})", op, a.shape(), b.shape(), ka, kb);
}

// The broadcast of the batch dims of two matrix operands.
Shape broadcast_batch(const char* op, const Tensor& a, const Tensor& b) {
  const Shape ba = leading(a.shape(), 2), bb = leading(b.shape(), 2);
  if (ba == bb) return ba;
  const int64_t n = std::max(ba.size(), bb.size());
  Shape out(n);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t x = i < n - ba.size() ? 1 : ba[i - (n - ba.size())];
    const int64_t y = i < n - bb.size() ? 1 : bb[i - (n - bb.size())];
    SOMA_CHECK(x == y || x == 1 || y == 1, "{}: the batch dims of shapes {} and {} cannot be broadcast together", op,
               a.shape(), b.shape());
    out[i] = x == 1 ? y : x;
  }
  return out;
}

// ---- the product ---------------------------------------------------------------------------------

// Runs first() and second() at the same time, one per thread, when soma uses exactly two threads
// and the work is large; else one after the other. Used for the two independent products of a
// backward pass (dA and dB): each then runs single-threaded (inside a parallel region OpenBLAS
// and parallel_for stay on their thread), which beats splitting each product over both cores:
// no packing done twice, no barrier in between. Grad mode is thread-local: the caller's is used.
template <class F1, class F2>
void run_pair(F1 first, F2 second, double flops) {
  constexpr double kWorthIt = 4e6;
  if (flops < kWorthIt || get_num_threads() != 2 || omp_in_parallel()) {
    first();
    second();
    return;
  }
  const bool grad = is_grad_enabled();
  std::exception_ptr error[2];
#pragma omp parallel num_threads(2)
  {
    const int t = omp_get_thread_num();
    GradModeGuard mode(grad);
    try {
      if (t == 0) first();
      if (t == 1 || omp_get_num_threads() == 1) second();
    } catch (...) {
      error[t] = std::current_exception();
    }
  }
  for (const auto& e : error)
    if (e) std::rethrow_exception(e);
}

// The gradient a^T g [k, m] of the right operand b of a [n, k] @ b [k, m]. When b is the
// transpose of a dense [m, k] matrix (the weight of linear: x @ W^T), it is computed as the
// transpose of g^T a [m, k], so the gradient reaching W is dense without a copy.
Tensor weight_grad(const Tensor& a, const Tensor& g, const Tensor& b) {
  const bool transposed_dense = b.stride(0) == 1 && b.stride(1) == b.size(0) && b.size(0) > 1 && b.size(1) > 1;
  return transposed_dense ? mm(g.t(), a).t() : mm(a.t(), g);
}

// a [..., n, k] @ b [..., k, m] with equal batch dims (either may be a broadcast view).
Tensor product(const Tensor& a, const Tensor& b) {
  Shape shape = a.shape();
  shape[shape.size() - 1] = b.size(-1);
  Tensor out = empty(shape, a.dtype());
  kernels::gemm(out, a, b);
  if (autograd::needs_grad(a, b))
    autograd::record("matmul", out, {a, b}, [sa = SavedTensor(a), sb = SavedTensor(b)](const Tensor& g, GradMask m) -> TensorList {
      TensorList r(2);
      const Tensor &a = sa.get(), &b = sb.get();
      run_pair([&] { if (m[0]) r[0] = product(g, mT(b)); },
               [&] { if (m[1]) r[1] = a.dim() == 2 ? weight_grad(a, g, b) : product(mT(a), g); },
               m[0] && m[1] ? 2.0 * double(a.numel()) * double(b.size(-1)) : 0.0);
      return r;
    });
  return out;
}

}  // namespace

Tensor mm(const Tensor& a, const Tensor& b) {
  SOMA_CHECK(a.dim() == 2 && b.dim() == 2, "mm: expected 2-D tensors, got shapes {} and {}", a.shape(), b.shape());
  check_product_dtypes("mm", a, b);
  check_inner("mm", a, b, a.size(1), b.size(0));
  return product(a, b);
}

Tensor bmm(const Tensor& a, const Tensor& b) {
  SOMA_CHECK(a.dim() == 3 && b.dim() == 3, "bmm: expected 3-D tensors, got shapes {} and {}", a.shape(), b.shape());
  check_product_dtypes("bmm", a, b);
  SOMA_CHECK(a.size(0) == b.size(0), "bmm: batch sizes differ: shapes {} and {}", a.shape(), b.shape());
  check_inner("bmm", a, b, a.size(2), b.size(1));
  return product(a, b);
}

Tensor mv(const Tensor& a, const Tensor& v) {
  SOMA_CHECK(a.dim() == 2 && v.dim() == 1, "mv: expected a 2-D matrix and a 1-D vector, got shapes {} and {}",
             a.shape(), v.shape());
  check_product_dtypes("mv", a, v);
  check_inner("mv", a, v, a.size(1), v.size(0));
  return product(a, v.unsqueeze(1)).squeeze(1);
}

Tensor dot(const Tensor& a, const Tensor& b) {
  SOMA_CHECK(a.dim() == 1 && b.dim() == 1, "dot: expected 1-D tensors, got shapes {} and {}", a.shape(), b.shape());
  check_product_dtypes("dot", a, b);
  check_inner("dot", a, b, a.size(0), b.size(0));
  return product(a.unsqueeze(0), b.unsqueeze(1)).reshape({});
}

Tensor outer(const Tensor& a, const Tensor& b) {
  SOMA_CHECK(a.dim() == 1 && b.dim() == 1, "outer: expected 1-D tensors, got shapes {} and {}", a.shape(), b.shape());
  return a.unsqueeze(1) * b.unsqueeze(0);
}

Tensor matmul(const Tensor& a, const Tensor& b) {
  const int64_t da = a.dim(), db = b.dim();
  SOMA_CHECK(da >= 1 && db >= 1, "matmul: both arguments need at least 1 dim, got shapes {} and {}", a.shape(),
             b.shape());
  check_product_dtypes("matmul", a, b);
  const int64_t k = a.size(-1);
  check_inner("matmul", a, b, k, b.size(db == 1 ? 0 : -2));
  if (da == 2 && db == 2) return product(a, b);
  if (da == 1 && db == 1) return product(a.unsqueeze(0), b.unsqueeze(1)).reshape({});
  // 1-D operands become matrices; the added dim is removed from the result.
  const Tensor a2 = da == 1 ? a.unsqueeze(0) : a;
  const Tensor b2 = db == 1 ? b.unsqueeze(1) : b;
  Tensor out;
  if (da >= 3 && db <= 2) {
    // A stack of matrices times one matrix is one taller product (and its weight gradient
    // one product, not a batch of them to be summed).
    Shape shape = a2.shape();
    shape[shape.size() - 1] = b2.size(1);
    out = product(a2.reshape({leading(a2.shape(), 1).numel(), k}), b2).view(shape);
  } else {
    const Shape batch = broadcast_batch("matmul", a2, b2);
    out = product(a2.expand(with_matrix(batch, a2.size(-2), k)), b2.expand(with_matrix(batch, k, b2.size(-1))));
  }
  if (db == 1) out = out.squeeze(-1);
  if (da == 1) out = out.squeeze(-2);
  return out;
}

Tensor addmm(const Tensor& c, const Tensor& a, const Tensor& b, Scalar beta, Scalar alpha) {
  SOMA_CHECK(a.dim() == 2 && b.dim() == 2, "addmm: expected 2-D matrices, got shapes {} and {}", a.shape(), b.shape());
  check_product_dtypes("addmm", a, b);
  check_product_dtypes("addmm", c, a);
  check_inner("addmm", a, b, a.size(1), b.size(0));
  const Shape shape{a.size(0), b.size(1)};
  bool fits = c.dim() <= 2;
  for (int64_t d = 0; fits && d < c.dim(); ++d) fits = c.size(-1 - d) == 1 || c.size(-1 - d) == shape[1 - d];
  SOMA_CHECK(fits, "addmm: the input of shape {} cannot be broadcast to the product's shape {}", c.shape(), shape);
  const double be = beta.to_double(), al = alpha.to_double();
  Tensor out = empty(shape, a.dtype());
  if (be != 0) kernels::copy(out, c);  // beta == 0 ignores c entirely (NaNs included), as BLAS does
  kernels::gemm(out, a, b, be, al);
  if (autograd::needs_grad(c, a, b))
    autograd::record("addmm", out, {c, a, b},
                     [sc = c.shape(), dc = c.dtype(), sa = SavedTensor(a), sb = SavedTensor(b), beta, alpha](
                         const Tensor& g, GradMask m) -> TensorList {
                       TensorList r(3);
                       const Tensor ga = alpha.to_double() == 1 ? g : g * alpha;
                       if (m[0]) r[0] = ops::reduce_grad(beta.to_double() == 1 ? g : g * beta, sc, dc);
                       const Tensor &a = sa.get(), &b = sb.get();
                       run_pair([&] { if (m[1]) r[1] = mm(ga, b.t()); },
                                [&] { if (m[2]) r[2] = weight_grad(a, ga, b); },
                                m[1] && m[2] ? 2.0 * double(a.numel()) * double(b.size(1)) : 0.0);
                       return r;
                     });
  return out;
}

Tensor Tensor::matmul(const Tensor& other) const { return soma::matmul(*this, other); }
Tensor Tensor::mm(const Tensor& other) const { return soma::mm(*this, other); }
Tensor Tensor::dot(const Tensor& other) const { return soma::dot(*this, other); }

// ---- triangular parts ------------------------------------------------------------------------------

namespace {

// Keeps the lower (tril) or upper (triu) part of each matrix relative to diagonal `k`.
Tensor triangle(const char* op, const Tensor& a, int64_t k, bool lower) {
  SOMA_CHECK(a.dim() >= 2, "{}: expected a tensor of at least 2 dims, got shape {}", op, a.shape());
  Tensor out = empty(a.shape(), a.dtype());
  kernels::copy(out, a);
  const int64_t rows = a.size(-2), cols = a.size(-1);
  const int64_t matrices = rows * cols == 0 ? 0 : a.numel() / (rows * cols);
  dispatch(a.dtype(), [&]<class T>() {
    T* p = static_cast<T*>(out.data_ptr());
    for (int64_t b = 0; b < matrices; ++b) {
      for (int64_t i = 0; i < rows; ++i) {
        T* row = p + (b * rows + i) * cols;
        // tril zeroes columns j > i + k; triu zeroes columns j < i + k.
        const int64_t from = lower ? std::clamp<int64_t>(i + k + 1, 0, cols) : 0;
        const int64_t to = lower ? cols : std::clamp<int64_t>(i + k, 0, cols);
        std::fill(row + from, row + to, T{});
      }
    }
  });
  if (autograd::needs_grad(a))
    autograd::record(op, out, {a}, [k, lower](const Tensor& g, GradMask) -> TensorList {
      return {lower ? tril(g, k) : triu(g, k)};
    });
  return out;
}

}  // namespace

Tensor tril(const Tensor& a, int64_t diagonal) { return triangle("tril", a, diagonal, true); }
Tensor triu(const Tensor& a, int64_t diagonal) { return triangle("triu", a, diagonal, false); }

// ---- decompositions ----------------------------------------------------------------------------------

namespace {

void check_float_matrix(const char* op, const Tensor& a) {
  SOMA_CHECK(a.dtype() == kFloat32 || a.dtype() == kFloat64, "{}: expected a float32 or float64 tensor, got {}", op,
             dtype_name(a.dtype()));
  SOMA_CHECK(a.dim() >= 2, "{}: expected a matrix or a batch of matrices, got shape {}", op, a.shape());
}

void check_square(const char* op, const Tensor& a) {
  check_float_matrix(op, a);
  SOMA_CHECK(a.size(-1) == a.size(-2), "{}: expected square matrices, got shape {}", op, a.shape());
}

// Names matrix i of `a` in an error message.
std::string which(const Shape& shape, int64_t i) {
  if (shape.size() == 2) return fmt::format("the matrix of shape {}", shape);
  return fmt::format("matrix {} of the batch of shape {}", i, shape);
}

// A contiguous copy of `a` broadcast to batch + its matrix shape; read as column-major it holds
// the transposed matrices, which is what LAPACK sees (for symmetric inputs and for inverses this
// does not matter).
Tensor row_major_copy(const Tensor& a, const Shape& batch) {
  Tensor out = empty(with_matrix(batch, a.size(-2), a.size(-1)), a.dtype());
  kernels::copy(out, a);
  return out;
}

// A buffer holding `a` (broadcast to batch) column-major: a contiguous [batch, cols, rows].
Tensor column_major_copy(const Tensor& a, const Shape& batch) {
  Tensor buf = empty(with_matrix(batch, a.size(-1), a.size(-2)), a.dtype());
  kernels::copy(raw_mT(buf), a);
  return buf;
}

int64_t matrix_count(const Tensor& t) {
  const int64_t per = t.size(-1) * t.size(-2);
  return per == 0 ? 0 : t.numel() / per;
}

int ld(int64_t n) { return static_cast<int>(std::max<int64_t>(n, 1)); }

// x for a x = b; `vec`: b is a (batch of) vector(s).
Tensor solve_impl(const Tensor& a, const Tensor& b, bool vec) {
  const Tensor b2 = vec ? b.detach().unsqueeze(-1) : b;
  const int64_t n = a.size(-1);
  SOMA_CHECK(b2.dim() >= 2 && b2.size(-2) == n,
             "solve: the right-hand side of shape {} does not fit the matrix of shape {} (expected {} rows)", b.shape(),
             a.shape(), n);
  const Shape batch = broadcast_batch("solve", a, b2);
  Tensor lu = column_major_copy(a, batch);
  Tensor x = column_major_copy(b2, batch);  // [batch, k, n]: each right-hand side a column
  const int64_t k = b2.size(-1), count = matrix_count(lu);
  std::vector<int> ipiv(n);
  dispatch_float(a.dtype(), [&]<class T>() {
    T* pa = static_cast<T*>(lu.data_ptr());
    T* px = static_cast<T*>(x.data_ptr());
    for (int64_t i = 0; i < count; ++i) {
      int info = kernels::lapack::gesv(n, k, pa + i * n * n, ld(n), ipiv.data(), px + i * n * k, ld(n));
      SOMA_CHECK(info == 0, "solve: {} is singular (U[{}, {}] of its LU factorization is exactly zero)",
                 which(with_matrix(batch, n, n), i), info - 1, info - 1);
    }
  });
  Tensor out = raw_mT(x);
  if (vec) out = Tensor(out.storage(), leading(out.shape(), 1), leading(out.strides(), 1), 0, out.dtype());
  if (autograd::needs_grad(a, b))
    autograd::record("solve", out, {a, b},
                     [sa = SavedTensor(a), sb = SavedTensor(b), sx = SavedTensor::output(out), vec](
                         const Tensor& g, GradMask m) -> TensorList {
                       const Tensor& A = sa.get();
                       TensorList r(2);
                       const Tensor gb = solve_impl(mT(A), g, vec);
                       if (m[1]) r[1] = ops::reduce_grad(gb, sb.get());
                       if (m[0]) {
                         const Tensor x = is_grad_enabled() ? solve_impl(A, sb.get(), vec) : sx.get();
                         const Tensor ga = vec ? gb.unsqueeze(-1) * x.unsqueeze(-2) : matmul(gb, mT(x));
                         r[0] = ops::reduce_grad(-ga, A);
                       }
                       return r;
                     });
  return out;
}

// LU-factorizes row-major copies of a's matrices (LAPACK sees the transposes, which have the
// same determinant) and calls f(i, lu, ipiv) for each matrix i.
template <class T, class F>
void for_each_lu(const Tensor& a, F f) {
  Tensor lu = row_major_copy(a, leading(a.shape(), 2));
  const int64_t n = a.size(-1), count = matrix_count(lu);
  std::vector<int> ipiv(n);
  T* p = static_cast<T*>(lu.data_ptr());
  for (int64_t i = 0; i < count; ++i) {
    kernels::lapack::getrf(n, n, p + i * n * n, ld(n), ipiv.data());
    f(i, p + i * n * n, ipiv.data());
  }
}

// Sign of the row permutation and of the product of U's diagonal, and log |prod|.
template <class T>
std::pair<T, T> lu_slogdet(const T* lu, const int* ipiv, int64_t n) {
  T sign = 1, logabs = 0;
  for (int64_t j = 0; j < n; ++j) {
    const T u = lu[j * n + j];
    if (ipiv[j] != j + 1) sign = -sign;
    if (u < 0) sign = -sign;
    if (u == 0) return {T(0), -std::numeric_limits<T>::infinity()};
    logabs += std::log(std::abs(u));
  }
  return {sign, logabs};
}

}  // namespace

namespace linalg {

Tensor solve(const Tensor& a, const Tensor& b) {
  check_square("solve", a);
  SOMA_CHECK(b.dtype() == a.dtype(), "solve: expected b of dtype {} like a, got {}", dtype_name(a.dtype()),
             dtype_name(b.dtype()));
  SOMA_CHECK(b.dim() >= 1, "solve: expected b to have at least 1 dim, got shape {}", b.shape());
  // As in PyTorch: b is a vector (or a batch of them) when it is 1-D or has exactly a's batch dims.
  const bool vec = b.dim() == 1 || (b.dim() == a.dim() - 1 && b.shape() == leading(a.shape(), 1));
  return solve_impl(a, b, vec);
}

Tensor inv(const Tensor& a) {
  check_square("inv", a);
  // The inverse of the transpose LAPACK sees, read back row-major, is the inverse of a.
  Tensor out = row_major_copy(a, leading(a.shape(), 2));
  const int64_t n = a.size(-1), count = matrix_count(out);
  std::vector<int> ipiv(n);
  dispatch_float(a.dtype(), [&]<class T>() {
    T* p = static_cast<T*>(out.data_ptr());
    for (int64_t i = 0; i < count; ++i) {
      int info = kernels::lapack::getrf(n, n, p + i * n * n, ld(n), ipiv.data());
      SOMA_CHECK(info == 0, "inv: {} is singular (U[{}, {}] of its LU factorization is exactly zero)", which(a.shape(), i),
                 info - 1, info - 1);
      kernels::lapack::getri(n, p + i * n * n, ld(n), ipiv.data());
    }
  });
  if (autograd::needs_grad(a))
    autograd::record("inv", out, {a}, [sa = SavedTensor(a), so = SavedTensor::output(out)](const Tensor& g, GradMask) -> TensorList {
      const Tensor ainv_t = mT(is_grad_enabled() ? inv(sa.get()) : so.get());
      return {-matmul(matmul(ainv_t, g), ainv_t)};
    });
  return out;
}

Tensor det(const Tensor& a) {
  check_square("det", a);
  Tensor out = empty(leading(a.shape(), 2), a.dtype());
  dispatch_float(a.dtype(), [&]<class T>() {
    T* o = static_cast<T*>(out.data_ptr());
    for_each_lu<T>(a, [&](int64_t i, const T* lu, const int* ipiv) {
      auto [sign, logabs] = lu_slogdet(lu, ipiv, a.size(-1));
      T d = sign;
      for (int64_t j = 0; j < a.size(-1); ++j) d *= std::abs(lu[j * a.size(-1) + j]);
      o[i] = d;
    });
  });
  if (autograd::needs_grad(a))
    autograd::record("det", out, {a}, [sa = SavedTensor(a), so = SavedTensor::output(out)](const Tensor& g, GradMask) -> TensorList {
      const Tensor& A = sa.get();
      const Tensor d = is_grad_enabled() ? det(A) : so.get();
      return {(g * d).unsqueeze(-1).unsqueeze(-1) * mT(inv(A))};
    });
  return out;
}

std::pair<Tensor, Tensor> slogdet(const Tensor& a) {
  check_square("slogdet", a);
  const Shape batch = leading(a.shape(), 2);
  Tensor sign = empty(batch, a.dtype()), logabs = empty(batch, a.dtype());
  dispatch_float(a.dtype(), [&]<class T>() {
    T* s = static_cast<T*>(sign.data_ptr());
    T* l = static_cast<T*>(logabs.data_ptr());
    for_each_lu<T>(a, [&](int64_t i, const T* lu, const int* ipiv) {
      std::tie(s[i], l[i]) = lu_slogdet(lu, ipiv, a.size(-1));
    });
  });
  // The sign is piecewise constant: only logabsdet carries a gradient, A^{-T}.
  if (autograd::needs_grad(a))
    autograd::record("slogdet", logabs, {a}, [sa = SavedTensor(a)](const Tensor& g, GradMask) -> TensorList {
      return {g.unsqueeze(-1).unsqueeze(-1) * mT(inv(sa.get()))};
    });
  return {sign, logabs};
}

Tensor cholesky(const Tensor& a) {
  check_square("cholesky", a);
  // Column-major, the row-major copy is a^T; its upper factor U (a^T = U^T U) read back row-major
  // is L = U^T. Only the lower triangle of a is read, as in PyTorch.
  Tensor out = row_major_copy(a, leading(a.shape(), 2));
  const int64_t n = a.size(-1), count = matrix_count(out);
  dispatch_float(a.dtype(), [&]<class T>() {
    T* p = static_cast<T*>(out.data_ptr());
    for (int64_t i = 0; i < count; ++i) {
      T* m = p + i * n * n;
      int info = kernels::lapack::potrf_upper(n, m, ld(n));
      SOMA_CHECK(info == 0, "cholesky: {} is not positive-definite (its leading minor of order {} is not positive)",
                 which(a.shape(), i), info);
      for (int64_t r = 0; r < n; ++r) std::fill(m + r * n + r + 1, m + (r + 1) * n, T(0));
    }
  });
  if (autograd::needs_grad(a))
    autograd::record("cholesky", out, {a}, [sa = SavedTensor(a), so = SavedTensor::output(out)](const Tensor& g, GradMask) -> TensorList {
      // Murray (2016), as in PyTorch's cholesky_backward:
      // gA = L^{-T} sym(tril(L^T gL)) L^{-1}, with sym(X) = (X + tril(X, -1)^T) / 2.
      const Tensor L = is_grad_enabled() ? cholesky(sa.get()) : so.get();
      const Tensor Lt = mT(L);
      Tensor p = tril(matmul(Lt, g));
      p = (p + mT(tril(p, -1))) * 0.5;
      const Tensor x = solve_impl(Lt, p, false);   // L^{-T} P
      return {mT(solve_impl(Lt, mT(x), false))};  // (L^{-T} (L^{-T} P)^T)^T = L^{-T} P L^{-1}
    });
  return out;
}

std::pair<Tensor, Tensor> qr(const Tensor& a) {
  check_float_matrix("qr", a);
  const Shape batch = leading(a.shape(), 2);
  const int64_t m = a.size(-2), n = a.size(-1), k = std::min(m, n);
  // buf [batch, n, m] holds a column-major; geqrf leaves R above the diagonal, orgqr then
  // turns its first k columns into Q.
  Tensor buf = column_major_copy(a, batch);
  Tensor r = zeros(with_matrix(batch, k, n), a.dtype());
  const int64_t count = matrix_count(buf);
  dispatch_float(a.dtype(), [&]<class T>() {
    T* pb = static_cast<T*>(buf.data_ptr());
    T* pr = static_cast<T*>(r.data_ptr());
    std::vector<T> tau(k);
    for (int64_t i = 0; k > 0 && i < count; ++i) {
      T* q = pb + i * n * m;
      kernels::lapack::geqrf(m, n, q, ld(m), tau.data());
      for (int64_t row = 0; row < k; ++row)
        for (int64_t col = row; col < n; ++col) pr[(i * k + row) * n + col] = q[col * m + row];
      kernels::lapack::orgqr(m, k, k, q, ld(m), tau.data());
    }
  });
  // Q: the first k columns of each column-major buffer.
  Shape q_strides = buf.strides();
  q_strides[q_strides.size() - 2] = 1;
  q_strides[q_strides.size() - 1] = m;
  Tensor q(buf.storage(), with_matrix(batch, m, k), q_strides, 0, a.dtype());
  TensorList outs{q, r};
  if (autograd::needs_grad(a))
    autograd::record("qr", outs, {a},
                     [sa = SavedTensor(a), sq = SavedTensor::output(q), sr = SavedTensor::output(r)](
                         const TensorList& grads, GradMask) -> TensorList {
                       const Tensor& A = sa.get();
                       SOMA_CHECK(A.size(-2) >= A.size(-1),
                                  "qr: the gradient is implemented for m >= n only, got shape {}", A.shape());
                       Tensor Q = sq.get(), R = sr.get();
                       if (is_grad_enabled()) std::tie(Q, R) = qr(A);
                       const Tensor &gQ = grads[0], &gR = grads[1];
                       // PyTorch's linalg_qr_backward (m >= n):
                       // gA = [gQ + Q copyltu(M)] R^{-T}, M = triu(gR R^T - Q^T gQ),
                       // copyltu(M) = M + triu(M, 1)^T.
                       Tensor mtx;
                       if (gR.defined()) mtx = matmul(gR, mT(R));
                       if (gQ.defined()) mtx = mtx.defined() ? mtx - matmul(mT(Q), gQ) : -matmul(mT(Q), gQ);
                       if (!mtx.defined()) return {Tensor()};
                       mtx = triu(mtx);
                       Tensor ga = matmul(Q, mtx + mT(triu(mtx, 1)));
                       if (gQ.defined()) ga = ga + gQ;
                       return {mT(solve_impl(R, mT(ga), false))};  // ga R^{-T}
                     });
  return {outs[0], outs[1]};
}

std::pair<Tensor, Tensor> eigh(const Tensor& a) {
  check_square("eigh", a);
  const Shape batch = leading(a.shape(), 2);
  const int64_t n = a.size(-1);
  // Read column-major, the row-major copy holds a^T, whose upper triangle is a's lower one;
  // syevd leaves the eigenvectors as its columns, i.e. the rows of the buffer: V^T.
  Tensor buf = row_major_copy(a, batch);
  Shape value_shape = batch;
  value_shape.push_back(n);
  Tensor values = empty(value_shape, a.dtype());
  const int64_t count = matrix_count(buf);
  dispatch_float(a.dtype(), [&]<class T>() {
    T* p = static_cast<T*>(buf.data_ptr());
    T* w = static_cast<T*>(values.data_ptr());
    for (int64_t i = 0; i < count; ++i) {
      int info = kernels::lapack::syevd('U', n, p + i * n * n, ld(n), w + i * n);
      SOMA_CHECK(info == 0, "eigh: the algorithm did not converge for {} (LAPACK info {}); does it hold NaN or inf?",
                 which(a.shape(), i), info);
    }
  });
  TensorList outs{values, raw_mT(buf)};
  if (autograd::needs_grad(a))
    autograd::record("eigh", outs, {a},
                     [sa = SavedTensor(a), sl = SavedTensor::output(outs[0]), sv = SavedTensor::output(outs[1])](
                         const TensorList& grads, GradMask) -> TensorList {
                       Tensor L = sl.get(), V = sv.get();
                       if (is_grad_enabled()) std::tie(L, V) = eigh(sa.get());
                       const Tensor &gL = grads[0], &gV = grads[1];
                       // PyTorch's linalg_eig_backward (Hermitian case):
                       // gA = V (skew(V^T gV) / E + diag(gL)) V^T, E_ij = L_j - L_i off the diagonal.
                       if (!gV.defined()) {
                         if (!gL.defined()) return {Tensor()};
                         return {matmul(V * gL.unsqueeze(-2), mT(V))};
                       }
                       const Tensor I = eye(L.size(-1), -1, L.dtype());
                       Tensor VtgV = matmul(mT(V), gV);
                       VtgV = (VtgV - mT(VtgV)) * 0.5;
                       Tensor inner = VtgV / (L.unsqueeze(-2) - L.unsqueeze(-1) + I);
                       if (gL.defined()) inner = inner + gL.unsqueeze(-2) * I;
                       return {matmul(V, matmul(inner, mT(V)))};
                     });
  return {outs[0], outs[1]};
}

Tensor eigvalsh(const Tensor& a) { return eigh(a).first; }

namespace {

// PyTorch's svd_backward for the reduced factors (U [m,k], S [k], Vh [k,n]).
Tensor svd_backward(const Tensor& gU, const Tensor& gS, const Tensor& gVh, const Tensor& U, const Tensor& S,
                    const Tensor& Vh) {
  const int64_t m = U.size(-2), n = Vh.size(-1);
  if (!gU.defined() && !gVh.defined()) {
    if (!gS.defined()) return Tensor();
    return matmul(U * gS.unsqueeze(-2), Vh);
  }
  const Tensor I = eye(S.size(-1), -1, S.dtype());
  auto skew = [](const Tensor& x) { return x - mT(x); };
  // gA = U [(skew(U^T gU) S + S skew(Vh gV)) / E + diag(gS)] Vh, E_ij = S_j^2 - S_i^2 off the
  // diagonal, plus the parts of gU, gV outside the spans of U, V when the matrix is not square.
  const Tensor S2 = S * S;
  const Tensor E = S2.unsqueeze(-2) - S2.unsqueeze(-1) + I;
  Tensor inner;
  if (gU.defined()) inner = skew(matmul(mT(U), gU)) * S.unsqueeze(-2);
  if (gVh.defined()) {
    Tensor v_part = S.unsqueeze(-1) * skew(matmul(Vh, mT(gVh)));
    inner = inner.defined() ? inner + v_part : v_part;
  }
  inner = inner / E;
  if (gS.defined()) inner = inner + gS.unsqueeze(-2) * I;
  if (m > n && gU.defined()) {
    const Tensor gU_Sinv = gU / S.unsqueeze(-2);
    Tensor ga = matmul(U, inner) + gU_Sinv - matmul(U, matmul(mT(U), gU_Sinv));
    return matmul(ga, Vh);
  }
  if (m < n && gVh.defined()) {
    const Tensor Sinv_gVh = gVh / S.unsqueeze(-1);
    Tensor ga = matmul(inner, Vh) + Sinv_gVh - matmul(matmul(Sinv_gVh, mT(Vh)), Vh);
    return matmul(U, ga);
  }
  return matmul(U, matmul(inner, Vh));
}

}  // namespace

std::tuple<Tensor, Tensor, Tensor> svd(const Tensor& a, bool full_matrices) {
  check_float_matrix("svd", a);
  const Shape batch = leading(a.shape(), 2);
  const int64_t m = a.size(-2), n = a.size(-1), k = std::min(m, n);
  const int64_t u_cols = full_matrices ? m : k, vh_rows = full_matrices ? n : k;
  // LAPACK sees column-major buffers: a as [batch, n, m]; U comes back as [batch, u_cols, m]
  // and Vh as [batch, n, vh_rows], their transposes read row-major.
  Tensor buf = column_major_copy(a, batch);
  Tensor u_buf = empty(with_matrix(batch, u_cols, m), a.dtype());
  Tensor vh_buf = empty(with_matrix(batch, n, vh_rows), a.dtype());
  Shape s_shape = batch;
  s_shape.push_back(k);
  Tensor s = empty(s_shape, a.dtype());
  const int64_t count = matrix_count(u_buf) > 0 ? matrix_count(u_buf) : matrix_count(vh_buf);
  if (k == 0) {  // an empty matrix: no singular values; the full factors are identities
    if (u_buf.numel() > 0) u_buf.copy_(eye(m, -1, a.dtype()));
    if (vh_buf.numel() > 0) vh_buf.copy_(eye(n, -1, a.dtype()));
  } else {
    dispatch_float(a.dtype(), [&]<class T>() {
      T* pa = static_cast<T*>(buf.data_ptr());
      T* pu = static_cast<T*>(u_buf.data_ptr());
      T* pv = static_cast<T*>(vh_buf.data_ptr());
      T* ps = static_cast<T*>(s.data_ptr());
      for (int64_t i = 0; i < count; ++i) {
        int info = kernels::lapack::gesdd(full_matrices ? 'A' : 'S', m, n, pa + i * m * n, ld(m), ps + i * k,
                                          pu + i * m * u_cols, ld(m), pv + i * n * vh_rows, ld(vh_rows));
        SOMA_CHECK(info == 0, "svd: the algorithm did not converge for {} (LAPACK info {}); does it hold NaN or inf?",
                   which(a.shape(), i), info);
      }
    });
  }
  TensorList outs{raw_mT(u_buf), s, raw_mT(vh_buf)};
  if (autograd::needs_grad(a))
    autograd::record("svd", outs, {a},
                     [sa = SavedTensor(a), su = SavedTensor::output(outs[0]), ss = SavedTensor::output(outs[1]),
                      sv = SavedTensor::output(outs[2]), k, full_matrices](const TensorList& grads, GradMask) -> TensorList {
                       Tensor U = su.get(), S = ss.get(), Vh = sv.get();
                       if (is_grad_enabled()) std::tie(U, S, Vh) = svd(sa.get(), full_matrices);
                       Tensor gU = grads[0], gVh = grads[2];
                       // As PyTorch: with full matrices only the first k singular vectors carry a gradient.
                       if (full_matrices) {
                         U = U.narrow(-1, 0, k);
                         Vh = Vh.narrow(-2, 0, k);
                         if (gU.defined()) gU = gU.narrow(-1, 0, k);
                         if (gVh.defined()) gVh = gVh.narrow(-2, 0, k);
                       }
                       return {svd_backward(gU, grads[1], gVh, U, S, Vh)};
                     });
  return {outs[0], outs[1], outs[2]};
}

Tensor svdvals(const Tensor& a) { return std::get<1>(svd(a, false)); }

}  // namespace linalg

}  // namespace soma
