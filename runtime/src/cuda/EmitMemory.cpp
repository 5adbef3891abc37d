// Data movement: register tiles to and from global and shared memory (vectorized up to 16
// bytes when the layout, the offsets and the alignment allow it, proven statically or
// checked once at run time), cp.async copies, ldmatrix, atomics, views and slices.
#include "cuda/KernelEmitter.h"

#include <set>

#include <map>
#include <numeric>
#include <optional>

namespace tessel::cuda {

using vm::Opcode;
using vm::ValueKind;

namespace {

// Slots that hold consecutive elements along the last dimension (all other coordinates
// equal): each such run is contiguous in memory and in the thread's bits.
struct Run {
  int64_t slot, count;
};

std::vector<Run> runsOf(const LayoutInfo &info) {
  std::vector<Run> runs;
  const auto &sp = info.slotPart;
  for (int64_t s = 0; s < int64_t(sp.size()); ++s) {
    if (!runs.empty()) {
      Run &last = runs.back();
      const auto &prev = sp[size_t(s - 1)], &cur = sp[size_t(s)];
      bool extends = s == last.slot + last.count && !cur.empty() &&
                     cur.back() == prev.back() + 1 &&
                     std::equal(cur.begin(), cur.end() - 1, prev.begin());
      if (extends) {
        ++last.count;
        continue;
      }
    }
    runs.push_back({s, 1});
  }
  return runs;
}

// The most elements per access (a power of two moving 1, 2, 4, 8 or 16 whole bytes) that
// every run splits into, aligned in the register bits and along the last dimension.
int64_t vectorElements(const LayoutInfo &info, const std::vector<Run> &runs, unsigned bits,
                       int64_t limitElements) {
  int64_t best = 0;
  for (int64_t k = 1; k <= 128; k *= 2) {
    int64_t accessBits = k * bits;
    if (accessBits % 8 != 0 || accessBits > 128 || k > limitElements)
      continue;
    if ((accessBits / 8) & (accessBits / 8 - 1))
      continue;
    bool ok = info.lastDimThreadMultiple % k == 0;
    int64_t regAlign = std::min<int64_t>(32, accessBits);
    for (const Run &r : runs) {
      int64_t lastSlotPart = info.slotPart[size_t(r.slot)].empty() ? 0 : info.slotPart[size_t(r.slot)].back();
      if (r.count % k != 0 || lastSlotPart % k != 0 || (r.slot * int64_t(bits)) % regAlign != 0)
        ok = false;
    }
    if (ok)
      best = k;
  }
  return best;
}

} // namespace

// One tile access between registers and a global or shared tensor.
struct TileAccess {
  bool isGlobal = true;
  bool isLoad = true;
  bool isAtomicAdd = false;    // stores become red.add
  ptx::CacheHint cache = ptx::CacheHint::kNone;
  unsigned bits = 32;
  Reg address;                 // b64 (global) or b32 (shared)
  int64_t alignment = 1;       // bytes the address is known to be a multiple of
  std::vector<Reg> dims;       // global: b64 per dim (dynamic)
  std::vector<int64_t> staticDims; // -1 where dynamic
  vm::Swizzle swizzle;         // shared only
  std::vector<Reg> offsets;    // b64 per dim (the tile's origin)
  std::vector<int64_t> offsetMultiples;
  std::vector<std::optional<int64_t>> offsetConstants; // origins known when emitting
  std::vector<int> offsetDepths;  // loop depths where the origins are defined (EValue::depth)
  // Global: the tensor is a kernel argument (value id `tensor`), so its strides and each
  // thread's pointer can be computed once in the prologue.
  bool hoistable = false;
  uint32_t tensor = 0;
};

namespace {

class AccessEmitter {
public:
  AccessEmitter(KernelEmitter &e, TileAccess &a, const vm::ValueType &tileType)
      : e_(e), a_(a), tile_(tileType), info_(e.layoutInfo(tileType.layout)),
        rank_(tileType.rank()) {}

  void run(std::vector<Reg> &regs);

private:
  /// Loads: zeroes the destination registers (elements a path skips read as 0).
  void zero(std::vector<Reg> &regs) {
    if (a_.isLoad)
      for (Reg r : regs)
        e_.emit(Op::kMov, Type::kB32, {Operand::r(r)}, {Operand::i(0)});
  }
  Reg add64(Reg a, Reg b) {
    Reg r = e_.newReg(RegKind::kB64);
    e_.emit(Op::kAdd, Type::kS64, {Operand::r(r)}, {Operand::r(a), Operand::r(b)});
    return r;
  }
  // The index of slot `s`'s element along dimension d: base_d + slotPart.
  void prepareBase();
  Reg linearOf(int64_t slot);          // b64 linear element index of slot `slot`
  /// Predicate (global) that slot `slot`'s element lies inside the tensor, or kAlways
  /// when that holds statically (a constant origin and static dimensions hold the tile).
  Reg inBounds(int64_t slot);
  static constexpr uint32_t kAlways = 0xFFFFFFFFu;
  // Global tensors that are kernel arguments: the per-thread pointer (prologue) plus this
  // access's origin (once per path), and a slot's offset from it (an immediate when the
  // strides it crosses are static, else computed at the access).
  bool hoisted() const { return a_.isGlobal && a_.hoistable && a_.bits % 8 == 0; }
  Reg threadPointer();
  Reg accessPointer();
  Operand slotAddress(int64_t slot);
  /// Shared tiles of whole bytes: a slot's address as a pointer per residue of its static
  /// offset modulo the swizzle's period (one for most tiles) plus an immediate.
  Operand sharedSlotAddress(int64_t slot);
  void resetPath() {
    prepared_ = false;
    pointer_ = Reg();
    havePointer_ = false;
    sharedPointers_.clear();
    predicates_.clear();
    rowPointers_.clear();
    lastDimInside_ = false;
    allInside_ = false;
  }
  /// Whether a constant origin and a static size put the whole tile inside along d.
  bool staticallyInside(int d) const;
  /// a && b, either possibly kAlways.
  Reg both(Reg a, Reg b);
  Reg addressOf(Reg linear, int64_t &subBitOut, bool needSubBit);
  void vectorPath(std::vector<Reg> &regs, int64_t k);
  void scalarPath(std::vector<Reg> &regs);
  Reg vectorCondition(int64_t k);

