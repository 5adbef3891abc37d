//===- LowBitGemmHost.cpp - the low-bit GEMM template: checks, zero fill, host -===//
//
// GemmBuilder::build (the spec's checks and the schedule's fields), the zero fill of
// split-K and stream-K, and the host function that checks shapes, sizes the grid and
// launches; the kernel itself is LowBitGemm.cpp.
//
//===----------------------------------------------------------------------===//
#include "GemmBuilder.h"

using namespace mlir;
using namespace tessel;
using namespace tessel::tbvm;
using tessel::kernels::detail::GemmBuilder;

LogicalResult GemmBuilder::build() {
  std::optional<vm::DType> d = toDType(spec_.weightType);
  if (!d || d->bits() < 1 || d->bits() > 8)
    return emitError(loc_) << "low-bit GEMM: weights must be 1..8-bit codes, not " << spec_.weightType;
  if (d->isFloat() && !spec_.symmetric)
    return emitError(loc_) << "low-bit GEMM: float codes are symmetric";
  if (spec_.groupSize != 0 && spec_.groupSize % 128 != 0)
    return emitError(loc_) << "low-bit GEMM: group size must be a multiple of 128 or per "
                              "channel (0), not "
                           << spec_.groupSize;
  bits_ = d->bits();
  ScheduleAttr s = spec_.schedule;
  W_ = s.getWarps();
  WM_ = s.getWarpsM();
  WN_ = W_ / WM_;
  NW_ = s.getNPerWarp();
  BM_ = s.getBm();
  swap_ = BM_ == 8;
  MT_ = swap_ ? 1 : BM_ / (16 * WM_);
  KI_ = s.getKStep();
  KS_ = KI_ / 128;
  BN_ = 8 * WN_ * NW_;
  const int64_t stages = s.getStages();
  if (swap_ && NW_ % 2 != 0)
    return emitError(loc_) << "low-bit GEMM: bm = 8 (the weights as the mma's 16-row A operand) "
                              "takes n-tiles in pairs: n_per_warp must be even, not "
                           << NW_;
  // K slice of one compute step: the register pipeline casts a whole 128-wide unit; the
  // shared pipeline loads a 128-wide unit of codes and casts 32 of K at a time.
  KW_ = stages >= 2 ? 32 : 128;
  // Where the scales apply: to the f16 weight fragments (the shared pipeline with several
  // mma tiles of rows per warp: one multiplication per pair of weights feeds them all),
  // or to each 128-deep product in f32 (one fma per accumulator element, cheaper when a
  // warp has a single 16-row tile, as in decode).
  scaleWeights_ = stages >= 2 && MT_ >= 2;
  // Registers per thread for fragments: register pipeline: A of a 128-wide step (32 per
  // 16 rows), the f16 weights (16 per n-tile); shared pipeline: one kw slice of A and B
  // and the codes of a 128-wide unit (bits words per n-tile); both: the accumulator and,
  // unless the weights carry the scales, one product (4 per mma tile each).
  // (bm = 8: x^T's fragments take half of A's, the accumulator and the product 2 each per
  // n-tile.)
  int64_t regs = (stages >= 2 ? MT_ * KW_ / 4 + NW_ * KW_ / 8 + NW_ * bits_ : 32 * MT_ + 16 * NW_) +
                 (scaleWeights_ ? 4 : 8) * MT_ * NW_;
  if (swap_)
    regs = (stages >= 2 ? KW_ / 8 + NW_ * KW_ / 8 + NW_ * bits_ : 16 + 16 * NW_) + 4 * NW_;
  if (regs > 168)
    return emitError(loc_) << "low-bit GEMM: " << (swap_ ? 8 : 16 * MT_) << " rows and " << NW_
                           << " n-tiles per warp need about " << regs
                           << " registers per thread for fragments (at most 168)";
  // The scale (and offset) rows: a shared pipeline copies them into its stages; the
  // register pipeline (stages = 1) with groups that divide k_step copies a pair of chunks'
  // rows with the pair's (bm = 8) or next chunk's activations, double-buffered, and reads
  // them with ld.shared where they multiply. Loaded into registers, a lane's scales took
  // one 16-bit load each and were packed into f16 pairs right after the loads, so every
  // pair of K steps waited for DRAM there (an H200 profile of the si4 decode: 16% of all stall samples). 4-bit codes with
  // offsets keep the registers: in shared memory ptxas 13.0 spills one on sm_86 and sm_89
  // at <= 128 registers.
  scaleTensors_ = spec_.symmetric ? 1 : 2;
  sharedPairScales_ = stages == 1 && spec_.groupSize && KI_ % spec_.groupSize == 0 &&
                      (spec_.symmetric || bits_ != 4);
  // Shared memory: the activation tile, and with a shared pipeline the weight bytes and KS
  // scale rows, per stage (and the pair scales' two buffers).
  int64_t shared = stages >= 2 ? stages * (BM_ * KI_ * 2 + KS_ * WN_ * NW_ * 128 * int64_t(bits_) +
                                           scaleTensors_ * KS_ * BN_ * 2)
                                : (stages == 1 ? (swap_ ? 4 : 2) : 0) * BM_ * KI_ * 2;
  if (sharedPairScales_)
    shared += scaleTensors_ * 2 * (2 * KI_ / spec_.groupSize) * BN_ * 2;
  if (shared > kMaxSharedBytes)
    return emitError(loc_) << "low-bit GEMM: " << stages << " stages of bm = " << BM_
                           << ", k_step = " << KI_ << ", " << BN_ << " columns of " << bits_
                           << "-bit weights need " << shared << " bytes of shared memory (at most "
                           << kMaxSharedBytes << ")";
  Type f16 = b_.getF16Type(), f32 = b_.getF32Type(), i8 = b_.getI8Type();
  int64_t dyn = ShapedType::kDynamic;
  xType_ = GTensorType::get(ctx_, {dyn, dyn}, f16);
  wType_ = GTensorType::get(ctx_, {dyn, dyn, int64_t(128 * bits_)}, i8);
  sType_ = GTensorType::get(ctx_, {dyn, dyn}, f16);
  yType_ = GTensorType::get(ctx_, {dyn, dyn}, f32);
  if (failed(buildKernel()))
    return failure();
  buildZeroKernel();
  buildHost();
  return success();
}

