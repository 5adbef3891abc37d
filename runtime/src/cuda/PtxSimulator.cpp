#include "cuda/PtxSimulator.h"

#include "vm/Codec.h"
#include "vm/Fragments.h"
#include "vm/Numerics.h"

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

#include <cmath>
#include <cstring>
#include <unordered_map>

namespace tessel::cuda {

using ptx::Inst;
using ptx::Op;
using ptx::Operand;
using ptx::Reg;
using ptx::RegKind;
using ptx::Type;

namespace {

float f32(uint64_t bits) { return vm::bitsToFloat(uint32_t(bits)); }
uint64_t fromF32(float f) { return vm::floatToBits(f); }
double half(uint64_t bits) { return vm::halfToFloat(uint32_t(bits & 0xFFFF)); }
double bf16(uint64_t bits) { return vm::bf16ToFloat(uint32_t(bits & 0xFFFF)); }
uint64_t toHalf(double v) { return vm::encode(vm::DType::f16(), v, vm::Overflow::kIeee); }
uint64_t toBF16(double v) { return vm::encode(vm::DType::bf16(), v, vm::Overflow::kIeee); }

bool isSigned(Type t) { return t == Type::kS8 || t == Type::kS16 || t == Type::kS32 || t == Type::kS64; }
bool isFloat(Type t) {
  return t == Type::kF16 || t == Type::kF16x2 || t == Type::kBF16 || t == Type::kBF16x2 || t == Type::kF32;
}
uint64_t maskOf(unsigned bits) { return bits >= 64 ? ~0ull : ((1ull << bits) - 1); }
int64_t sext(uint64_t v, unsigned bits) {
  if (bits >= 64)
    return int64_t(v);
  uint64_t m = 1ull << (bits - 1);
  v &= maskOf(bits);
  return int64_t((v ^ m) - m);
}

class BlockSim {
public:
  BlockSim(const SimLaunch &l, const std::unordered_map<std::string, size_t> &labels,
           const std::unordered_map<std::string, size_t> &params, int64_t cx, int64_t cy, int64_t cz)
      : l_(l), k_(*l.kernel), labels_(labels), params_(params), threads_(k_.threads),
        smem_(size_t(l.sharedBytes), 0) {
    ctaid_[0] = cx, ctaid_[1] = cy, ctaid_[2] = cz;
    for (int i = 0; i < 4; ++i)
      regs_[i].assign(size_t(k_.numRegs[i]) * size_t(threads_), 0);
  }

  absl::Status run();

private:
  uint64_t &reg(const Reg &r, int t) { return regs_[int(r.kind)][size_t(r.id) * threads_ + size_t(t)]; }
  uint64_t get(const Operand &o, int t);
  void set(const Operand &o, int t, uint64_t v, unsigned bits);
  absl::Status fault(size_t pc, const std::string &what) const {
    return absl::InternalError(absl::StrCat("PTX simulator: ", k_.name, " instruction ", pc, " (",
                                            ptx::printInst(k_.body[pc]), "): ", what));
  }
  absl::StatusOr<uint8_t *> globalPtr(uint64_t addr, uint64_t bytes, bool write, size_t pc);
  absl::StatusOr<uint8_t *> sharedPtr(uint64_t addr, uint64_t bytes, size_t pc);
  absl::StatusOr<uint8_t *> memPtr(ptx::Space space, uint64_t addr, uint64_t bytes, bool write, size_t pc) {
    return space == ptx::Space::kShared ? sharedPtr(addr, bytes, pc) : globalPtr(addr, bytes, write, pc);
  }
  bool active(const Inst &in, int t) {
    if (!in.guarded)
      return true;
    bool p = reg(in.guard, t) != 0;
    return in.guardNegated ? !p : p;
  }
  absl::Status exec(size_t pc, int t);           // one thread, thread-local instructions
  absl::Status execWarp(size_t pc, int warp);    // shfl, ldmatrix, mma

