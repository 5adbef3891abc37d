// tbvm.dot: mma.sync.m16n8k16 when the operand layouts are made of the PTX fragments
// (a tile layout divided by the fragment layout gives, per warp, which fragments it
// holds), else the CUDA-core product (each thread holds the rows and columns of its
// elements, per the verifier's rule). tbvm.dot_sparse: mma.sp::ordered_metadata m16n8k32
// on the sparse fragments (vm/Fragments.h), else the same CUDA-core product.
#include "cuda/KernelEmitter.h"

#include "vm/Fragments.h"
#include "vm/Numerics.h"

#include <array>
#include <cmath>
#include <map>
#include <set>
#include <tuple>

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
  // Operands whose registers carry a cast's constant or scale (EValue::bias): the mma
  // path takes out one operand's (the other is made exact first); the CUDA cores read
  // exact registers.
  uint32_t aId = inst.operands[0], bId = inst.operands[sparse ? 2 : 1];
  // (The sparse mma takes exact operands: its kept values and 4-register B fragments have
  // no correction here. The emitter does not fold casts that dot_sparse reads, so this
  // is defensive.)
  auto carries = [&](uint32_t id) { return !sparse && values_[id].carriesConstant(); };
  std::vector<Reg> ar = values_[aId].regs, br = values_[bId].regs;
  for (auto [id, regs, type] : {std::tuple{aId, &ar, &at}, std::tuple{bId, &br, &bt}})
    if (sparse && values_[id].carriesConstant())
      *regs = unbiased(values_[id], *type);
  const std::vector<Reg> &cr = values_[inst.operands[sparse ? 3 : 2]].regs;
  bool zeroC = values_[inst.operands[sparse ? 3 : 2]].zero;
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
    // Which A, B (and metadata) fragments each (C fragment, k tile) reads: the same slots
    // for every warp, or no static form.
    int64_t tiles = qc->localSize();
    std::vector<std::array<int64_t, 3>> slots(size_t(tiles * kTiles)); // a, b, metadata
    bool ok = true;
    for (int64_t c = 0; c < tiles && ok; ++c)
      for (int64_t kk = 0; kk < kTiles && ok; ++kk) {
        std::array<int64_t, 3> &sl = slots[size_t(c * kTiles + kk)];
        sl = {-1, -1, -1};
        for (int64_t w = 0; w < warps; ++w) {
          std::vector<int64_t> mn = qc->indexOf(w, c);
          int64_t ai[2] = {mn[0], kk}, bi[2] = {kk, mn[1]};
          int64_t as = commonSlot(*qa, ai), bs = commonSlot(*qb, bi);
          int64_t ms = sparse ? commonSlot(*qm, ai) : 0;
          if ((sl[0] >= 0 && as != sl[0]) || (sl[1] >= 0 && bs != sl[1]) || (sl[2] >= 0 && ms != sl[2]))
            ok = false;
          sl = {as, bs, ms};
        }
      }
    if (ok && !sparse && mmaFloat && zeroC && values_[aId].splat && !carries(aId) && !carries(bId)) {
      // A constant A tile times B from zero: rows g + 8 of a correction chain over the
      // same B fragments compute it (every row of its D is the same), when one precedes
      // it in this block with those rows free or already holding this constant.
      uint32_t word = *values_[aId].splat;
      // (Still the chain it was: nothing rewrote its mmas since.)
      auto intact = [&](const SharedChain &chain) {
        for (size_t i = 0; i < chain.mmas.size(); ++i) {
          const Inst &m = kernel_.body[chain.mmas[i]];
          if (m.op != Op::kMma || m.src.size() < 4 ||
              (i + 1 == chain.mmas.size() && m.dst[0].reg.id != chain.out[0].id))
            return false;
        }
        return true;
      };
      std::vector<SharedChain *> found;
      for (int64_t c = 0; c < tiles; ++c) {
        std::vector<int64_t> seq;
        for (int64_t kk = 0; kk < kTiles; ++kk)
          seq.push_back(slots[size_t(c * kTiles + kk)][1]);
        // The latest such chain.
        SharedChain *match = nullptr;
        for (auto it = sharedChains_.rbegin(); it != sharedChains_.rend() && !match; ++it)
          if (it->block == currentBlock_ && it->b == bId && it->bSlots == seq &&
              (!it->upper || *it->upper == word) && intact(*it))
            match = &*it;
        if (!match)
          break;
        found.push_back(match);
      }
      if (int64_t(found.size()) == tiles) {
        Reg constant = prologueWord(word);
        out.regs.clear();
        for (SharedChain *chain : found) {
          if (!chain->upper) {
            for (size_t i : chain->mmas) {
              kernel_.body[i].src[1] = Operand::r(constant);
              kernel_.body[i].src[3] = Operand::r(constant);
            }
            chain->upper = word;
          }
          const std::vector<Reg> &d = chain->out;
          for (Reg r : {d[2], d[3], d[2], d[3]})
            out.regs.push_back(r);
        }
        return absl::OkStatus();
      }
    }
    if (ok) {
      // At most one operand keeps its constant or scale: b is made exact when both carry.
      if (carries(aId) && carries(bId))
        br = unbiased(values_[bId], bt);
      bool aCarries = carries(aId), bCarries = !aCarries && carries(bId);
      const EValue *carrier = aCarries ? &values_[aId] : bCarries ? &values_[bId] : nullptr;
      Type inType = in == DType::f16() ? Type::kF16 : Type::kBF16;
      auto mma = [&](const Reg *a, const Reg *b, const std::vector<Reg> &c, const Reg *meta) {
        Inst m;
        m.op = sparse ? Op::kMmaSp : Op::kMma;
        if (mmaInt8) {
          m.type = Type::kS32;
          m.type2 = in.isUnsignedInteger() ? Type::kU8 : Type::kS8;
        } else {
          m.type = Type::kF32;
          m.type2 = inType;
        }
        std::vector<Reg> next;
        for (int i = 0; i < 4; ++i) {
          next.push_back(newReg(RegKind::kB32));
          m.dst.push_back(Operand::r(next.back()));
        }
        for (int i = 0; i < 4; ++i)
          m.src.push_back(Operand::r(a[i]));
        for (int i = 0; i < bRegs; ++i)
          m.src.push_back(Operand::r(b[i]));
        for (int i = 0; i < 4; ++i)
          m.src.push_back(Operand::r(c[size_t(i)]));
        if (meta) {
          // Every lane holds its metadata register (mmaSpMetaLayout replicates it over
          // the lane pairs), so sparsity selector 0 (lanes 4g and 4g + 1) reads it.
          m.src.push_back(Operand::r(*meta));
          m.src.push_back(Operand::i(0));
        }
        kernel_.body.push_back(m);
        return next;
      };
      auto word = [&](uint32_t w) { return prologueWord(w); };
      auto zeros = [&] { return std::vector<Reg>(4, word(0)); };
      // A carried constant: sum over k of (a - bias_a) b = sum a b - sum bias_a b. The
      // second sum, negated, is a chain of mmas of the constants' fragments (-bias,
      // immediates) with the other operand's fragments. Per C fragment, the constants of
      // each k tile and the other operand's fragment it meets:
      int64_t fragRegs = aCarries ? 4 : 2;
      auto constants = [&](int64_t c, std::vector<uint32_t> &words) {
        std::vector<int64_t> key;
        for (int64_t kk = 0; kk < kTiles; ++kk) {
          const std::array<int64_t, 3> &sl = slots[size_t(c * kTiles + kk)];
          key.push_back(aCarries ? sl[1] : sl[0]);
          for (int64_t i = 0; i < fragRegs; ++i) {
            int64_t r = (aCarries ? sl[0] : sl[1]) * fragRegs + i;
            auto half = [&](int64_t slot) {
              return slot < int64_t(carrier->bias.size()) ? carrier->bias[size_t(slot)] ^ 0x8000u : 0u;
            };
            words.push_back(half(2 * r) | half(2 * r + 1) << 16);
            key.push_back(words.back());
          }
        }
        return key;
      };
      auto correctionMma = [&](int64_t c, int64_t kk, const std::vector<uint32_t> &words,
                               const std::vector<Reg> &acc) {
        const std::array<int64_t, 3> &sl = slots[size_t(c * kTiles + kk)];
        std::vector<Reg> frag;
        for (int64_t i = 0; i < fragRegs; ++i)
          frag.push_back(word(words[size_t(kk * fragRegs + i)]));
        return aCarries ? mma(frag.data(), &br[size_t(bRegs * sl[1])], acc, nullptr)
                        : mma(&ar[size_t(4 * sl[0])], frag.data(), acc, nullptr);
      };
      // The chain is shared by the C fragments with the same key (the low-bit GEMM's
      // weights: one per 128-wide step for all the warp's column tiles); each fragment
      // then starts from it, or adds it to C. Where that costs more than chaining each
      // fragment's own correction mmas into its product (a nonzero C and few k tiles: the
      // slices of a shared-memory pipeline), each does that. (An mma counted as two
      // instructions: ptxas's SASS counts of the low-bit GEMM's loops chose that.)
      int scaleExp = carrier ? carrier->scaleExp : 0;
      bool biased = carrier && !carrier->bias.empty();
      bool inChain = false;
      if (biased && !zeroC) {
        std::set<std::vector<int64_t>> keys;
        for (int64_t c = 0; c < tiles; ++c) {
          std::vector<uint32_t> words;
          keys.insert(constants(c, words));
        }
        inChain = 2 * tiles * kTiles <= 2 * int64_t(keys.size()) * kTiles + 4 * tiles;
      }
      std::map<std::vector<int64_t>, std::vector<Reg>> corrections;
      auto correction = [&](int64_t c) {
        std::vector<uint32_t> words;
        auto [it, fresh] = corrections.emplace(constants(c, words), std::vector<Reg>());
        if (fresh) {
          // Rows g and g + 8 of every constant fragment alike (A fragments: registers
          // 0 = 1 and 2 = 3), and a dot of a constant tile over the same B to come: the
          // readers take rows g, and that dot rows g + 8 (SharedChain). Not for chains of
          // under 4 mmas (the shared pipeline's 32-wide slices: 2), where the moves ptxas
          // then makes for {D0, D1, D0, D1} cost more than the mmas saved (SASS).
          bool rowsAlike = aCarries && splatDotOperand_[bId] && kTiles >= 4;
          for (int64_t kk = 0; kk < kTiles && rowsAlike; ++kk)
            rowsAlike = words[size_t(4 * kk)] == words[size_t(4 * kk + 1)] &&
                        words[size_t(4 * kk + 2)] == words[size_t(4 * kk + 3)];
          SharedChain chain{currentBlock_, bId, {}, {}, {}, std::nullopt};
          it->second = zeros();
          for (int64_t kk = 0; kk < kTiles; ++kk) {
            it->second = correctionMma(c, kk, words, it->second);
            chain.bSlots.push_back(slots[size_t(c * kTiles + kk)][1]);
            chain.mmas.push_back(kernel_.body.size() - 1);
          }
          if (rowsAlike) {
            chain.out = it->second;
            sharedChains_.push_back(std::move(chain));
            const std::vector<Reg> &d = it->second;
            it->second = {d[0], d[1], d[0], d[1]};
          }
        }
        return it->second;
      };
      // Each C fragment's chain of products (from its start: C, the constants' correction,
      // or zero), then its scaling.
      std::vector<std::vector<Reg>> accs{size_t(tiles)};
      std::vector<std::vector<uint32_t>> ownWords{size_t(tiles)};
      for (int64_t c = 0; c < tiles; ++c) {
        std::vector<Reg> &accRegs = accs[size_t(c)];
        accRegs.assign(cr.begin() + 4 * c, cr.begin() + 4 * c + 4);
        if (inChain) {
          constants(c, ownWords[size_t(c)]);
        } else if (biased) {
          std::vector<Reg> minus = correction(c);
          if (zeroC) {
            accRegs = minus;
          } else {
            for (int i = 0; i < 4; ++i) {
              Reg d = newReg(RegKind::kB32);
              emit(Op::kAdd, Type::kF32, {Operand::r(d)}, {Operand::r(accRegs[size_t(i)]), Operand::r(minus[size_t(i)])})
                  .rounding = ptx::Rounding::kRn;
              accRegs[size_t(i)] = d;
            }
          }
        } else if (scaleExp != 0 && !zeroC) {
          accRegs = zeros(); // the scaled sum first, then C (below)
        }
      }
      for (int64_t c = 0; c < tiles; ++c)
        for (int64_t kk = 0; kk < kTiles; ++kk) {
          std::vector<Reg> &accRegs = accs[size_t(c)];
          const std::array<int64_t, 3> &sl = slots[size_t(c * kTiles + kk)];
          if (inChain)
            accRegs = correctionMma(c, kk, ownWords[size_t(c)], accRegs);
          accRegs = mma(&ar[size_t(4 * sl[0])], &br[size_t(bRegs * sl[1])], accRegs,
                        sparse ? &(*mr)[size_t(sl[2])] : nullptr);
        }
      std::vector<Reg> result(cr.size());
      for (int64_t c = 0; c < tiles; ++c) {
        std::vector<Reg> &accRegs = accs[size_t(c)];
        if (scaleExp != 0) {
          // The sum is 2^-scaleExp times the product, exactly: scale it (plus C).
          Operand factor = Operand::i(vm::floatToBits(std::ldexp(1.0f, scaleExp)));
          for (int i = 0; i < 4; ++i) {
            Reg d = newReg(RegKind::kB32);
            if (zeroC)
              emit(Op::kMul, Type::kF32, {Operand::r(d)}, {Operand::r(accRegs[size_t(i)]), factor})
                  .rounding = ptx::Rounding::kRn;
            else
              emit(Op::kFma, Type::kF32, {Operand::r(d)},
                   {Operand::r(accRegs[size_t(i)]), factor, Operand::r(cr[size_t(4 * c + i)])})
                  .rounding = ptx::Rounding::kRn;
            accRegs[size_t(i)] = d;
          }
        }
        for (int i = 0; i < 4; ++i)
          result[size_t(4 * c + i)] = accRegs[size_t(i)];
      }
      out.regs = result;
      return absl::OkStatus();
    }
    // Fall through to CUDA cores when the fragment assignment is not static.
  }
  if (carries(aId))
    ar = unbiased(values_[aId], at);
  if (carries(bId))
    br = unbiased(values_[bId], bt);

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

