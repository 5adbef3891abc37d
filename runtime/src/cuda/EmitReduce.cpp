// Cross-slot and cross-thread instructions: reduce (within the thread, then butterfly
// shuffles inside a warp, then shared memory across warps), broadcast (a static slot
// copy, which the verifier's holding rule makes possible), shuffle (through shared
// memory) and lookup.
#include "cuda/KernelEmitter.h"

#include "vm/Numerics.h"

#include <map>

namespace tessel::cuda {

using vm::DType;

namespace {
enum class ReduceKind { kSum, kMax, kMin };
} // namespace

// Whether every thread maps each slot of `from` to the same slot of `to` under `map`
// (an element transformation); fills `slotMap`.
static bool staticSlotMap(const vm::Layout &from, const vm::Layout &to,
                          const std::function<std::vector<int64_t>(std::vector<int64_t>)> &map,
                          std::vector<int64_t> &slotMap) {
  slotMap.assign(size_t(from.localSize()), -1);
  for (int64_t t = 0; t < from.numThreads(); ++t) {
    for (int64_t s = 0; s < from.localSize(); ++s) {
      std::vector<int64_t> x = map(from.indexOf(t, s));
      int64_t target = to.slotOf(x.data());
      if (slotMap[size_t(s)] >= 0 && slotMap[size_t(s)] != target)
        return false;
      slotMap[size_t(s)] = target;
    }
  }
  return true;
}

absl::Status KernelEmitter::emitReduce(const vm::Instruction &inst) {
  const vm::ValueType &st = typeOf(inst.operands[0]);
  const vm::ValueType &rt = typeOf(inst.results[0]);
  const vm::Layout &ls = program_.layoutOf(st), &lr = program_.layoutOf(rt);
  int dim = int(inst.attr);
  DType e = st.dtype;
  unsigned bits = e.bits();
  ReduceKind kind = ReduceKind(inst.kind);
  const std::vector<Reg> &src = values_[inst.operands[0]].regs;

  // Combine two values held as 32-bit registers (floats as f32, integers extended).
  bool isFloat = e.isFloat();
  auto toWork = [&](Reg v) -> Reg {
    if (!isFloat)
      return e.isUnsignedInteger() ? v : signExtend(v, bits);
    if (e == DType::f32())
      return v;
    Reg f = newReg(RegKind::kB32);
    if (e == DType::f16()) {
      Reg h = newReg(RegKind::kB16);
      emit(Op::kCvt, Type::kU16, {Operand::r(h)}, {Operand::r(v)}).type2 = Type::kU32;
      emit(Op::kCvt, Type::kF32, {Operand::r(f)}, {Operand::r(h)}).type2 = Type::kF16;
    } else {
      emit(Op::kShl, Type::kB32, {Operand::r(f)}, {Operand::r(v), Operand::i(16)});
    }
    return f;
  };
  // Partial results are rounded to the element type after every combine, as the CPU
  // executor accumulates in the element type.
  auto round = [&](Reg f) -> Reg {
    if (!isFloat || e == DType::f32())
      return f;
    Reg h = newReg(RegKind::kB16), r = newReg(RegKind::kB32);
    Inst &c = emit(Op::kCvt, e == DType::f16() ? Type::kF16 : Type::kBF16, {Operand::r(h)}, {Operand::r(f)});
    c.type2 = Type::kF32;
    c.rounding = ptx::Rounding::kRn;
    Reg w = newReg(RegKind::kB32);
    emit(Op::kCvt, Type::kU32, {Operand::r(w)}, {Operand::r(h)}).type2 = Type::kU16;
    (void)r;
    return toWork(w);
  };
  auto combine = [&](Reg a, Reg b) -> Reg {
    Reg d = newReg(RegKind::kB32);
    Type t = isFloat ? Type::kF32 : e.isUnsignedInteger() ? Type::kU32 : Type::kS32;
    Op op = kind == ReduceKind::kSum ? Op::kAdd : kind == ReduceKind::kMax ? Op::kMax : Op::kMin;
    Inst &i = emit(op, t, {Operand::r(d)}, {Operand::r(a), Operand::r(b)});
    if (isFloat && op == Op::kAdd)
      i.rounding = ptx::Rounding::kRn;
    return isFloat ? round(d) : d;
  };

  // 1. Within the thread: combine the slots that reduce to the same result slot.
  std::vector<int64_t> toResult;
  auto zeroDim = [&](std::vector<int64_t> x) {
    x[size_t(dim)] = 0;
    return x;
  };
  if (!staticSlotMap(ls, lr, zeroDim, toResult))
    return error(inst, "reduce whose slots map differently per thread");
  std::vector<Reg> partial(size_t(lr.localSize()));
  std::vector<bool> have(size_t(lr.localSize()), false);
  for (int64_t s = 0; s < ls.localSize(); ++s) {
    Reg v = toWork(extract(src, s, bits));
    size_t r = size_t(toResult[size_t(s)]);
    partial[r] = have[r] ? combine(partial[r], v) : v;
    have[r] = true;
  }

  // 2. Across threads: the spatial modes of `dim` (threads that differ only in them hold
  // parts of the same result element).
  const auto &spatial = ls.spatialModes();
  const auto &modes = ls.modeShape();
  const auto &modeDims = ls.modeDims();
  std::vector<int64_t> threadStride(spatial.size(), 1);
  for (size_t i = spatial.size(); i-- > 0;)
    if (i + 1 < spatial.size()) {
      int64_t next = spatial[i + 1];
      threadStride[i] = threadStride[i + 1] * (next >= 0 ? modes[size_t(next)] : -next);
    }
  for (size_t i = 0; i < spatial.size(); ++i) {
    if (spatial[i] < 0 || modeDims[size_t(spatial[i])] != dim)
      continue;
    int64_t size = modes[size_t(spatial[i])], stride = threadStride[i];
    bool pow2 = (size & (size - 1)) == 0 && (stride & (stride - 1)) == 0;
    if (pow2 && size * stride <= 32) {
      for (int64_t k = 1; k < size; k *= 2)
        for (Reg &p : partial) {
          Reg other = newReg(RegKind::kB32);
          Inst &sh = emit(Op::kShfl, Type::kB32, {Operand::r(other)},
                          {Operand::r(p), Operand::i(k * stride), Operand::i(0x1F), Operand::i(0xFFFFFFFFll)});
          sh.shfl = ptx::ShflMode::kBfly;
          p = combine(p, other);
        }
      continue;
    }
    // Through shared memory: every thread writes its partials, then reads the partials of
    // the `size` threads of its group in a fixed order.
    int64_t threads = fn_.numThreads(), nparts = int64_t(partial.size());
    int64_t base = scratch(threads * nparts * 4);
    Reg myBase = newReg(RegKind::kB32);
    emit(Op::kMov, Type::kU32, {Operand::r(myBase)}, {Operand::symbol("smem")});
    emit(Op::kAdd, Type::kU32, {Operand::r(myBase)}, {Operand::r(myBase), Operand::i(base)});
    emit(Op::kBar, Type::kNone, {}, {});
    Reg mine = newReg(RegKind::kB32);
    emit(Op::kMad, Type::kU32, {Operand::r(mine)}, {Operand::r(tid_), Operand::i(nparts * 4), Operand::r(myBase)});
    for (int64_t r = 0; r < nparts; ++r)
      emit(Op::kSt, Type::kB32, {Operand::addr(mine, r * 4)}, {Operand::r(partial[size_t(r)])}).space = ptx::Space::kShared;
    emit(Op::kBar, Type::kNone, {}, {});
    // The group's first thread: tid - digit * stride, digit = tid / stride % size.
    Reg digit = newReg(RegKind::kB32), first = newReg(RegKind::kB32);
    emit(Op::kDiv, Type::kU32, {Operand::r(digit)}, {Operand::r(tid_), Operand::i(stride)});
    emit(Op::kRem, Type::kU32, {Operand::r(digit)}, {Operand::r(digit), Operand::i(size)});
    emit(Op::kMul, Type::kU32, {Operand::r(digit)}, {Operand::r(digit), Operand::i(stride)});
    emit(Op::kSub, Type::kU32, {Operand::r(first)}, {Operand::r(tid_), Operand::r(digit)});
    std::vector<Reg> combined(partial.size());
    for (int64_t j = 0; j < size; ++j) {
      Reg peer = newReg(RegKind::kB32), addr = newReg(RegKind::kB32);
      emit(Op::kAdd, Type::kU32, {Operand::r(peer)}, {Operand::r(first), Operand::i(j * stride)});
      emit(Op::kMad, Type::kU32, {Operand::r(addr)}, {Operand::r(peer), Operand::i(nparts * 4), Operand::r(myBase)});
      for (int64_t r = 0; r < nparts; ++r) {
        Reg v = newReg(RegKind::kB32);
        emit(Op::kLd, Type::kB32, {Operand::r(v)}, {Operand::addr(addr, r * 4)}).space = ptx::Space::kShared;
        combined[size_t(r)] = j == 0 ? v : combine(combined[size_t(r)], v);
      }
    }
    partial = combined;
    emit(Op::kBar, Type::kNone, {}, {});
  }

  // 3. Back to the element type, packed.
  EValue &out = values_[inst.results[0]];
  out.kind = EValue::Kind::kTile;
  out.regs = newTile(rt);
  for (int64_t r = 0; r < lr.localSize(); ++r) {
    Reg v = partial[size_t(r)];
    if (isFloat && e != DType::f32()) {
      Reg h = newReg(RegKind::kB16), w = newReg(RegKind::kB32);
      Inst &c = emit(Op::kCvt, e == DType::f16() ? Type::kF16 : Type::kBF16, {Operand::r(h)}, {Operand::r(v)});
      c.type2 = Type::kF32;
      c.rounding = ptx::Rounding::kRn;
      emit(Op::kCvt, Type::kU32, {Operand::r(w)}, {Operand::r(h)}).type2 = Type::kU16;
      v = w;
    }
    insert(out.regs, r, bits, v);
  }
  return absl::OkStatus();
}

absl::Status KernelEmitter::emitBroadcast(const vm::Instruction &inst) {
  const vm::ValueType &st = typeOf(inst.operands[0]);
  return emitOwnThreadGather(inst, "broadcast", [&](std::vector<int64_t> x) {
    for (size_t d = 0; d < x.size(); ++d)
      if (st.shape[d] == 1)
        x[d] = 0;
    return x;
  });
}

absl::Status KernelEmitter::emitSlice(const vm::Instruction &inst) {
  auto toSource = [&](std::vector<int64_t> x) {
    for (size_t d = 0; d < x.size(); ++d)
      x[d] += inst.offsets[d];
    return x;
  };
  if (castOnlySlice_[inst.results[0]]) {
    // Only casts read it: they read the source through the slot map (no registers made).
    SlicedFrom from{inst.operands[0], {}};
    if (absl::Status s = ownThreadSlotMap(inst, "slice", toSource, from.slots); !s.ok())
      return s;
    EValue &out = values_[inst.results[0]];
    out.kind = EValue::Kind::kTile;
    out.regs.clear();
    slicedFrom_[inst.results[0]] = std::move(from);
    return absl::OkStatus();
  }
  return emitOwnThreadGather(inst, "slice", toSource);
}

absl::Status KernelEmitter::emitOwnThreadGather(
    const vm::Instruction &inst, const char *what,
    const std::function<std::vector<int64_t>(std::vector<int64_t>)> &toSource) {
  std::vector<int64_t> fromSource;
  if (absl::Status s = ownThreadSlotMap(inst, what, toSource, fromSource); !s.ok())
    return s;
  EValue &out = values_[inst.results[0]];
  out.kind = EValue::Kind::kTile;
  out.regs = gatherSlots(values_[inst.operands[0]].regs, typeOf(inst.results[0]).dtype.bits(), fromSource);
  return absl::OkStatus();
}

absl::Status KernelEmitter::ownThreadSlotMap(
    const vm::Instruction &inst, const char *what,
    const std::function<std::vector<int64_t>(std::vector<int64_t>)> &toSource,
    std::vector<int64_t> &fromSource) {
  const vm::Layout &ls = program_.layoutOf(typeOf(inst.operands[0]));
  const vm::Layout &lr = program_.layoutOf(typeOf(inst.results[0]));
  if (!staticSlotMap(lr, ls, toSource, fromSource))
    return error(inst, std::string(what) + " whose source slots differ per thread");
  return absl::OkStatus();
}

std::vector<Reg> KernelEmitter::gatherSlots(const std::vector<Reg> &src, int64_t bits,
                                            const std::vector<int64_t> &fromSource) {
  // Result slots whose source slots are consecutive form runs (a slice
  // has long ones; a broadcast repeats single slots), copied as bit ranges. Output word r
  // is assembled from the pieces of runs that overlap it: the source bits starting at the
  // piece's first bit (bitsAt: a register when aligned, else a shift or funnel shift,
  // each made once), masked or inserted at the piece's position. Runs aligned to whole
  // registers (32-bit elements, 4-bit codes sliced at 8-code boundaries) cost nothing.
  struct Piece {
    int64_t lo, hi, srcBit; // bits [lo, hi) of the output word, from source bit srcBit
  };
  const int64_t slots = int64_t(fromSource.size());
  const int64_t totalBits = slots * bits;
  std::vector<std::vector<Piece>> pieces(size_t((totalBits + 31) / 32));
  for (int64_t s = 0; s < slots;) {
    int64_t n = 1;
    while (s + n < slots && fromSource[size_t(s + n)] == fromSource[size_t(s)] + n)
      ++n;
    for (int64_t bit = s * bits, end = (s + n) * bits; bit < end;) {
      int64_t word = bit / 32, stop = std::min(end, (word + 1) * 32);
      pieces[size_t(word)].push_back(
          {bit - word * 32, stop - word * 32, fromSource[size_t(s)] * bits + (bit - s * bits)});
      bit = stop;
    }
    s += n;
  }
  std::vector<Reg> out;
  std::map<std::pair<int64_t, int64_t>, Reg> windows; // (source bit, length)
  for (const std::vector<Piece> &word : pieces) {
    Reg acc;
    bool have = false;
    for (const Piece &p : word) {
      int64_t len = p.hi - p.lo;
      auto key = std::make_pair(p.srcBit, len);
      auto it = windows.find(key);
      Reg w = it != windows.end() ? it->second : (windows[key] = bitsAt(src, p.srcBit, len));
      if (!have && p.lo == 0) {
        if (len == 32) {
          acc = w;
        } else {
          acc = newReg(RegKind::kB32);
          emit(Op::kAnd, Type::kB32, {Operand::r(acc)},
               {Operand::r(w), Operand::i(int64_t((uint64_t(1) << len) - 1))});
        }
      } else {
        Reg base = acc;
        if (!have) {
          base = newReg(RegKind::kB32);
          emit(Op::kMov, Type::kB32, {Operand::r(base)}, {Operand::i(0)});
        }
        acc = newReg(RegKind::kB32);
        emit(Op::kBfi, Type::kB32, {Operand::r(acc)},
             {Operand::r(w), Operand::r(base), Operand::i(p.lo), Operand::i(len)});
      }
      have = true;
    }
    out.push_back(acc); // every word holds a piece: the slots are dense
  }
  return out;
}

std::vector<Reg> KernelEmitter::relayoutThroughShared(const std::vector<Reg> &src,
                                                      const vm::ValueType &from,
                                                      const vm::ValueType &to,
                                                      const std::vector<int64_t> &) {
  const vm::Layout &lf = program_.layoutOf(from), &lt = program_.layoutOf(to);
  unsigned bits = from.dtype.bits();
  const LayoutInfo &fi = layoutInfo(from.layout);
  const LayoutInfo &ti = layoutInfo(to.layout);
  int64_t base = scratch(from.numElements * 4);
  int rank = from.rank();
  std::vector<int64_t> strides(static_cast<size_t>(rank), 1);
  for (int d = rank - 1; d > 0; --d)
    strides[size_t(d - 1)] = strides[size_t(d)] * from.shape[size_t(d)];
  Reg smemBase = newReg(RegKind::kB32);
  emit(Op::kMov, Type::kU32, {Operand::r(smemBase)}, {Operand::symbol("smem")});
  emit(Op::kAdd, Type::kU32, {Operand::r(smemBase)}, {Operand::r(smemBase), Operand::i(base)});
  // The element's word in scratch: (sum_d (threadPart_d + slotPart_d) * stride_d) * 4.
  auto slotAddress = [&](const LayoutInfo &info, int64_t slot) {
    Reg lin = newReg(RegKind::kB32);
    int64_t constant = 0;
    emit(Op::kMov, Type::kB32, {Operand::r(lin)}, {Operand::i(0)});
    for (int d = 0; d < rank; ++d) {
      emit(Op::kMad, Type::kU32, {Operand::r(lin)}, {Operand::r(info.threadPart[size_t(d)]), Operand::i(strides[size_t(d)]), Operand::r(lin)});
      constant += info.slotPart[size_t(slot)][size_t(d)] * strides[size_t(d)];
    }
    Reg addr = newReg(RegKind::kB32);
    emit(Op::kMad, Type::kU32, {Operand::r(addr)}, {Operand::r(lin), Operand::i(4), Operand::r(smemBase)});
    return std::make_pair(addr, constant * 4);
  };
  emit(Op::kBar, Type::kNone, {}, {});
  for (int64_t s = 0; s < lf.localSize(); ++s) {
    auto [addr, off] = slotAddress(fi, s);
    Reg v = extract(src, s, bits);
    emit(Op::kSt, Type::kB32, {Operand::addr(addr, off)}, {Operand::r(v)}).space = ptx::Space::kShared;
  }
  emit(Op::kBar, Type::kNone, {}, {});
  std::vector<Reg> regs = newTile(to);
  for (int64_t s = 0; s < lt.localSize(); ++s) {
    auto [addr, off] = slotAddress(ti, s);
    Reg v = newReg(RegKind::kB32);
    emit(Op::kLd, Type::kB32, {Operand::r(v)}, {Operand::addr(addr, off)}).space = ptx::Space::kShared;
    insert(regs, s, bits, v);
  }
  emit(Op::kBar, Type::kNone, {}, {});
  return regs;
}

absl::Status KernelEmitter::emitShuffle(const vm::Instruction &inst) {
  const vm::ValueType &st = typeOf(inst.operands[0]);
  const vm::ValueType &rt = typeOf(inst.results[0]);
  EValue &out = values_[inst.results[0]];
  out.kind = EValue::Kind::kTile;
  // Same slots in both layouts for every thread: nothing moves.
  std::vector<int64_t> slotMap;
  auto identity = [](std::vector<int64_t> x) { return x; };
  const vm::Layout &ls = program_.layoutOf(st), &lr = program_.layoutOf(rt);
  bool sameThreads = true;
  for (int64_t e = 0; e < ls.numElements() && sameThreads; ++e) {
    std::vector<int64_t> x(size_t(st.rank()));
    int64_t rest = e;
    for (int d = st.rank() - 1; d >= 0; --d) {
      x[size_t(d)] = rest % st.shape[size_t(d)];
      rest /= st.shape[size_t(d)];
    }
    if (ls.threadsOf(x.data()) != lr.threadsOf(x.data()))
      sameThreads = false;
  }
  if (sameThreads && staticSlotMap(lr, ls, identity, slotMap)) {
    out.regs = newTile(rt);
    unsigned bits = rt.dtype.bits();
    for (int64_t s = 0; s < lr.localSize(); ++s)
      insert(out.regs, s, bits, extract(values_[inst.operands[0]].regs, slotMap[size_t(s)], bits));
    return absl::OkStatus();
  }
  out.regs = relayoutThroughShared(values_[inst.operands[0]].regs, st, rt, {});
  return absl::OkStatus();
}

absl::Status KernelEmitter::emitLookup(const vm::Instruction &inst) {
  const vm::ValueType &tt = typeOf(inst.operands[0]);
  const vm::ValueType &it = typeOf(inst.operands[1]);
  const vm::ValueType &rt = typeOf(inst.results[0]);
  unsigned eb = rt.dtype.bits(), ib = it.dtype.bits();
  int64_t entries = tt.shape[0];
  const std::vector<Reg> &idx = values_[inst.operands[1]].regs;
  EValue &out = values_[inst.results[0]];
  out.kind = EValue::Kind::kTile;
  out.regs = newTile(rt);
  int64_t slots = program_.layoutOf(rt).localSize();
  bool inShared = tt.kind == vm::ValueKind::kSTensor;
  const vm::Layout *tableLayout = inShared ? nullptr : &program_.layoutOf(tt);
  for (int64_t s = 0; s < slots; ++s) {
    Reg i = extract(idx, s, ib);
    if (!it.dtype.isUnsignedInteger())
      i = signExtend(i, ib);
    Reg inRange = newReg(RegKind::kPred);
    emit(Op::kSetp, Type::kU32, {Operand::r(inRange)}, {Operand::r(i), Operand::i(entries)}).cmp = ptx::Cmp::kLo;
    Reg v = newReg(RegKind::kB32);
    emit(Op::kMov, Type::kB32, {Operand::r(v)}, {Operand::i(0)});
    if (inShared) {
      if (eb % 8 != 0)
        return error(inst, "lookup from a shared table of sub-byte elements");
      Reg addr = newReg(RegKind::kB32);
      emit(Op::kMad, Type::kU32, {Operand::r(addr)}, {Operand::r(i), Operand::i(eb / 8), Operand::r(values_[inst.operands[0]].reg)});
      Inst &ld = emit(Op::kLd, eb == 8 ? Type::kU8 : eb == 16 ? Type::kU16 : Type::kB32, {Operand::r(v)}, {Operand::addr(addr)});
      ld.space = ptx::Space::kShared;
      ld.guarded = true;
      ld.guard = inRange;
    } else {
      // Registers cannot be indexed at run time: select among the table's slots.
      const std::vector<Reg> &table = values_[inst.operands[0]].regs;
      for (int64_t e = 0; e < entries; ++e) {
        int64_t index[1] = {e};
        Reg entry = extract(table, tableLayout->slotOf(index), eb);
        Reg is = newReg(RegKind::kPred);
        emit(Op::kSetp, Type::kU32, {Operand::r(is)}, {Operand::r(i), Operand::i(e)}).cmp = ptx::Cmp::kEq;
        Inst &m = emit(Op::kMov, Type::kB32, {Operand::r(v)}, {Operand::r(entry)});
        m.guarded = true;
        m.guard = is;
      }
    }
    insert(out.regs, s, eb, v);
  }
  return absl::OkStatus();
}

} // namespace tessel::cuda
