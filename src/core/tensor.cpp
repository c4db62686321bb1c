// Tensor metadata and data access. Autograd methods live in autograd/tensor_autograd.cpp, ops
// in their families under ops/.
#include "soma/tensor.h"

#include "autograd/node.h"

namespace soma {

TensorImpl::~TensorImpl() {
  if (grad_fn) autograd::release_node(std::move(grad_fn));
}

Tensor::Tensor(std::shared_ptr<Storage> storage, Shape shape, Shape strides, int64_t offset, DType dtype)
    : impl_(std::make_shared<TensorImpl>()) {
  impl_->storage = std::move(storage);
  impl_->shape = std::move(shape);
  impl_->strides = std::move(strides);
  impl_->offset = offset;
  impl_->dtype = dtype;
}

int64_t Tensor::size(int64_t d) const { return shape()[wrap_dim(d, dim(), "size")]; }
int64_t Tensor::stride(int64_t d) const { return strides()[wrap_dim(d, dim(), "stride")]; }

bool Tensor::is_contiguous() const {
  const Shape& sh = shape();
  const Shape& st = strides();
  int64_t expected = 1;
  for (int64_t i = sh.size() - 1; i >= 0; --i) {
    if (sh[i] == 1) continue;
    if (st[i] != expected) return false;
    expected *= sh[i];
  }
  return true;
}

template <class T>
T Tensor::item() const {
  SOMA_CHECK(numel() == 1, "item: only one-element tensors can be converted to a number (got shape {})", shape());
  return dispatch(dtype(), [&]<class S>() -> T {
    S v = *static_cast<const S*>(data_ptr());
    if constexpr (std::is_same_v<S, Half> || std::is_same_v<S, BFloat16>)
      return static_cast<T>(static_cast<float>(v));
    else
      return static_cast<T>(v);
  });
}

template <class T>
std::vector<T> Tensor::to_vector() const {
  Tensor c = to(dtype_v<T>).contiguous();
  const T* p = static_cast<const T*>(c.data_ptr());
  return std::vector<T>(p, p + c.numel());
}

#define SOMA_INSTANTIATE(T) \
  template T Tensor::item<T>() const; \
  template std::vector<T> Tensor::to_vector<T>() const;
SOMA_INSTANTIATE(float)
SOMA_INSTANTIATE(double)
SOMA_INSTANTIATE(int64_t)
SOMA_INSTANTIATE(int32_t)
SOMA_INSTANTIATE(int16_t)
SOMA_INSTANTIATE(int8_t)
SOMA_INSTANTIATE(uint8_t)
SOMA_INSTANTIATE(bool)
SOMA_INSTANTIATE(Half)
SOMA_INSTANTIATE(BFloat16)
#undef SOMA_INSTANTIATE

}  // namespace soma
