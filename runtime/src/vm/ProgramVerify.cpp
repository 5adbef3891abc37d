// The loader's per-instruction rules: operand and result counts, kinds, element types
// and shapes, required attributes, region structure. They mirror the tbvm dialect's
// verifiers (dialects/TBVM/IR/TBVMOps.cpp, TBVMComputeOps.cpp) where an executor depends
// on them; layout rules that only the GPU needs (mma fragments, the CUDA-core holder rule
// of dot) are left to the GPU backend.
#include "vm/ProgramLoader.h"

#include "vm/Numerics.h"

#include "tessel/schema/module_generated.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

#include <cstring>

namespace tessel::vm {

bool allowedInHost(Opcode op) {
  switch (op) {
  case Opcode::Return:
  case Opcode::GetGlobal:
  case Opcode::AllocGlobal:
  case Opcode::Launch:
  case Opcode::Check:
  case Opcode::ResidentBlocks:
  case Opcode::Dim: return true;
  // Scalars and control flow (arith, scf); opcodes appended after them are not.
  default: return op >= Opcode::Constant && op <= Opcode::Yield;
  }
}

bool allowedInKernel(Opcode op) {
  return op != Opcode::GetGlobal && op != Opcode::AllocGlobal && op != Opcode::Launch &&
         op != Opcode::Check && op != Opcode::ResidentBlocks;
}

namespace {

#define TESSEL_TRY(expr)                                                                           \
  do {                                                                                             \
    if (absl::Status _status = (expr); !_status.ok())                                              \
      return _status;                                                                              \
  } while (false)

// Element 0 of a vector of 8-byte scalars (only 4-byte aligned: see Program.cpp).
template <class T> T first(const flatbuffers::Vector<T> *v) {
  T out;
  std::memcpy(&out, v->Data(), sizeof(T));
  return out;
}

bool isArithFloat(DType d) {
  return d.floatName() == FloatName::kF16 || d.floatName() == FloatName::kBF16 ||
         d.floatName() == FloatName::kF32;
}

class InstructionVerifier {
public:
  InstructionVerifier(const Program &program, const Function &function, Instruction &ins,
                      const AttrList &attrs)
      : p_(program), f_(function), ins_(ins), attrs_(attrs),
        where_(describeInstruction(function, ins)) {}

  absl::Status run();

private:
  absl::Status fail(const std::string &message) const {
    return absl::InvalidArgumentError(where_ + ": " + message);
  }
  const ValueType &operand(size_t i) const { return p_.valueType(f_, ins_.operands[i]); }
  const ValueType &result(size_t i) const { return p_.valueType(f_, ins_.results[i]); }
  std::string name(const ValueType &t) const { return p_.typeName(t); }
  const Layout &layout(const ValueType &t) const { return p_.layoutOf(t); }
  bool sameTile(const ValueType &a, const ValueType &b) const {
    return a.shape == b.shape && layout(a) == layout(b);
  }

  absl::Status counts(size_t minOperands, size_t maxOperands, size_t results) const;
  absl::Status expectKind(const ValueType &t, ValueKind kind, const std::string &what) const;
  absl::Status expectIndices(size_t first, size_t count) const;
  absl::Status readInt(std::string_view name, int64_t &out, bool required, int64_t lo,
                       int64_t hi) const;
  absl::Status readSymbol(std::string_view name, std::string &out) const;
  absl::Status elementwiseOperand(size_t i, const ValueType &result, DType element,
                                  const char *what) const;
  absl::Status productTypes(DType in, DType acc) const;
  absl::Status tileAccess(const ValueType &tensor, size_t numIndices, const ValueType &tile,
                          bool mustFit) const;
  absl::Status checkYield(const Block &block, const std::vector<uint32_t> &types,
                          bool allowEmpty) const;

  absl::Status verifyHost();
  absl::Status verifyMemory();
  absl::Status verifyCompute();
  absl::Status verifyScalar();
  absl::Status verifyControl();

