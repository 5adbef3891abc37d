//===- TBVMOps.cpp - tbvm functions, host program and memory ops ----------===//
//
// Verifiers of the function-level and data-movement instructions; compute instructions
// are in TBVMComputeOps.cpp.
//
//===----------------------------------------------------------------------===//
#include "dialects/TBVM/IR/TBVMOps.h"

#include "vm/BitPack.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/FunctionImplementation.h"

using namespace mlir;
using namespace tessel;
using namespace tessel::tbvm;

//===----------------------------------------------------------------------===//
// Kernel and host functions
//===----------------------------------------------------------------------===//

static ParseResult parseFunction(OpAsmParser &parser, OperationState &result,
                                 StringAttr typeAttrName, StringAttr argAttrsName,
                                 StringAttr resAttrsName) {
  auto buildType = [](Builder &builder, ArrayRef<Type> args, ArrayRef<Type> results,
                      function_interface_impl::VariadicFlag, std::string &) {
    return builder.getFunctionType(args, results);
  };
  return function_interface_impl::parseFunctionOp(parser, result, /*allowVariadic=*/false,
                                                  typeAttrName, buildType, argAttrsName,
                                                  resAttrsName);
}

ParseResult KernelOp::parse(OpAsmParser &parser, OperationState &result) {
  return parseFunction(parser, result, getFunctionTypeAttrName(result.name),
                       getArgAttrsAttrName(result.name), getResAttrsAttrName(result.name));
}

void KernelOp::print(OpAsmPrinter &p) {
  function_interface_impl::printFunctionOp(p, *this, /*isVariadic=*/false,
                                           getFunctionTypeAttrName(), getArgAttrsAttrName(),
                                           getResAttrsAttrName());
}

ParseResult HostOp::parse(OpAsmParser &parser, OperationState &result) {
  return parseFunction(parser, result, getFunctionTypeAttrName(result.name),
                       getArgAttrsAttrName(result.name), getResAttrsAttrName(result.name));
}

void HostOp::print(OpAsmPrinter &p) {
  function_interface_impl::printFunctionOp(p, *this, /*isVariadic=*/false,
                                           getFunctionTypeAttrName(), getArgAttrsAttrName(),
                                           getResAttrsAttrName());
}

static bool isKernelArgumentType(Type type) {
  return isa<GTensorType, IndexType, Float16Type, BFloat16Type, Float32Type>(type) ||
         type.isSignlessInteger(32) || type.isSignlessInteger(64);
}

// Instructions that only make sense inside a kernel, and those only the host runs.
static bool isHostOnly(Operation *op) {
  return isa<AllocGlobalOp, LaunchOp, GetGlobalOp, ResidentBlocksOp>(op);
}
static bool isKernelOnly(Operation *op) {
  return op->getDialect() == op->getContext()->getLoadedDialect<TBVMDialect>() &&
         !isa<AllocGlobalOp, LaunchOp, GetGlobalOp, DimOp, ReturnOp, CheckOp, ResidentBlocksOp>(op);
}

LogicalResult KernelOp::verify() {
  int64_t warps = int64_t(getWarps());
  if (warps < 1 || warps > 32)
    return emitOpError() << "needs 1..32 warps (at most 1024 threads), got " << warps;
  if (int64_t(getSharedBytes()) < 0)
    return emitOpError() << "shared_bytes cannot be negative";
  if (std::optional<uint64_t> n = getMinBlocksPerSm(); n && (int64_t(*n) < 0 || int64_t(*n) > 32))
    return emitOpError() << "min_blocks_per_sm must be 0..32, got " << int64_t(*n);
  if (!getFunctionType().getResults().empty())
    return emitOpError() << "a kernel returns nothing; write results to global tensors";
  for (auto [i, type] : llvm::enumerate(getArgumentTypes()))
    if (!isKernelArgumentType(type))
      return emitOpError() << "argument " << i << " has type " << type
                           << "; kernel arguments are global tensors, index, i32, i64, "
                              "f16, bf16 or f32";
  if (getBody().empty())
    return emitOpError() << "needs a body";
  int64_t threads = getNumThreads();
  auto checkLayout = [&](Value value) -> LogicalResult {
    auto type = dyn_cast<RTensorType>(value.getType());
    if (!type || type.getLayout().getNumThreads() == threads)
      return success();
    return emitOpError() << "has " << threads << " threads (" << getWarps()
                         << " warps) but a register tile " << type << " spans "
                         << type.getLayout().getNumThreads();
  };
  WalkResult walk = getBody().walk([&](Operation *op) {
    if (isHostOnly(op)) {
      op->emitOpError() << "can only appear in a tbvm.host function";
      return WalkResult::interrupt();
    }
    for (Value v : op->getResults())
      if (failed(checkLayout(v)))
        return WalkResult::interrupt();
    for (Region &region : op->getRegions())
      for (Block &block : region)
        for (Value v : block.getArguments())
          if (failed(checkLayout(v)))
            return WalkResult::interrupt();
    return WalkResult::advance();
  });
  return failure(walk.wasInterrupted());
}

