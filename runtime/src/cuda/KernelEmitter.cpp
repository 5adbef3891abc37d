// The PTX emitter's driver: kernel signature and prologue, value bookkeeping, the scalar
// (arith) instructions and structured control flow (scf.for / scf.if).
#include "cuda/KernelEmitter.h"
#include "cuda/PtxPasses.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <numeric>
#include <set>
#include <string_view>

namespace tessel::cuda {

using vm::Opcode;
using vm::ValueKind;

//===----------------------------------------------------------------------===//
// Targets and entry points
//===----------------------------------------------------------------------===//

std::string Target::smName() const {
  return "sm_" + std::to_string(major) + std::to_string(minor) + (archSpecific ? "a" : "");
}

std::string Target::ptxVersion() const {
  // 7.8 (CUDA 11.8) has every instruction and cache qualifier we emit for sm_80..sm_90;
  // the architecture-specific sm_90a needs 8.0.
  return archSpecific ? "8.0" : "7.8";
}

absl::StatusOr<Target> targetForComputeCapability(int major, int minor) {
  Target target;
  if (major < 8)
    return absl::FailedPreconditionError(absl::StrCat(
        "compute capability ", major, ".", minor,
        " is too old: Tessel's kernels need sm_80 or newer (Ampere, Ada, Hopper)"));
  if (major == 8) {
    target.major = 8;
    target.minor = minor >= 9 ? 9 : minor >= 6 ? 6 : 0;
  } else if (major == 9 && minor == 0) {
    target.major = 9;
    target.minor = 0;
    target.archSpecific = true;
  } else {
    target.major = 9; // forward-compatible PTX, compiled by the JIT for the device
    target.minor = 0;
  }
  return target;
}

std::string jitArchFor(const Target &target, const std::string &deviceArch) {
  return target.archSpecific ? target.smName() : deviceArch;
}

absl::StatusOr<Target> Target::parse(const std::string &name) {
  Target t;
  if (name == "sm_80") {
    t.major = 8, t.minor = 0;
  } else if (name == "sm_86") {
    t.major = 8, t.minor = 6;
  } else if (name == "sm_89") {
    t.major = 8, t.minor = 9;
  } else if (name == "sm_90") {
    t.major = 9, t.minor = 0;
  } else if (name == "sm_90a") {
    t.major = 9, t.minor = 0, t.archSpecific = true;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("unsupported GPU architecture '", name, "' (sm_80, sm_86, sm_89, sm_90, sm_90a)"));
  }
  return t;
}

std::string entryName(const vm::Program &program, uint32_t kernel) {
  std::string name = "tessel_";
  for (char c : program.functions()[kernel].name)
    name += (std::isalnum(static_cast<unsigned char>(c)) || c == '_') ? c : '_';
  return name;
}

absl::StatusOr<EmittedKernel> emitKernel(const vm::Program &program, uint32_t kernel,
                                         const Target &target) {
  if (kernel >= program.functions().size() ||
      program.functions()[kernel].kind != vm::FunctionKind::kKernel)
    return absl::InvalidArgumentError("emitKernel: not a kernel");
  return KernelEmitter(program, kernel, target).run();
}

absl::Status applyTargetEnvironment(Target &target) {
  if (const char *blocks = std::getenv("TESSEL_CUDA_MIN_BLOCKS"); blocks && *blocks) {
    // Ask ptxas to fit this many blocks per SM (a register cap).
    int n = 0;
    if (!absl::SimpleAtoi(blocks, &n) || n < 0 || n > 32)
      return absl::InvalidArgumentError(absl::StrCat(
          "TESSEL_CUDA_MIN_BLOCKS=", blocks, ": expected a number of blocks, 0..32 (0: none)"));
    target.minBlocksPerSm = n;
  }
  bool exact = !target.foldCastConstants;
  if (absl::Status s = readEnvironmentFlag("TESSEL_CUDA_EXACT_CASTS", exact); !s.ok())
    return s;
  target.foldCastConstants = !exact;
  return readEnvironmentFlag("TESSEL_CUDA_ROW_PAIR_LDMATRIX", target.rowPairsByLdmatrix);
}

absl::Status readEnvironmentFlag(const char *name, bool &value) {
  const char *text = std::getenv(name);
  if (!text || !*text)
    return absl::OkStatus();
  std::string_view v = text;
  if (v != "0" && v != "1")
    return absl::InvalidArgumentError(absl::StrCat(name, "=", text, ": expected 0 or 1"));
  value = v == "1";
  return absl::OkStatus();
}

