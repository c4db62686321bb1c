#pragma once
// Tensor: a strided view (shape, strides, offset, dtype) of a shared Storage, plus the autograd
// state (requires_grad, grad, the node that produced it). Copying a Tensor copies a handle;
// both handles see the same data, like torch.Tensor.
//
// The methods below are thin forwards to the free functions of the op families
// (math.h, reduce.h, views.h, indexing.h, linalg.h, creation.h, random.h); each family's
// source file defines its own methods.
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "soma/dtype.h"
#include "soma/error.h"
#include "soma/shape.h"
#include "soma/storage.h"

namespace soma {

namespace autograd {
class Node;
}

class Tensor;
using TensorList = std::vector<Tensor>;
// A gradient hook: gets the gradient flowing into a tensor; returns a replacement, or an
// undefined Tensor to keep the gradient as it is.
using GradHook = std::function<Tensor(const Tensor&)>;

struct TensorImpl {
  TensorImpl() = default;
  TensorImpl(const TensorImpl&) = delete;
  TensorImpl& operator=(const TensorImpl&) = delete;
  ~TensorImpl();  // releases grad_fn without recursing down long graphs

  std::shared_ptr<Storage> storage;
  Shape shape;
  Shape strides;        // in elements
  int64_t offset = 0;   // in elements
  DType dtype = kFloat32;
  bool requires_grad = false;  // leaves only; non-leaves require grad through grad_fn
  bool retains_grad = false;
  bool is_view = false;        // shares storage with the tensor it was made from
  // Views made by view ops (not detach) remember the tensor that owns their memory (the base of
  // the view they were made from), so that an in-place op on a view can rewrite the base's
  // history and the other views' grad_fn can be regenerated from it (autograd/view_history.h).
  std::shared_ptr<TensorImpl> view_base;
  uint32_t view_version = 0;        // the storage version when grad_fn was last made
  bool view_made_in_no_grad = false;
  uint32_t output_nr = 0;      // which output of grad_fn this tensor is
  std::shared_ptr<autograd::Node> grad_fn;
  std::weak_ptr<autograd::Node> grad_accumulator;  // leaves: the node that accumulates .grad
  std::shared_ptr<TensorImpl> grad;
  std::vector<GradHook> leaf_hooks;  // hooks of a leaf, run before accumulation
};

// Regenerates a view's grad_fn when its memory was written in place since it was made
// (autograd/view_history.cpp); inline so that the common case costs one comparison.
void refresh_view_history(TensorImpl* view);
inline void refresh_if_stale(TensorImpl* p) {
  if (p->view_base && p->view_version != p->storage->version()) refresh_view_history(p);
}

class Tensor {
 public:
  Tensor() = default;
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}
  // A new tensor viewing `storage` with the given geometry.
  Tensor(std::shared_ptr<Storage> storage, Shape shape, Shape strides, int64_t offset, DType dtype);

