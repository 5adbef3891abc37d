//===- LowPTypes.cpp - lowp types -----------------------------------------===//
#include "dialects/LowP/IR/LowPTypes.h"

#include "dialects/LowP/IR/LowPDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace tessel;
using namespace tessel::lowp;

#define GET_TYPEDEF_CLASSES
#include "dialects/LowP/IR/LowPTypes.cpp.inc"

void LowPDialect::registerTypes() {
  addTypes<
#define GET_TYPEDEF_LIST
#include "dialects/LowP/IR/LowPTypes.cpp.inc"
      >();
}

LogicalResult LowPFloatType::verify(function_ref<InFlightDiagnostic()> emitError,
                                    unsigned exponentBits, unsigned mantissaBits) {
  if (std::optional<std::string> why = vm::DType::checkLowpFloat(exponentBits, mantissaBits))
    return emitError() << "invalid !lowp.float<e" << exponentBits << "m" << mantissaBits
                       << ">: " << *why;
  return success();
}

// !lowp.float<eXmY>
Type LowPFloatType::parse(AsmParser &parser) {
  SMLoc loc = parser.getCurrentLocation();
  StringRef keyword;
  if (parser.parseLess() || parser.parseKeyword(&keyword))
    return {};
  unsigned x = 0, y = 0;
  StringRef rest = keyword;
  if (!rest.consume_front("e") || rest.consumeInteger(10, x) || !rest.consume_front("m") ||
      rest.consumeInteger(10, y) || !rest.empty()) {
    parser.emitError(loc) << "expected a float format 'eXmY' (X exponent and Y mantissa "
                             "bits, e.g. e3m2), got '"
                          << keyword << "'";
    return {};
  }
  if (parser.parseGreater())
    return {};
  return getChecked([&] { return parser.emitError(loc); }, parser.getContext(), x, y);
}

void LowPFloatType::print(AsmPrinter &printer) const {
  printer << "<e" << getExponentBits() << "m" << getMantissaBits() << ">";
}

vm::DType LowPFloatType::getDType() const {
  return vm::DType::lowpFloat(getExponentBits(), getMantissaBits());
}

Type tessel::lowp::fromDType(MLIRContext *context, vm::DType dtype) {
  using vm::FloatName;
  using vm::TypeKind;
  Builder b(context);
  switch (dtype.kind()) {
  case TypeKind::kSignlessInt:
    return b.getIntegerType(dtype.bits());
  case TypeKind::kSignedInt:
    return b.getIntegerType(dtype.bits(), /*isSigned=*/true);
  case TypeKind::kUnsignedInt:
    return b.getIntegerType(dtype.bits(), /*isSigned=*/false);
  case TypeKind::kFloat:
    break;
  }
  switch (dtype.floatName()) {
  case FloatName::kLowp:
    return LowPFloatType::get(context, dtype.floatFormat().exponentBits,
                              dtype.floatFormat().mantissaBits);
  case FloatName::kF16: return b.getF16Type();
  case FloatName::kBF16: return b.getBF16Type();
  case FloatName::kF32: return b.getF32Type();
  case FloatName::kF8E4M3FN: return Float8E4M3FNType::get(context);
  case FloatName::kF8E5M2: return Float8E5M2Type::get(context);
  case FloatName::kF8E4M3: return Float8E4M3Type::get(context);
  case FloatName::kF8E3M4: return Float8E3M4Type::get(context);
  case FloatName::kF8E4M3FNUZ: return Float8E4M3FNUZType::get(context);
  case FloatName::kF8E5M2FNUZ: return Float8E5M2FNUZType::get(context);
  case FloatName::kF8E4M3B11FNUZ: return Float8E4M3B11FNUZType::get(context);
  case FloatName::kF6E2M3FN: return Float6E2M3FNType::get(context);
  case FloatName::kF6E3M2FN: return Float6E3M2FNType::get(context);
  case FloatName::kF4E2M1FN: return Float4E2M1FNType::get(context);
  case FloatName::kNone: break;
  }
  return {};
}

bool tessel::lowp::isStorageType(Type type) {
  std::optional<vm::DType> dtype = toDType(type);
  return dtype && dtype->bits() >= 1 && dtype->bits() <= 8;
}