std::vector<KernelVariant> spillVariantKernels(const vm::Program &program, uint32_t kernel,
                                               const Target &target, const EmittedKernel &emitted) {
  std::vector<KernelVariant> out;
  std::set<std::string> seen = {emitted.ptx};
  const std::vector<Target> variants = spillVariants(target);
  // Whether the kernel reads rows by ldmatrix at all (else no variant's name says it
  // stopped): the first variant differs from the default in that alone (spillVariants).
  bool rowPairs = target.rowPairsByLdmatrix;
  for (size_t i = 0; i < variants.size(); ++i) {
    const Target &variant = variants[i];
    absl::StatusOr<EmittedKernel> k = emitKernel(program, kernel, variant);
    if (i == 0 && rowPairs)
      rowPairs = k.ok() && k->ptx != emitted.ptx;
    if (!k.ok() || !seen.insert(k->ptx).second || k->threads != emitted.threads ||
        k->sharedBytes != emitted.sharedBytes)
      continue;
    std::vector<std::string> parts;
    if (variant.registerSlack != target.registerSlack)
      parts.push_back(absl::StrCat("a register cap ", variant.registerSlack, " lower"));
    if (rowPairs && variant.rowPairsByLdmatrix != target.rowPairsByLdmatrix)
      parts.push_back("scale rows by 16-bit loads");
    if (variant.narrowCastViews != target.narrowCastViews)
      parts.push_back("narrower cast views");
    if (variant.foldCastConstants != target.foldCastConstants)
      parts.push_back("exact casts");
    out.push_back({variant, std::move(*k), absl::StrJoin(parts, " and ")});
  }
  return out;
}

std::vector<Target> spillVariants(const Target &original) {
  std::vector<Target> out;
  // Every variant reads scale rows by 16-bit loads: the first is the kernel without
  // ldmatrix for them, the rest what its spilling takes.
  Target target = original;
  if (target.rowPairsByLdmatrix) {
    target.rowPairsByLdmatrix = false;
    out.push_back(target);
  }
  Target tighter = target, exact = target;
  exact.foldCastConstants = false;
  if (target.registerSlack == 0)
    for (int slack : {8, 16, 24}) {
      tighter.registerSlack = slack;
      out.push_back(tighter);
    }
  if (!target.narrowCastViews) {
    Target narrow = target;
    narrow.narrowCastViews = true;
    out.push_back(narrow);
  }
  if (target.foldCastConstants) {
    out.push_back(exact);
    if (target.registerSlack == 0) {
      exact.registerSlack = 8;
      out.push_back(exact);
    }
  }
  return out;
}

Type arithType(vm::DType dtype) {
  if (dtype == vm::DType::f32())
    return Type::kF32;
  if (dtype == vm::DType::f16())
    return Type::kF16;
  if (dtype == vm::DType::bf16())
    return Type::kBF16;
  if (dtype.isUnsignedInteger())
    return dtype.bits() <= 32 ? Type::kU32 : Type::kU64;
  return dtype.bits() <= 32 ? Type::kS32 : Type::kS64;
}

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

KernelEmitter::KernelEmitter(const vm::Program &program, uint32_t kernel, const Target &target)
    : program_(program), fn_(program.functions()[kernel]), kernelIndex_(kernel),
      target_(target) {}

Reg KernelEmitter::newReg(RegKind kind) {
  Reg r;
  r.kind = kind;
  r.id = kernel_.numRegs[int(kind)]++;
  return r;
}

