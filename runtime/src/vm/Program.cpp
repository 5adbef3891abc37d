// The loader: .tslm bytes -> verified Program. The checks run in the order docs/vm.md
// gives (header, version, FlatBuffers verifier, then the semantic checks); the
// per-instruction rules are in ProgramVerify.cpp.
#include "vm/Program.h"

#include "vm/BitPack.h"
#include "vm/Bytecode.h"
#include "vm/ProgramLoader.h"

#include "tessel/schema/module_generated.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

#include <cstring>

namespace tessel::vm {

//===----------------------------------------------------------------------===//
// Types
//===----------------------------------------------------------------------===//

bool Program::sameType(const ValueType &a, const ValueType &b) const {
  if (a.kind != b.kind || a.dtype != b.dtype || a.shape != b.shape)
    return false;
  // Two layout indices may hold the same layout.
  if (a.kind == ValueKind::kRTensor && a.layout != b.layout &&
      layouts_[size_t(a.layout)] != layouts_[size_t(b.layout)])
    return false;
  return a.kind != ValueKind::kSTensor || a.swizzle == b.swizzle;
}

std::string typeToString(const ValueType &type, const std::vector<Layout> &layouts) {
  auto shapeText = [&] {
    std::string s;
    for (int64_t d : type.shape)
      s += (d < 0 ? std::string("?") : std::to_string(d)) + "x";
    return s;
  };
  switch (type.kind) {
  case ValueKind::kIndex: return "index";
  case ValueKind::kScalar: return type.dtype.name();
  case ValueKind::kGTensor: return "gtensor<" + shapeText() + type.dtype.name() + ">";
  case ValueKind::kSTensor:
    return "stensor<" + shapeText() + type.dtype.name() +
           (type.swizzle.isIdentity() ? "" : ", " + type.swizzle.toString()) + ">";
  case ValueKind::kRTensor: {
    std::string layout = type.layout >= 0 && size_t(type.layout) < layouts.size()
                             ? layouts[size_t(type.layout)].toString()
                             : "?";
    return "rtensor<" + shapeText() + type.dtype.name() + ", " + layout + ">";
  }
  }
  return "?";
}

std::optional<uint32_t> Program::findFunction(std::string_view name) const {
  auto it = functionByName_.find(std::string(name));
  if (it == functionByName_.end())
    return std::nullopt;
  return it->second;
}

std::optional<uint32_t> Program::findConstant(std::string_view name) const {
  auto it = constantByName_.find(std::string(name));
  if (it == constantByName_.end())
    return std::nullopt;
  return it->second;
}

std::shared_ptr<const void>
Program::getOrCreateCache(const std::string &key,
                          const std::function<std::shared_ptr<const void>()> &create) const {
  std::shared_ptr<CacheEntry> entry;
  {
    std::lock_guard<std::mutex> lock(cacheMutex_);
    std::shared_ptr<CacheEntry> &slot = cache_[key];
    if (!slot)
      slot = std::make_shared<CacheEntry>();
    entry = slot;
  }
  std::lock_guard<std::mutex> lock(entry->mutex);
  if (!entry->value)
    entry->value = create();
  return entry->value;
}

std::string describeInstruction(const Function &function, const Instruction &instruction) {
  return absl::StrCat("function '", function.name, "', instruction ", instruction.index, " (",
                      std::string(opcodeName(instruction.opcode)), ")");
}

const fb::Attr *AttrList::find(std::string_view name) const {
  for (const fb::Attr *a : attrs)
    if (a->name() && a->name()->string_view() == name)
      return a;
  return nullptr;
}

//===----------------------------------------------------------------------===//
// The loader
//===----------------------------------------------------------------------===//

namespace {

absl::Status invalid(std::string message) { return absl::InvalidArgumentError(std::move(message)); }

// Reads the root table's `version` field without trusting the buffer, so that a module
// of another version is reported as such even when the rest of its layout changed.
// Returns nullopt when the bytes do not even hold a root table.
std::optional<uint32_t> peekVersion(const uint8_t *data, size_t size) {
  auto read32 = [&](size_t at, uint32_t &out) {
    if (at > size || size - at < 4)
      return false;
    std::memcpy(&out, data + at, 4);
    return true;
  };
  uint32_t root, vtableDelta;
  if (!read32(0, root) || !read32(root, vtableDelta))
    return std::nullopt;
  int64_t vtable = int64_t(root) - int64_t(int32_t(vtableDelta));
  if (vtable < 0 || uint64_t(vtable) + 4 > size)
    return std::nullopt;
  uint16_t vtableSize, fieldOffset = 0;
  std::memcpy(&vtableSize, data + vtable, 2);
  // Field 0 (version) sits at vtable offset 4.
  if (vtableSize >= 6 && uint64_t(vtable) + 6 <= size)
    std::memcpy(&fieldOffset, data + vtable + 4, 2);
  if (fieldOffset == 0)
    return 0u; // absent: the default, 0
  uint32_t version;
  if (!read32(size_t(root) + fieldOffset, version))
    return std::nullopt;
  return version;
}

// Element and scalar types as the schema stores them.
std::optional<DType> toDType(const fb::DType *t, bool scalar, std::string &why) {
  if (!t) {
    why = "has no element type";
    return std::nullopt;
  }
  switch (t->kind()) {
  case 0:
  case 1:
  case 2: {
    unsigned maxBits = scalar ? 64 : 32;
    if (t->bits() < 1 || t->bits() > maxBits) {
      why = absl::StrCat("has an integer of ", t->bits(), " bits (1..", maxBits, " allowed)");
      return std::nullopt;
    }
    if (t->kind() == 0)
      return DType::signlessInt(t->bits());
    return t->kind() == 1 ? DType::signedInt(t->bits()) : DType::unsignedInt(t->bits());
  }
  case 3: {
    FloatName name = FloatName(t->float_name());
    DType d;
    if (name == FloatName::kLowp) {
      if (std::optional<std::string> e =
              DType::checkLowpFloat(t->exponent_bits(), t->mantissa_bits())) {
        why = "has an invalid lowp float: " + *e;
        return std::nullopt;
      }
      d = DType::lowpFloat(t->exponent_bits(), t->mantissa_bits());
    } else if (t->float_name() <= uint8_t(FloatName::kF4E2M1FN) && name != FloatName::kNone) {
      d = DType::namedFloat(name);
    }
    if (!d.isValid()) {
      why = absl::StrCat("has an unknown float name ", t->float_name());
      return std::nullopt;
    }
    if (d.bits() != t->bits()) {
      why = absl::StrCat("says ", t->bits(), " bits for ", d.name(), ", which has ", d.bits());
      return std::nullopt;
    }
    return d;
  }
  default: why = absl::StrCat("has an unknown element kind ", t->kind()); return std::nullopt;
  }
}

// The verifier only guarantees 4-byte alignment of a vector, so 8-byte elements are
// copied bytewise (the format is little-endian, as are the hosts we run on).
std::vector<int64_t> toVector(const flatbuffers::Vector<int64_t> *v) {
  std::vector<int64_t> out(v ? v->size() : 0);
  if (!out.empty())
    std::memcpy(out.data(), v->Data(), out.size() * sizeof(int64_t));
  return out;
}

// Product of static dims with overflow protection; nullopt past 2^48.
std::optional<int64_t> elementCount(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0)
      return std::nullopt;
    if (d != 0 && n > (int64_t(1) << 48) / d)
      return std::nullopt;
    n *= d;
  }
  return n;
}

} // namespace

