// Division with rounding (div with a rounding_mode, floor_divide) and the two remainders
// (remainder: Python's sign rule; fmod: C's), as PyTorch 1.13 computes them. Integer division by
// zero is an error (PyTorch raises ZeroDivisionError), never a SIGFPE; floats follow IEEE.
#include <atomic>
#include <cmath>

#include "autograd/node.h"
#include "ops/elementwise.h"
#include "ops/util.h"
#include "soma/math.h"

namespace soma {

using autograd::GradMask;
using autograd::SavedTensor;

namespace {

enum class Rounding { Trunc, Floor };

Rounding parse_rounding(std::string_view mode) {
  if (mode == "trunc") return Rounding::Trunc;
  if (mode == "floor") return Rounding::Floor;
  SOMA_FAIL("div: rounding_mode must be \"trunc\", \"floor\" or none (true division), got \"{}\"", mode);
}

// The most negative signed integer divided by -1 overflows (a SIGFPE on x86): the quotient
// wraps to itself as in two's complement, and the remainder is 0.
template <class T>
bool is_minus_one(T b) {
  if constexpr (std::is_signed_v<T>)
    return b == T(-1);
  else
    return false;
}
template <class T>
T wrapping_neg(T a) {
  return static_cast<T>(static_cast<std::make_unsigned_t<T>>(0) - static_cast<std::make_unsigned_t<T>>(a));
}

// a / b rounded toward -inf, as PyTorch's div_floor_floating: the quotient is derived from
// fmod so that it agrees with remainder (a == b * floor_div(a, b) + remainder(a, b)).
template <class T>
T floor_div_floating(T a, T b) {
  if (b == 0) return a / b;  // IEEE: +-inf or nan
  const T mod = std::fmod(a, b);
  T div = (a - mod) / b;
  if (mod != 0 && (b < 0) != (mod < 0)) div -= T(1);
  if (div == 0) return std::copysign(T(0), a / b);
  T floordiv = std::floor(div);
  if (div - floordiv > T(0.5)) floordiv += T(1);
  return floordiv;
}

// Integer kernels write 0 where b == 0 and raise `zero`; the caller turns it into an error
// after the loop (an exception cannot leave a parallel loop).
template <class T>
T int_div(T a, T b, Rounding r, std::atomic<bool>* zero) {
  if (b == 0) {
    zero->store(true, std::memory_order_relaxed);
    return 0;
  }
  if (is_minus_one(b)) return wrapping_neg(a);
  const T q = static_cast<T>(a / b);
  if (r == Rounding::Floor && (a % b != 0) && ((a < 0) != (b < 0))) return static_cast<T>(q - 1);
  return q;
}

template <class T>
T int_mod(T a, T b, bool python_sign, std::atomic<bool>* zero) {
  if (b == 0) {
    zero->store(true, std::memory_order_relaxed);
    return 0;
  }
  if (is_minus_one(b)) return 0;
  T r = static_cast<T>(a % b);
  if constexpr (std::is_signed_v<T>)
    if (python_sign && r != 0 && ((r < 0) != (b < 0))) r = static_cast<T>(r + b);
  return r;
}

DType checked_type(const char* op, const Tensor& a, const Tensor& b) {
  const DType rt = ops::result_type(a, b);
  SOMA_CHECK(rt != kBool, "{}: not defined for bool tensors (got {} and {}); convert to an integer dtype", op,
             dtype_name(a.dtype()), dtype_name(b.dtype()));
  return rt;
}

// out = op(a, b) in the promoted dtype; `op(x, y, zero)` is called on the compute type.
template <class Op>
Tensor checked_forward(const char* name, const Tensor& a, const Tensor& b, Op op) {
  std::atomic<bool> zero{false};
  Tensor out = ops::binary_forward(name, a, b, checked_type(name, a, b),
                                   [op, z = &zero](auto x, auto y) { return op(x, y, z); });
  SOMA_CHECK(!zero.load(), "{}: integer division by zero (a divisor element is 0; PyTorch: ZeroDivisionError)",
             name);
  return out;
}

// Rounded quotients are piecewise constant: zero gradient for both inputs, as in PyTorch.
void record_zero_grad(const char* name, Tensor& out, const Tensor& a, const Tensor& b) {
  if (!autograd::needs_grad(a, b)) return;
  autograd::record(name, out, {a, b},
                   [sa = a.shape(), da = a.dtype(), sb = b.shape(), db = b.dtype()](const Tensor& g,
                                                                                   GradMask m) -> TensorList {
                     TensorList r(2);
                     if (m[0]) r[0] = ops::reduce_grad(g * 0, sa, da);
                     if (m[1]) r[1] = ops::reduce_grad(g * 0, sb, db);
                     return r;
                   });
}

Tensor rounded_div(const char* name, const Tensor& a, const Tensor& b, Rounding r) {
  Tensor out = checked_forward(name, a, b, [r](auto x, auto y, std::atomic<bool>* zero) {
    using T = decltype(x);
    if constexpr (std::is_floating_point_v<T>)
      return r == Rounding::Floor ? floor_div_floating(x, y) : std::trunc(x / y);
    else if constexpr (std::is_same_v<T, bool>)
      return x;  // not reached: bool operands are refused
    else
      return int_div(x, y, r, zero);
  });
  record_zero_grad(name, out, a, b);
  return out;
}

// a - b * q(a / b) with q = floor (remainder) or trunc (fmod): d/da = 1, d/db = -q(a / b).
Tensor modulo(const char* name, const Tensor& a, const Tensor& b, Rounding r) {
  const bool python_sign = r == Rounding::Floor;
  Tensor out = checked_forward(name, a, b, [python_sign](auto x, auto y, std::atomic<bool>* zero) {
    using T = decltype(x);
    if constexpr (std::is_floating_point_v<T>) {
      T mod = std::fmod(x, y);
      if (python_sign && mod != 0 && (y < 0) != (mod < 0)) mod += y;
      return mod;
    } else if constexpr (std::is_same_v<T, bool>) {
      return x;  // not reached: bool operands are refused
    } else {
      return int_mod(x, y, python_sign, zero);
    }
  });
  if (autograd::needs_grad(a, b)) {
    autograd::record(name, out, {a, b}, [sa = SavedTensor(a), sb = SavedTensor(b), r](const Tensor& g,
                                                                                      GradMask m) -> TensorList {
      TensorList res(2);
      if (m[0]) res[0] = ops::reduce_grad(g, sa.get());
      if (m[1]) {
        const Tensor q = rounded_div("div", sa.get().detach(), sb.get().detach(), r);
        res[1] = ops::reduce_grad(-g * q, sb.get());
      }
      return res;
    });
  }
  return out;
}

Tensor scalar_operand(Scalar s, const Tensor& other) { return scalar_tensor(s, promote_with_scalar(other.dtype(), s)); }

}  // namespace

Tensor div(const Tensor& a, const Tensor& b, std::optional<std::string_view> rounding_mode) {
  if (!rounding_mode) return div(a, b);
  return rounded_div("div", a, b, parse_rounding(*rounding_mode));
}
Tensor div(const Tensor& a, Scalar b, std::optional<std::string_view> rounding_mode) {
  return div(a, scalar_operand(b, a), rounding_mode);
}

Tensor floor_divide(const Tensor& a, const Tensor& b) { return rounded_div("floor_divide", a, b, Rounding::Floor); }
Tensor floor_divide(const Tensor& a, Scalar b) { return floor_divide(a, scalar_operand(b, a)); }

Tensor remainder(const Tensor& a, const Tensor& b) { return modulo("remainder", a, b, Rounding::Floor); }
Tensor remainder(const Tensor& a, Scalar b) { return remainder(a, scalar_operand(b, a)); }
Tensor remainder(Scalar a, const Tensor& b) { return remainder(scalar_operand(a, b), b); }

Tensor fmod(const Tensor& a, const Tensor& b) { return modulo("fmod", a, b, Rounding::Trunc); }
Tensor fmod(const Tensor& a, Scalar b) { return fmod(a, scalar_operand(b, a)); }

Tensor Tensor::div(const Tensor& other, std::optional<std::string_view> rounding_mode) const {
  return soma::div(*this, other, rounding_mode);
}
Tensor Tensor::floor_divide(const Tensor& other) const { return soma::floor_divide(*this, other); }
Tensor Tensor::floor_divide(Scalar other) const { return soma::floor_divide(*this, other); }
Tensor Tensor::remainder(const Tensor& other) const { return soma::remainder(*this, other); }
Tensor Tensor::remainder(Scalar other) const { return soma::remainder(*this, other); }
Tensor Tensor::fmod(const Tensor& other) const { return soma::fmod(*this, other); }
Tensor Tensor::fmod(Scalar other) const { return soma::fmod(*this, other); }

}  // namespace soma