  const SimLaunch &l_;
  const ptx::Kernel &k_;
  const std::unordered_map<std::string, size_t> &labels_;
  const std::unordered_map<std::string, size_t> &params_;
  int threads_;
  int64_t ctaid_[3];
  std::vector<uint64_t> regs_[4];
  std::vector<uint8_t> smem_;
};

uint64_t BlockSim::get(const Operand &o, int t) {
  switch (o.kind) {
  case Operand::Kind::kReg: return reg(o.reg, t);
  case Operand::Kind::kImm: return uint64_t(o.imm);
  case Operand::Kind::kSpecial:
    switch (o.special) {
    case ptx::Special::kTidX: return uint64_t(t);
    case ptx::Special::kCtaIdX: return uint64_t(ctaid_[0]);
    case ptx::Special::kCtaIdY: return uint64_t(ctaid_[1]);
    case ptx::Special::kCtaIdZ: return uint64_t(ctaid_[2]);
    case ptx::Special::kNCtaIdX: return uint64_t(l_.grid[0]);
    case ptx::Special::kNCtaIdY: return uint64_t(l_.grid[1]);
    case ptx::Special::kNCtaIdZ: return uint64_t(l_.grid[2]);
    }
    return 0;
  case Operand::Kind::kParam: {
    auto it = params_.find(o.name);
    return it == params_.end() ? 0 : l_.params[it->second];
  }
  case Operand::Kind::kSymbol: return 0; // smem: shared addresses are offsets from 0
  case Operand::Kind::kConst: return uint64_t(o.imm); // read by ld.const itself
  case Operand::Kind::kAddress: {
    uint64_t base = o.reg.id == ptx::kSmemBase ? 0 : reg(o.reg, t);
    return base + uint64_t(o.imm);
  }
  case Operand::Kind::kLabel: return 0;
  }
  return 0;
}

void BlockSim::set(const Operand &o, int t, uint64_t v, unsigned bits) {
  unsigned regBits = o.reg.kind == RegKind::kPred ? 1 : o.reg.kind == RegKind::kB16 ? 16
                     : o.reg.kind == RegKind::kB32 ? 32 : 64;
  (void)bits;
  reg(o.reg, t) = v & maskOf(regBits);
}

absl::StatusOr<uint8_t *> BlockSim::globalPtr(uint64_t addr, uint64_t bytes, bool write, size_t pc) {
  for (const SimRange &r : l_.memory)
    if (addr >= r.begin && addr + bytes <= r.end) {
      if (write && !r.writable)
        return fault(pc, "write to read-only memory");
      return reinterpret_cast<uint8_t *>(addr);
    }
  return fault(pc, absl::StrCat("global access of ", bytes, " bytes at 0x", absl::Hex(addr),
                                " outside every buffer of the launch"));
}

absl::StatusOr<uint8_t *> BlockSim::sharedPtr(uint64_t addr, uint64_t bytes, size_t pc) {
  if (addr + bytes > smem_.size() || addr > smem_.size())
    return fault(pc, absl::StrCat("shared access of ", bytes, " bytes at ", addr, " beyond ",
                                  smem_.size(), " bytes of shared memory"));
  return smem_.data() + addr;
}

// Integer and bit instructions on 32/64-bit values.
uint64_t intOp(Op op, Type t, uint64_t a, uint64_t b, uint64_t c) {
  unsigned bits = ptx::typeBits(t);
  bool s = isSigned(t);
  int64_t sa = sext(a, bits), sb = sext(b, bits);
  uint64_t ua = a & maskOf(bits), ub = b & maskOf(bits);
  switch (op) {
  case Op::kAdd: return ua + ub;
  case Op::kSub: return ua - ub;
  case Op::kMul: return ua * ub;
  case Op::kMad: return ua * ub + c;
  case Op::kMulHi: // high half of the 2 * bits product (32-bit operands here)
    if (bits == 32)
      return s ? uint64_t((sa * sb) >> 32) : (ua * ub) >> 32;
    return s ? uint64_t((__int128(sa) * sb) >> 64) : uint64_t((unsigned __int128)ua * ub >> 64);
  case Op::kDiv:
    if (ub == 0)
      return ~0ull;
    return s ? uint64_t(sa / sb) : ua / ub;
  case Op::kRem:
    if (ub == 0)
      return ua;
    return s ? uint64_t(sa % sb) : ua % ub;
  case Op::kMin: return s ? uint64_t(std::min(sa, sb)) : std::min(ua, ub);
  case Op::kMax: return s ? uint64_t(std::max(sa, sb)) : std::max(ua, ub);
  case Op::kNeg: return uint64_t(-sa);
  case Op::kAbs: return uint64_t(sa < 0 ? -sa : sa);
  case Op::kAnd: return a & b;
  case Op::kOr: return a | b;
  case Op::kXor: return a ^ b;
  case Op::kNot: return ~a;
  case Op::kShl: return (b & 0xFFFFFFFF) >= bits ? 0 : (ua << b);
  case Op::kShr:
    if ((b & 0xFFFFFFFF) >= bits)
      return s && sa < 0 ? ~0ull : 0;
    return s ? uint64_t(sa >> b) : (ua >> b);
  default: return 0;
  }
}

// f32, f16x2, bf16x2 arithmetic. `lanes`: 1 for scalar types, 2 for x2 types.
uint64_t floatOp(Op op, Type t, uint64_t a, uint64_t b, uint64_t c) {
  auto one = [&](auto decode, auto encode, uint64_t x, uint64_t y, uint64_t z) -> uint64_t {
    double fa = decode(x), fb = decode(y), fc = decode(z);
    double r = 0;
    switch (op) {
    case Op::kAdd: r = fa + fb; break;
    case Op::kSub: r = fa - fb; break;
    case Op::kMul: r = fa * fb; break;
    case Op::kFma: r = std::fma(fa, fb, fc); break;
    case Op::kDiv: r = fa / fb; break;
    case Op::kMin: r = std::isnan(fa) ? fb : std::isnan(fb) ? fa : std::min(fa, fb); break;
    case Op::kMax: r = std::isnan(fa) ? fb : std::isnan(fb) ? fa : std::max(fa, fb); break;
    case Op::kNeg: r = -fa; break;
    case Op::kAbs: r = std::fabs(fa); break;
    default: break;
    }
    return encode(r);
  };
  if (t == Type::kF32) {
    float fa = f32(a), fb = f32(b), fc = f32(c);
    switch (op) {
    case Op::kAdd: return fromF32(fa + fb);
    case Op::kSub: return fromF32(fa - fb);
    case Op::kMul: return fromF32(fa * fb);
    case Op::kFma: return fromF32(std::fmaf(fa, fb, fc));
    case Op::kDiv: return fromF32(fa / fb);
    case Op::kMin: return fromF32(std::fminf(fa, fb));
    case Op::kMax: return fromF32(std::fmaxf(fa, fb));
    case Op::kNeg: return fromF32(-fa);
    case Op::kAbs: return fromF32(std::fabs(fa));
    case Op::kSqrt: return fromF32(std::sqrt(fa));
    case Op::kRsqrt: return fromF32(1.0f / std::sqrt(fa));
    case Op::kRcp: return fromF32(1.0f / fa);
    case Op::kEx2: return fromF32(std::exp2f(fa));
    case Op::kLg2: return fromF32(std::log2f(fa));
    case Op::kTanh: return fromF32(std::tanh(fa));
    default: return 0;
    }
  }
  bool isBF = t == Type::kBF16 || t == Type::kBF16x2;
  auto dec = [&](uint64_t x) { return isBF ? bf16(x) : half(x); };
  auto enc = [&](double v) { return isBF ? toBF16(v) : toHalf(v); };
  uint64_t lo = one(dec, enc, a & 0xFFFF, b & 0xFFFF, c & 0xFFFF);
  if (t == Type::kF16 || t == Type::kBF16)
    return lo;
  uint64_t hi = one(dec, enc, (a >> 16) & 0xFFFF, (b >> 16) & 0xFFFF, (c >> 16) & 0xFFFF);
  return lo | (hi << 16);
}

bool compare(ptx::Cmp cmp, Type t, uint64_t a, uint64_t b) {
  if (t == Type::kF32) {
    float x = f32(a), y = f32(b);
    bool unordered = std::isnan(x) || std::isnan(y);
    switch (cmp) {
    case ptx::Cmp::kEq: return !unordered && x == y;
    case ptx::Cmp::kNe: return !unordered && x != y;
    case ptx::Cmp::kLt: return !unordered && x < y;
    case ptx::Cmp::kLe: return !unordered && x <= y;
    case ptx::Cmp::kGt: return !unordered && x > y;
    case ptx::Cmp::kGe: return !unordered && x >= y;
    case ptx::Cmp::kEqu: return unordered || x == y;
    case ptx::Cmp::kNeu: return unordered || x != y;
    case ptx::Cmp::kLtu: return unordered || x < y;
    case ptx::Cmp::kLeu: return unordered || x <= y;
    case ptx::Cmp::kGtu: return unordered || x > y;
    case ptx::Cmp::kGeu: return unordered || x >= y;
    case ptx::Cmp::kNan: return unordered;
    case ptx::Cmp::kNum: return !unordered;
    default: return false;
    }
  }
  unsigned bits = ptx::typeBits(t);
  int64_t sa = sext(a, bits), sb = sext(b, bits);
  uint64_t ua = a & maskOf(bits), ub = b & maskOf(bits);
  switch (cmp) {
  case ptx::Cmp::kEq: return ua == ub;
  case ptx::Cmp::kNe: return ua != ub;
  case ptx::Cmp::kLt: return isSigned(t) ? sa < sb : ua < ub;
  case ptx::Cmp::kLe: return isSigned(t) ? sa <= sb : ua <= ub;
  case ptx::Cmp::kGt: return isSigned(t) ? sa > sb : ua > ub;
  case ptx::Cmp::kGe: return isSigned(t) ? sa >= sb : ua >= ub;
  case ptx::Cmp::kLo: return ua < ub;
  case ptx::Cmp::kLs: return ua <= ub;
  case ptx::Cmp::kHi: return ua > ub;
  case ptx::Cmp::kHs: return ua >= ub;
  default: return false;
  }
}

// cvt d.to, a.from with rounding r.
uint64_t convert(Type to, Type from, ptx::Rounding r, uint64_t a) {
  bool fromFloat = isFloat(from), toFloat = isFloat(to);
  if (!fromFloat && !toFloat) { // integer width changes: truncate or extend per the source
    unsigned fb = ptx::typeBits(from);
    uint64_t v = isSigned(from) ? uint64_t(sext(a, fb)) : (a & maskOf(fb));
    return v & maskOf(ptx::typeBits(to));
  }
  double value;
  if (fromFloat)
    value = from == Type::kF32 ? f32(a) : from == Type::kF16 ? half(a) : bf16(a);
  else
    value = isSigned(from) ? double(sext(a, ptx::typeBits(from))) : double(a & maskOf(ptx::typeBits(from)));
  if (toFloat) {
    if (to == Type::kF32)
      return fromF32(float(value)); // (integers <= 32 bits: one rounding)
    return to == Type::kF16 ? toHalf(value) : toBF16(value);
  }
  // Float -> integer: round (rni: nearest even; rzi: toward zero), saturate, NaN -> 0.
  if (std::isnan(value))
    return 0;
  double rounded = r == ptx::Rounding::kRzi ? std::trunc(value) : std::nearbyint(value);
  unsigned tb = ptx::typeBits(to);
  double lo = isSigned(to) ? -std::ldexp(1.0, int(tb) - 1) : 0.0;
  double hi = isSigned(to) ? std::ldexp(1.0, int(tb) - 1) - 1 : std::ldexp(1.0, int(tb)) - 1;
  rounded = std::min(std::max(rounded, lo), hi);
  return uint64_t(int64_t(rounded)) & maskOf(tb);
}

uint32_t prmt(uint32_t a, uint32_t b, uint32_t sel) {
  uint64_t bytes = uint64_t(a) | (uint64_t(b) << 32);
  uint32_t d = 0;
  for (int i = 0; i < 4; ++i) {
    uint32_t s = (sel >> (4 * i)) & 0xF;
    uint32_t byte = uint32_t(bytes >> (8 * (s & 7))) & 0xFF;
    if (s & 8) // sign replicate
      byte = (byte & 0x80) ? 0xFF : 0;
    d |= byte << (8 * i);
  }
  return d;
}

absl::Status BlockSim::exec(size_t pc, int t) {
  const Inst &in = k_.body[pc];
  auto src = [&](size_t i) { return get(in.src[i], t); };
  auto dst = [&](uint64_t v) { set(in.dst[0], t, v, ptx::typeBits(in.type)); };
  switch (in.op) {
  case Op::kMov: dst(src(0)); return absl::OkStatus();
  case Op::kAdd: case Op::kSub: case Op::kMul: case Op::kMin: case Op::kMax:
  case Op::kNeg: case Op::kAbs: case Op::kDiv: case Op::kRem: case Op::kMulHi: {
    uint64_t b = in.src.size() > 1 ? src(1) : 0;
    dst(isFloat(in.type) ? floatOp(in.op, in.type, src(0), b, 0) : intOp(in.op, in.type, src(0), b, 0));
    return absl::OkStatus();
  }
  case Op::kMad: dst(intOp(Op::kMad, in.type, src(0), src(1), src(2))); return absl::OkStatus();
  case Op::kFma: dst(floatOp(Op::kFma, in.type, src(0), src(1), src(2))); return absl::OkStatus();
  case Op::kSqrt: case Op::kRsqrt: case Op::kRcp: case Op::kEx2: case Op::kLg2: case Op::kTanh:
    dst(floatOp(in.op, Type::kF32, src(0), 0, 0));
    return absl::OkStatus();
  case Op::kAnd: case Op::kOr: case Op::kXor: case Op::kNot: case Op::kShl: case Op::kShr: {
    uint64_t b = in.src.size() > 1 ? src(1) : 0;
    if (in.type == Type::kPred) {
      uint64_t a = src(0) & 1;
      b &= 1;
      dst(in.op == Op::kAnd ? (a & b) : in.op == Op::kOr ? (a | b) : in.op == Op::kXor ? (a ^ b) : (a ^ 1));
      return absl::OkStatus();
    }
    dst(intOp(in.op, in.type, src(0), b, 0));
    return absl::OkStatus();
  }
  case Op::kBfe: {
    // PTX: len bits from pos; beyond bit 31 (and above len for .s32) the sign bit
    // a[min(pos + len - 1, 31)] (.s32) or zero (.u32).
    uint32_t a = uint32_t(src(0)), pos = uint32_t(src(1)) & 0xFF, len = uint32_t(src(2)) & 0xFF;
    uint32_t result = 0;
    if (len > 0) {
      bool isS = in.type == Type::kS32;
      uint32_t signBit = isS ? (a >> std::min<uint32_t>(pos + len - 1, 31)) & 1 : 0;
      for (uint32_t i = 0; i < 32; ++i) {
        uint32_t bit = (i < len && pos + i <= 31) ? (a >> (pos + i)) & 1 : signBit;
        result |= bit << i;
      }
    }
    dst(result);
    return absl::OkStatus();
  }
  case Op::kBfi: {
    uint32_t a = uint32_t(src(0)), b = uint32_t(src(1)), pos = uint32_t(src(2)) & 0xFF, len = uint32_t(src(3)) & 0xFF;
    uint32_t result = b;
    for (uint32_t i = 0; i < len && pos + i < 32; ++i)
      result = (result & ~(1u << (pos + i))) | (((a >> i) & 1u) << (pos + i));
    dst(result);
    return absl::OkStatus();
  }
  case Op::kPrmt: dst(prmt(uint32_t(src(0)), uint32_t(src(1)), uint32_t(src(2)))); return absl::OkStatus();
  case Op::kShf: {
    uint64_t both = (uint64_t(uint32_t(src(1))) << 32) | uint32_t(src(0));
    dst(uint32_t(both >> (uint32_t(src(2)) & 31)));
    return absl::OkStatus();
  }
  case Op::kLop3: {
    uint32_t a = uint32_t(src(0)), b = uint32_t(src(1)), c = uint32_t(src(2)), lut = uint32_t(src(3));
    uint32_t r = 0;
    for (int i = 0; i < 32; ++i) {
      uint32_t idx = (((a >> i) & 1) << 2) | (((b >> i) & 1) << 1) | ((c >> i) & 1);
      r |= ((lut >> idx) & 1u) << i;
    }
    dst(r);
    return absl::OkStatus();
  }
  case Op::kCvt: {
    if (in.src.size() == 2) { // cvt.rn.{f16,bf16}x2.f32 d, hi, lo
      Type one = in.type == Type::kF16x2 ? Type::kF16 : Type::kBF16;
      uint64_t hi = convert(one, Type::kF32, in.rounding, src(0));
      uint64_t lo = convert(one, Type::kF32, in.rounding, src(1));
      dst((hi << 16) | lo);
      return absl::OkStatus();
    }
    dst(convert(in.type, in.type2, in.rounding, src(0)));
    return absl::OkStatus();
  }
  case Op::kSetp: dst(compare(in.cmp, in.type, src(0), src(1)) ? 1 : 0); return absl::OkStatus();
  case Op::kSelp: dst((src(2) & 1) ? src(0) : src(1)); return absl::OkStatus();
  case Op::kLd: {
    unsigned bits = ptx::typeBits(in.type);
    uint64_t bytes = bits / 8;
    uint64_t addr = get(in.src[0], t);
    if (in.space == ptx::Space::kParam) {
      auto it = params_.find(in.src[0].name);
      set(in.dst[0], t, it == params_.end() ? 0 : l_.params[it->second], bits);
      return absl::OkStatus();
    }
    if (in.space == ptx::Space::kConst) {
      size_t index = size_t(in.src[0].imm / 4);
      if (in.src[0].kind != Operand::Kind::kConst || bits != 32 || index >= k_.constants.size())
        return fault(pc, "ld.const outside the kernel's constant table");
      set(in.dst[0], t, k_.constants[index], bits);
      return absl::OkStatus();
    }
    absl::StatusOr<uint8_t *> p = memPtr(in.space, addr, bytes * in.width, false, pc);
    if (!p.ok())
      return p.status();
    for (size_t i = 0; i < in.dst.size(); ++i) {
      uint64_t v = 0;
      std::memcpy(&v, *p + i * bytes, bytes);
      set(in.dst[i], t, v, bits);
    }
    return absl::OkStatus();
  }
  case Op::kSt: {
    unsigned bits = ptx::typeBits(in.type);
    uint64_t bytes = bits / 8;
    absl::StatusOr<uint8_t *> p = memPtr(in.space, get(in.dst[0], t), bytes * in.src.size(), true, pc);
    if (!p.ok())
      return p.status();
    for (size_t i = 0; i < in.src.size(); ++i) {
      uint64_t v = src(i);
      std::memcpy(*p + i * bytes, &v, bytes);
    }
    return absl::OkStatus();
  }
  case Op::kCpAsync: {
    uint64_t size = src(1);
    absl::StatusOr<uint8_t *> d = sharedPtr(get(in.dst[0], t), in.width, pc);
    if (!d.ok())
      return d.status();
    std::memset(*d, 0, in.width);
    if (size > 0) {
      absl::StatusOr<uint8_t *> s = globalPtr(get(in.src[0], t), std::min<uint64_t>(size, in.width), false, pc);
      if (!s.ok())
        return s.status();
      std::memcpy(*d, *s, std::min<uint64_t>(size, in.width));
    }
    return absl::OkStatus();
  }
  case Op::kPrefetch: case Op::kPrefetchBulk: {
    // No effect, but the emitter only prefetches inside the tensor (check it does), and
    // the bulk form needs a 16-byte aligned address and a size that is a multiple of 16.
    uint64_t address = get(in.src[0], t), bytes = in.op == Op::kPrefetch ? 1 : src(1);
    if (in.op == Op::kPrefetchBulk && (address % 16 != 0 || bytes % 16 != 0 || bytes == 0))
      return fault(pc, absl::StrCat("bulk prefetch of ", bytes, " bytes at 0x", absl::Hex(address),
                                    " (needs a 16-byte aligned address and a multiple of 16 bytes)"));
    if (absl::StatusOr<uint8_t *> p = globalPtr(address, bytes, false, pc); !p.ok())
      return p.status();
    return absl::OkStatus();
  }
  case Op::kCpAsyncCommit: case Op::kCpAsyncWait: case Op::kBar: case Op::kComment: case Op::kLabel:
  case Op::kGridDepLaunch: case Op::kGridDepWait: // the simulator's launches never overlap
    return absl::OkStatus();
  case Op::kAtomAdd: case Op::kRedAnd: case Op::kRedOr: {
    unsigned bits = ptx::typeBits(in.type);
    uint64_t bytes = bits / 8;
    absl::StatusOr<uint8_t *> p = memPtr(in.space, get(in.dst[0], t), bytes, true, pc);
    if (!p.ok())
      return p.status();
    uint64_t old = 0;
    std::memcpy(&old, *p, bytes);
    uint64_t v = src(0), r;
    if (in.op == Op::kRedAnd)
      r = old & v;
    else if (in.op == Op::kRedOr)
      r = old | v;
    else
      r = isFloat(in.type) ? floatOp(Op::kAdd, in.type, old, v, 0) : intOp(Op::kAdd, in.type, old, v, 0);
    std::memcpy(*p, &r, bytes);
    return absl::OkStatus();
  }
  default:
    return fault(pc, "not a thread-local instruction");
  }
}

absl::Status BlockSim::execWarp(size_t pc, int warp) {
  const Inst &in = k_.body[pc];
  int first = warp * 32;
  if (in.op == Op::kShfl) {
    uint64_t values[32];
    for (int lane = 0; lane < 32; ++lane)
      values[lane] = get(in.src[0], first + lane);
    for (int lane = 0; lane < 32; ++lane) {
      if (!active(in, first + lane))
        continue;
      int b = int(get(in.src[1], first + lane));
      int srcLane = in.shfl == ptx::ShflMode::kBfly ? (lane ^ b) : in.shfl == ptx::ShflMode::kIdx ? (b & 31) : lane;
      set(in.dst[0], first + lane, values[srcLane & 31], 32);
    }
    return absl::OkStatus();
  }
  if (in.op == Op::kLdmatrix) {
    uint64_t rowAddr[32];
    for (int lane = 0; lane < 32; ++lane)
      rowAddr[lane] = get(in.src[0], first + lane);
    for (int m = 0; m < in.width; ++m) {
      uint16_t tile[8][8];
      for (int r = 0; r < 8; ++r) {
        if (rowAddr[8 * m + r] % 16 != 0) // the hardware's fault
          return fault(pc, absl::StrCat("ldmatrix row address ", rowAddr[8 * m + r], " (lane ", 8 * m + r,
                                        ") is not 16-byte aligned"));
        absl::StatusOr<uint8_t *> p = sharedPtr(rowAddr[8 * m + r], 16, pc);
        if (!p.ok())
          return p.status();
        std::memcpy(tile[r], *p, 16);
      }
      for (int lane = 0; lane < 32; ++lane) {
        int row = lane / 4, col = 2 * (lane % 4);
        uint32_t lo, hi;
        if (!in.transpose) {
          lo = tile[row][col];
          hi = tile[row][col + 1];
        } else {
          lo = tile[col][row];
          hi = tile[col + 1][row];
        }
        set(in.dst[size_t(m)], first + lane, lo | (hi << 16), 32);
      }
    }
    return absl::OkStatus();
  }
  if (in.op == Op::kMma && (in.type2 == Type::kS8 || in.type2 == Type::kU8)) {
    // m16n8k32 on 8-bit integers: gather the 16x32 A, 32x8 B and 16x8 C (s32) of the warp
    // from the fragment layouts; sums wrap in 32 bits.
    const vm::Layout &fa = vm::mmaA8Layout(), &fb = vm::mmaB8Layout(), &fc = vm::mmaCLayout();
    bool isSigned = in.type2 == Type::kS8;
    auto dec = [&](uint32_t r, int byte) {
      uint32_t v = (r >> (8 * byte)) & 0xFF;
      return isSigned ? int32_t(int8_t(uint8_t(v))) : int32_t(v);
    };
    int32_t A[16][32], B[32][8];
    uint32_t C[16][8];
    for (int lane = 0; lane < 32; ++lane) {
      for (int s = 0; s < 16; ++s) {
        uint32_t r = uint32_t(get(in.src[size_t(s / 4)], first + lane));
        std::vector<int64_t> x = fa.indexOf(lane, s);
        A[x[0]][x[1]] = dec(r, s % 4);
      }
      for (int s = 0; s < 8; ++s) {
        uint32_t r = uint32_t(get(in.src[size_t(4 + s / 4)], first + lane));
        std::vector<int64_t> x = fb.indexOf(lane, s);
        B[x[0]][x[1]] = dec(r, s % 4);
      }
      for (int s = 0; s < 4; ++s) {
        std::vector<int64_t> x = fc.indexOf(lane, s);
        C[x[0]][x[1]] = uint32_t(get(in.src[size_t(6 + s)], first + lane));
      }
    }
    for (int lane = 0; lane < 32; ++lane)
      for (int s = 0; s < 4; ++s) {
        std::vector<int64_t> x = fc.indexOf(lane, s);
        uint32_t acc = C[x[0]][x[1]];
        for (int k = 0; k < 32; ++k)
          acc += uint32_t(A[x[0]][k] * B[k][x[1]]); // |product| < 2^16: exact
        set(in.dst[size_t(s)], first + lane, acc, 32);
      }
    return absl::OkStatus();
  }
  if (in.op == Op::kMma || in.op == Op::kMmaSp) {
    // 16-bit float inputs into f32. Dense m16n8k16: A 16x16, B 16x8. Sparse m16n8k32
    // (mma.sp::ordered_metadata): the kept values of A (16x16, the dense A fragment) are
    // expanded to 16x32 by the metadata of the lanes the selector names (lane 4g + 2 sel
    // + h: row g in bits 0-15, row g + 8 in bits 16-31, nibbles 4h..4h+3), B is 32x8.
    bool sparse = in.op == Op::kMmaSp;
    int K = sparse ? 32 : 16;
    size_t bFirst = 4, cFirst = sparse ? 8 : 6;
    bool bf = in.type2 == Type::kBF16;
    auto dec = [&](uint32_t h) { return bf ? float(bf16(h)) : float(half(h)); };
    // The warp's fragment of layout f, two 16-bit elements per register from src[reg0].
    auto gather16 = [&](const vm::Layout &f, size_t reg0, float *out, int cols) {
      for (int lane = 0; lane < 32; ++lane)
        for (int64_t s = 0; s < f.localSize(); ++s) {
          uint32_t r = uint32_t(get(in.src[reg0 + size_t(s / 2)], first + lane));
          std::vector<int64_t> x = f.indexOf(lane, s);
          out[x[0] * cols + x[1]] = dec((r >> (16 * (s % 2))) & 0xFFFF);
        }
    };
    float V[16 * 16], A[16 * 32] = {}, B[32 * 8];
    gather16(vm::mmaALayout(), 0, V, 16);
    gather16(sparse ? vm::mmaSpBLayout() : vm::mmaBLayout(), bFirst, B, 8);
    if (!sparse) {
      for (int i = 0; i < 16 * 16; ++i)
        A[(i / 16) * 32 + i % 16] = V[i];
    } else {
      int64_t sel = in.src[13].imm;
      if (sel < 0 || sel > 1)
        return fault(pc, "sparsity selector of m16n8k32 must be 0 or 1");
      for (int g = 0; g < 8; ++g)
        for (int h = 0; h < 2; ++h) {
          uint32_t meta = uint32_t(get(in.src[12], first + 4 * g + 2 * int(sel) + h));
          for (int hi = 0; hi < 2; ++hi)
            for (int j = 0; j < 4; ++j) {
              int row = g + 8 * hi, group = 4 * h + j; // group of four K columns
              uint32_t nibble = (meta >> (16 * hi + 4 * j)) & 0xF;
              uint32_t i0 = nibble & 3, i1 = nibble >> 2;
              if (i0 >= i1)
                return fault(pc, "mma.sp::ordered_metadata needs the first index below the "
                                 "second (row " + std::to_string(row) + ", group " +
                                     std::to_string(group) + ": " + std::to_string(nibble) + ")");
              A[row * 32 + 4 * group + int(i0)] = V[row * 16 + 2 * group];
              A[row * 32 + 4 * group + int(i1)] = V[row * 16 + 2 * group + 1];
            }
        }
    }
    const vm::Layout &fc = vm::mmaCLayout();
    float C[16][8];
    for (int lane = 0; lane < 32; ++lane)
      for (int s = 0; s < 4; ++s) {
        std::vector<int64_t> x = fc.indexOf(lane, s);
        C[x[0]][x[1]] = f32(get(in.src[cFirst + size_t(s)], first + lane));
      }
    for (int lane = 0; lane < 32; ++lane)
      for (int s = 0; s < 4; ++s) {
        std::vector<int64_t> x = fc.indexOf(lane, s);
        float acc = C[x[0]][x[1]];
        for (int k = 0; k < K; ++k)
          acc = std::fmaf(A[x[0] * 32 + k], B[k * 8 + x[1]], acc); // exact products, f32 sums
        set(in.dst[size_t(s)], first + lane, fromF32(acc), 32);
      }
    return absl::OkStatus();
  }
  return fault(pc, "not a warp instruction");
}

absl::Status BlockSim::run() {
  size_t pc = 0;
  size_t steps = 0;
  while (pc < k_.body.size()) {
    if (++steps > (size_t(1) << 32))
      return fault(pc, "too many steps (an endless loop?)");
    const Inst &in = k_.body[pc];
    if (in.op == Op::kBra || in.op == Op::kExit) {
      bool taken = active(in, 0);
      for (int t = 1; t < threads_; ++t)
        if (active(in, t) != taken)
          return fault(pc, "divergent branch (the emitter branches on uniform values only)");
      if (!taken) {
        ++pc;
        continue;
      }
      if (in.op == Op::kExit)
        return absl::OkStatus();
      auto it = labels_.find(in.src[0].name);
      if (it == labels_.end())
        return fault(pc, "unknown label");
      pc = it->second;
      continue;
    }
    if (in.op == Op::kShfl || in.op == Op::kLdmatrix || in.op == Op::kMma ||
        in.op == Op::kMmaSp) {
      for (int w = 0; w < threads_ / 32; ++w) {
        absl::Status s = execWarp(pc, w);
        if (!s.ok())
          return s;
      }
      ++pc;
      continue;
    }
    // Shared-memory reads and writes of the same instruction: lockstep per thread order.
    for (int t = 0; t < threads_; ++t) {
      if (!active(in, t))
        continue;
      absl::Status s = exec(pc, t);
      if (!s.ok())
        return s;
    }
    ++pc;
  }
  return absl::OkStatus();
}

} // namespace

absl::Status simulate(const SimLaunch &launch) {
  const ptx::Kernel &k = *launch.kernel;
  std::unordered_map<std::string, size_t> labels, params;
  for (size_t i = 0; i < k.body.size(); ++i)
    if (k.body[i].op == Op::kLabel)
      labels[k.body[i].text] = i;
  for (size_t i = 0; i < k.params.size(); ++i)
    params[k.params[i].name] = i;
  if (launch.params.size() != k.params.size())
    return absl::InvalidArgumentError("PTX simulator: wrong number of kernel parameters");
  for (int64_t z = 0; z < launch.grid[2]; ++z)
    for (int64_t y = 0; y < launch.grid[1]; ++y)
      for (int64_t x = 0; x < launch.grid[0]; ++x) {
        BlockSim block(launch, labels, params, x, y, z);
        absl::Status s = block.run();
        if (!s.ok())
          return s;
      }
  return absl::OkStatus();
}

} // namespace tessel::cuda
