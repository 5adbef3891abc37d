// Builds .tslm modules in C++ for the runtime's tests, in the form the serializer writes
// (see the encoding contract in docs/vm.md). It checks nothing, so tests can also build
// broken modules on purpose.
#ifndef TESSEL_RUNTIME_TEST_MODULEBUILDER_H
#define TESSEL_RUNTIME_TEST_MODULEBUILDER_H

#include "vm/Bytecode.h"
#include "vm/DType.h"
#include "vm/Layout.h"
#include "vm/Opcodes.h"

#include "tessel/schema/module_generated.h"

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

namespace tessel::test {

struct TAttr {
  std::string name;
  fb::AttrKind kind = fb::AttrKind::Int;
  std::vector<int64_t> ints;
  std::vector<double> floats;
  std::string str;
  int32_t type = -1;
};

inline TAttr intAttr(std::string name, int64_t v) {
  return {std::move(name), fb::AttrKind::Int, {v}, {}, "", -1};
}
inline TAttr floatAttr(std::string name, double v) {
  return {std::move(name), fb::AttrKind::Float, {}, {v}, "", -1};
}
inline TAttr boolAttr(std::string name, bool v) {
  return {std::move(name), fb::AttrKind::Bool, {v ? 1 : 0}, {}, "", -1};
}
inline TAttr symbolAttr(std::string name, std::string symbol) {
  return {std::move(name), fb::AttrKind::Symbol, {}, {}, std::move(symbol), -1};
}
inline TAttr intArrayAttr(std::string name, std::vector<int64_t> v) {
  return {std::move(name), fb::AttrKind::IntArray, std::move(v), {}, "", -1};
}
inline TAttr stringAttr(std::string name, std::string text) {
  return {std::move(name), fb::AttrKind::String, {}, {}, std::move(text), -1};
}

struct TRegion;
struct TInst {
  uint16_t opcode = 0;
  std::vector<uint32_t> operands, results;
  std::vector<TAttr> attrs;
  std::vector<TRegion> regions;
};
struct TRegion {
  std::vector<uint32_t> arguments;
  std::vector<TInst> body;
};

struct TFunction {
  std::string name;
  bool kernel = true;
  std::vector<uint32_t> valueTypes;
  TRegion body;
  std::vector<uint32_t> resultTypes;
  int32_t warps = 1;
  int64_t sharedBytes = 0;
  int32_t minBlocksPerSm = 0;
  std::vector<std::string> argumentNames, resultNames;
};

class ModuleBuilder;

/// Emits the instructions of one function, in program order.
class FunctionBuilder {
public:
  FunctionBuilder(ModuleBuilder &module, TFunction &function) : m_(module), f_(&function) {
    stack_.push_back(&function.body);
  }

  /// A new value of type `type` (not yet defined).
  uint32_t value(uint32_t type) {
    f_->valueTypes.push_back(type);
    return uint32_t(f_->valueTypes.size() - 1);
  }
  /// A function argument.
  uint32_t arg(uint32_t type, std::string name = "") {
    uint32_t v = value(type);
    f_->body.arguments.push_back(v);
    f_->argumentNames.push_back(std::move(name));
    return v;
  }
  /// Emits an instruction; returns its results (new values of `resultTypes`).
  std::vector<uint32_t> op(vm::Opcode opcode, std::vector<uint32_t> operands,
                           std::vector<uint32_t> resultTypes = {}, std::vector<TAttr> attrs = {},
                           std::vector<TRegion> regions = {}) {
    TInst ins;
    ins.opcode = uint16_t(opcode);
    ins.operands = std::move(operands);
    for (uint32_t t : resultTypes)
      ins.results.push_back(value(t));
    ins.attrs = std::move(attrs);
    ins.regions = std::move(regions);
    std::vector<uint32_t> results = ins.results;
    stack_.back()->body.push_back(std::move(ins));
    return results;
  }
  uint32_t op1(vm::Opcode opcode, std::vector<uint32_t> operands, uint32_t resultType,
               std::vector<TAttr> attrs = {}) {
    return op(opcode, std::move(operands), {resultType}, std::move(attrs))[0];
  }
  /// Opens a region with arguments `arguments` (values made with value()); instructions
  /// go into it until endRegion().
  void beginRegion(std::vector<uint32_t> arguments = {}) {
    pending_.push_back(TRegion{std::move(arguments), {}});
    // Regions are kept by value in pending_, so point at them by index.
    stack_.push_back(nullptr);
    refresh();
  }
  TRegion endRegion() {
    TRegion r = std::move(pending_.back());
    pending_.pop_back();
    stack_.pop_back();
    refresh();
    return r;
  }

