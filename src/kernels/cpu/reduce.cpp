#include "kernels/cpu/reduce.h"


#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>
#include <type_traits>

#include "kernels/cpu/parallel_for.h"
#include "kernels/cpu/copy.h"
#include "soma/creation.h"
#include "soma/parallel.h"

namespace soma::kernels {

namespace {

constexpr int64_t kChunk = 32768;   // longer reductions are cut into pieces of about this size
constexpr int64_t kBlock = 2048;    // rows form: elements the lanes sum before pairing up
constexpr int kLevels = 48;         // rows form: pairwise levels of blocks (2^48 blocks)
constexpr int64_t kRowLeaf = 16;    // columns form: rows summed in sequence before pairing up
template <class T> constexpr int kVec = 32 / sizeof(T);          // elements per vector
template <class T> constexpr int kLanes = 8 * kVec<T>;           // independent accumulators
template <class T> constexpr int64_t kTile = 16384 / sizeof(T);  // columns per task (16 KiB)

// Element offsets of the row-major linear indices of a group of dims.
struct Indexer {
  Shape sizes, strides;
  int64_t operator()(int64_t i) const {
    if (sizes.size() == 1) return i * strides[0];
    int64_t off = 0;
    for (int64_t d = sizes.size() - 1; d >= 0; --d) {
      off += (i % sizes[d]) * strides[d];
      i /= sizes[d];
    }
    return off;
  }
};

// Merges each dim into the previous one when they are contiguous with each other.
void coalesce(Indexer& g) {
  int64_t n = 0;
  for (int64_t i = 0; i < g.sizes.size(); ++i) {
    if (n > 0 && g.strides[n - 1] == g.sizes[i] * g.strides[i]) {
      g.sizes[n - 1] *= g.sizes[i];
      g.strides[n - 1] = g.strides[i];
    } else {
      g.sizes[n] = g.sizes[i];
      g.strides[n] = g.strides[i];
      ++n;
    }
  }
  g.sizes.resize(n);
  g.strides.resize(n);
}

// The kept dims (in order) and the reduced dims (outermost stride first) of x, without size-1
// dims, each group coalesced. M outputs, N elements reduced into each.
struct Layout {
  Indexer kept, red;
  int64_t M, N;
};

Layout split_dims(const Tensor& x, const std::vector<bool>& reduced) {
  Layout l;
  for (int64_t d = 0; d < x.dim(); ++d) {
    if (x.shape()[d] == 1) continue;
    Indexer& g = reduced[d] ? l.red : l.kept;
    g.sizes.push_back(x.shape()[d]);
    g.strides.push_back(x.strides()[d]);
  }
  for (int64_t i = 1; i < l.red.sizes.size(); ++i)  // insertion sort, largest stride first
    for (int64_t j = i; j > 0 && l.red.strides[j - 1] < l.red.strides[j]; --j) {
      std::swap(l.red.strides[j - 1], l.red.strides[j]);
      std::swap(l.red.sizes[j - 1], l.red.sizes[j]);
    }
  coalesce(l.kept);
  coalesce(l.red);
  l.M = l.kept.sizes.numel();
  l.N = l.red.sizes.numel();
  return l;
}

template <class T> bool is_nan(T v) {
  if constexpr (std::is_floating_point_v<T>)
    return v != v;
  else
    return false;
}

// exp for float32 without branches, so that loops over it vectorize (the Cephes expf
// polynomial, within 2 ulp of std::exp). Results below about 1e-38 flush to zero.
inline float exp_fast(float x) {
  const float xc = std::min(std::max(x, -88.3762626647949f), 88.3762626647949f);
  const float n = std::nearbyint(xc * 1.44269504088896341f);  // (std::floor would not vectorize)
  const float r = xc - n * 0.693359375f + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const float y = p * std::bit_cast<float>(static_cast<uint32_t>(static_cast<int32_t>(n) + 127) << 23);
  const float lo = x < -87.33654f ? 0.0f : y;
  const float hi = x > 88.3762626647949f ? std::numeric_limits<float>::infinity() : lo;
  return x != x ? x : hi;
}

template <class T> T exp_of(T x) {
  if constexpr (std::is_same_v<T, float>)
    return exp_fast(x);
  else
    return std::exp(x);
}

// ---- reduction ops: identity, per-element transform (load) and combine ------------------------
// load and combine take one value (U = T) or a vector of them (U = Vec<T>, for the lanes).

template <class T> struct VecOf {
  typedef T type __attribute__((vector_size(32)));
};
template <class T> using Vec = typename VecOf<T>::type;  // 32 bytes: one AVX2 register

// |v|, also for vectors (where v + 0 turns -0.0 into +0.0, as std::abs does).
template <class U> U abs_of(U v) {
  if constexpr (std::is_arithmetic_v<U>)
    return std::abs(v);
  else
    return v < 0 ? -v : v + U{};
}

// m with all bits set (a NaN) in the lanes where b is NaN. For vectors, max/min with NaN
// propagation is then `with_nan(b > a ? b : a, b)`: the compare-select is one max instruction,
// which gives a where either is NaN, and the NaNs of b are ORed in: three instructions.
template <class U> U with_nan(U m, U b) {
  using Mask = decltype(b != b);
  return (U)((Mask)m | (b != b));
}

template <class T> struct SumOp {
  T identity() const { return T(0); }
  template <class U> U load(U v) const { return v; }
  template <class U> U combine(U a, U b) const { return static_cast<U>(a + b); }
};
template <class T> struct ProdOp {
  T identity() const { return T(1); }
  template <class U> U load(U v) const { return v; }
  template <class U> U combine(U a, U b) const { return static_cast<U>(a * b); }
};
template <class T> struct MaxOp {
  T identity() const {
    return std::numeric_limits<T>::has_infinity ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::lowest();
  }
  template <class U> U load(U v) const { return v; }
  template <class U> U combine(U a, U b) const {  // NaN propagates: a != a only for NaN
    if constexpr (!std::is_floating_point_v<T>)
      return a > b ? a : b;
    else if constexpr (std::is_arithmetic_v<U>)
      return ((a > b) | (a != a)) ? a : b;
    else
      return with_nan(b > a ? b : a, b);
  }
};
template <class T> struct MinOp {
  T identity() const {
    return std::numeric_limits<T>::has_infinity ? std::numeric_limits<T>::infinity() : std::numeric_limits<T>::max();
  }
  template <class U> U load(U v) const { return v; }
  template <class U> U combine(U a, U b) const {
    if constexpr (!std::is_floating_point_v<T>)
      return a < b ? a : b;
    else if constexpr (std::is_arithmetic_v<U>)
      return ((a < b) | (a != a)) ? a : b;
    else
      return with_nan(b < a ? b : a, b);
  }
};
template <class T> struct AbsSumOp : SumOp<T> {
  template <class U> U load(U v) const { return abs_of(v); }
};
template <class T> struct SumSquaresOp : SumOp<T> {
  template <class U> U load(U v) const { return v * v; }
};
template <class T> struct AbsMaxOp : MaxOp<T> {
  T identity() const { return T(0); }
  template <class U> U load(U v) const { return abs_of(v); }
};
template <class T> struct PowSumOp : SumOp<T> {
  T p;
  template <class U> U load(U v) const {
    if constexpr (std::is_arithmetic_v<U>) {
      return std::pow(std::abs(v), p);
    } else {  // no vector pow: element by element
      for (size_t j = 0; j < sizeof(U) / sizeof(T); ++j) v[j] = std::pow(std::abs(v[j]), p);
      return v;
    }
  }
};
// sum exp(x - m): the sum of a logsumexp.
template <class T> struct ExpSumOp : SumOp<T> {
  T m;
  template <class U> U load(U v) const {
    if constexpr (std::is_arithmetic_v<U>) {
      return exp_of(v - m);
    } else {
      for (size_t j = 0; j < sizeof(U) / sizeof(T); ++j) v[j] = exp_of(v[j] - m);
      return v;
    }
  }
};
// sum (x - mean)^2: the second pass of a variance.
template <class T> struct SqDevOp : SumOp<T> {
  T mean;
  template <class U> U load(U v) const {
    const U d = v - mean;
    return d * d;
  }
};
// Combines partial results (no per-element transform).
template <class Op> struct CombineOp {
  Op op;
  auto identity() const { return op.identity(); }
  template <class U> U load(U v) const { return v; }
  template <class U> U combine(U a, U b) const { return op.combine(a, b); }
};

// Calls f with the op object for `op` on type T.
template <class T, class F>
void with_op(ReduceOp op, double p, F f) {
  constexpr bool kSummable = std::is_same_v<T, float> || std::is_same_v<T, double> || std::is_same_v<T, int64_t>;
  if constexpr (kSummable) {
    if (op == ReduceOp::Sum) return f(SumOp<T>{});
    if (op == ReduceOp::Prod) return f(ProdOp<T>{});
  }
  if (op == ReduceOp::Max) return f(MaxOp<T>{});
  if (op == ReduceOp::Min) return f(MinOp<T>{});
  if constexpr (std::is_floating_point_v<T>) {
    if (op == ReduceOp::AbsSum) return f(AbsSumOp<T>{});
    if (op == ReduceOp::SumSquares) return f(SumSquaresOp<T>{});
    if (op == ReduceOp::AbsMax) return f(AbsMaxOp<T>{});
    if (op == ReduceOp::PowSum) return f(PowSumOp<T>{{}, static_cast<T>(p)});
  }
  SOMA_FAIL("reduce: op {} is not supported for dtype {}", static_cast<int>(op), dtype_name(dtype_v<T>));
}

// ---- rows form ---------------------------------------------------------------------------------

template <class T> Vec<T> load_vec(const T* p) {
  Vec<T> v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// acc[r][j] = op over i < n / L of x[i * L + r * W + j] (W elements per vector, R = L / W
// vectors), for n a positive multiple of L: R * W independent accumulator chains, so the loop
// is bound by loads, not by the latency of one chain.
template <class T, class Op>
void lanes_run(Vec<T>* acc, const T* x, int64_t n, const Op& op) {
  constexpr int W = kVec<T>, R = kLanes<T> / W;
  Vec<T> a[R];
  for (int r = 0; r < R; ++r) a[r] = op.load(load_vec(x + r * W));
  for (int64_t i = kLanes<T>; i < n; i += kLanes<T>)
    for (int r = 0; r < R; ++r) a[r] = op.combine(a[r], op.load(load_vec(x + i + r * W)));
  std::copy(a, a + R, acc);
}

// op over x[0, n), n > 0. Each block of kBlock elements is reduced into L = kLanes lanes
// (kBlock / L elements in sequence per lane); the blocks' lanes are combined pairwise, lane by
// lane, by a binary counter (after block b, the partials of the levels below b's lowest zero
// bit merge); the lanes combine pairwise at the very end. One horizontal step per call, not per
// block: a horizontal step per 1024 elements stalled the loads and halved the speed on data
// from L3 or DRAM. Summing n ones is exact up to 2^24 in float32.
template <class T, class Op>
T reduce_run(const T* x, int64_t n, const Op& op) {
  constexpr int L = kLanes<T>, W = kVec<T>, R = L / W;
  if (n < L) {
    T r = op.load(x[0]);
    for (int64_t i = 1; i < n; ++i) r = op.combine(r, op.load(x[i]));
    return r;
  }
  Vec<T> level[kLevels][R];  // level[j]: the partial of 2^j blocks, while bit j of `blocks` is set
  Vec<T> acc[R];
  auto merge_into_acc = [&](const Vec<T>* left) {
    for (int r = 0; r < R; ++r) acc[r] = op.combine(left[r], acc[r]);
  };
  int64_t blocks = 0, i = 0;
  for (; i + kBlock <= n; i += kBlock, ++blocks) {
    lanes_run(acc, x + i, kBlock, op);
    int j = 0;
    for (int64_t b = blocks; b & 1; b >>= 1, ++j) merge_into_acc(level[j]);
    std::copy(acc, acc + R, level[j]);
  }
  // The tail: whole rows of L lanes, then the last < L elements, summed apart and added once.
  const int64_t body = (n - i) / L * L;
  bool have = body > 0;
  if (have) lanes_run(acc, x + i, body, op);
  for (int j = 0; blocks >> j; ++j) {
    if (!((blocks >> j) & 1)) continue;
    if (have)
      merge_into_acc(level[j]);
    else
      std::copy(level[j], level[j] + R, acc);
    have = true;
  }
  for (int w = R / 2; w > 0; w /= 2)
    for (int r = 0; r < w; ++r) acc[r] = op.combine(acc[r], acc[r + w]);
  T t[W];
  std::memcpy(t, &acc[0], sizeof t);
  for (int w = W / 2; w > 0; w /= 2)
    for (int k = 0; k < w; ++k) t[k] = op.combine(t[k], t[k + w]);
  i += body;
  if (i == n) return t[0];
  T rest = op.load(x[i]);
  for (++i; i < n; ++i) rest = op.combine(rest, op.load(x[i]));
  return op.combine(t[0], rest);
}

// out[i] = op over the N contiguous elements at x + rows(i).
template <class T, class Op>
void reduce_rows(T* out, const T* x, const Indexer& rows, int64_t M, int64_t N, const Op& op) {
  const int64_t pieces = (N + kChunk - 1) / kChunk;
  if (pieces == 1) {
    parallel_for(M, N, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) out[i] = reduce_run(x + rows(i), N, op);
    });
    return;
  }
  std::unique_ptr<T[]> part(new T[M * pieces]);
  parallel_for(M * pieces, kChunk, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      const int64_t i = t / pieces, c = t % pieces;
      part[t] = reduce_run(x + rows(i) + c * kChunk, std::min(kChunk, N - c * kChunk), op);
    }
  });
  const CombineOp<Op> comb{op};
  for (int64_t i = 0; i < M; ++i) out[i] = reduce_run(part.get() + i * pieces, pieces, comb);
}