Inst &KernelEmitter::emitTo(std::vector<Inst> &out, Op op, Type type, std::vector<Operand> dst,
                            std::vector<Operand> src) {
  // Unsigned division and remainder by a power of two are a shift and a mask: ptxas
  // (CUDA 13) keeps div.u32/rem.u32 by an immediate as the generic ~20-instruction
  // sequence, even for 1 and powers of two.
  if ((op == Op::kDiv || op == Op::kRem) && (type == Type::kU32 || type == Type::kU64) &&
      src.size() == 2 && src[1].kind == Operand::Kind::kImm && src[1].imm > 0 &&
      (src[1].imm & (src[1].imm - 1)) == 0) {
    int64_t d = src[1].imm;
    Type bits = type == Type::kU32 ? Type::kB32 : Type::kB64;
    if (op == Op::kDiv && d == 1)
      return emitTo(out, Op::kMov, bits, std::move(dst), {src[0]});
    if (op == Op::kDiv)
      return emitTo(out, Op::kShr, type, std::move(dst), {src[0], Operand::i(__builtin_ctzll(uint64_t(d)))});
    return emitTo(out, Op::kAnd, bits, std::move(dst), {src[0], Operand::i(d - 1)});
  }
  // 32-bit unsigned division and remainder by other constants: a multiplication by a
  // magic number (the same ptxas sequence problem), q = mulhi(n, M) >> s with
  // M = ceil(2^(32+s) / d) when M fits 32 bits and M d - 2^(32+s) <= 2^s (then exact for
  // every 32-bit n: n e / 2^(32+s) < 1), else t = mulhi(n, M'), q = (t + ((n - t) >> 1))
  // >> (l - 1) with l = ceil(log2 d), M' = floor(2^32 (2^l - d) / d) + 1 (Granlund and
  // Montgomery); the remainder is n - q d.
  if ((op == Op::kDiv || op == Op::kRem) && type == Type::kU32 && src.size() == 2 &&
      src[1].kind == Operand::Kind::kImm && src[1].imm > 1 && src[1].imm < (int64_t(1) << 31) &&
      src[0].kind == Operand::Kind::kReg) {
    uint64_t d = uint64_t(src[1].imm);
    Reg n = src[0].reg, q = newReg(RegKind::kB32);
    int l = 64 - __builtin_clzll(d - 1); // ceil(log2 d)
    int shift = -1;
    uint64_t magic = 0;
    for (int sft = 0; sft <= l && shift < 0; ++sft) {
      unsigned __int128 p2 = (unsigned __int128)1 << (32 + sft);
      unsigned __int128 m = (p2 + d - 1) / d;
      if (m < ((unsigned __int128)1 << 32) && m * d - p2 <= ((unsigned __int128)1 << sft)) {
        shift = sft;
        magic = uint64_t(m);
      }
    }
    if (shift >= 0) {
      Reg t = newReg(RegKind::kB32);
      emitTo(out, Op::kMulHi, Type::kU32, {Operand::r(t)}, {Operand::r(n), Operand::i(int64_t(magic))});
      emitTo(out, Op::kShr, Type::kU32, {Operand::r(q)}, {Operand::r(t), Operand::i(shift)});
    } else {
      uint64_t m = uint64_t(((unsigned __int128)1 << 32) * ((uint64_t(1) << l) - d) / d + 1);
      Reg t = newReg(RegKind::kB32), u = newReg(RegKind::kB32);
      emitTo(out, Op::kMulHi, Type::kU32, {Operand::r(t)}, {Operand::r(n), Operand::i(int64_t(uint32_t(m)))});
      emitTo(out, Op::kSub, Type::kU32, {Operand::r(u)}, {Operand::r(n), Operand::r(t)});
      emitTo(out, Op::kShr, Type::kU32, {Operand::r(u)}, {Operand::r(u), Operand::i(1)});
      emitTo(out, Op::kAdd, Type::kU32, {Operand::r(u)}, {Operand::r(u), Operand::r(t)});
      emitTo(out, Op::kShr, Type::kU32, {Operand::r(q)}, {Operand::r(u), Operand::i(l - 1)});
    }
    if (op == Op::kDiv)
      return emitTo(out, Op::kMov, Type::kB32, std::move(dst), {Operand::r(q)});
    Reg qd = newReg(RegKind::kB32);
    emitTo(out, Op::kMul, Type::kU32, {Operand::r(qd)}, {Operand::r(q), Operand::i(int64_t(d))});
    return emitTo(out, Op::kSub, Type::kU32, std::move(dst), {Operand::r(n), Operand::r(qd)});
  }
  Inst inst;
  inst.op = op;
  inst.type = type;
  inst.dst = std::move(dst);
  inst.src = std::move(src);
  out.push_back(std::move(inst));
  return out.back();
}

Reg KernelEmitter::tileInside(Reg origin, int64_t size, Reg dim) {
  Reg end = newReg(RegKind::kB64), fits = newReg(RegKind::kPred), ordered = newReg(RegKind::kPred);
  emit(Op::kAdd, Type::kS64, {Operand::r(end)}, {Operand::r(origin), Operand::i(size)});
  emit(Op::kSetp, Type::kU64, {Operand::r(fits)}, {Operand::r(end), Operand::r(dim)}).cmp = ptx::Cmp::kLs;
  emit(Op::kSetp, Type::kU64, {Operand::r(ordered)}, {Operand::r(origin), Operand::r(end)}).cmp = ptx::Cmp::kLs;
  return conjoin(fits, ordered);
}

std::vector<int> KernelEmitter::outerFirst(const std::vector<int> &depths) const {
  std::vector<int> order(depths.size());
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = int(i);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return depths[size_t(a)] < depths[size_t(b)]; });
  return order;
}

Reg KernelEmitter::conjoin(std::optional<Reg> a, Reg b) {
  if (!a)
    return b;
  Reg r = newReg(RegKind::kPred);
  emit(Op::kAnd, Type::kPred, {Operand::r(r)}, {Operand::r(*a), Operand::r(b)});
  return r;
}

Reg KernelEmitter::vectorsAligned(Reg offset, int64_t offsetMultiple, std::optional<Reg> dim, Reg base,
                                  int64_t k, int64_t bytes) {
  Reg acc = newReg(RegKind::kB64), mis = newReg(RegKind::kB64);
  if (offsetMultiple % k != 0)
    emit(Op::kOr, Type::kB64, {Operand::r(acc)}, {Operand::r(offset), Operand::r(dim ? *dim : offset)});
  else if (dim)
    emit(Op::kMov, Type::kB64, {Operand::r(acc)}, {Operand::r(*dim)});
  else
    emit(Op::kMov, Type::kB64, {Operand::r(acc)}, {Operand::i(0)});
  emit(Op::kAnd, Type::kB64, {Operand::r(acc)}, {Operand::r(acc), Operand::i(k - 1)});
  emit(Op::kAnd, Type::kB64, {Operand::r(mis)}, {Operand::r(base), Operand::i(bytes - 1)});
  emit(Op::kOr, Type::kB64, {Operand::r(acc)}, {Operand::r(acc), Operand::r(mis)});
  Reg ok = newReg(RegKind::kPred);
  emit(Op::kSetp, Type::kU64, {Operand::r(ok)}, {Operand::r(acc), Operand::i(0)}).cmp = ptx::Cmp::kEq;
  return ok;
}

