// Gathering, scattering, masking and sorting, with gradients. Every backward formula is made of
// ops from this file and views.cpp, so it differentiates again.
#include "soma/indexing.h"

#include "autograd/node.h"
#include "kernels/cpu/index.h"
#include "ops/elementwise.h"
#include "ops/util.h"
#include "soma/creation.h"
#include "soma/views.h"

namespace soma {

using autograd::GradMask;
using autograd::SavedTensor;

namespace {

// The index as int64 (int32 is converted); other dtypes are an error.
Tensor int64_index(const Tensor& index, const char* op) {
  SOMA_CHECK(index.dtype() == kInt64 || index.dtype() == kInt32, "{}: index must be an int64 or int32 tensor, got {}",
             op, dtype_name(index.dtype()));
  return ops::cast(index, kInt64);
}

// The size of dim d (a 0-d tensor counts as size 1).
int64_t dim_size(const Tensor& t, int64_t d) { return t.dim() == 0 ? 1 : t.shape()[d]; }

void check_range(const char* op, const Tensor& index, int64_t d, int64_t size) {
  if (index.numel() == 0) return;
  auto [lo, hi] = kernels::min_max(index);
  SOMA_CHECK(lo >= 0 && hi < size, "{}: index {} is out of bounds for dim {} with size {}", op, lo < 0 ? lo : hi, d,
             size);
}

// gather/scatter shape rules: index has a's number of dims, fits in a outside dim d, and fits in src.
void check_index_shape(const char* op, const Tensor& a, int64_t d, const Tensor& index, const Tensor* src) {
  SOMA_CHECK(index.dim() == a.dim(), "{}: index of shape {} must have as many dims as the input of shape {}", op,
             index.shape(), a.shape());
  if (src)
    SOMA_CHECK(src->dim() == a.dim(), "{}: src of shape {} must have as many dims as the input of shape {}", op,
               src->shape(), a.shape());
  for (int64_t k = 0; k < index.dim(); ++k) {
    SOMA_CHECK(k == d || index.shape()[k] <= a.shape()[k],
               "{}: index of shape {} is larger than the input of shape {} in dim {}", op, index.shape(), a.shape(), k);
    if (src)
      SOMA_CHECK(index.shape()[k] <= src->shape()[k], "{}: index of shape {} is larger than src of shape {} in dim {}",
                 op, index.shape(), src->shape(), k);
  }
}

// A 0-d or 1-D index seen with `shape`, moving only along dim d (for index_select/index_add).
Tensor along(const Tensor& index, const Shape& shape, int64_t d) {
  Shape strides(shape.size(), 0);
  if (!shape.empty() && index.dim() == 1) strides[d] = index.strides()[0];
  return Tensor(index.storage(), shape, strides, index.offset(), kInt64);
}

Tensor copy_of(const Tensor& a) {
  Tensor out = empty(a.shape(), a.dtype());
  kernels::copy(out, a);
  return out;
}

// g in the leading corner of zeros of `shape` (g fits inside): the gradient of a src larger
// than the index that read it.
Tensor pad_to(Tensor g, const Shape& shape) {
  for (int64_t k = 0; k < g.dim(); ++k) {
    if (g.shape()[k] == shape[k]) continue;
    Shape rest = g.shape();
    rest[k] = shape[k] - g.shape()[k];
    g = cat({g, zeros(rest, g.dtype())}, k);
  }
  return g;
}

Tensor gather_impl(const char* op, const Tensor& a, int64_t dim, const Tensor& index) {
  Tensor idx = int64_index(index, op);
  const int64_t d = wrap_dim(dim, a.dim(), op);
  check_index_shape(op, a, d, idx, nullptr);
  check_range(op, idx, d, dim_size(a, d));
  Tensor out = empty(idx.shape(), a.dtype());
  kernels::gather(out, a, d, idx);
  if (autograd::needs_grad(a))
    autograd::record(op, out, {a}, [shape = a.shape(), d, si = SavedTensor(idx)](const Tensor& g, GradMask) -> TensorList {
      return {scatter_add(zeros(shape, g.dtype()), d, si.get(), g)};
    });
  return out;
}

// Validates a scatter into a along dim; returns the wrapped dim and the int64 index.
std::pair<int64_t, Tensor> check_scatter(const char* op, const Tensor& a, int64_t dim, const Tensor& index,
                                         const Tensor* src) {
  Tensor idx = int64_index(index, op);
  const int64_t d = wrap_dim(dim, a.dim(), op);
  if (src)
    SOMA_CHECK(src->dtype() == a.dtype(), "{}: src has dtype {} but the input has dtype {}", op,
               dtype_name(src->dtype()), dtype_name(a.dtype()));
  check_index_shape(op, a, d, idx, src);
  check_range(op, idx, d, dim_size(a, d));
  return {d, idx};
}

// Values (and indices) of the first k of each slice along d in sorted order; the gradient
// scatters back to the positions they came from.
std::pair<Tensor, Tensor> sorted(const char* op, const Tensor& a, int64_t d, int64_t k, bool descending) {
  Shape shape = a.shape();
  if (a.dim() > 0) shape[d] = k;
  Tensor values = empty(shape, a.dtype()), indices = empty(shape, kInt64);
  kernels::sort(values, indices, a, d, descending);
  if (autograd::needs_grad(a))
    autograd::record(op, values, {a},
                     [shape = a.shape(), d, si = SavedTensor::output(indices)](const Tensor& g, GradMask) -> TensorList {
                       return {scatter(zeros(shape, g.dtype()), d, si.get(), g)};
                     });
  return {values, indices};
}

void check_mask(const char* op, const Tensor& mask) {
  SOMA_CHECK(mask.dtype() == kBool, "{}: mask must be a bool tensor, got {}", op, dtype_name(mask.dtype()));
}

}  // namespace

Tensor index_select(const Tensor& a, int64_t dim, const Tensor& index) {
  Tensor idx = int64_index(index, "index_select");
  SOMA_CHECK(idx.dim() <= 1, "index_select: index must be 0-d or 1-D, got shape {}", idx.shape());
  const int64_t d = wrap_dim(dim, a.dim(), "index_select");
  SOMA_CHECK(a.dim() > 0 || idx.numel() == 1, "index_select: a 0-d input takes exactly one index, got {}",
             idx.numel());
  check_range("index_select", idx, d, dim_size(a, d));
  Shape shape = a.shape();
  if (a.dim() > 0) shape[d] = idx.numel();
  Tensor out = empty(shape, a.dtype());
  kernels::gather(out, a, d, along(idx, shape, d));
  if (autograd::needs_grad(a))
    autograd::record("index_select", out, {a},
                     [shape = a.shape(), d, si = SavedTensor(idx)](const Tensor& g, GradMask) -> TensorList {
                       return {index_add(zeros(shape, g.dtype()), d, si.get(), g)};
                     });
  return out;
}

Tensor index_add(const Tensor& a, int64_t dim, const Tensor& index, const Tensor& src) {
  Tensor idx = int64_index(index, "index_add");
  SOMA_CHECK(idx.dim() <= 1, "index_add: index must be 0-d or 1-D, got shape {}", idx.shape());
  const int64_t d = wrap_dim(dim, a.dim(), "index_add");
  SOMA_CHECK(src.dtype() == a.dtype(), "index_add: src has dtype {} but the input has dtype {}",
             dtype_name(src.dtype()), dtype_name(a.dtype()));
  Shape expected = a.shape();
  if (a.dim() > 0) expected[d] = idx.numel();
  SOMA_CHECK(src.shape() == expected && (a.dim() > 0 || idx.numel() == 1),
             "index_add: src of shape {} does not match the input of shape {} with dim {} sized by the {} indices",
             src.shape(), a.shape(), d, idx.numel());
  check_range("index_add", idx, d, dim_size(a, d));
  Tensor out = copy_of(a);
  kernels::scatter(out, d, along(idx, src.shape(), d), src, kernels::ScatterMode::Add);
  if (autograd::needs_grad(a, src))
    autograd::record("index_add", out, {a, src}, [d, si = SavedTensor(idx)](const Tensor& g, GradMask m) -> TensorList {
      TensorList r(2);
      if (m[0]) r[0] = g;
      if (m[1]) r[1] = index_select(g, d, si.get());
      return r;
    });
  return out;
}

Tensor gather(const Tensor& a, int64_t dim, const Tensor& index) { return gather_impl("gather", a, dim, index); }

Tensor scatter(const Tensor& a, int64_t dim, const Tensor& index, const Tensor& src) {
  auto [d, idx] = check_scatter("scatter", a, dim, index, &src);
  Tensor out = copy_of(a);
  kernels::scatter(out, d, idx, src, kernels::ScatterMode::Assign);
  if (autograd::needs_grad(a, src))
    autograd::record("scatter", out, {a, src},
                     [d, si = SavedTensor(idx), src_shape = src.shape()](const Tensor& g, GradMask m) -> TensorList {
                       TensorList r(2);
                       if (m[0]) r[0] = scatter(g, d, si.get(), 0);  // overwritten positions get no gradient
                       if (m[1]) r[1] = pad_to(gather(g, d, si.get()), src_shape);
                       return r;
                     });
  return out;
}

Tensor scatter(const Tensor& a, int64_t dim, const Tensor& index, Scalar value) {
  auto [d, idx] = check_scatter("scatter", a, dim, index, nullptr);
  Tensor out = copy_of(a);
  kernels::scatter_fill(out, d, idx, value);
  if (autograd::needs_grad(a))
    autograd::record("scatter", out, {a}, [d, si = SavedTensor(idx)](const Tensor& g, GradMask) -> TensorList {
      return {scatter(g, d, si.get(), 0)};
    });
  return out;
}

Tensor scatter_add(const Tensor& a, int64_t dim, const Tensor& index, const Tensor& src) {
  auto [d, idx] = check_scatter("scatter_add", a, dim, index, &src);
  Tensor out = copy_of(a);
  kernels::scatter(out, d, idx, src, kernels::ScatterMode::Add);
  if (autograd::needs_grad(a, src))
    autograd::record("scatter_add", out, {a, src},
                     [d, si = SavedTensor(idx), src_shape = src.shape()](const Tensor& g, GradMask m) -> TensorList {
                       TensorList r(2);
                       if (m[0]) r[0] = g;
                       if (m[1]) r[1] = pad_to(gather(g, d, si.get()), src_shape);
                       return r;
                     });
  return out;
}

Tensor take_along_dim(const Tensor& a, const Tensor& indices, int64_t dim) {
  SOMA_CHECK(indices.dim() == a.dim(), "take_along_dim: indices of shape {} must have as many dims as the input of shape {}",
             indices.shape(), a.shape());
  const int64_t d = wrap_dim(dim, a.dim(), "take_along_dim");
  if (a.dim() == 0) return gather_impl("take_along_dim", a, d, indices);
  // Broadcast a and indices against each other in every dim but d.
  Shape sa = a.shape(), si = indices.shape();
  sa[d] = si[d] = 1;
  sa = si = broadcast_shapes(sa, si, "take_along_dim");
  sa[d] = a.shape()[d];
  si[d] = indices.shape()[d];
  return gather_impl("take_along_dim", a.expand(sa), d, indices.expand(si));
}

Tensor masked_fill(const Tensor& a, const Tensor& mask, Scalar value) {
  check_mask("masked_fill", mask);
  Shape shape = a.shape() == mask.shape() ? a.shape() : broadcast_shapes(a.shape(), mask.shape(), "masked_fill");
  Tensor out = empty(shape, a.dtype());
  kernels::masked_fill(out, a, mask, value);
  if (autograd::needs_grad(a))
    autograd::record("masked_fill", out, {a},
                     [sm = SavedTensor(mask), shape = a.shape(), dtype = a.dtype()](const Tensor& g,
                                                                                    GradMask) -> TensorList {
                       return {ops::reduce_grad(masked_fill(g, sm.get(), 0), shape, dtype)};
                     });
  return out;
}

Tensor& Tensor::masked_fill_(const Tensor& mask, Scalar value) {
  check_mask("masked_fill_", mask);
  SOMA_CHECK(broadcast_shapes(shape(), mask.shape(), "masked_fill_") == shape(),
             "masked_fill_: a mask of shape {} cannot be broadcast to the in-place shape {}", mask.shape(), shape());
  Tensor self = *this;
  return ops::apply_inplace(
      *this, "masked_fill_", false, [&] { kernels::masked_fill(self, self, mask, value); },
      [&] { return soma::masked_fill(self, mask, value); });
}

Tensor masked_select(const Tensor& a, const Tensor& mask) {
  check_mask("masked_select", mask);
  Shape shape = broadcast_shapes(a.shape(), mask.shape(), "masked_select");
  // index_select of the chosen positions: its gradient scatters back (index_add).
  Tensor positions = kernels::nonzero(mask.expand(shape), /*flat=*/true);
  return index_select(a.expand(shape).reshape({-1}), 0, positions);
}

Tensor nonzero(const Tensor& a) { return kernels::nonzero(a); }

std::pair<Tensor, Tensor> sort(const Tensor& a, int64_t dim, bool descending) {
  const int64_t d = wrap_dim(dim, a.dim(), "sort");
  return sorted("sort", a, d, dim_size(a, d), descending);
}

Tensor argsort(const Tensor& a, int64_t dim, bool descending) { return sort(a, dim, descending).second; }

std::pair<Tensor, Tensor> topk(const Tensor& a, int64_t k, int64_t dim, bool largest) {
  const int64_t d = wrap_dim(dim, a.dim(), "topk");
  SOMA_CHECK(k >= 0 && k <= dim_size(a, d), "topk: k = {} is out of range for dim {} of size {} (shape {})", k, d,
             dim_size(a, d), a.shape());
  return sorted("topk", a, d, k, largest);
}

Tensor one_hot(const Tensor& indices, int64_t num_classes) {
  Tensor idx = int64_index(indices, "one_hot");
  SOMA_CHECK(num_classes >= -1, "one_hot: num_classes must be -1 (infer) or non-negative, got {}", num_classes);
  if (num_classes == -1) {
    SOMA_CHECK(idx.numel() > 0, "one_hot: cannot infer the number of classes from an empty tensor; pass num_classes");
    num_classes = kernels::min_max(idx).second + 1;
  }
  if (idx.numel() > 0) {
    auto [lo, hi] = kernels::min_max(idx);
    SOMA_CHECK(lo >= 0 && hi < num_classes, "one_hot: class index {} is out of range for {} classes",
               lo < 0 ? lo : hi, num_classes);
  }
  Shape shape = idx.shape();
  shape.push_back(num_classes);
  Tensor out = zeros(shape, kInt64);
  kernels::scatter_fill(out, shape.size() - 1, idx.unsqueeze(-1), 1);
  return out;
}

Tensor Tensor::index_select(int64_t d, const Tensor& index) const { return soma::index_select(*this, d, index); }
Tensor Tensor::gather(int64_t d, const Tensor& index) const { return soma::gather(*this, d, index); }
Tensor Tensor::scatter(int64_t d, const Tensor& index, const Tensor& src) const {
  return soma::scatter(*this, d, index, src);
}
Tensor Tensor::scatter_add(int64_t d, const Tensor& index, const Tensor& src) const {
  return soma::scatter_add(*this, d, index, src);
}
Tensor Tensor::masked_fill(const Tensor& mask, Scalar value) const { return soma::masked_fill(*this, mask, value); }
Tensor Tensor::masked_select(const Tensor& mask) const { return soma::masked_select(*this, mask); }
Tensor Tensor::nonzero() const { return soma::nonzero(*this); }
Tensor Tensor::take_along_dim(const Tensor& indices, int64_t d) const { return soma::take_along_dim(*this, indices, d); }
std::pair<Tensor, Tensor> Tensor::sort(int64_t d, bool descending) const { return soma::sort(*this, d, descending); }
Tensor Tensor::argsort(int64_t d, bool descending) const { return soma::argsort(*this, d, descending); }
std::pair<Tensor, Tensor> Tensor::topk(int64_t k, int64_t d, bool largest) const {
  return soma::topk(*this, k, d, largest);
}

}  // namespace soma
