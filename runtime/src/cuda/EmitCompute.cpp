// Elementwise instructions. Registers hold packed slots, so 32-bit floats compute one
// register at a time, f16/bf16 two at a time (f16x2/bf16x2), and everything else slot by
// slot (extract, compute in 32 bits, insert). Float arithmetic uses explicit .rn so ptxas
// never contracts a multiply and an add into an fma the CPU executor would not do.
#include "cuda/KernelEmitter.h"

#include "vm/Numerics.h"

#include <algorithm>
#include <functional>

namespace tessel::cuda {

using vm::DType;
using vm::Opcode;
using vm::ValueKind;

namespace {
enum class BinaryKind { kAdd, kSub, kMul, kDiv, kMax, kMin, kRem, kAnd, kOr, kXor, kShl, kShr };
enum class UnaryKind { kNeg, kAbs, kExp, kExp2, kLog, kSqrt, kRsqrt, kTanh, kErf, kSigmoid, kNot, kRecip };

constexpr uint32_t kLog2E = 0x3FB8AA3Bu; // log2(e) as f32
constexpr uint32_t kLn2 = 0x3F317218u;   // ln(2)
constexpr uint32_t kOneF32 = 0x3F800000u;
} // namespace

// Helpers local to this file, operating on one f32 value in a b32 register.
namespace {
struct F32 {
  KernelEmitter &e;
  Reg op(Op o, std::vector<Operand> src, ptx::Rounding r = ptx::Rounding::kNone) {
    Reg d = e.newReg(RegKind::kB32);
    Inst &i = e.emit(o, Type::kF32, {Operand::r(d)}, std::move(src));
    i.rounding = r;
    return d;
  }
  Reg c(uint32_t bits) { return e.imm32(bits); }
  Reg exp2(Reg x) { return op(Op::kEx2, {Operand::r(x)}, ptx::Rounding::kApprox); }
  Reg exp(Reg x) { return exp2(op(Op::kMul, {Operand::r(x), Operand::i(kLog2E)}, ptx::Rounding::kRn)); }
  Reg div(Reg a, Reg b) { return op(Op::kDiv, {Operand::r(a), Operand::r(b)}, ptx::Rounding::kRn); }
  Reg add(Reg a, Reg b) { return op(Op::kAdd, {Operand::r(a), Operand::r(b)}, ptx::Rounding::kRn); }
  Reg sub(Reg a, Reg b) { return op(Op::kSub, {Operand::r(a), Operand::r(b)}, ptx::Rounding::kRn); }
  Reg mul(Reg a, Reg b) { return op(Op::kMul, {Operand::r(a), Operand::r(b)}, ptx::Rounding::kRn); }
  Reg fma(Reg a, Reg b, Reg cc) {
    return op(Op::kFma, {Operand::r(a), Operand::r(b), Operand::r(cc)}, ptx::Rounding::kRn);
  }
  // tanh(x) = sign(x) * (1 - 2 / (exp(2|x|) + 1)): accurate to a few ulps of 1 for |x|
  // large; below 2^-4 the odd series x - x^3/3 + 2x^5/15 avoids the cancellation.
  Reg tanh(Reg x) {
    Reg ax = op(Op::kAbs, {Operand::r(x)});
    Reg t = exp(op(Op::kMul, {Operand::r(ax), Operand::i(0x40000000)}, ptx::Rounding::kRn));
    Reg r = sub(c(kOneF32), div(c(0x40000000), add(t, c(kOneF32))));
    Reg signBit = e.newReg(RegKind::kB32);
    e.emit(Op::kAnd, Type::kB32, {Operand::r(signBit)}, {Operand::r(x), Operand::i(0x80000000ll)});
    Reg signed_ = e.newReg(RegKind::kB32);
    e.emit(Op::kOr, Type::kB32, {Operand::r(signed_)}, {Operand::r(r), Operand::r(signBit)});
    Reg x2 = mul(x, x);
    // x * (1 + x2 * (-1/3 + x2 * 2/15))
    Reg poly = fma(x2, c(0x3E088889u /* 2/15 */), c(0xBEAAAAABu /* -1/3 */));
    poly = fma(x2, poly, c(kOneF32));
    Reg small = mul(x, poly);
    Reg isSmall = e.newReg(RegKind::kPred);
    e.emit(Op::kSetp, Type::kF32, {Operand::r(isSmall)}, {Operand::r(ax), Operand::i(0x3D800000 /* 1/16 */)}).cmp =
        ptx::Cmp::kLt;
    Reg out = e.newReg(RegKind::kB32);
    e.emit(Op::kSelp, Type::kB32, {Operand::r(out)}, {Operand::r(small), Operand::r(signed_), Operand::r(isSmall)});
    return out;
  }
  // erf(x), Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7).
  Reg erf(Reg x) {
    Reg ax = op(Op::kAbs, {Operand::r(x)});
    Reg t = div(c(kOneF32), fma(ax, c(0x3EA7BA05u /* 0.3275911 */), c(kOneF32)));
    Reg p = fma(t, c(0x3F87DC22u /* 1.061405429 */), c(0xBFBA00E3u /* -1.453152027 */));
    p = fma(t, p, c(0x3FB5F0E3u /* 1.421413741 */));
    p = fma(t, p, c(0xBE91A98Eu /* -0.284496736 */));
    p = fma(t, p, c(0x3E827906u /* 0.254829592 */));
    p = mul(p, t);
    Reg negSq = mul(ax, ax);
    e.emit(Op::kXor, Type::kB32, {Operand::r(negSq)}, {Operand::r(negSq), Operand::i(0x80000000ll)});
    Reg y = sub(c(kOneF32), mul(p, exp(negSq)));
    Reg signBit = e.newReg(RegKind::kB32), out = e.newReg(RegKind::kB32);
    e.emit(Op::kAnd, Type::kB32, {Operand::r(signBit)}, {Operand::r(x), Operand::i(0x80000000ll)});
    e.emit(Op::kOr, Type::kB32, {Operand::r(out)}, {Operand::r(y), Operand::r(signBit)});
    return out;
  }
};
} // namespace

// An element operand of an elementwise op: a tile (same layout as the result) or a
// scalar converted to the element type once.
struct ElementOperand {
  bool isTile = false;
  std::vector<Reg> regs; // tile
  Reg scalar;            // scalar: the element's bits (b32), packed twice for 16-bit types
};

static ElementOperand elementOperand(KernelEmitter &e, uint32_t id, DType element) {
  ElementOperand o;
  const vm::ValueType &t = e.typeOf(id);
  const EValue &v = e.value(id);
  if (t.kind == ValueKind::kRTensor) {
    o.isTile = true;
    o.regs = v.regs;
    return o;
  }
  // Scalars convert to the element type: floats round, integers take their low bits.
  Reg bits = e.newReg(RegKind::kB32);
  if (element == DType::f32()) {
    if (t.dtype == DType::f32())
      bits = v.reg;
    else if (t.dtype == DType::f16())
      e.emit(Op::kCvt, Type::kF32, {Operand::r(bits)}, {Operand::r(v.reg)}).type2 = Type::kF16;
    else { // bf16
      Reg w = e.newReg(RegKind::kB32);
      e.emit(Op::kCvt, Type::kU32, {Operand::r(w)}, {Operand::r(v.reg)}).type2 = Type::kU16;
      e.emit(Op::kShl, Type::kB32, {Operand::r(bits)}, {Operand::r(w), Operand::i(16)});
    }
  } else if (element == DType::f16() || element == DType::bf16()) {
    Reg h = v.reg;
    bool same = t.dtype == element;
    if (!same) {
      Reg f = v.reg;
      if (t.dtype != DType::f32()) { // f16 <-> bf16 through f32
        f = e.newReg(RegKind::kB32);
        if (t.dtype == DType::f16())
          e.emit(Op::kCvt, Type::kF32, {Operand::r(f)}, {Operand::r(v.reg)}).type2 = Type::kF16;
        else {
          Reg w = e.newReg(RegKind::kB32);
          e.emit(Op::kCvt, Type::kU32, {Operand::r(w)}, {Operand::r(v.reg)}).type2 = Type::kU16;
          e.emit(Op::kShl, Type::kB32, {Operand::r(f)}, {Operand::r(w), Operand::i(16)});
        }
      }
      h = e.newReg(RegKind::kB16);
      Inst &c = e.emit(Op::kCvt, element == DType::f16() ? Type::kF16 : Type::kBF16, {Operand::r(h)}, {Operand::r(f)});
      c.type2 = Type::kF32;
      c.rounding = ptx::Rounding::kRn;
    }
    Reg w = e.newReg(RegKind::kB32);
    e.emit(Op::kCvt, Type::kU32, {Operand::r(w)}, {Operand::r(h)}).type2 = Type::kU16;
    e.emit(Op::kPrmt, Type::kB32, {Operand::r(bits)}, {Operand::r(w), Operand::r(w), Operand::i(0x1010)});
  } else { // integers: the low bits
    if (v.reg.kind == RegKind::kB64)
      e.emit(Op::kCvt, Type::kU32, {Operand::r(bits)}, {Operand::r(v.reg)}).type2 = Type::kU64;
    else
      bits = v.reg;
  }
  o.scalar = bits;
  return o;
}

// Register `w` of an operand, or the scalar.
static Reg word(const ElementOperand &o, size_t w) { return o.isTile ? o.regs[w] : o.scalar; }

// Slot `s` of an operand (zero-extended), or the scalar's low bits.
static Reg slotOf(KernelEmitter &e, const ElementOperand &o, int64_t s, unsigned bits) {
  if (o.isTile)
    return e.extract(o.regs, s, bits);
  if (bits >= 32)
    return o.scalar;
  Reg r = e.newReg(RegKind::kB32);
  e.emit(Op::kAnd, Type::kB32, {Operand::r(r)}, {Operand::r(o.scalar), Operand::i((1ll << bits) - 1)});
  return r;
}

absl::Status KernelEmitter::emitCompute(const vm::Instruction &inst) {
  switch (inst.opcode) {
  case Opcode::AllocRegs: {
    const vm::ValueType &t = typeOf(inst.results[0]);
    EValue &out = values_[inst.results[0]];
    out.kind = EValue::Kind::kTile;
    out.regs = newTile(t);
    out.zero = inst.operands.empty();
    if (out.zero)
      return absl::OkStatus();
    ElementOperand init = elementOperand(*this, inst.operands[0], t.dtype);
    unsigned bits = t.dtype.bits();
    const EValue &scalar = values_[inst.operands[0]];
    if (scalar.splat && typeOf(inst.operands[0]).dtype == t.dtype && (bits == 16 || bits == 32))
      out.splat = bits == 16 ? *scalar.splat | *scalar.splat << 16 : *scalar.splat;
    if (bits == 32 || bits == 16) {
      for (Reg r : out.regs)
        emit(Op::kMov, Type::kB32, {Operand::r(r)}, {Operand::r(init.scalar)});
    } else {
      for (int64_t s = 0; s < program_.layoutOf(t).localSize(); ++s)
        insert(out.regs, s, bits, init.scalar);
    }
    return absl::OkStatus();
  }
  case Opcode::View: {
    EValue &out = values_[inst.results[0]];
    out.kind = EValue::Kind::kTile;
    out.regs = values_[inst.operands[0]].regs; // same bits, reread: free
    return absl::OkStatus();
  }
  case Opcode::Iota: {
    const vm::ValueType &t = typeOf(inst.results[0]);
    const LayoutInfo &info = layoutInfo(t.layout);
    EValue &out = values_[inst.results[0]];
    out.kind = EValue::Kind::kTile;
    int d = int(inst.attr);
    for (size_t s = 0; s < info.slotPart.size(); ++s) {
      Reg r = newReg(RegKind::kB32);
      emit(Op::kAdd, Type::kU32, {Operand::r(r)}, {Operand::r(info.threadPart[size_t(d)]), Operand::i(info.slotPart[s][size_t(d)])});
      out.regs.push_back(r);
    }
    return absl::OkStatus();
  }
  default:
    break;
  }

  const vm::ValueType &rt = typeOf(inst.results[0]);
  DType element = rt.dtype;
  unsigned bits = element.bits();
  int64_t slots = program_.layoutOf(rt).localSize();
  EValue &out = values_[inst.results[0]];
  out.kind = EValue::Kind::kTile;
  out.regs.clear();
  size_t numRegs = size_t(numRegsOf(rt));
  bool isF32 = element == DType::f32(), isF16 = element == DType::f16(), isBF16 = element == DType::bf16();
  bool isInt = element.isInteger();
  bool isSignedInt = isInt && !element.isUnsignedInteger();

  // Per-slot fallback: extract operands, compute a b32 result, insert.
  auto perSlot = [&](const std::vector<ElementOperand> &ops, unsigned opBits,
                     const std::function<Reg(const std::vector<Reg> &)> &fn) {
    out.regs = newTile(rt);
    for (int64_t s = 0; s < slots; ++s) {
      std::vector<Reg> vals;
      for (const ElementOperand &o : ops) {
        Reg v = slotOf(*this, o, s, opBits);
        vals.push_back(v);
      }
      insert(out.regs, s, bits, fn(vals));
    }
  };
  // 16-bit floats through f32: unpack a slot, compute, pack.
  auto halfToF32 = [&](Reg h16InLow) {
    Reg f = newReg(RegKind::kB32);
    if (isF16) {
      Reg h = newReg(RegKind::kB16);
      emit(Op::kCvt, Type::kU16, {Operand::r(h)}, {Operand::r(h16InLow)}).type2 = Type::kU32;
      emit(Op::kCvt, Type::kF32, {Operand::r(f)}, {Operand::r(h)}).type2 = Type::kF16;
    } else {
      emit(Op::kShl, Type::kB32, {Operand::r(f)}, {Operand::r(h16InLow), Operand::i(16)});
    }
    return f;
  };
  auto f32ToHalf = [&](Reg f) {
    Reg h = newReg(RegKind::kB16), w = newReg(RegKind::kB32);
    Inst &c = emit(Op::kCvt, isF16 ? Type::kF16 : Type::kBF16, {Operand::r(h)}, {Operand::r(f)});
    c.type2 = Type::kF32;
    c.rounding = ptx::Rounding::kRn;
    emit(Op::kCvt, Type::kU32, {Operand::r(w)}, {Operand::r(h)}).type2 = Type::kU16;
    return w;
  };
  // A float function of f32 values applied to any float element type.
  auto floatPerSlot = [&](const std::vector<ElementOperand> &ops,
                          const std::function<Reg(const std::vector<Reg> &)> &fn) {
    if (isF32) {
      for (size_t w = 0; w < numRegs; ++w) {
        std::vector<Reg> vals;
        for (const ElementOperand &o : ops)
          vals.push_back(word(o, w));
        out.regs.push_back(fn(vals));
      }
      return;
    }
    perSlot(ops, 16, [&](const std::vector<Reg> &vals) {
      std::vector<Reg> f;
      for (Reg v : vals)
        f.push_back(halfToF32(v));
      return f32ToHalf(fn(f));
    });
  };

  if (inst.opcode == Opcode::Binary || inst.opcode == Opcode::Fma) {
    std::vector<ElementOperand> ops;
    for (uint32_t id : inst.operands)
      ops.push_back(elementOperand(*this, id, element));
    F32 f{*this};
    if (inst.opcode == Opcode::Fma) {
      if (isF32) {
        for (size_t w = 0; w < numRegs; ++w)
          out.regs.push_back(f.fma(word(ops[0], w), word(ops[1], w), word(ops[2], w)));
      } else {
        for (size_t w = 0; w < numRegs; ++w) {
          Reg d = newReg(RegKind::kB32);
          Inst &i = emit(Op::kFma, isF16 ? Type::kF16x2 : Type::kBF16x2, {Operand::r(d)},
                         {Operand::r(word(ops[0], w)), Operand::r(word(ops[1], w)), Operand::r(word(ops[2], w))});
          i.rounding = ptx::Rounding::kRn;
          out.regs.push_back(d);
        }
      }
      return absl::OkStatus();
    }
    BinaryKind kind = BinaryKind(inst.kind);
    if (isF32 || isF16 || isBF16) {
      bool packed = isF16 || isBF16;
      Type pt = isF32 ? Type::kF32 : isF16 ? Type::kF16x2 : Type::kBF16x2;
      bool needsF32 = kind == BinaryKind::kDiv ||
                      (isBF16 && target_.major < 9 && (kind == BinaryKind::kAdd || kind == BinaryKind::kSub || kind == BinaryKind::kMul));
      if (needsF32 && isBF16 && kind != BinaryKind::kDiv) {
        // sm_80 has no bf16x2 add/sub/mul: fma with 1 / -1 / -0 does them exactly rounded.
        Reg one = imm32(0x3F803F80u), minusOne = imm32(0xBF80BF80u), negZero = imm32(0x80008000u);
        for (size_t w = 0; w < numRegs; ++w) {
          Reg a = word(ops[0], w), b = word(ops[1], w), d = newReg(RegKind::kB32);
          std::vector<Operand> src;
          if (kind == BinaryKind::kAdd)
            src = {Operand::r(a), Operand::r(one), Operand::r(b)};
          else if (kind == BinaryKind::kSub)
            src = {Operand::r(b), Operand::r(minusOne), Operand::r(a)};
          else
            src = {Operand::r(a), Operand::r(b), Operand::r(negZero)};
          Inst &i = emit(Op::kFma, Type::kBF16x2, {Operand::r(d)}, src);
          i.rounding = ptx::Rounding::kRn;
          out.regs.push_back(d);
        }
        return absl::OkStatus();
      }
      if (kind == BinaryKind::kDiv) {
        floatPerSlot(ops, [&](const std::vector<Reg> &v) { return f.div(v[0], v[1]); });
        return absl::OkStatus();
      }
      Op op = kind == BinaryKind::kAdd ? Op::kAdd : kind == BinaryKind::kSub ? Op::kSub
              : kind == BinaryKind::kMul ? Op::kMul : kind == BinaryKind::kMax ? Op::kMax : Op::kMin;
      (void)packed;
      for (size_t w = 0; w < numRegs; ++w) {
        Reg d = newReg(RegKind::kB32);
        Inst &i = emit(op, pt, {Operand::r(d)}, {Operand::r(word(ops[0], w)), Operand::r(word(ops[1], w))});
        if (op != Op::kMax && op != Op::kMin)
          i.rounding = ptx::Rounding::kRn;
        out.regs.push_back(d);
      }
      return absl::OkStatus();
    }
    if (!isInt)
      return error(inst, "elementwise arithmetic on " + element.name());
    // Integers, one slot at a time in 32 bits (signed operands sign-extended first).
    Type it = isSignedInt ? Type::kS32 : Type::kU32;
    perSlot(ops, bits, [&](const std::vector<Reg> &v) {
      Reg a = v[0], b = v[1];
      if (isSignedInt && bits < 32) {
        a = signExtend(a, bits);
        b = signExtend(b, bits);
      }
      Reg d = newReg(RegKind::kB32);
      switch (kind) {
      case BinaryKind::kAdd: emit(Op::kAdd, it, {Operand::r(d)}, {Operand::r(a), Operand::r(b)}); break;
      case BinaryKind::kSub: emit(Op::kSub, it, {Operand::r(d)}, {Operand::r(a), Operand::r(b)}); break;
      case BinaryKind::kMul: emit(Op::kMul, it, {Operand::r(d)}, {Operand::r(a), Operand::r(b)}); break;
      case BinaryKind::kDiv: emit(Op::kDiv, it, {Operand::r(d)}, {Operand::r(a), Operand::r(b)}); break;
      case BinaryKind::kRem: emit(Op::kRem, it, {Operand::r(d)}, {Operand::r(a), Operand::r(b)}); break;
      case BinaryKind::kMax: emit(Op::kMax, it, {Operand::r(d)}, {Operand::r(a), Operand::r(b)}); break;
      case BinaryKind::kMin: emit(Op::kMin, it, {Operand::r(d)}, {Operand::r(a), Operand::r(b)}); break;
      case BinaryKind::kAnd: emit(Op::kAnd, Type::kB32, {Operand::r(d)}, {Operand::r(a), Operand::r(b)}); break;
      case BinaryKind::kOr: emit(Op::kOr, Type::kB32, {Operand::r(d)}, {Operand::r(a), Operand::r(b)}); break;
      case BinaryKind::kXor: emit(Op::kXor, Type::kB32, {Operand::r(d)}, {Operand::r(a), Operand::r(b)}); break;
      case BinaryKind::kShl:
      case BinaryKind::kShr: {
        // Shifts by >= the element width give 0 (or the sign for signed shr).
        Reg amount = newReg(RegKind::kB32);
        emit(Op::kMin, Type::kU32, {Operand::r(amount)}, {Operand::r(v[1]), Operand::i(32)});
        emit(kind == BinaryKind::kShl ? Op::kShl : Op::kShr,
             kind == BinaryKind::kShl ? Type::kB32 : it, {Operand::r(d)}, {Operand::r(a), Operand::r(amount)});
        if (kind == BinaryKind::kShl && bits < 32) { // bits shifted past the width vanish
          Reg big = newReg(RegKind::kPred);
          emit(Op::kSetp, Type::kU32, {Operand::r(big)}, {Operand::r(amount), Operand::i(bits)}).cmp = ptx::Cmp::kHs;
          Inst &z = emit(Op::kMov, Type::kB32, {Operand::r(d)}, {Operand::i(0)});
          z.guarded = true;
          z.guard = big;
        }
        break;
      }
      }
      return d;
    });
    return absl::OkStatus();
  }

  if (inst.opcode == Opcode::Unary) {
    ElementOperand src = elementOperand(*this, inst.operands[0], element);
    UnaryKind kind = UnaryKind(inst.kind);
    if (kind == UnaryKind::kNot) {
      for (size_t w = 0; w < numRegs; ++w) {
        Reg d = newReg(RegKind::kB32);
        emit(Op::kNot, Type::kB32, {Operand::r(d)}, {Operand::r(src.regs[w])});
        out.regs.push_back(d);
      }
      return absl::OkStatus();
    }
    if (isInt) {
      perSlot({src}, bits, [&](const std::vector<Reg> &v) {
        Reg a = isSignedInt ? signExtend(v[0], bits) : v[0];
        Reg d = newReg(RegKind::kB32);
        emit(kind == UnaryKind::kNeg ? Op::kNeg : Op::kAbs, Type::kS32, {Operand::r(d)}, {Operand::r(a)});
        return d;
      });
      return absl::OkStatus();
    }
    if (kind == UnaryKind::kNeg || kind == UnaryKind::kAbs) { // sign-bit operations, exact
      uint32_t sign = isF32 ? 0x80000000u : 0x80008000u;
      for (size_t w = 0; w < numRegs; ++w) {
        Reg d = newReg(RegKind::kB32);
        if (kind == UnaryKind::kNeg)
          emit(Op::kXor, Type::kB32, {Operand::r(d)}, {Operand::r(src.regs[w]), Operand::i(sign)});
        else
          emit(Op::kAnd, Type::kB32, {Operand::r(d)}, {Operand::r(src.regs[w]), Operand::i(~sign)});
        out.regs.push_back(d);
      }
      return absl::OkStatus();
    }
    F32 f{*this};
    floatPerSlot({src}, [&](const std::vector<Reg> &v) -> Reg {
      Reg x = v[0];
      switch (kind) {
      case UnaryKind::kExp: return f.exp(x);
      case UnaryKind::kExp2: return f.exp2(x);
      case UnaryKind::kLog: return f.mul(f.op(Op::kLg2, {Operand::r(x)}, ptx::Rounding::kApprox), f.c(kLn2));
      case UnaryKind::kSqrt: return f.op(Op::kSqrt, {Operand::r(x)}, ptx::Rounding::kRn);
      case UnaryKind::kRsqrt: return f.op(Op::kRsqrt, {Operand::r(x)}, ptx::Rounding::kApprox);
      case UnaryKind::kRecip: return f.op(Op::kRcp, {Operand::r(x)}, ptx::Rounding::kRn);
      case UnaryKind::kTanh: return f.tanh(x);
      case UnaryKind::kErf: return f.erf(x);
      case UnaryKind::kSigmoid: {
        Reg negx = newReg(RegKind::kB32);
        emit(Op::kXor, Type::kB32, {Operand::r(negx)}, {Operand::r(x), Operand::i(0x80000000ll)});
        return f.div(f.c(kOneF32), f.add(f.c(kOneF32), f.exp(negx)));
      }
      default: return x;
      }
    });
    return absl::OkStatus();
  }

  if (inst.opcode == Opcode::Compare) {
    const vm::ValueType &lt = typeOf(inst.operands[0]);
    DType in = lt.kind == ValueKind::kRTensor ? lt.dtype : typeOf(inst.operands[1]).dtype;
    ElementOperand a = elementOperand(*this, inst.operands[0], in);
    ElementOperand b = elementOperand(*this, inst.operands[1], in);
    static const ptx::Cmp cmps[] = {ptx::Cmp::kEq, ptx::Cmp::kNe, ptx::Cmp::kLt,
                                    ptx::Cmp::kLe, ptx::Cmp::kGt, ptx::Cmp::kGe};
    ptx::Cmp cmp = cmps[std::clamp<int64_t>(inst.kind, 0, 5)];
    bool inFloat = in.isFloat();
    bool inUnsigned = in.isUnsignedInteger();
    if (inUnsigned) { // unsigned orderings
      if (cmp == ptx::Cmp::kLt) cmp = ptx::Cmp::kLo;
      if (cmp == ptx::Cmp::kLe) cmp = ptx::Cmp::kLs;
      if (cmp == ptx::Cmp::kGt) cmp = ptx::Cmp::kHi;
      if (cmp == ptx::Cmp::kGe) cmp = ptx::Cmp::kHs;
    }
    if (inFloat && cmp == ptx::Cmp::kNe)
      cmp = ptx::Cmp::kNeu; // != is true for NaN
    out.regs = newTile(rt);
    unsigned inBits = in.bits();
    for (int64_t s = 0; s < slots; ++s) {
      Reg x = slotOf(*this, a, s, inBits), y = slotOf(*this, b, s, inBits);
      Type t;
      if (inFloat) {
        if (in != DType::f32()) {
          bool wasF16 = isF16;
          isF16 = in == DType::f16();
          x = halfToF32(x);
          y = halfToF32(y);
          isF16 = wasF16;
        }
        t = Type::kF32;
      } else {
        if (!inUnsigned && inBits < 32) {
          x = signExtend(x, inBits);
          y = signExtend(y, inBits);
        }
        t = inUnsigned ? Type::kU32 : Type::kS32;
      }
      Reg p = newReg(RegKind::kPred), bit = newReg(RegKind::kB32);
      emit(Op::kSetp, t, {Operand::r(p)}, {Operand::r(x), Operand::r(y)}).cmp = cmp;
      emit(Op::kSelp, Type::kB32, {Operand::r(bit)}, {Operand::i(1), Operand::i(0), Operand::r(p)});
      insert(out.regs, s, 1, bit);
    }
    return absl::OkStatus();
  }

  if (inst.opcode == Opcode::Where) {
    const std::vector<Reg> &cond = values_[inst.operands[0]].regs;
    ElementOperand a = elementOperand(*this, inst.operands[1], element);
    ElementOperand b = elementOperand(*this, inst.operands[2], element);
    out.regs = newTile(rt);
    for (int64_t s = 0; s < slots; ++s) {
      Reg c = extract(cond, s, 1);
      Reg p = newReg(RegKind::kPred);
      emit(Op::kSetp, Type::kU32, {Operand::r(p)}, {Operand::r(c), Operand::i(0)}).cmp = ptx::Cmp::kNe;
      Reg x = slotOf(*this, a, s, bits), y = slotOf(*this, b, s, bits), d = newReg(RegKind::kB32);
      emit(Op::kSelp, Type::kB32, {Operand::r(d)}, {Operand::r(x), Operand::r(y), Operand::r(p)});
      insert(out.regs, s, bits, d);
    }
    return absl::OkStatus();
  }
  return error(inst, "unsupported instruction");
}

} // namespace tessel::cuda