  // Shorthands.
  uint32_t constantIndex(int64_t v);
  uint32_t constantInt(uint32_t type, int64_t v) {
    return op1(vm::Opcode::Constant, {}, type, {intAttr("value", v)});
  }
  uint32_t constantFloat(uint32_t type, double v) {
    return op1(vm::Opcode::Constant, {}, type, {floatAttr("value", v)});
  }
  void ret(std::vector<uint32_t> values = {}) { op(vm::Opcode::Return, std::move(values)); }

  TFunction &function() { return *f_; }

private:
  void refresh() {
    for (size_t i = 1, p = 0; i < stack_.size(); ++i, ++p)
      stack_[i] = &pending_[p];
  }
  ModuleBuilder &m_;
  TFunction *f_;
  std::vector<TRegion *> stack_;
  std::vector<TRegion> pending_;
};

class ModuleBuilder {
public:
  uint32_t index() { return type(fb::TypeKind::Index, vm::DType::signlessInt(64), {}); }
  uint32_t scalar(vm::DType d) { return type(fb::TypeKind::Scalar, d, {}); }
  uint32_t gtensor(std::vector<int64_t> shape, vm::DType d) {
    return type(fb::TypeKind::GTensor, d, std::move(shape));
  }
  uint32_t stensor(std::vector<int64_t> shape, vm::DType d, vm::Swizzle s = {}) {
    return type(fb::TypeKind::STensor, d, std::move(shape), -1, s);
  }
  uint32_t rtensor(vm::DType d, const vm::Layout &l) {
    return type(fb::TypeKind::RTensor, d, l.shape(), int32_t(layout(l)));
  }
  uint32_t rtensor(vm::DType d, const std::string &layoutText) {
    std::string error;
    std::optional<vm::Layout> l = vm::Layout::parse(layoutText, &error);
    if (!l)
      abort();
    return rtensor(d, *l);
  }
  uint32_t layout(const vm::Layout &l) {
    std::string key = l.toString() + "|" + std::to_string(l.rank());
    auto it = layoutIds_.find(key);
    if (it != layoutIds_.end())
      return it->second;
    layouts_.push_back(l);
    return layoutIds_[key] = uint32_t(layouts_.size() - 1);
  }

  /// The last kernel's request of blocks per SM.
  void setMinBlocksPerSm(int32_t n) { functions_.back().minBlocksPerSm = n; }
  FunctionBuilder kernel(const std::string &name, int32_t warps, int64_t sharedBytes = 0) {
    functions_.emplace_back();
    TFunction &f = functions_.back();
    f.name = name;
    f.kernel = true;
    f.warps = warps;
    f.sharedBytes = sharedBytes;
    return FunctionBuilder(*this, f);
  }
  FunctionBuilder host(const std::string &name, std::vector<uint32_t> resultTypes) {
    functions_.emplace_back();
    TFunction &f = functions_.back();
    f.name = name;
    f.kernel = false;
    f.resultTypes = std::move(resultTypes);
    f.resultNames.assign(f.resultTypes.size(), "");
    return FunctionBuilder(*this, f);
  }
  void constant(const std::string &name, uint32_t type, std::vector<uint8_t> data) {
    constants_.push_back({name, type, std::move(data)});
  }

  std::vector<uint8_t> finish(uint32_t version = vm::kFormatVersion);

  // Raw access for tests that break things on purpose.
  uint32_t rawType(fb::TypeKind kind, vm::DType d, std::vector<int64_t> shape, int32_t layout = -1,
                   vm::Swizzle s = {}) {
    return type(kind, d, std::move(shape), layout, s);
  }
  std::deque<TFunction> &functions() { return functions_; }
  size_t numTypes() const { return types_.size(); }

private:
  struct TType {
    fb::TypeKind kind;
    vm::DType dtype;
    std::vector<int64_t> shape;
    int32_t layout;
    vm::Swizzle swizzle;
  };
  struct TConstant {
    std::string name;
    uint32_t type;
    std::vector<uint8_t> data;
  };

  uint32_t type(fb::TypeKind kind, vm::DType d, std::vector<int64_t> shape, int32_t layout = -1,
                vm::Swizzle s = {}) {
    types_.push_back({kind, d, std::move(shape), layout, s});
    return uint32_t(types_.size() - 1);
  }

