//===- BytecodeCommon.h - shared by the .tslm writer and reader -*- C++ -*-===//
#ifndef TESSEL_LIB_TARGET_BYTECODE_BYTECODECOMMON_H
#define TESSEL_LIB_TARGET_BYTECODE_BYTECODECOMMON_H

#include "tessel/IR/DType.h"
#include "tessel/schema/module_generated.h"

#include "mlir/IR/BuiltinTypes.h"

#include <optional>

namespace tessel {

/// Argument/result attribute naming a host function's inputs and outputs.
constexpr const char *kNameAttr = "tbvm.name";
/// Attr.str of a Bool that stands for a UnitAttr.
constexpr const char *kUnitMarker = "unit";
/// Attr.str of the arith flag enums.
constexpr const char *kFastMathEnum = "arith.fastmath";
constexpr const char *kOverflowEnum = "arith.overflow";
/// Alignment of constant data in the file, so it can be used in place.
constexpr size_t kConstantAlignment = 64;

/// Scalars a kernel or host function computes with.
inline bool isScalarType(mlir::Type type) {
  return type.isIndex() || type.isSignlessInteger(1) || type.isSignlessInteger(8) ||
         type.isSignlessInteger(16) || type.isSignlessInteger(32) ||
         type.isSignlessInteger(64) || type.isF16() || type.isBF16() || type.isF32();
}

/// The schema's DType of an element or scalar type (64-bit integers included, which
/// the codec library does not handle but scalars need).
inline std::optional<fb::DType> encodeDType(mlir::Type type) {
  if (auto i = mlir::dyn_cast<mlir::IntegerType>(type); i && i.getWidth() == 64)
    return fb::DType(uint8_t(i.isSigned() ? 1 : i.isUnsigned() ? 2 : 0), 64, 0, 0, 0);
  std::optional<vm::DType> d = toDType(type);
  if (!d)
    return std::nullopt;
  return fb::DType(uint8_t(d->kind()), uint8_t(d->bits()), uint8_t(d->floatName()),
                   d->floatFormat().exponentBits, d->floatFormat().mantissaBits);
}

} // namespace tessel

#endif
