#pragma once
// Random numbers from a counter-based generator (Philox 4x32-10): element i of a draw is a
// pure function of (seed, offset, i), so results are the same for any thread count, and a
// generator's state (seed, offset) can be saved and restored exactly.
#include <cstdint>

#include "soma/tensor.h"

namespace soma {

class Generator {
 public:
  explicit Generator(uint64_t seed = 0) : seed_(seed) {}
  void manual_seed(uint64_t seed) {
    seed_ = seed;
    offset_ = 0;
  }
  uint64_t seed() const { return seed_; }
  // Number of 128-bit Philox blocks consumed so far.
  uint64_t offset() const { return offset_; }
  void set_state(uint64_t seed, uint64_t offset) {
    seed_ = seed;
    offset_ = offset;
  }
  // Reserves `blocks` Philox blocks and returns the first one's counter.
  uint64_t advance(uint64_t blocks) {
    uint64_t o = offset_;
    offset_ += blocks;
    return o;
  }

 private:
  uint64_t seed_;
  uint64_t offset_ = 0;
};

// The process-wide default generator.
Generator& default_generator();
void manual_seed(uint64_t seed);

// Uniform [0, 1) (float16/bfloat16 draws use as many random bits as they hold, so they stay below 1).
Tensor rand(const Shape& shape, DType dtype = kFloat32, Generator* gen = nullptr);
// Standard normal (Box-Muller; both outputs of each pair are used).
Tensor randn(const Shape& shape, DType dtype = kFloat32, Generator* gen = nullptr);
// Integers uniform in [low, high); throws unless low < high and the range fits `dtype`.
Tensor randint(int64_t low, int64_t high, const Shape& shape, DType dtype = kInt64, Generator* gen = nullptr);
// 1 with probability p (elementwise, p in [0, 1]), else 0; same dtype as p. Not differentiable.
Tensor bernoulli(const Tensor& p, Generator* gen = nullptr);
Tensor bernoulli(const Shape& shape, double p, DType dtype = kFloat32, Generator* gen = nullptr);
// Draws `num_samples` category indices (int64) per row of a 1-D or 2-D tensor of unnormalized,
// finite, non-negative weights. Without replacement the indices of a row are distinct, in the
// order they were drawn; a row needs at least num_samples nonzero weights.
Tensor multinomial(const Tensor& probs, int64_t num_samples, bool replacement = false, Generator* gen = nullptr);
// A random permutation of 0..n-1 (int64).
Tensor randperm(int64_t n, Generator* gen = nullptr);
Tensor rand_like(const Tensor& t, Generator* gen = nullptr);
Tensor randn_like(const Tensor& t, Generator* gen = nullptr);
// In-place fills (no autograd), for initializers.
Tensor& uniform_(Tensor& t, double low = 0, double high = 1, Generator* gen = nullptr);
Tensor& normal_(Tensor& t, double mean = 0, double std = 1, Generator* gen = nullptr);

}  // namespace soma