// ---- columns form ------------------------------------------------------------------------------

// acc[j] = op over rows r < n of x[r * s + j], j < w <= kTile: leaves of kRowLeaf rows, taken
// four at a time (acc is read and written once per four rows), combined pairwise. `scratch`
// has room for cols_levels(n) tiles, one per level of the recursion.
template <class T, class Op>
void reduce_cols_run(T* __restrict acc, T* __restrict scratch, const T* x, int64_t n, int64_t s, int64_t w,
                     const Op& op) {
  if (n <= kRowLeaf) {
    for (int64_t j = 0; j < w; ++j) acc[j] = op.load(x[j]);
    int64_t r = 1;
    for (; r + 4 <= n; r += 4) {
      const T *r0 = x + r * s, *r1 = r0 + s, *r2 = r1 + s, *r3 = r2 + s;
      for (int64_t j = 0; j < w; ++j)
        acc[j] = op.combine(acc[j], op.combine(op.combine(op.load(r0[j]), op.load(r1[j])),
                                               op.combine(op.load(r2[j]), op.load(r3[j]))));
    }
    for (; r < n; ++r) {
      const T* row = x + r * s;
      for (int64_t j = 0; j < w; ++j) acc[j] = op.combine(acc[j], op.load(row[j]));
    }
    return;
  }
  const int64_t half = (n / 2 + kRowLeaf - 1) / kRowLeaf * kRowLeaf;
  reduce_cols_run(acc, scratch, x, half, s, w, op);
  reduce_cols_run(scratch, scratch + kTile<T>, x + half * s, n - half, s, w, op);
  for (int64_t j = 0; j < w; ++j) acc[j] = op.combine(acc[j], scratch[j]);
}

