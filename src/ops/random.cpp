// Random tensors. Element i of every draw uses Philox block (seed, offset + i), so the values
// do not depend on thread count or chunking; each draw advances the generator by its size.
#include "soma/random.h"

#include <mutex>

#include "kernels/cpu/copy.h"
#include "kernels/cpu/philox.h"
#include "soma/creation.h"
#include "soma/parallel.h"

namespace soma {

namespace {

std::mutex default_mu;

Generator& pick(Generator* gen) { return gen ? *gen : default_generator(); }

uint64_t reserve(Generator* gen, uint64_t blocks) {
  if (gen) return gen->advance(blocks);
  std::lock_guard lock(default_mu);
  return default_generator().advance(blocks);
}

// Fills a contiguous tensor with value(i, block_i) for each element i.
template <class T, class F>
void fill_random(Tensor& t, Generator* gen, F value) {
  const int64_t n = t.numel();
  const uint64_t seed = pick(gen).seed();
  const uint64_t base = reserve(gen, static_cast<uint64_t>(n));
  T* p = static_cast<T*>(t.data_ptr());
#pragma omp parallel for schedule(static) if (n > 16384) num_threads(get_num_threads())
  for (int64_t i = 0; i < n; ++i) p[i] = value(kernels::philox(seed, 0, base + static_cast<uint64_t>(i)));
}

void check_float(DType dtype, const char* op) {
  SOMA_CHECK(is_floating(dtype), "{}: expected a floating-point dtype, got {}", op, dtype_name(dtype));
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
  Tensor t = empty(shape, kFloat64);
  fill_random<double>(t, gen, [](auto b) { return kernels::uniform_double(b[0], b[1]); });
  if (dtype == kFloat32) {  // keep float32 draws strictly below 1
    Tensor f = empty(shape, kFloat32);
    const double* s = static_cast<const double*>(t.data_ptr());
    float* d = static_cast<float*>(f.data_ptr());
    for (int64_t i = 0; i < t.numel(); ++i) d[i] = std::min(static_cast<float>(s[i]), 0x1.fffffep-1f);
    return f;
  }
  return dtype == kFloat64 ? t : t.to(dtype);
}

Tensor randn(const Shape& shape, DType dtype, Generator* gen) {
  check_float(dtype, "randn");
  Tensor t = empty(shape, kFloat64);
  fill_random<double>(t, gen, [](auto b) { return kernels::normal_from(b[0], b[1], b[2], b[3]); });
  return t.to(dtype);
}

Tensor rand_like(const Tensor& t, Generator* gen) { return rand(t.shape(), t.dtype(), gen); }
Tensor randn_like(const Tensor& t, Generator* gen) { return randn(t.shape(), t.dtype(), gen); }

Tensor& uniform_(Tensor& t, double low, double high, Generator* gen) {
  Tensor u = rand(t.shape(), kFloat64, gen);
  double* p = static_cast<double*>(u.data_ptr());
  for (int64_t i = 0; i < u.numel(); ++i) p[i] = low + (high - low) * p[i];
  kernels::copy(t, u);
  t.bump_version();
  return t;
}

Tensor& normal_(Tensor& t, double mean, double std, Generator* gen) {
  Tensor u = randn(t.shape(), kFloat64, gen);
  double* p = static_cast<double*>(u.data_ptr());
  for (int64_t i = 0; i < u.numel(); ++i) p[i] = mean + std * p[i];
  kernels::copy(t, u);
  t.bump_version();
  return t;
}

}  // namespace soma
