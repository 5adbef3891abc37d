//===- LowPAttrs.cpp - lowp attributes ------------------------------------===//
#include "dialects/LowP/IR/LowPAttrs.h"

#include "dialects/LowP/IR/LowPDialect.h"
#include "dialects/LowP/IR/LowPTypes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

#include "vm/BitPack.h"
#include "vm/Repack.h"

using namespace mlir;
using namespace tessel;
using namespace tessel::lowp;

#include "dialects/LowP/IR/LowPEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/LowP/IR/LowPAttrs.cpp.inc"

void LowPDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/LowP/IR/LowPAttrs.cpp.inc"
      >();
}

vm::QuantScheme QuantAttr::getScheme() const {
  vm::QuantScheme scheme;
  scheme.storage = toDType(getStorageType()).value_or(vm::DType());
  scheme.scaleType = toDType(getScaleType()).value_or(vm::DType());
  scheme.groupSize = getGroupSize();
  scheme.symmetric = getSymmetric();
  return scheme;
}

LogicalResult QuantAttr::verify(function_ref<InFlightDiagnostic()> emitError, Type storageType,
                                Type scaleType, int64_t groupSize, bool symmetric,
                                PackedOrder order) {
  if (!isStorageType(storageType))
    return emitError() << "#lowp.quant storage type must be an integer or float of 1..8 "
                          "bits, not "
                       << storageType;
  std::optional<vm::DType> scale = toDType(scaleType);
  vm::QuantScheme scheme{*toDType(storageType), scale.value_or(vm::DType()), groupSize,
                         symmetric};
  if (std::optional<std::string> why = vm::checkQuantScheme(scheme))
    return emitError() << "invalid #lowp.quant: " << *why;
  return success();
}

void tessel::lowp::packCodes(QuantAttr encoding, WeightShape shape, const uint8_t *codes,
                             uint8_t *out) {
  unsigned bits = encoding.getScheme().storage.bits();
  size_t count = size_t(shape.rows * shape.reduction);
  if (encoding.getOrder() == PackedOrder::mma_k128) {
    vm::repackMmaK128(codes, shape.rows, shape.reduction, bits, out);
    return;
  }
  vm::packBits(codes, count, bits, out);
}

void tessel::lowp::unpackCodes(QuantAttr encoding, WeightShape shape, const uint8_t *packed,
                               uint8_t *codes) {
  unsigned bits = encoding.getScheme().storage.bits();
  size_t count = size_t(shape.rows * shape.reduction);
  if (encoding.getOrder() == PackedOrder::mma_k128) {
    for (int64_t n = 0; n < shape.rows; ++n)
      for (int64_t k = 0; k < shape.reduction; ++k)
        codes[n * shape.reduction + k] =
            vm::readBitsAt(packed, vm::mmaK128BitOffset(n, k, shape.rows, bits), bits);
    return;
  }
  vm::unpackBits(packed, 0, count, bits, codes);
}

WeightShape tessel::lowp::getWeightShape(ArrayRef<int64_t> shape) {
  WeightShape s{shape.empty() ? 1 : shape.front(), 1};
  for (int64_t d : shape.drop_front()) {
    if (ShapedType::isDynamic(d) || ShapedType::isDynamic(s.reduction)) {
      s.reduction = ShapedType::kDynamic;
      continue;
    }
    s.reduction *= d;
  }
  return s;
}

LogicalResult QuantAttr::verifyEncoding(ArrayRef<int64_t> shape, Type elementType,
                                        function_ref<InFlightDiagnostic()> emitError) const {
  if (elementType != getStorageType())
    return emitError() << "element type " << elementType
                       << " of a quantized tensor must be its #lowp.quant storage type "
                       << getStorageType();
  if (shape.size() < 2)
    return emitError() << "a quantized tensor needs rank >= 2 (rows, then the reduction "
                          "dimensions), got rank "
                       << shape.size();
  WeightShape ws = getWeightShape(shape);
  if (getOrder() == PackedOrder::mma_k128) {
    if (shape.size() != 2)
      return emitError() << "the mma_k128 order needs a rank-2 weight [N, K], got rank "
                         << shape.size();
    if ((!ShapedType::isDynamic(ws.rows) && ws.rows % 8 != 0) ||
        (!ShapedType::isDynamic(ws.reduction) && ws.reduction % 128 != 0))
      return emitError() << "the mma_k128 order needs N % 8 == 0 and K % 128 == 0, got ["
                         << ws.rows << ", " << ws.reduction << "]";
  }
  if (getGroupSize() > 0 && !ShapedType::isDynamic(ws.reduction) &&
      ws.reduction % getGroupSize() != 0)
    return emitError() << "group size " << getGroupSize()
                       << " does not divide the reduction length " << ws.reduction;
  return success();
}

// #lowp.quant<storage = T, scale = S, (group = G | per_channel), (symmetric | asymmetric)
//             [, order = O]>
Attribute QuantAttr::parse(AsmParser &parser, Type) {
  SMLoc loc = parser.getCurrentLocation();
  Type storage, scale;
  int64_t group = 0;
  if (parser.parseLess() || parser.parseKeyword("storage") || parser.parseEqual() ||
      parser.parseType(storage) || parser.parseComma() || parser.parseKeyword("scale") ||
      parser.parseEqual() || parser.parseType(scale) || parser.parseComma())
    return {};
  if (succeeded(parser.parseOptionalKeyword("per_channel"))) {
    group = 0;
  } else {
    SMLoc groupLoc = parser.getCurrentLocation();
    if (parser.parseKeyword("group", "or 'per_channel'") || parser.parseEqual() ||
        parser.parseInteger(group))
      return {};
    if (group <= 0) {
      parser.emitError(groupLoc) << "group size must be positive (write per_channel for one "
                                    "group per row), got "
                                 << group;
      return {};
    }
  }
  bool symmetric;
  StringRef kind;
  SMLoc kindLoc = parser.getCurrentLocation();
  if (parser.parseComma() || parser.parseKeyword(&kind))
    return {};
  if (kind == "symmetric") {
    symmetric = true;
  } else if (kind == "asymmetric") {
    symmetric = false;
  } else {
    parser.emitError(kindLoc) << "expected 'symmetric' or 'asymmetric', got '" << kind << "'";
    return {};
  }
  PackedOrder order = PackedOrder::plain;
  if (succeeded(parser.parseOptionalComma())) {
    StringRef orderName;
    SMLoc orderLoc = parser.getCurrentLocation();
    if (parser.parseKeyword("order") || parser.parseEqual() || parser.parseKeyword(&orderName))
      return {};
    std::optional<PackedOrder> parsed = symbolizePackedOrder(orderName);
    if (!parsed) {
      parser.emitError(orderLoc) << "unknown packed order '" << orderName << "'";
      return {};
    }
    order = *parsed;
  }
  if (parser.parseGreater())
    return {};
  return getChecked([&] { return parser.emitError(loc); }, parser.getContext(), storage,
                    scale, group, symmetric, order);
}

void QuantAttr::print(AsmPrinter &printer) const {
  printer << "<storage = " << getStorageType() << ", scale = " << getScaleType() << ", ";
  if (getGroupSize() == 0)
    printer << "per_channel";
  else
    printer << "group = " << getGroupSize();
  printer << ", " << (getSymmetric() ? "symmetric" : "asymmetric");
  if (getOrder() != PackedOrder::plain)
    printer << ", order = " << stringifyPackedOrder(getOrder());
  printer << ">";
}

QuantAttr tessel::lowp::getQuantEncoding(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  return tensor ? dyn_cast_or_null<QuantAttr>(tensor.getEncoding()) : QuantAttr();
}