// Recursion levels of reduce_cols_run over n rows (a bound).
int64_t cols_levels(int64_t n) {
  int64_t d = 1;
  for (int64_t m = kRowLeaf; m < n; m *= 2) ++d;
  return d;
}

// out[b * W + j] = op over r < N of x[outer(b) + r * s + j].
template <class T, class Op>
void reduce_cols(T* out, const T* x, const Indexer& outer, int64_t B, int64_t W, int64_t N, int64_t s,
                 const Op& op) {
  constexpr int64_t tile = kTile<T>;
  const int64_t tiles = (W + tile - 1) / tile, M = B * W;
  // With fewer than 16 (batch, tile) tasks, cut the rows into pieces too, so that there are
  // about 16 tasks (a count from the shape alone, not the thread count).
  const int64_t want = (16 + B * tiles - 1) / (B * tiles);
  const int64_t piece = want == 1 ? N : std::max(kRowLeaf, (N / want + kRowLeaf - 1) / kRowLeaf * kRowLeaf);
  const int64_t pieces = (N + piece - 1) / piece;
  std::unique_ptr<T[]> part(pieces > 1 ? new T[pieces * M] : nullptr);
  T* dst = pieces > 1 ? part.get() : out;
  parallel_for(B * tiles * pieces, std::min(W, tile) * std::min(N, piece), [&](int64_t b, int64_t e) {
    std::unique_ptr<T[]> scratch(new T[cols_levels(piece) * tile]);
    for (int64_t t = b; t < e; ++t) {
      const int64_t c = t % pieces, j0 = t / pieces % tiles * tile, bi = t / pieces / tiles;
      reduce_cols_run(dst + c * M + bi * W + j0, scratch.get(), x + outer(bi) + c * piece * s + j0,
                      std::min(piece, N - c * piece), s, std::min(tile, W - j0), op);
    }
  });
  if (pieces == 1) return;
  const CombineOp<Op> comb{op};
  parallel_for((M + tile - 1) / tile, tile * pieces, [&](int64_t b, int64_t e) {
    std::unique_ptr<T[]> scratch(new T[cols_levels(pieces) * tile]);
    for (int64_t t = b; t < e; ++t)
      reduce_cols_run(out + t * tile, scratch.get(), part.get() + t * tile, pieces, M, std::min(tile, M - t * tile),
                      comb);
  });
}