Inst &KernelEmitter::emit(Op op, Type type, std::vector<Operand> dst, std::vector<Operand> src) {
  return emitTo(kernel_.body, op, type, std::move(dst), std::move(src));
}

std::string KernelEmitter::newLabel(const std::string &hint) {
  return "$" + hint + "_" + std::to_string(labelCounter_++);
}

void KernelEmitter::label(const std::string &name) {
  Inst inst;
  inst.op = Op::kLabel;
  inst.text = name;
  kernel_.body.push_back(inst);
}

void KernelEmitter::branch(const std::string &target, const Reg *predicate, bool negated) {
  Inst &b = emit(Op::kBra, Type::kNone, {}, {Operand::label(target)});
  if (predicate) {
    b.guarded = true;
    b.guard = *predicate;
    b.guardNegated = negated;
  }
}

absl::Status KernelEmitter::error(const vm::Instruction &inst, const std::string &message) const {
  return absl::UnimplementedError(absl::StrCat("PTX emitter (", target_.smName(), "): ",
                                               vm::describeInstruction(fn_, inst), ": ",
                                               message));
}

Reg KernelEmitter::imm32(uint32_t value) {
  Reg r = newReg(RegKind::kB32);
  emit(Op::kMov, Type::kB32, {Operand::r(r)}, {Operand::i(value)});
  return r;
}

Reg KernelEmitter::constant32(uint32_t value) {
  std::vector<uint32_t> &table = kernel_.constants;
  int64_t index = std::find(table.begin(), table.end(), value) - table.begin();
  if (index == int64_t(table.size()))
    table.push_back(value);
  Reg r = newReg(RegKind::kB32);
  Inst &in = emit(Op::kLd, Type::kB32, {Operand::r(r)}, {Operand::constant(kernel_.name + "_consts", index)});
  in.space = ptx::Space::kConst;
  return r;
}

Reg KernelEmitter::prologueWord(uint32_t word) {
  auto [it, fresh] = prologueWords_.emplace(word, Reg());
  if (fresh) {
    it->second = newReg(RegKind::kB32);
    emitTo(prologue_, Op::kMov, Type::kB32, {Operand::r(it->second)}, {Operand::i(word)});
  }
  return it->second;
}

Reg KernelEmitter::imm64(int64_t value) {
  Reg r = newReg(RegKind::kB64);
  emit(Op::kMov, Type::kB64, {Operand::r(r)}, {Operand::i(value)});
  return r;
}

const vm::ValueType &KernelEmitter::typeOf(uint32_t value) const {
  return program_.valueType(fn_, value);
}

Reg KernelEmitter::asIndex(const EValue &value, const vm::ValueType &type) {
  if (value.reg.kind == RegKind::kB64)
    return value.reg;
  Reg r = newReg(RegKind::kB64);
  bool isUnsigned = type.kind == ValueKind::kScalar && type.dtype.isUnsignedInteger();
  Inst &c = emit(Op::kCvt, isUnsigned ? Type::kU64 : Type::kS64, {Operand::r(r)},
                 {Operand::r(value.reg)});
  c.type2 = isUnsigned ? Type::kU32 : Type::kS32;
  return r;
}

int64_t KernelEmitter::numRegsOf(const vm::ValueType &tile) const {
  const vm::Layout &layout = program_.layoutOf(tile);
  return (layout.localSize() * int64_t(tile.dtype.bits()) + 31) / 32;
}

std::vector<Reg> KernelEmitter::newTile(const vm::ValueType &tile) {
  std::vector<Reg> regs;
  for (int64_t i = 0; i < numRegsOf(tile); ++i) {
    Reg r = newReg(RegKind::kB32);
    emit(Op::kMov, Type::kB32, {Operand::r(r)}, {Operand::i(0)});
    regs.push_back(r);
  }
  return regs;
}

Reg KernelEmitter::bitsAt(const std::vector<Reg> &tile, int64_t bit, int64_t len) {
  int64_t word = bit / 32, shift = bit % 32;
  if (shift == 0)
    return tile[size_t(word)];
  Reg r = newReg(RegKind::kB32);
  if (shift + len <= 32 || size_t(word + 1) >= tile.size())
    emit(Op::kShr, Type::kB32, {Operand::r(r)}, {Operand::r(tile[size_t(word)]), Operand::i(shift)});
  else // straddles two registers: a funnel shift
    emit(Op::kShf, Type::kB32, {Operand::r(r)},
         {Operand::r(tile[size_t(word)]), Operand::r(tile[size_t(word + 1)]), Operand::i(shift)});
  return r;
}

