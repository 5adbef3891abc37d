// Global -> shared copies (cp.async, cooperative over the whole block) and ldmatrix.
#include "cuda/KernelEmitter.h"

#include "vm/Fragments.h"

#include <array>
#include <functional>
#include <numeric>

namespace tessel::cuda {

using vm::Opcode;

namespace {

// Row-major element strides of a static shape.
std::vector<int64_t> stridesOf(const std::vector<int64_t> &shape) {
  std::vector<int64_t> s(shape.size(), 1);
  for (size_t d = shape.size(); d-- > 1;)
    s[d - 1] = s[d] * shape[d];
  return s;
}

} // namespace

// Element index `n` (b32, or b64 when `wide`) times `count` elements of `bits` bits, in
// bytes (whole bytes: sub-byte offsets here start at chunk boundaries), into `out`. A wide
// index may be negative (a tile origin before the tensor): its shift is arithmetic.
static Reg bytesOf(KernelEmitter &e, std::vector<Inst> &out, Reg n, unsigned bits, bool wide,
                   int64_t count = 1) {
  Reg r = e.newReg(wide ? RegKind::kB64 : RegKind::kB32);
  Type t = wide ? Type::kS64 : Type::kU32;
  if (bits % 8 == 0) {
    e.emitTo(out, Op::kMul, t, {Operand::r(r)}, {Operand::r(n), Operand::i(count * int64_t(bits / 8))});
  } else {
    e.emitTo(out, Op::kMul, t, {Operand::r(r)}, {Operand::r(n), Operand::i(count * int64_t(bits))});
    e.emitTo(out, Op::kShr, wide ? Type::kS64 : Type::kU32, {Operand::r(r)}, {Operand::r(r), Operand::i(3)});
  }
  return r;
}

// Element index `linear` (b32) of a shared tile after its swizzle, into `out`.
static Reg swizzled(KernelEmitter &e, std::vector<Inst> &out, const vm::Swizzle &sw, Reg linear) {
  if (sw.isIdentity())
    return linear;
  Reg t = e.newReg(RegKind::kB32), x = e.newReg(RegKind::kB32);
  e.emitTo(out, Op::kShr, Type::kU32, {Operand::r(t)}, {Operand::r(linear), Operand::i(sw.base + sw.shift)});
  e.emitTo(out, Op::kAnd, Type::kB32, {Operand::r(t)}, {Operand::r(t), Operand::i((1 << sw.bits) - 1)});
  e.emitTo(out, Op::kShl, Type::kB32, {Operand::r(t)}, {Operand::r(t), Operand::i(sw.base)});
  e.emitTo(out, Op::kXor, Type::kB32, {Operand::r(x)}, {Operand::r(linear), Operand::r(t)});
  return x;
}

// The shared address of element `linear` (b32 register) of a shared tile: swizzle, scale
// to bytes, add the tile's base.
static Reg sharedAddress(KernelEmitter &e, const EValue &tile, const vm::ValueType &type,
                         Reg linear) {
  Reg bytes = bytesOf(e, e.body(), swizzled(e, e.body(), type.swizzle, linear), type.dtype.bits(), false);
  Reg addr = e.newReg(RegKind::kB32);
  e.emit(Op::kAdd, Type::kU32, {Operand::r(addr)}, {Operand::r(bytes), Operand::r(tile.reg)});
  return addr;
}

const KernelEmitter::CopyPlan &KernelEmitter::copyPlan(uint32_t tensor, const vm::ValueType &st, int64_t k,
                                                        const std::vector<bool> &checked) {
  std::string key = std::to_string(tensor) + ":" + std::to_string(k) + ":" +
                    std::to_string(st.swizzle.bits) + "," + std::to_string(st.swizzle.base) + "," +
                    std::to_string(st.swizzle.shift) + ":" + std::to_string(st.dtype.bits());
  for (size_t d = 0; d < st.shape.size(); ++d)
    key += ":" + std::to_string(st.shape[d]) + (checked[d] ? "c" : "");
  auto it = copyPlans_.find(key);
  if (it != copyPlans_.end())
    return it->second;
  CopyPlan plan;
  std::vector<Inst> &pro = prologue_;
  int rank = st.rank();
  unsigned bits = st.dtype.bits();
  std::vector<int64_t> tileStrides = stridesOf(st.shape);
  int64_t threads = fn_.numThreads(), chunks = st.numElements / k;
  const std::vector<Reg> &strides = hoistedStrides(tensor);
  int64_t rounds = (chunks + threads - 1) / threads;
  // The affine form (see CopyPlan): a round of D = threads * k elements is a whole number
  // of dimension a's tile rows and the rounds stay inside one slice of the dimensions
  // above a (rounds * D <= its stride); the shared offsets too when D is a multiple of
  // the swizzle's period.
  int64_t D = threads * k;
  int64_t period = st.swizzle.period();
  if (rounds > 1 && chunks % threads == 0 && (D * int64_t(bits)) % 8 == 0) {
    for (int a = rank - 1; a >= 0 && plan.affineDim < 0; --a) {
      int64_t above = a == 0 ? st.numElements : tileStrides[size_t(a - 1)];
      if (D % tileStrides[size_t(a)] == 0 && rounds * D <= above) {
        plan.affineDim = a;
        plan.rowStep = D / tileStrides[size_t(a)];
        plan.sharedStep = D % period == 0 ? D * int64_t(bits) / 8 : 0;
        // rowStep rows in bytes (whole bytes: the rows' starts are chunk-aligned).
        plan.globalStep = bytesOf(*this, pro, strides[size_t(a)], bits, true, plan.rowStep);
      }
    }
  }
  const bool affine = plan.affineDim >= 0, sharedAffine = affine && plan.sharedStep > 0;
  for (int64_t i = 0; i < (sharedAffine ? 1 : rounds); ++i) {
    Reg e = newReg(RegKind::kB32);
    emitTo(pro, Op::kAdd, Type::kU32, {Operand::r(e)}, {Operand::r(tid_), Operand::i(i * threads)});
    emitTo(pro, Op::kMul, Type::kU32, {Operand::r(e)}, {Operand::r(e), Operand::i(k)});
    if (i == 0 || !affine) {
      // The chunk's coordinates and its offset in the tensor.
      Reg lin = newReg(RegKind::kB64);
      emitTo(pro, Op::kMov, Type::kB64, {Operand::r(lin)}, {Operand::i(0)});
      std::vector<Reg> digits(static_cast<size_t>(rank));
      for (int d = 0; d < rank; ++d) {
        if (st.shape[size_t(d)] == 1)
          continue;
        Reg digit = newReg(RegKind::kB32), d64 = newReg(RegKind::kB64), next = newReg(RegKind::kB64);
        emitTo(pro, Op::kDiv, Type::kU32, {Operand::r(digit)}, {Operand::r(e), Operand::i(tileStrides[size_t(d)])});
        emitTo(pro, Op::kRem, Type::kU32, {Operand::r(digit)}, {Operand::r(digit), Operand::i(st.shape[size_t(d)])});
        emitTo(pro, Op::kCvt, Type::kU64, {Operand::r(d64)}, {Operand::r(digit)}).type2 = Type::kU32;
        emitTo(pro, Op::kMad, Type::kS64, {Operand::r(next)},
               {Operand::r(d64), Operand::r(strides[size_t(d)]), Operand::r(lin)});
        lin = next;
        if (checked[size_t(d)])
          digits[size_t(d)] = digit;
      }
      plan.global.push_back(bytesOf(*this, pro, lin, bits, true));
      plan.digits.push_back(digits);
    }
    // The shared offset: the swizzled element index in bytes.
    plan.shared.push_back(bytesOf(*this, pro, swizzled(*this, pro, st.swizzle, e), bits, false));
  }
  return copyPlans_.emplace(key, std::move(plan)).first->second;
}

absl::Status KernelEmitter::emitCopyAsync(const vm::Instruction &inst) {
  uint32_t srcId = inst.operands[0], dstId = inst.operands.back();
  const vm::ValueType &gt = typeOf(srcId);
  const vm::ValueType &st = typeOf(dstId);
  const EValue &g = values_[srcId];
  const EValue &s = values_[dstId];
  int rank = st.rank();
  unsigned bits = st.dtype.bits();
  std::vector<Reg> offsets;
  std::vector<int64_t> multiples;
  for (int d = 0; d < rank; ++d) {
    const EValue &o = values_[inst.operands[1 + size_t(d)]];
    offsets.push_back(asIndex(o, typeOf(inst.operands[1 + size_t(d)])));
    multiples.push_back(o.multipleOf);
  }
  std::vector<int64_t> tileStrides = stridesOf(st.shape);
  int64_t total = st.numElements;
  int64_t threads = fn_.numThreads();

  // Chunk size: 16 bytes when the tile's rows, the swizzle and the offsets allow it.
  int64_t k = 0;
  for (int64_t bytes : {16, 8, 4}) {
    int64_t elems = bytes * 8 / bits;
    if (elems * int64_t(bits) != bytes * 8 || st.shape.back() % elems != 0)
      continue;
    if (!st.swizzle.isIdentity() && elems > (int64_t(1) << st.swizzle.base))
      continue;
    k = elems;
    break;
  }
  bool staticOk = k > 0 && multiples.back() % k == 0 && g.alignment % (k * bits / 8) == 0 &&
                  gt.shape.back() >= 0 && gt.shape.back() % k == 0;
  if (k == 0 && bits % 8 != 0)
    return error(inst, "copy_async of sub-byte elements needs rows of whole 4-byte chunks");

  // Global strides (dynamic).
  std::vector<Reg> gstride(static_cast<size_t>(rank));
  gstride[size_t(rank - 1)] = imm64(1);
  for (int d = rank - 2; d >= 0; --d) {
    Reg r = newReg(RegKind::kB64);
    emit(Op::kMul, Type::kS64, {Operand::r(r)}, {Operand::r(gstride[size_t(d + 1)]), Operand::r(g.regs[size_t(d + 1)])});
    gstride[size_t(d)] = r;
  }

  // For element (or chunk start) e of the tile (a b32 register): global address, whether it
  // is inside the tensor, and its shared address.
  auto locate = [&](Reg e, Reg &gaddr, Reg &inside, Reg &saddr) {
    Reg lin = imm64(0);
    inside = Reg();
    for (int d = 0; d < rank; ++d) {
      Reg digit = newReg(RegKind::kB32);
      emit(Op::kDiv, Type::kU32, {Operand::r(digit)}, {Operand::r(e), Operand::i(tileStrides[size_t(d)])});
      emit(Op::kRem, Type::kU32, {Operand::r(digit)}, {Operand::r(digit), Operand::i(st.shape[size_t(d)])});
      Reg d64 = newReg(RegKind::kB64), idx = newReg(RegKind::kB64);
      emit(Op::kCvt, Type::kU64, {Operand::r(d64)}, {Operand::r(digit)}).type2 = Type::kU32;
      emit(Op::kAdd, Type::kS64, {Operand::r(idx)}, {Operand::r(offsets[size_t(d)]), Operand::r(d64)});
      Reg p = newReg(RegKind::kPred);
      emit(Op::kSetp, Type::kU64, {Operand::r(p)}, {Operand::r(idx), Operand::r(g.regs[size_t(d)])}).cmp = ptx::Cmp::kLo;
      if (d == 0) {
        inside = p;
      } else {
        Reg q = newReg(RegKind::kPred);
        emit(Op::kAnd, Type::kPred, {Operand::r(q)}, {Operand::r(inside), Operand::r(p)});
        inside = q;
      }
      Reg l2 = newReg(RegKind::kB64);
      emit(Op::kMad, Type::kS64, {Operand::r(l2)}, {Operand::r(idx), Operand::r(gstride[size_t(d)]), Operand::r(lin)});
      lin = l2;
    }
    Reg byteOff = bytesOf(*this, body(), lin, bits, true);
    gaddr = newReg(RegKind::kB64);
    emit(Op::kAdd, Type::kS64, {Operand::r(gaddr)}, {Operand::r(g.reg), Operand::r(byteOff)});
    saddr = sharedAddress(*this, s, st, e);
  };

  std::function<void()> vectorPath = [&]() {
    int64_t chunks = total / k, bytes = k * bits / 8;
    for (int64_t i = 0; i * threads < chunks; ++i) {
      Reg c = newReg(RegKind::kB32), e = newReg(RegKind::kB32);
      emit(Op::kAdd, Type::kU32, {Operand::r(c)}, {Operand::r(tid_), Operand::i(i * threads)});
      emit(Op::kMul, Type::kU32, {Operand::r(e)}, {Operand::r(c), Operand::i(k)});
      Reg gaddr, inside, saddr;
      locate(e, gaddr, inside, saddr);
      Reg srcSize = newReg(RegKind::kB32);
      emit(Op::kSelp, Type::kB32, {Operand::r(srcSize)}, {Operand::i(bytes), Operand::i(0), Operand::r(inside)});
      bool partialRound = (i + 1) * threads > chunks; // only the first chunks are real
      Reg real;
      if (partialRound) {
        real = newReg(RegKind::kPred);
        emit(Op::kSetp, Type::kU32, {Operand::r(real)}, {Operand::r(c), Operand::i(chunks)}).cmp = ptx::Cmp::kLo;
      }
      Inst &cp = emit(Op::kCpAsync, Type::kNone, {Operand::addr(saddr)}, {Operand::addr(gaddr), Operand::r(srcSize)});
      cp.width = uint8_t(bytes);
      cp.cache = inst.attr == 1 ? ptx::CacheHint::kEvictFirst : ptx::CacheHint::kNone;
      cp.guarded = partialRound;
      cp.guard = real;
    }
  };
  // A kernel argument's tile: each chunk's offsets and coordinates come from the
  // prologue (copyPlan). When the whole tile lies inside the tensor (one uniform check
  // per access), each chunk is one address addition and the copy; otherwise each chunk
  // checks the dimensions that need it and copies zeros where it lies outside.
  std::vector<std::optional<int64_t>> constants;
  for (int d = 0; d < rank; ++d)
    constants.push_back(values_[inst.operands[1 + size_t(d)]].constant);
  auto hoistedVectorPath = [&]() {
    int64_t chunks = total / k, bytes = k * bits / 8;
    std::vector<bool> checked(static_cast<size_t>(rank));
    for (int d = 0; d < rank; ++d) {
      const std::optional<int64_t> &c = constants[size_t(d)];
      checked[size_t(d)] = !(gt.shape[size_t(d)] >= 0 && c && *c >= 0 &&
                             *c + st.shape[size_t(d)] <= gt.shape[size_t(d)]);
    }
    const CopyPlan &plan = copyPlan(srcId, st, k, checked);
    const std::vector<Reg> &strides = hoistedStrides(srcId);
    // The tile origin's address (outer loops' terms first: ptxas hoists their sum).
    std::vector<int> depths;
    for (int d = 0; d < rank; ++d)
      depths.push_back(values_[inst.operands[1 + size_t(d)]].depth);
    Reg lin = imm64(0);
    for (int d : outerFirst(depths)) {
      const std::optional<int64_t> &c = constants[size_t(d)];
      if (c && *c == 0)
        continue;
      Reg next = newReg(RegKind::kB64);
      emit(Op::kMad, Type::kS64, {Operand::r(next)},
           {Operand::r(offsets[size_t(d)]), Operand::r(strides[size_t(d)]), Operand::r(lin)});
      lin = next;
    }
    Reg originBytes = bytesOf(*this, body(), lin, bits, true), origin = newReg(RegKind::kB64);
    emit(Op::kAdd, Type::kS64, {Operand::r(origin)}, {Operand::r(g.reg), Operand::r(originBytes)});
    // Whole tile inside along every checked dimension: origin <= origin + size <= dim
    // (unsigned, so a negative origin is outside). Worth its uniform instructions when
    // each thread copies several chunks.
    std::optional<Reg> inside;
    bool split = chunks > threads;
    for (int d = 0; d < rank && split; ++d)
      if (checked[size_t(d)])
        inside = conjoin(inside, tileInside(offsets[size_t(d)], st.shape[size_t(d)], g.regs[size_t(d)]));
    auto copies = [&](bool check) {
      const bool affine = plan.affineDim >= 0;
      Reg gaddr, saddr;
      std::vector<Reg> index0(static_cast<size_t>(rank)); // origin + chunk 0's digit
      for (int64_t i = 0; i * threads < chunks; ++i) {
        int64_t c0 = affine ? 0 : i; // the plan's chunk
        const bool sharedAffine = affine && plan.sharedStep > 0;
        int64_t sharedImm = sharedAffine ? i * plan.sharedStep : 0;
        if (!sharedAffine || i == 0) {
          saddr = newReg(RegKind::kB32);
          emit(Op::kAdd, Type::kU32, {Operand::r(saddr)},
               {Operand::r(s.reg), Operand::r(plan.shared[size_t(sharedAffine ? 0 : i)])});
        }
        if (!affine || i == 0) {
          gaddr = newReg(RegKind::kB64);
          emit(Op::kAdd, Type::kS64, {Operand::r(gaddr)}, {Operand::r(origin), Operand::r(plan.global[size_t(c0)])});
        } else {
          Reg next = newReg(RegKind::kB64);
          emit(Op::kAdd, Type::kS64, {Operand::r(next)}, {Operand::r(gaddr), Operand::r(plan.globalStep)});
          gaddr = next;
        }
        Operand srcSize = Operand::i(bytes);
        if (check) {
          std::optional<Reg> ok;
          for (int d = 0; d < rank; ++d) {
            if (!checked[size_t(d)])
              continue;
            Reg idx = offsets[size_t(d)];
            if (st.shape[size_t(d)] > 1) { // else the digit is 0
              if (index0[size_t(d)].kind != RegKind::kB64 || !affine) {
                Reg d64 = newReg(RegKind::kB64);
                index0[size_t(d)] = newReg(RegKind::kB64);
                emit(Op::kCvt, Type::kU64, {Operand::r(d64)}, {Operand::r(plan.digits[size_t(c0)][size_t(d)])}).type2 =
                    Type::kU32;
                emit(Op::kAdd, Type::kS64, {Operand::r(index0[size_t(d)])}, {Operand::r(offsets[size_t(d)]), Operand::r(d64)});
              }
              idx = index0[size_t(d)];
              if (affine && d == plan.affineDim && i > 0) {
                idx = newReg(RegKind::kB64);
                emit(Op::kAdd, Type::kS64, {Operand::r(idx)}, {Operand::r(index0[size_t(d)]), Operand::i(i * plan.rowStep)});
              }
            }
            Reg p = newReg(RegKind::kPred);
            emit(Op::kSetp, Type::kU64, {Operand::r(p)}, {Operand::r(idx), Operand::r(g.regs[size_t(d)])}).cmp =
                ptx::Cmp::kLo;
            ok = conjoin(ok, p);
          }
          Reg size = newReg(RegKind::kB32);
          emit(Op::kSelp, Type::kB32, {Operand::r(size)}, {Operand::i(bytes), Operand::i(0), Operand::r(*ok)});
          srcSize = Operand::r(size);
        }
        bool partialRound = (i + 1) * threads > chunks; // only the first chunks are real
        Reg real;
        if (partialRound) {
          Reg c = newReg(RegKind::kB32);
          real = newReg(RegKind::kPred);
          emit(Op::kAdd, Type::kU32, {Operand::r(c)}, {Operand::r(tid_), Operand::i(i * threads)});
          emit(Op::kSetp, Type::kU32, {Operand::r(real)}, {Operand::r(c), Operand::i(chunks)}).cmp = ptx::Cmp::kLo;
        }
        Inst &cp = emit(Op::kCpAsync, Type::kNone, {Operand::addr(saddr, sharedImm)}, {Operand::addr(gaddr), srcSize});
        cp.width = uint8_t(bytes);
        cp.cache = inst.attr == 1 ? ptx::CacheHint::kEvictFirst : ptx::CacheHint::kNone;
        cp.guarded = partialRound;
        cp.guard = real;
      }
    };
    if (!inside) {
      bool any = false;
      for (bool c : checked)
        any = any || c;
      copies(any);
      return;
    }
    std::string edge = newLabel("copy_edge"), joined = newLabel("copy_joined");
    branch(edge, &*inside, true);
    copies(false);
    branch(joined);
    label(edge);
    copies(true);
    label(joined);
  };
  if (g.argument && k > 0)
    vectorPath = hoistedVectorPath;

  // Unaligned at run time: element by element through registers (synchronous; the data
  // is in place before any wait).
  auto scalarPath = [&]() -> absl::Status {
    if (bits % 8 != 0)
      return error(inst, "copy_async of sub-byte elements at offsets not proven byte-aligned");
    Type t = bits == 8 ? Type::kU8 : bits == 16 ? Type::kU16 : Type::kB32;
    for (int64_t i = 0; i * threads < total; ++i) {
      Reg e = newReg(RegKind::kB32);
      emit(Op::kAdd, Type::kU32, {Operand::r(e)}, {Operand::r(tid_), Operand::i(i * threads)});
      Reg gaddr, inside, saddr;
      locate(e, gaddr, inside, saddr);
      Reg real = newReg(RegKind::kPred);
      emit(Op::kSetp, Type::kU32, {Operand::r(real)}, {Operand::r(e), Operand::i(total)}).cmp = ptx::Cmp::kLo;
      Reg both = newReg(RegKind::kPred);
      emit(Op::kAnd, Type::kPred, {Operand::r(both)}, {Operand::r(real), Operand::r(inside)});
      Reg v = newReg(RegKind::kB32);
      emit(Op::kMov, Type::kB32, {Operand::r(v)}, {Operand::i(0)});
      Inst &ld = emit(Op::kLd, t, {Operand::r(v)}, {Operand::addr(gaddr)});
      ld.space = ptx::Space::kGlobal;
      ld.guarded = true;
      ld.guard = both;
      Operand value = Operand::r(v);
      if (bits == 16) {
        Reg h = newReg(RegKind::kB16);
        emit(Op::kCvt, Type::kU16, {Operand::r(h)}, {Operand::r(v)}).type2 = Type::kU32;
        value = Operand::r(h);
      }
      Inst &stInst = emit(Op::kSt, bits == 16 ? Type::kB16 : t, {Operand::addr(saddr)}, {value});
      stInst.space = ptx::Space::kShared;
      stInst.guarded = true;
      stInst.guard = real;
    }
    return absl::OkStatus();
  };

  if (k == 0)
    return scalarPath();
  if (staticOk) {
    vectorPath();
    return absl::OkStatus();
  }
  // Alignment checked once.
  Reg ok = vectorsAligned(offsets.back(), multiples.back(), g.regs.back(), g.reg, k, k * bits / 8);
  std::string slow = newLabel("copy_unaligned"), done = newLabel("copy_done");
  branch(slow, &ok, true);
  vectorPath();
  branch(done);
  label(slow);
  absl::Status status = scalarPath();
  if (!status.ok())
    return status;
  label(done);
  return absl::OkStatus();
}

// ldmatrix: the result layout divided by the 8x8 fragment gives, per thread, one b32
// register per matrix; lane l supplies the address of row l % 8 of matrix l / 8 of each
// group of four.
absl::Status KernelEmitter::emitLoadMatrix(const vm::Instruction &inst) {
  const vm::ValueType &st = typeOf(inst.operands[0]);
  const vm::ValueType &rt = typeOf(inst.results[0]);
  const vm::Layout &layout = program_.layoutOf(rt);
  std::optional<vm::Layout> quotient = layout.divide(vm::ldmatrixLayout(inst.transpose));
  if (!quotient || st.rank() != 2 || st.dtype.bits() != 16)
    return absl::UnimplementedError("not ldmatrix-shaped");
  if (!st.swizzle.isIdentity() && st.swizzle.base < 3)
    return absl::UnimplementedError("swizzle splits ldmatrix rows");
  const EValue &rowOff = values_[inst.operands[1]], &colOff = values_[inst.operands[2]];
  if (colOff.multipleOf % 8 != 0 || st.shape[1] % 8 != 0 || values_[inst.operands[0]].alignment % 16 != 0)
    return absl::UnimplementedError("ldmatrix rows not provably 16-byte aligned");

  LayoutInfo q = computeLayoutInfo(*quotient, warpId());
  Reg lane = laneId();
  Reg matrix = newReg(RegKind::kB32), row = newReg(RegKind::kB32);
  emit(Op::kShr, Type::kU32, {Operand::r(matrix)}, {Operand::r(lane), Operand::i(3)});
  emit(Op::kAnd, Type::kB32, {Operand::r(row)}, {Operand::r(lane), Operand::i(7)});
  Reg r0 = newReg(RegKind::kB32), c0 = newReg(RegKind::kB32);
  {
    Reg a = asIndex(rowOff, typeOf(inst.operands[1])), b = asIndex(colOff, typeOf(inst.operands[2]));
    emit(Op::kCvt, Type::kU32, {Operand::r(r0)}, {Operand::r(a)}).type2 = Type::kU64;
    emit(Op::kCvt, Type::kU32, {Operand::r(c0)}, {Operand::r(b)}).type2 = Type::kU64;
  }
  EValue &out = values_[inst.results[0]];
  out.kind = EValue::Kind::kTile;
  out.regs.clear();
  for (int64_t i = 0; i < numRegsOf(rt); ++i)
    out.regs.push_back(newReg(RegKind::kB32));
  int64_t matrices = quotient->localSize();
  // Groups whose matrices all lie a whole number of swizzle periods after those of an
  // earlier group with as many matrices (m-tiles 16 rows apart, say) reuse its address
  // with an immediate offset (the swizzle of an index plus a multiple of its period is
  // the swizzle plus that multiple). So do groups a multiple of 2^(base + bits) columns
  // apart in a tile whose rows are 2^(base + shift) elements, the row's low bits (at most
  // 3 of them) XORing the 16-byte unit: such a step leaves the XORed unit bits alone and
  // stays in the row (both groups' columns are in the tile), whose low bits the 8-row
  // steps of matrices keep.
  const vm::Swizzle &sw = st.swizzle;
  const bool rowSwizzle = !sw.isIdentity() && sw.bits <= 3 && st.shape[1] == (int64_t(1) << (sw.base + sw.shift));
  // Whether an address serves `rows` rows and `cols` columns on plus an immediate.
  auto shiftsThrough = [&](int64_t rows, int64_t cols) {
    return (rows * st.shape[1] + cols) % sw.period() == 0 ||
           (rowSwizzle && rows % 8 == 0 && cols % (int64_t(1) << (sw.base + sw.bits)) == 0);
  };
  struct Group {
    int64_t first, count;
    Reg addr;
  };
  std::vector<Group> groups;
  // An earlier load_matrix of this tile and layout at constant offsets, in this block,
  // whose groups' addresses serve here plus an immediate (as for groups within one load).
  const bool constantOrigin = rowOff.constant && colOff.constant;
  MatrixLoad *earlier = nullptr;
  int64_t earlierDelta = 0;
  if (constantOrigin) {
    for (auto it = matrixLoads_.rbegin(); it != matrixLoads_.rend() && !earlier; ++it) {
      if (it->block != currentBlock_ || it->tile != inst.operands[0] || it->layout != rt.layout ||
          it->transpose != inst.transpose)
        continue;
      int64_t dr = *rowOff.constant - it->row, dc = *colOff.constant - it->col;
      if (shiftsThrough(dr, dc)) {
        earlier = &*it;
        earlierDelta = dr * st.shape[1] + dc;
      }
    }
  }
  // ldmatrix of `count` matrices from `first` into their registers, at `address`.
  auto ldmatrix = [&](int64_t first, int64_t count, Operand address) {
    Inst ld;
    ld.op = Op::kLdmatrix;
    ld.width = uint8_t(count);
    ld.transpose = inst.transpose;
    for (int64_t m = 0; m < count; ++m)
      ld.dst.push_back(Operand::r(out.regs[size_t(first + m)]));
    ld.src = {address};
    kernel_.body.push_back(ld);
  };
  MatrixLoad record{currentBlock_, inst.operands[0], rt.layout, inst.transpose,
                    rowOff.constant.value_or(0), colOff.constant.value_or(0), {}};
  for (int64_t first = 0, count = 0, index = 0; first < matrices; first += count, ++index) {
    int64_t remaining = matrices - first; // ldmatrix loads 1, 2 or 4 matrices
    count = remaining >= 4 ? 4 : remaining >= 2 ? 2 : 1;
    if (earlier && index < int64_t(earlier->groups.size())) {
      auto [addr, bytes] = earlier->groups[size_t(index)];
      record.groups.push_back({addr, bytes + earlierDelta * 2});
      ldmatrix(first, count, Operand::addr(addr, bytes + earlierDelta * 2));
      continue;
    }
    std::optional<std::pair<Reg, int64_t>> reuse; // (address, byte offset)
    for (const Group &g : groups) {
      if (g.count != count)
        continue;
      int64_t dr = q.slotPart[size_t(first)][0] - q.slotPart[size_t(g.first)][0];
      int64_t dc = q.slotPart[size_t(first)][1] - q.slotPart[size_t(g.first)][1];
      bool same = true;
      for (int64_t m = 1; m < count && same; ++m)
        same = q.slotPart[size_t(first + m)][0] - q.slotPart[size_t(g.first + m)][0] == dr &&
               q.slotPart[size_t(first + m)][1] - q.slotPart[size_t(g.first + m)][1] == dc;
      if (same && shiftsThrough(dr * 8, dc * 8)) {
        reuse = std::make_pair(g.addr, (dr * 8 * st.shape[1] + dc * 8) * 2);
        break;
      }
    }
    if (reuse) {
      record.groups.push_back(*reuse);
      ldmatrix(first, count, Operand::addr(reuse->first, reuse->second));
      continue;
    }
    // The block coordinates of matrix (first + m) for this lane's m = lane / 8: byte m of
    // a table in an immediate when they fit in bytes (a shift and a mask), else a
    // select chain.
    Reg br = newReg(RegKind::kB32), bc = newReg(RegKind::kB32);
    bool bytes = true;
    for (int64_t m = 0; m < count; ++m)
      for (int dim = 0; dim < 2; ++dim)
        bytes = bytes && q.slotPart[size_t(first + m)][size_t(dim)] >= 0 &&
                q.slotPart[size_t(first + m)][size_t(dim)] < 256;
    if (count == 1 || !bytes) {
      emit(Op::kMov, Type::kB32, {Operand::r(br)}, {Operand::i(q.slotPart[size_t(first)][0])});
      emit(Op::kMov, Type::kB32, {Operand::r(bc)}, {Operand::i(q.slotPart[size_t(first)][1])});
      for (int64_t m = 1; m < count; ++m) {
        Reg is = newReg(RegKind::kPred);
        emit(Op::kSetp, Type::kU32, {Operand::r(is)}, {Operand::r(matrix), Operand::i(m)}).cmp = ptx::Cmp::kEq;
        Inst &a = emit(Op::kMov, Type::kB32, {Operand::r(br)}, {Operand::i(q.slotPart[size_t(first + m)][0])});
        a.guarded = true;
        a.guard = is;
        Inst &b = emit(Op::kMov, Type::kB32, {Operand::r(bc)}, {Operand::i(q.slotPart[size_t(first + m)][1])});
        b.guarded = true;
        b.guard = is;
      }
    } else {
      Reg shift = newReg(RegKind::kB32);
      emit(Op::kShl, Type::kB32, {Operand::r(shift)}, {Operand::r(matrix), Operand::i(3)});
      for (int dim = 0; dim < 2; ++dim) {
        int64_t table = 0;
        bool same = true;
        for (int64_t m = 0; m < count; ++m) {
          table |= q.slotPart[size_t(first + m)][size_t(dim)] << (8 * m);
          same = same && q.slotPart[size_t(first + m)][size_t(dim)] == q.slotPart[size_t(first)][size_t(dim)];
        }
        Reg out = dim == 0 ? br : bc;
        if (same) { // one value for every matrix of the group
          emit(Op::kMov, Type::kB32, {Operand::r(out)}, {Operand::i(q.slotPart[size_t(first)][size_t(dim)])});
          continue;
        }
        emit(Op::kShr, Type::kU32, {Operand::r(out)}, {Operand::i(table), Operand::r(shift)});
        emit(Op::kAnd, Type::kB32, {Operand::r(out)}, {Operand::r(out), Operand::i(255)});
      }
    }
    // element row = r0 + (threadPart0 + br) * 8 + row; column = c0 + (threadPart1 + bc) * 8
    Reg er = newReg(RegKind::kB32), ec = newReg(RegKind::kB32), lin = newReg(RegKind::kB32);
    emit(Op::kAdd, Type::kU32, {Operand::r(er)}, {Operand::r(q.threadPart[0]), Operand::r(br)});
    emit(Op::kMad, Type::kU32, {Operand::r(er)}, {Operand::r(er), Operand::i(8), Operand::r(row)});
    emit(Op::kAdd, Type::kU32, {Operand::r(er)}, {Operand::r(er), Operand::r(r0)});
    emit(Op::kAdd, Type::kU32, {Operand::r(ec)}, {Operand::r(q.threadPart[1]), Operand::r(bc)});
    emit(Op::kMad, Type::kU32, {Operand::r(ec)}, {Operand::r(ec), Operand::i(8), Operand::r(c0)});
    emit(Op::kMad, Type::kU32, {Operand::r(lin)}, {Operand::r(er), Operand::i(st.shape[1]), Operand::r(ec)});
    Reg addr = sharedAddress(*this, values_[inst.operands[0]], st, lin);
    groups.push_back({first, count, addr});
    record.groups.push_back({addr, 0});
    ldmatrix(first, count, Operand::addr(addr));
  }
  if (constantOrigin && !earlier)
    matrixLoads_.push_back(std::move(record));
  return absl::OkStatus();
}

// A load_shared of 16-bit values whose every thread holds, in slots 2j and 2j + 1 (j < P,
// P = 1, 2 or 4), the elements (R_j, C_j + g) and (R'_j, C'_j + g), g = lane / 4 (the
// same for the four lanes of a group), columns C_j, C'_j multiples of 8: the low-bit
// GEMM's scale rows, one value per row of the mma's C fragment. One ldmatrix.trans of P
// matrices: lane 8j + r points matrix j's row r at the 8 columns from C_j (r even) or
// C'_j (r odd), so lane (g, t) receives M_j[2t][g] = (R_j, C_j + g) and M_j[2t + 1][g] =
// (R'_j, C'_j + g) whatever t: slots 2j and 2j + 1 in one register. Four 16-bit loads
// become one instruction. The rows and columns must be affine in the warp, j and r % 2.
absl::Status KernelEmitter::emitRowPairsByLdmatrix(const vm::Instruction &inst) {
  const vm::ValueType &st = typeOf(inst.operands[0]);
  const vm::ValueType &rt = typeOf(inst.results[0]);
  const vm::Layout &layout = program_.layoutOf(rt);
  const int64_t slots = layout.localSize(), pairs = slots / 2;
  auto no = [](const char *why) { return absl::UnimplementedError(why); };
  if (!target_.rowPairsByLdmatrix)
    return no("off (Target::rowPairsByLdmatrix)");
  if (st.dtype.bits() != 16 || st.rank() != 2 || rt.rank() != 2 || !st.swizzle.isIdentity() ||
      st.shape[1] % 8 != 0 || slots % 2 != 0 || (pairs != 1 && pairs != 2 && pairs != 4) ||
      layout.numThreads() != kernel_.threads || kernel_.threads % 32 != 0)
    return no("not rows of pairs");
  const std::optional<int64_t> &colOrigin = values_[inst.operands[2]].constant;
  if (!colOrigin || *colOrigin % 8 != 0)
    return no("column origin not a known multiple of 8");
  if (values_[inst.operands[0]].alignment % 16 != 0)
    return no("ldmatrix rows not provably 16-byte aligned");
  // Per thread and pair: the rows and columns (less g) of its two slots, which must
  // not depend on t; then affine in (warp, j, parity).
  const int64_t warps = kernel_.threads / 32;
  std::vector<int64_t> rowOf(size_t(warps * pairs * 2)), colOf(rowOf.size());
  for (int64_t thread = 0; thread < kernel_.threads; ++thread) {
    int64_t w = thread / 32, g = (thread % 32) / 4;
    for (int64_t s = 0; s < slots; ++s) {
      std::vector<int64_t> at = layout.indexOf(thread, s);
      int64_t row = at[0], col = at[1] - g;
      size_t key = size_t((w * pairs + s / 2) * 2 + s % 2);
      if (thread % 32 == 0) {
        rowOf[key] = row;
        colOf[key] = col;
      } else if (rowOf[key] != row || colOf[key] != col) {
        return no("slots vary within a group of four lanes");
      }
      if (col % 8 != 0)
        return no("columns not 8-aligned");
    }
  }
  auto at = [&](std::vector<int64_t> &v, int64_t w, int64_t j, int64_t p) { return v[size_t((w * pairs + j) * 2 + p)]; };
  std::array<int64_t, 4> rowTerms{}, colTerms{}; // constant, per warp, per j, per parity
  for (auto [v, terms] : {std::make_pair(&rowOf, &rowTerms), std::make_pair(&colOf, &colTerms)}) {
    int64_t c = at(*v, 0, 0, 0);
    (*terms)[0] = c;
    (*terms)[1] = warps > 1 ? at(*v, 1, 0, 0) - c : 0;
    (*terms)[2] = pairs > 1 ? at(*v, 0, 1, 0) - c : 0;
    (*terms)[3] = at(*v, 0, 0, 1) - c;
    for (int64_t w = 0; w < warps; ++w)
      for (int64_t j = 0; j < pairs; ++j)
        for (int64_t p = 0; p < 2; ++p)
          if (at(*v, w, j, p) != c + w * (*terms)[1] + j * (*terms)[2] + p * (*terms)[3])
            return no("rows or columns not affine");
  }
  // Each thread's byte offset from the tile's origin, once (thread-invariant arithmetic
  // in the prologue): 2 (stride (row) + col) for its warp, its lane's matrix and parity.
  const int64_t stride = st.shape[1];
  auto key = std::make_pair(rt.layout, stride);
  auto found = rowPairOffsets_.find(key);
  if (found == rowPairOffsets_.end()) {
    auto term = [&](int i) { return 2 * (stride * rowTerms[size_t(i)] + colTerms[size_t(i)]); };
    Reg w = newReg(RegKind::kB32), j = newReg(RegKind::kB32), p = newReg(RegKind::kB32), off = newReg(RegKind::kB32);
    emitTo(prologue_, Op::kShr, Type::kU32, {Operand::r(w)}, {Operand::r(tid_), Operand::i(5)});
    emitTo(prologue_, Op::kShr, Type::kU32, {Operand::r(j)}, {Operand::r(tid_), Operand::i(3)});
    emitTo(prologue_, Op::kAnd, Type::kB32, {Operand::r(j)}, {Operand::r(j), Operand::i(pairs - 1)});
    emitTo(prologue_, Op::kAnd, Type::kB32, {Operand::r(p)}, {Operand::r(tid_), Operand::i(1)});
    emitTo(prologue_, Op::kMul, Type::kU32, {Operand::r(off)}, {Operand::r(w), Operand::i(term(1))});
    emitTo(prologue_, Op::kMad, Type::kU32, {Operand::r(off)}, {Operand::r(j), Operand::i(term(2)), Operand::r(off)});
    emitTo(prologue_, Op::kMad, Type::kU32, {Operand::r(off)}, {Operand::r(p), Operand::i(term(3)), Operand::r(off)});
    emitTo(prologue_, Op::kAdd, Type::kU32, {Operand::r(off)}, {Operand::r(off), Operand::i(term(0))});
    found = rowPairOffsets_.emplace(key, off).first;
  }
  // The tile's origin: rows a value (or a constant), columns a constant.
  Reg addr = newReg(RegKind::kB32);
  emit(Op::kAdd, Type::kU32, {Operand::r(addr)}, {Operand::r(values_[inst.operands[0]].reg), Operand::r(found->second)});
  int64_t bytes = 2 * *colOrigin;
  const EValue &rowOrigin = values_[inst.operands[1]];
  if (rowOrigin.constant) {
    bytes += 2 * stride * *rowOrigin.constant;
  } else {
    Reg r = newReg(RegKind::kB32);
    emit(Op::kCvt, Type::kU32, {Operand::r(r)}, {Operand::r(asIndex(rowOrigin, typeOf(inst.operands[1])))}).type2 =
        Type::kU64;
    emit(Op::kMad, Type::kU32, {Operand::r(addr)}, {Operand::r(r), Operand::i(2 * stride), Operand::r(addr)});
  }
  EValue &out = values_[inst.results[0]];
  out.kind = EValue::Kind::kTile;
  out.regs.clear();
  out.forgetContents();
  Inst ld;
  ld.op = Op::kLdmatrix;
  ld.width = uint8_t(pairs);
  ld.transpose = true;
  for (int64_t m = 0; m < pairs; ++m) {
    out.regs.push_back(newReg(RegKind::kB32));
    ld.dst.push_back(Operand::r(out.regs.back()));
  }
  ld.src = {Operand::addr(addr, bytes)};
  kernel_.body.push_back(ld);
  return absl::OkStatus();
}

} // namespace tessel::cuda
