// tbvm.prefetch: a box of a global tensor into L2, spread over the block's threads.
//
// The box is a set of runs of contiguous bytes: its last dimension, extended over the
// dimensions before it while the box spans the whole (static) extent of the ones after,
// from 0 (a [2, 16, 512] box of a [?, ?, 512] tensor is 2 runs of 16 x 512 bytes). On
// sm_90, where runs start 16-byte aligned and are a multiple of 16 bytes long, thread 0
// issues one cp.async.bulk.prefetch.L2 per run (of the run, or of its part inside the
// tensor rounded down to 16 bytes); otherwise each 32-byte sector of a run is one
// prefetch.global.L2 (one more per run that may start mid-sector), the sectors going
// round-robin over the threads. At most 32 rounds of items are emitted (the rest of a
// box that fragmented is dropped). A box that is not inside the tensor along
// every dimension of its runs' starts is skipped (a hint may be dropped); a run of the
// last dimension alone is clipped to the tensor. What depends only on the thread is
// computed where the loop-invariant code motion can move it out of loops.
#include "cuda/KernelEmitter.h"

#include <numeric>

namespace tessel::cuda {

using ptx::Operand;
using ptx::Op;
using ptx::RegKind;
using ptx::Type;

absl::Status KernelEmitter::emitPrefetch(const vm::Instruction &inst) {
  const EValue &g = values_[inst.operands[0]];
  const vm::ValueType &gt = typeOf(inst.operands[0]);
  const std::vector<int64_t> &box = inst.offsets;
  const int rank = int(box.size());
  const int64_t bits = gt.dtype.bits();
  std::vector<Reg> origin;
  std::vector<std::optional<int64_t>> originConstant;
  std::vector<int64_t> originMultiple;
  std::vector<int> depths;
  // Bytes from the first of a box of `elements` (b64): elements * bits / 8, floored.
  auto bytesOf = [&](Reg elements) {
    Reg bytes = newReg(RegKind::kB64);
    if (bits % 8 == 0) {
      emit(Op::kMul, Type::kS64, {Operand::r(bytes)}, {Operand::r(elements), Operand::i(bits / 8)});
    } else {
      Reg b = newReg(RegKind::kB64);
      emit(Op::kMul, Type::kS64, {Operand::r(b)}, {Operand::r(elements), Operand::i(bits)});
      emit(Op::kShr, Type::kU64, {Operand::r(bytes)}, {Operand::r(b), Operand::i(3)});
    }
    return bytes;
  };
  for (int d = 0; d < rank; ++d) {
    const EValue &v = values_[inst.operands[1 + size_t(d)]];
    depths.push_back(v.depth);
    origin.push_back(asIndex(v, typeOf(inst.operands[1 + size_t(d)])));
    originConstant.push_back(v.constant);
    // A constant's largest power-of-two factor (what alignment needs), at most 2^40.
    originMultiple.push_back(v.constant ? (*v.constant == 0 ? (int64_t(1) << 40)
                                                             : std::min<int64_t>(int64_t(uint64_t(*v.constant) & (~uint64_t(*v.constant) + 1)),
                                                                                 int64_t(1) << 40))
                                        : v.multipleOf);
  }
  // The runs: dimensions runDim..rank-1, the ones after runDim spanned whole from 0.
  int runDim = rank - 1;
  int64_t runElements = box[size_t(rank - 1)];
  while (runDim > 0 && gt.shape[size_t(runDim)] == box[size_t(runDim)] && originConstant[size_t(runDim)] &&
         *originConstant[size_t(runDim)] == 0) {
    --runDim;
    runElements *= box[size_t(runDim)];
  }
  const bool merged = runDim < rank - 1;
  // Row-major element strides.
  std::vector<Reg> strides(static_cast<size_t>(rank));
  if (g.argument) {
    strides = hoistedStrides(inst.operands[0]);
  } else {
    for (int d = rank - 1; d >= 0; --d) {
      strides[size_t(d)] = d == rank - 1 ? imm64(1) : newReg(RegKind::kB64);
      if (d < rank - 1)
        emit(Op::kMul, Type::kS64, {Operand::r(strides[size_t(d)])},
             {Operand::r(strides[size_t(d + 1)]), Operand::r(g.regs[size_t(d + 1)])});
    }
  }
  // What a run's first byte is known to be a multiple of: the tensor's alignment, the
  // last origin's bytes and every stride's (from the static extents).
  int64_t runAlign = std::max<int64_t>(g.alignment, 1);
  if (bits % 8 == 0) {
    int64_t strideBytes = bits / 8;
    for (int d = rank - 1; d >= 0; --d) {
      const int64_t term = d == rank - 1 ? strideBytes * originMultiple[size_t(d)] : strideBytes;
      runAlign = std::gcd(runAlign, term > 0 ? term : 1);
      strideBytes *= gt.shape[size_t(d)] > 0 ? gt.shape[size_t(d)] : 1;
    }
  } else {
    runAlign = 1;
  }
  int64_t runs = 1;
  for (int d = 0; d < runDim; ++d)
    runs *= box[size_t(d)];
  const int64_t runBytes = (runElements * bits + 7) / 8;
  const bool bulk = target_.major >= 9 && runAlign % 16 == 0 && runBytes % 16 == 0;
  constexpr int64_t kSector = 32;
  const int64_t perRun = bulk ? 1 : (runBytes + kSector - 1) / kSector + (runAlign % kSector == 0 ? 0 : 1);
  const int64_t items = runs * perRun;
  // Bulk: thread 0 issues every run's prefetch, at addresses that depend on no thread
  // index, so ptxas issues the (uniform-datapath) instruction once, not once per distinct
  // address of a warp's lanes.
  const int64_t workers = bulk ? 1 : kernel_.threads;

  // The box inside along the dimensions of the runs' starts (and, merged, along runDim:
  // else no prefetch), and its first element.
  // Origins defined outside loops first, so their part of the sum leaves the loops.
  std::optional<Reg> inside;
  std::optional<Reg> start;
  for (int d : outerFirst(depths)) {
    if (d <= runDim && d + 1 < rank)
      inside = conjoin(inside, tileInside(origin[size_t(d)], box[size_t(d)], g.regs[size_t(d)]));
    Reg next = newReg(RegKind::kB64);
    if (start)
      emit(Op::kMad, Type::kS64, {Operand::r(next)},
           {Operand::r(origin[size_t(d)]), Operand::r(strides[size_t(d)]), Operand::r(*start)});
    else
      emit(Op::kMul, Type::kS64, {Operand::r(next)}, {Operand::r(origin[size_t(d)]), Operand::r(strides[size_t(d)])});
    start = next;
  }
  Reg startBytes = bytesOf(*start), base = newReg(RegKind::kB64);
  emit(Op::kAdd, Type::kS64, {Operand::r(base)}, {Operand::r(g.reg), Operand::r(startBytes)});
  // Bytes of a run inside the tensor: a merged run is whole (the box is inside along
  // runDim); a run of the last dimension from its start to the tensor's end, at most the
  // box's (0 when the origin lies past the end).
  Reg runLen;
  if (merged) {
    runLen = imm64(runBytes);
  } else {
    const Reg lastDim = g.regs[size_t(rank - 1)], lastOrigin = origin[size_t(rank - 1)];
    Reg left = newReg(RegKind::kB64), past = newReg(RegKind::kPred), leftBits = newReg(RegKind::kB64);
    Reg leftBytes = newReg(RegKind::kB64), clipped = newReg(RegKind::kB64);
    runLen = newReg(RegKind::kB64);
    emit(Op::kSub, Type::kS64, {Operand::r(left)}, {Operand::r(lastDim), Operand::r(lastOrigin)});
    emit(Op::kSetp, Type::kU64, {Operand::r(past)}, {Operand::r(lastOrigin), Operand::r(lastDim)}).cmp = ptx::Cmp::kHs;
    emit(Op::kMul, Type::kS64, {Operand::r(leftBits)}, {Operand::r(left), Operand::i(bits)});
    emit(Op::kShr, Type::kU64, {Operand::r(leftBytes)}, {Operand::r(leftBits), Operand::i(3)});
    emit(Op::kMin, Type::kU64, {Operand::r(clipped)}, {Operand::r(leftBytes), Operand::i(runBytes)});
    emit(Op::kSelp, Type::kB64, {Operand::r(runLen)}, {Operand::i(0), Operand::r(clipped), Operand::r(past)});
  }

  // At most kMaxRounds rounds are emitted (the code is unrolled): a box of more runs or
  // sectors than that many rounds cover is prefetched in part (a hint may be dropped).
  constexpr int64_t kMaxRounds = 32;
  for (int64_t round = 0; round * workers < items && round < kMaxRounds; ++round) {
    // This worker's item: its run (coordinates in the box) and its part of the run.
    Reg item = newReg(RegKind::kB32);
    if (bulk)
      emit(Op::kMov, Type::kB32, {Operand::r(item)}, {Operand::i(round)});
    else
      emit(Op::kAdd, Type::kU32, {Operand::r(item)}, {Operand::r(tid_), Operand::i(round * workers)});
    Reg run = newReg(RegKind::kB32), part = newReg(RegKind::kB32);
    emit(Op::kDiv, Type::kU32, {Operand::r(run)}, {Operand::r(item), Operand::i(perRun)});
    emit(Op::kRem, Type::kU32, {Operand::r(part)}, {Operand::r(item), Operand::i(perRun)});
    // The run's element offset from the box's first: coordinates times strides.
    Reg offset = imm64(0), rest = run;
    for (int d = runDim - 1; d >= 0; --d) {
      Reg coord = newReg(RegKind::kB32), quotient = newReg(RegKind::kB32), coord64 = newReg(RegKind::kB64);
      emit(Op::kRem, Type::kU32, {Operand::r(coord)}, {Operand::r(rest), Operand::i(box[size_t(d)])});
      emit(Op::kDiv, Type::kU32, {Operand::r(quotient)}, {Operand::r(rest), Operand::i(box[size_t(d)])});
      emit(Op::kCvt, Type::kU64, {Operand::r(coord64)}, {Operand::r(coord)}).type2 = Type::kU32;
      Reg next = newReg(RegKind::kB64);
      emit(Op::kMad, Type::kS64, {Operand::r(next)},
           {Operand::r(coord64), Operand::r(strides[size_t(d)]), Operand::r(offset)});
      offset = next;
      rest = quotient;
    }
    Reg runOffset = bytesOf(offset);
    // The byte of the run this item fetches: part * 32, or the run's last byte for the
    // extra item of an unaligned run; bulk: the run's start.
    Reg within;
    Reg inItems = newReg(RegKind::kPred), inRun = newReg(RegKind::kPred);
    emit(Op::kSetp, Type::kU32, {Operand::r(inItems)}, {Operand::r(item), Operand::i(items)}).cmp = ptx::Cmp::kLo;
    if (bulk) {
      within = imm64(0);
      // At least 16 bytes of the run (the size rounded down to 16), from thread 0.
      Reg lane0 = newReg(RegKind::kPred), enough = newReg(RegKind::kPred);
      emit(Op::kSetp, Type::kU32, {Operand::r(lane0)}, {Operand::r(tid_), Operand::i(0)}).cmp = ptx::Cmp::kEq;
      emit(Op::kSetp, Type::kU64, {Operand::r(enough)}, {Operand::r(runLen), Operand::i(16)}).cmp = ptx::Cmp::kHs;
      inRun = conjoin(lane0, enough);
    } else {
      Reg part64 = newReg(RegKind::kB64), sector = newReg(RegKind::kB64), lastByte = newReg(RegKind::kB64);
      within = newReg(RegKind::kB64);
      emit(Op::kCvt, Type::kU64, {Operand::r(part64)}, {Operand::r(part)}).type2 = Type::kU32;
      emit(Op::kMul, Type::kS64, {Operand::r(sector)}, {Operand::r(part64), Operand::i(kSector)});
      emit(Op::kSub, Type::kS64, {Operand::r(lastByte)}, {Operand::r(runLen), Operand::i(1)});
      emit(Op::kMin, Type::kU64, {Operand::r(within)}, {Operand::r(sector), Operand::r(lastByte)});
      emit(Op::kSetp, Type::kU64, {Operand::r(inRun)}, {Operand::r(within), Operand::r(runLen)}).cmp = ptx::Cmp::kLo;
    }
    Reg valid = conjoin(inside, conjoin(inItems, inRun));
    Reg sum = newReg(RegKind::kB64), address = newReg(RegKind::kB64);
    emit(Op::kAdd, Type::kS64, {Operand::r(sum)}, {Operand::r(runOffset), Operand::r(within)});
    emit(Op::kAdd, Type::kS64, {Operand::r(address)}, {Operand::r(base), Operand::r(sum)});
    Inst *pf;
    if (bulk) {
      Reg size = newReg(RegKind::kB32), size64 = newReg(RegKind::kB64);
      emit(Op::kAnd, Type::kB64, {Operand::r(size64)}, {Operand::r(runLen), Operand::i(~int64_t(15))});
      emit(Op::kCvt, Type::kU32, {Operand::r(size)}, {Operand::r(size64)}).type2 = Type::kU64;
      pf = &emit(Op::kPrefetchBulk, Type::kNone, {}, {Operand::addr(address), Operand::r(size)});
    } else {
      pf = &emit(Op::kPrefetch, Type::kNone, {}, {Operand::addr(address)});
    }
    pf->guarded = true;
    pf->guard = valid;
  }
  return absl::OkStatus();
}

} // namespace tessel::cuda
