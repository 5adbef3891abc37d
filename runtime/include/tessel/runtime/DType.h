// Element types of Tessel: integers of 1..32 bits and floating-point formats of any
// exponent/mantissa split up to 8 bits, plus the standard 16- and 32-bit floats.
//
// This is the one description of a number type that both the compiler and the runtime
// use (the compiler maps MLIR types onto it; the bytecode stores it). It is plain C++
// with no dependency, so it can be embedded anywhere.
#ifndef TESSEL_RUNTIME_DTYPE_H
#define TESSEL_RUNTIME_DTYPE_H

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tessel::vm {

/// How a float format spends its special codes.
enum class NanEncoding : uint8_t {
  /// Every code is a finite number: no inf, no NaN (f4E2M1FN, f6E2M3FN, f6E3M2FN and the
  /// lowp `eXmY` formats).
  kNone,
  /// IEEE 754: an all-ones exponent is inf (mantissa 0) or NaN (f16, bf16, f32, f8E5M2,
  /// f8E4M3, f8E3M4).
  kIeee,
  /// Only S.1..1.1..1 is NaN; no inf; the rest of the all-ones exponent is finite
  /// (f8E4M3FN).
  kAllOnes,
  /// The code of negative zero is the only NaN; no inf and no -0 (the FNUZ formats).
  kNegativeZero,
};

/// A binary floating-point format with one sign bit.
struct FloatFormat {
  uint8_t exponentBits = 0;
  uint8_t mantissaBits = 0;
  int32_t bias = 0;
  NanEncoding nan = NanEncoding::kNone;

  unsigned bits() const { return 1u + exponentBits + mantissaBits; }
  bool hasInf() const { return nan == NanEncoding::kIeee; }
  bool hasNan() const { return nan != NanEncoding::kNone; }
  friend bool operator==(const FloatFormat &a, const FloatFormat &b) {
    return a.exponentBits == b.exponentBits && a.mantissaBits == b.mantissaBits &&
           a.bias == b.bias && a.nan == b.nan;
  }
};

enum class TypeKind : uint8_t {
  /// Two's complement integer whose signedness is given by the operation (MLIR `iN`).
  /// Where a value is needed (quantization, dequantization) it reads as signed.
  kSignlessInt,
  kSignedInt,    // MLIR siN
  kUnsignedInt,  // MLIR uiN
  kFloat,
};

/// Which named float a kFloat type is. Two names may share semantics (f6E3M2FN and the
/// lowp e3m2 format); the name is kept so that types round-trip.
enum class FloatName : uint8_t {
  kNone,  // not a float
  kLowp,  // !lowp.float<eXmY>: bias 2^(X-1)-1, no inf/NaN, subnormals kept
  kF16,
  kBF16,
  kF32,
  kF8E4M3FN,
  kF8E5M2,
  kF8E4M3,
  kF8E3M4,
  kF8E4M3FNUZ,
  kF8E5M2FNUZ,
  kF8E4M3B11FNUZ,
  kF6E2M3FN,
  kF6E3M2FN,
  kF4E2M1FN,
};

/// An element type. Small and trivially copyable; compare with ==.
class DType {
public:
  DType() = default;

  static DType signlessInt(unsigned bits) { return DType(TypeKind::kSignlessInt, bits); }
  static DType signedInt(unsigned bits) { return DType(TypeKind::kSignedInt, bits); }
  static DType unsignedInt(unsigned bits) { return DType(TypeKind::kUnsignedInt, bits); }
  /// The lowp format `eXmY`. Valid when X >= 1 and 1 + X + Y <= 8 (see isValidLowpFloat).
  static DType lowpFloat(unsigned exponentBits, unsigned mantissaBits);
  static DType namedFloat(FloatName name);
  static DType f16() { return namedFloat(FloatName::kF16); }
  static DType bf16() { return namedFloat(FloatName::kBF16); }
  static DType f32() { return namedFloat(FloatName::kF32); }

  /// Why `eXmY` is not a lowp float format, or nullopt when it is one.
  static std::optional<std::string> checkLowpFloat(int64_t exponentBits,
                                                   int64_t mantissaBits);

  /// Parses the names that name() prints: i3, si5, ui8, i32, f16, bf16, f32, e3m2,
  /// f8E4M3FN, f4E2M1FN, ... Returns nullopt for anything else.
  static std::optional<DType> parse(std::string_view name);
  std::string name() const;

  TypeKind kind() const { return kind_; }
  unsigned bits() const { return bits_; }
  FloatName floatName() const { return floatName_; }
  const FloatFormat &floatFormat() const { return format_; }

  bool isValid() const { return bits_ != 0; }
  bool isFloat() const { return kind_ == TypeKind::kFloat; }
  bool isInteger() const { return !isFloat() && isValid(); }
  /// True for signed and signless integers (signless values read as two's complement).
  bool isSignedInteger() const {
    return kind_ == TypeKind::kSignedInt || kind_ == TypeKind::kSignlessInt;
  }
  bool isUnsignedInteger() const { return kind_ == TypeKind::kUnsignedInt; }

  /// Smallest and largest integer value (integers only).
  int64_t intMin() const;
  int64_t intMax() const;
  /// Largest finite value (floats) or intMax (integers).
  double maxFinite() const;

  friend bool operator==(const DType &a, const DType &b) {
    return a.kind_ == b.kind_ && a.bits_ == b.bits_ && a.floatName_ == b.floatName_ &&
           a.format_ == b.format_;
  }
  friend bool operator!=(const DType &a, const DType &b) { return !(a == b); }

private:
  DType(TypeKind kind, unsigned bits) : kind_(kind), bits_(static_cast<uint8_t>(bits)) {}

  TypeKind kind_ = TypeKind::kSignlessInt;
  uint8_t bits_ = 0;
  FloatName floatName_ = FloatName::kNone;
  FloatFormat format_;
};

} // namespace tessel::vm

#endif // TESSEL_RUNTIME_DTYPE_H