class ProgramLoader {
public:
  ProgramLoader(const uint8_t *data, size_t size) : data_(data), size_(size) {}

  absl::StatusOr<std::shared_ptr<const Program>> load() {
    if (absl::Status s = checkHeader(); !s.ok())
      return s;
    module_ = fb::GetModule(data_);
    program_.reset(new Program());
    program_->version_ = module_->version();
    if (module_->producer())
      program_->producer_ = module_->producer()->str();
    for (absl::Status s : {loadLayouts(), loadTypes(), loadConstants(), loadSignatures()})
      if (!s.ok())
        return s;
    for (size_t f = 0; f < program_->functions_.size(); ++f)
      if (absl::Status s = loadBody(uint32_t(f)); !s.ok())
        return s;
    return std::shared_ptr<const Program>(std::move(program_));
  }

private:
  absl::Status checkHeader();
  absl::Status loadLayouts();
  absl::Status loadTypes();
  absl::Status loadConstants();
  absl::Status loadSignatures();
  absl::Status loadBody(uint32_t function);
  absl::Status loadBlock(const fb::Region *region, Block &block, bool isEntry);
  absl::Status loadInstruction(const fb::Instruction *fi, Instruction &instruction);
  absl::Status defineValue(uint32_t id, const std::string &where);
  absl::Status useValue(uint32_t id, const std::string &where);