Reg KernelEmitter::extract(const std::vector<Reg> &tile, int64_t slot, unsigned bits) {
  int64_t bit = slot * int64_t(bits);
  int64_t word = bit / 32, shift = bit % 32;
  if (bits == 32 && shift == 0)
    return tile[size_t(word)];
  Reg out = newReg(RegKind::kB32);
  if (shift + bits <= 32) {
    emit(Op::kBfe, Type::kU32, {Operand::r(out)},
         {Operand::r(tile[size_t(word)]), Operand::i(shift), Operand::i(bits)});
    return out;
  }
  emit(Op::kAnd, Type::kB32, {Operand::r(out)},
       {Operand::r(bitsAt(tile, bit, bits)), Operand::i(int64_t((uint64_t(1) << bits) - 1))});
  return out;
}

void KernelEmitter::insert(std::vector<Reg> &tile, int64_t slot, unsigned bits, Reg value) {
  int64_t bit = slot * int64_t(bits);
  int64_t word = bit / 32, shift = bit % 32;
  if (bits == 32 && shift == 0) {
    emit(Op::kMov, Type::kB32, {Operand::r(tile[size_t(word)])}, {Operand::r(value)});
    return;
  }
  if (shift + bits <= 32) {
    emit(Op::kBfi, Type::kB32, {Operand::r(tile[size_t(word)])},
         {Operand::r(value), Operand::r(tile[size_t(word)]), Operand::i(shift), Operand::i(bits)});
    return;
  }
  unsigned lowBits = unsigned(32 - shift);
  emit(Op::kBfi, Type::kB32, {Operand::r(tile[size_t(word)])},
       {Operand::r(value), Operand::r(tile[size_t(word)]), Operand::i(shift), Operand::i(lowBits)});
  Reg hi = newReg(RegKind::kB32);
  emit(Op::kShr, Type::kB32, {Operand::r(hi)}, {Operand::r(value), Operand::i(lowBits)});
  emit(Op::kBfi, Type::kB32, {Operand::r(tile[size_t(word + 1)])},
       {Operand::r(hi), Operand::r(tile[size_t(word + 1)]), Operand::i(0),
        Operand::i(bits - lowBits)});
}

Reg KernelEmitter::signExtend(Reg value, unsigned bits) {
  if (bits >= 32)
    return value;
  Reg out = newReg(RegKind::kB32);
  emit(Op::kBfe, Type::kS32, {Operand::r(out)}, {Operand::r(value), Operand::i(0), Operand::i(bits)});
  return out;
}

int64_t KernelEmitter::scratch(int64_t bytes) {
  int64_t base = (fn_.sharedBytes + 127) / 128 * 128;
  scratchBytes_ = std::max(scratchBytes_, bytes);
  return base;
}

// The thread's part of each dimension of a layout's index: sum over the spatial modes of
// (tid / threadStride % size) * divisor, computed once in the prologue.
const LayoutInfo &KernelEmitter::layoutInfo(int32_t layoutIndex) {
  auto it = layouts_.find(layoutIndex);
  if (it != layouts_.end())
    return it->second;
  LayoutInfo info = computeLayoutInfo(program_.layouts()[size_t(layoutIndex)], tid_);
  return layouts_.emplace(layoutIndex, std::move(info)).first->second;
}

const std::vector<Reg> &KernelEmitter::hoistedStrides(uint32_t tensor) {
  auto it = hoistedStrides_.find(tensor);
  if (it != hoistedStrides_.end())
    return it->second;
  const EValue &g = values_[tensor];
  int rank = int(g.regs.size());
  std::vector<Reg> strides(static_cast<size_t>(rank));
  for (int d = rank - 1; d >= 0; --d) {
    strides[size_t(d)] = newReg(RegKind::kB64);
    if (d == rank - 1)
      emitTo(prologue_, Op::kMov, Type::kB64, {Operand::r(strides[size_t(d)])}, {Operand::i(1)});
    else
      emitTo(prologue_, Op::kMul, Type::kS64, {Operand::r(strides[size_t(d)])},
             {Operand::r(strides[size_t(d + 1)]), Operand::r(g.regs[size_t(d + 1)])});
  }
  return hoistedStrides_.emplace(tensor, std::move(strides)).first->second;
}

Reg KernelEmitter::warpId() {
  if (!haveWarp_) {
    warp_ = newReg(RegKind::kB32);
    lane_ = newReg(RegKind::kB32);
    emitTo(prologue_, Op::kShr, Type::kU32, {Operand::r(warp_)}, {Operand::r(tid_), Operand::i(5)});
    emitTo(prologue_, Op::kAnd, Type::kB32, {Operand::r(lane_)}, {Operand::r(tid_), Operand::i(31)});
    haveWarp_ = true;
  }
  return warp_;
}

Reg KernelEmitter::laneId() {
  warpId();
  return lane_;
}