// The output's zero fill for split-K and stream-K, one block per column tile of y (as the
// main kernel's blocks store it), launched only when blocks share a tile: with one split
// (or stream-K shares of whole tiles) every element of y is stored, and y is allocated
// uninitialized, so a decode call enqueues no fill.
void GemmBuilder::buildZeroKernel() {
  b_.setInsertionPointToEnd(module_.getBody());
  auto kernel = KernelOp::create(b_, loc_, spec_.name + "_zero", b_.getFunctionType({yType_}, {}),
                                 ArrayAttr(), ArrayAttr(), uint64_t(W_), uint64_t(0), IntegerAttr());
  Block *entry = kernel.addEntryBlock();
  b_.setInsertionPointToEnd(entry);
  Type idx = b_.getIndexType();
  Value bn = BlockIdxOp::create(b_, loc_, idx, DimAttr::get(ctx_, Dim::x));
  Value bm = BlockIdxOp::create(b_, loc_, idx, DimAttr::get(ctx_, Dim::y));
  // The main kernel, launched to overlap this one, may start now: it waits for this one to
  // end before it writes y.
  LaunchDependentsOp::create(b_, loc_);
  Value zero = AllocRegsOp::create(b_, loc_, yTile_, Value());
  StoreGlobalOp::create(b_, loc_, zero, entry->getArgument(0), ValueRange{muli(bm, index(BM_)), muli(bn, index(BN_))},
                        CacheHint::normal);
  ReturnOp::create(b_, loc_, ValueRange{});
}

