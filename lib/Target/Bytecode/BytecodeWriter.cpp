//===- BytecodeWriter.cpp - tbvm module -> .tslm --------------------------===//
//
// Lays a module of tbvm kernels, host functions and globals out in the FlatBuffers
// format of runtime/schema/module.fbs: types and layouts deduplicated in module tables,
// values numbered per function, every op one Instruction with its attributes by name.
//
//===----------------------------------------------------------------------===//
#include "tessel/Target/Bytecode.h"

#include "BytecodeCommon.h"
#include "dialects/TBVM/IR/TBVMOps.h"
#include "tessel/IR/Bytes.h"
#include "tessel/IR/DType.h"
#include "vm/Bytecode.h"
#include "vm/Opcodes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinAttributes.h"

using namespace mlir;
using namespace tessel;
using namespace tessel::tbvm;

namespace {

template <typename T>
using Offset = flatbuffers::Offset<T>;

// Value numbering of one function.
struct FunctionState {
  llvm::DenseMap<Value, uint32_t> ids;
  std::vector<uint32_t> valueTypes;
};

class Writer {
public:
  LogicalResult write(ModuleOp module, raw_ostream &os);

private:
  FailureOr<uint32_t> typeIndex(Type type, Operation *where);
  FailureOr<uint32_t> define(Value value, FunctionState &state, Operation *where);
  FailureOr<Offset<fb::Attr>> writeAttr(NamedAttribute attr, Operation *op);
  FailureOr<Offset<fb::Instruction>> writeOp(Operation &op, FunctionState &state);
  FailureOr<Offset<fb::Region>> writeRegion(Region &region, FunctionState &state,
                                            Operation *owner);
  FailureOr<Offset<fb::Function>> writeFunction(FunctionOpInterface function);
  FailureOr<Offset<fb::Constant>> writeGlobal(GlobalOp global);

