//===- BytecodeReader.cpp - .tslm -> tbvm module --------------------------===//
//
// Rebuilds the MLIR of a .tslm file (for debugging and round-trip tests). The file is
// untrusted: the FlatBuffers verifier runs first, every index is range-checked while
// building, and the finished module goes through the MLIR verifier. Errors, never
// crashes.
//
//===----------------------------------------------------------------------===//
#include "tessel/Target/Bytecode.h"

#include "BytecodeCommon.h"
#include "dialects/LowP/IR/LowPDialect.h"
#include "dialects/LowP/IR/LowPTypes.h"
#include "dialects/TBVM/IR/TBVMOps.h"
#include "tessel/IR/Bytes.h"
#include "vm/Bytecode.h"
#include "vm/Opcodes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Verifier.h"

using namespace mlir;
using namespace tessel;
using namespace tessel::tbvm;

namespace {

class Reader {
public:
  Reader(Location loc) : loc_(loc), ctx_(loc.getContext()), builder_(ctx_) {
    ctx_->loadDialect<TBVMDialect, lowp::LowPDialect, arith::ArithDialect, scf::SCFDialect>();
  }
  OwningOpRef<ModuleOp> read(StringRef bytes);

private:
  InFlightDiagnostic error() { return emitError(loc_); }
  Type elementType(const fb::DType &d);
  LogicalResult readTypes(const fb::Module &m);
  LogicalResult readFunction(const fb::Function &f, ModuleOp module);
  LogicalResult readRegion(const fb::Region *r, Region &region, StringRef where);
  LogicalResult readInstruction(const fb::Instruction &inst, StringRef where);
  FailureOr<NamedAttribute> readAttr(const fb::Attr &attr, StringRef where);
  FailureOr<Type> typeAt(int64_t index, StringRef where);
  FailureOr<Value> valueAt(uint32_t id, StringRef where);
  LogicalResult defineValue(uint32_t id, Value value, StringRef where);