  const uint8_t *data_;
  size_t size_;
  const fb::Module *module_ = nullptr;
  std::unique_ptr<Program> program_;

  // Per function body being loaded.
  Function *function_ = nullptr;
  const fb::Function *fbFunction_ = nullptr;
  uint32_t nextIndex_ = 0;
  // Per value: 0 not yet defined, 1 defined and in scope, 2 defined in a closed region.
  std::vector<uint8_t> valueState_;
};

absl::Status ProgramLoader::checkHeader() {
  if (!data_ || size_ < 8)
    return invalid(absl::StrCat("not a .tslm module: ", size_, " bytes is too short"));
  if (size_ >= FLATBUFFERS_MAX_BUFFER_SIZE)
    return invalid(absl::StrCat("not a .tslm module: ", size_, " bytes is too large"));
  if (!fb::ModuleBufferHasIdentifier(data_))
    return invalid(absl::StrCat("not a .tslm module: the file identifier is '",
                                std::string(reinterpret_cast<const char *>(data_) + 4, 4),
                                "', expected '", kFileIdentifier, "'"));
  std::optional<uint32_t> version = peekVersion(data_, size_);
  if (!version)
    return invalid("corrupt .tslm module: no root table");
  if (*version != kFormatVersion)
    return absl::FailedPreconditionError(absl::StrCat("the module has bytecode version ", *version,
                                                      " but this runtime reads "
                                                      "version ",
                                                      kFormatVersion,
                                                      "; recompile it with a matching compiler"));
  flatbuffers::Verifier::Options options;
  options.max_depth = 128;
  options.max_tables = 1u << 26;
  flatbuffers::Verifier verifier(data_, size_, options);
  if (!fb::VerifyModuleBuffer(verifier))
    return invalid("corrupt .tslm module: the FlatBuffers verifier rejected it");
  return absl::OkStatus();
}

absl::Status ProgramLoader::loadLayouts() {
  if (!module_->layouts())
    return absl::OkStatus();
  for (size_t i = 0; i < module_->layouts()->size(); ++i) {
    const fb::Layout *l = module_->layouts()->Get(flatbuffers::uoffset_t(i));
    std::vector<int64_t> shape = toVector(l->shape());
    if (shape.size() > size_t(kMaxRank))
      return invalid(
          absl::StrCat("layout ", i, " has rank ", shape.size(), " (at most ", kMaxRank, ")"));
    // Bound the sizes first so that no product inside the layout algebra can overflow.
    std::vector<int64_t> modes = toVector(l->mode_shape());
    int64_t product = 1;
    for (int64_t m : modes) {
      if (m < 1 || m > (int64_t(1) << 40) / product)
        return invalid(
            absl::StrCat("layout ", i, " has a mode of size ", m, " or more than 2^40 elements"));
      product *= m;
    }
    std::string error;
    std::optional<Layout> layout = Layout::fromModes(
        shape, std::move(modes), toVector(l->spatial()), toVector(l->local()), &error);
    if (!layout)
      return invalid(absl::StrCat("layout ", i, " is invalid: ", error));
    if (layout->numThreads() > 1024 ||
        layout->numThreads() * layout->localSize() > kMaxTileElements)
      return invalid(absl::StrCat("layout ", i, " (", layout->toString(), ") spans ",
                                  layout->numThreads(), " threads of ", layout->localSize(),
                                  " slots; at most 1024 threads and 2^24 cells"));
    program_->layouts_.push_back(std::move(*layout));
  }
  return absl::OkStatus();
}

