#include "kernels/cpu/index.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <vector>

#include "kernels/cpu/copy.h"
#include "kernels/cpu/loops.h"
#include "soma/creation.h"

namespace soma::kernels {

namespace {

// The type arithmetic and comparisons on T run in (float for the half types).
template <class T>
using acc_t = std::conditional_t<std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>, float, T>;

// `t` seen with `shape` and its own strides (t covers shape in every dim).
Tensor restride(const Tensor& t, const Shape& shape) {
  return Tensor(t.storage(), shape, t.strides(), t.offset(), t.dtype());
}

int64_t byte_stride(const Tensor& t, int64_t dim) {
  return t.dim() == 0 ? 0 : t.strides()[dim] * static_cast<int64_t>(t.element_size());
}

// Calls f(indexed, other) for every position p of index's shape, where `indexed` points at
// target[p with p[dim] := index[p]] and `other` at other[p]. Runs in parallel over positions
// outside dim, in order along dim.
template <class F>
void along_dim(const Tensor& target, const Tensor& index, const Tensor& other, int64_t dim, F f) {
  if (index.numel() == 0) return;
  const int64_t len = index.dim() == 0 ? 1 : index.shape()[dim];
  Shape outer = index.shape();
  if (index.dim() > 0) outer[dim] = 1;
  const Tensor t = restride(target, outer), i = restride(index, outer), o = restride(other, outer);
  LoopGeometry g = make_geometry(outer, {&t, &i, &o}, "along_dim");
  const int64_t ts = byte_stride(target, dim), is = byte_stride(index, dim), os = byte_stride(other, dim);
  for_each(
      g,
      [=](char* const* p, const int64_t* s, int64_t n) {
        auto visit = [&](int64_t k, int64_t j) {
          const int64_t idx = *reinterpret_cast<const int64_t*>(p[1] + k * s[1] + j * is);
          f(p[0] + k * s[0] + idx * ts, p[2] + k * s[2] + j * os);
        };
        // Innermost goes whichever of dim and the run has the closer index elements.
        if (std::abs(is) < std::abs(s[1])) {
          for (int64_t k = 0; k < n; ++k)
            for (int64_t j = 0; j < len; ++j) visit(k, j);
        } else {
          for (int64_t j = 0; j < len; ++j)
            for (int64_t k = 0; k < n; ++k) visit(k, j);
        }
      },
      std::max<int64_t>(1, kElementwiseGrain / len));
}

template <class T>
void add_into(char* dst, const char* src) {
  T& d = *reinterpret_cast<T*>(dst);
  d = convert<T>(convert<acc_t<T>>(d) + convert<acc_t<T>>(*reinterpret_cast<const T*>(src)));
}

}  // namespace

void gather(const Tensor& out, const Tensor& self, int64_t dim, const Tensor& index) {
  dispatch(self.dtype(), [&]<class T>() {
    along_dim(self, index, out, dim,
              [](char* src, char* dst) { *reinterpret_cast<T*>(dst) = *reinterpret_cast<const T*>(src); });
  });
}

void scatter(const Tensor& self, int64_t dim, const Tensor& index, const Tensor& src, ScatterMode mode) {
  dispatch(self.dtype(), [&]<class T>() {
    if (mode == ScatterMode::Assign)
      along_dim(self, index, src, dim,
                [](char* dst, char* s) { *reinterpret_cast<T*>(dst) = *reinterpret_cast<const T*>(s); });
    else
      along_dim(self, index, src, dim, [](char* dst, char* s) { add_into<T>(dst, s); });
  });
}

void scatter_fill(const Tensor& self, int64_t dim, const Tensor& index, Scalar value) {
  dispatch(self.dtype(), [&]<class T>() {
    const T v = value.to<T>();
    along_dim(self, index, index, dim, [v](char* dst, char*) { *reinterpret_cast<T*>(dst) = v; });
  });
}

void accumulate(const Tensor& dst, const Tensor& src) {
  LoopGeometry g = make_geometry(dst.shape(), {&dst, &src}, "accumulate");
  dispatch(dst.dtype(), [&]<class T>() {
    auto body = [](char* const* p, const int64_t* s, int64_t n) {
      for (int64_t i = 0; i < n; ++i) add_into<T>(p[0] + i * s[0], p[1] + i * s[1]);
    };
    run_range(g, 0, g.numel, body);  // serial: elements of dst may share memory
  });
}

void masked_fill(const Tensor& out, const Tensor& a, const Tensor& mask, Scalar value) {
  LoopGeometry g = make_geometry(out.shape(), {&out, &a, &mask}, "masked_fill");
  dispatch(out.dtype(), [&]<class T>() {
    const T v = value.to<T>();
    for_each(g, [v](char* const* p, const int64_t* s, int64_t n) {
      if (s[0] == sizeof(T) && s[1] == sizeof(T) && s[2] == sizeof(bool)) {
        T* o = reinterpret_cast<T*>(p[0]);
        const T* x = reinterpret_cast<const T*>(p[1]);
        const bool* m = reinterpret_cast<const bool*>(p[2]);
        for (int64_t i = 0; i < n; ++i) o[i] = m[i] ? v : x[i];
      } else {
        for (int64_t i = 0; i < n; ++i) {
          const T x = *reinterpret_cast<const T*>(p[1] + i * s[1]);
          *reinterpret_cast<T*>(p[0] + i * s[0]) = *reinterpret_cast<const bool*>(p[2] + i * s[2]) ? v : x;
        }
      }
    });
  });
}

std::pair<int64_t, int64_t> min_max(const Tensor& index) {
  LoopGeometry g = make_geometry(index.shape(), {&index}, "min_max");
  int64_t lo = std::numeric_limits<int64_t>::max(), hi = std::numeric_limits<int64_t>::min();
  auto body = [&](char* const* p, const int64_t* s, int64_t n) {
    for (int64_t i = 0; i < n; ++i) {
      const int64_t v = *reinterpret_cast<const int64_t*>(p[0] + i * s[0]);
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  };
  run_range(g, 0, g.numel, body);
  return {lo, hi};
}

Tensor nonzero(const Tensor& a, bool flat) {
  const int64_t nd = a.dim(), numel = a.numel();
  std::vector<int64_t> found;  // coordinates (or linear indices) of the nonzero elements
  int64_t count = 0;
  dispatch(a.dtype(), [&]<class T>() {
    const T* base = static_cast<const T*>(a.data_ptr());
    Shape idx(nd, 0);
    int64_t off = 0;
    for (int64_t e = 0; e < numel; ++e) {
      if (convert<acc_t<T>>(base[off]) != acc_t<T>(0)) {
        ++count;
        if (flat)
          found.push_back(e);
        else
          found.insert(found.end(), idx.begin(), idx.end());
      }
      for (int64_t d = nd - 1; d >= 0; --d) {  // advance the multi-index
        off += a.strides()[d];
        if (++idx[d] < a.shape()[d]) break;
        off -= a.strides()[d] * a.shape()[d];
        idx[d] = 0;
      }
    }
  });
  Tensor out = empty(flat ? Shape{count} : Shape{count, nd}, kInt64);
  std::copy(found.begin(), found.end(), static_cast<int64_t*>(out.data_ptr()));
  return out;
}

void sort(const Tensor& values, const Tensor& indices, const Tensor& src, int64_t dim, bool descending) {
  if (values.numel() == 0) return;
  const int64_t n = src.dim() == 0 ? 1 : src.shape()[dim];
  const int64_t k = values.dim() == 0 ? 1 : values.shape()[dim];
  Shape outer = src.shape();
  if (src.dim() > 0) outer[dim] = 1;
  const Tensor v = restride(values, outer), i = restride(indices, outer), x = restride(src, outer);
  LoopGeometry g = make_geometry(outer, {&v, &i, &x}, "sort");
  const int64_t vs = byte_stride(values, dim), is = byte_stride(indices, dim), xs = byte_stride(src, dim);
  dispatch(src.dtype(), [&]<class T>() {
    using C = acc_t<T>;
    using Item = std::pair<C, int64_t>;  // value, position
    // A strict order: NaN after every number (before, when descending), ties by position.
    auto before = [descending](const Item& a, const Item& b) {
      if constexpr (std::is_floating_point_v<C>) {
        const bool na = std::isnan(a.first), nb = std::isnan(b.first);
        if (na || nb) return na && nb ? a.second < b.second : (descending ? na : nb);
      }
      if (a.first != b.first) return descending ? a.first > b.first : a.first < b.first;
      return a.second < b.second;
    };
    for_each(
        g,
        [=, row = std::vector<Item>(n)](char* const* p, const int64_t* s, int64_t m) mutable {
          for (int64_t r = 0; r < m; ++r) {
            const char* xr = p[2] + r * s[2];
            for (int64_t j = 0; j < n; ++j) row[j] = {convert<C>(*reinterpret_cast<const T*>(xr + j * xs)), j};
            if (k < n)
              std::partial_sort(row.begin(), row.begin() + k, row.end(), before);
            else
              std::sort(row.begin(), row.end(), before);
            char* vr = p[0] + r * s[0];
            char* ir = p[1] + r * s[1];
            for (int64_t j = 0; j < k; ++j) {
              *reinterpret_cast<T*>(vr + j * vs) = convert<T>(row[j].first);
              *reinterpret_cast<int64_t*>(ir + j * is) = row[j].second;
            }
          }
        },
        std::max<int64_t>(1, kElementwiseGrain / n));
  });
}

}  // namespace soma::kernels
