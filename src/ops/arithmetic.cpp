// + - * / and negation, their scalar forms and in-place variants, with gradients.
#include "autograd/node.h"
#include "ops/elementwise.h"
#include "ops/util.h"
#include "soma/math.h"

namespace soma {

using autograd::GradMask;
using autograd::SavedTensor;

namespace {

DType true_div_type(DType t) { return is_floating(t) ? t : kFloat32; }

void check_not_bool_sub(const char* op, DType a, DType b) {
  SOMA_CHECK(!(a == kBool && b == kBool),
             "{}: subtracting bool tensors is not supported; use logical_xor or cast to an integer dtype", op);
}

// The result dtype of an in-place op must convert to self's dtype without changing category.
void check_inplace_type(const char* op, DType self, DType result) {
  auto cat = [](DType t) { return t == kBool ? 0 : is_integral(t) ? 1 : 2; };
  SOMA_CHECK(cat(result) <= cat(self), "{}: the result type {} cannot be stored in a tensor of dtype {}", op,
             dtype_name(result), dtype_name(self));
}

}  // namespace

Tensor add(const Tensor& a, const Tensor& b, Scalar alpha) {
  Tensor out;
  if (alpha.to_double() == 1.0) {
    out = ops::binary_forward("add", a, b, ops::result_type(a, b), [](auto x, auto y) { return x + y; });
  } else {
    DType rt = ops::result_type(a, b);
    SOMA_CHECK(is_floating(rt) || !alpha.is_floating(), "add: a floating-point alpha needs floating-point inputs");
    const double al = alpha.to_double();
    out = ops::binary_forward("add", a, b, rt, [al](auto x, auto y) { return x + static_cast<decltype(y)>(al) * y; });
  }
  if (autograd::needs_grad(a, b)) {
    // Only the inputs' shapes and dtypes are needed, not their data.
    autograd::record("add", out, {a, b},
                     [sa = a.shape(), da = a.dtype(), sb = b.shape(), db = b.dtype(), alpha](const Tensor& g,
                                                                                          GradMask m) -> TensorList {
                       TensorList r(2);
                       if (m[0]) r[0] = ops::reduce_grad(g, sa, da);
                       if (m[1]) r[1] = ops::reduce_grad(alpha.to_double() == 1.0 ? g : g * alpha, sb, db);
                       return r;
                     });
  }
  return out;
}

Tensor sub(const Tensor& a, const Tensor& b, Scalar alpha) {
  check_not_bool_sub("sub", a.dtype(), b.dtype());
  return add(a, b, alpha.is_floating() ? Scalar(-alpha.to_double()) : Scalar(-alpha.to_int()));
}

Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor out = ops::binary_forward("mul", a, b, ops::result_type(a, b), [](auto x, auto y) { return x * y; });
  if (autograd::needs_grad(a, b)) {
    autograd::record("mul", out, {a, b}, [sa = SavedTensor(a), sb = SavedTensor(b)](const Tensor& g, GradMask m) -> TensorList {
      TensorList r(2);
      if (m[0]) r[0] = ops::reduce_grad(g * sb.get(), sa.get());
      if (m[1]) r[1] = ops::reduce_grad(g * sa.get(), sb.get());
      return r;
    });
  }
  return out;
}

Tensor div(const Tensor& a, const Tensor& b) {
  DType rt = true_div_type(ops::result_type(a, b));
  Tensor out = ops::binary_forward("div", a, b, rt, [](auto x, auto y) { return x / y; });
  if (autograd::needs_grad(a, b)) {
    autograd::record("div", out, {a, b}, [sa = SavedTensor(a), sb = SavedTensor(b)](const Tensor& g, GradMask m) -> TensorList {
      TensorList r(2);
      const Tensor& bv = sb.get();
      if (m[0]) r[0] = ops::reduce_grad(g / bv, sa.get());
      if (m[1]) r[1] = ops::reduce_grad(-g * sa.get() / (bv * bv), bv);
      return r;
    });
  }
  return out;
}

Tensor neg(const Tensor& a) {
  SOMA_CHECK(a.dtype() != kBool, "neg: negation of a bool tensor is not supported; use logical_not");
  Tensor out = ops::unary_forward(a, a.dtype(), [](auto x) { return -x; });
  if (autograd::needs_grad(a))
    autograd::record("neg", out, {a}, [](const Tensor& g, GradMask) -> TensorList { return {-g}; });
  return out;
}

// ---- scalar forms -------------------------------------------------------------------------------