absl::Status ProgramLoader::loadTypes() {
  if (!module_->types())
    return absl::OkStatus();
  for (size_t i = 0; i < module_->types()->size(); ++i) {
    const fb::Type *t = module_->types()->Get(flatbuffers::uoffset_t(i));
    auto fail = [&](const std::string &why) { return invalid(absl::StrCat("type ", i, " ", why)); };
    ValueType type;
    type.shape = toVector(t->shape());
    if (type.shape.size() > size_t(kMaxRank))
      return fail(absl::StrCat("has rank ", type.shape.size(), " (at most ", kMaxRank, ")"));
    std::string why;
    switch (t->kind()) {
    case fb::TypeKind::Index:
      type.kind = ValueKind::kIndex;
      type.dtype = DType::signlessInt(64);
      break;
    case fb::TypeKind::Scalar: {
      type.kind = ValueKind::kScalar;
      std::optional<DType> d = toDType(t->dtype(), /*scalar=*/true, why);
      if (!d)
        return fail(why);
      bool ok = d->kind() == TypeKind::kSignlessInt || d->floatName() == FloatName::kF16 ||
                d->floatName() == FloatName::kBF16 || d->floatName() == FloatName::kF32;
      if (!ok)
        return fail("is a scalar of " + d->name() +
                    "; scalars are signless integers, f16, bf16 or f32");
      type.dtype = *d;
      break;
    }
    case fb::TypeKind::RTensor:
    case fb::TypeKind::STensor:
    case fb::TypeKind::GTensor: {
      std::optional<DType> d = toDType(t->dtype(), /*scalar=*/false, why);
      if (!d)
        return fail(why);
      type.dtype = *d;
      bool isStatic = t->kind() != fb::TypeKind::GTensor;
      for (int64_t n : type.shape)
        if (isStatic ? n < 1 : (n < 0 && n != -1))
          return fail(isStatic ? "needs a static shape of positive sizes"
                               : "has a negative dimension other than -1 (dynamic)");
      if (isStatic) {
        std::optional<int64_t> n = elementCount(type.shape);
        if (!n || *n > kMaxTileElements)
          return fail("has more than 2^24 elements");
        type.numElements = *n;
        type.sizeInBytes = int64_t(packedBytes(size_t(*n), type.dtype.bits()));
      }
      if (t->kind() == fb::TypeKind::RTensor) {
        type.kind = ValueKind::kRTensor;
        if (t->layout() < 0 || size_t(t->layout()) >= program_->layouts_.size())
          return fail(
              absl::StrCat("refers to layout ", t->layout(), " of ", program_->layouts_.size()));
        type.layout = t->layout();
        if (program_->layouts_[size_t(type.layout)].shape() != type.shape)
          return fail("has a shape that differs from its layout's");
      } else if (t->kind() == fb::TypeKind::STensor) {
        type.kind = ValueKind::kSTensor;
        Swizzle s{t->swizzle_bits(), t->swizzle_base(), t->swizzle_shift()};
        // Each field is bounded before they are added (no int overflow on hostile input).
        if (s.bits < 0 || s.base < 0 || s.shift < 0 || s.bits > 30 || s.base > 30 ||
            s.shift > 30 || s.bits + s.base + s.shift > 30 || (s.bits > 0 && s.shift < s.bits))
          return fail(
              absl::StrCat("has an invalid swizzle<", s.bits, ", ", s.base, ", ", s.shift, ">"));
        int64_t period = s.period();
        if (s.bits > 0 && type.numElements % period != 0)
          return fail(absl::StrCat("has ", type.numElements,
                                   " elements, not a multiple of "
                                   "its swizzle's period ",
                                   period));
        type.swizzle = s.bits > 0 ? s : Swizzle{};
      } else {
        type.kind = ValueKind::kGTensor;
      }
      break;
    }
    default: return fail(absl::StrCat("has an unknown kind ", int(t->kind())));
    }
    if (type.isScalarLike() && !type.shape.empty())
      return fail("is a scalar with a shape");
    program_->types_.push_back(std::move(type));
  }
  return absl::OkStatus();
}

