//===- TBVMTypes.cpp - tbvm types -----------------------------------------===//
#include "dialects/TBVM/IR/TBVMTypes.h"

#include "dialects/TBVM/IR/TBVMDialect.h"
#include "tessel/IR/DType.h"
#include "vm/BitPack.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace tessel;
using namespace tessel::tbvm;

#define GET_TYPEDEF_CLASSES
#include "dialects/TBVM/IR/TBVMTypes.cpp.inc"

void TBVMDialect::registerTypes() {
  addTypes<
#define GET_TYPEDEF_LIST
#include "dialects/TBVM/IR/TBVMTypes.cpp.inc"
      >();
}

bool tessel::tbvm::isElementType(Type type) {
  std::optional<vm::DType> dtype = toDType(type);
  return dtype && dtype->bits() >= 1 && dtype->bits() <= 32;
}

unsigned tessel::tbvm::getElementBits(Type type) {
  std::optional<vm::DType> dtype = toDType(type);
  return dtype ? dtype->bits() : 0;
}

static LogicalResult verifyElementType(function_ref<InFlightDiagnostic()> emitError,
                                       Type elementType) {
  if (!isElementType(elementType))
    return emitError() << "element type " << elementType
                       << " is not a tbvm element type (an integer of 1..32 bits or a "
                          "float the codec library knows)";
  return success();
}

static LogicalResult verifyStaticShape(function_ref<InFlightDiagnostic()> emitError,
                                       ArrayRef<int64_t> shape, StringRef what) {
  for (int64_t d : shape)
    if (ShapedType::isDynamic(d) || d < 1)
      return emitError() << what << " needs a static shape of positive sizes";
  return success();
}

// <16x?xf16 (, attribute)?>: the shape and element type of every tbvm tensor type.
static ParseResult parseShapeAndType(AsmParser &parser, SmallVectorImpl<int64_t> &shape,
                                     Type &elementType, bool allowDynamic) {
  if (parser.parseLess() ||
      parser.parseDimensionList(shape, allowDynamic, /*withTrailingX=*/true) ||
      parser.parseType(elementType))
    return failure();
  return success();
}

static void printShapeAndType(AsmPrinter &printer, ArrayRef<int64_t> shape, Type elementType) {
  printer << "<";
  printer.printDimensionList(shape);
  if (!shape.empty())
    printer << "x";
  printer << elementType;
}

Type GTensorType::parse(AsmParser &parser) {
  SmallVector<int64_t> shape;
  Type elementType;
  SMLoc loc = parser.getCurrentLocation();
  if (parseShapeAndType(parser, shape, elementType, /*allowDynamic=*/true) ||
      parser.parseGreater())
    return {};
  return getChecked([&] { return parser.emitError(loc); }, parser.getContext(), shape,
                    elementType);
}

void GTensorType::print(AsmPrinter &printer) const {
  printShapeAndType(printer, getShape(), getElementType());
  printer << ">";
}

LogicalResult GTensorType::verify(function_ref<InFlightDiagnostic()> emitError,
                                  ArrayRef<int64_t> shape, Type elementType) {
  for (int64_t d : shape)
    if (!ShapedType::isDynamic(d) && d < 0)
      return emitError() << "global tensor dimensions cannot be negative";
  return verifyElementType(emitError, elementType);
}

Type STensorType::parse(AsmParser &parser) {
  SmallVector<int64_t> shape;
  Type elementType;
  SwizzleAttr swizzle;
  SMLoc loc = parser.getCurrentLocation();
  if (parseShapeAndType(parser, shape, elementType, /*allowDynamic=*/false))
    return {};
  if (succeeded(parser.parseOptionalComma()) && parser.parseAttribute(swizzle))
    return {};
  if (parser.parseGreater())
    return {};
  return getChecked([&] { return parser.emitError(loc); }, parser.getContext(), shape,
                    elementType, swizzle);
}

void STensorType::print(AsmPrinter &printer) const {
  printShapeAndType(printer, getShape(), getElementType());
  if (getSwizzle())
    printer << ", " << getSwizzle();
  printer << ">";
}

int64_t STensorType::getNumElements() const {
  int64_t n = 1;
  for (int64_t d : getShape())
    n *= d;
  return n;
}

int64_t STensorType::getSizeInBytes() const {
  return int64_t(vm::packedBytes(size_t(getNumElements()), getElementBits(getElementType())));
}

LogicalResult STensorType::verify(function_ref<InFlightDiagnostic()> emitError,
                                  ArrayRef<int64_t> shape, Type elementType,
                                  SwizzleAttr swizzle) {
  if (failed(verifyStaticShape(emitError, shape, "a shared tensor")) ||
      failed(verifyElementType(emitError, elementType)))
    return failure();
  if (swizzle) {
    int64_t period = int64_t(1) << (swizzle.getBits() + swizzle.getBase() + swizzle.getShift());
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    if (n % period != 0)
      return emitError() << "a swizzled shared tensor needs a multiple of " << period
                         << " elements (the swizzle's period), not " << n;
  }
  return success();
}

Type RTensorType::parse(AsmParser &parser) {
  SmallVector<int64_t> shape;
  Type elementType;
  LayoutAttr layout;
  SMLoc loc = parser.getCurrentLocation();
  if (parseShapeAndType(parser, shape, elementType, /*allowDynamic=*/false) ||
      parser.parseComma() || parser.parseAttribute(layout) || parser.parseGreater())
    return {};
  return getChecked([&] { return parser.emitError(loc); }, parser.getContext(), shape,
                    elementType, layout);
}

void RTensorType::print(AsmPrinter &printer) const {
  printShapeAndType(printer, getShape(), getElementType());
  printer << ", " << getLayout() << ">";
}

LogicalResult RTensorType::verify(function_ref<InFlightDiagnostic()> emitError,
                                  ArrayRef<int64_t> shape, Type elementType,
                                  LayoutAttr layout) {
  if (failed(verifyStaticShape(emitError, shape, "a register tensor")) ||
      failed(verifyElementType(emitError, elementType)))
    return failure();
  if (!layout)
    return emitError() << "a register tensor needs a layout";
  if (ArrayRef<int64_t>(layout.getLayout().shape()) != shape) {
    auto diag = emitError() << "register tensor shape [";
    llvm::interleaveComma(shape, diag);
    diag << "] differs from its layout's shape [";
    llvm::interleaveComma(layout.getLayout().shape(), diag);
    return diag << "]";
  }
  return success();
}