LogicalResult HostOp::verify() {
  for (Type type : llvm::concat<const Type>(getArgumentTypes(), getResultTypes()))
    if (!isa<GTensorType>(type))
      return emitOpError() << "inputs and outputs of a host function are global tensors, "
                              "not "
                           << type;
  WalkResult walk = getBody().walk([&](Operation *op) {
    if (isKernelOnly(op)) {
      op->emitOpError() << "can only appear in a tbvm.kernel";
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return failure(walk.wasInterrupted());
}

LogicalResult ReturnOp::verify() {
  auto function = cast<FunctionOpInterface>((*this)->getParentOp());
  ArrayRef<Type> results = function.getResultTypes();
  if (getOperands().size() != results.size())
    return emitOpError() << "returns " << getOperands().size() << " values, the function "
                         << results.size();
  for (auto [value, type] : llvm::zip(getOperands(), results))
    if (value.getType() != type)
      return emitOpError() << "returns " << value.getType() << " where the function returns "
                           << type;
  return success();
}

//===----------------------------------------------------------------------===//
// Globals and the host program
//===----------------------------------------------------------------------===//

static int64_t packedSize(GTensorType type) {
  int64_t n = 1;
  for (int64_t d : type.getShape())
    n *= d;
  return int64_t(vm::packedBytes(size_t(n), getElementBits(type.getElementType())));
}

LogicalResult GlobalOp::verify() {
  auto type = cast<GTensorType>(getType());
  if (llvm::any_of(type.getShape(), ShapedType::isDynamic))
    return emitOpError() << "needs a statically shaped type, got " << type;
  auto valueType = dyn_cast<RankedTensorType>(getValue().getType());
  int64_t bytes = packedSize(type);
  if (!valueType || valueType.getRank() != 1 || !valueType.getElementType().isInteger(8) ||
      valueType.getDimSize(0) != bytes)
    return emitOpError() << "expects the " << bytes << " bytes of " << type
                         << " as tensor<" << bytes << "xi8>, got " << getValue().getType();
  return success();
}

LogicalResult GetGlobalOp::verifySymbolUses(SymbolTableCollection &symbols) {
  auto global = symbols.lookupNearestSymbolFrom<GlobalOp>(*this, getNameAttr());
  if (!global)
    return emitOpError() << "'" << getName() << "' is not a tbvm.global";
  if (global.getType() != getResult().getType())
    return emitOpError() << "has type " << getResult().getType() << " but '" << getName()
                         << "' is " << global.getType();
  return success();
}

static LogicalResult verifyDynamicSizes(Operation *op, GTensorType type, size_t count) {
  size_t dynamic = llvm::count_if(type.getShape(), ShapedType::isDynamic);
  if (dynamic != count)
    return op->emitOpError() << "needs " << dynamic << " sizes for the dynamic dimensions of "
                             << type << ", got " << count;
  return success();
}

LogicalResult AllocGlobalOp::verify() {
  return verifyDynamicSizes(*this, getResult().getType(), getDynamicSizes().size());
}

static bool compatibleGlobal(Type actual, Type expected) {
  auto a = dyn_cast<GTensorType>(actual), e = dyn_cast<GTensorType>(expected);
  if (!a || !e)
    return actual == expected;
  if (a.getElementType() != e.getElementType() || a.getRank() != e.getRank())
    return false;
  for (auto [x, y] : llvm::zip(a.getShape(), e.getShape()))
    if (!ShapedType::isDynamic(x) && !ShapedType::isDynamic(y) && x != y)
      return false;
  return true;
}

LogicalResult LaunchOp::verifySymbolUses(SymbolTableCollection &symbols) {
  auto kernel = symbols.lookupNearestSymbolFrom<KernelOp>(*this, getKernelAttr());
  if (!kernel)
    return emitOpError() << "'" << getKernel() << "' is not a tbvm.kernel";
  ArrayRef<Type> params = kernel.getArgumentTypes();
  if (params.size() != getArgs().size())
    return emitOpError() << "passes " << getArgs().size() << " arguments to '" << getKernel()
                         << "', which takes " << params.size();
  for (auto [i, arg, param] : llvm::enumerate(getArgs(), params))
    if (!compatibleGlobal(arg.getType(), param))
      return emitOpError() << "argument " << i << " of type " << arg.getType()
                           << " does not match the kernel's " << param;
  return success();
}

LogicalResult ResidentBlocksOp::verifySymbolUses(SymbolTableCollection &symbols) {
  if (!symbols.lookupNearestSymbolFrom<KernelOp>(*this, getKernelAttr()))
    return emitOpError() << "'" << getKernel() << "' is not a tbvm.kernel";
  return success();
}

LogicalResult DimOp::verify() {
  int64_t index = int64_t(getIndex());
  if (index < 0 || index >= getSource().getType().getRank())
    return emitOpError() << "dimension " << getIndex() << " out of range for "
                         << getSource().getType();
  return success();
}

//===----------------------------------------------------------------------===//
// Allocate
//===----------------------------------------------------------------------===//

LogicalResult AllocRegsOp::verify() {
  if (!getInit())
    return success();
  Type element = getResult().getType().getElementType();
  Type init = getInit().getType();
  bool ok = false;
  if (isa<Float16Type, BFloat16Type, Float32Type>(element))
    ok = init == element;
  else if (auto i = dyn_cast<IntegerType>(element))
    ok = init.isSignlessInteger(i.getWidth());
  if (!ok)
    return emitOpError() << "cannot fill a tile of " << element << " with a " << init
                         << " (floats take their own type, integers the signless integer of "
                            "their width; other types start at zero)";
  return success();
}

LogicalResult AllocSharedOp::verify() {
  if (getOffset() && int64_t(*getOffset()) < 0)
    return emitOpError() << "offset cannot be negative";
  return success();
}

LogicalResult GlobalViewOp::verify() {
  return verifyDynamicSizes(*this, getResult().getType(), getDynamicSizes().size());
}

LogicalResult SharedSliceOp::verify() {
  STensorType source = getSource().getType(), result = getResult().getType();
  if (source.getRank() != int64_t(getIndices().size()) + result.getRank() ||
      source.getShape().take_back(result.getRank()) != result.getShape())
    return emitOpError() << "selecting " << getIndices().size() << " leading indices of "
                         << source << " gives a tile of shape "
                         << "[" << source.getShape().drop_front(getIndices().size()) << "], not "
                         << result;
  if (source.getElementType() != result.getElementType() ||
      source.getSwizzle() != result.getSwizzle())
    return emitOpError() << "keeps the element type and swizzle of " << source;
  // Slices start at byte addresses.
  int64_t bits = int64_t(result.getNumElements()) * int64_t(getElementBits(result.getElementType()));
  if (bits % 8 != 0)
    return emitOpError() << "selects tiles of " << bits << " bits, not whole bytes";
  return success();
}

//===----------------------------------------------------------------------===//
// Move
//===----------------------------------------------------------------------===//

// A tile access: `indices` address the first element of a tile of `tile` shape in a tensor
// of `tensor` shape; ranks must agree and element types match.
static LogicalResult verifyTileAccess(Operation *op, ArrayRef<int64_t> tensorShape,
                                      Type tensorElement, size_t numIndices,
                                      ArrayRef<int64_t> tileShape, Type tileElement,
                                      bool tileMustFit) {
  if (numIndices != tensorShape.size())
    return op->emitOpError() << "needs " << tensorShape.size() << " indices, got "
                             << numIndices;
  if (tileShape.size() != tensorShape.size())
    return op->emitOpError() << "moves a tile of rank " << tileShape.size()
                             << " to or from a tensor of rank " << tensorShape.size();
  if (tileElement != tensorElement)
    return op->emitOpError() << "moves elements of " << tileElement << " to or from a tensor of "
                             << tensorElement;
  if (tileMustFit)
    for (auto [t, s] : llvm::zip(tileShape, tensorShape))
      if (t > s)
        return op->emitOpError() << "tile [" << tileShape << "] does not fit in the shared tile ["
                                 << tensorShape << "]";
  return success();
}

LogicalResult LoadGlobalOp::verify() {
  GTensorType g = getSource().getType();
  RTensorType r = getResult().getType();
  return verifyTileAccess(*this, g.getShape(), g.getElementType(), getIndices().size(),
                          r.getShape(), r.getElementType(), false);
}

LogicalResult StoreGlobalOp::verify() {
  GTensorType g = getDest().getType();
  RTensorType r = getValue().getType();
  return verifyTileAccess(*this, g.getShape(), g.getElementType(), getIndices().size(),
                          r.getShape(), r.getElementType(), false);
}

LogicalResult CopyAsyncOp::verify() {
  GTensorType g = getSource().getType();
  STensorType s = getDest().getType();
  return verifyTileAccess(*this, g.getShape(), g.getElementType(), getIndices().size(),
                          s.getShape(), s.getElementType(), false);
}

LogicalResult PrefetchOp::verify() {
  GTensorType g = getSource().getType();
  ArrayRef<int64_t> shape = getShape();
  if (getIndices().size() != size_t(g.getRank()))
    return emitOpError() << "needs " << g.getRank() << " indices, got " << getIndices().size();
  if (shape.size() != size_t(g.getRank()))
    return emitOpError() << "box of rank " << shape.size() << " in a tensor of rank " << g.getRank();
  if (shape.empty())
    return emitOpError() << "needs a tensor of rank 1 or more";
  int64_t elements = 1;
  for (int64_t e : shape) {
    if (e < 1)
      return emitOpError() << "box [" << shape << "] must have positive extents";
    if (e > (int64_t(1) << 24) || (elements *= e) > (int64_t(1) << 24))
      return emitOpError() << "box [" << shape << "] is larger than 2^24 elements";
  }
  return success();
}

LogicalResult LoadSharedOp::verify() {
  STensorType s = getSource().getType();
  RTensorType r = getResult().getType();
  return verifyTileAccess(*this, s.getShape(), s.getElementType(), getIndices().size(),
                          r.getShape(), r.getElementType(), true);
}

LogicalResult StoreSharedOp::verify() {
  STensorType s = getDest().getType();
  RTensorType r = getValue().getType();
  return verifyTileAccess(*this, s.getShape(), s.getElementType(), getIndices().size(),
                          r.getShape(), r.getElementType(), true);
}

LogicalResult LoadMatrixOp::verify() {
  STensorType s = getSource().getType();
  RTensorType r = getResult().getType();
  if (failed(verifyTileAccess(*this, s.getShape(), s.getElementType(), getIndices().size(),
                              r.getShape(), r.getElementType(), true)))
    return failure();
  if (r.getRank() != 2 || getElementBits(r.getElementType()) != 16)
    return emitOpError() << "loads 2-D tiles of 16-bit elements, not " << r;
  const vm::Layout &fragment = ldmatrixLayout(getTranspose());
  if (!r.getLayout().getLayout().divide(fragment))
    return emitOpError() << "result layout " << r.getLayout()
                         << " is not made of ldmatrix fragments "
                         << fragment.toString();
  return success();
}

LogicalResult AtomicAddOp::verify() {
  GTensorType g = getDest().getType();
  RTensorType r = getValue().getType();
  Type e = r.getElementType();
  if (!e.isF32() && !e.isF16() && !e.isBF16() && !e.isSignlessInteger(32))
    return emitOpError() << "adds f32, f16, bf16 or i32 elements, not " << e;
  return verifyTileAccess(*this, g.getShape(), g.getElementType(), getIndices().size(),
                          r.getShape(), r.getElementType(), false);
}

#define GET_OP_CLASSES
#include "dialects/TBVM/IR/TBVMOps.cpp.inc"