absl::Status ProgramLoader::loadConstants() {
  if (!module_->constants())
    return absl::OkStatus();
  for (size_t i = 0; i < module_->constants()->size(); ++i) {
    const fb::Constant *c = module_->constants()->Get(flatbuffers::uoffset_t(i));
    Constant constant;
    constant.name = c->name() ? c->name()->str() : "";
    std::string where = absl::StrCat("constant ", i, " '", constant.name, "'");
    if (constant.name.empty())
      return invalid(where + " has no name");
    if (!program_->constantByName_.emplace(constant.name, uint32_t(i)).second)
      return invalid(where + " has the name of an earlier constant");
    if (c->type() >= program_->types_.size())
      return invalid(
          absl::StrCat(where, " refers to type ", c->type(), " of ", program_->types_.size()));
    const ValueType &type = program_->types_[c->type()];
    std::optional<int64_t> n = elementCount(type.shape);
    if (type.kind != ValueKind::kGTensor || !n)
      return invalid(where + " needs a global tensor type with a static shape, not " +
                     program_->typeName(c->type()));
    size_t bytes = packedBytes(size_t(*n), type.dtype.bits());
    size_t have = c->data() ? c->data()->size() : 0;
    if (have != bytes)
      return invalid(absl::StrCat(where, " of type ", program_->typeName(c->type()), " needs ",
                                  bytes, " bytes of data, has ", have));
    constant.type = c->type();
    constant.data = c->data() ? c->data()->data() : nullptr;
    constant.size = have;
    program_->constants_.push_back(std::move(constant));
  }
  return absl::OkStatus();
}