LayoutInfo KernelEmitter::computeLayoutInfo(const vm::Layout &layout, Reg thread) {
  LayoutInfo info;
  int rank = layout.rank();
  const auto &modes = layout.modeShape();
  const auto &modeDims = layout.modeDims();
  std::vector<int64_t> divisor(modes.size(), 1);
  for (size_t m = modes.size(); m-- > 0;) {
    if (m + 1 < modes.size() && modeDims[m + 1] == modeDims[m])
      divisor[m] = divisor[m + 1] * modes[m + 1];
  }
  // Spatial entries: thread strides (first entry most significant).
  const auto &spatial = layout.spatialModes();
  std::vector<int64_t> threadStride(spatial.size(), 1);
  for (size_t e = spatial.size(); e-- > 0;) {
    if (e + 1 < spatial.size()) {
      int64_t next = spatial[e + 1];
      threadStride[e] = threadStride[e + 1] * (next >= 0 ? modes[size_t(next)] : -next);
    }
  }
  info.lastDimThreadMultiple = 0; // gcd of the last dimension's thread contributions
  for (int d = 0; d < rank; ++d) {
    Reg part = newReg(RegKind::kB32);
    emitTo(prologue_, Op::kMov, Type::kB32, {Operand::r(part)}, {Operand::i(0)});
    for (size_t e = 0; e < spatial.size(); ++e) {
      if (spatial[e] < 0 || modeDims[size_t(spatial[e])] != d)
        continue;
      int64_t m = spatial[e], size = modes[size_t(m)];
      // digit = (tid / threadStride) % size; part += digit * divisor
      Reg digit = newReg(RegKind::kB32);
      emitTo(prologue_, Op::kDiv, Type::kU32, {Operand::r(digit)},
             {Operand::r(thread), Operand::i(threadStride[e])});
      emitTo(prologue_, Op::kRem, Type::kU32, {Operand::r(digit)},
             {Operand::r(digit), Operand::i(size)});
      emitTo(prologue_, Op::kMad, Type::kU32, {Operand::r(part)},
             {Operand::r(digit), Operand::i(divisor[size_t(m)]), Operand::r(part)});
      if (d == rank - 1)
        info.lastDimThreadMultiple = std::gcd(info.lastDimThreadMultiple, divisor[size_t(m)]);
    }
    info.threadPart.push_back(part);
  }
  if (info.lastDimThreadMultiple == 0)
    info.lastDimThreadMultiple = int64_t(1) << 30; // no spatial mode: always 0
  // Slot parts: (slot / localStride % size) * divisor per local mode.
  const auto &local = layout.localModes();
  std::vector<int64_t> localStride(local.size(), 1);
  for (size_t e = local.size(); e-- > 0;)
    if (e + 1 < local.size())
      localStride[e] = localStride[e + 1] * modes[size_t(local[e + 1])];
  info.slotPart.assign(size_t(layout.localSize()), std::vector<int64_t>(size_t(rank), 0));
  for (int64_t s = 0; s < layout.localSize(); ++s)
    for (size_t e = 0; e < local.size(); ++e) {
      int64_t m = local[e];
      int64_t digit = (s / localStride[e]) % modes[size_t(m)];
      info.slotPart[size_t(s)][size_t(modeDims[size_t(m)])] += digit * divisor[size_t(m)];
    }
  return info;
}

//===----------------------------------------------------------------------===//
// Driver
//===----------------------------------------------------------------------===//