  std::vector<TType> types_;
  std::vector<vm::Layout> layouts_;
  std::map<std::string, uint32_t> layoutIds_;
  std::deque<TFunction> functions_;
  std::vector<TConstant> constants_;
};

inline uint32_t FunctionBuilder::constantIndex(int64_t v) { return constantInt(m_.index(), v); }

namespace detail {

inline fb::DType toFb(vm::DType d) {
  uint8_t kind = d.isFloat()                              ? 3
                 : d.kind() == vm::TypeKind::kSignedInt   ? 1
                 : d.kind() == vm::TypeKind::kUnsignedInt ? 2
                                                          : 0;
  return fb::DType(kind, uint8_t(d.bits()), uint8_t(d.floatName()), d.floatFormat().exponentBits,
                   d.floatFormat().mantissaBits);
}

inline flatbuffers::Offset<fb::Region> writeRegion(flatbuffers::FlatBufferBuilder &b,
                                                   const TRegion &r);

inline flatbuffers::Offset<fb::Instruction> writeInstruction(flatbuffers::FlatBufferBuilder &b,
                                                             const TInst &ins) {
  std::vector<flatbuffers::Offset<fb::Attr>> attrs;
  for (const TAttr &a : ins.attrs)
    attrs.push_back(fb::CreateAttrDirect(b, a.name.c_str(), a.kind, &a.ints, &a.floats,
                                         a.str.empty() ? nullptr : a.str.c_str(), a.type));
  std::vector<flatbuffers::Offset<fb::Region>> regions;
  for (const TRegion &r : ins.regions)
    regions.push_back(writeRegion(b, r));
  return fb::CreateInstructionDirect(b, ins.opcode, &ins.operands, &ins.results, &attrs,
                                     regions.empty() ? nullptr : &regions);
}

inline flatbuffers::Offset<fb::Region> writeRegion(flatbuffers::FlatBufferBuilder &b,
                                                   const TRegion &r) {
  std::vector<flatbuffers::Offset<fb::Instruction>> body;
  for (const TInst &ins : r.body)
    body.push_back(writeInstruction(b, ins));
  return fb::CreateRegionDirect(b, &r.arguments, &body);
}

} // namespace detail

inline std::vector<uint8_t> ModuleBuilder::finish(uint32_t version) {
  flatbuffers::FlatBufferBuilder b;
  std::vector<flatbuffers::Offset<fb::Type>> types;
  for (const TType &t : types_) {
    fb::DType d = detail::toFb(t.dtype);
    types.push_back(fb::CreateTypeDirect(b, t.kind, &d, &t.shape, t.layout, t.swizzle.bits,
                                         t.swizzle.base, t.swizzle.shift));
  }
  std::vector<flatbuffers::Offset<fb::Layout>> layouts;
  for (const vm::Layout &l : layouts_) {
    std::vector<int64_t> shape = l.shape(), modes = l.modeShape(), spatial = l.spatialModes(),
                         local = l.localModes();
    layouts.push_back(fb::CreateLayoutDirect(b, &shape, &modes, &spatial, &local));
  }
  std::vector<flatbuffers::Offset<fb::Function>> functions;
  for (const TFunction &f : functions_) {
    auto body = detail::writeRegion(b, f.body);
    std::vector<flatbuffers::Offset<flatbuffers::String>> argNames, resNames;
    for (const std::string &s : f.argumentNames)
      argNames.push_back(b.CreateString(s));
    for (const std::string &s : f.resultNames)
      resNames.push_back(b.CreateString(s));
    functions.push_back(fb::CreateFunctionDirect(
        b, f.name.c_str(), f.kernel ? fb::FunctionKind::Kernel : fb::FunctionKind::Host,
        &f.valueTypes, &f.body.arguments, &f.resultTypes, body, f.kernel ? f.warps : 0,
        f.kernel ? f.sharedBytes : 0, f.kernel ? nullptr : &argNames,
        f.kernel ? nullptr : &resNames, f.kernel ? f.minBlocksPerSm : 0));
  }
  std::vector<flatbuffers::Offset<fb::Constant>> constants;
  for (const TConstant &c : constants_) {
    b.ForceVectorAlignment(c.data.size(), 1, 64);
    auto data = b.CreateVector(c.data);
    constants.push_back(fb::CreateConstant(b, b.CreateString(c.name), c.type, data));
  }
  auto module =
      fb::CreateModuleDirect(b, version, "tessel-test", &types, &layouts, &functions, &constants);
  fb::FinishModuleBuffer(b, module);
  return std::vector<uint8_t>(b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize());
}

} // namespace tessel::test

#endif // TESSEL_RUNTIME_TEST_MODULEBUILDER_H