template <class T, class Op>
void reduce_impl(T* out, const Tensor& x, const std::vector<bool>& reduced, const Op& op) {
  const Layout l = split_dims(x, reduced);
  if (l.M == 0) return;
  if (l.N == 0) return std::fill(out, out + l.M, op.identity());
  const T* base = static_cast<const T*>(x.data_ptr());
  if (l.red.sizes.empty() || (l.red.sizes.size() == 1 && l.red.strides[0] == 1))
    return reduce_rows(out, base, l.kept, l.M, l.N, op);
  if (l.red.sizes.size() == 1 && !l.kept.sizes.empty() && l.kept.strides.back() == 1) {
    Indexer outer = l.kept;
    const int64_t W = outer.sizes.back();
    outer.sizes.pop_back();
    outer.strides.pop_back();
    return reduce_cols(out, base, outer, l.M / W, W, l.N, l.red.strides[0], op);
  }
  // Any other layout: copy into [kept..., reduced...] order and reduce rows.
  Shape sizes = l.kept.sizes, strides = l.kept.strides;
  for (int64_t i = 0; i < l.red.sizes.size(); ++i) {
    sizes.push_back(l.red.sizes[i]);
    strides.push_back(l.red.strides[i]);
  }
  Tensor c = empty(sizes, x.dtype());
  copy(c, Tensor(x.storage(), sizes, strides, x.offset(), x.dtype()));
  reduce_rows(out, static_cast<const T*>(c.data_ptr()), Indexer{Shape{l.M}, Shape{l.N}}, l.M, l.N, op);
}

// ---- max/min with indices ----------------------------------------------------------------------

template <bool kMax, class T>
bool better(T v, T best) {
  if constexpr (kMax)
    return v > best || (is_nan(v) && !is_nan(best));
  else
    return v < best || (is_nan(v) && !is_nan(best));
}

// Position of the first element of x[0, n) equal to v, or of the first NaN when v is NaN; one
// exists. Tests L elements at a time (a vectorized compare) before looking closer.
template <class T>
int64_t find_first(const T* x, int64_t n, T v) {
  constexpr int L = kLanes<T>;
  const bool nan = is_nan(v);
  int64_t i = 0;
  for (; i + L <= n; i += L) {
    int hit = 0;
    for (int k = 0; k < L; ++k) hit |= nan ? is_nan(x[i + k]) : x[i + k] == v;
    if (hit) break;
  }
  while (nan ? !is_nan(x[i]) : x[i] != v) ++i;
  return i;
}