void GemmBuilder::buildHost() {
  SmallVector<Type> args{xType_, wType_, sType_};
  if (!spec_.symmetric)
    args.push_back(sType_);
  b_.setInsertionPointToEnd(module_.getBody());
  auto host = HostOp::create(b_, loc_, spec_.name, b_.getFunctionType(args, {yType_}),
                             ArrayAttr(), ArrayAttr());
  const char *names[] = {"x", "w", "s", "m"};
  for (unsigned i = 0; i < args.size(); ++i)
    host.setArgAttr(i, "tbvm.name", b_.getStringAttr(names[i]));
  host.setResultAttr(0, "tbvm.name", b_.getStringAttr("y"));
  Block *entry = host.addEntryBlock();
  b_.setInsertionPointToEnd(entry);
  Value x = entry->getArgument(0), s = entry->getArgument(2);
  Type idx = b_.getIndexType();
  Value m = DimOp::create(b_, loc_, idx, x, b_.getI64IntegerAttr(0));
  Value k = DimOp::create(b_, loc_, idx, x, b_.getI64IntegerAttr(1));
  Value n = DimOp::create(b_, loc_, idx, s, b_.getI64IntegerAttr(1));
  // What the types cannot say: the shapes must agree (else the kernel would read zeros
  // past a short tensor and answer wrongly without a word).
  Value w = entry->getArgument(1);
  auto dim = [&](Value t, int64_t d) { return DimOp::create(b_, loc_, idx, t, b_.getI64IntegerAttr(d)); };
  auto eq = [&](Value a, Value b) {
    return arith::CmpIOp::create(b_, loc_, arith::CmpIPredicate::eq, a, b).getResult();
  };
  auto multipleOf = [&](Value v, int64_t q) {
    return eq(arith::RemUIOp::create(b_, loc_, v, index(q)), index(0));
  };
  auto check = [&](Value ok, const std::string &message, ValueRange values) {
    CheckOp::create(b_, loc_, ok, b_.getStringAttr(message), values);
  };
  check(multipleOf(k, 128), "x's K must be a multiple of 128 (K)", ValueRange{k});
  check(eq(muli(dim(w, 0), index(128)), k), "w must hold K / 128 rows (rows of w, K of x)",
        ValueRange{dim(w, 0), k});
  check(arith::AndIOp::create(b_, loc_, multipleOf(n, 8), eq(muli(dim(w, 1), index(8)), n)),
        "w must hold N / 8 column tiles, N a multiple of 8 (tiles of w, N of s)",
        ValueRange{dim(w, 1), n});
  if (spec_.groupSize > 0)
    check(arith::AndIOp::create(b_, loc_, multipleOf(k, spec_.groupSize),
                                eq(muli(dim(s, 0), index(spec_.groupSize)), k)),
          "s must hold one row per group of " + std::to_string(spec_.groupSize) +
              " along K (rows of s, K of x)",
          ValueRange{dim(s, 0), k});
  else
    check(eq(dim(s, 0), index(1)), "s must hold one row (per-channel scales) (rows of s)",
          ValueRange{dim(s, 0)});
  if (!spec_.symmetric) {
    Value off = entry->getArgument(3);
    check(arith::AndIOp::create(b_, loc_, eq(dim(off, 0), dim(s, 0)), eq(dim(off, 1), n)),
          "m must have the shape of s (rows and columns of m)", ValueRange{dim(off, 0), dim(off, 1)});
  }
  Value gx = arith::CeilDivUIOp::create(b_, loc_, n, index(BN_));
  Value gy = arith::CeilDivUIOp::create(b_, loc_, m, index(BM_));
  Value gz;
  Value kernelX = gx;  // the kernel's grid x: its column tiles, or with stream-K its blocks
  Value zeroX;         // column tiles of y the zero kernel fills (0: none)
  int64_t splitK = spec_.schedule.getSplitK();
  if (spec_.schedule.getStreamK()) {
    // Stream-K: whole rounds of about target_blocks blocks (the device's resident blocks
    // when 0) over the row blocks, at least one per column tile (so a block's share spans
    // at most two tiles: LowBitGemm.cpp) and at most one per (column tile, K chunk) unit.
    // y needs zeros unless every block's share is whole tiles.
    Value target = spec_.schedule.getTargetBlocks() == 0
                       ? ResidentBlocksOp::create(b_, loc_, idx,
                                                  FlatSymbolRefAttr::get(ctx_, spec_.name + "_kernel"))
                             .getResult()
                       : index(spec_.schedule.getTargetBlocks());
    Value chunks = arith::CeilDivUIOp::create(b_, loc_, k, index(KI_));
    Value units = muli(gx, chunks);
    // (Empty shapes: no units, no blocks; K = 0 leaves y to the zero fill.)
    auto atLeast1 = [&](Value v) { return arith::MaxUIOp::create(b_, loc_, v, index(1)).getResult(); };
    Value round = atLeast1(arith::CeilDivUIOp::create(b_, loc_, target, atLeast1(gy)));
    kernelX = arith::MinUIOp::create(b_, loc_, muli(arith::CeilDivUIOp::create(b_, loc_, gx, round), round), units);
    gz = index(1);
    Value share = arith::DivUIOp::create(b_, loc_, units, atLeast1(kernelX));
    Value whole = arith::AndIOp::create(b_, loc_, eq(muli(share, kernelX), units),
                                        eq(arith::RemUIOp::create(b_, loc_, share, atLeast1(chunks)), index(0)));
    whole = arith::AndIOp::create(b_, loc_, whole,
                                  arith::CmpIOp::create(b_, loc_, arith::CmpIPredicate::ne, units, index(0)));
    zeroX = arith::SelectOp::create(b_, loc_, whole, index(0), gx);
  } else if (splitK > 0) {
    gz = index(splitK);
  } else if (spec_.schedule.getTargetBlocks() == 0) {
    // Sized to the device: R blocks run at once (tbvm.resident_blocks), so s splits take
    // about ceil(blocks * s / R) rounds of 1/s of the work each. Take the s in 1..smax
    // (each block keeping at least 1024 of K: 8 chunks of 128, 4 of 256, 3 of 384;
    // s <= 32) that minimizes ceil(blocks s / R) / s, a larger s only where it is at
    // least 10% better (each split adds a block's pipeline start and atomic adds). 64 column blocks of 8192 x 8192 on 528 resident:
    // s = 8 (one round; target 256 gives 4); 448 on 396: s = 6 (7 rounds of 1/6, where
    // no split takes 2 rounds of whole blocks).
    Value blocks = muli(gx, gy);
    Value resident = ResidentBlocksOp::create(b_, loc_, idx,
                                              FlatSymbolRefAttr::get(ctx_, spec_.name + "_kernel"));
    Value chunks = arith::CeilDivUIOp::create(b_, loc_, k, index(KI_));
    Value smax = arith::MinUIOp::create(
        b_, loc_,
        arith::MaxUIOp::create(b_, loc_,
                               arith::DivUIOp::create(b_, loc_, chunks, index((1024 + KI_ - 1) / KI_)),
                               index(1)),
        index(32));
    Value rounds1 = arith::CeilDivUIOp::create(b_, loc_, blocks, resident);
    auto search = scf::ForOp::create(
        b_, loc_, index(2), addi(smax, index(1)), index(1), ValueRange{index(1), rounds1},
        [&](OpBuilder &nb, Location l, Value sv, ValueRange best) {
          Value r = arith::CeilDivUIOp::create(nb, l, arith::MulIOp::create(nb, l, blocks, sv), resident);
          // r / s < 0.9 * bestRounds / bestS, in integers.
          Value lhs = arith::MulIOp::create(nb, l, arith::MulIOp::create(nb, l, r, best[0]),
                                            arith::ConstantIndexOp::create(nb, l, 10));
          Value rhs = arith::MulIOp::create(nb, l, arith::MulIOp::create(nb, l, best[1], sv),
                                            arith::ConstantIndexOp::create(nb, l, 9));
          Value better = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::ult, lhs, rhs);
          scf::YieldOp::create(nb, l, ValueRange{arith::SelectOp::create(nb, l, better, sv, best[0]),
                                                 arith::SelectOp::create(nb, l, better, r, best[1])});
        });
    gz = search.getResult(0);
  } else {
    // Enough blocks to fill the GPU: about target_blocks (256 by default: two per SM of
    // the largest parts), each keeping at least 256 of K (2 chunks of 128, 1 of more).
    Value blocks = muli(gx, gy);
    Value want = arith::CeilDivUIOp::create(b_, loc_, index(spec_.schedule.getTargetBlocks()), blocks);
    Value chunks = arith::CeilDivUIOp::create(b_, loc_, k, index(KI_));
    Value most = arith::MaxUIOp::create(
        b_, loc_, arith::DivUIOp::create(b_, loc_, chunks, index((256 + KI_ - 1) / KI_)), index(1));
    gz = arith::MaxUIOp::create(b_, loc_, arith::MinUIOp::create(b_, loc_, want, most), index(1));
  }
  // y: uninitialized, zeroed by the zero kernel only when blocks share a tile (a launch of
  // no blocks does nothing).
  auto y = AllocGlobalOp::create(b_, loc_, yType_, ValueRange{m, n});
  y.setUninitialized(true);
  if (!zeroX)
    zeroX = arith::SelectOp::create(b_, loc_, arith::CmpIOp::create(b_, loc_, arith::CmpIPredicate::ugt, gz, index(1)),
                                    gx, index(0));
  LaunchOp::create(b_, loc_, spec_.name + "_zero", zeroX, gy, index(1), ValueRange{y});
  SmallVector<Value> launchArgs(entry->getArguments().begin(), entry->getArguments().end());
  launchArgs.push_back(y);
  // Overlapping the zero fill when it runs (programmatic dependent launch on sm_90): the
  // fill's launch and its gap no longer come before the main kernel's loads.
  LaunchOp::create(b_, loc_, spec_.name + "_kernel", kernelX, gy, gz, launchArgs)
      .setOverlap(true);
  ReturnOp::create(b_, loc_, ValueRange{y});
}

LogicalResult tessel::kernels::buildLowBitGemm(ModuleOp module, const LowBitGemmSpec &spec,
                                               Location loc) {
  return GemmBuilder(module, spec, loc).build();
}