absl::Status ProgramLoader::loadSignatures() {
  if (!module_->functions())
    return absl::OkStatus();
  const std::vector<ValueType> &types = program_->types_;
  for (size_t i = 0; i < module_->functions()->size(); ++i) {
    const fb::Function *ff = module_->functions()->Get(flatbuffers::uoffset_t(i));
    Function f;
    f.name = ff->name() ? ff->name()->str() : "";
    std::string where = absl::StrCat("function ", i, " '", f.name, "'");
    if (f.name.empty())
      return invalid(where + " has no name");
    if (!program_->functionByName_.emplace(f.name, uint32_t(i)).second)
      return invalid(where + " has the name of an earlier function");
    if (ff->kind() != fb::FunctionKind::Kernel && ff->kind() != fb::FunctionKind::Host)
      return invalid(absl::StrCat(where, " has an unknown kind ", int(ff->kind())));
    f.kind = ff->kind() == fb::FunctionKind::Kernel ? FunctionKind::kKernel : FunctionKind::kHost;
    if (ff->value_types())
      f.valueTypes.assign(ff->value_types()->begin(), ff->value_types()->end());
    if (f.valueTypes.size() > (size_t(1) << 24))
      return invalid(where + " has more than 2^24 values");
    for (size_t v = 0; v < f.valueTypes.size(); ++v)
      if (f.valueTypes[v] >= types.size())
        return invalid(absl::StrCat(where, ": value ", v, " refers to type ", f.valueTypes[v],
                                    " of ", types.size()));
    if (!ff->body())
      return invalid(where + " has no body");
    // The entry block's arguments are the function's; `arguments` must agree.
    const flatbuffers::Vector<uint32_t> *bodyArgs = ff->body()->arguments();
    std::vector<uint32_t> args;
    if (bodyArgs)
      args.assign(bodyArgs->begin(), bodyArgs->end());
    std::vector<uint32_t> declared;
    if (ff->arguments())
      declared.assign(ff->arguments()->begin(), ff->arguments()->end());
    if (declared != args)
      return invalid(where + ": `arguments` differs from the body's block arguments");
    for (uint32_t a : args)
      if (a >= f.valueTypes.size())
        return invalid(absl::StrCat(where, ": argument value ", a, " is out of range (",
                                    f.valueTypes.size(), " values)"));
    f.body.arguments = args;
    if (ff->result_types())
      f.resultTypes.assign(ff->result_types()->begin(), ff->result_types()->end());
    for (uint32_t r : f.resultTypes)
      if (r >= types.size())
        return invalid(absl::StrCat(where, ": result type ", r, " of ", types.size()));
    auto names = [](const flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>> *v) {
      std::vector<std::string> out;
      if (v)
        for (const flatbuffers::String *s : *v)
          out.push_back(s ? s->str() : "");
      return out;
    };
    f.argumentNames = names(ff->argument_names());
    f.resultNames = names(ff->result_names());
    if (!f.argumentNames.empty() && f.argumentNames.size() != args.size())
      return invalid(where + ": argument_names does not name every argument");
    if (!f.resultNames.empty() && f.resultNames.size() != f.resultTypes.size())
      return invalid(where + ": result_names does not name every result");
    f.argumentNames.resize(args.size());
    f.resultNames.resize(f.resultTypes.size());

    if (f.kind == FunctionKind::kKernel) {
      f.warps = ff->warps();
      f.sharedBytes = ff->shared_bytes();
      f.minBlocksPerSm = ff->min_blocks_per_sm();
      if (f.minBlocksPerSm < 0 || f.minBlocksPerSm > 32)
        return invalid(absl::StrCat(where, " asks for ", f.minBlocksPerSm,
                                    " blocks per SM (0..32 allowed)"));
      if (f.warps < 1 || f.warps > 32)
        return invalid(absl::StrCat(where, " needs 1..32 warps, has ", f.warps));
      if (f.sharedBytes < 0 || f.sharedBytes > kMaxSharedBytes)
        return invalid(absl::StrCat(where, " asks for ", f.sharedBytes,
                                    " bytes of shared memory (0..2^24 allowed)"));
      if (!f.resultTypes.empty())
        return invalid(where + ": a kernel returns nothing");
      for (uint32_t a : args) {
        const ValueType &t = types[f.valueTypes[a]];
        bool ok = t.kind == ValueKind::kGTensor || t.kind == ValueKind::kIndex ||
                  (t.kind == ValueKind::kScalar &&
                   (t.dtype.isFloat() || t.dtype.bits() == 32 || t.dtype.bits() == 64));
        if (!ok)
          return invalid(absl::StrCat(where, ": argument ", a, " has type ",
                                      program_->typeName(f.valueTypes[a]),
                                      "; kernel arguments are global tensors, index, i32, "
                                      "i64, f16, bf16 or f32"));
      }
      // Every register tile of the kernel spans exactly its threads.
      for (size_t v = 0; v < f.valueTypes.size(); ++v) {
        const ValueType &t = types[f.valueTypes[v]];
        if (t.kind == ValueKind::kRTensor &&
            program_->layouts_[size_t(t.layout)].numThreads() != f.numThreads())
          return invalid(absl::StrCat(where, " has ", f.numThreads(), " threads (", f.warps,
                                      " warps) but value ", v, " of type ",
                                      program_->typeName(f.valueTypes[v]), " spans ",
                                      program_->layouts_[size_t(t.layout)].numThreads()));
      }
    } else {
      for (uint32_t a : args)
        if (types[f.valueTypes[a]].kind != ValueKind::kGTensor)
          return invalid(absl::StrCat(where, ": input ", a, " has type ",
                                      program_->typeName(f.valueTypes[a]),
                                      "; host inputs are global tensors"));
      for (uint32_t r : f.resultTypes)
        if (types[r].kind != ValueKind::kGTensor)
          return invalid(where + ": an output has type " + program_->typeName(r) +
                         "; host outputs are global tensors");
    }
    program_->functions_.push_back(std::move(f));
  }
  return absl::OkStatus();
}

absl::Status ProgramLoader::defineValue(uint32_t id, const std::string &where) {
  if (id >= valueState_.size())
    return invalid(absl::StrCat(where, ": defines value ", id, " but the function has ",
                                valueState_.size(), " values"));
  if (valueState_[id] != 0)
    return invalid(absl::StrCat(where, ": value ", id, " is defined twice"));
  valueState_[id] = 1;
  return absl::OkStatus();
}

absl::Status ProgramLoader::useValue(uint32_t id, const std::string &where) {
  if (id >= valueState_.size())
    return invalid(absl::StrCat(where, ": uses value ", id, " but the function has ",
                                valueState_.size(), " values"));
  if (valueState_[id] == 0)
    return invalid(absl::StrCat(where, ": uses value ", id, " before it is defined"));
  if (valueState_[id] == 2)
    return invalid(absl::StrCat(where, ": uses value ", id,
                                ", which is defined in a region that does not enclose it"));
  return absl::OkStatus();
}