// Rows form of arg_reduce: the N elements of each row are contiguous. Each piece of up to kChunk
// elements of a row gives its extreme (the vectorized reduce_run) and that value's first
// position; pieces are combined in order, an earlier piece winning ties. So a single long row
// runs in parallel, each element is read once from memory (the position search re-reads a
// piece that is still in cache), and results do not depend on the thread count.
template <bool kMax, class T>
void arg_rows(T* vals, int64_t* idx, const T* base, const Indexer& rows, int64_t M, int64_t N) {
  using Op = std::conditional_t<kMax, MaxOp<T>, MinOp<T>>;
  const int64_t pieces = (N + kChunk - 1) / kChunk;
  std::unique_ptr<T[]> part_v(pieces > 1 ? new T[M * pieces] : nullptr);
  std::unique_ptr<int64_t[]> part_i(pieces > 1 ? new int64_t[M * pieces] : nullptr);
  T* pv = pieces > 1 ? part_v.get() : vals;
  int64_t* pi = pieces > 1 ? part_i.get() : idx;
  parallel_for(M * pieces, std::min(N, kChunk), [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      const int64_t c = t % pieces, n = std::min(kChunk, N - c * kChunk);
      const T* p = base + rows(t / pieces) + c * kChunk;
      pv[t] = reduce_run(p, n, Op{});
      pi[t] = c * kChunk + find_first(p, n, pv[t]);
    }
  });
  if (pieces == 1) return;
  for (int64_t i = 0; i < M; ++i) {
    int64_t w = i * pieces;
    for (int64_t t = w + 1; t < (i + 1) * pieces; ++t)
      if (better<kMax>(pv[t], pv[w])) w = t;
    vals[i] = pv[w];
    idx[i] = pi[w];
  }
}

template <bool kMax, class T>
void arg_impl(T* vals, int64_t* idx, const Tensor& x, int64_t dim) {
  std::vector<bool> reduced(x.dim(), false);
  if (x.dim() > 0) reduced[dim] = true;
  const Layout l = split_dims(x, reduced);
  const int64_t N = l.N, s = l.red.sizes.empty() ? 1 : l.red.strides[0];
  const T* base = static_cast<const T*>(x.data_ptr());
  if (l.M == 0) return;
  if (s != 1 && !l.kept.sizes.empty() && l.kept.strides.back() == 1) {  // columns, vectorized across j
    constexpr int64_t tile = kTile<T>;
    Indexer outer = l.kept;
    const int64_t W = outer.sizes.back(), tiles = (W + tile - 1) / tile;
    outer.sizes.pop_back();
    outer.strides.pop_back();
    parallel_for(l.M / W * tiles, std::min(W, tile) * N, [&](int64_t b, int64_t e) {
      T best[tile];
      int64_t at[tile];
      for (int64_t t = b; t < e; ++t) {
        const int64_t bi = t / tiles, j0 = t % tiles * tile, w = std::min(tile, W - j0);
        const T* p = base + outer(bi) + j0;
        for (int64_t j = 0; j < w; ++j) best[j] = p[j], at[j] = 0;
        for (int64_t r = 1; r < N; ++r)
          for (int64_t j = 0; j < w; ++j)
            if (better<kMax>(p[r * s + j], best[j])) best[j] = p[r * s + j], at[j] = r;
        std::copy(best, best + w, vals + bi * W + j0);
        std::copy(at, at + w, idx + bi * W + j0);
      }
    });
    return;
  }
  if (s == 1) return arg_rows<kMax>(vals, idx, base, l.kept, l.M, N);
  parallel_for(l.M, N, [&](int64_t b, int64_t e) {  // any other layout: one strided line at a time
    for (int64_t i = b; i < e; ++i) {
      const T* p = base + l.kept(i);
      T best = p[0];
      int64_t at = 0;
      for (int64_t r = 1; r < N; ++r)
        if (better<kMax>(p[r * s], best)) best = p[r * s], at = r;
      vals[i] = best;
      idx[i] = at;
    }
  });
}

// ---- softmax -----------------------------------------------------------------------------------

// One contiguous row: max, sum of exp(x - max), then normalize (or x - max - log(sum)).
template <bool kLog, class T>
void softmax_row(T* out, const T* x, int64_t n) {
  constexpr int L = kLanes<T>;
  const T m = reduce_run(x, n, MaxOp<T>{});
  T acc[L] = {};
  int64_t i = 0;
  for (; i + L <= n; i += L)
    for (int k = 0; k < L; ++k) {
      const T e = exp_of(x[i + k] - m);
      if constexpr (!kLog) out[i + k] = e;
      acc[k] += e;
    }
  for (int k = 0; i < n; ++i, ++k) {
    const T e = exp_of(x[i] - m);
    if constexpr (!kLog) out[i] = e;
    acc[k] += e;
  }
  for (int w = L / 2; w > 0; w /= 2)
    for (int k = 0; k < w; ++k) acc[k] += acc[k + w];
  if constexpr (kLog) {
    const T ls = std::log(acc[0]);
    for (i = 0; i < n; ++i) out[i] = x[i] - m - ls;
  } else {
    const T inv = T(1) / acc[0];
    for (i = 0; i < n; ++i) out[i] *= inv;
  }
}