Tensor add(const Tensor& a, Scalar b) {
  DType rt = promote_with_scalar(a.dtype(), b);
  return add(a, scalar_tensor(b, rt));
}
Tensor sub(const Tensor& a, Scalar b) {
  DType rt = promote_with_scalar(a.dtype(), b);
  check_not_bool_sub("sub", a.dtype(), rt);
  return sub(a, scalar_tensor(b, rt));
}
Tensor rsub(const Tensor& a, Scalar b) {
  DType rt = promote_with_scalar(a.dtype(), b);
  check_not_bool_sub("rsub", a.dtype(), rt);
  return sub(scalar_tensor(b, rt), a);
}
Tensor mul(const Tensor& a, Scalar b) { return mul(a, scalar_tensor(b, promote_with_scalar(a.dtype(), b))); }
Tensor div(const Tensor& a, Scalar b) { return div(a, scalar_tensor(b, promote_with_scalar(a.dtype(), b))); }
Tensor rdiv(const Tensor& a, Scalar b) { return div(scalar_tensor(b, promote_with_scalar(a.dtype(), b)), a); }

// ---- in-place -----------------------------------------------------------------------------------

namespace {

// self = op(self, other), computed in self's dtype. `reference` is the out-of-place op.
template <class Op, class Ref>
Tensor& arith_inplace(Tensor& self, const Tensor& other, const char* name, DType result, Op op, Ref reference) {
  check_inplace_type(name, self.dtype(), result);
  SOMA_CHECK(broadcast_shapes(self.shape(), other.shape(), name) == self.shape(),
             "{}: an operand of shape {} cannot be broadcast to the in-place output shape {}", name, other.shape(),
             self.shape());
  Tensor s = self;
  return ops::apply_inplace(
      self, name, other.requires_grad(),
      [&] {
        if (is_half(s.dtype()))
          kernels::copy(s, reference(s.detach(), other.detach()));
        else
          ops::binary_inplace(s, other, op);
      },
      [&] { return reference(s.clone(), other); });  // a copy: the op may save self, which is overwritten
}

}  // namespace

Tensor& Tensor::add_(const Tensor& other, Scalar alpha) {
  DType rt = ops::result_type(*this, other);
  if (alpha.to_double() == 1.0)
    return arith_inplace(*this, other, "add_", rt, [](auto x, auto y) { return x + y; },
                         [](const Tensor& x, const Tensor& y) { return add(x, y); });
  const double al = alpha.to_double();
  return arith_inplace(*this, other, "add_", rt, [al](auto x, auto y) { return x + static_cast<decltype(y)>(al) * y; },
                       [alpha](const Tensor& x, const Tensor& y) { return add(x, y, alpha); });
}
Tensor& Tensor::sub_(const Tensor& other, Scalar alpha) {
  check_not_bool_sub("sub_", dtype(), other.dtype());
  return add_(other, alpha.is_floating() ? Scalar(-alpha.to_double()) : Scalar(-alpha.to_int()));
}
Tensor& Tensor::mul_(const Tensor& other) {
  return arith_inplace(*this, other, "mul_", ops::result_type(*this, other), [](auto x, auto y) { return x * y; },
                       [](const Tensor& x, const Tensor& y) { return mul(x, y); });
}
Tensor& Tensor::div_(const Tensor& other) {
  return arith_inplace(*this, other, "div_", true_div_type(ops::result_type(*this, other)),
                       [](auto x, auto y) { return x / y; },
                       [](const Tensor& x, const Tensor& y) { return soma::div(x, y); });  // not Tensor::div
}
Tensor& Tensor::add_(Scalar other) { return add_(scalar_tensor(other, promote_with_scalar(dtype(), other))); }
Tensor& Tensor::sub_(Scalar other) { return sub_(scalar_tensor(other, promote_with_scalar(dtype(), other))); }
Tensor& Tensor::mul_(Scalar other) { return mul_(scalar_tensor(other, promote_with_scalar(dtype(), other))); }
Tensor& Tensor::div_(Scalar other) { return div_(scalar_tensor(other, promote_with_scalar(dtype(), other))); }
Tensor& Tensor::neg_() {
  Tensor s = *this;
  return ops::apply_inplace(
      *this, "neg_", false, [&] { kernels::copy(s, soma::neg(s.detach())); }, [&] { return soma::neg(s); });
}

Tensor Tensor::neg() const { return soma::neg(*this); }

}  // namespace soma
