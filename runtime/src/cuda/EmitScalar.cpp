// Scalar (arith) instructions and structured control flow. Scalars are block-uniform, so
// branches on them are uniform (bra.uni).
#include "cuda/KernelEmitter.h"

#include "vm/Codec.h"

#include "absl/numeric/bits.h"

#include <numeric>

namespace tessel::cuda {

using vm::Opcode;
using vm::ValueKind;

namespace {

// How a scalar type is held.
struct ScalarKind {
  unsigned bits = 32;   // integer width (index: 64)
  bool isFloat = false;
  vm::DType dtype;      // floats: f16, bf16 or f32
  bool wide() const { return bits == 64; }
};

ScalarKind scalarKind(const vm::ValueType &t) {
  ScalarKind k;
  if (t.kind == ValueKind::kIndex) {
    k.bits = 64;
    return k;
  }
  k.isFloat = t.dtype.isFloat();
  k.dtype = t.dtype;
  k.bits = t.dtype.bits();
  return k;
}

// arith.cmpi predicates (eq ne slt sle sgt sge ult ule ugt uge) as PTX comparisons.
ptx::Cmp intCmp(int64_t predicate, bool &isUnsigned) {
  static const ptx::Cmp table[] = {ptx::Cmp::kEq, ptx::Cmp::kNe, ptx::Cmp::kLt, ptx::Cmp::kLe,
                                   ptx::Cmp::kGt, ptx::Cmp::kGe, ptx::Cmp::kLo, ptx::Cmp::kLs,
                                   ptx::Cmp::kHi, ptx::Cmp::kHs};
  isUnsigned = predicate >= 6;
  return table[std::clamp<int64_t>(predicate, 0, 9)];
}

// arith.cmpf predicates (false oeq ogt oge olt ole one ord ueq ugt uge ult ule une uno true).
ptx::Cmp floatCmp(int64_t predicate) {
  static const ptx::Cmp table[] = {ptx::Cmp::kEq,  ptx::Cmp::kEq,  ptx::Cmp::kGt,  ptx::Cmp::kGe,
                                   ptx::Cmp::kLt,  ptx::Cmp::kLe,  ptx::Cmp::kNe,  ptx::Cmp::kNum,
                                   ptx::Cmp::kEqu, ptx::Cmp::kGtu, ptx::Cmp::kGeu, ptx::Cmp::kLtu,
                                   ptx::Cmp::kLeu, ptx::Cmp::kNeu, ptx::Cmp::kNan, ptx::Cmp::kEq};
  return table[std::clamp<int64_t>(predicate, 0, 15)];
}

} // namespace

absl::Status KernelEmitter::emitScalar(const vm::Instruction &inst) {
  const vm::ValueType &rt = typeOf(inst.results[0]);
  ScalarKind r = scalarKind(rt);
  EValue &out = values_[inst.results[0]];
  out.kind = EValue::Kind::kScalar;
  auto operand = [&](size_t i) -> EValue & { return values_[inst.operands[i]]; };
  auto operandKind = [&](size_t i) { return scalarKind(typeOf(inst.operands[i])); };
  auto fresh = [&](const ScalarKind &k) {
    return newReg(k.wide() ? RegKind::kB64 : (k.isFloat && k.bits == 16) ? RegKind::kB16 : RegKind::kB32);
  };
  auto itype = [](const ScalarKind &k, bool isUnsigned = false) {
    return k.wide() ? (isUnsigned ? Type::kU64 : Type::kS64) : (isUnsigned ? Type::kU32 : Type::kS32);
  };
  // Integers narrower than 32 bits are kept sign-extended: re-normalize after arithmetic.
  auto normalize = [&](Reg v, unsigned bits) {
    if (bits < 32)
      emit(Op::kBfe, Type::kS32, {Operand::r(v)}, {Operand::r(v), Operand::i(0), Operand::i(bits)});
  };
  // The zero-extended form of a narrow integer (for unsigned operations).
  auto zext = [&](Reg v, unsigned bits) -> Reg {
    if (bits >= 32)
      return v;
    Reg z = newReg(RegKind::kB32);
    emit(Op::kAnd, Type::kB32, {Operand::r(z)}, {Operand::r(v), Operand::i((1ll << bits) - 1)});
    return z;
  };
  // f16/bf16 scalars compute in f32 and round once.
  auto toF32 = [&](Reg v, const ScalarKind &k) -> Reg {
    if (k.bits == 32)
      return v;
    Reg f = newReg(RegKind::kB32);
    if (k.dtype == vm::DType::f16()) {
      emit(Op::kCvt, Type::kF32, {Operand::r(f)}, {Operand::r(v)}).type2 = Type::kF16;
    } else { // bf16: the upper half of an f32
      Reg w = newReg(RegKind::kB32);
      emit(Op::kCvt, Type::kU32, {Operand::r(w)}, {Operand::r(v)}).type2 = Type::kU16;
      emit(Op::kShl, Type::kB32, {Operand::r(f)}, {Operand::r(w), Operand::i(16)});
    }
    return f;
  };
  auto fromF32 = [&](Reg f, const ScalarKind &k) -> Reg {
    if (k.bits == 32)
      return f;
    Reg h = newReg(RegKind::kB16);
    Inst &c = emit(Op::kCvt, k.dtype == vm::DType::f16() ? Type::kF16 : Type::kBF16,
                   {Operand::r(h)}, {Operand::r(f)});
    c.type2 = Type::kF32;
    c.rounding = ptx::Rounding::kRn;
    return h;
  };
  auto boolFrom = [&](Reg p) {
    Reg b = newReg(RegKind::kB32);
    emit(Op::kSelp, Type::kB32, {Operand::r(b)}, {Operand::i(-1), Operand::i(0), Operand::r(p)});
    return b;
  };

  Opcode op = inst.opcode;
  if (op == Opcode::Constant) {
    if (r.isFloat) {
      uint32_t code = vm::encode(r.dtype, inst.floatValue, vm::Overflow::kIeee);
      out.splat = code;
      out.reg = fresh(r);
      emit(Op::kMov, r.bits == 16 ? Type::kB16 : Type::kB32, {Operand::r(out.reg)},
           {Operand::i(code)});
    } else {
      out.reg = fresh(r);
      emit(Op::kMov, r.wide() ? Type::kB64 : Type::kB32, {Operand::r(out.reg)},
           {Operand::i(r.wide() ? inst.intValue : int64_t(int32_t(inst.intValue)))});
      out.multipleOf = inst.intValue == 0 ? (int64_t(1) << 40) : std::abs(inst.intValue);
      out.constant = inst.intValue;
    }
    return absl::OkStatus();
  }

  // Integer binary operations.
  auto intBinary = [&](Op pop, bool isUnsigned) {
    ScalarKind k = operandKind(0);
    Reg a = operand(0).reg, b = operand(1).reg;
    if (isUnsigned) {
      a = zext(a, k.bits);
      b = zext(b, k.bits);
    }
    out.reg = fresh(k);
    // An unsigned division or remainder by a constant goes out with an immediate divisor
    // (which emit() turns into a shift or mask for powers of two).
    Operand divisor = Operand::r(b);
    const std::optional<int64_t> &c = operand(1).constant;
    if (isUnsigned && (pop == Op::kDiv || pop == Op::kRem) && c && *c > 0 &&
        (k.wide() || *c < (int64_t(1) << k.bits)))
      divisor = Operand::i(*c);
    emit(pop, pop == Op::kAnd || pop == Op::kOr || pop == Op::kXor
                  ? (k.wide() ? Type::kB64 : Type::kB32)
                  : itype(k, isUnsigned),
         {Operand::r(out.reg)}, {Operand::r(a), divisor});
    if (!k.wide())
      normalize(out.reg, k.bits);
  };

  switch (op) {
  case Opcode::AddI:
  case Opcode::SubI:
  case Opcode::MulI: {
    intBinary(op == Opcode::AddI ? Op::kAdd : op == Opcode::SubI ? Op::kSub : Op::kMul, false);
    int64_t a = operand(0).multipleOf, b = operand(1).multipleOf;
    // A product of multiples is a multiple of their product; past the 2^40 cap (or
    // int64) only of the power of two of it, which divides it.
    auto product = [](int64_t x, int64_t y) {
      constexpr int64_t cap = int64_t(1) << 40;
      if (x <= cap / y)
        return x * y;
      return int64_t(1) << std::min(40, absl::countr_zero(uint64_t(x)) + absl::countr_zero(uint64_t(y)));
    };
    out.multipleOf = op == Opcode::MulI ? product(a, b) : std::gcd(a, b);
    return absl::OkStatus();
  }
  case Opcode::DivSI:
  case Opcode::DivUI:
  case Opcode::RemSI:
  case Opcode::RemUI: {
    bool isUnsigned = op == Opcode::DivUI || op == Opcode::RemUI;
    bool isDiv = op == Opcode::DivSI || op == Opcode::DivUI;
    intBinary(isDiv ? Op::kDiv : Op::kRem, isUnsigned);
    // (c * m) / c for a constant c that divides the known multiple keeps m's
    // divisibility (a divisor only known to be a multiple of c says nothing: 32 / 16 is
    // not a multiple of 32 / 8).
    const std::optional<int64_t> &c = operand(1).constant;
    if (isDiv && c && *c > 0 && operand(0).multipleOf % *c == 0)
      out.multipleOf = std::max<int64_t>(1, operand(0).multipleOf / *c);
    return absl::OkStatus();
  }
  case Opcode::AndI:
  case Opcode::OrI:
  case Opcode::XOrI:
    intBinary(op == Opcode::AndI ? Op::kAnd : op == Opcode::OrI ? Op::kOr : Op::kXor, false);
    return absl::OkStatus();
  case Opcode::MinSI:
  case Opcode::MaxSI:
  case Opcode::MinUI:
  case Opcode::MaxUI: {
    bool isUnsigned = op == Opcode::MinUI || op == Opcode::MaxUI;
    intBinary(op == Opcode::MinSI || op == Opcode::MinUI ? Op::kMin : Op::kMax, isUnsigned);
    out.multipleOf = std::gcd(operand(0).multipleOf, operand(1).multipleOf);
    return absl::OkStatus();
  }
  case Opcode::ShLI:
  case Opcode::ShRSI:
  case Opcode::ShRUI: {
    ScalarKind k = operandKind(0);
    Reg a = operand(0).reg, amount = operand(1).reg;
    if (op == Opcode::ShRUI)
      a = zext(a, k.bits);
    if (k.wide()) { // shift amounts are 32-bit; clamp huge ones to 64
      Reg s = newReg(RegKind::kB64), s32 = newReg(RegKind::kB32);
      emit(Op::kMin, Type::kU64, {Operand::r(s)}, {Operand::r(amount), Operand::i(64)});
      emit(Op::kCvt, Type::kU32, {Operand::r(s32)}, {Operand::r(s)}).type2 = Type::kU64;
      amount = s32;
    } else if (k.bits < 32) { // a shift by >= the width must behave as at that width
      Reg s = newReg(RegKind::kB32);
      emit(Op::kMin, Type::kU32, {Operand::r(s)}, {Operand::r(zext(amount, k.bits)), Operand::i(32)});
      amount = s;
    }
    out.reg = fresh(k);
    Type t = op == Opcode::ShLI ? (k.wide() ? Type::kB64 : Type::kB32)
             : op == Opcode::ShRSI ? itype(k) : itype(k, true);
    emit(op == Opcode::ShLI ? Op::kShl : Op::kShr, t, {Operand::r(out.reg)},
         {Operand::r(a), Operand::r(amount)});
    if (!k.wide())
      normalize(out.reg, k.bits);
    return absl::OkStatus();
  }
  case Opcode::CeilDivSI:
  case Opcode::CeilDivUI:
  case Opcode::FloorDivSI: {
    ScalarKind k = operandKind(0);
    bool isUnsigned = op == Opcode::CeilDivUI;
    Reg a = operand(0).reg, b = operand(1).reg;
    if (isUnsigned) {
      a = zext(a, k.bits);
      b = zext(b, k.bits);
    }
    Type t = itype(k, isUnsigned);
    RegKind rk = k.wide() ? RegKind::kB64 : RegKind::kB32;
    Reg q = newReg(rk), rem = newReg(rk);
    emit(Op::kDiv, t, {Operand::r(q)}, {Operand::r(a), Operand::r(b)});
    emit(Op::kRem, t, {Operand::r(rem)}, {Operand::r(a), Operand::r(b)});
    Reg nonzero = newReg(RegKind::kPred), adjust = newReg(RegKind::kPred);
    emit(Op::kSetp, t, {Operand::r(nonzero)}, {Operand::r(rem), Operand::i(0)}).cmp = ptx::Cmp::kNe;
    if (isUnsigned) {
      adjust = nonzero;
    } else {
      // ceil: adjust when rem and b have the same sign; floor: when they differ.
      Reg remNeg = newReg(RegKind::kPred), bNeg = newReg(RegKind::kPred);
      emit(Op::kSetp, t, {Operand::r(remNeg)}, {Operand::r(rem), Operand::i(0)}).cmp = ptx::Cmp::kLt;
      emit(Op::kSetp, t, {Operand::r(bNeg)}, {Operand::r(b), Operand::i(0)}).cmp = ptx::Cmp::kLt;
      Reg differ = newReg(RegKind::kPred);
      emit(Op::kXor, Type::kPred, {Operand::r(differ)}, {Operand::r(remNeg), Operand::r(bNeg)});
      if (op == Opcode::CeilDivSI)
        emit(Op::kNot, Type::kPred, {Operand::r(differ)}, {Operand::r(differ)});
      emit(Op::kAnd, Type::kPred, {Operand::r(adjust)}, {Operand::r(nonzero), Operand::r(differ)});
    }
    Inst &fix = emit(op == Opcode::FloorDivSI ? Op::kSub : Op::kAdd, t, {Operand::r(q)},
                     {Operand::r(q), Operand::i(1)});
    fix.guarded = true;
    fix.guard = adjust;
    if (!k.wide())
      normalize(q, k.bits);
    out.reg = q;
    return absl::OkStatus();
  }
  case Opcode::CmpI: {
    ScalarKind k = operandKind(0);
    bool isUnsigned;
    ptx::Cmp cmp = intCmp(inst.kind, isUnsigned);
    Reg a = operand(0).reg, b = operand(1).reg;
    if (isUnsigned) {
      a = zext(a, k.bits);
      b = zext(b, k.bits);
    }
    Reg p = newReg(RegKind::kPred);
    emit(Op::kSetp, itype(k, isUnsigned), {Operand::r(p)}, {Operand::r(a), Operand::r(b)}).cmp = cmp;
    out.reg = boolFrom(p);
    return absl::OkStatus();
  }
  case Opcode::Select: {
    Reg p = newReg(RegKind::kPred);
    emit(Op::kSetp, Type::kS32, {Operand::r(p)}, {Operand::r(operand(0).reg), Operand::i(0)}).cmp =
        ptx::Cmp::kNe;
    out.reg = fresh(r);
    Type t = out.reg.kind == RegKind::kB64 ? Type::kB64
             : out.reg.kind == RegKind::kB16 ? Type::kB16 : Type::kB32;
    if (t == Type::kB16) { // selp has no 16-bit form: select through 32 bits
      Reg a = newReg(RegKind::kB32), b = newReg(RegKind::kB32), s = newReg(RegKind::kB32);
      emit(Op::kCvt, Type::kU32, {Operand::r(a)}, {Operand::r(operand(1).reg)}).type2 = Type::kU16;
      emit(Op::kCvt, Type::kU32, {Operand::r(b)}, {Operand::r(operand(2).reg)}).type2 = Type::kU16;
      emit(Op::kSelp, Type::kB32, {Operand::r(s)}, {Operand::r(a), Operand::r(b), Operand::r(p)});
      emit(Op::kCvt, Type::kU16, {Operand::r(out.reg)}, {Operand::r(s)}).type2 = Type::kU32;
    } else {
      emit(Op::kSelp, t, {Operand::r(out.reg)},
           {Operand::r(operand(1).reg), Operand::r(operand(2).reg), Operand::r(p)});
    }
    out.multipleOf = std::gcd(operand(1).multipleOf, operand(2).multipleOf);
    return absl::OkStatus();
  }
  case Opcode::IndexCast:
  case Opcode::IndexCastUI:
  case Opcode::ExtSI:
  case Opcode::ExtUI:
  case Opcode::TruncI: {
    ScalarKind from = operandKind(0);
    Reg v = operand(0).reg;
    bool zeroExtend = op == Opcode::IndexCastUI || op == Opcode::ExtUI;
    if (from.wide() && !r.wide()) { // 64 -> 32 and narrower: truncate, then normalize
      out.reg = newReg(RegKind::kB32);
      emit(Op::kCvt, Type::kU32, {Operand::r(out.reg)}, {Operand::r(v)}).type2 = Type::kU64;
      normalize(out.reg, r.bits);
    } else if (!from.wide() && r.wide()) {
      out.reg = newReg(RegKind::kB64);
      Reg src = zeroExtend ? zext(v, from.bits) : v;
      emit(Op::kCvt, zeroExtend ? Type::kU64 : Type::kS64, {Operand::r(out.reg)},
           {Operand::r(src)}).type2 = zeroExtend ? Type::kU32 : Type::kS32;
    } else if (from.wide() && r.wide()) {
      out.reg = v;
    } else {
      out.reg = newReg(RegKind::kB32);
      emit(Op::kMov, Type::kB32, {Operand::r(out.reg)}, {Operand::r(zeroExtend ? zext(v, from.bits) : v)});
      normalize(out.reg, r.bits);
    }
    // Sign extension keeps the value; truncation to w bits and zero extension from w bits
    // change it by a multiple of 2^w, so only the power of two of the multiple up to 2^w
    // stays.
    out.multipleOf = operand(0).multipleOf;
    if (r.bits < from.bits || (zeroExtend && r.bits > from.bits))
      out.multipleOf = std::gcd(out.multipleOf, int64_t(1) << std::min(40u, std::min(r.bits, from.bits)));
    return absl::OkStatus();
  }
  case Opcode::AddF:
  case Opcode::SubF:
  case Opcode::MulF:
  case Opcode::DivF:
  case Opcode::MaximumF:
  case Opcode::MinimumF: {
    Reg a = toF32(operand(0).reg, r), b = toF32(operand(1).reg, r);
    Reg f = newReg(RegKind::kB32);
    Op pop = op == Opcode::AddF ? Op::kAdd : op == Opcode::SubF ? Op::kSub
             : op == Opcode::MulF ? Op::kMul : op == Opcode::DivF ? Op::kDiv
             : op == Opcode::MaximumF ? Op::kMax : Op::kMin;
    Inst &i = emit(pop, Type::kF32, {Operand::r(f)}, {Operand::r(a), Operand::r(b)});
    if (pop != Op::kMax && pop != Op::kMin)
      i.rounding = ptx::Rounding::kRn;
    else { // maximumf/minimumf propagate NaN; PTX max/min return the other operand
      Reg nan = newReg(RegKind::kPred);
      emit(Op::kSetp, Type::kF32, {Operand::r(nan)}, {Operand::r(a), Operand::r(b)}).cmp = ptx::Cmp::kNan;
      Inst &sel = emit(Op::kMov, Type::kB32, {Operand::r(f)}, {Operand::i(0x7FFFFFFF)});
      sel.guarded = true;
      sel.guard = nan;
    }
    out.reg = fromF32(f, r);
    return absl::OkStatus();
  }
  case Opcode::NegF: {
    out.reg = fresh(r);
    Type t = r.bits == 16 ? Type::kB16 : Type::kB32;
    emit(Op::kXor, t, {Operand::r(out.reg)},
         {Operand::r(operand(0).reg), Operand::i(r.bits == 16 ? 0x8000 : 0x80000000ll)});
    return absl::OkStatus();
  }
  case Opcode::CmpF: {
    ScalarKind k = operandKind(0);
    Reg a = toF32(operand(0).reg, k), b = toF32(operand(1).reg, k);
    Reg p = newReg(RegKind::kPred);
    if (inst.kind == 0 || inst.kind == 15) { // always false / always true
      out.reg = imm32(inst.kind == 15 ? uint32_t(-1) : 0);
      return absl::OkStatus();
    }
    emit(Op::kSetp, Type::kF32, {Operand::r(p)}, {Operand::r(a), Operand::r(b)}).cmp =
        floatCmp(inst.kind);
    out.reg = boolFrom(p);
    return absl::OkStatus();
  }
  case Opcode::SIToFP:
  case Opcode::UIToFP: {
    ScalarKind from = operandKind(0);
    bool isUnsigned = op == Opcode::UIToFP;
    Reg v = isUnsigned && !from.wide() ? zext(operand(0).reg, from.bits) : operand(0).reg;
    out.reg = fresh(r);
    Type to = r.bits == 32 ? Type::kF32 : r.dtype == vm::DType::f16() ? Type::kF16 : Type::kBF16;
    Inst &c = emit(Op::kCvt, to, {Operand::r(out.reg)}, {Operand::r(v)});
    c.type2 = itype(from, isUnsigned);
    c.rounding = ptx::Rounding::kRn;
    return absl::OkStatus();
  }
  case Opcode::FPToSI:
  case Opcode::FPToUI: {
    ScalarKind from = operandKind(0);
    Reg f = toF32(operand(0).reg, from);
    bool isUnsigned = op == Opcode::FPToUI;
    out.reg = fresh(r);
    Inst &c = emit(Op::kCvt, itype(r, isUnsigned), {Operand::r(out.reg)}, {Operand::r(f)});
    c.type2 = Type::kF32;
    c.rounding = ptx::Rounding::kRzi;
    if (!r.wide())
      normalize(out.reg, r.bits);
    return absl::OkStatus();
  }
  case Opcode::ExtF:
  case Opcode::TruncF: {
    ScalarKind from = operandKind(0);
    out.reg = fromF32(toF32(operand(0).reg, from), r);
    return absl::OkStatus();
  }
  default:
    return error(inst, "unsupported scalar operation");
  }
}

absl::Status KernelEmitter::emitFor(const vm::Instruction &inst) {
  // Operands: lb, ub, step, inits...; region arguments: iv, iter args...; results.
  const vm::Block &body = inst.regions[0];
  uint32_t ivId = body.arguments[0];
  const vm::ValueType &ivType = typeOf(ivId);
  bool wide = ivType.kind == ValueKind::kIndex || ivType.scalarBits() == 64;
  Type t = wide ? Type::kS64 : Type::kS32;
  RegKind rk = wide ? RegKind::kB64 : RegKind::kB32;

  EValue &iv = values_[ivId];
  iv.kind = EValue::Kind::kScalar;
  iv.reg = newReg(rk);
  iv.multipleOf = std::gcd(values_[inst.operands[0]].multipleOf, values_[inst.operands[2]].multipleOf);
  emit(Op::kMov, wide ? Type::kB64 : Type::kB32, {Operand::r(iv.reg)},
       {Operand::r(values_[inst.operands[0]].reg)});

  // Loop-carried values live in fixed registers: initialized here, updated at the end.
  size_t numIter = inst.operands.size() - 3;
  auto copyValue = [&](EValue &dst, const EValue &src) {
    if (src.kind == EValue::Kind::kTile) {
      for (size_t i = 0; i < src.regs.size(); ++i)
        emit(Op::kMov, Type::kB32, {Operand::r(dst.regs[i])}, {Operand::r(src.regs[i])});
    } else {
      Type mt = dst.reg.kind == RegKind::kB64 ? Type::kB64 : dst.reg.kind == RegKind::kB16 ? Type::kB16 : Type::kB32;
      emit(Op::kMov, mt, {Operand::r(dst.reg)}, {Operand::r(src.reg)});
    }
  };
  auto freshLike = [&](const EValue &src) {
    EValue v = src;
    // A carried value changes; one whose registers carry a cast's constant is never
    // carried (only dots read it).
    v.forgetContents();
    if (src.kind == EValue::Kind::kTile) {
      for (Reg &r : v.regs)
        r = newReg(RegKind::kB32);
    } else if (src.kind == EValue::Kind::kScalar) {
      v.reg = newReg(src.reg.kind);
    } else {
      return v; // shared/global handles are not rewritten by loops
    }
    return v;
  };
  for (size_t i = 0; i < numIter; ++i) {
    const EValue &init = values_[inst.operands[3 + i]];
    if (init.kind != EValue::Kind::kTile && init.kind != EValue::Kind::kScalar)
      return error(inst, "loop-carried shared or global tensors are not supported");
    EValue carried = freshLike(init);
    carried.multipleOf = 1;
    carried.constant.reset(); // changes from iteration to iteration
    copyValue(carried, init);
    values_[body.arguments[1 + i]] = carried;
  }

  std::string head = newLabel("for_head"), end = newLabel("for_end");
  label(head);
  Reg done = newReg(RegKind::kPred);
  emit(Op::kSetp, t, {Operand::r(done)}, {Operand::r(iv.reg), Operand::r(values_[inst.operands[1]].reg)})
      .cmp = ptx::Cmp::kGe;
  branch(end, &done);
  ++loopDepth_;
  absl::Status status = emitBlock(body);
  --loopDepth_;
  if (!status.ok())
    return status;
  // The yield's values, copied through temporaries (a yield may swap carried values).
  const vm::Instruction &yield = body.body.back();
  std::vector<EValue> temps;
  for (size_t i = 0; i < numIter; ++i) {
    EValue tmp = freshLike(values_[yield.operands[i]]);
    copyValue(tmp, values_[yield.operands[i]]);
    temps.push_back(tmp);
  }
  for (size_t i = 0; i < numIter; ++i)
    copyValue(values_[body.arguments[1 + i]], temps[i]);
  emit(Op::kAdd, t, {Operand::r(iv.reg)}, {Operand::r(iv.reg), Operand::r(values_[inst.operands[2]].reg)});
  branch(head);
  label(end);
  for (size_t i = 0; i < numIter; ++i)
    values_[inst.results[i]] = values_[body.arguments[1 + i]];
  return absl::OkStatus();
}

absl::Status KernelEmitter::emitIf(const vm::Instruction &inst) {
  Reg cond = newReg(RegKind::kPred);
  emit(Op::kSetp, Type::kS32, {Operand::r(cond)}, {Operand::r(values_[inst.operands[0]].reg), Operand::i(0)})
      .cmp = ptx::Cmp::kNe;
  std::string elseLabel = newLabel("else"), end = newLabel("endif");
  branch(elseLabel, &cond, /*negated=*/true);

  // Results get fixed registers written at the end of each branch.
  std::vector<EValue> results;
  auto emitBranch = [&](const vm::Block &block) -> absl::Status {
    absl::Status status = emitBlock(block);
    if (!status.ok())
      return status;
    if (block.body.empty() || block.body.back().opcode != Opcode::Yield)
      return absl::OkStatus();
    const vm::Instruction &yield = block.body.back();
    for (size_t i = 0; i < yield.operands.size(); ++i) {
      const EValue &v = values_[yield.operands[i]];
      if (results.size() <= i) {
        EValue r = v;
        if (v.kind == EValue::Kind::kTile)
          for (Reg &x : r.regs)
            x = newReg(RegKind::kB32);
        else if (v.kind == EValue::Kind::kScalar)
          r.reg = newReg(v.reg.kind);
        else
          return error(inst, "scf.if yielding shared or global tensors is not supported");
        r.multipleOf = 1;
        r.constant.reset(); // the branches may yield different values
        r.forgetContents();
        results.push_back(r);
      }
      EValue &dst = results[i];
      if (v.kind == EValue::Kind::kTile)
        for (size_t j = 0; j < v.regs.size(); ++j)
          emit(Op::kMov, Type::kB32, {Operand::r(dst.regs[j])}, {Operand::r(v.regs[j])});
      else
        emit(Op::kMov, dst.reg.kind == RegKind::kB64 ? Type::kB64 : dst.reg.kind == RegKind::kB16 ? Type::kB16 : Type::kB32,
             {Operand::r(dst.reg)}, {Operand::r(v.reg)});
    }
    return absl::OkStatus();
  };
  absl::Status status = emitBranch(inst.regions[0]);
  if (!status.ok())
    return status;
  branch(end);
  label(elseLabel);
  if (inst.regions.size() > 1) {
    status = emitBranch(inst.regions[1]);
    if (!status.ok())
      return status;
  }
  label(end);
  for (size_t i = 0; i < inst.results.size() && i < results.size(); ++i)
    values_[inst.results[i]] = results[i];
  return absl::OkStatus();
}

} // namespace tessel::cuda
