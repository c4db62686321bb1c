#pragma once
// Element types. Arithmetic runs in float32/float64 and in the integer types; float16 and
// bfloat16 are storage types: kernels convert them to float32 on load and back on store.
//
// Type promotion (the dtype of `a op b`), as in PyTorch:
//   - categories rank bool < integer < floating;
//   - two tensors of the same category give the wider type (int8+uint8 -> int16, the
//     narrowest signed type that holds both; float16+bfloat16 -> float32);
//   - a scalar, or a 0-d tensor, takes part only when its category is higher than the
//     tensor's: int tensor + 2.5 -> float32, float16 tensor + 2.5 -> float16,
//     int32 tensor + 2 -> int32, bool tensor + 2 -> int64.
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

namespace soma {

enum class DType : uint8_t { Float32, Float64, BFloat16, Float16, Int64, Int32, Int16, Int8, UInt8, Bool };

inline constexpr DType kFloat32 = DType::Float32;
inline constexpr DType kFloat64 = DType::Float64;
inline constexpr DType kBFloat16 = DType::BFloat16;
inline constexpr DType kFloat16 = DType::Float16;
inline constexpr DType kInt64 = DType::Int64;
inline constexpr DType kInt32 = DType::Int32;
inline constexpr DType kInt16 = DType::Int16;
inline constexpr DType kInt8 = DType::Int8;
inline constexpr DType kUInt8 = DType::UInt8;
inline constexpr DType kBool = DType::Bool;

// IEEE half precision, storage only.
struct Half {
  uint16_t bits = 0;
  Half() = default;
  Half(float f);  // round to nearest even
  operator float() const;
};

// bfloat16 (the top half of a float32), storage only.
struct BFloat16 {
  uint16_t bits = 0;
  BFloat16() = default;
  BFloat16(float f) {
    uint32_t u;
    std::memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) {  // NaN stays a quiet NaN
      bits = static_cast<uint16_t>((u >> 16) | 0x40);
    } else {
      u += 0x7fffu + ((u >> 16) & 1u);  // round to nearest even
      bits = static_cast<uint16_t>(u >> 16);
    }
  }
  operator float() const {
    uint32_t u = static_cast<uint32_t>(bits) << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
  }
};

inline constexpr size_t dtype_size(DType t) {
  switch (t) {
    case DType::Float64:
    case DType::Int64: return 8;
    case DType::Float32:
    case DType::Int32: return 4;
    case DType::BFloat16:
    case DType::Float16:
    case DType::Int16: return 2;
    default: return 1;
  }
}
std::string_view dtype_name(DType t);  // "float32", ...
bool is_floating(DType t);             // f32, f64, bf16, f16
bool is_integral(DType t);             // i64, i32, i16, i8, u8 (not bool)
bool is_half(DType t);                 // bf16, f16
// The type kernels compute in: float32 for the half types, the type itself otherwise.
DType compute_dtype(DType t);
DType promote_types(DType a, DType b);

template <class T> struct dtype_of;
template <> struct dtype_of<float> { static constexpr DType value = kFloat32; };
template <> struct dtype_of<double> { static constexpr DType value = kFloat64; };
template <> struct dtype_of<BFloat16> { static constexpr DType value = kBFloat16; };
template <> struct dtype_of<Half> { static constexpr DType value = kFloat16; };
template <> struct dtype_of<int64_t> { static constexpr DType value = kInt64; };
template <> struct dtype_of<int32_t> { static constexpr DType value = kInt32; };
template <> struct dtype_of<int16_t> { static constexpr DType value = kInt16; };
template <> struct dtype_of<int8_t> { static constexpr DType value = kInt8; };
template <> struct dtype_of<uint8_t> { static constexpr DType value = kUInt8; };
template <> struct dtype_of<bool> { static constexpr DType value = kBool; };
template <class T> inline constexpr DType dtype_v = dtype_of<T>::value;

// Calls f.template operator()<T>() with T the C++ type of `t`.
//   dispatch(t, [&]<class T>() { ... });
template <class F>
decltype(auto) dispatch(DType t, F&& f) {
  switch (t) {
    case DType::Float32: return f.template operator()<float>();
    case DType::Float64: return f.template operator()<double>();
    case DType::BFloat16: return f.template operator()<BFloat16>();
    case DType::Float16: return f.template operator()<Half>();
    case DType::Int64: return f.template operator()<int64_t>();
    case DType::Int32: return f.template operator()<int32_t>();
    case DType::Int16: return f.template operator()<int16_t>();
    case DType::Int8: return f.template operator()<int8_t>();
    case DType::UInt8: return f.template operator()<uint8_t>();
    case DType::Bool: return f.template operator()<bool>();
  }
  __builtin_unreachable();
}

// Like dispatch, for the types kernels compute in (no half types).
template <class F>
decltype(auto) dispatch_compute(DType t, F&& f) {
  switch (t) {
    case DType::Float32: return f.template operator()<float>();
    case DType::Float64: return f.template operator()<double>();
    case DType::Int64: return f.template operator()<int64_t>();
    case DType::Int32: return f.template operator()<int32_t>();
    case DType::Int16: return f.template operator()<int16_t>();
    case DType::Int8: return f.template operator()<int8_t>();
    case DType::UInt8: return f.template operator()<uint8_t>();
    case DType::Bool: return f.template operator()<bool>();
    default: break;
  }
  __builtin_unreachable();
}

// Like dispatch, for float32 and float64 only.
template <class F>
decltype(auto) dispatch_float(DType t, F&& f) {
  if (t == DType::Float64) return f.template operator()<double>();
  return f.template operator()<float>();
}

// A number given where a tensor could be: `x + 2`, `full(shape, 0.5)`. Remembers whether it
// was written as a bool, an integer or a floating-point value (this drives type promotion).
class Scalar {
 public:
  enum class Kind : uint8_t { Bool, Int, Float };
  Scalar(double v) : d_(v), kind_(Kind::Float) {}
  Scalar(float v) : d_(v), kind_(Kind::Float) {}
  Scalar(bool v) : i_(v), kind_(Kind::Bool) {}
  template <class I>
    requires(std::is_integral_v<I> && !std::is_same_v<I, bool>)
  Scalar(I v) : i_(static_cast<int64_t>(v)), kind_(Kind::Int) {}

  Kind kind() const { return kind_; }
  bool is_floating() const { return kind_ == Kind::Float; }
  double to_double() const { return kind_ == Kind::Float ? d_ : static_cast<double>(i_); }
  int64_t to_int() const { return kind_ == Kind::Float ? static_cast<int64_t>(d_) : i_; }
  template <class T> T to() const {
    if constexpr (std::is_floating_point_v<T>)
      return static_cast<T>(to_double());
    else if constexpr (std::is_same_v<T, Half> || std::is_same_v<T, BFloat16>)
      return T(static_cast<float>(to_double()));
    else if constexpr (std::is_same_v<T, bool>)
      return to_double() != 0;
    else
      return static_cast<T>(to_int());
  }
  // The dtype a scalar has on its own: float32 (the default float type), int64 or bool.
  DType natural_dtype() const;

 private:
  double d_ = 0;
  int64_t i_ = 0;
  Kind kind_;
};

// The result type of `tensor op scalar` (see the rules at the top of this file).
DType promote_with_scalar(DType tensor, const Scalar& s);

}  // namespace soma