  // ---- metadata -------------------------------------------------------------------------
  bool defined() const { return impl_ != nullptr; }
  const Shape& shape() const { return impl()->shape; }
  const Shape& sizes() const { return impl()->shape; }
  int64_t size(int64_t dim) const;
  int64_t dim() const { return impl()->shape.size(); }
  int64_t numel() const { return impl()->shape.numel(); }
  const Shape& strides() const { return impl()->strides; }
  int64_t stride(int64_t dim) const;
  int64_t offset() const { return impl()->offset; }
  DType dtype() const { return impl()->dtype; }
  size_t element_size() const { return dtype_size(dtype()); }
  bool is_contiguous() const;
  bool is_floating_point() const { return is_floating(dtype()); }
  const std::shared_ptr<Storage>& storage() const { return impl()->storage; }
  bool is_same(const Tensor& other) const { return impl_ == other.impl_; }
  TensorImpl* impl() const {
    SOMA_CHECK(impl_, "tensor: the tensor is undefined (default-constructed or moved from)");
    return impl_.get();
  }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }

  // ---- data access ----------------------------------------------------------------------
  // Pointer to element 0 of this view (storage base plus offset).
  void* data_ptr() const {
    TensorImpl* p = impl();
    return static_cast<char*>(p->storage->data()) + p->offset * static_cast<int64_t>(dtype_size(p->dtype));
  }
  // Typed pointer; throws if T does not match the dtype.
  template <class T> T* data() const {
    SOMA_CHECK(dtype() == dtype_v<T>, "data: tensor has dtype {}, requested {}", dtype_name(dtype()),
               dtype_name(dtype_v<T>));
    return static_cast<T*>(data_ptr());
  }
  // The value of a one-element tensor, converted to T.
  template <class T> T item() const;
  double item() const { return item<double>(); }
  // All elements in row-major order, converted to T.
  template <class T> std::vector<T> to_vector() const;

  // ---- autograd ------------------------------------------------------------------------------
  bool requires_grad() const {
    TensorImpl* p = impl();
    refresh_if_stale(p);
    return p->requires_grad || p->grad_fn != nullptr;
  }
  // Marks a leaf as requiring grad (floating-point dtypes only).
  Tensor& requires_grad_(bool flag = true);
  bool is_leaf() const { return grad_fn() == nullptr; }
  const std::shared_ptr<autograd::Node>& grad_fn() const {
    TensorImpl* p = impl();
    refresh_if_stale(p);
    return p->grad_fn;
  }
  uint32_t output_nr() const {
    refresh_if_stale(impl());
    return impl()->output_nr;
  }
  // The accumulated gradient (undefined until a backward pass reaches this tensor).
  Tensor grad() const { return Tensor(impl()->grad); }
  void set_grad(const Tensor& g) const;
  // Sets .grad to undefined (set_to_none, the default) or to zeros.
  void zero_grad(bool set_to_none = true) const;
  // Computes gradients of this tensor w.r.t. graph leaves and accumulates them into .grad.
  // `gradient` is required unless this tensor has one element.
  void backward(const Tensor& gradient = {}, bool retain_graph = false, bool create_graph = false) const;
  // A tensor sharing this one's data but not its history.
  Tensor detach() const;
  Tensor& detach_();
  // Makes this tensor (every handle to it) view `data`'s memory, shape and dtype, keeping its
  // autograd identity (like assigning torch's .data): how modules change dtype or load weights.
  void set_data(const Tensor& data) const;
  // Makes a non-leaf keep its .grad after backward.
  void retain_grad() const;
  bool retains_grad() const { return impl()->retains_grad; }
  // Calls `hook` with this tensor's gradient each time one is computed.
  void register_hook(GradHook hook) const;
  // The storage's count of in-place writes.
  uint32_t version() const { return storage()->version(); }
  // Records an in-place write through this tensor (ops do this; call it after writing data_ptr()).
  void bump_version() const { storage()->bump_version(); }

  // ---- conversion and copies (creation.cpp) ---------------------------------------------------
  Tensor to(DType dtype) const;  // returns *this when already that dtype
  Tensor clone() const;          // a contiguous copy, differentiable
  Tensor contiguous() const;     // *this when already contiguous
  Tensor& copy_(const Tensor& src);  // broadcasts src into this, converting dtype
  Tensor& fill_(Scalar value);
  Tensor& zero_();

  // ---- views and shape (views.cpp) -------------------------------------------------------------
  Tensor view(const Shape& shape) const;
  Tensor reshape(const Shape& shape) const;
  Tensor permute(const Dims& dims) const;
  Tensor transpose(int64_t dim0, int64_t dim1) const;
  Tensor t() const;  // 2-D transpose
  Tensor squeeze() const;
  Tensor squeeze(int64_t dim) const;
  Tensor unsqueeze(int64_t dim) const;
  Tensor expand(const Shape& shape) const;  // -1 keeps a size
  Tensor expand_as(const Tensor& other) const;
  Tensor narrow(int64_t dim, int64_t start, int64_t length) const;
  Tensor slice(int64_t dim, std::optional<int64_t> start, std::optional<int64_t> end, int64_t step = 1) const;
  Tensor select(int64_t dim, int64_t index) const;
  Tensor flatten(int64_t start_dim = 0, int64_t end_dim = -1) const;
  Tensor unflatten(int64_t dim, const Shape& sizes) const;
  Tensor unfold(int64_t dim, int64_t size, int64_t step) const;
  TensorList split(int64_t split_size, int64_t dim = 0) const;
  TensorList chunk(int64_t chunks, int64_t dim = 0) const;
  Tensor operator[](int64_t index) const { return select(0, index); }

  // ---- elementwise math (math.cpp) -------------------------------------------------------------
  Tensor neg() const;
  Tensor abs() const;
  Tensor sign() const;
  Tensor exp() const;
  Tensor expm1() const;
  Tensor log() const;
  Tensor log1p() const;
  Tensor sqrt() const;
  Tensor rsqrt() const;
  Tensor sin() const;
  Tensor cos() const;
  Tensor tanh() const;
  Tensor sigmoid() const;
  Tensor relu() const;
  Tensor erf() const;
  Tensor pow(const Tensor& exponent) const;
  Tensor pow(Scalar exponent) const;
  Tensor clamp(std::optional<Scalar> min, std::optional<Scalar> max) const;
  Tensor div(const Tensor& other, std::optional<std::string_view> rounding_mode = std::nullopt) const;
  Tensor floor_divide(const Tensor& other) const;
  Tensor floor_divide(Scalar other) const;
  Tensor remainder(const Tensor& other) const;
  Tensor remainder(Scalar other) const;
  Tensor fmod(const Tensor& other) const;
  Tensor fmod(Scalar other) const;
  Tensor& add_(const Tensor& other, Scalar alpha = 1);
  Tensor& add_(Scalar other);
  Tensor& sub_(const Tensor& other, Scalar alpha = 1);
  Tensor& sub_(Scalar other);
  Tensor& mul_(const Tensor& other);
  Tensor& mul_(Scalar other);
  Tensor& div_(const Tensor& other);
  Tensor& div_(Scalar other);
  Tensor& pow_(Scalar exponent);
  Tensor& neg_();
  Tensor& exp_();
  Tensor& sqrt_();
  Tensor& relu_();
  Tensor& clamp_(std::optional<Scalar> min, std::optional<Scalar> max);
  Tensor& masked_fill_(const Tensor& mask, Scalar value);

  // ---- reductions (reduce.cpp) ------------------------------------------------------------------
  // An empty `dims` reduces over every dimension.
  Tensor sum(const Dims& dims = {}, bool keepdim = false) const;
  Tensor mean(const Dims& dims = {}, bool keepdim = false) const;
  Tensor var(const Dims& dims = {}, bool unbiased = true, bool keepdim = false) const;
  Tensor std(const Dims& dims = {}, bool unbiased = true, bool keepdim = false) const;
  Tensor prod(const Dims& dims = {}, bool keepdim = false) const;
  Tensor max() const;
  Tensor min() const;
  std::pair<Tensor, Tensor> max(int64_t dim, bool keepdim = false) const;  // values, indices
  std::pair<Tensor, Tensor> min(int64_t dim, bool keepdim = false) const;
  Tensor amax(const Dims& dims = {}, bool keepdim = false) const;
  Tensor amin(const Dims& dims = {}, bool keepdim = false) const;
  Tensor argmax(std::optional<int64_t> dim = std::nullopt, bool keepdim = false) const;
  Tensor argmin(std::optional<int64_t> dim = std::nullopt, bool keepdim = false) const;
  Tensor logsumexp(const Dims& dims, bool keepdim = false) const;
  Tensor norm(double p = 2, const Dims& dims = {}, bool keepdim = false) const;
  Tensor all(const Dims& dims = {}, bool keepdim = false) const;
  Tensor any(const Dims& dims = {}, bool keepdim = false) const;
  Tensor cumsum(int64_t dim) const;
  Tensor cumprod(int64_t dim) const;
  Tensor logcumsumexp(int64_t dim) const;
  Tensor softmax(int64_t dim) const;
  Tensor log_softmax(int64_t dim) const;

  // ---- indexing (indexing.cpp) ------------------------------------------------------------------
  Tensor index_select(int64_t dim, const Tensor& index) const;
  Tensor gather(int64_t dim, const Tensor& index) const;
  Tensor scatter(int64_t dim, const Tensor& index, const Tensor& src) const;
  Tensor scatter_add(int64_t dim, const Tensor& index, const Tensor& src) const;
  Tensor masked_fill(const Tensor& mask, Scalar value) const;
  Tensor masked_select(const Tensor& mask) const;
  Tensor nonzero() const;
  Tensor take_along_dim(const Tensor& indices, int64_t dim) const;
  std::pair<Tensor, Tensor> sort(int64_t dim = -1, bool descending = false) const;  // values, indices
  Tensor argsort(int64_t dim = -1, bool descending = false) const;
  std::pair<Tensor, Tensor> topk(int64_t k, int64_t dim = -1, bool largest = true) const;

  // ---- linear algebra (linalg.cpp) ---------------------------------------------------------------
  Tensor matmul(const Tensor& other) const;
  Tensor mm(const Tensor& other) const;
  Tensor dot(const Tensor& other) const;

  // ---- printing (print.cpp) ------------------------------------------------------------------------
  std::string str() const;

 private:
  std::shared_ptr<TensorImpl> impl_;
};

std::ostream& operator<<(std::ostream& os, const Tensor& t);

}  // namespace soma
