// tbvm.dot: mma.sync.m16n8k16 when the operand layouts are made of the PTX fragments
// (a tile layout divided by the fragment layout gives, per warp, which fragments it
// holds), else the CUDA-core product (each thread holds the rows and columns of its
// elements, per the verifier's rule). tbvm.dot_sparse: mma.sp::ordered_metadata m16n8k32
// on the sparse fragments (vm/Fragments.h), else the same CUDA-core product.
#include "cuda/KernelEmitter.h"

#include "vm/Fragments.h"

namespace tessel::cuda {

using vm::DType;
using vm::Opcode;

namespace {
// The slot that holds element `index` for every thread in `threads` (which must all hold
// it in the same slot), or -1.
int64_t commonSlot(const vm::Layout &layout, const int64_t *index) {
  return layout.slotOf(index);
}
} // namespace

absl::Status KernelEmitter::emitDot(const vm::Instruction &inst) {
  bool sparse = inst.opcode == Opcode::DotSparse;
  const vm::ValueType &at = typeOf(inst.operands[0]);
  const vm::ValueType &bt = typeOf(inst.operands[sparse ? 2 : 1]);
  const vm::ValueType &ct = typeOf(inst.operands[sparse ? 3 : 2]);
  const vm::Layout &la = program_.layoutOf(at), &lb = program_.layoutOf(bt), &lc = program_.layoutOf(ct);
  const std::vector<Reg> &ar = values_[inst.operands[0]].regs;
  const std::vector<Reg> &br = values_[inst.operands[sparse ? 2 : 1]].regs;
  const std::vector<Reg> &cr = values_[inst.operands[sparse ? 3 : 2]].regs;
  EValue &out = values_[inst.results[0]];
  out.kind = EValue::Kind::kTile;
  int64_t M = ct.shape[0], N = ct.shape[1], K = bt.shape[0];
  DType in = at.dtype, acc = ct.dtype;

  // ---- tensor cores ----
  // f16/bf16 -> f32 on mma.m16n8k16 (sparse: mma.sp::ordered_metadata m16n8k32, the kept
  // values an m16n8k16 A fragment, one metadata register per fragment); 8-bit integers (A
  // and B of one signedness) -> 32-bit integers on mma.m16n8k32 (.s8/.u8, wrapping .s32
  // sums like the CPU's integer dot).
  DType inB = bt.dtype;
  bool mmaFloat = (in == DType::f16() || in == DType::bf16()) && inB == in && acc == DType::f32();
  bool mmaInt8 = !sparse && in.isInteger() && in.bits() == 8 && inB.isInteger() &&
                 inB.bits() == 8 && in.isUnsignedInteger() == inB.isUnsignedInteger() &&
                 acc.isInteger() && acc.bits() == 32;
  std::optional<vm::Layout> qa, qb, qc, qm;
  if (mmaFloat || mmaInt8) {
    qa = la.divide(mmaInt8 ? vm::mmaA8Layout() : vm::mmaALayout());
    qb = lb.divide(mmaInt8 ? vm::mmaB8Layout() : sparse ? vm::mmaSpBLayout() : vm::mmaBLayout());
    qc = lc.divide(vm::mmaCLayout());
    if (sparse)
      qm = program_.layoutOf(typeOf(inst.operands[1])).divide(vm::mmaSpMetaLayout());
  }
  if (qa && qb && qc && (!sparse || qm)) {
    const std::vector<Reg> *mr = sparse ? &values_[inst.operands[1]].regs : nullptr;
    int64_t warps = qc->numThreads();
    int64_t kTiles = K / (mmaInt8 || sparse ? 32 : 16);
    int bRegs = sparse ? 4 : 2; // 32-bit registers per B fragment
    std::vector<Reg> result(cr.size());
    bool ok = true;
    for (int64_t c = 0; c < qc->localSize() && ok; ++c) {
      std::vector<Reg> accRegs(cr.begin() + 4 * c, cr.begin() + 4 * c + 4);
      for (int64_t kk = 0; kk < kTiles && ok; ++kk) {
        // Which A, B (and metadata) fragments: the same slots for every warp, or no static
        // form.
        int64_t aSlot = -1, bSlot = -1, mSlot = -1;
        for (int64_t w = 0; w < warps; ++w) {
          std::vector<int64_t> mn = qc->indexOf(w, c);
          int64_t ai[2] = {mn[0], kk}, bi[2] = {kk, mn[1]};
          int64_t as = commonSlot(*qa, ai), bs = commonSlot(*qb, bi);
          int64_t ms = sparse ? commonSlot(*qm, ai) : 0;
          if ((aSlot >= 0 && as != aSlot) || (bSlot >= 0 && bs != bSlot) ||
              (mSlot >= 0 && ms != mSlot))
            ok = false;
          aSlot = as;
          bSlot = bs;
          mSlot = ms;
        }
        if (!ok)
          break;
        std::vector<Reg> next;
        Inst mma;
        mma.op = sparse ? Op::kMmaSp : Op::kMma;
        if (mmaInt8) {
          mma.type = Type::kS32;
          mma.type2 = in.isUnsignedInteger() ? Type::kU8 : Type::kS8;
        } else {
          mma.type = Type::kF32;
          mma.type2 = in == DType::f16() ? Type::kF16 : Type::kBF16;
        }
        for (int i = 0; i < 4; ++i) {
          Reg d = newReg(RegKind::kB32);
          next.push_back(d);
          mma.dst.push_back(Operand::r(d));
        }
        for (int i = 0; i < 4; ++i)
          mma.src.push_back(Operand::r(ar[size_t(4 * aSlot + i)]));
        for (int i = 0; i < bRegs; ++i)
          mma.src.push_back(Operand::r(br[size_t(bRegs * bSlot + i)]));
        for (int i = 0; i < 4; ++i)
          mma.src.push_back(Operand::r(accRegs[size_t(i)]));
        if (sparse) {
          // Every lane holds its metadata register (mmaSpMetaLayout replicates it over
          // the lane pairs), so sparsity selector 0 (lanes 4g and 4g + 1) reads it.
          mma.src.push_back(Operand::r((*mr)[size_t(mSlot)]));
          mma.src.push_back(Operand::i(0));
        }
        kernel_.body.push_back(mma);
        accRegs = next;
      }
      for (int i = 0; i < 4; ++i)
        result[size_t(4 * c + i)] = accRegs[size_t(i)];
    }
    if (ok) {
      out.regs = result;
      return absl::OkStatus();
    }
    // Fall through to CUDA cores when the fragment assignment is not static.
  }

  // ---- CUDA cores: per accumulator slot, a chain of f32 fmas over k ----
  if (acc != DType::f32() && !(acc.isInteger() && acc.bits() == 32))
    return error(inst, "CUDA-core products accumulate in f32 or i32 here");
  const vm::ValueType *metaType = sparse ? &typeOf(inst.operands[1]) : nullptr;
  const std::vector<Reg> *metaRegs = sparse ? &values_[inst.operands[1]].regs : nullptr;
  int64_t threads = lc.numThreads();
  unsigned ib = in.bits();
  bool floatIn = in.isFloat();
  // Operand slots must not depend on the thread (registers cannot be indexed at run time).
  auto staticSlot = [&](const vm::Layout &l, int64_t r, int64_t c, int64_t cSlot, bool &ok) {
    int64_t slot = -1;
    for (int64_t t = 0; t < threads; ++t) {
      std::vector<int64_t> mn = lc.indexOf(t, cSlot);
      int64_t idx[2] = {r < 0 ? mn[0] : r, c < 0 ? mn[1] : c};
      int64_t s = l.slotOf(idx);
      if (slot >= 0 && s != slot)
        ok = false;
      slot = s;
    }
    return slot;
  };
  std::map<int64_t, Reg> aCache, bCache;
  auto operandValue = [&](const std::vector<Reg> &regs, std::map<int64_t, Reg> &cache, int64_t slot) {
    auto it = cache.find(slot);
    if (it != cache.end())
      return it->second;
    Reg v = extract(regs, slot, ib);
    Reg f = newReg(RegKind::kB32);
    if (!floatIn) {
      f = in.isUnsignedInteger() ? v : signExtend(v, ib);
    } else if (in == DType::f32()) {
      f = v;
    } else if (in == DType::f16()) {
      Reg h = newReg(RegKind::kB16);
      emit(Op::kCvt, Type::kU16, {Operand::r(h)}, {Operand::r(v)}).type2 = Type::kU32;
      emit(Op::kCvt, Type::kF32, {Operand::r(f)}, {Operand::r(h)}).type2 = Type::kF16;
    } else {
      emit(Op::kShl, Type::kB32, {Operand::r(f)}, {Operand::r(v), Operand::i(16)});
    }
    cache[slot] = f;
    return f;
  };
  out.regs.clear();
  for (int64_t s = 0; s < lc.localSize(); ++s) {
    Reg accReg = cr[size_t(s)];
    for (int64_t k = 0; k < K; ++k) {
      bool ok = true;
      Reg a;
      if (sparse) {
        // a[m, k]: the metadata of group k/4 says whether position k%4 is kept, and at
        // which of its two value slots.
        int64_t g = k / 4, pos = k % 4;
        int64_t metaSlot = staticSlot(program_.layoutOf(*metaType), -1, g, s, ok);
        int64_t v0 = staticSlot(la, -1, 2 * g, s, ok), v1 = staticSlot(la, -1, 2 * g + 1, s, ok);
        if (!ok)
          return error(inst, "operand slots depend on the thread; no static register form");
        Reg meta = extract(*metaRegs, metaSlot, 4);
        Reg i0 = newReg(RegKind::kB32), i1 = newReg(RegKind::kB32);
        emit(Op::kAnd, Type::kB32, {Operand::r(i0)}, {Operand::r(meta), Operand::i(3)});
        emit(Op::kShr, Type::kB32, {Operand::r(i1)}, {Operand::r(meta), Operand::i(2)});
        Reg x0 = operandValue(ar, aCache, v0), x1 = operandValue(ar, aCache, v1);
        Reg p0 = newReg(RegKind::kPred), p1 = newReg(RegKind::kPred);
        emit(Op::kSetp, Type::kU32, {Operand::r(p0)}, {Operand::r(i0), Operand::i(pos)}).cmp = ptx::Cmp::kEq;
        emit(Op::kSetp, Type::kU32, {Operand::r(p1)}, {Operand::r(i1), Operand::i(pos)}).cmp = ptx::Cmp::kEq;
        a = newReg(RegKind::kB32);
        emit(Op::kMov, Type::kB32, {Operand::r(a)}, {Operand::i(0)});
        Inst &m1 = emit(Op::kMov, Type::kB32, {Operand::r(a)}, {Operand::r(x1)});
        m1.guarded = true;
        m1.guard = p1;
        Inst &m0 = emit(Op::kMov, Type::kB32, {Operand::r(a)}, {Operand::r(x0)});
        m0.guarded = true;
        m0.guard = p0;
      } else {
        int64_t as = staticSlot(la, -1, k, s, ok);
        if (!ok)
          return error(inst, "operand slots depend on the thread; no static register form");
        a = operandValue(ar, aCache, as);
      }
      int64_t bs = staticSlot(lb, k, -1, s, ok);
      if (!ok)
        return error(inst, "operand slots depend on the thread; no static register form");
      Reg b = operandValue(br, bCache, bs);
      Reg next = newReg(RegKind::kB32);
      if (floatIn) {
        emit(Op::kFma, Type::kF32, {Operand::r(next)}, {Operand::r(a), Operand::r(b), Operand::r(accReg)})
            .rounding = ptx::Rounding::kRn;
      } else {
        emit(Op::kMad, Type::kS32, {Operand::r(next)}, {Operand::r(a), Operand::r(b), Operand::r(accReg)});
      }
      accReg = next;
    }
    out.regs.push_back(accReg);
  }
  (void)M;
  (void)N;
  return absl::OkStatus();
}

} // namespace tessel::cuda
