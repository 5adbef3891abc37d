//===- DType.cpp - MLIR element types as codec dtypes ---------------------===//
#include "tessel/IR/DType.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;

#include "tessel/IR/DTypeInterface.cpp.inc"

std::optional<tessel::vm::DType> tessel::toDType(Type type) {
  using vm::DType;
  using vm::FloatName;
  if (auto i = dyn_cast<IntegerType>(type)) {
    unsigned w = i.getWidth();
    if (w < 1 || w > 32)
      return std::nullopt;
    if (i.isSigned())
      return DType::signedInt(w);
    if (i.isUnsigned())
      return DType::unsignedInt(w);
    return DType::signlessInt(w);
  }
  if (auto custom = dyn_cast<DTypeInterface>(type))
    return custom.getDType();
  FloatName name = llvm::TypeSwitch<Type, FloatName>(type)
                       .Case([](Float16Type) { return FloatName::kF16; })
                       .Case([](BFloat16Type) { return FloatName::kBF16; })
                       .Case([](Float32Type) { return FloatName::kF32; })
                       .Case([](Float8E4M3FNType) { return FloatName::kF8E4M3FN; })
                       .Case([](Float8E5M2Type) { return FloatName::kF8E5M2; })
                       .Case([](Float8E4M3Type) { return FloatName::kF8E4M3; })
                       .Case([](Float8E3M4Type) { return FloatName::kF8E3M4; })
                       .Case([](Float8E4M3FNUZType) { return FloatName::kF8E4M3FNUZ; })
                       .Case([](Float8E5M2FNUZType) { return FloatName::kF8E5M2FNUZ; })
                       .Case([](Float8E4M3B11FNUZType) { return FloatName::kF8E4M3B11FNUZ; })
                       .Case([](Float6E2M3FNType) { return FloatName::kF6E2M3FN; })
                       .Case([](Float6E3M2FNType) { return FloatName::kF6E3M2FN; })
                       .Case([](Float4E2M1FNType) { return FloatName::kF4E2M1FN; })
                       .Default([](Type) { return FloatName::kNone; });
  if (name == FloatName::kNone)
    return std::nullopt;
  return DType::namedFloat(name);
}
