// Shape operations: views sharing storage, and their gradients.
#include "soma/views.h"

#include <numeric>

#include "autograd/node.h"
#include "ops/util.h"
#include "soma/creation.h"
#include "soma/reduce.h"

namespace soma {

using autograd::GradMask;

namespace ops {

Tensor make_view(const Tensor& a, Shape shape, Shape strides, int64_t offset) {
  Tensor v(a.storage(), std::move(shape), std::move(strides), offset, a.dtype());
  v.impl()->is_view = true;
  return v;
}

}  // namespace ops

namespace {

// Replaces a single -1 in `shape` so that it holds `numel` elements.
Shape infer_size(const Shape& shape, int64_t numel, const char* op, const Shape& from) {
  Shape out = shape;
  int64_t known = 1, infer = -1;
  for (int64_t i = 0; i < out.size(); ++i) {
    if (out[i] == -1) {
      SOMA_CHECK(infer < 0, "{}: only one dimension can be -1 (got {})", op, shape);
      infer = i;
    } else {
      SOMA_CHECK(out[i] >= 0, "{}: invalid size {} in shape {}", op, out[i], shape);
      known *= out[i];
    }
  }
  if (infer >= 0) {
    SOMA_CHECK(known != 0 && numel % known == 0, "{}: shape {} is invalid for input of shape {} ({} elements)", op,
               shape, from, numel);
    out[infer] = numel / known;
  }
  SOMA_CHECK(out.numel() == numel, "{}: shape {} is invalid for input of shape {} ({} elements)", op, shape, from,
             numel);
  return out;
}

// Strides that let `shape` view memory laid out as (old_shape, old_strides), if any exist.
std::optional<Shape> view_strides(const Shape& old_shape, const Shape& old_strides, const Shape& shape) {
  Shape strides(shape.size());
  if (old_shape.numel() == 0 || old_shape.empty()) return contiguous_strides(shape);
  // Walk chunks of old dims that are contiguous with each other; each chunk maps to a run of new dims.
  int64_t view_d = shape.size() - 1;
  int64_t chunk_base_stride = old_strides.back();
  int64_t tensor_numel = 1, view_numel = 1;
  for (int64_t d = old_shape.size() - 1; d >= 0; --d) {
    tensor_numel *= old_shape[d];
    if (d == 0 || (old_shape[d - 1] != 1 && old_strides[d - 1] != tensor_numel * chunk_base_stride)) {
      while (view_d >= 0 && (view_numel < tensor_numel || shape[view_d] == 1)) {
        strides[view_d] = view_numel * chunk_base_stride;
        view_numel *= shape[view_d];
        --view_d;
      }
      if (view_numel != tensor_numel) return std::nullopt;
      if (d > 0) {
        chunk_base_stride = old_strides[d - 1];
        tensor_numel = 1;
        view_numel = 1;
      }
    }
  }
  if (view_d != -1) return std::nullopt;
  return strides;
}

}  // namespace

Tensor view(const Tensor& a, const Shape& shape) {
  Shape target = infer_size(shape, a.numel(), "view", a.shape());
  auto strides = view_strides(a.shape(), a.strides(), target);
  SOMA_CHECK(strides.has_value(),
             "view: shape {} is incompatible with the strides of the input (shape {}, strides {}); use reshape",
             target, a.shape(), a.strides());
  Tensor out = ops::make_view(a, target, *strides, a.offset());
  if (autograd::needs_grad(a))
    autograd::record("view", out, {a}, [in = a.shape()](const Tensor& g, GradMask) -> TensorList {
      return {g.reshape(in)};
    });
  return out;
}

Tensor reshape(const Tensor& a, const Shape& shape) {
  Shape target = infer_size(shape, a.numel(), "reshape", a.shape());
  if (view_strides(a.shape(), a.strides(), target)) return view(a, target);
  return view(a.clone(), target);
}

Tensor expand(const Tensor& a, const Shape& shape) {
  const int64_t nd = shape.size();
  SOMA_CHECK(nd >= a.dim(), "expand: cannot expand shape {} to fewer dims {}", a.shape(), shape);
  Shape sizes(nd), strides(nd);
  for (int64_t i = nd - 1; i >= 0; --i) {
    int64_t ai = i - (nd - a.dim());
    int64_t want = shape[i];
    if (ai >= 0) {
      int64_t have = a.shape()[ai];
      if (want == -1) want = have;
      SOMA_CHECK(have == want || have == 1,
                 "expand: the size of dim {} ({}) must match the new size {} or be 1 (shape {} to {})", ai, have,
                 want, a.shape(), shape);
      sizes[i] = want;
      strides[i] = have == want ? a.strides()[ai] : 0;
    } else {
      SOMA_CHECK(want >= 0, "expand: size -1 is not allowed for a new leading dim (shape {} to {})", a.shape(), shape);
      sizes[i] = want;
      strides[i] = 0;
    }
  }
  if (sizes == a.shape()) return a;
  Tensor out = ops::make_view(a, sizes, strides, a.offset());
  if (autograd::needs_grad(a))
    autograd::record("expand", out, {a}, [in = a.shape()](const Tensor& g, GradMask) -> TensorList {
      return {sum_to(g, in)};
    });
  return out;
}

Tensor broadcast_to(const Tensor& a, const Shape& shape) { return expand(a, shape); }

Tensor permute(const Tensor& a, const Dims& dims) {
  SOMA_CHECK(dims.size() == a.dim(), "permute: got {} dims {} for a tensor of {} dims", dims.size(), dims, a.dim());
  Shape sizes(a.dim()), strides(a.dim()), inverse(a.dim(), -1);
  for (int64_t i = 0; i < a.dim(); ++i) {
    int64_t d = wrap_dim(dims[i], a.dim(), "permute");
    SOMA_CHECK(inverse[d] == -1, "permute: dim {} repeats in {}", d, dims);
    inverse[d] = i;
    sizes[i] = a.shape()[d];
    strides[i] = a.strides()[d];
  }
  Tensor out = ops::make_view(a, sizes, strides, a.offset());
  if (autograd::needs_grad(a))
    autograd::record("permute", out, {a}, [inverse](const Tensor& g, GradMask) -> TensorList {
      return {g.permute(inverse)};
    });
  return out;
}

Tensor transpose(const Tensor& a, int64_t dim0, int64_t dim1) {
  if (a.dim() == 0) return a;
  Dims dims(a.dim());
  std::iota(dims.begin(), dims.end(), 0);
  std::swap(dims[wrap_dim(dim0, a.dim(), "transpose")], dims[wrap_dim(dim1, a.dim(), "transpose")]);
  return permute(a, dims);
}

Tensor unsqueeze(const Tensor& a, int64_t dim) {
  int64_t d = wrap_dim(dim, a.dim() + 1, "unsqueeze");
  Shape sizes = a.shape(), strides = a.strides();
  int64_t st = d < a.dim() ? a.strides()[d] * a.shape()[d] : 1;
  sizes.insert(d, 1);
  strides.insert(d, st);
  Tensor out = ops::make_view(a, sizes, strides, a.offset());
  if (autograd::needs_grad(a))
    autograd::record("unsqueeze", out, {a}, [in = a.shape()](const Tensor& g, GradMask) -> TensorList {
      return {g.reshape(in)};
    });
  return out;
}

Tensor squeeze(const Tensor& a, int64_t dim) {
  if (a.dim() == 0) return a;
  int64_t d = wrap_dim(dim, a.dim(), "squeeze");
  if (a.shape()[d] != 1) return a;
  Shape sizes = a.shape(), strides = a.strides();
  sizes.erase(d);
  strides.erase(d);
  Tensor out = ops::make_view(a, sizes, strides, a.offset());
  if (autograd::needs_grad(a))
    autograd::record("squeeze", out, {a}, [in = a.shape()](const Tensor& g, GradMask) -> TensorList {
      return {g.reshape(in)};
    });
  return out;
}

Tensor squeeze(const Tensor& a) {
  Shape sizes;
  for (int64_t s : a.shape())
    if (s != 1) sizes.push_back(s);
  return sizes.size() == a.dim() ? a : reshape(a, sizes);
}

Tensor Tensor::view(const Shape& s) const { return soma::view(*this, s); }
Tensor Tensor::reshape(const Shape& s) const { return soma::reshape(*this, s); }
Tensor Tensor::expand(const Shape& s) const { return soma::expand(*this, s); }
Tensor Tensor::expand_as(const Tensor& o) const { return soma::expand(*this, o.shape()); }
Tensor Tensor::permute(const Dims& d) const { return soma::permute(*this, d); }
Tensor Tensor::transpose(int64_t d0, int64_t d1) const { return soma::transpose(*this, d0, d1); }
Tensor Tensor::t() const {
  SOMA_CHECK(dim() <= 2, "t: expects a tensor of at most 2 dims, got shape {}", shape());
  return dim() < 2 ? *this : soma::transpose(*this, 0, 1);
}
Tensor Tensor::unsqueeze(int64_t d) const { return soma::unsqueeze(*this, d); }
Tensor Tensor::squeeze() const { return soma::squeeze(*this); }
Tensor Tensor::squeeze(int64_t d) const { return soma::squeeze(*this, d); }

}  // namespace soma