  flatbuffers::FlatBufferBuilder fbb_{1 << 16};
  llvm::DenseMap<Type, uint32_t> typeIds_;
  std::vector<Offset<fb::Type>> types_;
  llvm::DenseMap<Attribute, int32_t> layoutIds_;
  std::vector<Offset<fb::Layout>> layouts_;
};

FailureOr<uint32_t> Writer::typeIndex(Type type, Operation *where) {
  auto it = typeIds_.find(type);
  if (it != typeIds_.end())
    return it->second;
  std::optional<fb::DType> dtype;
  fb::TypeKind kind = fb::TypeKind::Scalar;
  ArrayRef<int64_t> shape;
  int32_t layout = -1;
  SwizzleAttr swizzle;
  if (isa<IndexType>(type)) {
    kind = fb::TypeKind::Index;
    dtype = fb::DType(0, 64, 0, 0, 0);
  } else if (auto g = dyn_cast<GTensorType>(type)) {
    kind = fb::TypeKind::GTensor;
    shape = g.getShape();
    dtype = encodeDType(g.getElementType());
  } else if (auto s = dyn_cast<STensorType>(type)) {
    kind = fb::TypeKind::STensor;
    shape = s.getShape();
    dtype = encodeDType(s.getElementType());
    swizzle = s.getSwizzle();
  } else if (auto r = dyn_cast<RTensorType>(type)) {
    kind = fb::TypeKind::RTensor;
    shape = r.getShape();
    dtype = encodeDType(r.getElementType());
    auto [pos, inserted] = layoutIds_.try_emplace(r.getLayout(), int32_t(layouts_.size()));
    if (inserted) {
      const vm::Layout &l = r.getLayout().getLayout();
      layouts_.push_back(fb::CreateLayoutDirect(fbb_, &l.shape(), &l.modeShape(),
                                                &l.spatialModes(), &l.localModes()));
    }
    layout = pos->second;
  } else if (isScalarType(type)) {
    dtype = encodeDType(type);
  }
  if (!dtype)
    return where->emitError() << "type " << type << " cannot be stored in the bytecode";
  std::vector<int64_t> dims;
  for (int64_t d : shape)
    dims.push_back(ShapedType::isDynamic(d) ? -1 : d);
  auto dimsOffset = fbb_.CreateVector(dims);
  auto offset = fb::CreateType(fbb_, kind, &*dtype, dimsOffset, layout,
                               swizzle ? int32_t(swizzle.getBits()) : 0,
                               swizzle ? int32_t(swizzle.getBase()) : 0,
                               swizzle ? int32_t(swizzle.getShift()) : 0);
  uint32_t index = uint32_t(types_.size());
  types_.push_back(offset);
  typeIds_[type] = index;
  return index;
}

FailureOr<uint32_t> Writer::define(Value value, FunctionState &state, Operation *where) {
  FailureOr<uint32_t> type = typeIndex(value.getType(), where);
  if (failed(type))
    return failure();
  uint32_t id = uint32_t(state.valueTypes.size());
  state.valueTypes.push_back(*type);
  state.ids[value] = id;
  return id;
}

FailureOr<Offset<fb::Attr>> Writer::writeAttr(NamedAttribute named, Operation *op) {
  StringRef name = named.getName().getValue();
  Attribute attr = named.getValue();
  auto nameOffset = fbb_.CreateString(name.str());
  auto make = [&](fb::AttrKind kind, std::vector<int64_t> ints, std::vector<double> floats,
                  StringRef str, int32_t type) {
    auto i = ints.empty() ? 0 : fbb_.CreateVector(ints);
    auto f = floats.empty() ? 0 : fbb_.CreateVector(floats);
    auto s = str.empty() ? 0 : fbb_.CreateString(str.str());
    return fb::CreateAttr(fbb_, nameOffset, kind, i, f, s, type);
  };
  if (auto b = dyn_cast<BoolAttr>(attr))
    return make(fb::AttrKind::Bool, {b.getValue() ? 1 : 0}, {}, "", -1);
  if (isa<UnitAttr>(attr))
    return make(fb::AttrKind::Bool, {1}, {}, kUnitMarker, -1);
  if (auto i = dyn_cast<IntegerAttr>(attr)) {
    FailureOr<uint32_t> type = typeIndex(i.getType(), op);
    if (failed(type))
      return failure();
    return make(fb::AttrKind::Int, {i.getValue().getSExtValue()}, {}, "", int32_t(*type));
  }
  if (auto f = dyn_cast<FloatAttr>(attr)) {
    FailureOr<uint32_t> type = typeIndex(f.getType(), op);
    if (failed(type))
      return failure();
    return make(fb::AttrKind::Float, {}, {f.getValueAsDouble()}, "", int32_t(*type));
  }
  if (auto s = dyn_cast<FlatSymbolRefAttr>(attr))
    return make(fb::AttrKind::Symbol, {}, {}, s.getValue(), -1);
  if (auto s = dyn_cast<StringAttr>(attr))
    return make(fb::AttrKind::String, {}, {}, s.getValue(), -1);
  if (auto a = dyn_cast<DenseI64ArrayAttr>(attr))
    return make(fb::AttrKind::IntArray, std::vector<int64_t>(a.asArrayRef()), {}, "", -1);
  if (auto fm = dyn_cast<arith::FastMathFlagsAttr>(attr))
    return make(fb::AttrKind::Enum, {int64_t(fm.getValue())}, {}, kFastMathEnum, -1);
  if (auto of = dyn_cast<arith::IntegerOverflowFlagsAttr>(attr))
    return make(fb::AttrKind::Enum, {int64_t(of.getValue())}, {}, kOverflowEnum, -1);
  return op->emitError() << "attribute '" << name << "' (" << attr
                         << ") cannot be stored in the bytecode";
}

// Attributes equal to their op's default are not written (the reader restores them).
static bool isDefaultFlag(Attribute attr) {
  if (auto fm = dyn_cast<arith::FastMathFlagsAttr>(attr))
    return fm.getValue() == arith::FastMathFlags::none;
  if (auto of = dyn_cast<arith::IntegerOverflowFlagsAttr>(attr))
    return of.getValue() == arith::IntegerOverflowFlags::none;
  return false;
}

FailureOr<Offset<fb::Instruction>> Writer::writeOp(Operation &op, FunctionState &state) {
  std::optional<vm::Opcode> opcode = vm::opcodeFromName(op.getName().getStringRef());
  if (!opcode)
    return op.emitError() << "'" << op.getName()
                          << "' cannot be stored in the bytecode: kernels and host functions "
                             "hold tbvm instructions, arith scalar operations and scf.for/if "
                             "(docs/vm.md lists them)";
  if (auto alloc = dyn_cast<AllocSharedOp>(op); alloc && !alloc.getOffset())
    return op.emitError() << "has no shared-memory offset; run --tbvm-plan-shared-memory "
                             "before serializing";
  if (op.getNumSuccessors() != 0)
    return op.emitError() << "branches cannot be stored in the bytecode";

  std::vector<uint32_t> operands;
  for (Value v : op.getOperands()) {
    auto it = state.ids.find(v);
    if (it == state.ids.end())
      return op.emitError() << "uses a value defined outside its function";
    operands.push_back(it->second);
  }
  std::vector<Offset<fb::Attr>> attrs;
  for (NamedAttribute attr : op.getAttrDictionary()) {
    if (isDefaultFlag(attr.getValue()))
      continue;
    FailureOr<Offset<fb::Attr>> a = writeAttr(attr, &op);
    if (failed(a))
      return failure();
    attrs.push_back(*a);
  }
  // Region arguments are defined before the op's results, in program order.
  std::vector<Offset<fb::Region>> regions;
  for (Region &region : op.getRegions()) {
    FailureOr<Offset<fb::Region>> r = writeRegion(region, state, &op);
    if (failed(r))
      return failure();
    regions.push_back(*r);
  }
  std::vector<uint32_t> results;
  for (Value v : op.getResults()) {
    FailureOr<uint32_t> id = define(v, state, &op);
    if (failed(id))
      return failure();
    results.push_back(*id);
  }
  return fb::CreateInstructionDirect(fbb_, uint16_t(*opcode), &operands, &results, &attrs,
                                     &regions, nullptr);
}

FailureOr<Offset<fb::Region>> Writer::writeRegion(Region &region, FunctionState &state,
                                                  Operation *owner) {
  if (region.getBlocks().size() > 1)
    return owner->emitError() << "regions with several blocks cannot be stored in the "
                                 "bytecode";
  if (region.empty()) // e.g. the else of an scf.if without one: no arguments, no body
    return fb::CreateRegion(fbb_);
  std::vector<uint32_t> arguments;
  std::vector<Offset<fb::Instruction>> body;
  if (!region.empty()) {
    Block &block = region.front();
    for (Value arg : block.getArguments()) {
      FailureOr<uint32_t> id = define(arg, state, owner);
      if (failed(id))
        return failure();
      arguments.push_back(*id);
    }
    for (Operation &op : block) {
      FailureOr<Offset<fb::Instruction>> inst = writeOp(op, state);
      if (failed(inst))
        return failure();
      body.push_back(*inst);
    }
  }
  return fb::CreateRegionDirect(fbb_, &arguments, &body);
}

FailureOr<Offset<fb::Function>> Writer::writeFunction(FunctionOpInterface function) {
  FunctionState state;
  Operation *op = function.getOperation();
  FailureOr<Offset<fb::Region>> body = writeRegion(function.getFunctionBody(), state, op);
  if (failed(body))
    return failure();
  std::vector<uint32_t> arguments;
  for (Value arg : function.getArguments())
    arguments.push_back(state.ids[arg]);
  std::vector<uint32_t> resultTypes;
  for (Type t : function.getResultTypes()) {
    FailureOr<uint32_t> id = typeIndex(t, op);
    if (failed(id))
      return failure();
    resultTypes.push_back(*id);
  }
  // Host inputs and outputs may be named with {tbvm.name = "..."} argument/result
  // attributes; the runtime API finds them by these names.
  auto names = [&](unsigned count, auto getAttr) {
    std::vector<Offset<flatbuffers::String>> out;
    for (unsigned i = 0; i < count; ++i) {
      auto name = dyn_cast_or_null<StringAttr>(getAttr(i));
      out.push_back(fbb_.CreateString(name ? name.getValue().str() : ""));
    }
    return out;
  };
  auto argNames = names(function.getNumArguments(),
                        [&](unsigned i) { return function.getArgAttr(i, kNameAttr); });
  auto resNames = names(function.getNumResults(),
                        [&](unsigned i) { return function.getResultAttr(i, kNameAttr); });
  int32_t warps = 0, minBlocks = 0;
  int64_t shared = 0;
  fb::FunctionKind kind = fb::FunctionKind::Host;
  if (auto kernel = dyn_cast<KernelOp>(op)) {
    kind = fb::FunctionKind::Kernel;
    warps = int32_t(kernel.getWarps());
    shared = int64_t(kernel.getSharedBytes());
    minBlocks = int32_t(kernel.getMinBlocksPerSm().value_or(0));
  }
  return fb::CreateFunctionDirect(fbb_, function.getName().str().c_str(), kind,
                                  &state.valueTypes, &arguments, &resultTypes, *body, warps,
                                  shared, &argNames, &resNames, minBlocks);
}

FailureOr<Offset<fb::Constant>> Writer::writeGlobal(GlobalOp global) {
  std::optional<std::vector<uint8_t>> bytes = getBytes(global.getValue());
  if (!bytes)
    return global.emitError() << "value is not readable bytes (an elided resource?)";
  FailureOr<uint32_t> type = typeIndex(global.getType(), global);
  if (failed(type))
    return failure();
  fbb_.ForceVectorAlignment(bytes->size(), 1, kConstantAlignment);
  auto data = fbb_.CreateVector(*bytes);
  return fb::CreateConstant(fbb_, fbb_.CreateString(global.getSymName().str()), *type, data);
}

LogicalResult Writer::write(ModuleOp module, raw_ostream &os) {
  std::vector<Offset<fb::Function>> functions;
  std::vector<Offset<fb::Constant>> constants;
  for (Operation &op : module.getBody()->getOperations()) {
    if (auto global = dyn_cast<GlobalOp>(op)) {
      FailureOr<Offset<fb::Constant>> c = writeGlobal(global);
      if (failed(c))
        return failure();
      constants.push_back(*c);
    } else if (isa<KernelOp, HostOp>(op)) {
      FailureOr<Offset<fb::Function>> f = writeFunction(cast<FunctionOpInterface>(op));
      if (failed(f))
        return failure();
      functions.push_back(*f);
    } else {
      return op.emitError() << "a .tslm module holds tbvm.kernel, tbvm.host and tbvm.global "
                               "only; lower '"
                            << op.getName() << "' first";
    }
  }
  auto root = fb::CreateModuleDirect(fbb_, vm::kFormatVersion, "tessel", &types_, &layouts_,
                                     &functions, &constants);
  fbb_.Finish(root, fb::ModuleIdentifier());
  os.write(reinterpret_cast<const char *>(fbb_.GetBufferPointer()), fbb_.GetSize());
  return success();
}

} // namespace

LogicalResult tessel::writeBytecode(ModuleOp module, raw_ostream &os) {
  return Writer().write(module, os);
}
