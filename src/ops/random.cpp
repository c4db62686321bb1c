// Random tensors. Every draw reserves a run of Philox blocks from its generator; output j is a
// pure function of (seed, first block + j / E) for a fixed number E of outputs per block, so
// the values do not depend on thread count or chunking. Nothing here records autograd.
#include "soma/random.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <mutex>
#include <numeric>

#include "kernels/cpu/copy.h"
#include "kernels/cpu/philox.h"
#include "ops/elementwise.h"
#include "ops/util.h"
#include "soma/creation.h"
#include "soma/parallel.h"

namespace soma {

namespace {

constexpr int kBatch = 64;              // Philox blocks generated at a time
using Words = uint32_t[4][kBatch];      // word k of block i is w[k][i]
constexpr int64_t kGrainBlocks = 8192;  // run on one thread below this many blocks

std::mutex default_mu;

struct Draw {
  uint64_t seed, first;
};

// Reserves `blocks` Philox blocks from `gen` (the default generator when null).
Draw reserve(Generator* gen, uint64_t blocks) {
  if (gen) return {gen->seed(), gen->advance(blocks)};
  std::lock_guard lock(default_mu);
  Generator& g = default_generator();
  return {g.seed(), g.advance(blocks)};
}

// Writes out[0, n) where outputs [E*b, E*b + E) come from block b of the draw:
// kernel(words, nb, dst, j) fills dst[0, E*nb) from nb blocks, dst[0] being output j.
template <int E, class T, class Kernel>
void generate(T* out, int64_t n, Draw d, Kernel kernel) {
  const int64_t nblocks = (n + E - 1) / E;
  auto run = [&](int64_t b0, int64_t b1) {
    alignas(64) Words w;
    T tail[E * kBatch];
    for (int64_t b = b0; b < b1; b += kBatch) {
      const int nb = static_cast<int>(std::min<int64_t>(kBatch, b1 - b));
      kernels::philox_batch(d.seed, d.first + b, nb, w);
      const int64_t j = b * E, count = std::min<int64_t>(nb * E, n - j);
      if (count == nb * E) {
        kernel(w, nb, out + j, j);
      } else {
        kernel(w, nb, tail, j);
        std::copy_n(tail, count, out + j);
      }
    }
  };
  const int threads = get_num_threads();
  if (nblocks < kGrainBlocks || threads <= 1) return run(0, nblocks);
  const int64_t per = (nblocks / threads + kBatch) / kBatch * kBatch;  // whole batches per thread
#pragma omp parallel for schedule(static) num_threads(threads)
  for (int t = 0; t < threads; ++t) run(std::min(nblocks, t * per), std::min(nblocks, (t + 1) * per));
}

// Reserves the blocks for n outputs at E per block, then generates them.
template <int E, class T, class Kernel>
void draw(T* out, int64_t n, Generator* gen, Kernel kernel) {
  generate<E>(out, n, reserve(gen, static_cast<uint64_t>((n + E - 1) / E)), kernel);
}

// ---- kernels: Philox words -> values -------------------------------------------------------------

// Uniform floats with `Bits` random bits, four per block.
template <int Bits>
void uniform_f32(const Words& w, int nb, float* dst, int64_t) {
#pragma omp simd
  for (int i = 0; i < nb; ++i)
    for (int k = 0; k < 4; ++k) dst[4 * i + k] = kernels::uniform_float<Bits>(w[k][i]);
}

void uniform_f64(const Words& w, int nb, double* dst, int64_t) {
  for (int i = 0; i < nb; ++i) {
    dst[2 * i] = kernels::uniform_double(w[0][i], w[1][i]);
    dst[2 * i + 1] = kernels::uniform_double(w[2][i], w[3][i]);
  }
}

// Box-Muller: two normals from each pair of words, four per block.
void normal_f32(const Words& w, int nb, float* dst, int64_t) {
  for (int h = 0; h < 2; ++h) {
    const uint32_t* a = w[2 * h];
    const uint32_t* b = w[2 * h + 1];
#pragma omp simd
    for (int i = 0; i < nb; ++i) {
      const float u1 = static_cast<float>((a[i] >> 8) + 1) * (1.0f / 16777216.0f);  // (0, 1]
      const float r = kernels::sqrt_nonneg(-2.0f * kernels::log_unit(u1));
      const kernels::SinCos t = kernels::sincos_turns(b[i] >> 8);
      dst[4 * i + 2 * h] = r * t.cos;
      dst[4 * i + 2 * h + 1] = r * t.sin;
    }
  }
}

void normal_f64(const Words& w, int nb, double* dst, int64_t) {
  for (int i = 0; i < nb; ++i) {
    const double u1 = 1.0 - kernels::uniform_double(w[0][i], w[1][i]);  // (0, 1]
    const double r = std::sqrt(-2.0 * std::log(u1));
    const double t = 6.283185307179586 * kernels::uniform_double(w[2][i], w[3][i]);
    dst[2 * i] = r * std::cos(t);
    dst[2 * i + 1] = r * std::sin(t);
  }
}

// 64 random bits per output, two per block.
void bits64(const Words& w, int nb, uint64_t* dst, int64_t) {
  for (int i = 0; i < nb; ++i) {
    dst[2 * i] = uint64_t{w[0][i]} << 32 | w[1][i];
    dst[2 * i + 1] = uint64_t{w[2][i]} << 32 | w[3][i];
  }
}

// Uniform in [0, range) from 64 random bits (Lemire's multiply-shift; bias below range / 2^64).
inline uint64_t below(uint64_t bits, uint64_t range) {
  return static_cast<uint64_t>((static_cast<unsigned __int128>(bits) * range) >> 64);
}

std::vector<uint64_t> random_bits(int64_t n, Generator* gen) {
  std::vector<uint64_t> v(n);
  draw<2>(v.data(), n, gen, bits64);
  return v;
}

void check_float(DType dtype, const char* op) {
  SOMA_CHECK(is_floating(dtype), "{}: expected a floating-point dtype, got {}", op, dtype_name(dtype));
}

// A float32 tensor of uniform [0, 1) values with as many random bits as `dtype` can hold exactly.
Tensor rand_f32(const Shape& shape, DType dtype, Generator* gen) {
  Tensor t = empty(shape, kFloat32);
  float* p = t.data<float>();
  if (dtype == kFloat16)
    draw<4>(p, t.numel(), gen, uniform_f32<11>);
  else if (dtype == kBFloat16)
    draw<4>(p, t.numel(), gen, uniform_f32<8>);
  else
    draw<4>(p, t.numel(), gen, uniform_f32<24>);
  return t;
}

}  // namespace

Generator& default_generator() {
  static Generator gen(0);
  return gen;
}

void manual_seed(uint64_t seed) {
  std::lock_guard lock(default_mu);
  default_generator().manual_seed(seed);
}

Tensor rand(const Shape& shape, DType dtype, Generator* gen) {
  check_float(dtype, "rand");
  if (dtype == kFloat64) {
    Tensor t = empty(shape, kFloat64);
    draw<2>(t.data<double>(), t.numel(), gen, uniform_f64);
    return t;
  }
  return ops::cast(rand_f32(shape, dtype, gen), dtype);
}

Tensor randn(const Shape& shape, DType dtype, Generator* gen) {
  check_float(dtype, "randn");
  if (dtype == kFloat64) {
    Tensor t = empty(shape, kFloat64);
    draw<2>(t.data<double>(), t.numel(), gen, normal_f64);
    return t;
  }
  Tensor t = empty(shape, kFloat32);
  draw<4>(t.data<float>(), t.numel(), gen, normal_f32);
  return ops::cast(t, dtype);
}

Tensor rand_like(const Tensor& t, Generator* gen) { return rand(t.shape(), t.dtype(), gen); }
Tensor randn_like(const Tensor& t, Generator* gen) { return randn(t.shape(), t.dtype(), gen); }

Tensor randint(int64_t low, int64_t high, const Shape& shape, DType dtype, Generator* gen) {
  SOMA_CHECK(low < high, "randint: expected low < high, got low={}, high={}", low, high);
  if (dtype != kInt64 && !is_floating(dtype)) {
    auto [lo, hi] = dispatch(dtype, [&]<class T>() -> std::pair<int64_t, int64_t> {
      return {std::numeric_limits<T>::min(), std::numeric_limits<T>::max()};
    });
    SOMA_CHECK(low >= lo && high - 1 <= hi, "randint: [{}, {}) does not fit dtype {} (range {} to {})", low, high,
               dtype_name(dtype), lo, hi);
  }
  Tensor t = empty(shape, kInt64);
  const uint64_t range = static_cast<uint64_t>(high) - static_cast<uint64_t>(low);
  draw<2>(t.data<int64_t>(), t.numel(), gen, [low, range](const Words& w, int nb, int64_t* dst, int64_t) {
    uint64_t bits[2 * kBatch];
    bits64(w, nb, bits, 0);
    for (int i = 0; i < 2 * nb; ++i) dst[i] = static_cast<int64_t>(static_cast<uint64_t>(low) + below(bits[i], range));
  });
  return ops::cast(t, dtype);
}

namespace {
// 1.0 where a uniform [0, 1) draw (32 bits) falls below p(j), else 0.0.
template <class P>
Tensor bernoulli_draw(const Shape& shape, Generator* gen, P p) {
  Tensor t = empty(shape, kFloat64);
  draw<4>(t.data<double>(), t.numel(), gen, [&](const Words& w, int nb, double* dst, int64_t j) {
    for (int i = 0; i < nb; ++i)
      for (int k = 0; k < 4; ++k) dst[4 * i + k] = static_cast<double>(w[k][i]) * 0x1p-32 < p(j + 4 * i + k);
  });
  return t;
}
}  // namespace

Tensor bernoulli(const Tensor& p, Generator* gen) {
  SOMA_CHECK(p.is_floating_point(), "bernoulli: expected a floating-point tensor of probabilities, got dtype {}",
             dtype_name(p.dtype()));
  Tensor pd = empty(p.shape(), kFloat64);
  kernels::copy(pd, p);
  const double* pp = pd.data<double>();
  const int64_t n = pd.numel();
  for (int64_t i = 0; i < n; ++i)
    SOMA_CHECK(pp[i] >= 0 && pp[i] <= 1, "bernoulli: probabilities must be in [0, 1], got {} (shape {})", pp[i],
               p.shape());
  return ops::cast(bernoulli_draw(p.shape(), gen, [pp, n](int64_t j) { return j < n ? pp[j] : 0.0; }), p.dtype());
}

Tensor bernoulli(const Shape& shape, double p, DType dtype, Generator* gen) {
  SOMA_CHECK(p >= 0 && p <= 1, "bernoulli: probability must be in [0, 1], got {}", p);
  return ops::cast(bernoulli_draw(shape, gen, [p](int64_t) { return p; }), dtype);
}

Tensor multinomial(const Tensor& probs, int64_t num_samples, bool replacement, Generator* gen) {
  SOMA_CHECK(probs.dim() == 1 || probs.dim() == 2, "multinomial: expected a 1-D or 2-D tensor of weights, got shape {}",
             probs.shape());
  SOMA_CHECK(probs.is_floating_point(), "multinomial: expected floating-point weights, got dtype {}",
             dtype_name(probs.dtype()));
  const int64_t k = probs.size(-1);
  const int64_t rows = probs.dim() == 2 ? probs.size(0) : 1;
  SOMA_CHECK(k > 0, "multinomial: the weights (shape {}) have no categories", probs.shape());
  SOMA_CHECK(num_samples > 0, "multinomial: num_samples must be positive, got {}", num_samples);
  SOMA_CHECK(replacement || num_samples <= k,
             "multinomial: cannot draw {} samples without replacement from {} categories", num_samples, k);
  Tensor w = empty(probs.shape(), kFloat64);
  kernels::copy(w, probs);
  const double* wp = w.data<double>();
  for (int64_t r = 0; r < rows; ++r) {
    double total = 0;
    int64_t positive = 0;
    for (int64_t c = 0; c < k; ++c) {
      const double v = wp[r * k + c];
      SOMA_CHECK(std::isfinite(v) && v >= 0, "multinomial: row {} has an invalid weight {} (weights must be finite "
                 "and non-negative)", r, v);
      total += v;
      positive += v > 0;
    }
    SOMA_CHECK(total > 0, "multinomial: row {} has all-zero weights", r);
    SOMA_CHECK(replacement || positive >= num_samples,
               "multinomial: row {} has only {} nonzero weights, too few to draw {} samples without replacement", r,
               positive, num_samples);
  }
  Shape out_shape = probs.dim() == 2 ? Shape{rows, num_samples} : Shape{num_samples};
  Tensor out = empty(out_shape, kInt64);
  int64_t* o = out.data<int64_t>();
  // Uniform draws: one per sample (with replacement) or one per category (without).
  const int64_t per_row = replacement ? num_samples : k;
  std::vector<double> u(rows * per_row);
  draw<2>(u.data(), rows * per_row, gen, uniform_f64);
  const bool parallel = rows * per_row * (replacement ? 1 : 8) > 32768 && rows > 1;
#pragma omp parallel for schedule(static) if (parallel) num_threads(get_num_threads())
  for (int64_t r = 0; r < rows; ++r) {
    const double* wr = wp + r * k;
    const double* ur = u.data() + r * per_row;
    int64_t* orow = o + r * num_samples;
    if (replacement) {  // inverse CDF: the first category whose cumulative weight exceeds u * total
      std::vector<double> cdf(k);
      std::partial_sum(wr, wr + k, cdf.begin());
      int64_t last = k - 1;
      while (wr[last] == 0) --last;
      for (int64_t s = 0; s < num_samples; ++s) {
        int64_t c = std::upper_bound(cdf.begin(), cdf.end(), ur[s] * cdf[k - 1]) - cdf.begin();
        orow[s] = std::min(c, last);
      }
    } else {  // exponential races (Efraimidis-Spirakis): the smallest Exp(1) / w come first
      std::vector<std::pair<double, int64_t>> keys(k);
      for (int64_t c = 0; c < k; ++c)
        keys[c] = {wr[c] > 0 ? -std::log1p(-ur[c]) / wr[c] : std::numeric_limits<double>::infinity(), c};
      std::partial_sort(keys.begin(), keys.begin() + num_samples, keys.end());
      for (int64_t s = 0; s < num_samples; ++s) orow[s] = keys[s].second;
    }
  }
  return out;
}

Tensor randperm(int64_t n, Generator* gen) {
  SOMA_CHECK(n >= 0, "randperm: n must be non-negative, got {}", n);
  Tensor t = empty({n}, kInt64);
  int64_t* p = t.data<int64_t>();
  std::iota(p, p + n, int64_t{0});
  // Fisher-Yates: step i swaps element i with a uniform pick from [0, i].
  std::vector<uint64_t> bits = random_bits(n, gen);
  for (int64_t i = n - 1; i > 0; --i) std::swap(p[i], p[below(bits[i], static_cast<uint64_t>(i) + 1)]);
  return t;
}

Tensor& uniform_(Tensor& t, double low, double high, Generator* gen) {
  check_float(t.dtype(), "uniform_");
  SOMA_CHECK(low <= high, "uniform_: expected low <= high, got low={}, high={}", low, high);
  Tensor u = t.dtype() == kFloat64 ? rand(t.shape(), kFloat64, gen) : rand_f32(t.shape(), t.dtype(), gen);
  dispatch_float(u.dtype(), [&]<class T>() {
    T* p = u.data<T>();
    const T lo = static_cast<T>(low), span = static_cast<T>(high - low);
    for (int64_t i = 0; i < u.numel(); ++i) p[i] = lo + span * p[i];
  });
  return ops::apply_inplace(
      t, "uniform_", false, [&] { kernels::copy(t, u); }, [&] { return ops::overwritten("uniform_", t, u); });
}

Tensor& normal_(Tensor& t, double mean, double std, Generator* gen) {
  check_float(t.dtype(), "normal_");
  SOMA_CHECK(std >= 0, "normal_: expected std >= 0, got {}", std);
  Tensor u = randn(t.shape(), t.dtype() == kFloat64 ? kFloat64 : kFloat32, gen);
  dispatch_float(u.dtype(), [&]<class T>() {
    T* p = u.data<T>();
    const T m = static_cast<T>(mean), s = static_cast<T>(std);
    for (int64_t i = 0; i < u.numel(); ++i) p[i] = m + s * p[i];
  });
  return ops::apply_inplace(
      t, "normal_", false, [&] { kernels::copy(t, u); }, [&] { return ops::overwritten("normal_", t, u); });
}

}  // namespace soma
