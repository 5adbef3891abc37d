// tbvm.cast. Fast paths build f16x2/bf16x2 registers two elements at a time with bit
// tricks (REFERENCE.md, "Sub-byte storage and fast casts") for every integer width 1..8,
// signed and unsigned, and for the small floats:
//  - integers: the code goes into the low mantissa bits of a half whose exponent is the
//    magic 0x6400 (1024.0; 0x4300 = 128.0 for bf16), one lop3 per pair also flipping the
//    sign bit of signed codes (offset binary), then one subtraction (or an fma that also
//    undoes a position shift) leaves the exact value;
//  - 1, 2 and 8 bits in natural order: one prmt spreads a byte over both halves and
//    each lop3 picks one pair out of it; 4 bits: one prmt per pair from the word and the
//    word shifted by 4, so both codes sit at bit 0 and a subtraction finishes them;
//    3, 5, 6 and 7 bits: one prmt per pair takes a byte window of the register holding
//    each code (or of that register shifted by 4, or of a funnel shift where the code
//    straddles two registers), the lop3 masks each code at its own bit and an fma undoes
//    the two positions (3 instructions per pair); codes 16 bits apart in one register
//    (an order chosen for it, as the 1-, 2- and 4-bit weights have) need no prmt;
//  - small floats without NaN/inf: sign, exponent and mantissa placed into a half (both
//    codes of a pair at once: byte windows, or one shift for codes 16 bits apart, put
//    each sign at bit 15; then a shift, a mask and a lop3 place the magnitudes) and one
//    multiplication by 2^(15 - bias) (exact for normals and subnormals alike);
//  - f8E5M2 is the upper byte of an f16 (one prmt per pair).
// A cast whose only readers are tensor-core dots (Target::foldCastConstants) stops before
// the finishing subtraction, fma or multiplication: each integer half is 2^(10 - x) + u
// (its exponent chosen for the code's bit x), each small float the value times
// 2^(bias - 15), and the dot takes the constants out once per product (EmitDot.cpp):
// the integer pairs take 1 instruction instead of 2 (the odd widths' byte windows 2
// instead of 3), the small floats one fewer.
// Everything else goes element by element through exact f32 / integer arithmetic.
#include "cuda/KernelEmitter.h"

#include "vm/Numerics.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>
#include <tuple>

