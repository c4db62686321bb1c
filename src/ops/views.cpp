// Shape operations: views sharing storage, and their gradients.
#include "soma/views.h"

#include <numeric>

#include "autograd/node.h"
#include "autograd/view_history.h"
#include "kernels/cpu/index.h"
#include "ops/util.h"
#include "soma/creation.h"
#include "soma/reduce.h"

namespace soma {

using autograd::GradMask;

namespace ops {

Tensor make_view(const Tensor& a, Shape shape, Shape strides, int64_t offset) {
  Tensor v(a.storage(), std::move(shape), std::move(strides), offset, a.dtype());
  v.impl()->is_view = true;
  autograd::track_view(v.impl(), a);
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

Tensor movedim(const Tensor& a, int64_t source, int64_t destination) {
  const int64_t s = wrap_dim(source, a.dim(), "movedim"), d = wrap_dim(destination, a.dim(), "movedim");
  if (a.dim() == 0 || s == d) return a;
  Dims order;
  for (int64_t i = 0; i < a.dim(); ++i)
    if (i != s) order.push_back(i);
  order.insert(d, s);
  return permute(a, order);
}

Tensor flatten(const Tensor& a, int64_t start_dim, int64_t end_dim) {
  if (a.dim() == 0) return reshape(a, {1});
  const int64_t s = wrap_dim(start_dim, a.dim(), "flatten"), e = wrap_dim(end_dim, a.dim(), "flatten");
  SOMA_CHECK(s <= e, "flatten: start_dim {} comes after end_dim {} (shape {})", s, e, a.shape());
  if (s == e) return a;
  Shape sizes;
  for (int64_t d = 0; d < a.dim(); ++d) {
    if (d <= s || d > e)
      sizes.push_back(a.shape()[d]);
    else
      sizes[sizes.size() - 1] *= a.shape()[d];
  }
  return reshape(a, sizes);
}

Tensor unflatten(const Tensor& a, int64_t dim, const Shape& sizes) {
  SOMA_CHECK(a.dim() > 0, "unflatten: cannot unflatten a 0-d tensor");
  const int64_t d = wrap_dim(dim, a.dim(), "unflatten");
  SOMA_CHECK(!sizes.empty(), "unflatten: sizes must be non-empty (shape {}, dim {})", a.shape(), d);
  Shape inner = infer_size(sizes, a.shape()[d], "unflatten", Shape{a.shape()[d]});
  Shape shape;
  for (int64_t i = 0; i < a.dim(); ++i) {
    if (i != d) {
      shape.push_back(a.shape()[i]);
      continue;
    }
    for (int64_t s : inner) shape.push_back(s);
  }
  return view(a, shape);
}

// ---- slicing: views whose gradient scatters back into zeros ---------------------------------------

namespace {

// a[start : start + length * step : step] along dim, as a view without autograd.
Tensor slice_view(const Tensor& a, int64_t dim, int64_t start, int64_t length, int64_t step) {
  Shape sizes = a.shape(), strides = a.strides();
  const int64_t offset = a.offset() + start * strides[dim];
  sizes[dim] = length;
  strides[dim] *= step;
  return ops::make_view(a, std::move(sizes), std::move(strides), offset);
}

Tensor slice_impl(const Tensor& a, int64_t dim, int64_t start, int64_t length, int64_t step);

// The gradient of slice_impl: g written into zeros of the input's shape. Its own gradient is the
// slice again, so double backward works.
Tensor slice_backward(const Tensor& g, const Shape& shape, int64_t dim, int64_t start, int64_t length, int64_t step) {
  Tensor out = zeros(shape, g.dtype());
  kernels::copy(slice_view(out, dim, start, length, step), g);
  if (autograd::needs_grad(g))
    autograd::record("slice_backward", out, {g}, [dim, start, length, step](const Tensor& gg, GradMask) -> TensorList {
      return {slice_impl(gg, dim, start, length, step)};
    });
  return out;
}

Tensor slice_impl(const Tensor& a, int64_t dim, int64_t start, int64_t length, int64_t step) {
  Tensor out = slice_view(a, dim, start, length, step);
  if (autograd::needs_grad(a))
    autograd::record("slice", out, {a},
                     [in = a.shape(), dim, start, length, step](const Tensor& g, GradMask) -> TensorList {
                       return {slice_backward(g, in, dim, start, length, step)};
                     });
  return out;
}

// Sliding windows along dim as a new last dim, without autograd.
Tensor unfold_view(const Tensor& a, int64_t dim, int64_t size, int64_t step) {
  Shape sizes = a.shape(), strides = a.strides();
  sizes[dim] = (sizes[dim] - size) / step + 1;
  strides[dim] *= step;
  sizes.push_back(size);
  strides.push_back(a.strides()[dim]);
  return ops::make_view(a, std::move(sizes), std::move(strides), a.offset());
}

Tensor unfold_impl(const Tensor& a, int64_t dim, int64_t size, int64_t step);

// The gradient of unfold: every window's gradient added back into zeros of the input's shape
// (overlapping windows accumulate). Its own gradient is unfold again.
Tensor unfold_backward(const Tensor& g, const Shape& shape, int64_t dim, int64_t size, int64_t step) {
  Tensor out = zeros(shape, g.dtype());
  Tensor windows = unfold_view(out, dim, size, step);
  if (step >= size)
    kernels::copy(windows, g);  // windows do not overlap
  else
    kernels::accumulate(windows, g);
  if (autograd::needs_grad(g))
    autograd::record("unfold_backward", out, {g}, [dim, size, step](const Tensor& gg, GradMask) -> TensorList {
      return {unfold_impl(gg, dim, size, step)};
    });
  return out;
}

Tensor unfold_impl(const Tensor& a, int64_t dim, int64_t size, int64_t step) {
  Tensor out = unfold_view(a, dim, size, step);
  if (autograd::needs_grad(a))
    autograd::record("unfold", out, {a}, [in = a.shape(), dim, size, step](const Tensor& g, GradMask) -> TensorList {
      return {unfold_backward(g, in, dim, size, step)};
    });
  return out;
}

// Consecutive pieces of `sizes` along dim, as views; the gradient is the cat of the pieces'
// gradients (zeros for pieces that got none).
TensorList split_views(const char* op, const Tensor& a, int64_t dim, const std::vector<int64_t>& sizes) {
  TensorList outs;
  outs.reserve(sizes.size());
  int64_t start = 0;
  for (int64_t s : sizes) {
    outs.push_back(slice_view(a, dim, start, s, 1));
    start += s;
  }
  if (autograd::needs_grad(a))
    autograd::record(op, outs, {a},
                     [dim, sizes, shape = a.shape(), dtype = a.dtype()](const TensorList& grads,
                                                                        GradMask) -> TensorList {
                       TensorList parts(grads.size());
                       for (size_t i = 0; i < grads.size(); ++i) {
                         if (grads[i].defined()) {
                           parts[i] = grads[i];
                         } else {
                           Shape s = shape;
                           s[dim] = sizes[i];
                           parts[i] = zeros(s, dtype);
                         }
                       }
                       return {cat(parts, dim)};
                     });
  return outs;
}

}  // namespace

Tensor narrow(const Tensor& a, int64_t dim, int64_t start, int64_t length) {
  SOMA_CHECK(a.dim() > 0, "narrow: cannot narrow a 0-d tensor");
  const int64_t d = wrap_dim(dim, a.dim(), "narrow");
  const int64_t size = a.shape()[d];
  SOMA_CHECK(start >= -size && start <= size, "narrow: start {} is out of range for dim {} of size {} (shape {})",
             start, d, size, a.shape());
  if (start < 0) start += size;
  SOMA_CHECK(length >= 0 && start + length <= size,
             "narrow: start {} + length {} exceeds the size {} of dim {} (shape {})", start, length, size, d,
             a.shape());
  return slice_impl(a, d, start, length, 1);
}

Tensor slice(const Tensor& a, int64_t dim, std::optional<int64_t> start, std::optional<int64_t> end, int64_t step) {
  SOMA_CHECK(a.dim() > 0, "slice: cannot slice a 0-d tensor");
  const int64_t d = wrap_dim(dim, a.dim(), "slice");
  SOMA_CHECK(step > 0, "slice: step must be positive, got {}", step);
  const int64_t size = a.shape()[d];
  // Python's rules: negative positions count from the end, then clamp to [0, size].
  auto position = [size](std::optional<int64_t> v, int64_t fallback) {
    if (!v) return fallback;
    return std::clamp<int64_t>(*v < 0 ? *v + size : *v, 0, size);
  };
  const int64_t s = position(start, 0), e = position(end, size);
  const int64_t length = e > s ? (e - s + step - 1) / step : 0;
  return slice_impl(a, d, s, length, step);
}

Tensor select(const Tensor& a, int64_t dim, int64_t index) {
  SOMA_CHECK(a.dim() > 0, "select: cannot select from a 0-d tensor");
  const int64_t d = wrap_dim(dim, a.dim(), "select");
  const int64_t size = a.shape()[d];
  SOMA_CHECK(index >= -size && index < size, "select: index {} is out of range for dim {} of size {} (shape {})",
             index, d, size, a.shape());
  if (index < 0) index += size;
  Shape sizes = a.shape(), strides = a.strides();
  const int64_t offset = a.offset() + index * strides[d];
  sizes.erase(d);
  strides.erase(d);
  Tensor out = ops::make_view(a, std::move(sizes), std::move(strides), offset);
  if (autograd::needs_grad(a))
    autograd::record("select", out, {a}, [in = a.shape(), d, index](const Tensor& g, GradMask) -> TensorList {
      return {slice_backward(g.unsqueeze(d), in, d, index, 1, 1)};
    });
  return out;
}

Tensor unfold(const Tensor& a, int64_t dim, int64_t size, int64_t step) {
  SOMA_CHECK(a.dim() > 0, "unfold: cannot unfold a 0-d tensor");
  const int64_t d = wrap_dim(dim, a.dim(), "unfold");
  const int64_t n = a.shape()[d];
  SOMA_CHECK(size >= 0 && size <= n, "unfold: window size {} is out of range for dim {} of size {} (shape {})", size,
             d, n, a.shape());
  SOMA_CHECK(step > 0, "unfold: step must be positive, got {}", step);
  return unfold_impl(a, d, size, step);
}

TensorList split(const Tensor& a, int64_t split_size, int64_t dim) {
  SOMA_CHECK(a.dim() > 0, "split: cannot split a 0-d tensor");
  const int64_t d = wrap_dim(dim, a.dim(), "split");
  const int64_t n = a.shape()[d];
  SOMA_CHECK(split_size > 0 || (split_size == 0 && n == 0),
             "split: split_size must be positive, got {} (dim {} of size {})", split_size, d, n);
  std::vector<int64_t> sizes;
  for (int64_t start = 0; start < n; start += split_size) sizes.push_back(std::min(split_size, n - start));
  if (sizes.empty()) sizes.push_back(0);
  return split_views("split", a, d, sizes);
}

TensorList split(const Tensor& a, const std::vector<int64_t>& sizes, int64_t dim) {
  SOMA_CHECK(a.dim() > 0, "split: cannot split a 0-d tensor");
  const int64_t d = wrap_dim(dim, a.dim(), "split");
  int64_t total = 0;
  for (int64_t s : sizes) {
    SOMA_CHECK(s >= 0, "split: sizes {} contain a negative size", Shape(sizes));
    total += s;
  }
  SOMA_CHECK(total == a.shape()[d], "split: sizes {} add up to {}, not to the size {} of dim {} (shape {})",
             Shape(sizes), total, a.shape()[d], d, a.shape());
  return split_views("split", a, d, sizes);
}

TensorList chunk(const Tensor& a, int64_t chunks, int64_t dim) {
  SOMA_CHECK(a.dim() > 0, "chunk: cannot chunk a 0-d tensor");
  SOMA_CHECK(chunks > 0, "chunk: the number of chunks must be positive, got {}", chunks);
  const int64_t d = wrap_dim(dim, a.dim(), "chunk");
  const int64_t n = a.shape()[d];
  if (n == 0) return split_views("chunk", a, d, std::vector<int64_t>(chunks, 0));  // as PyTorch: chunks empty pieces
  const int64_t size = (n + chunks - 1) / chunks;
  std::vector<int64_t> sizes;
  for (int64_t start = 0; start < n; start += size) sizes.push_back(std::min(size, n - start));
  return split_views("chunk", a, d, sizes);
}

// ---- copies: cat, stack, flip ---------------------------------------------------------------------

Tensor cat(const TensorList& tensors, int64_t dim) {
  SOMA_CHECK(!tensors.empty(), "cat: expected a non-empty list of tensors");
  // As in PyTorch, 1-D empty tensors are skipped (they need not match the others' shapes).
  auto skipped = [](const Tensor& t) { return t.dim() == 1 && t.numel() == 0; };
  const Tensor* ref = nullptr;
  DType dtype = tensors[0].dtype();
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    SOMA_CHECK(t.dim() > 0, "cat: a 0-d tensor (at position {}) cannot be concatenated", i);
    dtype = promote_types(dtype, t.dtype());
    if (!ref && !skipped(t)) ref = &t;
  }
  if (!ref) return empty({0}, dtype);
  const int64_t d = wrap_dim(dim, ref->dim(), "cat");
  Shape shape = ref->shape();
  shape[d] = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    const Tensor& t = tensors[i];
    if (skipped(t)) continue;
    SOMA_CHECK(t.dim() == ref->dim(), "cat: tensors must have the same number of dims, got shapes {} and {} (at position {})",
               ref->shape(), t.shape(), i);
    for (int64_t k = 0; k < t.dim(); ++k)
      SOMA_CHECK(k == d || t.shape()[k] == ref->shape()[k],
                 "cat: sizes must match except in dim {}, got shapes {} and {} (at position {})", d, ref->shape(),
                 t.shape(), i);
    shape[d] += t.shape()[d];
  }
  Tensor out = empty(shape, dtype);
  std::vector<int64_t> sizes(tensors.size(), -1);  // -1: skipped
  for (int64_t i = 0, start = 0; i < static_cast<int64_t>(tensors.size()); ++i) {
    if (skipped(tensors[i])) continue;
    sizes[i] = tensors[i].shape()[d];
    kernels::copy(slice_view(out, d, start, sizes[i], 1), tensors[i]);
    start += sizes[i];
  }
  if (is_grad_enabled() && autograd::any_requires_grad(tensors)) {
    std::vector<DType> dtypes;
    std::vector<bool> needs;
    for (const Tensor& t : tensors) {
      dtypes.push_back(t.dtype());
      needs.push_back(t.requires_grad());
    }
    TensorList outs{out};
    autograd::record("cat", outs, tensors,
                     [d, sizes, dtypes, needs](const TensorList& grads, GradMask m) -> TensorList {
                       TensorList r(sizes.size());
                       int64_t start = 0;
                       for (size_t i = 0; i < sizes.size(); ++i) {
                         const int64_t n = std::max<int64_t>(sizes[i], 0);
                         if (i < 64 ? m[i] : needs[i])
                           r[i] = sizes[i] < 0 ? zeros({0}, dtypes[i])
                                               : slice_impl(grads[0], d, start, n, 1).to(dtypes[i]);
                         start += n;
                       }
                       return r;
                     });
    out = outs[0];
  }
  return out;
}

Tensor stack(const TensorList& tensors, int64_t dim) {
  SOMA_CHECK(!tensors.empty(), "stack: expected a non-empty list of tensors");
  const Shape& shape = tensors[0].shape();
  const int64_t d = wrap_dim(dim, shape.size() + 1, "stack");
  TensorList parts;
  parts.reserve(tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    SOMA_CHECK(tensors[i].shape() == shape, "stack: expects tensors of equal shape, got {} (at position 0) and {} (at position {})",
               shape, tensors[i].shape(), i);
    parts.push_back(unsqueeze(tensors[i], d));
  }
  return cat(parts, d);
}

Tensor flip(const Tensor& a, const Dims& dims) {
  Shape strides = a.strides();
  int64_t offset = a.offset();
  uint64_t seen = 0;
  for (int64_t dim : dims) {
    const int64_t d = wrap_dim(dim, a.dim(), "flip");
    SOMA_CHECK(!(seen >> d & 1), "flip: dim {} appears more than once in {}", d, dims);
    seen |= uint64_t{1} << d;
    if (a.dim() > 0 && a.shape()[d] > 1) {  // start at the last element and walk backwards
      offset += (a.shape()[d] - 1) * strides[d];
      strides[d] = -strides[d];
    }
  }
  Tensor out = empty(a.shape(), a.dtype());
  kernels::copy(out, Tensor(a.storage(), a.shape(), strides, offset, a.dtype()));
  if (autograd::needs_grad(a))
    autograd::record("flip", out, {a}, [dims](const Tensor& g, GradMask) -> TensorList { return {flip(g, dims)}; });
  return out;
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
Tensor Tensor::narrow(int64_t d, int64_t start, int64_t length) const { return soma::narrow(*this, d, start, length); }
Tensor Tensor::slice(int64_t d, std::optional<int64_t> start, std::optional<int64_t> end, int64_t step) const {
  return soma::slice(*this, d, start, end, step);
}
Tensor Tensor::select(int64_t d, int64_t index) const { return soma::select(*this, d, index); }
Tensor Tensor::flatten(int64_t start_dim, int64_t end_dim) const { return soma::flatten(*this, start_dim, end_dim); }
Tensor Tensor::unflatten(int64_t d, const Shape& sizes) const { return soma::unflatten(*this, d, sizes); }
Tensor Tensor::unfold(int64_t d, int64_t size, int64_t step) const { return soma::unfold(*this, d, size, step); }
TensorList Tensor::split(int64_t split_size, int64_t d) const { return soma::split(*this, split_size, d); }
TensorList Tensor::chunk(int64_t chunks, int64_t d) const { return soma::chunk(*this, chunks, d); }

}  // namespace soma