  const Program &p_;
  const Function &f_;
  Instruction &ins_;
  const AttrList &attrs_;
  std::string where_;
};

absl::Status InstructionVerifier::counts(size_t minOperands, size_t maxOperands,
                                         size_t results) const {
  size_t n = ins_.operands.size();
  if (n < minOperands || n > maxOperands) {
    std::string expected = minOperands == maxOperands ? std::to_string(minOperands)
                           : maxOperands == SIZE_MAX  ? absl::StrCat("at least ", minOperands)
                                                     : absl::StrCat(minOperands, "..", maxOperands);
    return fail(absl::StrCat("has ", n, " operands, expected ", expected));
  }
  if (ins_.results.size() != results)
    return fail(absl::StrCat("has ", ins_.results.size(), " results, expected ", results));
  return absl::OkStatus();
}

absl::Status InstructionVerifier::expectKind(const ValueType &t, ValueKind kind,
                                             const std::string &what) const {
  if (t.kind == kind)
    return absl::OkStatus();
  static const char *kNames[] = {"a scalar", "an index", "a register tile", "a shared tile",
                                 "a global tensor"};
  return fail(what + " must be " + kNames[int(kind)] + ", not " + name(t));
}

absl::Status InstructionVerifier::expectIndices(size_t first, size_t count) const {
  for (size_t i = first; i < first + count; ++i)
    TESSEL_TRY(expectKind(operand(i), ValueKind::kIndex, absl::StrCat("operand ", i)));
  return absl::OkStatus();
}

absl::Status InstructionVerifier::readInt(std::string_view attrName, int64_t &out, bool required,
                                          int64_t lo, int64_t hi) const {
  const fb::Attr *a = attrs_.find(attrName);
  if (!a) {
    if (required)
      return fail(absl::StrCat("needs the attribute '", std::string(attrName), "'"));
    return absl::OkStatus();
  }
  bool intLike = a->kind() == fb::AttrKind::Int || a->kind() == fb::AttrKind::Enum ||
                 a->kind() == fb::AttrKind::Bool;
  if (!intLike || !a->ints() || a->ints()->size() < 1)
    return fail(absl::StrCat("attribute '", std::string(attrName), "' must be an integer"));
  int64_t v = first(a->ints());
  if (v < lo || v > hi)
    return fail(absl::StrCat("attribute '", std::string(attrName), "' is ", v, ", expected ", lo,
                             "..", hi));
  out = v;
  return absl::OkStatus();
}

absl::Status InstructionVerifier::readSymbol(std::string_view attrName, std::string &out) const {
  const fb::Attr *a = attrs_.find(attrName);
  if (!a || !a->str() || (a->kind() != fb::AttrKind::Symbol && a->kind() != fb::AttrKind::String))
    return fail(absl::StrCat("needs the symbol attribute '", std::string(attrName), "'"));
  out = a->str()->str();
  return absl::OkStatus();
}

absl::Status InstructionVerifier::elementwiseOperand(size_t i, const ValueType &res, DType element,
                                                     const char *what) const {
  const ValueType &t = operand(i);
  if (t.kind == ValueKind::kRTensor) {
    if (!sameTile(t, res))
      return fail(absl::StrCat(what, " ", name(t), " and the result ", name(res),
                               " need the same shape and layout"));
    if (t.dtype != element)
      return fail(
          absl::StrCat(what, " has elements of ", t.dtype.name(), ", expected ", element.name()));
    return absl::OkStatus();
  }
  bool ok = element.isFloat() ? t.isFloatScalar() : t.isIntegerScalar();
  if (!ok)
    return fail(absl::StrCat("scalar ", what, " of type ", name(t),
                             " does not convert to elements of ", element.name()));
  return absl::OkStatus();
}

absl::Status InstructionVerifier::productTypes(DType in, DType acc) const {
  bool lowFloat = in == DType::f16() || in == DType::bf16();
  bool ok = (lowFloat && acc == DType::f32()) || (in == DType::f16() && acc == DType::f16()) ||
            (in == DType::f32() && acc == DType::f32()) ||
            (in.isInteger() && in.bits() == 8 && acc == DType::signlessInt(32));
  if (!ok)
    return fail("multiplies " + in.name() + " into " + acc.name() +
                "; supported: f16/bf16 into f32 (or f16 into f16), f32 into f32, 8-bit "
                "integers into i32");
  return absl::OkStatus();
}

absl::Status InstructionVerifier::tileAccess(const ValueType &tensor, size_t numIndices,
                                             const ValueType &tile, bool mustFit) const {
  if (numIndices != tensor.shape.size())
    return fail(absl::StrCat("needs ", tensor.shape.size(), " indices, got ", numIndices));
  if (tile.shape.size() != tensor.shape.size())
    return fail(absl::StrCat("moves a tile of rank ", tile.shape.size(),
                             " to or from a tensor of rank ", tensor.shape.size()));
  if (tile.dtype != tensor.dtype)
    return fail("moves elements of " + tile.dtype.name() + " to or from a tensor of " +
                tensor.dtype.name());
  if (mustFit)
    for (size_t d = 0; d < tile.shape.size(); ++d)
      if (tile.shape[d] > tensor.shape[d])
        return fail("the tile " + name(tile) + " does not fit in " + name(tensor));
  return absl::OkStatus();
}

absl::Status InstructionVerifier::checkYield(const Block &block, const std::vector<uint32_t> &types,
                                             bool allowEmpty) const {
  if (block.body.empty()) {
    if (allowEmpty && types.empty())
      return absl::OkStatus();
    return fail("a region needs a body ending with scf.yield");
  }
  const Instruction &y = block.body.back();
  if (y.opcode != Opcode::Yield)
    return fail("a region must end with scf.yield");
  if (y.operands.size() != types.size())
    return fail(
        absl::StrCat("a region yields ", y.operands.size(), " values, expected ", types.size()));
  for (size_t i = 0; i < types.size(); ++i)
    if (!p_.sameType(p_.valueType(f_, y.operands[i]), p_.type(types[i])))
      return fail(absl::StrCat("a region yields ", name(p_.valueType(f_, y.operands[i])), " where ",
                               p_.typeName(types[i]), " is expected"));
  return absl::OkStatus();
}

absl::Status InstructionVerifier::run() {
  Opcode op = ins_.opcode;
  if (op != Opcode::For && op != Opcode::If && !ins_.regions.empty())
    return fail("has regions but takes none");
  if (op <= Opcode::Dim || op == Opcode::Check || op == Opcode::ResidentBlocks)
    return verifyHost();
  if (op == Opcode::BlockIdx || op == Opcode::GridDim ||
      (op >= Opcode::AllocRegs && op <= Opcode::LoadMatrix) || op == Opcode::AtomicAdd ||
      op == Opcode::Sync || op == Opcode::Exit || op == Opcode::Print || op == Opcode::Prefetch ||
      op == Opcode::LaunchDependents || op == Opcode::GridDependencyWait)
    return verifyMemory();
  if ((op >= Opcode::Dot && op <= Opcode::Shuffle) || op == Opcode::Slice)
    return verifyCompute();
  if (op >= Opcode::Constant && op <= Opcode::TruncF)
    return verifyScalar();
  return verifyControl();
}

// Functions and the host program.
absl::Status InstructionVerifier::verifyHost() {
  switch (ins_.opcode) {
  case Opcode::Return: {
    size_t expected = f_.kind == FunctionKind::kHost ? f_.resultTypes.size() : 0;
    TESSEL_TRY(counts(expected, expected, 0));
    for (size_t i = 0; i < expected; ++i)
      if (!p_.sameType(operand(i), p_.type(f_.resultTypes[i])))
        return fail("returns " + name(operand(i)) + " where the function returns " +
                    p_.typeName(f_.resultTypes[i]));
    return absl::OkStatus();
  }
  case Opcode::GetGlobal: {
    TESSEL_TRY(counts(0, 0, 1));
    std::string symbol;
    TESSEL_TRY(readSymbol("name", symbol));
    std::optional<uint32_t> c = p_.findConstant(symbol);
    if (!c)
      return fail("'" + symbol + "' is not a constant of the module");
    if (!p_.sameType(result(0), p_.type(p_.constants()[*c].type)))
      return fail("has type " + name(result(0)) + " but '" + symbol + "' is " +
                  p_.typeName(p_.constants()[*c].type));
    ins_.symbol = *c;
    return absl::OkStatus();
  }
  case Opcode::Check: {
    TESSEL_TRY(counts(1, SIZE_MAX, 0));
    const ValueType &c = operand(0);
    if (c.kind != ValueKind::kScalar || c.dtype != DType::signlessInt(1))
      return fail("needs an i1 condition, not " + name(c));
    TESSEL_TRY(expectIndices(1, ins_.operands.size() - 1));
    const fb::Attr *a = attrs_.find("message");
    if (!a || a->kind() != fb::AttrKind::String || !a->str())
      return fail("needs the string attribute 'message'");
    ins_.label = a->str()->str();
    return absl::OkStatus();
  }
  case Opcode::ResidentBlocks: {
    TESSEL_TRY(counts(0, 0, 1));
    TESSEL_TRY(expectKind(result(0), ValueKind::kIndex, "the result"));
    std::string symbol;
    TESSEL_TRY(readSymbol("kernel", symbol));
    std::optional<uint32_t> k = p_.findFunction(symbol);
    if (!k || p_.functions()[*k].kind != FunctionKind::kKernel)
      return fail("'" + symbol + "' is not a kernel of the module");
    ins_.symbol = *k;
    return absl::OkStatus();
  }
  case Opcode::AllocGlobal: {
    TESSEL_TRY(counts(0, SIZE_MAX, 1));
    TESSEL_TRY(expectKind(result(0), ValueKind::kGTensor, "the result"));
    size_t dynamic = 0;
    for (int64_t d : result(0).shape)
      dynamic += d < 0;
    if (dynamic != ins_.operands.size())
      return fail(absl::StrCat("needs ", dynamic, " sizes, got ", ins_.operands.size()));
    TESSEL_TRY(readInt("uninitialized", ins_.attr, false, 0, 1));
    return expectIndices(0, dynamic);
  }
  case Opcode::Launch: {
    TESSEL_TRY(counts(3, SIZE_MAX, 0));
    TESSEL_TRY(expectIndices(0, 3));
    TESSEL_TRY(readInt("overlap", ins_.attr, false, 0, 1));
    std::string symbol;
    TESSEL_TRY(readSymbol("kernel", symbol));
    std::optional<uint32_t> k = p_.findFunction(symbol);
    if (!k || p_.functions()[*k].kind != FunctionKind::kKernel)
      return fail("'" + symbol + "' is not a kernel of the module");
    const Function &kernel = p_.functions()[*k];
    size_t numArgs = ins_.operands.size() - 3;
    if (numArgs != kernel.arguments().size())
      return fail(absl::StrCat("passes ", numArgs, " arguments to '", symbol, "', which takes ",
                               kernel.arguments().size()));
    for (size_t i = 0; i < numArgs; ++i) {
      const ValueType &arg = operand(3 + i);
      const ValueType &param = p_.valueType(kernel, kernel.arguments()[i]);
      bool ok;
      if (arg.kind == ValueKind::kGTensor && param.kind == ValueKind::kGTensor) {
        ok = arg.dtype == param.dtype && arg.shape.size() == param.shape.size();
        for (size_t d = 0; ok && d < arg.shape.size(); ++d)
          ok = arg.shape[d] < 0 || param.shape[d] < 0 || arg.shape[d] == param.shape[d];
      } else {
        ok = p_.sameType(arg, param);
      }
      if (!ok)
        return fail(absl::StrCat("argument ", i, " of type ", name(arg),
                                 " does not match the kernel's ", name(param)));
    }
    ins_.symbol = *k;
    return absl::OkStatus();
  }
  case Opcode::Dim: {
    TESSEL_TRY(counts(1, 1, 1));
    TESSEL_TRY(expectKind(operand(0), ValueKind::kGTensor, "the source"));
    TESSEL_TRY(expectKind(result(0), ValueKind::kIndex, "the result"));
    return readInt("index", ins_.attr, true, 0, int64_t(operand(0).shape.size()) - 1);
  }
  default: return fail("unexpected opcode");
  }
}

// Allocation, data movement, sync and misc.
absl::Status InstructionVerifier::verifyMemory() {
  switch (ins_.opcode) {
  case Opcode::BlockIdx:
  case Opcode::GridDim:
    TESSEL_TRY(counts(0, 0, 1));
    TESSEL_TRY(expectKind(result(0), ValueKind::kIndex, "the result"));
    return readInt("dim", ins_.attr, true, 0, 2);
  case Opcode::AllocRegs: {
    TESSEL_TRY(counts(0, 1, 1));
    TESSEL_TRY(expectKind(result(0), ValueKind::kRTensor, "the result"));
    if (ins_.operands.empty())
      return absl::OkStatus();
    DType e = result(0).dtype, init = operand(0).dtype;
    bool ok = operand(0).kind == ValueKind::kScalar &&
              (e.isFloat() ? (isArithFloat(e) && init == e) : init == DType::signlessInt(e.bits()));
    if (!ok)
      return fail("cannot fill a tile of " + e.name() + " with a " + name(operand(0)));
    return absl::OkStatus();
  }
  case Opcode::AllocShared: {
    TESSEL_TRY(counts(0, 0, 1));
    TESSEL_TRY(expectKind(result(0), ValueKind::kSTensor, "the result"));
    TESSEL_TRY(readInt("offset", ins_.attr, true, 0, kMaxSharedBytes));
    if (ins_.attr + result(0).sizeInBytes > f_.sharedBytes)
      return fail(absl::StrCat("places ", result(0).sizeInBytes, " bytes at offset ", ins_.attr,
                               " but the kernel has ", f_.sharedBytes, " bytes of shared memory"));
    return absl::OkStatus();
  }
  case Opcode::GlobalView: {
    TESSEL_TRY(counts(2, SIZE_MAX, 1));
    TESSEL_TRY(expectKind(operand(0), ValueKind::kGTensor, "the source"));
    TESSEL_TRY(expectKind(result(0), ValueKind::kGTensor, "the result"));
    size_t dynamic = 0;
    for (int64_t d : result(0).shape)
      dynamic += d < 0;
    if (dynamic != ins_.operands.size() - 2)
      return fail(absl::StrCat("needs ", dynamic, " sizes, got ", ins_.operands.size() - 2));
    return expectIndices(1, ins_.operands.size() - 1);
  }
  case Opcode::SharedSlice: {
    TESSEL_TRY(counts(1, SIZE_MAX, 1));
    TESSEL_TRY(expectKind(operand(0), ValueKind::kSTensor, "the source"));
    TESSEL_TRY(expectKind(result(0), ValueKind::kSTensor, "the result"));
    TESSEL_TRY(expectIndices(1, ins_.operands.size() - 1));
    const ValueType &s = operand(0), &r = result(0);
    size_t n = ins_.operands.size() - 1;
    bool ok = s.shape.size() == n + r.shape.size() &&
              std::equal(r.shape.begin(), r.shape.end(), s.shape.begin() + long(n));
    if (!ok)
      return fail(absl::StrCat("selecting ", n, " leading indices of ", name(s), " does not give ",
                               name(r)));
    if (s.dtype != r.dtype || s.swizzle != r.swizzle)
      return fail("keeps the element type and swizzle of " + name(s));
    if (r.numElements * int64_t(r.dtype.bits()) % 8 != 0) // slices start at byte addresses
      return fail(absl::StrCat("selects tiles of ", r.numElements * int64_t(r.dtype.bits()),
                               " bits, not whole bytes"));
    return absl::OkStatus();
  }
  case Opcode::LoadGlobal:
    TESSEL_TRY(counts(1, SIZE_MAX, 1));
    TESSEL_TRY(expectKind(operand(0), ValueKind::kGTensor, "the source"));
    TESSEL_TRY(expectKind(result(0), ValueKind::kRTensor, "the result"));
    TESSEL_TRY(expectIndices(1, ins_.operands.size() - 1));
    TESSEL_TRY(readInt("cache", ins_.attr, false, 0, 2));
    return tileAccess(operand(0), ins_.operands.size() - 1, result(0), false);
  case Opcode::StoreGlobal:
  case Opcode::AtomicAdd:
    TESSEL_TRY(counts(2, SIZE_MAX, 0));
    TESSEL_TRY(expectKind(operand(0), ValueKind::kRTensor, "the value"));
    TESSEL_TRY(expectKind(operand(1), ValueKind::kGTensor, "the destination"));
    TESSEL_TRY(expectIndices(2, ins_.operands.size() - 2));
    if (ins_.opcode == Opcode::AtomicAdd) {
      DType e = operand(0).dtype;
      if (!isArithFloat(e) && e != DType::signlessInt(32))
        return fail("adds f32, f16, bf16 or i32 elements, not " + e.name());
    } else {
      TESSEL_TRY(readInt("cache", ins_.attr, false, 0, 2));
    }
    return tileAccess(operand(1), ins_.operands.size() - 2, operand(0), false);
  case Opcode::CopyAsync: {
    TESSEL_TRY(counts(2, SIZE_MAX, 0));
    TESSEL_TRY(expectKind(operand(0), ValueKind::kGTensor, "the source"));
    size_t last = ins_.operands.size() - 1;
    TESSEL_TRY(expectKind(operand(last), ValueKind::kSTensor, "the destination"));
    TESSEL_TRY(expectIndices(1, last - 1));
    TESSEL_TRY(readInt("cache", ins_.attr, false, 0, 2));
    return tileAccess(operand(0), last - 1, operand(last), false);
  }
  case Opcode::Prefetch: {
    TESSEL_TRY(counts(1, SIZE_MAX, 0));
    const ValueType &g = operand(0);
    TESSEL_TRY(expectKind(g, ValueKind::kGTensor, "the source"));
    if (g.shape.empty())
      return fail("needs a tensor of rank 1 or more");
    if (ins_.operands.size() - 1 != g.shape.size())
      return fail(absl::StrCat("needs ", g.shape.size(), " indices, got ", ins_.operands.size() - 1));
    TESSEL_TRY(expectIndices(1, ins_.operands.size() - 1));
    const fb::Attr *a = attrs_.find("shape");
    if (!a || a->kind() != fb::AttrKind::IntArray || !a->ints() ||
        a->ints()->size() != g.shape.size())
      return fail(absl::StrCat("needs 'shape', one extent per dimension (", g.shape.size(), ")"));
    ins_.offsets.assign(a->ints()->begin(), a->ints()->end());
    int64_t elements = 1;
    for (int64_t e : ins_.offsets) {
      if (e < 1 || e > (int64_t(1) << 24) || (elements *= e) > (int64_t(1) << 24))
        return fail("the box [" + absl::StrJoin(ins_.offsets, ", ") +
                    "] must have positive extents and at most 2^24 elements");
    }
    return absl::OkStatus();
  }
  case Opcode::CopyAsyncCommit:
  case Opcode::Sync:
  case Opcode::LaunchDependents:
  case Opcode::GridDependencyWait:
  case Opcode::Exit: return counts(0, 0, 0);
  case Opcode::CopyAsyncWait:
    TESSEL_TRY(counts(0, 0, 0));
    return readInt("pending", ins_.attr, false, 0, INT64_MAX);
  case Opcode::LoadShared:
  case Opcode::LoadMatrix: {
    TESSEL_TRY(counts(1, SIZE_MAX, 1));
    TESSEL_TRY(expectKind(operand(0), ValueKind::kSTensor, "the source"));
    TESSEL_TRY(expectKind(result(0), ValueKind::kRTensor, "the result"));
    TESSEL_TRY(expectIndices(1, ins_.operands.size() - 1));
    TESSEL_TRY(tileAccess(operand(0), ins_.operands.size() - 1, result(0), true));
    if (ins_.opcode == Opcode::LoadMatrix) {
      int64_t transpose = 0;
      TESSEL_TRY(readInt("transpose", transpose, false, 0, 1));
      ins_.transpose = transpose != 0;
      if (result(0).shape.size() != 2 || result(0).dtype.bits() != 16)
        return fail("loads 2-D tiles of 16-bit elements, not " + name(result(0)));
    }
    return absl::OkStatus();
  }
  case Opcode::StoreShared:
    TESSEL_TRY(counts(2, SIZE_MAX, 0));
    TESSEL_TRY(expectKind(operand(0), ValueKind::kRTensor, "the value"));
    TESSEL_TRY(expectKind(operand(1), ValueKind::kSTensor, "the destination"));
    TESSEL_TRY(expectIndices(2, ins_.operands.size() - 2));
    return tileAccess(operand(1), ins_.operands.size() - 2, operand(0), true);
  case Opcode::Print: {
    TESSEL_TRY(counts(1, 1, 0));
    if (operand(0).kind != ValueKind::kRTensor && !operand(0).isScalarLike())
      return fail("prints a register tile or a scalar, not " + name(operand(0)));
    if (const fb::Attr *a = attrs_.find("label"); a && a->str())
      ins_.label = a->str()->str();
    return absl::OkStatus();
  }
  default: return fail("unexpected opcode");
  }
}

absl::Status InstructionVerifier::verifyCompute() {
  Opcode op = ins_.opcode;
  size_t numOperands = op == Opcode::Dot || op == Opcode::Fma || op == Opcode::Where           ? 3
                       : op == Opcode::DotSparse                                               ? 4
                       : op == Opcode::Binary || op == Opcode::Compare || op == Opcode::Lookup ? 2
                       : op == Opcode::Iota                                                    ? 0
                                                                                               : 1;
  TESSEL_TRY(counts(numOperands, numOperands, 1));
  const ValueType &res = result(0);
  TESSEL_TRY(expectKind(res, ValueKind::kRTensor, "the result"));
  switch (op) {
  case Opcode::Dot:
  case Opcode::DotSparse: {
    for (size_t i = 0; i < numOperands; ++i)
      TESSEL_TRY(expectKind(operand(i), ValueKind::kRTensor, absl::StrCat("operand ", i)));
    bool sparse = op == Opcode::DotSparse;
    const ValueType &a = operand(0), &b = operand(sparse ? 2 : 1), &c = operand(sparse ? 3 : 2);
    if (!p_.sameType(res, c))
      return fail("result type " + name(res) + " must be the accumulator's " + name(c));
    for (size_t i = 0; i < numOperands; ++i)
      if (operand(i).shape.size() != 2)
        return fail("multiplies 2-D tiles");
    int64_t m = c.shape[0], n = c.shape[1], k = b.shape[0];
    if (!sparse && (a.shape[0] != m || a.shape[1] != k || b.shape[1] != n))
      return fail("shapes a " + name(a) + ", b " + name(b) + ", c " + name(c) +
                  " do not form [M, K] x [K, N] + [M, N]");
    if (sparse) {
      const ValueType &meta = operand(1);
      if (k % 4 != 0 || b.shape[1] != n || a.shape[0] != m || a.shape[1] != k / 2 ||
          meta.shape[0] != m || meta.shape[1] != k / 4)
        return fail("expects a [M, K/2], meta [M, K/4], b [K, N], c [M, N] with K a "
                    "multiple of 4");
      if (!meta.dtype.isInteger() || meta.dtype.bits() != 4 ||
          meta.dtype.kind() == TypeKind::kSignedInt)
        return fail("metadata elements are 4-bit unsigned, not " + meta.dtype.name());
    }
    if (a.dtype != b.dtype)
      return fail("a and b need the same element type");
    return productTypes(a.dtype, c.dtype);
  }
  case Opcode::Cast:
  case Opcode::View:
  case Opcode::Broadcast:
  case Opcode::Shuffle:
  case Opcode::Unary:
  case Opcode::Reduce: {
    const ValueType &s = operand(0);
    TESSEL_TRY(expectKind(s, ValueKind::kRTensor, "the source"));
    // (Another result layout may reorder a thread's slots; that every thread holds its
    // elements' sources is checked when a backend prepares the kernel.)
    if (op == Opcode::Cast && s.shape != res.shape)
      return fail("cast between " + name(s) + " and " + name(res) + " needs the same shape");
    if (op == Opcode::View &&
        layout(s).localSize() * s.dtype.bits() != layout(res).localSize() * res.dtype.bits())
      return fail(absl::StrCat("each thread holds ", layout(s).localSize() * s.dtype.bits(),
                               " bits of ", name(s), " but ",
                               layout(res).localSize() * res.dtype.bits(), " bits of ", name(res)));
    if (op == Opcode::Broadcast) {
      if (s.dtype != res.dtype || s.shape.size() != res.shape.size())
        return fail("keeps the element type and rank");
      for (size_t d = 0; d < s.shape.size(); ++d)
        if (s.shape[d] != res.shape[d] && s.shape[d] != 1)
          return fail("can only repeat dimensions of size 1: " + name(s) + " to " + name(res));
    }
    if (op == Opcode::Shuffle && (s.shape != res.shape || s.dtype != res.dtype))
      return fail("keeps the shape and element type");
    if (op == Opcode::Unary) {
      TESSEL_TRY(readInt("kind", ins_.kind, true, 0, 11));
      if (!p_.sameType(s, res))
        return fail("result type must be the source's " + name(s));
      DType e = s.dtype;
      bool ok = ins_.kind == 10  ? e.isInteger()
                : ins_.kind <= 1 ? (e.isInteger() || isArithFloat(e))
                                 : isArithFloat(e);
      if (!ok)
        return fail(absl::StrCat("unary kind ", ins_.kind, " does not apply to ", e.name()));
    }
    if (op == Opcode::Reduce) {
      TESSEL_TRY(readInt("kind", ins_.kind, true, 0, 2));
      TESSEL_TRY(readInt("dimension", ins_.attr, true, 0, int64_t(s.shape.size()) - 1));
      if (s.dtype != res.dtype || !(s.dtype.isInteger() || isArithFloat(s.dtype)))
        return fail("reduces f16, bf16, f32 or integers and keeps the element type");
      Layout expected = layout(s).reduce(int(ins_.attr));
      if (layout(res) != expected)
        return fail("result layout must be the source's reduced along dimension " +
                    std::to_string(ins_.attr) + ": " + expected.toString());
    }
    return absl::OkStatus();
  }
  case Opcode::Binary:
  case Opcode::Compare:
  case Opcode::Fma: {
    bool anyTile = false;
    for (size_t i = 0; i < numOperands; ++i)
      anyTile |= operand(i).kind == ValueKind::kRTensor;
    if (!anyTile)
      return fail("needs at least one register tile operand");
    DType e = res.dtype;
    if (op == Opcode::Compare) {
      TESSEL_TRY(readInt("predicate", ins_.kind, true, 0, 5));
      if (!e.isInteger() || e.bits() != 1)
        return fail("gives i1 elements, not " + e.name());
      e = operand(0).kind == ValueKind::kRTensor ? operand(0).dtype : operand(1).dtype;
    } else if (op == Opcode::Binary) {
      TESSEL_TRY(readInt("kind", ins_.kind, true, 0, 11));
      if (ins_.kind >= 6 ? !e.isInteger() : !(e.isInteger() || isArithFloat(e)))
        return fail(absl::StrCat("binary kind ", ins_.kind, " does not apply to ", e.name()));
    } else if (!isArithFloat(e)) {
      return fail("computes on f16, bf16 or f32 elements, not " + e.name());
    }
    if (!(e.isInteger() || isArithFloat(e)))
      return fail("computes on f16, bf16, f32 or integers, not " + e.name());
    for (size_t i = 0; i < numOperands; ++i)
      TESSEL_TRY(elementwiseOperand(i, res, e, i == 0 ? "lhs" : i == 1 ? "rhs" : "c"));
    return absl::OkStatus();
  }
  case Opcode::Where: {
    const ValueType &cond = operand(0);
    TESSEL_TRY(expectKind(cond, ValueKind::kRTensor, "the condition"));
    if (!cond.dtype.isInteger() || cond.dtype.bits() != 1 || !sameTile(cond, res))
      return fail("needs an i1 condition tile of the result's shape and layout");
    TESSEL_TRY(elementwiseOperand(1, res, res.dtype, "true value"));
    return elementwiseOperand(2, res, res.dtype, "false value");
  }
  case Opcode::Slice: {
    const ValueType &s = operand(0);
    TESSEL_TRY(expectKind(s, ValueKind::kRTensor, "the source"));
    if (s.dtype != res.dtype || s.shape.size() != res.shape.size())
      return fail("keeps the element type and rank");
    const fb::Attr *a = attrs_.find("offsets");
    if (!a || a->kind() != fb::AttrKind::IntArray || !a->ints() ||
        a->ints()->size() != s.shape.size())
      return fail(absl::StrCat("needs 'offsets', one integer per dimension (", s.shape.size(), ")"));
    ins_.offsets.assign(a->ints()->begin(), a->ints()->end());
    for (size_t d = 0; d < s.shape.size(); ++d)
      if (ins_.offsets[d] < 0 || ins_.offsets[d] > s.shape[d] - res.shape[d])
        return fail("the tile " + name(res) + " at offsets [" + absl::StrJoin(ins_.offsets, ", ") +
                    "] does not lie inside " + name(s));
    // Whether every thread holds the elements it keeps is checked where a kernel is
    // prepared (CPU plan, PTX emitter), as for broadcast.
    return absl::OkStatus();
  }
  case Opcode::Iota:
    if (res.dtype != DType::signlessInt(32))
      return fail("gives i32 coordinates, not " + res.dtype.name());
    return readInt("dimension", ins_.attr, true, 0, int64_t(res.shape.size()) - 1);
  case Opcode::Lookup: {
    const ValueType &table = operand(0), &indices = operand(1);
    TESSEL_TRY(expectKind(indices, ValueKind::kRTensor, "the indices"));
    if (!indices.dtype.isInteger() || !sameTile(indices, res))
      return fail("needs integer indices of the result's shape and layout");
    if (table.shape.size() != 1 || table.dtype != res.dtype)
      return fail("needs a 1-D table of the result's element type, not " + name(table));
    if (table.kind == ValueKind::kRTensor) {
      const Layout &l = layout(table);
      if (l.localSize() != l.numElements() || l.replication() != l.numThreads())
        return fail("a register table must be held whole by every thread");
    } else if (table.kind != ValueKind::kSTensor) {
      return fail("the table must be a register or shared tile");
    }
    return absl::OkStatus();
  }
  default: return fail("unexpected opcode");
  }
}

absl::Status InstructionVerifier::verifyScalar() {
  Opcode op = ins_.opcode;
  auto intScalar = [](const ValueType &t) { return t.isIntegerScalar(); };
  auto isI1 = [](const ValueType &t) {
    return t.kind == ValueKind::kScalar && t.dtype == DType::signlessInt(1);
  };
  if (op == Opcode::Constant) {
    TESSEL_TRY(counts(0, 0, 1));
    const ValueType &t = result(0);
    if (!t.isScalarLike())
      return fail("arith.constant gives scalars here, not " + name(t));
    const fb::Attr *a = attrs_.find("value");
    if (!a)
      return fail("needs the attribute 'value'");
    if (t.isFloatScalar()) {
      if (a->kind() != fb::AttrKind::Float || !a->floats() || a->floats()->size() < 1)
        return fail("a float constant needs a Float 'value'");
      ins_.floatValue = double(roundToFloatType(first(a->floats()), t.dtype));
    } else {
      bool intLike = a->kind() == fb::AttrKind::Int || a->kind() == fb::AttrKind::Bool;
      if (!intLike || !a->ints() || a->ints()->size() < 1)
        return fail("an integer constant needs an Int 'value'");
      ins_.intValue = wrapToBits(first(a->ints()), t.scalarBits());
    }
    return absl::OkStatus();
  }
  bool floatOp = (op >= Opcode::AddF && op <= Opcode::CmpF);
  bool unary = op == Opcode::NegF || (op >= Opcode::IndexCast && op <= Opcode::TruncI) ||
               op >= Opcode::SIToFP;
  size_t n = op == Opcode::Select ? 3 : unary ? 1 : 2;
  TESSEL_TRY(counts(n, n, 1));
  const ValueType &res = result(0);
  const ValueType &a = operand(0);
  if (!res.isScalarLike())
    return fail("computes on scalars, not " + name(res));
  for (size_t i = 0; i < n; ++i)
    if (!operand(i).isScalarLike())
      return fail("computes on scalars, not " + name(operand(i)));
  if (op == Opcode::CmpI || op == Opcode::CmpF) {
    TESSEL_TRY(readInt("predicate", ins_.kind, true, 0, op == Opcode::CmpI ? 9 : 15));
    bool ok = p_.sameType(a, operand(1)) && (op == Opcode::CmpI ? intScalar(a) : a.isFloatScalar());
    if (!ok || !isI1(res))
      return fail("compares two scalars of one type into an i1");
    return absl::OkStatus();
  }
  if (op == Opcode::Select) {
    if (!isI1(a) || !p_.sameType(operand(1), res) || !p_.sameType(operand(2), res))
      return fail("selects between two values of the result's type with an i1");
    return absl::OkStatus();
  }
  if (n == 2 || op == Opcode::NegF) {
    for (size_t i = 0; i < n; ++i)
      if (!p_.sameType(operand(i), res))
        return fail("needs operands of the result's type " + name(res));
    if (floatOp ? !res.isFloatScalar() : !intScalar(res))
      return fail(std::string("computes on ") + (floatOp ? "floats" : "integers") + ", not " +
                  name(res));
    return absl::OkStatus();
  }
  bool ok = false;
  switch (op) {
  case Opcode::IndexCast:
  case Opcode::IndexCastUI:
    ok = (a.kind == ValueKind::kIndex && res.kind == ValueKind::kScalar && intScalar(res)) ||
         (res.kind == ValueKind::kIndex && a.kind == ValueKind::kScalar && intScalar(a));
    break;
  case Opcode::ExtSI:
  case Opcode::ExtUI:
  case Opcode::TruncI:
    ok = a.kind == ValueKind::kScalar && res.kind == ValueKind::kScalar && intScalar(a) &&
         intScalar(res) &&
         (op == Opcode::TruncI ? res.dtype.bits() < a.dtype.bits()
                               : res.dtype.bits() > a.dtype.bits());
    break;
  case Opcode::SIToFP:
  case Opcode::UIToFP:
    ok = a.kind == ValueKind::kScalar && intScalar(a) && res.isFloatScalar();
    break;
  case Opcode::FPToSI:
  case Opcode::FPToUI:
    ok = a.isFloatScalar() && res.kind == ValueKind::kScalar && intScalar(res);
    break;
  case Opcode::ExtF:
  case Opcode::TruncF:
    ok = a.isFloatScalar() && res.isFloatScalar() && a.dtype != res.dtype &&
         (op == Opcode::ExtF ? res.dtype.bits() >= a.dtype.bits()
                             : res.dtype.bits() <= a.dtype.bits());
    break;
  default: break;
  }
  if (!ok)
    return fail("cannot convert " + name(a) + " to " + name(res));
  return absl::OkStatus();
}

absl::Status InstructionVerifier::verifyControl() {
  switch (ins_.opcode) {
  case Opcode::Yield:
    // Counts and types are checked by the enclosing scf op.
    return counts(0, SIZE_MAX, 0);
  case Opcode::For: {
    TESSEL_TRY(counts(3, SIZE_MAX, ins_.operands.size() - 3));
    const ValueType &lb = operand(0);
    if (!lb.isIntegerScalar() || !p_.sameType(lb, operand(1)) || !p_.sameType(lb, operand(2)))
      return fail("needs bounds and step of one integer or index type");
    if (ins_.regions.size() != 1)
      return fail("needs one region");
    const Block &body = ins_.regions[0];
    size_t iters = ins_.operands.size() - 3;
    if (body.arguments.size() != iters + 1)
      return fail(absl::StrCat("the region has ", body.arguments.size(),
                               " arguments, expected the induction variable and ", iters,
                               " iteration arguments"));
    if (!p_.sameType(p_.valueType(f_, body.arguments[0]), lb))
      return fail("the induction variable must have the bounds' type");
    std::vector<uint32_t> types;
    for (size_t i = 0; i < iters; ++i) {
      const ValueType &init = operand(3 + i);
      if (!p_.sameType(init, p_.valueType(f_, body.arguments[1 + i])) ||
          !p_.sameType(init, result(i)))
        return fail(absl::StrCat("iteration argument ", i,
                                 " has different types as initial value, region argument "
                                 "and result"));
      types.push_back(f_.valueTypes[ins_.results[i]]);
    }
    return checkYield(body, types, false);
  }
  case Opcode::If: {
    TESSEL_TRY(counts(1, 1, ins_.results.size()));
    const ValueType &cond = operand(0);
    if (cond.kind != ValueKind::kScalar || cond.dtype != DType::signlessInt(1))
      return fail("needs an i1 condition");
    if (ins_.regions.size() != 2)
      return fail("needs two regions (then, else)");
    std::vector<uint32_t> types;
    for (uint32_t r : ins_.results)
      types.push_back(f_.valueTypes[r]);
    for (size_t r = 0; r < 2; ++r)
      if (!ins_.regions[r].arguments.empty())
        return fail("the regions of scf.if take no arguments");
    TESSEL_TRY(checkYield(ins_.regions[0], types, false));
    return checkYield(ins_.regions[1], types, /*allowEmpty=*/true);
  }
  default: return fail("unexpected opcode");
  }
}

} // namespace

absl::Status verifyInstruction(const Program &program, const Function &function,
                               Instruction &instruction, const AttrList &attrs) {
  return InstructionVerifier(program, function, instruction, attrs).run();
}

} // namespace tessel::vm