std::vector<Reg> KernelEmitter::unbiased(const EValue &value, const vm::ValueType &type) {
  bool half = type.dtype == DType::f16();
  auto bits = [&](float v) { return half ? vm::floatToHalf(v) : vm::floatToBits(v) >> 16; };
  std::vector<Reg> out;
  for (size_t r = 0; r < value.regs.size(); ++r) {
    // t * 2^e - bias (a cast leaves a constant or a scale, not both): exact, t being the
    // value plus the constant, or the value times 2^-e. One fma (bf16x2 too on sm_80);
    // the shift is -0 without a constant.
    uint32_t scale = bits(std::ldexp(1.0f, value.scaleExp)), shift[2] = {0x8000u, 0x8000u};
    for (size_t h = 0; h < 2; ++h)
      if (2 * r + h < value.bias.size())
        shift[h] = value.bias[2 * r + h] ^ 0x8000u;
    Reg d = newReg(RegKind::kB32);
    emit(Op::kFma, half ? Type::kF16x2 : Type::kBF16x2, {Operand::r(d)},
         {Operand::r(value.regs[r]), Operand::r(imm32(scale | scale << 16)),
          Operand::r(imm32(shift[0] | shift[1] << 16))})
        .rounding = ptx::Rounding::kRn;
    out.push_back(d);
  }
  return out;
}

} // namespace tessel::cuda