// Columns j0..j0+w of a contiguous [N, W] block, along N.
template <bool kLog, class T>
void softmax_cols(T* out, const T* x, int64_t N, int64_t W, int64_t w) {
  constexpr int64_t tile = kTile<T>;
  T m[tile], s[tile];
  const MaxOp<T> mx;
  for (int64_t j = 0; j < w; ++j) m[j] = x[j], s[j] = 0;
  for (int64_t r = 1; r < N; ++r)
    for (int64_t j = 0; j < w; ++j) m[j] = mx.combine(m[j], x[r * W + j]);
  for (int64_t r = 0; r < N; ++r)
    for (int64_t j = 0; j < w; ++j) {
      const T e = exp_of(x[r * W + j] - m[j]);
      if constexpr (!kLog) out[r * W + j] = e;
      s[j] += e;
    }
  for (int64_t j = 0; j < w; ++j) s[j] = kLog ? std::log(s[j]) : T(1) / s[j];
  for (int64_t r = 0; r < N; ++r)
    for (int64_t j = 0; j < w; ++j) {
      if constexpr (kLog)
        out[r * W + j] = x[r * W + j] - m[j] - s[j];
      else
        out[r * W + j] *= s[j];
    }
}

template <bool kLog, class T>
void softmax_impl(T* out, const T* x, int64_t B, int64_t N, int64_t W) {
  if (W == 1) {
    parallel_for(B, N, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) softmax_row<kLog>(out + i * N, x + i * N, N);
    });
    return;
  }
  constexpr int64_t tile = kTile<T>;
  const int64_t tiles = (W + tile - 1) / tile;
  parallel_for(B * tiles, N * std::min(W, tile), [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; ++t) {
      const int64_t off = t / tiles * N * W + t % tiles * tile;
      softmax_cols<kLog>(out + off, x + off, N, W, std::min(tile, W - t % tiles * tile));
    }
  });
}

// ---- logsumexp ---------------------------------------------------------------------------------

// The shift of a logsumexp line: its maximum, or 0 where that is infinite, so that a line of
// -inf gives -inf and a line holding +inf gives +inf (not NaN from inf - inf), as in PyTorch.
template <class T> T lse_shift(T m) { return std::isinf(m) ? T(0) : m; }

// Lines of N elements, W apart, in a contiguous [B, N, W] block: out[b * W + j].
template <class T>
void logsumexp_impl(T* out, const T* x, int64_t B, int64_t N, int64_t W) {
  if (W == 1) {  // contiguous rows: two vectorized passes over each row
    parallel_for(B, N, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        const T* p = x + i * N;
        const T m = lse_shift(reduce_run(p, N, MaxOp<T>{}));
        out[i] = std::log(reduce_run(p, N, ExpSumOp<T>{{}, m})) + m;
      }
    });
    return;
  }
  constexpr int64_t tile = kTile<T>;  // else vectorized across a tile of columns
  const int64_t tiles = (W + tile - 1) / tile;
  parallel_for(B * tiles, N * std::min(W, tile), [&](int64_t b, int64_t e) {
    T m[tile], s[tile];
    const MaxOp<T> mx;
    for (int64_t t = b; t < e; ++t) {
      const int64_t j0 = t % tiles * tile, w = std::min(tile, W - j0);
      const T* p = x + t / tiles * N * W + j0;
      for (int64_t j = 0; j < w; ++j) m[j] = p[j], s[j] = 0;
      for (int64_t r = 1; r < N; ++r)
        for (int64_t j = 0; j < w; ++j) m[j] = mx.combine(m[j], p[r * W + j]);
      for (int64_t j = 0; j < w; ++j) m[j] = lse_shift(m[j]);
      for (int64_t r = 0; r < N; ++r)
        for (int64_t j = 0; j < w; ++j) s[j] += exp_of(p[r * W + j] - m[j]);
      for (int64_t j = 0; j < w; ++j) out[t / tiles * W + j0 + j] = std::log(s[j]) + m[j];
    }
  });
}

// ---- variance ----------------------------------------------------------------------------------

// Two passes over each contiguous row of a [B, N] block: the mean, then the squared deviations
// from it (both pairwise, as accurate as the composed mean / subtract / square / sum).
template <class T>
void var_rows(T* out, const T* x, int64_t B, int64_t N, int64_t correction) {
  const T divisor = static_cast<T>(std::max<int64_t>(N - correction, 0));
  parallel_for(B, N, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      const T* p = x + i * N;
      const T mean = reduce_run(p, N, SumOp<T>{}) / static_cast<T>(N);
      out[i] = reduce_run(p, N, SqDevOp<T>{{}, mean}) / divisor;  // 0 / 0 = NaN, as in PyTorch
    }
  });
}

// ---- reference helpers -------------------------------------------------------------------------

// Offset of row-major linear index i of x.
int64_t offset_of(const Tensor& x, int64_t i) {
  int64_t off = 0;
  for (int64_t d = x.dim() - 1; d >= 0; --d) {
    off += (i % x.shape()[d]) * x.strides()[d];
    i /= x.shape()[d];
  }
  return off;
}

