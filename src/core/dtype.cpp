#include "soma/dtype.h"

#include "soma/error.h"

namespace soma {

Half::Half(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  uint32_t sign = (x >> 16) & 0x8000u;
  uint32_t absx = x & 0x7fffffffu;
  if (absx >= 0x7f800000u) {  // inf or NaN
    bits = static_cast<uint16_t>(sign | 0x7c00u | (absx > 0x7f800000u ? 0x200u : 0u));
    return;
  }
  if (absx >= 0x477ff000u) {  // rounds to a value >= 65520: overflow to inf
    bits = static_cast<uint16_t>(sign | 0x7c00u);
    return;
  }
  if (absx < 0x38800000u) {  // subnormal half (or zero): add 0.5 to shift the mantissa, RNE by FPU
    float a;
    std::memcpy(&a, &absx, 4);
    a += 0.5f;
    uint32_t r;
    std::memcpy(&r, &a, 4);
    bits = static_cast<uint16_t>(sign | (r - 0x3f000000u));
    return;
  }
  uint32_t mant_odd = (absx >> 13) & 1u;
  absx += 0xc8000fffu + mant_odd;  // rebias exponent (-112 << 23) and round to nearest even
  bits = static_cast<uint16_t>(sign | (absx >> 13));
}

Half::operator float() const {
  uint32_t sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
  uint32_t exp = (bits >> 10) & 0x1fu;
  uint32_t mant = bits & 0x3ffu;
  uint32_t out;
  if (exp == 0) {
    if (mant == 0) {
      out = sign;
    } else {  // subnormal: normalize
      float f = static_cast<float>(mant) * 5.9604644775390625e-8f;  // 2^-24
      std::memcpy(&out, &f, 4);
      out |= sign;
    }
  } else if (exp == 31) {
    out = sign | 0x7f800000u | (mant << 13);
  } else {
    out = sign | ((exp + 112) << 23) | (mant << 13);
  }
  float f;
  std::memcpy(&f, &out, 4);
  return f;
}

std::string_view dtype_name(DType t) {
  switch (t) {
    case DType::Float32: return "float32";
    case DType::Float64: return "float64";
    case DType::BFloat16: return "bfloat16";
    case DType::Float16: return "float16";
    case DType::Int64: return "int64";
    case DType::Int32: return "int32";
    case DType::Int16: return "int16";
    case DType::Int8: return "int8";
    case DType::UInt8: return "uint8";
    case DType::Bool: return "bool";
  }
  return "?";
}

bool is_floating(DType t) {
  return t == DType::Float32 || t == DType::Float64 || t == DType::BFloat16 || t == DType::Float16;
}
bool is_integral(DType t) {
  return t == DType::Int64 || t == DType::Int32 || t == DType::Int16 || t == DType::Int8 || t == DType::UInt8;
}
bool is_half(DType t) { return t == DType::BFloat16 || t == DType::Float16; }
DType compute_dtype(DType t) { return is_half(t) ? DType::Float32 : t; }

namespace {
int category(DType t) { return t == DType::Bool ? 0 : is_integral(t) ? 1 : 2; }
}  // namespace

DType promote_types(DType a, DType b) {
  if (a == b) return a;
  int ca = category(a), cb = category(b);
  if (ca != cb) return ca > cb ? a : b;
  if (ca == 2) {
    if (a == DType::Float64 || b == DType::Float64) return DType::Float64;
    return DType::Float32;  // any two different float types below f64 meet in f32
  }
  // integers: widest wins; int8 with uint8 needs a signed type that holds both
  if (a == DType::Int64 || b == DType::Int64) return DType::Int64;
  if (a == DType::Int32 || b == DType::Int32) return DType::Int32;
  return DType::Int16;  // {int16, int8}, {int16, uint8} or {int8, uint8}
}

DType Scalar::natural_dtype() const {
  switch (kind_) {
    case Kind::Bool: return DType::Bool;
    case Kind::Int: return DType::Int64;
    case Kind::Float: return DType::Float32;
  }
  return DType::Float32;
}

DType promote_with_scalar(DType tensor, const Scalar& s) {
  int ct = category(tensor);
  int cs = s.kind() == Scalar::Kind::Bool ? 0 : s.kind() == Scalar::Kind::Int ? 1 : 2;
  if (cs <= ct) return tensor;
  return s.natural_dtype();
}

}  // namespace soma