namespace tessel::cuda {

using vm::DType;
using vm::FloatFormat;
using vm::NanEncoding;

namespace {

// lop3 truth tables (inputs a = 0xF0, b = 0xCC, c = 0xAA).
constexpr int64_t kLutAndOr = 0xEA;        // (a & b) | c
constexpr int64_t kLutMaskFlipOr = 0x6A;   // b ? (a ^ c) : c

uint32_t halfBits(double v) { return vm::floatToHalf(float(v)); }
uint32_t bf16Bits(double v) { return vm::floatToBits(float(v)) >> 16; }
uint32_t pack2(uint32_t lo, uint32_t hi) { return (hi << 16) | (lo & 0xFFFF); }

bool isSmallFloat(DType t) {
  return t.isFloat() && t != DType::f32() && t != DType::f16() && t != DType::bf16();
}

} // namespace

absl::Status KernelEmitter::emitCast(const vm::Instruction &inst) {
  const vm::ValueType &st = typeOf(inst.operands[0]);
  const vm::ValueType &rt = typeOf(inst.results[0]);
  DType from = st.dtype, to = rt.dtype;
  unsigned fb = from.bits();
  // A slice that only casts read (KernelEmitter::castOnlySlice_) has no registers: the
  // cast reads the slice's source through its slot map, so codes that the slice would
  // have gathered (1- and 2-bit codes paired 16 bits apart in words wider than the
  // slice) are masked where they are.
  auto sliced = slicedFrom_.find(inst.operands[0]);
  std::vector<Reg> src = values_[sliced == slicedFrom_.end() ? inst.operands[0] : sliced->second.source].regs;
  int64_t slots = program_.layoutOf(rt).localSize();
  bool toHalf = to == DType::f16(), toBF16 = to == DType::bf16();
  bool magicPath = (toHalf || (toBF16 && fb <= 7)) && from.isInteger() && fb <= 8;
  bool smallFloatPath = isSmallFloat(from) && toHalf && !from.floatFormat().hasNan() &&
                        from.floatFormat().exponentBits <= 5 &&
                        fb == unsigned(from.floatFormat().exponentBits + from.floatFormat().mantissaBits + 1);

  // A result in another layout: result slot s is source slot order[s] of the same thread.
  // When every pair of result slots (2i, 2i + 1) reads two codes 16 bits apart in one
  // register, i.e. at bit x of both halves (a code order chosen for this, as the low-bit
  // GEMM's 1-, 2- and 4-bit weights are), the pair needs no gathering: one lop3 masks
  // both codes in place. Otherwise the codes are first gathered into the result's order.
  std::vector<int64_t> order;
  if (st.layout != rt.layout)
    if (absl::Status s = ownThreadSlotMap(inst, "cast", [](std::vector<int64_t> x) { return x; }, order); !s.ok())
      return s;
  if (sliced != slicedFrom_.end()) {
    const std::vector<int64_t> &through = sliced->second.slots;
    if (order.empty())
      order = through;
    else
      for (int64_t &o : order)
        o = through[size_t(o)];
  }
  bool identity = true;
  for (size_t s = 0; s < order.size(); ++s)
    identity = identity && order[s] == int64_t(s);
  if (identity)
    order.clear();
  if (identity && sliced != slicedFrom_.end()) // a prefix of the source's words
    src.resize(size_t(std::min<int64_t>(int64_t(src.size()), (slots * int64_t(fb) + 31) / 32)));
  std::vector<std::pair<int64_t, int>> pairs; // (register, bit x) of each result pair
  if (!order.empty() && (magicPath || smallFloatPath) && slots % 2 == 0) {
    for (int64_t s = 0; s < slots; s += 2) {
      int64_t b0 = order[size_t(s)] * fb, b1 = order[size_t(s + 1)] * fb;
      if (b1 != b0 + 16 || b0 % 32 + fb > 16) { // both codes inside their halves
        pairs.clear();
        break;
      }
      pairs.emplace_back(b0 / 32, int(b0 % 32));
    }
  }
  // Integer codes of 3, 5, 6 and 7 bits and small floats to f16/bf16 read each code where
  // it is (byte windows, below), in any order; other casts take the codes gathered into
  // the result's.
  bool byteWindows = pairs.empty() && ((magicPath && (fb == 3 || fb == 5 || fb == 6 || fb == 7)) ||
                                       (smallFloatPath && fb <= 7));
  // 1 and 2-bit codes (to f16) and 8-bit codes take each pair from one byte (one word)
  // wherever it is, when both codes of every pair share it (the low-bit GEMM's weights
  // cast to A fragments do: the same pairs as B's, in another register order).
  bool pairsInPlace = false;
  if (!order.empty() && pairs.empty() && magicPath && (fb == 8 || ((fb == 1 || fb == 2) && toHalf))) {
    int64_t unit = fb == 8 ? 32 : 8;
    pairsInPlace = true;
    for (int64_t s = 0; s + 1 < slots && pairsInPlace; s += 2)
      pairsInPlace = order[size_t(s)] * fb / unit == order[size_t(s + 1)] * fb / unit;
  }
  if (!order.empty() && pairs.empty() && !byteWindows && !pairsInPlace)
    src = gatherSlots(src, fb, order);
  auto posOf = [&](int64_t slot) {
    return (order.empty() || !(pairs.empty() && (byteWindows || pairsInPlace)) ? slot : order[size_t(slot)]) *
           int64_t(fb);
  };

  EValue &out = values_[inst.results[0]];
  out.kind = EValue::Kind::kTile;
  out.regs.clear();
  out.forgetContents();
  // Read only by dots as an operand: the magic-number and small-float paths leave their
  // constant (or power-of-two scale) in the registers for the dot to take out
  // (EValue::bias).
  bool fold = target_.foldCastConstants && dotOperandOnly_[inst.results[0]];
  if (from == to) {
    out.regs = src;
    return absl::OkStatus();
  }

  // ---- f32 -> f16 / bf16: cvt.rn.{f16,bf16}x2.f32, two at a time ----
  if (from == DType::f32() && (toHalf || toBF16)) {
    for (int64_t s = 0; s < slots; s += 2) {
      Reg hi = s + 1 < slots ? src[size_t(s + 1)] : src[size_t(s)];
      Reg d = newReg(RegKind::kB32);
      Inst &c = emit(Op::kCvt, toHalf ? Type::kF16x2 : Type::kBF16x2, {Operand::r(d)},
                     {Operand::r(hi), Operand::r(src[size_t(s)])});
      c.type2 = Type::kF32;
      c.rounding = ptx::Rounding::kRn;
      out.regs.push_back(d);
    }
    return absl::OkStatus();
  }
  // ---- f16 / bf16 -> f32: exact ----
  if ((from == DType::f16() || from == DType::bf16()) && to == DType::f32()) {
    for (int64_t s = 0; s < slots; ++s) {
      Reg w = src[size_t(s / 2)];
      Reg d = newReg(RegKind::kB32);
      if (from == DType::bf16()) {
        if (s % 2 == 0)
          emit(Op::kShl, Type::kB32, {Operand::r(d)}, {Operand::r(w), Operand::i(16)});
        else
          emit(Op::kAnd, Type::kB32, {Operand::r(d)}, {Operand::r(w), Operand::i(0xFFFF0000ll)});
      } else {
        Reg h = newReg(RegKind::kB16), t = newReg(RegKind::kB32);
        if (s % 2 == 0)
          emit(Op::kMov, Type::kB32, {Operand::r(t)}, {Operand::r(w)});
        else
          emit(Op::kShr, Type::kB32, {Operand::r(t)}, {Operand::r(w), Operand::i(16)});
        emit(Op::kCvt, Type::kU16, {Operand::r(h)}, {Operand::r(t)}).type2 = Type::kU32;
        emit(Op::kCvt, Type::kF32, {Operand::r(d)}, {Operand::r(h)}).type2 = Type::kF16;
      }
      out.regs.push_back(d);
    }
    return absl::OkStatus();
  }

  // Codes s and s + 1 of the source at bits [0, fb) and [16, 16 + fb) of one register
  // (the bits above each code unspecified). 4 bits: h = w >> 4 brings each byte's high
  // code down to bits 0-3, so one prmt takes byte b of w and of h into the two halves;
  // other widths: each code shifted down to bit 0 (a funnel shift where it straddles two
  // registers) and one prmt puts the two low halves side by side.
  auto codeAt = [&](int64_t slot) { return bitsAt(src, slot * int64_t(fb), fb); };
  Reg high4;
  int64_t high4Word = -1;
  auto pairAtBitZero = [&](int64_t s) {
    Reg t = newReg(RegKind::kB32);
    if (fb == 4) {
      int64_t byte = s / 2, b = byte % 4, word = byte / 4;
      if (word != high4Word) {
        high4 = newReg(RegKind::kB32);
        emit(Op::kShr, Type::kB32, {Operand::r(high4)}, {Operand::r(src[size_t(word)]), Operand::i(4)});
        high4Word = word;
      }
      emit(Op::kPrmt, Type::kB32, {Operand::r(t)},
           {Operand::r(src[size_t(word)]), Operand::r(high4),
            Operand::i(b | (b << 4) | ((4 + b) << 8) | ((4 + b) << 12))});
      return t;
    }
    Reg lo = codeAt(s), hi = s + 1 < slots ? codeAt(s + 1) : lo;
    emit(Op::kPrmt, Type::kB32, {Operand::r(t)}, {Operand::r(lo), Operand::r(hi), Operand::i(0x5410)});
    return t;
  };

  // ---- byte windows: each half of a pair's register taken from a register that holds
  // the code (its source word, or that word shifted right, or a funnel shift of it and
  // the next word), at a byte, so one prmt (none when the two halves already sit side by
  // side) brings a pair's codes together wherever they are. Views are made once.
  const int64_t numWords = int64_t(src.size());
  std::map<std::pair<int64_t, int>, Reg> views; // (word, shift) -> src[word..] >> shift
  // Bits [32 word + shift, ...) at bit 0: a shift right, or a funnel shift with the next
  // word when `through` (bits past the word are needed); a negative shift is a shift left
  // of the word, with zeros for the bits below it (used where those are masked off, or
  // below the source's first bit).
  auto view = [&](int64_t word, int shift, bool through) {
    if (shift == 0)
      return src[size_t(word)];
    auto key = std::make_pair(word, through ? shift + 32 : shift);
    auto it = views.find(key);
    if (it != views.end())
      return it->second;
    Reg r = newReg(RegKind::kB32);
    if (shift < 0)
      emit(Op::kShl, Type::kB32, {Operand::r(r)}, {Operand::r(src[size_t(word)]), Operand::i(-shift)});
    else if (through)
      emit(Op::kShf, Type::kB32, {Operand::r(r)},
           {Operand::r(src[size_t(word)]), Operand::r(src[size_t(word + 1)]), Operand::i(shift)});
    else
      emit(Op::kShr, Type::kB32, {Operand::r(r)}, {Operand::r(src[size_t(word)]), Operand::i(shift)});
    return views[key] = r;
  };
  struct Window {
    Reg reg;
    int64_t byte; // first byte of the window in reg
    int x;        // the code's bit in the window
    bool oneByte; // the code lies in that byte alone
  };
  // The window of the register holding source bits [base, base + 32) that starts at byte
  // `byte` (default: the code's first byte) and holds the code at `pos` at bit x; false
  // when the bits are not in the source or the window not inside the register.
  auto windowAt = [&](int64_t pos, int64_t base, Window &w, int64_t byte = -1) {
    if (base <= -32 || pos < base || pos + fb > base + 32)
      return false;
    int64_t word = base < 0 ? 0 : base / 32, shift = base - 32 * word;
    bool through = pos + fb > 32 * word + 32;
    if (word >= numWords || (through && (shift <= 0 || word + 1 >= numWords)))
      return false;
    int64_t rel = pos - base;
    w.byte = byte < 0 ? rel / 8 : byte;
    int64_t x = rel - 8 * w.byte;
    if (x < 0 || x + fb > 16)
      return false;
    w.x = int(x);
    w.oneByte = x + fb <= 8;
    if (!w.oneByte && w.byte > 2)
      return false;
    w.reg = view(word, int(shift), through);
    return true;
  };
  // Whether the register for bits [base, ...) that the code at `pos` needs exists already.
  auto viewExists = [&](int64_t base, int64_t pos) {
    int64_t word = base < 0 ? 0 : base / 32, shift = base - 32 * word;
    bool through = pos + fb > 32 * word + 32;
    return shift == 0 || views.count({word, int(through ? shift + 32 : shift)}) > 0;
  };
  // Integer codes: a window where the code ends inside the mantissa (x + bits <= limit),
  // from the code's own word, or that word shifted by 4, or a funnel shift by 16 or 20
  // (codes that straddle words); registers already made first. Else the code shifted to
  // bit 0.
  auto intWindow = [&](int64_t pos, int limit) -> Window {
    int64_t word = pos / 32;
    const std::pair<int64_t, int> candidates[] = {
        {word, 0}, {word, 4}, {word - 1, 16}, {word - 1, 20}, {word, 16}, {word, 20}};
    for (int pass = 0; pass < 2; ++pass)
      for (auto [w, shift] : candidates) {
        int64_t base = 32 * w + shift;
        if (w < 0 || pos < base || (pass == 0 && !viewExists(base, pos)) ||
            (pos - base) % 8 + int64_t(fb) > limit)
          continue;
        Window win;
        if (windowAt(pos, base, win))
          return win;
      }
    return {bitsAt(src, pos, fb), 0, 0, true};
  };
  // Small floats: a window that puts the code at bit 16 - bits of its half, its sign at
  // bit 15 (from the register shifted by the amount that aligns it; registers already made
  // first), or none.
  auto floatWindow = [&](int64_t pos) -> std::optional<Window> {
    int64_t xt = 16 - int64_t(fb);
    for (int pass = 0; pass < 2; ++pass)
      for (int64_t b = 2; b >= 0; --b) {
        int64_t base = pos - xt - 8 * b;
        if (base <= -32 || (pass == 0 && !viewExists(base, pos)))
          continue;
        Window win;
        if (windowAt(pos, base, win, b))
          return win;
      }
    return std::nullopt;
  };
  // Both halves in one register: the windows' bytes side by side (a prmt, once per
  // distinct pair of registers and selector), or the register itself when they already are.
  std::map<std::tuple<unsigned, unsigned, int64_t>, Reg> joined;
  auto join = [&](const Window &lo, const Window &hi) {
    if (lo.reg == hi.reg && lo.byte == 0 && hi.byte == 2)
      return lo.reg;
    int64_t h = lo.reg == hi.reg ? 0 : 4; // selector nibbles: bytes 0-3 of lo.reg, 4-7 of hi.reg
    int64_t sel = lo.byte | (lo.oneByte ? lo.byte : lo.byte + 1) << 4 | (h + hi.byte) << 8 |
                  (h + (hi.oneByte ? hi.byte : hi.byte + 1)) << 12;
    auto key = std::make_tuple(lo.reg.id, hi.reg.id, sel);
    auto it = joined.find(key);
    if (it == joined.end()) {
      Reg j = newReg(RegKind::kB32);
      emit(Op::kPrmt, Type::kB32, {Operand::r(j)}, {Operand::r(lo.reg), Operand::r(hi.reg), Operand::i(sel)});
      it = joined.emplace(key, j).first;
    }
    return it->second;
  };

  // ---- integer codes of up to 8 bits -> f16 / bf16: magic-number pairs ----
  if (magicPath) {
    bool isSigned = !from.isUnsignedInteger();
    uint32_t magicHalf = toHalf ? 0x6400u : 0x4300u; // 1024.0 / 128.0
    double magicValue = toHalf ? 1024.0 : 128.0;
    // The finishing constants depend on the codes' bit positions. Codes at many positions
    // (byte windows, 1 and 2 bits) need many of them, which ptxas would rematerialize in
    // loops as immediate moves (IMAD.MOV) each iteration: they come from the constant
    // table instead (si3 537 -> 488 SASS instructions per K step). Pairs 16 bits apart
    // need a few (up to 2 per distinct bit x), kept as immediates (a table costs them
    // registers).
    auto constPair = [&](double lo, double hi) {
      uint32_t v = toHalf ? pack2(halfBits(lo), halfBits(hi)) : pack2(bf16Bits(lo), bf16Bits(hi));
      return pairs.empty() ? constant32(v) : imm32(v);
    };
    Type pt = toHalf ? Type::kF16x2 : Type::kBF16x2;
    // t's halves hold magic + u * 2^x (u the offset-binary code); result = t * 2^-x -
    // (magic + bias) * 2^-x, exactly.
    auto finish = [&](Reg t, int xlo, int xhi) {
      double biasSigned = isSigned ? std::ldexp(1.0, int(fb) - 1) : 0.0;
      Reg d = newReg(RegKind::kB32);
      if (xlo == 0 && xhi == 0 && (toHalf || target_.major >= 9)) {
        emit(Op::kSub, pt, {Operand::r(d)}, {Operand::r(t), Operand::r(constPair(magicValue + biasSigned, magicValue + biasSigned))})
            .rounding = ptx::Rounding::kRn;
      } else {
        Reg scale = constPair(std::ldexp(1.0, -xlo), std::ldexp(1.0, -xhi));
        Reg shift = constPair(-(magicValue * std::ldexp(1.0, -xlo) + biasSigned),
                              -(magicValue * std::ldexp(1.0, -xhi) + biasSigned));
        emit(Op::kFma, pt, {Operand::r(d)}, {Operand::r(t), Operand::r(scale), Operand::r(shift)})
            .rounding = ptx::Rounding::kRn;
      }
      return d;
    };
    // Read only by tensor-core dots: each half's exponent makes its code's lowest bit
    // worth 1 (2^(10 - x) + u for f16, 2^(7 - x) + u for bf16: 1024 + u at bit 0), and the
    // pair is left so; the dot subtracts the sum of the constants times the other
    // operand, once per product (EValue::bias).
    auto magicAt = [&](int x) {
      return fold ? (toHalf ? uint32_t(25 - x) << 10 : uint32_t(134 - x) << 7) : magicHalf;
    };
    // The lop3 that masks both codes of a pair (at xlo in the low half and xhi in the high
    // half), flips their sign bits when signed, and ORs in the magic exponent.
    auto place = [&](Reg t, int xlo, int xhi) {
      uint32_t code = (1u << fb) - 1;
      uint32_t mask = (code << xlo) | (code << (16 + xhi));
      uint32_t magic = (magicAt(xhi) << 16) | magicAt(xlo);
      Reg d = newReg(RegKind::kB32);
      if (isSigned) {
        uint32_t sign = (1u << (fb - 1 + xlo)) | (1u << (16 + fb - 1 + xhi));
        emit(Op::kLop3, Type::kB32, {Operand::r(d)},
             {Operand::r(t), Operand::i(mask), Operand::i(magic | sign), Operand::i(kLutMaskFlipOr)});
      } else {
        emit(Op::kLop3, Type::kB32, {Operand::r(d)},
             {Operand::r(t), Operand::i(mask), Operand::i(magic), Operand::i(kLutAndOr)});
      }
      return d;
    };
    // The pair's result: finished, or (fold) as placed, its constants noted per slot.
    auto done = [&](Reg t, int xlo, int xhi) {
      if (!fold)
        return finish(t, xlo, xhi);
      double biasSigned = isSigned ? std::ldexp(1.0, int(fb) - 1) : 0.0;
      for (int x : {xlo, xhi}) {
        if (int64_t(out.bias.size()) == slots)
          break;
        double c = std::ldexp(1.0, (toHalf ? 10 : 7) - x) + biasSigned;
        out.bias.push_back(toHalf ? halfBits(c) : bf16Bits(c));
      }
      return t;
    };
    if (!pairs.empty()) {
      // Codes 16 bits apart: the lop3 masks both in the word shifted right by a multiple of
      // 8 bits (of 4 for 1-bit codes), one shift per word and amount, shared by the pairs
      // it serves, so that the codes end inside the mantissa (bit x + bits <= 10 for f16,
      // 7 for bf16); where they would not, the word shifted by x. Few distinct bits x per
      // word keep the folded casts' constants alike from one k16 tile to the next: each
      // distinct tile of constants costs the dot's correction chain registers, which
      // ptxas refills with moves in the loop (1-bit codes with shifts by 8: 4 distinct
      // tiles, 940 SASS instructions per 512 of K on sm_90; by 4: 2 tiles, 907). The
      // spill variant Target::narrowCastViews halves the step for 1- and 2-bit codes
      // (2-bit decode on sm_80 spills with 2 tiles of constants, not with 1; 4-bit codes
      // have 1 either way).
      int limit = toHalf ? 10 : 7;
      int period = (fb == 1 ? 4 : 8) / (target_.narrowCastViews && fb <= 2 ? 2 : 1);
      for (auto [word, x] : pairs) {
        int sh = x - x % period;
        if (x - sh + int(fb) > limit) // (then x + bits > limit too)
          sh = x;
        Reg w = view(word, sh, /*through=*/false);
        out.regs.push_back(done(place(w, x - sh, x - sh), x - sh, x - sh));
      }
      return absl::OkStatus();
    }
    if (fb == 8) {
      // Each code's byte next to the magic byte (0x64 / 0x43): one prmt per pair
      // (selectors 0x4140 and 0x4342 in natural order). Signed codes become offset binary
      // first: one xor flips the sign bits of a word's four codes.
      Reg magicBytes = constant32(toHalf ? 0x64646464u : 0x43434343u);
      std::map<int64_t, Reg> words;
      for (int64_t s = 0; s < slots; s += 2) {
        int64_t p0 = posOf(s), p1 = s + 1 < slots ? posOf(s + 1) : p0;
        auto [it, fresh] = words.emplace(p0 / 32, src[size_t(p0 / 32)]);
        if (fresh && isSigned) {
          Reg flipped = newReg(RegKind::kB32);
          emit(Op::kXor, Type::kB32, {Operand::r(flipped)}, {Operand::r(it->second), Operand::i(0x80808080ll)});
          it->second = flipped;
        }
        Reg t = newReg(RegKind::kB32);
        emit(Op::kPrmt, Type::kB32, {Operand::r(t)},
             {Operand::r(it->second), Operand::r(magicBytes),
              Operand::i((p0 % 32) / 8 | 0x40 | ((p1 % 32) / 8) << 8 | 0x4000)});
        out.regs.push_back(done(t, 0, 0));
      }
      return absl::OkStatus();
    }
    // (Codes sit up to bit 7 of a half here: inside f16's 10 mantissa bits, but past
    // bf16's 7, so bf16 takes the general way below.)
    if ((fb == 1 || fb == 2) && toHalf) {
      // A byte holds 8/fb codes; copy it into both halves once, then each lop3 takes one
      // pair of its codes (in natural order codes 2m and 2m+1, at bits 2m*fb and
      // (2m+1)*fb), at their own bits.
      std::map<int64_t, Reg> spreads; // byte -> that byte in both halves
      for (int64_t s = 0; s < slots; s += 2) {
        int64_t p0 = posOf(s), p1 = s + 1 < slots ? posOf(s + 1) : p0 + fb;
        int64_t byte = p0 / 8;
        auto [it, fresh] = spreads.emplace(byte, Reg());
        if (fresh) {
          it->second = newReg(RegKind::kB32);
          int64_t b = byte % 4;
          emit(Op::kPrmt, Type::kB32, {Operand::r(it->second)},
               {Operand::r(src[size_t(byte / 4)]), Operand::i(0), Operand::i(0x4040 | b | (b << 8))});
        }
        int xlo = int(p0 % 8), xhi = int(p1 % 8);
        out.regs.push_back(done(place(it->second, xlo, xhi), xlo, xhi));
      }
      return absl::OkStatus();
    }
    if (byteWindows) {
      // 3, 5, 6, 7 bits: each half of a pair's register is a 16-bit window, starting at a
      // byte, of a register that holds the code: its source word, that word shifted right
      // by 4, or a funnel shift of it and the next word by 16 or 20 (for codes that
      // straddle two words), each made once. The code sits at bit x of its window, with
      // x + bits inside the mantissa (10 for f16, 7 for bf16). One prmt puts the two
      // windows side by side (none when they already are), the lop3 masks both codes in
      // place and one fma undoes their positions: 3 instructions per pair where
      // shifting each code down to bit 0 took 5.
      int limit = toHalf ? 10 : 7;
      for (int64_t s = 0; s < slots; s += 2) {
        Window lo = intWindow(posOf(s), limit);
        Window hi = s + 1 < slots ? intWindow(posOf(s + 1), limit) : lo;
        Reg t = join(lo, hi);
        out.regs.push_back(done(place(t, lo.x, hi.x), lo.x, hi.x));
      }
      return absl::OkStatus();
    }
    // 4 bits (and 1 or 2 bits to bf16): the pair at bit 0 of each half, the lop3 keeps the
    // codes and the subtraction finishes them.
    for (int64_t s = 0; s < slots; s += 2)
      out.regs.push_back(done(place(pairAtBitZero(s), 0, 0), 0, 0));
    return absl::OkStatus();
  }

  // ---- f8E5M2 -> f16: the code is the upper byte of the f16 (inf and NaN included) ----
  if (from.floatName() == vm::FloatName::kF8E5M2 && toHalf) {
    for (int64_t s = 0; s < slots; s += 2) {
      Reg w = src[size_t(s / 4)];
      Reg d = newReg(RegKind::kB32);
      int64_t b = s % 4;
      // bytes: [0, code_s, 0, code_s+1]
      emit(Op::kPrmt, Type::kB32, {Operand::r(d)},
           {Operand::r(w), Operand::i(0), Operand::i(0x0404 | (b << 4) | ((b + 1) << 12))});
      out.regs.push_back(d);
    }
    return absl::OkStatus();
  }

  // ---- NaN-free small floats (E <= 5) -> f16: place bits, multiply by 2^(15 - bias) ----
  if (isSmallFloat(from) && toHalf && !from.floatFormat().hasNan() && from.floatFormat().exponentBits <= 5) {
    const FloatFormat &f = from.floatFormat();
    unsigned magBits = f.exponentBits + f.mantissaBits;
    // The placed bits are the value times 2^(bias - 15), exactly (subnormal halves
    // included): one multiplication per pair, or (fold) none, the dot scaling its sums.
    Reg scale;
    if (fold)
      out.scaleExp = 15 - f.bias;
    else
      scale = imm32(pack2(halfBits(std::ldexp(1.0, 15 - f.bias)), halfBits(std::ldexp(1.0, 15 - f.bias))));
    auto scaled = [&](Reg t) {
      if (fold)
        return t;
      Reg d = newReg(RegKind::kB32);
      emit(Op::kMul, Type::kF16x2, {Operand::r(d)}, {Operand::r(t), Operand::r(scale)}).rounding = ptx::Rounding::kRn;
      return d;
    };
    if (smallFloatPath) {
      // Both codes at once: the pair at bit 0 of each half, shifted so each code's sign is
      // bit 15 of its half; the magnitude moves down to bits (10 - M)..(9 + E), the lop3
      // keeps it and the two signs, and one multiplication scales the pair.
      uint32_t magMask = ((1u << magBits) - 1) << (10 - f.mantissaBits);
      for (int64_t s = 0; s < slots; s += 2) {
        Reg top, mag = newReg(RegKind::kB32), t = newReg(RegKind::kB32);
        if (pairs.empty()) {
          // Windows that put each code's sign at bit 15 of its half: no shift at all.
          std::optional<Window> lo = floatWindow(posOf(s));
          std::optional<Window> hi = s + 1 < slots ? floatWindow(posOf(s + 1)) : lo;
          if (!lo || !hi)
            return error(inst, "no byte window for a small-float code (internal)");
          top = join(*lo, *hi);
        } else {
          // Codes 16 bits apart at bit x: the word shifted so both signs are at bit 15 of
          // their halves (what lands below each code is masked off).
          auto [word, x] = pairs[size_t(s / 2)];
          top = view(word, x - (16 - int(fb)), /*through=*/false);
        }
        emit(Op::kShr, Type::kB32, {Operand::r(mag)}, {Operand::r(top), Operand::i(5 - f.exponentBits)});
        // t = (top & 0x80008000) | (mag & magMask, both halves)
        emit(Op::kAnd, Type::kB32, {Operand::r(mag)}, {Operand::r(mag), Operand::i(magMask | (magMask << 16))});
        emit(Op::kLop3, Type::kB32, {Operand::r(t)},
             {Operand::r(top), Operand::i(0x80008000u), Operand::r(mag), Operand::i(kLutAndOr)});
        out.regs.push_back(scaled(t));
      }
      return absl::OkStatus();
    }
    for (int64_t s = 0; s < slots; s += 2) {
      Reg t = newReg(RegKind::kB32);
      emit(Op::kMov, Type::kB32, {Operand::r(t)}, {Operand::i(0)});
      for (int h = 0; h < 2 && s + h < slots; ++h) {
        Reg c = extract(src, s + h, fb);
        // half = sign << 15 | magnitude << (10 - M)
        Reg mag = newReg(RegKind::kB32), sign = newReg(RegKind::kB32), half = newReg(RegKind::kB32);
        emit(Op::kAnd, Type::kB32, {Operand::r(mag)}, {Operand::r(c), Operand::i((1 << magBits) - 1)});
        emit(Op::kShl, Type::kB32, {Operand::r(mag)}, {Operand::r(mag), Operand::i(10 - f.mantissaBits)});
        emit(Op::kShr, Type::kB32, {Operand::r(sign)}, {Operand::r(c), Operand::i(magBits)});
        emit(Op::kShl, Type::kB32, {Operand::r(sign)}, {Operand::r(sign), Operand::i(15)});
        emit(Op::kOr, Type::kB32, {Operand::r(half)}, {Operand::r(mag), Operand::r(sign)});
        emit(Op::kBfi, Type::kB32, {Operand::r(t)}, {Operand::r(half), Operand::r(t), Operand::i(16 * h), Operand::i(16)});
      }
      out.regs.push_back(scaled(t));
    }
    return absl::OkStatus();
  }

  return emitGenericCast(inst, src);
}

// Element by element: decode to an exact f32 (floats) or a 32-bit integer, then encode.
absl::Status KernelEmitter::emitGenericCast(const vm::Instruction &inst, const std::vector<Reg> &src) {
  const vm::ValueType &st = typeOf(inst.operands[0]);
  const vm::ValueType &rt = typeOf(inst.results[0]);
  DType from = st.dtype, to = rt.dtype;
  unsigned fb = from.bits(), tb = to.bits();
  int64_t slots = program_.layoutOf(rt).localSize();
  EValue &out = values_[inst.results[0]];
  out.regs = newTile(rt);

  auto pred = [&](Type t, ptx::Cmp cmp, Operand a, Operand b) {
    Reg p = newReg(RegKind::kPred);
    emit(Op::kSetp, t, {Operand::r(p)}, {a, b}).cmp = cmp;
    return p;
  };
  auto movIf = [&](Reg dst, Operand value, Reg p, bool negated = false) {
    Inst &m = emit(Op::kMov, Type::kB32, {Operand::r(dst)}, {value});
    m.guarded = true;
    m.guard = p;
    m.guardNegated = negated;
  };

  for (int64_t s = 0; s < slots; ++s) {
    Reg code = extract(src, s, fb);
    Reg result = newReg(RegKind::kB32);
    if (from.isInteger() && to.isInteger()) {
      // Saturate to the destination's range.
      bool fromSigned = !from.isUnsignedInteger();
      Reg v = fromSigned ? signExtend(code, fb) : code;
      int64_t lo = to.intMin(), hi = to.intMax();
      Type t = fromSigned ? Type::kS32 : Type::kU32;
      if (fromSigned) {
        emit(Op::kMax, Type::kS32, {Operand::r(result)}, {Operand::r(v), Operand::i(std::max<int64_t>(lo, INT32_MIN))});
        emit(Op::kMin, Type::kS32, {Operand::r(result)}, {Operand::r(result), Operand::i(std::min<int64_t>(hi, INT32_MAX))});
      } else {
        emit(Op::kMin, Type::kU32, {Operand::r(result)}, {Operand::r(v), Operand::i(std::min<int64_t>(hi, UINT32_MAX))});
      }
      (void)t;
      insert(out.regs, s, tb, result);
      continue;
    }
    // Decode to f32 (exact: every type here fits).
    Reg f = newReg(RegKind::kB32);
    if (from.isInteger()) {
      bool fromSigned = !from.isUnsignedInteger();
      Reg v = fromSigned ? signExtend(code, fb) : code;
      Inst &c = emit(Op::kCvt, Type::kF32, {Operand::r(f)}, {Operand::r(v)});
      c.type2 = fromSigned ? Type::kS32 : Type::kU32;
      c.rounding = ptx::Rounding::kRn;
    } else if (from == DType::f32()) {
      f = code;
    } else if (from == DType::f16()) {
      Reg h = newReg(RegKind::kB16);
      emit(Op::kCvt, Type::kU16, {Operand::r(h)}, {Operand::r(code)}).type2 = Type::kU32;
      emit(Op::kCvt, Type::kF32, {Operand::r(f)}, {Operand::r(h)}).type2 = Type::kF16;
    } else if (from == DType::bf16()) {
      emit(Op::kShl, Type::kB32, {Operand::r(f)}, {Operand::r(code), Operand::i(16)});
    } else {
      // Small float: magnitude bits into f32 position, times 2^(127 - bias).
      const FloatFormat &ff = from.floatFormat();
      unsigned mb = ff.exponentBits + ff.mantissaBits;
      Reg mag = newReg(RegKind::kB32), sign = newReg(RegKind::kB32);
      emit(Op::kAnd, Type::kB32, {Operand::r(mag)}, {Operand::r(code), Operand::i((1ll << mb) - 1)});
      emit(Op::kShl, Type::kB32, {Operand::r(f)}, {Operand::r(mag), Operand::i(23 - ff.mantissaBits)});
      emit(Op::kMul, Type::kF32, {Operand::r(f)}, {Operand::r(f), Operand::i(vm::floatToBits(float(std::ldexp(1.0, 127 - ff.bias))))})
          .rounding = ptx::Rounding::kRn;
      emit(Op::kShr, Type::kB32, {Operand::r(sign)}, {Operand::r(code), Operand::i(mb)});
      emit(Op::kShl, Type::kB32, {Operand::r(sign)}, {Operand::r(sign), Operand::i(31)});
      emit(Op::kOr, Type::kB32, {Operand::r(f)}, {Operand::r(f), Operand::r(sign)});
      uint32_t expMask = ((1u << ff.exponentBits) - 1) << ff.mantissaBits;
      uint32_t mantMask = (1u << ff.mantissaBits) - 1;
      if (ff.nan == NanEncoding::kIeee) { // all-ones exponent: inf (mantissa 0) or NaN
        Reg e = newReg(RegKind::kB32);
        emit(Op::kAnd, Type::kB32, {Operand::r(e)}, {Operand::r(mag), Operand::i(expMask)});
        Reg special = pred(Type::kU32, ptx::Cmp::kEq, Operand::r(e), Operand::i(expMask));
        Reg inf = newReg(RegKind::kB32);
        emit(Op::kOr, Type::kB32, {Operand::r(inf)}, {Operand::r(sign), Operand::i(0x7F800000)});
        Reg isInf = pred(Type::kU32, ptx::Cmp::kEq, Operand::r(mag), Operand::i(expMask));
        Reg nanHere = newReg(RegKind::kPred);
        emit(Op::kAnd, Type::kPred, {Operand::r(nanHere)}, {Operand::r(special), Operand::r(isInf)});
        movIf(f, Operand::r(inf), nanHere);
        Reg notInf = newReg(RegKind::kPred);
        emit(Op::kNot, Type::kPred, {Operand::r(notInf)}, {Operand::r(isInf)});
        emit(Op::kAnd, Type::kPred, {Operand::r(nanHere)}, {Operand::r(special), Operand::r(notInf)});
        movIf(f, Operand::i(0x7FFFFFFF), nanHere);
      } else if (ff.nan == NanEncoding::kAllOnes) {
        movIf(f, Operand::i(0x7FFFFFFF), pred(Type::kU32, ptx::Cmp::kEq, Operand::r(mag), Operand::i(expMask | mantMask)));
      } else if (ff.nan == NanEncoding::kNegativeZero) {
        movIf(f, Operand::i(0x7FFFFFFF), pred(Type::kU32, ptx::Cmp::kEq, Operand::r(code), Operand::i(1ll << mb)));
      }
    }
    // Encode f32 -> destination.
    if (to.isInteger()) {
      bool toSigned = !to.isUnsignedInteger();
      Inst &c = emit(Op::kCvt, toSigned ? Type::kS32 : Type::kU32, {Operand::r(result)}, {Operand::r(f)});
      c.type2 = Type::kF32;
      c.rounding = ptx::Rounding::kRni; // saturates; NaN -> 0
      if (tb < 32) {
        if (toSigned) {
          emit(Op::kMax, Type::kS32, {Operand::r(result)}, {Operand::r(result), Operand::i(to.intMin())});
          emit(Op::kMin, Type::kS32, {Operand::r(result)}, {Operand::r(result), Operand::i(to.intMax())});
        } else {
          emit(Op::kMin, Type::kU32, {Operand::r(result)}, {Operand::r(result), Operand::i(to.intMax())});
        }
      }
    } else if (to == DType::f32()) {
      result = f;
    } else if (to == DType::f16() || to == DType::bf16()) {
      Reg h = newReg(RegKind::kB16);
      Inst &c = emit(Op::kCvt, to == DType::f16() ? Type::kF16 : Type::kBF16, {Operand::r(h)}, {Operand::r(f)});
      c.type2 = Type::kF32;
      c.rounding = ptx::Rounding::kRn;
      emit(Op::kCvt, Type::kU32, {Operand::r(result)}, {Operand::r(h)}).type2 = Type::kU16;
    } else {
      result = encodeSmallFloat(f, to);
    }
    insert(out.regs, s, tb, result);
  }
  return absl::OkStatus();
}

// f32 -> small float, round to nearest even, with IEEE overflow (inf where the format has
// it, NaN where it has NaN only, the largest finite value otherwise), as the codec's
// Overflow::kIeee.
Reg KernelEmitter::encodeSmallFloat(Reg f, DType to) {
  const FloatFormat &ff = to.floatFormat();
  int M = ff.mantissaBits;
  unsigned mb = ff.exponentBits + M;
  auto r32 = [&]() { return newReg(RegKind::kB32); };
  auto setp = [&](Type t, ptx::Cmp c, Operand a, Operand b) {
    Reg p = newReg(RegKind::kPred);
    emit(Op::kSetp, t, {Operand::r(p)}, {a, b}).cmp = c;
    return p;
  };
  Reg sign = r32(), a = r32();
  emit(Op::kShr, Type::kB32, {Operand::r(sign)}, {Operand::r(f), Operand::i(31)});
  emit(Op::kAnd, Type::kB32, {Operand::r(a)}, {Operand::r(f), Operand::i(0x7FFFFFFF)});
  // e: the target's biased exponent (may be <= 0); m24: significand with the implicit 1.
  Reg e = r32(), m24 = r32();
  emit(Op::kShr, Type::kU32, {Operand::r(e)}, {Operand::r(a), Operand::i(23)});
  Reg f32Exp = r32();
  emit(Op::kMov, Type::kB32, {Operand::r(f32Exp)}, {Operand::r(e)});
  emit(Op::kAdd, Type::kS32, {Operand::r(e)}, {Operand::r(e), Operand::i(ff.bias - 127)});
  emit(Op::kAnd, Type::kB32, {Operand::r(m24)}, {Operand::r(a), Operand::i(0x7FFFFF)});
  emit(Op::kOr, Type::kB32, {Operand::r(m24)}, {Operand::r(m24), Operand::i(0x800000)});
  // shift = 23 - M + max(0, 1 - e); eBase = max(e, 1) - 1
  Reg under = r32(), shift = r32(), eBase = r32();
  emit(Op::kSub, Type::kS32, {Operand::r(under)}, {Operand::i(1), Operand::r(e)});
  emit(Op::kMax, Type::kS32, {Operand::r(under)}, {Operand::r(under), Operand::i(0)});
  emit(Op::kAdd, Type::kS32, {Operand::r(shift)}, {Operand::r(under), Operand::i(23 - M)});
  emit(Op::kMin, Type::kS32, {Operand::r(shift)}, {Operand::r(shift), Operand::i(31)});
  emit(Op::kMax, Type::kS32, {Operand::r(eBase)}, {Operand::r(e), Operand::i(1)});
  emit(Op::kSub, Type::kS32, {Operand::r(eBase)}, {Operand::r(eBase), Operand::i(1)});
  // q = round-half-even(m24 >> shift)
  Reg q = r32(), rem = r32(), half = r32(), mask = r32();
  emit(Op::kShr, Type::kU32, {Operand::r(q)}, {Operand::r(m24), Operand::r(shift)});
  emit(Op::kShl, Type::kB32, {Operand::r(mask)}, {Operand::r(imm32(1)), Operand::r(shift)});
  emit(Op::kSub, Type::kU32, {Operand::r(mask)}, {Operand::r(mask), Operand::i(1)});
  emit(Op::kAnd, Type::kB32, {Operand::r(rem)}, {Operand::r(m24), Operand::r(mask)});
  emit(Op::kShr, Type::kU32, {Operand::r(half)}, {Operand::r(mask), Operand::i(1)});
  emit(Op::kAdd, Type::kU32, {Operand::r(half)}, {Operand::r(half), Operand::i(1)}); // 1 << (shift-1)
  Reg odd = r32();
  emit(Op::kAnd, Type::kB32, {Operand::r(odd)}, {Operand::r(q), Operand::i(1)});
  Reg above = setp(Type::kU32, ptx::Cmp::kHi, Operand::r(rem), Operand::r(half));
  Reg tie = setp(Type::kU32, ptx::Cmp::kEq, Operand::r(rem), Operand::r(half));
  Reg oddTie = newReg(RegKind::kPred), up = newReg(RegKind::kPred);
  Reg isOdd = setp(Type::kU32, ptx::Cmp::kNe, Operand::r(odd), Operand::i(0));
  emit(Op::kAnd, Type::kPred, {Operand::r(oddTie)}, {Operand::r(tie), Operand::r(isOdd)});
  emit(Op::kOr, Type::kPred, {Operand::r(up)}, {Operand::r(above), Operand::r(oddTie)});
  Inst &inc = emit(Op::kAdd, Type::kU32, {Operand::r(q)}, {Operand::r(q), Operand::i(1)});
  inc.guarded = true;
  inc.guard = up;
  // magnitude code = (eBase << M) + q (a carry out of the mantissa bumps the exponent)
  Reg mag = r32();
  emit(Op::kShl, Type::kB32, {Operand::r(mag)}, {Operand::r(eBase), Operand::i(M)});
  emit(Op::kAdd, Type::kU32, {Operand::r(mag)}, {Operand::r(mag), Operand::r(q)});
  // Zero and f32 subnormals (far below every small format) encode to zero.
  Reg tiny = setp(Type::kU32, ptx::Cmp::kEq, Operand::r(f32Exp), Operand::i(0));
  Inst &z = emit(Op::kMov, Type::kB32, {Operand::r(mag)}, {Operand::i(0)});
  z.guarded = true;
  z.guard = tiny;
  // Overflow, inf and NaN.
  uint32_t maxExp = (1u << ff.exponentBits) - 1 - (ff.nan == NanEncoding::kIeee ? 1 : 0);
  uint32_t maxMant = (1u << M) - 1 - (ff.nan == NanEncoding::kAllOnes ? 1 : 0);
  uint32_t maxMag = (maxExp << M) | maxMant;
  uint32_t overflowMag = ff.nan == NanEncoding::kIeee ? ((maxExp + 1) << M)   // inf
                         : ff.hasNan() ? 0xFFFFFFFFu                           // NaN, below
                                       : maxMag;
  Reg over = setp(Type::kU32, ptx::Cmp::kHi, Operand::r(mag), Operand::i(maxMag));
  Reg big = setp(Type::kU32, ptx::Cmp::kHs, Operand::r(f32Exp), Operand::i(255)); // inf
  Reg overAny = newReg(RegKind::kPred);
  emit(Op::kOr, Type::kPred, {Operand::r(overAny)}, {Operand::r(over), Operand::r(big)});
  uint32_t nanCode = ff.nan == NanEncoding::kIeee ? (((1u << ff.exponentBits) - 1) << M) | (1u << (M - 1))
                     : ff.nan == NanEncoding::kAllOnes ? (1u << mb) - 1
                     : ff.nan == NanEncoding::kNegativeZero ? (1u << mb) : 0;
  Reg code = r32();
  if (overflowMag == 0xFFFFFFFFu) { // NaN-only formats overflow to NaN (sign-less code)
    Inst &o = emit(Op::kMov, Type::kB32, {Operand::r(mag)}, {Operand::i(nanCode)});
    o.guarded = true;
    o.guard = overAny;
  } else {
    Inst &o = emit(Op::kMov, Type::kB32, {Operand::r(mag)}, {Operand::i(overflowMag)});
    o.guarded = true;
    o.guard = overAny;
  }
  // code = sign << mb | mag (no -0 in FNUZ formats)
  emit(Op::kShl, Type::kB32, {Operand::r(code)}, {Operand::r(sign), Operand::i(mb)});
  emit(Op::kOr, Type::kB32, {Operand::r(code)}, {Operand::r(code), Operand::r(mag)});
  if (ff.nan == NanEncoding::kNegativeZero || (overflowMag == 0xFFFFFFFFu)) {
    Reg zeroMag = setp(Type::kU32, ptx::Cmp::kEq, Operand::r(mag), Operand::i(0));
    if (ff.nan == NanEncoding::kNegativeZero) {
      Inst &c = emit(Op::kMov, Type::kB32, {Operand::r(code)}, {Operand::i(0)});
      c.guarded = true;
      c.guard = zeroMag;
    }
    if (overflowMag == 0xFFFFFFFFu) {
      Inst &c = emit(Op::kMov, Type::kB32, {Operand::r(code)}, {Operand::i(nanCode)});
      c.guarded = true;
      c.guard = overAny;
    }
  }
  // NaN input: the canonical NaN, or 0 without one.
  Reg isNan = setp(Type::kU32, ptx::Cmp::kHi, Operand::r(a), Operand::i(0x7F800000));
  Inst &n = emit(Op::kMov, Type::kB32, {Operand::r(code)}, {Operand::i(nanCode)});
  n.guarded = true;
  n.guard = isNan;
  return code;
}

} // namespace tessel::cuda