// x viewed as [outer, N, inner] around dim.
struct Lines {
  int64_t outer = 1, N = 1, inner = 1;
  Lines(const Tensor& x, int64_t dim) {
    for (int64_t d = 0; d < x.dim(); ++d) (d < dim ? outer : d == dim ? N : inner) *= x.shape()[d];
  }
};

// bool is reduced as uint8 (max is any, min is all): the same bytes, and vectors of bool do
// not exist.
template <class T> using Stored = std::conditional_t<std::is_same_v<T, bool>, uint8_t, T>;

template <class T> using Wide = std::conditional_t<std::is_floating_point_v<T>, double, T>;

}  // namespace

// ---- entry points ------------------------------------------------------------------------------

void reduce(const Tensor& out, const Tensor& x, const std::vector<bool>& reduced, ReduceOp op, double p) {
  dispatch_compute(x.dtype(), [&]<class T0>() {
    using T = Stored<T0>;
    T* o = static_cast<T*>(out.data_ptr());
    with_op<T>(op, p, [&](const auto& f) { reduce_impl(o, x, reduced, f); });
    // all() over nothing gives uint8 min's identity, 255: store it as a valid bool (true).
    if constexpr (std::is_same_v<T0, bool>)
      for (int64_t i = 0, n = out.numel(); i < n; ++i) o[i] = o[i] != 0;
  });
}

void reduce_reference(const Tensor& out, const Tensor& x, const std::vector<bool>& reduced, ReduceOp op, double p) {
  dispatch_compute(x.dtype(), [&]<class T>() {
    using Acc = Wide<T>;
    with_op<Acc>(op, p, [&](const auto& f) {
      // Output index of each input element: row-major over the kept dims.
      Shape out_strides(x.dim());
      int64_t m = 1;
      for (int64_t d = x.dim() - 1; d >= 0; --d) {
        out_strides[d] = reduced[d] ? 0 : m;
        if (!reduced[d]) m *= x.shape()[d];
      }
      std::unique_ptr<Acc[]> acc(new Acc[m]);
      std::fill(acc.get(), acc.get() + m, f.identity());
      const T* xp = x.data<T>();
      for (int64_t i = 0; i < x.numel(); ++i) {
        int64_t o = 0, rest = i;
        for (int64_t d = x.dim() - 1; d >= 0; --d) {
          o += (rest % x.shape()[d]) * out_strides[d];
          rest /= x.shape()[d];
        }
        acc[o] = f.combine(acc[o], f.load(static_cast<Acc>(xp[offset_of(x, i)])));
      }
      T* op = out.data<T>();
      for (int64_t i = 0; i < m; ++i) op[i] = static_cast<T>(acc[i]);
    });
  });
}

void arg_reduce(const Tensor& values, const Tensor& indices, const Tensor& x, int64_t dim, bool is_max) {
  dispatch_compute(x.dtype(), [&]<class T0>() {
    using T = Stored<T0>;
    T* v = static_cast<T*>(values.data_ptr());
    if (is_max)
      arg_impl<true>(v, indices.data<int64_t>(), x, dim);
    else
      arg_impl<false>(v, indices.data<int64_t>(), x, dim);
  });
}

void arg_reduce_reference(const Tensor& values, const Tensor& indices, const Tensor& x, int64_t dim, bool is_max) {
  dispatch_compute(x.dtype(), [&]<class T>() {
    const Lines l(x, x.dim() == 0 ? 0 : dim);
    const T* xp = x.data<T>();
    for (int64_t o = 0; o < l.outer; ++o)
      for (int64_t j = 0; j < l.inner; ++j) {
        int64_t at = 0;
        T best = xp[offset_of(x, o * l.N * l.inner + j)];
        for (int64_t r = 1; r < l.N; ++r) {
          const T v = xp[offset_of(x, (o * l.N + r) * l.inner + j)];
          if (is_max ? better<true>(v, best) : better<false>(v, best)) best = v, at = r;
        }
        values.data<T>()[o * l.inner + j] = best;
        indices.data<int64_t>()[o * l.inner + j] = at;
      }
  });
}

void cumsum(const Tensor& out, const Tensor& x, int64_t dim) {
  if (x.numel() == 0) return;
  dispatch_compute(x.dtype(), [&]<class T>() {
    const T* xp = x.data<T>();
    T* op = out.data<T>();
    if (x.dim() == 0) return void(op[0] = xp[0]);
    const Shape os = contiguous_strides(x.shape());
    Indexer xi, oi;
    for (int64_t d = 0; d < x.dim(); ++d) {
      if (d == dim) continue;
      xi.sizes.push_back(x.shape()[d]);
      xi.strides.push_back(x.strides()[d]);
      oi.sizes.push_back(x.shape()[d]);
      oi.strides.push_back(os[d]);
    }
    const int64_t N = x.shape()[dim], sx = x.strides()[dim], so = os[dim];
    parallel_for(x.numel() / N, N, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        const T* p = xp + xi(i);
        T* q = op + oi(i);
        Wide<T> acc = 0;
        for (int64_t r = 0; r < N; ++r) {
          acc += p[r * sx];
          q[r * so] = static_cast<T>(acc);
        }
      }
    });
  });
}

