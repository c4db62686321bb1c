#pragma once
// Philox 4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011):
// a counter-based generator. philox(key, counter) is a pure function, so block i of a draw
// can be computed by any thread in any order.
//
// Word order follows the reference implementation (Random123): the 128-bit counter is
// {c0, c1, c2, c3} = {lo, lo >> 32, hi, hi >> 32} and the key {k0, k1} = {key, key >> 32}.
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>

namespace soma::kernels {

inline constexpr uint32_t kPhiloxM0 = 0xD2511F53u, kPhiloxM1 = 0xCD9E8D57u;
inline constexpr uint32_t kPhiloxW0 = 0x9E3779B9u, kPhiloxW1 = 0xBB67AE85u;

inline std::array<uint32_t, 4> philox(uint64_t key, uint64_t counter_hi, uint64_t counter_lo) {
  uint32_t k0 = static_cast<uint32_t>(key), k1 = static_cast<uint32_t>(key >> 32);
  uint32_t c0 = static_cast<uint32_t>(counter_lo), c1 = static_cast<uint32_t>(counter_lo >> 32);
  uint32_t c2 = static_cast<uint32_t>(counter_hi), c3 = static_cast<uint32_t>(counter_hi >> 32);
  for (int round = 0; round < 10; ++round) {
    uint64_t p0 = uint64_t{kPhiloxM0} * c0;
    uint64_t p1 = uint64_t{kPhiloxM1} * c2;
    uint32_t n0 = static_cast<uint32_t>(p1 >> 32) ^ c1 ^ k0;
    uint32_t n2 = static_cast<uint32_t>(p0 >> 32) ^ c3 ^ k1;
    c1 = static_cast<uint32_t>(p1);
    c3 = static_cast<uint32_t>(p0);
    c0 = n0;
    c2 = n2;
    k0 += kPhiloxW0;
    k1 += kPhiloxW1;
  }
  return {c0, c1, c2, c3};
}

// Philox blocks for counters (hi = 0, lo = first + i), i < n <= N, in structure-of-arrays
// form: w[k][i] is word k of block i. Same values as philox(); written lane-wise so that the
// compiler vectorizes it.
template <int N>
inline void philox_batch(uint64_t key, uint64_t first, int n, uint32_t (&w)[4][N]) {
  uint32_t* c0 = w[0];
  uint32_t* c1 = w[1];
  uint32_t* c2 = w[2];
  uint32_t* c3 = w[3];
  for (int i = 0; i < n; ++i) {
    uint64_t lo = first + static_cast<uint64_t>(i);
    c0[i] = static_cast<uint32_t>(lo);
    c1[i] = static_cast<uint32_t>(lo >> 32);
    c2[i] = 0;
    c3[i] = 0;
  }
  uint32_t k0 = static_cast<uint32_t>(key), k1 = static_cast<uint32_t>(key >> 32);
  for (int round = 0; round < 10; ++round) {
#pragma omp simd
    for (int i = 0; i < n; ++i) {
      uint64_t p0 = uint64_t{kPhiloxM0} * c0[i];
      uint64_t p1 = uint64_t{kPhiloxM1} * c2[i];
      uint32_t n0 = static_cast<uint32_t>(p1 >> 32) ^ c1[i] ^ k0;
      uint32_t n2 = static_cast<uint32_t>(p0 >> 32) ^ c3[i] ^ k1;
      c1[i] = static_cast<uint32_t>(p1);
      c3[i] = static_cast<uint32_t>(p0);
      c0[i] = n0;
      c2[i] = n2;
    }
    k0 += kPhiloxW0;
    k1 += kPhiloxW1;
  }
}

// Uniform in [0, 1) from the top `Bits` bits of x: 24 for float32, fewer for the half types so
// that the value is exact there and can never round up to 1.
template <int Bits = 24>
inline float uniform_float(uint32_t x) {
  return static_cast<float>(x >> (32 - Bits)) * (1.0f / static_cast<float>(1u << Bits));
}
// Uniform in [0, 1) from 53 random bits.
inline double uniform_double(uint32_t hi, uint32_t lo) {
  uint64_t v = (static_cast<uint64_t>(hi) << 32 | lo) >> 11;
  return static_cast<double>(v) * (1.0 / 9007199254740992.0);
}


// log(x) for normal x in (0, 1] (Cephes logf, about 1 ulp). Branch-free, so loops over it vectorize.
inline float log_unit(float x) {
  // x = m * 2^e with m in [sqrt(1/2), sqrt(2)), by integer arithmetic on the bits (as musl's logf).
  const uint32_t d = std::bit_cast<uint32_t>(x) - 0x3f3504f3u;
  const int e = static_cast<int32_t>(d) >> 23;
  const float f = std::bit_cast<float>((d & 0x7fffffu) + 0x3f3504f3u) - 1.0f;
  float z = f * f;
  float y = 7.0376836292e-2f;
  y = y * f - 1.1514610310e-1f;
  y = y * f + 1.1676998740e-1f;
  y = y * f - 1.2420140846e-1f;
  y = y * f + 1.4249322787e-1f;
  y = y * f - 1.6668057665e-1f;
  y = y * f + 2.0000714765e-1f;
  y = y * f - 2.4999993993e-1f;
  y = y * f + 3.3333331174e-1f;
  y = y * f * z;
  const float fe = static_cast<float>(e);
  y += -2.12194440e-4f * fe - 0.5f * z;
  return f + y + 0.693359375f * fe;
}

// sqrt(y) for y >= 0 without a libm call (whose errno path stops vectorization): the classic
// bit-level estimate of 1/sqrt(y), three Newton steps (to about 1 ulp), times y.
inline float sqrt_nonneg(float y) {
  float x = std::bit_cast<float>(0x5f375a86u - (std::bit_cast<uint32_t>(y) >> 1));
  for (int i = 0; i < 3; ++i) x = x * (1.5f - 0.5f * y * x * x);
  return y * x;
}

struct SinCos {
  float sin, cos;
};

// sin and cos of 2*pi*k/2^24 for k < 2^24 (Cephes sinf/cosf kernels after an exact integer
// reduction to [-pi/4, pi/4], about 1 ulp). Branch-free.
inline SinCos sincos_turns(uint32_t k) {
  const int32_t j = static_cast<int32_t>((k + (1u << 21)) >> 22);  // nearest quarter turn, 0..4
  const float a = static_cast<float>(static_cast<int32_t>(k) - (j << 22)) * (6.28318530717958648f / 16777216.0f);
  const float z = a * a;
  const float sa = a + a * z * ((-1.9515295891e-4f * z + 8.3321608736e-3f) * z - 1.6666654611e-1f);
  const float ca = 1.0f - 0.5f * z + z * z * ((2.443315711809948e-5f * z - 1.388731625493765e-3f) * z +
                                                4.166664568298827e-2f);
  const int32_t q = j & 3;  // rotate by q quarter turns
  const float sv = (q & 1) ? ca : sa, cv = (q & 1) ? sa : ca;
  return {(q & 2) ? -sv : sv, ((q + 1) & 2) ? -cv : cv};
}

}  // namespace soma::kernels