  Location loc_;
  MLIRContext *ctx_;
  OpBuilder builder_;
  const fb::Module *module_ = nullptr;
  std::vector<Type> types_;
  // Per function.
  const flatbuffers::Vector<uint32_t> *valueTypes_ = nullptr;
  std::vector<Value> values_;
};

Type Reader::elementType(const fb::DType &d) {
  unsigned bits = d.bits();
  if (d.kind() <= 2 && bits == 64)
    return IntegerType::get(ctx_, 64, d.kind() == 1   ? IntegerType::Signed
                                      : d.kind() == 2 ? IntegerType::Unsigned
                                                      : IntegerType::Signless);
  if (d.kind() > 3 || bits < 1 || bits > 32)
    return {};
  vm::DType dtype;
  switch (vm::TypeKind(d.kind())) {
  case vm::TypeKind::kSignlessInt:
    dtype = vm::DType::signlessInt(bits);
    break;
  case vm::TypeKind::kSignedInt:
    dtype = vm::DType::signedInt(bits);
    break;
  case vm::TypeKind::kUnsignedInt:
    dtype = vm::DType::unsignedInt(bits);
    break;
  case vm::TypeKind::kFloat:
    dtype = vm::FloatName(d.float_name()) == vm::FloatName::kLowp
                ? vm::DType::lowpFloat(d.exponent_bits(), d.mantissa_bits())
                : vm::DType::namedFloat(vm::FloatName(d.float_name()));
    break;
  }
  if (!dtype.isValid() || dtype.bits() != bits)
    return {};
  return lowp::fromDType(ctx_, dtype);
}

LogicalResult Reader::readTypes(const fb::Module &m) {
  std::vector<LayoutAttr> layouts;
  if (m.layouts()) {
    for (auto [i, l] : llvm::enumerate(*m.layouts())) {
      auto vec = [](const flatbuffers::Vector<int64_t> *v) {
        return v ? std::vector<int64_t>(v->begin(), v->end()) : std::vector<int64_t>();
      };
      std::string why;
      std::optional<vm::Layout> layout = vm::Layout::fromModes(
          vec(l->shape()), vec(l->mode_shape()), vec(l->spatial()), vec(l->local()), &why);
      if (!layout)
        return error() << "layout " << i << " is invalid: " << why;
      layouts.push_back(LayoutAttr::get(ctx_, *layout));
    }
  }
  if (!m.types())
    return success();
  for (auto [i, t] : llvm::enumerate(*m.types())) {
    auto bad = [&, i = i]() { return error() << "type " << i << " is invalid"; };
    if (!t->dtype())
      return bad();
    Type element = elementType(*t->dtype());
    SmallVector<int64_t> shape;
    if (t->shape())
      for (int64_t d : *t->shape())
        shape.push_back(d == -1 ? ShapedType::kDynamic : d);
    auto emitFn = [&]() { return error(); };
    function_ref<InFlightDiagnostic()> emit = emitFn;
    ArrayRef<int64_t> dims = shape;
    Type type;
    switch (t->kind()) {
    case fb::TypeKind::Index:
      type = IndexType::get(ctx_);
      break;
    case fb::TypeKind::Scalar:
      type = element;
      break;
    case fb::TypeKind::GTensor:
      if (element)
        type = GTensorType::getChecked(emit, ctx_, dims, element);
      break;
    case fb::TypeKind::STensor: {
      SwizzleAttr swizzle;
      if (t->swizzle_bits() != 0)
        swizzle = SwizzleAttr::getChecked(emit, ctx_, int64_t(t->swizzle_bits()),
                                          int64_t(t->swizzle_base()),
                                          int64_t(t->swizzle_shift()));
      if (element && (t->swizzle_bits() == 0 || swizzle))
        type = STensorType::getChecked(emit, ctx_, dims, element, swizzle);
      break;
    }
    case fb::TypeKind::RTensor:
      if (element && t->layout() >= 0 && size_t(t->layout()) < layouts.size())
        type = RTensorType::getChecked(emit, ctx_, dims, element, layouts[t->layout()]);
      break;
    }
    if (!type)
      return bad();
    types_.push_back(type);
  }
  return success();
}

FailureOr<Type> Reader::typeAt(int64_t index, StringRef where) {
  if (index < 0 || size_t(index) >= types_.size())
    return error() << where << ": type index " << index << " out of range";
  return types_[size_t(index)];
}

FailureOr<Value> Reader::valueAt(uint32_t id, StringRef where) {
  if (id >= values_.size() || !values_[id])
    return error() << where << ": value " << id << " is used before it is defined";
  return values_[id];
}

LogicalResult Reader::defineValue(uint32_t id, Value value, StringRef where) {
  if (id >= values_.size() || values_[id])
    return error() << where << ": value " << id << " is out of range or defined twice";
  if (value.getType() != types_[(*valueTypes_)[id]])
    return error() << where << ": value " << id << " has the wrong type";
  values_[id] = value;
  return success();
}

FailureOr<NamedAttribute> Reader::readAttr(const fb::Attr &a, StringRef where) {
  if (!a.name())
    return error() << where << ": an attribute has no name";
  StringAttr name = StringAttr::get(ctx_, a.name()->str());
  auto int0 = [&]() -> FailureOr<int64_t> {
    if (!a.ints() || a.ints()->size() != 1)
      return error() << where << ": attribute '" << name.getValue() << "' needs one integer";
    return a.ints()->Get(0);
  };
  std::string str = a.str() ? a.str()->str() : "";
  switch (a.kind()) {
  case fb::AttrKind::Bool: {
    FailureOr<int64_t> v = int0();
    if (failed(v))
      return failure();
    if (str == kUnitMarker)
      return NamedAttribute(name, UnitAttr::get(ctx_));
    return NamedAttribute(name, BoolAttr::get(ctx_, *v != 0));
  }
  case fb::AttrKind::Int: {
    FailureOr<int64_t> v = int0();
    FailureOr<Type> t = typeAt(a.type(), where);
    if (failed(v) || failed(t))
      return failure();
    if (!isa<IntegerType, IndexType>(*t))
      return error() << where << ": integer attribute '" << name.getValue()
                     << "' has a non-integer type";
    return NamedAttribute(name, IntegerAttr::get(*t, *v));
  }
  case fb::AttrKind::Float: {
    FailureOr<Type> t = typeAt(a.type(), where);
    if (failed(t))
      return failure();
    if (!isa<FloatType>(*t) || !a.floats() || a.floats()->size() != 1)
      return error() << where << ": float attribute '" << name.getValue() << "' is malformed";
    return NamedAttribute(name, FloatAttr::get(*t, a.floats()->Get(0)));
  }
  case fb::AttrKind::String:
    return NamedAttribute(name, StringAttr::get(ctx_, str));
  case fb::AttrKind::Symbol:
    return NamedAttribute(name, FlatSymbolRefAttr::get(ctx_, str));
  case fb::AttrKind::IntArray: {
    std::vector<int64_t> v;
    if (a.ints())
      v.assign(a.ints()->begin(), a.ints()->end());
    return NamedAttribute(name, DenseI64ArrayAttr::get(ctx_, v));
  }
  case fb::AttrKind::Enum: {
    FailureOr<int64_t> v = int0();
    if (failed(v))
      return failure();
    if (str == kFastMathEnum)
      return NamedAttribute(name, arith::FastMathFlagsAttr::get(
                                      ctx_, arith::FastMathFlags(uint32_t(*v))));
    if (str == kOverflowEnum)
      return NamedAttribute(name, arith::IntegerOverflowFlagsAttr::get(
                                      ctx_, arith::IntegerOverflowFlags(uint32_t(*v))));
    return error() << where << ": unknown enum '" << str << "'";
  }
  case fb::AttrKind::TypeRef: {
    FailureOr<Type> t = typeAt(a.type(), where);
    if (failed(t))
      return failure();
    return NamedAttribute(name, TypeAttr::get(*t));
  }
  case fb::AttrKind::Elements:
    break;
  }
  return error() << where << ": attribute '" << name.getValue() << "' has an unsupported kind";
}

LogicalResult Reader::readInstruction(const fb::Instruction &inst, StringRef function) {
  std::string_view opName = vm::opcodeName(vm::Opcode(inst.opcode()));
  if (opName.empty())
    return error() << function << ": unknown opcode " << inst.opcode();
  std::string where = (function + ": " + StringRef(opName.data(), opName.size())).str();
  OperationState state(loc_, StringRef(opName.data(), opName.size()));
  if (inst.operands())
    for (uint32_t id : *inst.operands()) {
      FailureOr<Value> v = valueAt(id, where);
      if (failed(v))
        return failure();
      state.operands.push_back(*v);
    }
  if (inst.results())
    for (uint32_t id : *inst.results()) {
      if (id >= values_.size())
        return error() << where << ": result value " << id << " out of range";
      state.types.push_back(types_[(*valueTypes_)[id]]);
    }
  if (inst.attrs())
    for (const fb::Attr *a : *inst.attrs()) {
      FailureOr<NamedAttribute> attr = readAttr(*a, where);
      if (failed(attr))
        return failure();
      state.attributes.push_back(*attr);
    }
  unsigned numRegions = inst.regions() ? inst.regions()->size() : 0;
  for (unsigned i = 0; i < numRegions; ++i)
    state.addRegion();
  if (!state.name.getRegisteredInfo())
    return error() << where << ": operation is not registered";
  Operation *op = builder_.create(state);
  // Region arguments and bodies come before the results, as the writer numbered them.
  for (unsigned i = 0; i < numRegions; ++i) {
    OpBuilder::InsertionGuard guard(builder_);
    if (failed(readRegion(inst.regions()->Get(i), op->getRegion(i), where)))
      return failure();
  }
  if (inst.results())
    for (auto [i, id] : llvm::enumerate(*inst.results()))
      if (failed(defineValue(id, op->getResult(i), where)))
        return failure();
  return success();
}

LogicalResult Reader::readRegion(const fb::Region *r, Region &region, StringRef where) {
  if (!r)
    return error() << where << ": missing region";
  if (!r->arguments() && !r->body()) // an empty region (the else of an scf.if without one)
    return success();
  Block *block = new Block();
  region.push_back(block);
  if (r->arguments())
    for (uint32_t id : *r->arguments()) {
      if (id >= values_.size())
        return error() << where << ": region argument " << id << " out of range";
      BlockArgument arg = block->addArgument(types_[(*valueTypes_)[id]], loc_);
      if (failed(defineValue(id, arg, where)))
        return failure();
    }
  builder_.setInsertionPointToEnd(block);
  if (r->body())
    for (const fb::Instruction *inst : *r->body())
      if (failed(readInstruction(*inst, where)))
        return failure();
  return success();
}

LogicalResult Reader::readFunction(const fb::Function &f, ModuleOp module) {
  if (!f.name() || !f.value_types() || !f.body())
    return error() << "a function lacks its name, value types or body";
  std::string name = f.name()->str();
  valueTypes_ = f.value_types();
  for (uint32_t t : *valueTypes_)
    if (t >= types_.size())
      return error() << name << ": value type index " << t << " out of range";
  values_.assign(valueTypes_->size(), Value());
  SmallVector<Type> inputs, results;
  if (f.arguments())
    for (uint32_t id : *f.arguments()) {
      if (id >= values_.size())
        return error() << name << ": argument value " << id << " out of range";
      inputs.push_back(types_[(*valueTypes_)[id]]);
    }
  if (f.result_types())
    for (uint32_t t : *f.result_types()) {
      FailureOr<Type> type = typeAt(t, name);
      if (failed(type))
        return failure();
      results.push_back(*type);
    }
  builder_.setInsertionPointToEnd(module.getBody());
  auto fnType = builder_.getFunctionType(inputs, results);
  Operation *op;
  if (f.kind() == fb::FunctionKind::Kernel)
    op = KernelOp::create(builder_, loc_, name, fnType, ArrayAttr(), ArrayAttr(),
                          uint64_t(f.warps()), uint64_t(f.shared_bytes()),
                          f.min_blocks_per_sm() > 0
                              ? builder_.getI64IntegerAttr(f.min_blocks_per_sm())
                              : IntegerAttr());
  else
    op = HostOp::create(builder_, loc_, name, fnType, ArrayAttr(), ArrayAttr());
  auto function = cast<FunctionOpInterface>(op);
  auto setNames = [&](const flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>> *v,
                      unsigned count, bool args) {
    if (!v)
      return;
    for (unsigned i = 0; i < std::min<unsigned>(count, v->size()); ++i) {
      std::string n = v->Get(i)->str();
      if (n.empty())
        continue;
      if (args)
        function.setArgAttr(i, kNameAttr, builder_.getStringAttr(n));
      else
        function.setResultAttr(i, kNameAttr, builder_.getStringAttr(n));
    }
  };
  setNames(f.argument_names(), inputs.size(), true);
  setNames(f.result_names(), results.size(), false);
  return readRegion(f.body(), function.getFunctionBody(), name);
}

OwningOpRef<ModuleOp> Reader::read(StringRef bytes) {
  auto *data = reinterpret_cast<const uint8_t *>(bytes.data());
  if (bytes.size() < 8 || !fb::ModuleBufferHasIdentifier(data)) {
    error() << "not a .tslm file (no TSLM identifier)";
    return nullptr;
  }
  flatbuffers::Verifier verifier(data, bytes.size());
  if (!fb::VerifyModuleBuffer(verifier)) {
    error() << "corrupted .tslm file: the FlatBuffers verifier rejects it";
    return nullptr;
  }
  module_ = fb::GetModule(data);
  if (module_->version() != vm::kFormatVersion) {
    error() << ".tslm format version " << module_->version() << " is not this compiler's ("
            << vm::kFormatVersion << ")";
    return nullptr;
  }
  if (failed(readTypes(*module_)))
    return nullptr;
  OwningOpRef<ModuleOp> module = ModuleOp::create(loc_);
  builder_.setInsertionPointToEnd(module->getBody());
  if (module_->constants())
    for (const fb::Constant *c : *module_->constants()) {
      FailureOr<Type> type = typeAt(c->type(), "constant");
      if (failed(type) || !isa<GTensorType>(*type) || !c->name() || !c->data()) {
        error() << "a constant is malformed";
        return nullptr;
      }
      ArrayRef<uint8_t> data(c->data()->data(), c->data()->size());
      builder_.setInsertionPointToEnd(module->getBody());
      GlobalOp::create(builder_, loc_, builder_.getStringAttr(c->name()->str()),
                       TypeAttr::get(*type), makeBytesAttr(ctx_, data, "tbvm_global"));
    }
  if (module_->functions())
    for (const fb::Function *f : *module_->functions())
      if (failed(readFunction(*f, *module)))
        return nullptr;
  if (failed(verify(*module)))
    return nullptr;
  return module;
}

} // namespace

OwningOpRef<ModuleOp> tessel::readBytecode(StringRef bytes, Location loc) {
  return Reader(loc).read(bytes);
}
