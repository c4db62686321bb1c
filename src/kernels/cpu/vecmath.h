#pragma once
// Branch-free float32 exp, expm1, log, log1p, tanh, sigmoid and erf that g++ -O3 vectorizes
// when they are called in a loop (std::exp and friends are opaque library calls that never
// vectorize without -ffast-math). Each is a Cephes-style range reduction plus a polynomial;
// edge cases are handled with selects, not branches. Accuracy against the correctly rounded
// result (checked by tests/ops/test_math_vecmath.cpp over dense sweeps): below 1.5 ulp for
// exp, expm1, log and tanh, below 2.5 ulp for log1p, sigmoid and erf, with IEEE behaviour at the edges
// (overflow to inf, gradual underflow, NaN in -> NaN out, signed zeros kept).
#include <bit>
#include <cstdint>
#include <limits>

namespace soma::kernels::vec {

// a * b + c, fused where the target has FMA (a library call otherwise, which would not vectorize).
[[gnu::always_inline]] inline float fmadd(float a, float b, float c) {
#ifdef __FMA__
  return __builtin_fmaf(a, b, c);
#else
  return a * b + c;
#endif
}

[[gnu::always_inline]] inline float abs_bits(float x) { return std::bit_cast<float>(std::bit_cast<uint32_t>(x) & 0x7fffffffu); }
// |magnitude| with the sign of `sign`.
[[gnu::always_inline]] inline float with_sign(float magnitude, float sign) {
  return std::bit_cast<float>(std::bit_cast<uint32_t>(magnitude) | (std::bit_cast<uint32_t>(sign) & 0x80000000u));
}
// c ? a : b on the bits: a plain select between computed values lets g++ sink the computation
// of the unused one into a branch, and a loop with branches does not vectorize.
[[gnu::always_inline]] inline float blend(bool c, float a, float b) {
  const uint32_t m = 0u - static_cast<uint32_t>(c);
  return std::bit_cast<float>((std::bit_cast<uint32_t>(a) & m) | (std::bit_cast<uint32_t>(b) & ~m));
}
// 2^k for -126 <= k <= 127.
[[gnu::always_inline]] inline float pow2i(int32_t k) { return std::bit_cast<float>(static_cast<uint32_t>(k + 127) << 23); }

inline constexpr float kInf = std::numeric_limits<float>::infinity();
inline constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
inline constexpr float kLog2e = 1.44269504088896341f;
inline constexpr float kLn2Hi = 0.693359375f;       // ln 2 = kLn2Hi + kLn2Lo; kLn2Hi * n is exact
inline constexpr float kLn2Lo = -2.12194440e-4f;
inline constexpr float kRound = 0x1.8p23f;  // x + kRound - kRound rounds x to an integer (|x| < 2^22)

// Splits x = n ln2 + r with |r| <= ln2 / 2; returns r and sets k = n.
[[gnu::always_inline]] inline float reduce_ln2(float x, int32_t& k) {
  const float t = fmadd(x, kLog2e, kRound);
  const float n = t - kRound;
  k = static_cast<int32_t>(std::bit_cast<uint32_t>(t) - std::bit_cast<uint32_t>(kRound));
  return fmadd(n, -kLn2Lo, fmadd(n, -kLn2Hi, x));
}

// e^r - 1 - r for |r| <= ln2 / 2 (degree-6 minimax, relative error < 1e-8 of the full e^r - 1).
[[gnu::always_inline]] inline float expm1_tail(float r) {
  float q = fmadd(1.9890743715e-4f, r, 1.3926178217e-3f);
  q = fmadd(q, r, 8.3333114162e-3f);
  q = fmadd(q, r, 4.1666556150e-2f);
  q = fmadd(q, r, 1.6666667163e-1f);
  q = fmadd(q, r, 0.5f);
  return q * (r * r);
}

[[gnu::always_inline]] inline float exp(float x) {
  // Outside [-104, 89] the result is 0 or inf anyway; clamping keeps the exponent arithmetic
  // in range (NaN passes the clamp unchanged and propagates).
  const float xc = x < -104.0f ? -104.0f : (x > 89.0f ? 89.0f : x);
  int32_t k;
  const float r = reduce_ln2(xc, k);
  float p = fmadd(1.9875691500e-4f, r, 1.3981999507e-3f);  // Cephes expf
  p = fmadd(p, r, 8.3334519073e-3f);
  p = fmadd(p, r, 4.1665795894e-2f);
  p = fmadd(p, r, 1.6666665459e-1f);
  p = fmadd(p, r, 5.0000001201e-1f);
  p = fmadd(p, r * r, r) + 1.0f;
  // Scale by 2^k in two halves so that k in [-150, 129] neither overflows the exponent field
  // nor loses subnormal results (the last product rounds once).
  const int32_t k1 = k >> 1;
  return p * pow2i(k1) * pow2i(k - k1);
}

[[gnu::always_inline]] inline float expm1(float x) {
  const float xc = x < -18.0f ? -18.0f : (x > 88.8f ? 88.8f : x);  // e^-18 < 2^-25: rounds to -1
  int32_t k;
  const float r = reduce_ln2(xc, k);
  const float p = r + expm1_tail(r);  // e^r - 1
  // e^x - 1 = 2^k (p + 1) - 1 = 2 (s p + (s - 1/2)) with s = 2^(k-1), finite up to k = 128.
  const float s = pow2i(k - 1);
  const float y = 2.0f * fmadd(s, p, s - 0.5f);
  return abs_bits(x) < 0x1p-25f ? x : y;  // tiny x (and +-0): e^x - 1 rounds to x
}

[[gnu::always_inline]] inline float log(float x) {
  // x = 2^e (1 + m) with 1 + m in [sqrt(1/2), sqrt(2)); subnormals are scaled up by 2^23
  // first. Everything data-dependent is integer bit arithmetic: g++ turns selects between FP
  // operations into branches, which stops vectorization.
  const uint32_t ux = std::bit_cast<uint32_t>(x);
  const uint32_t subnormal = 0u - static_cast<uint32_t>(ux < 0x00800000u);  // all ones or zero
  const uint32_t u = std::bit_cast<uint32_t>(x * std::bit_cast<float>(0x3f800000u + (subnormal & (23u << 23))));
  const uint32_t mant = u & 0x007fffffu;
  const uint32_t low = mant < 0x003504f3u;  // mantissa below sqrt(2): use [sqrt(1/2), 1)
  const float m = std::bit_cast<float>(mant | (0x3f000000u + (low << 23))) - 1.0f;
  const int32_t e = static_cast<int32_t>(u >> 23) - 126 - static_cast<int32_t>((subnormal & 23u) + low);
  const float fe = static_cast<float>(e);
  const float z = m * m;
  float p = fmadd(7.0376836292e-2f, m, -1.1514610310e-1f);  // Cephes logf
  p = fmadd(p, m, 1.1676998740e-1f);
  p = fmadd(p, m, -1.2420140846e-1f);
  p = fmadd(p, m, 1.4249322787e-1f);
  p = fmadd(p, m, -1.6668057665e-1f);
  p = fmadd(p, m, 2.0000714765e-1f);
  p = fmadd(p, m, -2.4999993993e-1f);
  p = fmadd(p, m, 3.3333331174e-1f);
  float y = fmadd(fe, kLn2Lo, p * m * z);
  y = fmadd(-0.5f, z, y);
  y = fmadd(fe, kLn2Hi, m + y);
  // Edge cases by addition (y is finite there): selecting would let g++ sink y into a branch.
  const float edge = (ux << 1) == 0 ? -kInf : ux == 0x7f800000u ? kInf : ux > 0x7f800000u ? kNaN : 0.0f;
  return y + edge;  // -inf at +-0, inf at inf, NaN at NaN and negative x
}

[[gnu::always_inline]] inline float log1p(float x) {
  // log(u) * x / (u - 1) with u = 1 + x cancels the rounding error of u (Goldberg's trick).
  const float u = 1.0f + x;
  const float y = log(u) * (x / (u - 1.0f));
  return blend(u == 1.0f || x == kInf, x, y);
}

[[gnu::always_inline]] inline float tanh(float x) {
  const float a = abs_bits(x);
  const float z = x * x;
  float p = fmadd(-5.70498872745e-3f, z, 2.06390887954e-2f);  // Cephes tanhf, |x| < 0.625
  p = fmadd(p, z, -5.37397155531e-2f);
  p = fmadd(p, z, 1.33314422036e-1f);
  p = fmadd(p, z, -3.33332819422e-1f);
  const float small = with_sign(fmadd(p * z, x, x), x);  // keeps tanh(-0) = -0
  // tanh a = 1 - 2 / (e^2a + 1); e^2a = inf gives exactly 1.
  const float large = with_sign(1.0f - 2.0f / (exp(a + a) + 1.0f), x);
  return a < 0.625f ? small : large;
}

[[gnu::always_inline]] inline float sigmoid(float x) {
  // With e = e^-|x| <= 1 nothing overflows: 1 / (1 + e) for x >= 0, e / (1 + e) below.
  const float e = exp(-abs_bits(x));
  return (x >= 0.0f ? 1.0f : e) / (1.0f + e);
}

[[gnu::always_inline]] inline float erf(float x) {
  const float a = abs_bits(x);
  const float s = x * x;
  // |x| < 0.921875: erf x = x P(x^2).
  float p = fmadd(8.365006215e-5f, s, -8.141392027e-4f);
  p = fmadd(p, s, 5.200905260e-3f);
  p = fmadd(p, s, -2.685934119e-2f);
  p = fmadd(p, s, 1.128369421e-1f);
  p = fmadd(p, s, -3.761263490e-1f);
  p = fmadd(p, s, 1.128379226e+0f);
  const float small = x * p;
  // Above: erf |x| = 1 - e^Q(|x|), Q fitted to log erfc on [0.921875, 4]; erfc 4 < 2^-25.
  const float t = a > 4.0f ? 4.0f : a;
  float q = fmadd(1.613101858e-6f, t, -4.557118518e-5f);
  q = fmadd(q, t, 5.926017184e-4f);
  q = fmadd(q, t, -4.739417695e-3f);
  q = fmadd(q, t, 2.636238001e-2f);
  q = fmadd(q, t, -1.099740490e-1f);
  q = fmadd(q, t, -6.319416166e-1f);
  q = fmadd(q, t, -1.130164027e+0f);
  q = fmadd(q, t, 3.025418264e-4f);
  const float large = with_sign(1.0f - exp(q), x);
  return a < 0.921875f ? small : large;
}

}  // namespace soma::kernels::vec