absl::Status ProgramLoader::loadBody(uint32_t f) {
  function_ = &program_->functions_[f];
  fbFunction_ = module_->functions()->Get(f);
  nextIndex_ = 0;
  valueState_.assign(function_->valueTypes.size(), 0);
  if (absl::Status s = loadBlock(fbFunction_->body(), function_->body, /*isEntry=*/true); !s.ok())
    return s;
  for (size_t v = 0; v < valueState_.size(); ++v)
    if (valueState_[v] == 0)
      return invalid(absl::StrCat("function '", function_->name, "': value ", v,
                                  " has a type but is never defined"));
  return absl::OkStatus();
}

absl::Status ProgramLoader::loadBlock(const fb::Region *region, Block &block, bool isEntry) {
  std::string where = absl::StrCat("function '", function_->name, "'");
  std::vector<uint32_t> defined;
  if (region->arguments())
    block.arguments.assign(region->arguments()->begin(), region->arguments()->end());
  for (uint32_t a : block.arguments) {
    if (absl::Status s = defineValue(a, where + ", block argument"); !s.ok())
      return s;
    defined.push_back(a);
  }
  const auto *body = region->body();
  size_t count = body ? body->size() : 0;
  block.body.resize(count);
  for (size_t i = 0; i < count; ++i) {
    Instruction &ins = block.body[i];
    if (absl::Status s = loadInstruction(body->Get(flatbuffers::uoffset_t(i)), ins); !s.ok())
      return s;
    for (uint32_t r : ins.results)
      defined.push_back(r);
    // Terminators: only last, and the last instruction must be one.
    bool isTerminator = ins.opcode == Opcode::Return || ins.opcode == Opcode::Yield;
    bool last = i + 1 == count;
    if (isTerminator && !last)
      return invalid(describeInstruction(*function_, ins) + ": a terminator must end its block");
    if (isTerminator && (ins.opcode == Opcode::Return) != isEntry)
      return invalid(describeInstruction(*function_, ins) +
                     (isEntry ? ": a function body ends with tbvm.return"
                              : ": a region of scf.for/scf.if ends with scf.yield"));
  }
  if (isEntry && (count == 0 || block.body.back().opcode != Opcode::Return))
    return invalid(where + ": the body does not end with tbvm.return");
  // Non-entry blocks are checked by their scf op (an empty else is allowed there).
  for (uint32_t v : defined)
    valueState_[v] = 2;
  return absl::OkStatus();
}

absl::Status ProgramLoader::loadInstruction(const fb::Instruction *fi, Instruction &ins) {
  ins.index = nextIndex_++;
  if (fi->opcode() >= uint16_t(Opcode::kCount))
    return invalid(absl::StrCat("function '", function_->name, "', instruction ", ins.index,
                                ": unknown opcode ", fi->opcode()));
  ins.opcode = Opcode(fi->opcode());
  std::string where = describeInstruction(*function_, ins);
  bool isKernel = function_->kind == FunctionKind::kKernel;
  if (isKernel ? !allowedInKernel(ins.opcode) : !allowedInHost(ins.opcode))
    return invalid(where + (isKernel ? ": not allowed in a kernel (host functions only)"
                                     : ": not allowed in a host function (kernels only)"));
  if (fi->operands())
    ins.operands.assign(fi->operands()->begin(), fi->operands()->end());
  for (uint32_t v : ins.operands)
    if (absl::Status s = useValue(v, where); !s.ok())
      return s;
  if (fi->regions()) {
    ins.regions.resize(fi->regions()->size());
    for (size_t r = 0; r < ins.regions.size(); ++r)
      if (absl::Status s = loadBlock(fi->regions()->Get(flatbuffers::uoffset_t(r)), ins.regions[r],
                                     /*isEntry=*/false);
          !s.ok())
        return s;
  }
  if (fi->results())
    ins.results.assign(fi->results()->begin(), fi->results()->end());
  for (uint32_t v : ins.results)
    if (absl::Status s = defineValue(v, where); !s.ok())
      return s;
  AttrList attrs;
  if (fi->attrs())
    for (const fb::Attr *a : *fi->attrs())
      attrs.attrs.push_back(a);
  return verifyInstruction(*program_, *function_, ins, attrs);
}

absl::StatusOr<std::shared_ptr<const Program>> loadProgram(const uint8_t *data, size_t size) {
  return ProgramLoader(data, size).load();
}

} // namespace tessel::vm