absl::StatusOr<EmittedKernel> KernelEmitter::run() {
  kernel_.name = entryName(program_, kernelIndex_);
  kernel_.threads = int(fn_.numThreads());
  kernel_.minBlocksPerSm =
      target_.minBlocksPerSm >= 0 ? target_.minBlocksPerSm : int(fn_.minBlocksPerSm);
  if (target_.registerSlack > 0 && kernel_.minBlocksPerSm > 0) {
    // (Threads are a multiple of 32: warps.) No cap below 64: ptxas may then lack the
    // registers for an instruction, an error.
    int64_t cap = std::min<int64_t>(255, 65536 / (int64_t(kernel_.minBlocksPerSm) * std::max(1, kernel_.threads)) / 8 * 8);
    if (cap - target_.registerSlack >= 64)
      kernel_.maxRegisters = int(cap - target_.registerSlack);
  }
  values_.assign(fn_.numValues(), EValue());
  {
    // Which values only tensor-core dots read, as their a or b operand; which are the b
    // of a dot of a constant a tile into zero; which slices only casts read.
    std::vector<uint8_t> uses(fn_.numValues(), 0); // bit 0: a dot's a/b, bit 2: a cast, bit 1: any other
    // A slice is read through when one cast in its own block is its only reader (so
    // the cast reads it where the slice was, and no second cast gathers it again).
    std::vector<const vm::Block *> sliced(fn_.numValues(), nullptr);
    std::vector<int> castReaders(fn_.numValues(), 0);
    std::vector<uint8_t> made(fn_.numValues(), 0); // 1: a constant, 2: its tile, 3: zeros
    splatDotOperand_.assign(fn_.numValues(), false);
    std::function<void(const vm::Block &)> scan = [&](const vm::Block &block) {
      for (const vm::Instruction &inst : block.body) {
        if (inst.opcode == Opcode::Constant && inst.results.size() == 1 &&
            typeOf(inst.results[0]).dtype.isFloat())
          made[inst.results[0]] = 1;
        if (inst.opcode == Opcode::AllocRegs && inst.results.size() == 1)
          made[inst.results[0]] = inst.operands.empty() ? 3 : made[inst.operands[0]] == 1 ? 2 : 0;
        if (inst.opcode == Opcode::Dot && inst.operands.size() == 3 && made[inst.operands[0]] == 2 &&
            made[inst.operands[2]] == 3)
          splatDotOperand_[inst.operands[1]] = true;
        if (inst.opcode == Opcode::Slice && inst.results.size() == 1)
          sliced[inst.results[0]] = &block;
        if (inst.opcode == Opcode::Cast && !inst.operands.empty())
          castReaders[inst.operands[0]] += sliced[inst.operands[0]] == &block ? 1 : 2;
        for (size_t i = 0; i < inst.operands.size(); ++i)
          uses[inst.operands[i]] |= inst.opcode == Opcode::Dot && i < 2 ? 1 : inst.opcode == Opcode::Cast ? 4 : 2;
        for (const vm::Block &region : inst.regions)
          scan(region);
      }
    };
    scan(fn_.body);
    dotOperandOnly_.assign(uses.size(), false);
    castOnlySlice_.assign(uses.size(), false);
    for (size_t v = 0; v < uses.size(); ++v) {
      dotOperandOnly_[v] = uses[v] == 1;
      castOnlySlice_[v] = sliced[v] && uses[v] == 4 && castReaders[v] == 1;
    }
  }
  tid_ = newReg(RegKind::kB32);
  emitTo(prologue_, Op::kMov, Type::kU32, {Operand::r(tid_)}, {Operand::sp(ptx::Special::kTidX)});

  // Parameters per the ABI of PtxEmitter.h.
  std::vector<Inst> params;
  for (size_t i = 0; i < fn_.arguments().size(); ++i) {
    uint32_t id = fn_.arguments()[i];
    const vm::ValueType &type = typeOf(id);
    std::string base = kernel_.name + "_p" + std::to_string(i);
    EValue &v = values_[id];
    v.depth = 0;
    if (type.kind == ValueKind::kGTensor) {
      v.kind = EValue::Kind::kGlobal;
      v.reg = newReg(RegKind::kB64);
      v.argument = true;
      v.alignment = 16; // runtime allocations are at least 256-byte aligned
      kernel_.params.push_back({base, Type::kU64});
      emitTo(params, Op::kLd, Type::kU64, {Operand::r(v.reg)}, {Operand::param(base)}).space =
          ptx::Space::kParam;
      for (int d = 0; d < type.rank(); ++d) {
        std::string name = base + "_d" + std::to_string(d);
        Reg dim = newReg(RegKind::kB64);
        kernel_.params.push_back({name, Type::kS64});
        emitTo(params, Op::kLd, Type::kS64, {Operand::r(dim)}, {Operand::param(name)}).space =
            ptx::Space::kParam;
        v.regs.push_back(dim);
      }
      continue;
    }
    v.kind = EValue::Kind::kScalar;
    Type t;
    RegKind kind;
    if (type.kind == ValueKind::kIndex || type.scalarBits() == 64) {
      t = Type::kS64, kind = RegKind::kB64;
    } else if (type.dtype == vm::DType::f32()) {
      t = Type::kF32, kind = RegKind::kB32;
    } else if (type.dtype == vm::DType::f16() || type.dtype == vm::DType::bf16()) {
      t = Type::kB16, kind = RegKind::kB16;
    } else {
      t = Type::kS32, kind = RegKind::kB32;
    }
    v.reg = newReg(kind);
    kernel_.params.push_back({base, t});
    emitTo(params, Op::kLd, t, {Operand::r(v.reg)}, {Operand::param(base)}).space =
        ptx::Space::kParam;
  }

  absl::Status status = emitBlock(fn_.body);
  if (!status.ok())
    return status;

  std::vector<Inst> body = std::move(params);
  body.insert(body.end(), prologue_.begin(), prologue_.end());
  body.insert(body.end(), kernel_.body.begin(), kernel_.body.end());
  kernel_.body = std::move(body);
  ptx::hoistLoopInvariants(kernel_);
  ptx::coalesceLoopCopies(kernel_);
  kernel_.sharedBytes = scratchBytes_ > 0 ? (fn_.sharedBytes + 127) / 128 * 128 + scratchBytes_
                                          : fn_.sharedBytes;
  EmittedKernel out;
  out.entry = kernel_.name;
  out.sharedBytes = kernel_.sharedBytes;
  out.threads = kernel_.threads;
  out.ptx = ptx::printModule({&kernel_}, target_.smName(), target_.ptxVersion());
  out.structured = std::make_shared<const ptx::Kernel>(kernel_);
  return out;
}

absl::StatusOr<std::string> emitModule(const vm::Program &program, const Target &target) {
  std::vector<std::unique_ptr<KernelEmitter>> emitters;
  std::vector<const ptx::Kernel *> kernels;
  for (uint32_t i = 0; i < program.functions().size(); ++i) {
    if (program.functions()[i].kind != vm::FunctionKind::kKernel)
      continue;
    emitters.push_back(std::make_unique<KernelEmitter>(program, i, target));
    absl::StatusOr<EmittedKernel> k = emitters.back()->run();
    if (!k.ok())
      return k.status();
    kernels.push_back(&emitters.back()->kernel());
  }
  return ptx::printModule(kernels, target.smName(), target.ptxVersion());
}

