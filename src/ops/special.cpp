// Special functions (torch.special), with gradients written in Tensor ops.
#include <cmath>
#include <limits>

#include "autograd/node.h"
#include "ops/elementwise.h"
#include "soma/math.h"

namespace soma::special {

using autograd::GradMask;
using autograd::SavedTensor;

Tensor entr(const Tensor& a) {
  const DType rt = is_floating(a.dtype()) ? a.dtype() : kFloat32;
  Tensor out = ops::unary_forward(a, rt, [](auto x) {
    using T = decltype(x);
    if constexpr (!std::is_floating_point_v<T>) {
      return x;  // not reached: the result type is floating
    } else {
      if (std::isnan(x)) return x;
      if (x > 0) return -x * std::log(x);
      return x == 0 ? T(0) : -std::numeric_limits<T>::infinity();
    }
  });
  if (autograd::needs_grad(a)) {
    autograd::record("entr", out, {a}, [sx = SavedTensor(a)](const Tensor& g, GradMask) -> TensorList {
      return {g * -(log(sx.get()) + 1)};  // inf at 0, nan below, as PyTorch
    });
  }
  return out;
}

}  // namespace soma::special