void cumsum_reference(const Tensor& out, const Tensor& x, int64_t dim) {
  dispatch_compute(x.dtype(), [&]<class T>() {
    const Lines l(x, x.dim() == 0 ? 0 : dim);
    for (int64_t o = 0; o < l.outer; ++o)
      for (int64_t j = 0; j < l.inner; ++j) {
        Wide<T> acc = 0;
        for (int64_t r = 0; r < l.N; ++r) {
          const int64_t i = (o * l.N + r) * l.inner + j;
          acc += x.data<T>()[offset_of(x, i)];
          out.data<T>()[i] = static_cast<T>(acc);
        }
      }
  });
}

void softmax(const Tensor& out, const Tensor& x, int64_t dim, bool log) {
  if (x.numel() == 0) return;
  Tensor c = x;
  if (!x.is_contiguous()) {
    c = empty(x.shape(), x.dtype());
    copy(c, x);
  }
  const Lines l(x, x.dim() == 0 ? 0 : dim);
  dispatch_float(x.dtype(), [&]<class T>() {
    if (log)
      softmax_impl<true>(out.data<T>(), c.data<T>(), l.outer, l.N, l.inner);
    else
      softmax_impl<false>(out.data<T>(), c.data<T>(), l.outer, l.N, l.inner);
  });
}

void logsumexp(const Tensor& out, const Tensor& x, int64_t dim) {
  if (out.numel() == 0) return;
  Tensor c = x;
  if (!x.is_contiguous()) {
    c = empty(x.shape(), x.dtype());
    copy(c, x);
  }
  const Lines l(x, x.dim() == 0 ? 0 : dim);
  dispatch_float(x.dtype(), [&]<class T>() { logsumexp_impl(out.data<T>(), c.data<T>(), l.outer, l.N, l.inner); });
}

void logsumexp_reference(const Tensor& out, const Tensor& x, int64_t dim) {
  dispatch_float(x.dtype(), [&]<class T>() {
    const Lines l(x, x.dim() == 0 ? 0 : dim);
    auto at = [&](int64_t o, int64_t r, int64_t j) { return offset_of(x, (o * l.N + r) * l.inner + j); };
    for (int64_t o = 0; o < l.outer; ++o)
      for (int64_t j = 0; j < l.inner; ++j) {
        double m = -std::numeric_limits<double>::infinity(), s = 0;
        for (int64_t r = 0; r < l.N; ++r) {
          const double v = x.data<T>()[at(o, r, j)];
          m = v != v || m != m ? std::numeric_limits<double>::quiet_NaN() : std::max(m, v);
        }
        if (std::isinf(m)) m = 0;
        for (int64_t r = 0; r < l.N; ++r) s += std::exp(double(x.data<T>()[at(o, r, j)]) - m);
        out.data<T>()[o * l.inner + j] = static_cast<T>(std::log(s) + m);
      }
  });
}

void var_rows(const Tensor& out, const Tensor& x, int64_t correction) {
  if (out.numel() == 0) return;
  const int64_t N = x.shape().back();
  dispatch_float(x.dtype(), [&]<class T>() { var_rows(out.data<T>(), x.data<T>(), out.numel(), N, correction); });
}

void var_rows_reference(const Tensor& out, const Tensor& x, int64_t correction) {
  dispatch_float(x.dtype(), [&]<class T>() {
    const int64_t N = x.shape().back(), B = out.numel();
    for (int64_t i = 0; i < B; ++i) {
      double s = 0, ss = 0;
      for (int64_t r = 0; r < N; ++r) s += x.data<T>()[offset_of(x, i * N + r)];
      for (int64_t r = 0; r < N; ++r) {
        const double d = x.data<T>()[offset_of(x, i * N + r)] - s / N;
        ss += d * d;
      }
      out.data<T>()[i] = static_cast<T>(ss / std::max<int64_t>(N - correction, 0));
    }
  });
}

void softmax_reference(const Tensor& out, const Tensor& x, int64_t dim, bool log) {
  dispatch_float(x.dtype(), [&]<class T>() {
    const Lines l(x, x.dim() == 0 ? 0 : dim);
    auto at = [&](int64_t o, int64_t r, int64_t j) { return (o * l.N + r) * l.inner + j; };
    for (int64_t o = 0; o < l.outer; ++o)
      for (int64_t j = 0; j < l.inner; ++j) {
        double m = -std::numeric_limits<double>::infinity(), s = 0;
        for (int64_t r = 0; r < l.N; ++r) m = std::max(m, double(x.data<T>()[offset_of(x, at(o, r, j))]));
        for (int64_t r = 0; r < l.N; ++r) s += std::exp(double(x.data<T>()[offset_of(x, at(o, r, j))]) - m);
        for (int64_t r = 0; r < l.N; ++r) {
          const double v = double(x.data<T>()[offset_of(x, at(o, r, j))]) - m;
          out.data<T>()[at(o, r, j)] = static_cast<T>(log ? v - std::log(s) : std::exp(v) / s);
        }
      }
  });
}

}  // namespace soma::kernels