absl::Status KernelEmitter::emitBlock(const vm::Block &block) {
  const vm::Block *outer = currentBlock_;
  for (const vm::Instruction &inst : block.body) {
    current_ = &inst;
    currentBlock_ = &block; // (a region emitted by the previous instruction changed it)
    absl::Status status = emitInstruction(inst);
    if (!status.ok())
      return status;
    for (uint32_t r : inst.results)
      values_[r].depth = loopDepth_;
  }
  currentBlock_ = outer;
  return absl::OkStatus();
}

absl::Status KernelEmitter::emitInstruction(const vm::Instruction &inst) {
  switch (inst.opcode) {
  case Opcode::Return:
    return absl::OkStatus(); // the kernel's end: `ret` follows the body
  case Opcode::Yield:
    return absl::OkStatus(); // handled by the enclosing for/if
  case Opcode::For:
    return emitFor(inst);
  case Opcode::If:
    return emitIf(inst);
  case Opcode::Exit:
    emit(Op::kExit, Type::kNone, {}, {});
    return absl::OkStatus();
  case Opcode::Sync:
    emit(Op::kBar, Type::kNone, {}, {});
    return absl::OkStatus();
  case Opcode::Print:
    emit(Op::kComment, Type::kNone, {}, {}).text = "tbvm.print " + inst.label + " (not on GPU)";
    return absl::OkStatus();
  case Opcode::BlockIdx:
  case Opcode::GridDim: {
    static const ptx::Special ctaid[] = {ptx::Special::kCtaIdX, ptx::Special::kCtaIdY,
                                         ptx::Special::kCtaIdZ};
    static const ptx::Special nctaid[] = {ptx::Special::kNCtaIdX, ptx::Special::kNCtaIdY,
                                          ptx::Special::kNCtaIdZ};
    Reg r32 = newReg(RegKind::kB32);
    int dim = int(std::clamp<int64_t>(inst.attr, 0, 2));
    emit(Op::kMov, Type::kU32, {Operand::r(r32)},
         {Operand::sp(inst.opcode == Opcode::BlockIdx ? ctaid[dim] : nctaid[dim])});
    EValue &v = values_[inst.results[0]];
    v.kind = EValue::Kind::kScalar;
    v.reg = newReg(RegKind::kB64);
    emit(Op::kCvt, Type::kU64, {Operand::r(v.reg)}, {Operand::r(r32)}).type2 = Type::kU32;
    return absl::OkStatus();
  }
  case Opcode::Dim: {
    EValue &v = values_[inst.results[0]];
    v.kind = EValue::Kind::kScalar;
    v.reg = values_[inst.operands[0]].regs[size_t(inst.attr)];
    const vm::ValueType &g = typeOf(inst.operands[0]);
    if (g.shape[size_t(inst.attr)] >= 0)
      v.multipleOf = std::max<int64_t>(1, g.shape[size_t(inst.attr)]);
    return absl::OkStatus();
  }
  default:
    break;
  }
  if (inst.opcode >= Opcode::Constant && inst.opcode <= Opcode::TruncF)
    return emitScalar(inst);
  switch (inst.opcode) {
  case Opcode::AllocShared:
  case Opcode::GlobalView:
  case Opcode::SharedSlice:
  case Opcode::LoadGlobal:
  case Opcode::StoreGlobal:
  case Opcode::CopyAsync:
  case Opcode::CopyAsyncCommit:
  case Opcode::CopyAsyncWait:
  case Opcode::LoadShared:
  case Opcode::StoreShared:
  case Opcode::LoadMatrix:
  case Opcode::AtomicAdd:
    return emitMemory(inst);
  case Opcode::Prefetch:
    return emitPrefetch(inst);
  case Opcode::LaunchDependents:
  case Opcode::GridDependencyWait:
    // Programmatic dependent launch exists from sm_90 on; elsewhere launches never
    // overlap (CudaBackend), so there is nothing to wait for or allow.
    if (target_.major >= 9)
      emit(inst.opcode == Opcode::LaunchDependents ? Op::kGridDepLaunch : Op::kGridDepWait,
           Type::kNone, {}, {});
    return absl::OkStatus();
  case Opcode::Cast:
    return emitCast(inst);
  case Opcode::Dot:
  case Opcode::DotSparse:
    return emitDot(inst);
  case Opcode::Reduce:
    return emitReduce(inst);
  case Opcode::Broadcast:
    return emitBroadcast(inst);
  case Opcode::Slice:
    return emitSlice(inst);
  case Opcode::Shuffle:
    return emitShuffle(inst);
  case Opcode::Lookup:
    return emitLookup(inst);
  default:
    return emitCompute(inst);
  }
}

} // namespace tessel::cuda