  KernelEmitter &e_;
  TileAccess &a_;
  const vm::ValueType &tile_;
  const LayoutInfo &info_;
  int rank_;
  bool prepared_ = false;
  Reg pointer_;
  bool havePointer_ = false;
  std::map<std::pair<int, int64_t>, Reg> predicates_; // (dim, slot part) -> in bounds
  // The access pointer plus the offsets along dimensions whose strides are not static,
  // by those offsets (a slot's address is one of these plus an immediate).
  std::map<std::vector<int64_t>, Reg> rowPointers_;
  std::map<int64_t, Reg> sharedPointers_; // residue of the slot's offset -> b32 address
  // The vector path runs only when the tile lies inside the tensor along the last
  // dimension (checked once), so its elements need no check along it.
  bool lastDimInside_ = false;
  // The fast path of a tile checked once to lie inside along every dimension: no
  // per-element checks.
  bool allInside_ = false;
  std::vector<Reg> base_;    // b64: offset_d + threadPart_d
  std::vector<Reg> strides_; // b64 row-major strides (global); empty for shared (constants)
  std::vector<int64_t> staticStrides_;
  Reg linearBase_;
};

void AccessEmitter::prepareBase() {
  if (prepared_)
    return;
  prepared_ = true;
  base_.clear();
  for (int d = 0; d < rank_; ++d) {
    Reg tp = e_.newReg(RegKind::kB64);
    e_.emit(Op::kCvt, Type::kU64, {Operand::r(tp)}, {Operand::r(info_.threadPart[size_t(d)])}).type2 =
        Type::kU32;
    base_.push_back(add64(a_.offsets[size_t(d)], tp));
  }
  // Strides: static for shared tiles, computed from the dimensions for global ones.
  staticStrides_.assign(size_t(rank_), 1);
  strides_.assign(size_t(rank_), Reg());
  for (int d = rank_ - 1; d >= 0; --d) {
    if (d == rank_ - 1) {
      strides_[size_t(d)] = e_.imm64(1);
      continue;
    }
    if (!a_.isGlobal) {
      staticStrides_[size_t(d)] = staticStrides_[size_t(d + 1)] * a_.staticDims[size_t(d + 1)];
      strides_[size_t(d)] = e_.imm64(staticStrides_[size_t(d)]);
    } else {
      Reg s = e_.newReg(RegKind::kB64);
      e_.emit(Op::kMul, Type::kS64, {Operand::r(s)},
              {Operand::r(strides_[size_t(d + 1)]), Operand::r(a_.dims[size_t(d + 1)])});
      strides_[size_t(d)] = s;
    }
  }
  linearBase_ = e_.imm64(0);
  for (int d = 0; d < rank_; ++d) {
    Reg r = e_.newReg(RegKind::kB64);
    e_.emit(Op::kMad, Type::kS64, {Operand::r(r)},
            {Operand::r(base_[size_t(d)]), Operand::r(strides_[size_t(d)]), Operand::r(linearBase_)});
    linearBase_ = r;
  }
}

Reg AccessEmitter::linearOf(int64_t slot) {
  Reg lin = linearBase_;
  const auto &sp = info_.slotPart[size_t(slot)];
  for (int d = 0; d < rank_; ++d) {
    if (sp[size_t(d)] == 0)
      continue;
    Reg r = e_.newReg(RegKind::kB64);
    if (d == rank_ - 1)
      e_.emit(Op::kAdd, Type::kS64, {Operand::r(r)}, {Operand::r(lin), Operand::i(sp[size_t(d)])});
    else
      e_.emit(Op::kMad, Type::kS64, {Operand::r(r)},
              {Operand::r(strides_[size_t(d)]), Operand::i(sp[size_t(d)]), Operand::r(lin)});
    lin = r;
  }
  return lin;
}

Reg AccessEmitter::inBounds(int64_t slot) {
  Reg all{RegKind::kPred, kAlways};
  if (allInside_)
    return all;
  const auto &sp = info_.slotPart[size_t(slot)];
  for (int d = 0; d < rank_; ++d) {
    if (staticallyInside(d))
      continue; // the whole tile is inside along d
    if (d == rank_ - 1 && lastDimInside_)
      continue; // checked once for the whole tile (run)
    auto key = std::make_pair(d, sp[size_t(d)]);
    auto it = predicates_.find(key);
    Reg p;
    if (it != predicates_.end()) {
      p = it->second;
    } else {
      // origin + threadPart + slotPart < dim, unsigned: a negative index wraps out of range.
      Reg tp = e_.newReg(RegKind::kB64), idx = e_.newReg(RegKind::kB64);
      e_.emit(Op::kCvt, Type::kU64, {Operand::r(tp)}, {Operand::r(info_.threadPart[size_t(d)])}).type2 =
          Type::kU32;
      e_.emit(Op::kAdd, Type::kS64, {Operand::r(idx)}, {Operand::r(a_.offsets[size_t(d)]), Operand::r(tp)});
      if (sp[size_t(d)] != 0)
        e_.emit(Op::kAdd, Type::kS64, {Operand::r(idx)}, {Operand::r(idx), Operand::i(sp[size_t(d)])});
      p = e_.newReg(RegKind::kPred);
      e_.emit(Op::kSetp, Type::kU64, {Operand::r(p)}, {Operand::r(idx), Operand::r(a_.dims[size_t(d)])}).cmp =
          ptx::Cmp::kLo;
      predicates_[key] = p;
    }
    all = both(all, p);
  }
  return all;
}

bool AccessEmitter::staticallyInside(int d) const {
  const std::optional<int64_t> &origin = a_.offsetConstants[size_t(d)];
  return a_.staticDims[size_t(d)] >= 0 && origin && *origin >= 0 &&
         *origin + tile_.shape[size_t(d)] <= a_.staticDims[size_t(d)];
}

Reg AccessEmitter::both(Reg a, Reg b) {
  if (a.id == kAlways)
    return b;
  if (b.id == kAlways)
    return a;
  return e_.conjoin(a, b);
}

Reg AccessEmitter::threadPointer() {
  auto key = std::make_pair(a_.tensor, tile_.layout);
  auto it = e_.threadPointers_.find(key);
  if (it != e_.threadPointers_.end())
    return it->second;
  std::vector<Inst> &pro = e_.prologue_;
  const std::vector<Reg> &strides = e_.hoistedStrides(a_.tensor);
  Reg lin = e_.newReg(RegKind::kB64);
  e_.emitTo(pro, Op::kMov, Type::kB64, {Operand::r(lin)}, {Operand::i(0)});
  for (int d = 0; d < rank_; ++d) {
    Reg tp = e_.newReg(RegKind::kB64), next = e_.newReg(RegKind::kB64);
    e_.emitTo(pro, Op::kCvt, Type::kU64, {Operand::r(tp)}, {Operand::r(info_.threadPart[size_t(d)])}).type2 =
        Type::kU32;
    e_.emitTo(pro, Op::kMad, Type::kS64, {Operand::r(next)},
              {Operand::r(tp), Operand::r(strides[size_t(d)]), Operand::r(lin)});
    lin = next;
  }
  Reg pointer = e_.newReg(RegKind::kB64), bytes = e_.newReg(RegKind::kB64);
  e_.emitTo(pro, Op::kMul, Type::kS64, {Operand::r(bytes)}, {Operand::r(lin), Operand::i(a_.bits / 8)});
  e_.emitTo(pro, Op::kAdd, Type::kS64, {Operand::r(pointer)}, {Operand::r(a_.address), Operand::r(bytes)});
  return e_.threadPointers_.emplace(key, pointer).first->second;
}

Reg AccessEmitter::accessPointer() {
  if (havePointer_)
    return pointer_;
  const std::vector<Reg> &strides = e_.hoistedStrides(a_.tensor);
  // The origin's byte offset: sum_d offset_d * stride_d * bytes, outer loops' terms first
  // (ptxas hoists their partial sum).
  Reg lin = e_.imm64(0);
  for (int d : e_.outerFirst(a_.offsetDepths)) {
    const std::optional<int64_t> &c = a_.offsetConstants[size_t(d)];
    if (c && *c == 0)
      continue;
    Reg next = e_.newReg(RegKind::kB64);
    e_.emit(Op::kMad, Type::kS64, {Operand::r(next)},
            {Operand::r(a_.offsets[size_t(d)]), Operand::r(strides[size_t(d)]), Operand::r(lin)});
    lin = next;
  }
  Reg bytes = e_.newReg(RegKind::kB64);
  e_.emit(Op::kMul, Type::kS64, {Operand::r(bytes)}, {Operand::r(lin), Operand::i(a_.bits / 8)});
  pointer_ = e_.newReg(RegKind::kB64);
  e_.emit(Op::kAdd, Type::kS64, {Operand::r(pointer_)}, {Operand::r(threadPointer()), Operand::r(bytes)});
  havePointer_ = true;
  return pointer_;
}

Operand AccessEmitter::slotAddress(int64_t slot) {
  Reg p = accessPointer();
  const auto &sp = info_.slotPart[size_t(slot)];
  // Static strides from the last dimension back while the dimensions are static.
  int64_t imm = 0;
  bool isStatic = true;
  int64_t stride = 1;
  for (int d = rank_ - 1; d >= 0; --d) {
    if (sp[size_t(d)] != 0) {
      if (stride < 0)
        isStatic = false;
      else
        imm += sp[size_t(d)] * stride;
    }
    stride = stride >= 0 && a_.staticDims[size_t(d)] >= 0 ? stride * a_.staticDims[size_t(d)] : -1;
  }
  if (isStatic)
    return Operand::addr(p, imm * int64_t(a_.bits / 8));
  // Strides that are not static: the offsets along those dimensions make a row pointer,
  // computed once per access path for each distinct set of them (rows g and g + 8 of an
  // mma fragment: two), and the rest of the offset is an immediate.
  std::vector<int64_t> dynamicPart(size_t(rank_), 0);
  imm = 0;
  stride = 1;
  for (int d = rank_ - 1; d >= 0; --d) {
    if (sp[size_t(d)] != 0) {
      if (stride < 0)
        dynamicPart[size_t(d)] = sp[size_t(d)];
      else
        imm += sp[size_t(d)] * stride;
    }
    stride = stride >= 0 && a_.staticDims[size_t(d)] >= 0 ? stride * a_.staticDims[size_t(d)] : -1;
  }
  auto it = rowPointers_.find(dynamicPart);
  if (it == rowPointers_.end()) {
    Reg lin = p;
    for (int d = 0; d < rank_; ++d) {
      if (dynamicPart[size_t(d)] == 0)
        continue;
      Reg next = e_.newReg(RegKind::kB64);
      e_.emit(Op::kMad, Type::kS64, {Operand::r(next)},
              {Operand::r(e_.hoistedStrides(a_.tensor)[size_t(d)]),
               Operand::i(dynamicPart[size_t(d)] * int64_t(a_.bits / 8)), Operand::r(lin)});
      lin = next;
    }
    it = rowPointers_.emplace(dynamicPart, lin).first;
  }
  return Operand::addr(it->second, imm * int64_t(a_.bits / 8));
}

Operand AccessEmitter::sharedSlotAddress(int64_t slot) {
  prepareBase();
  // The slot's offset from the thread's origin, static for shared tiles; the swizzle maps
  // o + j * period to swizzle(o) + j * period, so only the residue needs a pointer.
  const auto &sp = info_.slotPart[size_t(slot)];
  int64_t offset = 0;
  for (int d = 0; d < rank_; ++d)
    offset += sp[size_t(d)] * staticStrides_[size_t(d)];
  int64_t period = a_.swizzle.period(), residue = ((offset % period) + period) % period;
  auto it = sharedPointers_.find(residue);
  if (it == sharedPointers_.end()) {
    Reg lin = linearBase_;
    if (residue != 0) {
      lin = e_.newReg(RegKind::kB64);
      e_.emit(Op::kAdd, Type::kS64, {Operand::r(lin)}, {Operand::r(linearBase_), Operand::i(residue)});
    }
    int64_t unused = 0;
    it = sharedPointers_.emplace(residue, addressOf(lin, unused, false)).first;
  }
  return Operand::addr(it->second, (offset - residue) * int64_t(a_.bits / 8));
}

// The byte address of the element at `linear` (after the swizzle for shared tiles). For
// sub-byte elements also the bit position within that byte (a b32 register in subBit).
Reg AccessEmitter::addressOf(Reg linear, int64_t &subBitReg, bool needSubBit) {
  Reg lin = linear;
  if (!a_.isGlobal && !a_.swizzle.isIdentity()) {
    // o ^ (((o >> (base + shift)) & (2^bits - 1)) << base)
    Reg t = e_.newReg(RegKind::kB64), x = e_.newReg(RegKind::kB64);
    e_.emit(Op::kShr, Type::kU64, {Operand::r(t)}, {Operand::r(lin), Operand::i(a_.swizzle.base + a_.swizzle.shift)});
    e_.emit(Op::kAnd, Type::kB64, {Operand::r(t)}, {Operand::r(t), Operand::i((1ll << a_.swizzle.bits) - 1)});
    e_.emit(Op::kShl, Type::kB64, {Operand::r(t)}, {Operand::r(t), Operand::i(a_.swizzle.base)});
    e_.emit(Op::kXor, Type::kB64, {Operand::r(x)}, {Operand::r(lin), Operand::r(t)});
    lin = x;
  }
  Reg byteOffset = e_.newReg(RegKind::kB64);
  if (a_.bits % 8 == 0) {
    e_.emit(Op::kMul, Type::kS64, {Operand::r(byteOffset)}, {Operand::r(lin), Operand::i(a_.bits / 8)});
  } else {
    Reg bitPos = e_.newReg(RegKind::kB64);
    e_.emit(Op::kMul, Type::kS64, {Operand::r(bitPos)}, {Operand::r(lin), Operand::i(a_.bits)});
    e_.emit(Op::kShr, Type::kU64, {Operand::r(byteOffset)}, {Operand::r(bitPos), Operand::i(3)});
    if (needSubBit) {
      Reg sub = e_.newReg(RegKind::kB32);
      e_.emit(Op::kCvt, Type::kU32, {Operand::r(sub)}, {Operand::r(bitPos)}).type2 = Type::kU64;
      e_.emit(Op::kAnd, Type::kB32, {Operand::r(sub)}, {Operand::r(sub), Operand::i(7)});
      subBitReg = sub.id;
    }
  }
  if (a_.isGlobal) {
    Reg addr = e_.newReg(RegKind::kB64);
    e_.emit(Op::kAdd, Type::kS64, {Operand::r(addr)}, {Operand::r(a_.address), Operand::r(byteOffset)});
    return addr;
  }
  Reg off32 = e_.newReg(RegKind::kB32), addr = e_.newReg(RegKind::kB32);
  e_.emit(Op::kCvt, Type::kU32, {Operand::r(off32)}, {Operand::r(byteOffset)}).type2 = Type::kU64;
  e_.emit(Op::kAdd, Type::kU32, {Operand::r(addr)}, {Operand::r(a_.address), Operand::r(off32)});
  return addr;
}

// Uniform run-time check that k-element vector accesses are aligned and never straddle
// the edge of the tensor: the last dimension, the tile's offset along it and the address
// must be multiples. Returns kAlways when it holds statically.
Reg AccessEmitter::vectorCondition(int64_t k) {
  int64_t bytes = k * a_.bits / 8;
  bool staticOk = a_.alignment % bytes == 0 && a_.offsetMultiples.back() % k == 0;
  if (a_.isGlobal)
    staticOk = staticOk && a_.staticDims.back() >= 0 && a_.staticDims.back() % k == 0 &&
               (rank_ == 1 || (a_.staticDims.back() * int64_t(a_.bits)) % (bytes * 8) == 0);
  else
    staticOk = staticOk && (a_.staticDims.back() % k == 0) &&
               (a_.swizzle.isIdentity() || k <= (int64_t(1) << a_.swizzle.base));
  if (staticOk)
    return Reg{RegKind::kPred, kAlways};
  // Anything not proven is checked at run time.
  Reg addr64 = a_.address;
  if (!a_.isGlobal) {
    addr64 = e_.newReg(RegKind::kB64);
    e_.emit(Op::kCvt, Type::kU64, {Operand::r(addr64)}, {Operand::r(a_.address)}).type2 = Type::kU32;
  }
  return e_.vectorsAligned(a_.offsets.back(), a_.offsetMultiples.back(),
                           a_.isGlobal ? std::optional<Reg>(a_.dims.back()) : std::nullopt, addr64, k, bytes);
}

void AccessEmitter::vectorPath(std::vector<Reg> &regs, int64_t k) {
  int64_t bytes = k * a_.bits / 8;
  // Registers this path has written part of (loads of 1 or 2 bytes: every caller zeroed
  // the registers first, so the first part written, zero-extended, can be moved in whole).
  std::set<size_t> written;
  for (const Run &run : runsOf(info_)) {
    for (int64_t s = run.slot; s < run.slot + run.count; s += k) {
      Operand mem;
      if (hoisted()) {
        mem = slotAddress(s);
      } else if (!a_.isGlobal && a_.bits % 8 == 0) {
        mem = sharedSlotAddress(s);
      } else {
        prepareBase();
        int64_t unused = 0;
        mem = Operand::addr(addressOf(linearOf(s), unused, false));
      }
      Reg pred;
      bool guarded = a_.isGlobal;
      if (guarded)
        pred = inBounds(s);
      if (guarded && pred.id == kAlways)
        guarded = false;
      int64_t bit = s * int64_t(a_.bits);
      Inst in;
      in.op = a_.isLoad ? Op::kLd : Op::kSt;
      in.space = a_.isGlobal ? ptx::Space::kGlobal : ptx::Space::kShared;
      // Streaming past L1 (evict_first: L1::no_allocate) suits a run one load reads
      // whole; a run of several loads has each of them touch the warp's whole span (lanes
      // a run apart), so the later ones should find in L1 the lines the first brought
      // rather than fetch them from L2 again (5-bit weights: five 4-byte loads over the
      // same 640 bytes).
      in.cache = a_.cache == ptx::CacheHint::kEvictFirst && run.count > k ? ptx::CacheHint::kNone : a_.cache;
      in.guarded = guarded;
      in.guard = pred;
      if (bytes >= 4) {
        in.type = Type::kB32;
        in.width = uint8_t(bytes / 4);
        std::vector<Operand> data;
        for (int64_t w = 0; w < bytes / 4; ++w)
          data.push_back(Operand::r(regs[size_t(bit / 32 + w)]));
        if (a_.isLoad) {
          in.dst = data;
          in.src = {mem};
        } else {
          in.dst = {mem};
          in.src = data;
        }
        e_.kernel_.body.push_back(in);
        continue;
      }
      // 1 or 2 bytes: through a temporary, into or out of part of a register.
      in.type = bytes == 2 ? Type::kU16 : Type::kU8;
      unsigned width = unsigned(bytes * 8);
      if (a_.isLoad) {
        Reg tmp = e_.newReg(RegKind::kB32);
        e_.emit(Op::kMov, Type::kB32, {Operand::r(tmp)}, {Operand::i(0)});
        in.dst = {Operand::r(tmp)};
        in.src = {mem};
        e_.kernel_.body.push_back(in);
        size_t word = size_t(bit / 32);
        bool first = written.insert(word).second;
        if (first && bit % 32 == 0)
          e_.emit(Op::kMov, Type::kB32, {Operand::r(regs[word])}, {Operand::r(tmp)});
        else
          e_.emit(Op::kBfi, Type::kB32, {Operand::r(regs[word])},
                  {Operand::r(tmp), Operand::r(regs[word]), Operand::i(bit % 32), Operand::i(width)});
      } else {
        Reg tmp = e_.newReg(RegKind::kB32);
        e_.emit(Op::kBfe, Type::kU32, {Operand::r(tmp)},
                {Operand::r(regs[size_t(bit / 32)]), Operand::i(bit % 32), Operand::i(width)});
        Reg narrow = e_.newReg(RegKind::kB16);
        e_.emit(Op::kCvt, Type::kU16, {Operand::r(narrow)}, {Operand::r(tmp)}).type2 = Type::kU32;
        in.type = bytes == 2 ? Type::kB16 : Type::kU8;
        in.dst = {mem};
        in.src = {Operand::r(bytes == 2 ? narrow : tmp)};
        if (bytes == 1) // st.u8 takes a 32-bit register
          in.src = {Operand::r(tmp)};
        e_.kernel_.body.push_back(in);
      }
    }
  }
}

void AccessEmitter::scalarPath(std::vector<Reg> &regs) {
  prepareBase();
  unsigned bits = a_.bits;
  int64_t slots = int64_t(info_.slotPart.size());
  for (int64_t s = 0; s < slots; ++s) {
    Reg lin = linearOf(s);
    int64_t subBitId = -1;
    Reg addr = addressOf(lin, subBitId, bits % 8 != 0);
    Reg pred;
    bool guarded = a_.isGlobal;
    if (guarded)
      pred = inBounds(s);
    if (guarded && pred.id == kAlways)
      guarded = false;
    auto guard = [&](Inst &in) {
      in.guarded = guarded;
      in.guard = pred;
    };
    // The element's bits reach the next byte (word): position > limit, and in bounds.
    auto crossesInBounds = [&](Reg position, int64_t limit) {
      Reg p = e_.newReg(RegKind::kPred);
      e_.emit(Op::kSetp, Type::kU32, {Operand::r(p)}, {Operand::r(position), Operand::i(limit)}).cmp =
          ptx::Cmp::kHi;
      if (!guarded)
        return p;
      Reg both = e_.newReg(RegKind::kPred);
      e_.emit(Op::kAnd, Type::kPred, {Operand::r(both)}, {Operand::r(p), Operand::r(pred)});
      return both;
    };
    ptx::Space space = a_.isGlobal ? ptx::Space::kGlobal : ptx::Space::kShared;
    if (bits % 8 == 0) {
      Type t = bits == 8 ? Type::kU8 : bits == 16 ? Type::kU16 : Type::kB32;
      if (a_.isLoad) {
        Reg tmp = e_.newReg(RegKind::kB32);
        e_.emit(Op::kMov, Type::kB32, {Operand::r(tmp)}, {Operand::i(0)});
        Inst &ld = e_.emit(Op::kLd, t, {Operand::r(tmp)}, {Operand::addr(addr)});
        ld.space = space;
        ld.cache = a_.cache;
        guard(ld);
        e_.insert(regs, s, bits, tmp);
      } else if (a_.isAtomicAdd) {
        Reg v = e_.extract(regs, s, bits);
        Type t = tile_.dtype == vm::DType::f32() ? Type::kF32
                 : tile_.dtype == vm::DType::f16() ? Type::kF16
                 : tile_.dtype == vm::DType::bf16() ? Type::kBF16 : Type::kU32;
        Operand value = Operand::r(v);
        if (bits == 16) {
          Reg h = e_.newReg(RegKind::kB16);
          e_.emit(Op::kCvt, Type::kU16, {Operand::r(h)}, {Operand::r(v)}).type2 = Type::kU32;
          value = Operand::r(h);
        }
        Inst &red = e_.emit(Op::kAtomAdd, t, {Operand::addr(addr)}, {value});
        red.space = space;
        guard(red);
      } else {
        Reg v = e_.extract(regs, s, bits);
        if (bits == 16) {
          Reg h = e_.newReg(RegKind::kB16);
          e_.emit(Op::kCvt, Type::kU16, {Operand::r(h)}, {Operand::r(v)}).type2 = Type::kU32;
          Inst &st = e_.emit(Op::kSt, Type::kB16, {Operand::addr(addr)}, {Operand::r(h)});
          st.space = space;
          guard(st);
        } else {
          Inst &st = e_.emit(Op::kSt, t, {Operand::addr(addr)}, {Operand::r(v)});
          st.space = space;
          guard(st);
        }
      }
      continue;
    }
    Reg subBit{RegKind::kB32, uint32_t(subBitId)};
    if (a_.isLoad) {
      // The element's bits start at bit `subBit` of byte `addr` and may reach the next byte.
      Reg b0 = e_.newReg(RegKind::kB32), b1 = e_.newReg(RegKind::kB32);
      e_.emit(Op::kMov, Type::kB32, {Operand::r(b0)}, {Operand::i(0)});
      e_.emit(Op::kMov, Type::kB32, {Operand::r(b1)}, {Operand::i(0)});
      Inst &l0 = e_.emit(Op::kLd, Type::kU8, {Operand::r(b0)}, {Operand::addr(addr)});
      l0.space = space;
      guard(l0);
      Reg straddle = crossesInBounds(subBit, 8 - bits);
      Inst &l1 = e_.emit(Op::kLd, Type::kU8, {Operand::r(b1)}, {Operand::addr(addr, 1)});
      l1.space = space;
      l1.guarded = true;
      l1.guard = straddle;
      Reg word = e_.newReg(RegKind::kB32), v = e_.newReg(RegKind::kB32);
      e_.emit(Op::kShl, Type::kB32, {Operand::r(word)}, {Operand::r(b1), Operand::i(8)});
      e_.emit(Op::kOr, Type::kB32, {Operand::r(word)}, {Operand::r(word), Operand::r(b0)});
      e_.emit(Op::kShr, Type::kB32, {Operand::r(v)}, {Operand::r(word), Operand::r(subBit)});
      e_.emit(Op::kAnd, Type::kB32, {Operand::r(v)}, {Operand::r(v), Operand::i((1 << bits) - 1)});
      e_.insert(regs, s, bits, v);
      continue;
    }
    // Sub-byte store: clear and set the element's bits in its aligned 32-bit word(s) with
    // atomics, since neighbouring threads own the other bits of the same bytes.
    Reg v = e_.extract(regs, s, bits);
    Reg addr64 = addr;
    // word address = addr & ~3, bit offset in the word = (addr & 3) * 8 + subBit
    Reg wordAddr = e_.newReg(a_.isGlobal ? RegKind::kB64 : RegKind::kB32);
    e_.emit(Op::kAnd, a_.isGlobal ? Type::kB64 : Type::kB32, {Operand::r(wordAddr)},
            {Operand::r(addr64), Operand::i(~3ll)});
    Reg low = e_.newReg(RegKind::kB32);
    if (a_.isGlobal)
      e_.emit(Op::kCvt, Type::kU32, {Operand::r(low)}, {Operand::r(addr64)}).type2 = Type::kU64;
    else
      e_.emit(Op::kMov, Type::kB32, {Operand::r(low)}, {Operand::r(addr64)});
    e_.emit(Op::kAnd, Type::kB32, {Operand::r(low)}, {Operand::r(low), Operand::i(3)});
    Reg off = e_.newReg(RegKind::kB32);
    e_.emit(Op::kMad, Type::kU32, {Operand::r(off)}, {Operand::r(low), Operand::i(8), Operand::r(subBit)});
    // First word: bits [off, min(32, off + bits)).
    Reg mask = e_.newReg(RegKind::kB32), val = e_.newReg(RegKind::kB32), inv = e_.newReg(RegKind::kB32);
    e_.emit(Op::kShl, Type::kB32, {Operand::r(mask)}, {Operand::r(e_.imm32((1u << bits) - 1)), Operand::r(off)});
    e_.emit(Op::kShl, Type::kB32, {Operand::r(val)}, {Operand::r(v), Operand::r(off)});
    e_.emit(Op::kNot, Type::kB32, {Operand::r(inv)}, {Operand::r(mask)});
    ptx::Space sp = space;
    Inst &c0 = e_.emit(Op::kRedAnd, Type::kB32, {Operand::addr(wordAddr)}, {Operand::r(inv)});
    c0.space = sp;
    guard(c0);
    Inst &s0 = e_.emit(Op::kRedOr, Type::kB32, {Operand::addr(wordAddr)}, {Operand::r(val)});
    s0.space = sp;
    guard(s0);
    // Second word when the element crosses it: the high bits, shifted down.
    Reg cross = crossesInBounds(off, 32 - bits);
    Reg back = e_.newReg(RegKind::kB32), hiMask = e_.newReg(RegKind::kB32), hiVal = e_.newReg(RegKind::kB32);
    e_.emit(Op::kSub, Type::kU32, {Operand::r(back)}, {Operand::i(32), Operand::r(off)});
    e_.emit(Op::kShr, Type::kB32, {Operand::r(hiMask)}, {Operand::r(e_.imm32((1u << bits) - 1)), Operand::r(back)});
    e_.emit(Op::kShr, Type::kB32, {Operand::r(hiVal)}, {Operand::r(v), Operand::r(back)});
    e_.emit(Op::kNot, Type::kB32, {Operand::r(hiMask)}, {Operand::r(hiMask)});
    Inst &c1 = e_.emit(Op::kRedAnd, Type::kB32, {Operand::addr(wordAddr, 4)}, {Operand::r(hiMask)});
    c1.space = sp;
    c1.guarded = true;
    c1.guard = cross;
    Inst &s1 = e_.emit(Op::kRedOr, Type::kB32, {Operand::addr(wordAddr, 4)}, {Operand::r(hiVal)});
    s1.space = sp;
    s1.guarded = true;
    s1.guard = cross;
  }
}

void AccessEmitter::run(std::vector<Reg> &regs) {
  // Each path computes what it needs itself (the vector and scalar paths are alternatives).
  resetPath();
  if (a_.isAtomicAdd) {
    scalarPath(regs);
    return;
  }
  std::vector<Run> runs = runsOf(info_);
  int64_t limit = a_.isGlobal || a_.swizzle.isIdentity() ? 1 << 20 : (int64_t(1) << a_.swizzle.base);
  int64_t k = rank_ > 0 ? vectorElements(info_, runs, a_.bits, limit) : 0;
  bool scalarOnly = k == 0 || (k == 1 && a_.bits % 8 != 0);
  if (scalarOnly) {
    zero(regs);
    scalarPath(regs);
    return;
  }
  Reg ok = vectorCondition(k);
  // A global tile accessed in several vectors whose last dimension would be checked per
  // vector: check once that the whole tile lies inside along it (activations along K),
  // and leave only the other dimensions' checks (rows) to each vector.
  int64_t vectors = 0;
  for (const Run &run : runs)
    vectors += (run.count + k - 1) / k;
  bool lastOnce = a_.isGlobal && !staticallyInside(rank_ - 1) && vectors >= 4;
  if (lastOnce)
    ok = both(ok, e_.tileInside(a_.offsets.back(), tile_.shape.back(), a_.dims.back()));
  // A global tile whose vectors would check several rows (distinct coordinates of the
  // checked dimensions): one uniform test that the whole tile lies inside (then the
  // vectors go unchecked), else the checked paths below.
  std::string done = e_.newLabel("access_done");
  bool wholeOnce = false;
  if (a_.isGlobal) {
    int64_t rows = 0;
    for (int d = 0; d < rank_; ++d) {
      if (staticallyInside(d) || (d == rank_ - 1 && lastOnce))
        continue;
      std::set<int64_t> parts;
      for (const auto &sp : info_.slotPart)
        parts.insert(sp[size_t(d)]);
      rows += int64_t(parts.size());
    }
    wholeOnce = rows >= 3;
    if (wholeOnce) {
      Reg fast = ok;
      for (int d = 0; d < rank_; ++d)
        if (!staticallyInside(d))
          fast = both(fast, e_.tileInside(a_.offsets[size_t(d)], tile_.shape[size_t(d)], a_.dims[size_t(d)]));
      std::string checkedLabel = e_.newLabel("edge");
      e_.branch(checkedLabel, &fast, /*negated=*/true);
      allInside_ = true;
      if (k * a_.bits < 32) // vectors of 1 or 2 bytes merge into registers
        zero(regs);
      vectorPath(regs, k);
      e_.branch(done);
      e_.label(checkedLabel);
      resetPath();
    }
  }
  if (ok.id == kAlways) {
    lastDimInside_ = lastOnce;
    zero(regs);
    vectorPath(regs, k);
    if (wholeOnce)
      e_.label(done);
    return;
  }
  std::string scalarLabel = e_.newLabel("unaligned");
  zero(regs);
  e_.branch(scalarLabel, &ok, /*negated=*/true);
  lastDimInside_ = lastOnce;
  vectorPath(regs, k);
  e_.branch(done);
  e_.label(scalarLabel);
  resetPath();
  scalarPath(regs);
  e_.label(done);
}

} // namespace

//===----------------------------------------------------------------------===//
// Instructions
//===----------------------------------------------------------------------===//

absl::Status KernelEmitter::emitMemory(const vm::Instruction &inst) {
  auto offsetsOf = [&](size_t first, size_t count, TileAccess &a) {
    for (size_t i = 0; i < count; ++i) {
      const EValue &v = values_[inst.operands[first + i]];
      a.offsets.push_back(asIndex(v, typeOf(inst.operands[first + i])));
      a.offsetMultiples.push_back(v.multipleOf);
      a.offsetConstants.push_back(v.constant);
      a.offsetDepths.push_back(v.depth);
    }
  };
  auto globalAccess = [&](uint32_t tensorId, TileAccess &a) {
    const EValue &g = values_[tensorId];
    const vm::ValueType &gt = typeOf(tensorId);
    a.isGlobal = true;
    // Prologue values live through the whole kernel: worth it for accesses in loops.
    a.hoistable = g.argument && loopDepth_ > 0;
    a.tensor = tensorId;
    a.address = g.reg;
    a.alignment = g.alignment;
    a.dims = g.regs;
    a.staticDims = gt.shape;
    a.bits = gt.dtype.bits();
  };
  auto sharedAccess = [&](uint32_t tensorId, TileAccess &a) {
    const EValue &s = values_[tensorId];
    const vm::ValueType &st = typeOf(tensorId);
    a.isGlobal = false;
    a.address = s.reg;
    a.alignment = s.alignment;
    a.staticDims = st.shape;
    a.swizzle = st.swizzle;
    a.bits = st.dtype.bits();
    for (int64_t d : st.shape)
      a.dims.push_back(imm64(d));
  };

  switch (inst.opcode) {
  case Opcode::AllocShared: {
    EValue &v = values_[inst.results[0]];
    v.kind = EValue::Kind::kShared;
    v.reg = newReg(RegKind::kB32);
    emit(Op::kMov, Type::kU32, {Operand::r(v.reg)}, {Operand::symbol("smem")});
    emit(Op::kAdd, Type::kU32, {Operand::r(v.reg)}, {Operand::r(v.reg), Operand::i(inst.attr)});
    v.alignment = inst.attr == 0 ? 128 : std::gcd<int64_t>(128, inst.attr);
    return absl::OkStatus();
  }
  case Opcode::SharedSlice: {
    // base + (linear leading index) * slice bytes. Shared addresses are 32-bit, and an
    // index inside the tensor times its stride is a shared offset, so the arithmetic is
    // 32-bit on each index's low half; constant indices fold into one immediate.
    const vm::ValueType &src = typeOf(inst.operands[0]);
    const vm::ValueType &dst = typeOf(inst.results[0]);
    const int64_t bits = src.dtype.bits();
    const int64_t sliceBits = dst.numElements * bits;
    size_t lead = inst.operands.size() - 1;
    EValue &v = values_[inst.results[0]];
    v.kind = EValue::Kind::kShared;
    v.reg = newReg(RegKind::kB32);
    Reg sum = values_[inst.operands[0]].reg;
    int64_t constantBytes = 0;
    int64_t strideBits = sliceBits;
    for (size_t i = lead; i-- > 0;) {
      const EValue &index = values_[inst.operands[1 + i]];
      if (index.constant) {
        constantBytes += *index.constant * strideBits / 8;
      } else {
        Reg idx = asIndex(index, typeOf(inst.operands[1 + i]));
        Reg idx32 = newReg(RegKind::kB32), next = newReg(RegKind::kB32);
        emit(Op::kCvt, Type::kU32, {Operand::r(idx32)}, {Operand::r(idx)}).type2 = Type::kU64;
        emit(Op::kMad, Type::kU32, {Operand::r(next)},
             {Operand::r(idx32), Operand::i(strideBits / 8), Operand::r(sum)});
        sum = next;
      }
      strideBits *= src.shape[i];
    }
    emit(Op::kAdd, Type::kU32, {Operand::r(v.reg)}, {Operand::r(sum), Operand::i(constantBytes)});
    v.alignment = std::gcd<int64_t>(values_[inst.operands[0]].alignment,
                                    sliceBits >= 8 ? sliceBits / 8 : 1);
    return absl::OkStatus();
  }
  case Opcode::GlobalView: {
    const EValue &src = values_[inst.operands[0]];
    const vm::ValueType &rt = typeOf(inst.results[0]);
    EValue &v = values_[inst.results[0]];
    v.kind = EValue::Kind::kGlobal;
    v.reg = newReg(RegKind::kB64);
    Reg off = asIndex(values_[inst.operands[1]], typeOf(inst.operands[1]));
    emit(Op::kAdd, Type::kS64, {Operand::r(v.reg)}, {Operand::r(src.reg), Operand::r(off)});
    v.alignment = std::gcd(src.alignment, values_[inst.operands[1]].multipleOf);
    size_t next = 2;
    for (int64_t d : rt.shape) {
      if (d >= 0) {
        v.regs.push_back(imm64(d));
      } else {
        v.regs.push_back(asIndex(values_[inst.operands[next]], typeOf(inst.operands[next])));
        ++next;
      }
    }
    return absl::OkStatus();
  }
  case Opcode::LoadGlobal:
  case Opcode::LoadShared:
  case Opcode::LoadMatrix: {
    if (inst.opcode == Opcode::LoadMatrix || inst.opcode == Opcode::LoadShared) {
      absl::Status ldm = inst.opcode == Opcode::LoadMatrix ? emitLoadMatrix(inst) : emitRowPairsByLdmatrix(inst);
      if (ldm.code() != absl::StatusCode::kUnimplemented)
        return ldm; // emitted with ldmatrix, or a real error
    }
    TileAccess a;
    a.isLoad = true;
    if (inst.opcode == Opcode::LoadGlobal) {
      globalAccess(inst.operands[0], a);
      a.cache = inst.attr == 1 ? ptx::CacheHint::kEvictFirst
                : inst.attr == 2 ? ptx::CacheHint::kEvictLast : ptx::CacheHint::kNone;
    } else {
      sharedAccess(inst.operands[0], a);
    }
    offsetsOf(1, inst.operands.size() - 1, a);
    const vm::ValueType &tt = typeOf(inst.results[0]);
    EValue &v = values_[inst.results[0]];
    v.kind = EValue::Kind::kTile;
    // Registers left undefined here: each path of the access zeroes them first where it
    // may skip elements (checks, sub-word merges), the unchecked vector path writes them.
    for (int64_t i = 0; i < numRegsOf(tt); ++i)
      v.regs.push_back(newReg(RegKind::kB32));
    AccessEmitter(*this, a, tt).run(v.regs);
    return absl::OkStatus();
  }
  case Opcode::StoreGlobal:
  case Opcode::StoreShared: {
    TileAccess a;
    a.isLoad = false;
    if (inst.opcode == Opcode::StoreGlobal)
      globalAccess(inst.operands[1], a);
    else
      sharedAccess(inst.operands[1], a);
    offsetsOf(2, inst.operands.size() - 2, a);
    const vm::ValueType &tt = typeOf(inst.operands[0]);
    std::vector<Reg> regs = values_[inst.operands[0]].regs;
    AccessEmitter(*this, a, tt).run(regs);
    return absl::OkStatus();
  }
  case Opcode::CopyAsync:
    return emitCopyAsync(inst);
  case Opcode::CopyAsyncCommit:
    emit(Op::kCpAsyncCommit, Type::kNone, {}, {});
    return absl::OkStatus();
  case Opcode::CopyAsyncWait:
    emit(Op::kCpAsyncWait, Type::kNone, {}, {Operand::i(inst.attr)});
    return absl::OkStatus();
  case Opcode::AtomicAdd: {
    const vm::ValueType &tt = typeOf(inst.operands[0]);
    if (tt.dtype == vm::DType::bf16() && target_.major < 9)
      return error(inst, "atomic adds of bf16 need sm_90");
    TileAccess a;
    a.isLoad = false;
    a.isAtomicAdd = true;
    globalAccess(inst.operands[1], a);
    offsetsOf(2, inst.operands.size() - 2, a);
    std::vector<Reg> regs = values_[inst.operands[0]].regs;
    AccessEmitter(*this, a, tt).run(regs);
    return absl::OkStatus();
  }
  default:
    return error(inst, "not a memory instruction");
  }
}

} // namespace tessel::cuda
