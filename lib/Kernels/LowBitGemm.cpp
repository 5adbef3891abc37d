//===- LowBitGemm.cpp - the low-bit GEMM kernel template ------------------===//
//
// The kernel, per block (warps_m x warps_n warps; warp (wm, wn) owns bm / warps_m rows
// and n_per_warp 8-column tiles), once for its column tile (split-K: its share of the
// tile's K chunks), or with stream-K once for each of the (at most two) tiles its share
// of all tiles' K chunks touches:
//
//   for each K chunk of k_step of the segment:
//     have the activation tile and the weight bytes of a later chunk in flight: per
//       n-tile, 128 * bits contiguous bytes per 128 of K (one unit of the mma_k128 order)
//     register pipeline (stages = 1): the next chunk's activation tile is copied to
//       shared memory (cp.async, two buffers) and each warp loads the next chunk's weight
//       bytes into registers the loop carries (stages = 0: no shared memory, each warp
//       loads its A fragments from global memory); two chunks per loop iteration; per
//       128-wide sub-chunk:
//         A = ldmatrix [bm, 128]; B = cast(view(bytes)) : codes in mma B-fragment order
//         D = A * B on tensor cores (f32, from zero)
//         acc += D * scale[group, n]          (+ (A * ones) * offset[group, n])
//       (the scales of both chunks of an iteration in one load when groups divide
//       k_step; with stages = 1 copied into shared memory with the activations instead,
//       except 4-bit codes with offsets; per-channel scales:
//       acc += D over all chunks, scaled once at the end)
//       bm = 8 (decode of up to 8 rows): the transposed product on the tensor cores,
//         D^T [BN, 8] = B^T [BN, 128] A^T [128, 8]: the decoded weights are mma A
//         fragments (16 columns of y per mma, no 16-row padding), the activations B
//         fragments (ldmatrix of the 8-row tile), scales per row of D^T
//     shared pipeline (stages = S >= 2): chunk kc + S - 1's activations, weight bytes and
//       scale rows are copied (cp.async) into an S-stage ring while chunk kc is computed; per
//       128-wide sub-chunk, codes = view(ld.shared bytes) (each lane's whole run), then
//       per 32-wide K slice j:
//         A = ldmatrix [bm, 32]; q = slice(codes, [32 j, 0])
//         B = cast(q) * scale (+ offset), rounded to f16 (f16 dequantization)
//         acc += A * B on tensor cores (f32)
//       so registers hold one slice of A and B, and warps along M share the weights.
//       With one 16-row tile per warp (decode) the slices' products accumulate in D and
//       are scaled in f32 as in the register pipeline, which costs fewer instructions.
//   store acc, or add it atomically when other blocks share the tile's K chunks (y is then
//   zeroed first by the module's <name>_zero kernel; with one split, or stream-K shares
//   of whole tiles, y is allocated uninitialized and nothing fills it)
//
// Layouts (the layout algebra; mma* are the PTX fragments; WM x WN warps):
//   A     spatial(WM,1).replicate(WN).local(MT,kw/16) . mmaA     [16 MT WM, kw]
//   bytes replicate(WM).spatial(1,WN,1).local(1,NW,1).spatial(1,1,32).local(1,1,4 bits)
//   B     replicate(WM).spatial(1,WN).local(1,NW).local(kw/16,1) . mmaB   [kw, 8 WN NW]
//   codes B's, but 1-, 2- and 4-bit codes interleaved in each word (pairs 16 bits apart)
//   (kw = 128 in the register pipeline, 32 in the shared one)
//   C     spatial(WM,WN).local(MT,NW) . mmaC                      [16 MT WM, 8 WN NW]
//   bm = 8: B^T spatial(WN,1).local(NW/2,8) . mmaA [BN, 128] (n-tiles 2i, 2i + 1 are the
//           rows g, g + 8 of A tile i: each lane casts the codes it would for B);
//           A^T replicate(WN).local(8,1) . mmaB [128, 8]; C^T spatial(WN,1).local(NW/2,1)
//           . mmaC [BN, 8]; tbvm.view transposes (same registers, permuted layout)
//
//===----------------------------------------------------------------------===//
#include "GemmBuilder.h"

using namespace mlir;
using namespace tessel;
using namespace tessel::tbvm;
using tessel::kernels::detail::GemmBuilder;

LogicalResult GemmBuilder::buildKernel() {
  Type f16 = b_.getF16Type(), f32 = b_.getF32Type(), i8 = b_.getI8Type();
  auto str = [](int64_t v) { return std::to_string(v); };
  // Warp placement: warp = wm * WN + wn. Operands of the rows are replicated over the
  // warps of a row band (WN of them), operands of the columns over the bands (WM).
  std::string repM = WM_ > 1 ? "replicate(" + str(WM_) + ")." : "";
  std::string repN = WN_ > 1 ? "replicate(" + str(WN_) + ")." : "";
  std::string rowsM = WM_ > 1 ? "spatial(" + str(WM_) + ",1)." : "";
  const char *mmaA = "column_local(2,2).spatial(8,4).local(1,2)";
  const char *mmaB = "local(2,1).column_spatial(4,8).local(2,1)";
  const char *mmaC = "local(2,1).spatial(8,4).local(1,2)";
  // A and B of a kw-wide K slice.
  auto aLayout = [&](int64_t kw) {
    return layout(rowsM + repN + "local(" + str(MT_) + "," + str(kw / 16) + ")." + mmaA);
  };
  auto bLayout = [&](int64_t kw) {
    return layout(repM + "spatial(1," + str(WN_) + ").local(1," + str(NW_) + ").local(" +
                  str(kw / 16) + ",1)." + mmaB);
  };
  // The codes of B as the bytes hold them (vm/Repack.h): the fragment's order, except that
  // 1-, 2- and 4-bit codes are interleaved in each 32-bit word so that every f16 pair's
  // two codes are 16 bits apart (with Q = 16 / bits pairs per word, slot Q e + i of each
  // 2Q holds element 2i + e of the word's pairs; k = 8 Q jhi + 8 i + 2 (lane % 4) + e),
  // which the cast to the fragment turns into one lop3 per pair. A K slice narrower than
  // a word's 8 Q (1 and 2 bits at kw = 32) is held in the fragment's order: the cast reads
  // its codes where the whole word has them (EmitCast.cpp, casts through a slice).
  auto codesLayout = [&](int64_t kw) {
    const int64_t pairs = 16 / bits_;
    if ((bits_ != 1 && bits_ != 2 && bits_ != 4) || kw < 8 * pairs)
      return bLayout(kw);
    return layout(repM + "spatial(1," + str(WN_) + ").local(1," + str(NW_) + ").layout<shape=[" +
                  str(kw) + ",8], modes=[" + str(kw / (8 * pairs)) + "," + str(pairs) +
                  ",4,2,8], spatial=[4,2], local=[0,3,1]>");
  };
  auto lc = layout("spatial(" + str(WM_) + "," + str(WN_) + ").local(" + str(MT_) + "," +
                   str(NW_) + ")." + mmaC);
  auto la = aLayout(128), lb = bLayout(128), laS = aLayout(KW_), lbS = bLayout(KW_);
  auto lq = codesLayout(128), lqS = codesLayout(KW_);
  auto lw = layout(repM + "spatial(1," + str(WN_) + ",1).local(1," + str(NW_) +
                   ",1).spatial(1,1,32).local(1,1," + str(4 * bits_) + ")");
  if (failed(la) || failed(lw) || failed(lb) || failed(lc) || failed(laS) || failed(lbS) ||
      failed(lq) || failed(lqS))
    return failure();
  const int64_t S = spec_.schedule.getStages();
  const bool sharedPipe = S >= 2;
  auto transposed = [&](LayoutAttr l) { return LayoutAttr::get(ctx_, l.getLayout().permute({1, 0})); };
  // bm = 8: the transposed problem, y^T [BN, 8] = W^T [BN, 128] x^T [128, 8] per 128 of
  // K: the decoded weights are mma A fragments (a warp's n-tiles 2i and 2i + 1 are the
  // rows g and g + 8 of its i-th A tile, so each lane casts the same codes as for B) and
  // the activations B fragments; tbvm.view transposes a tile for free (same registers,
  // permuted layout).
  // (kw-wide K slices as for A and B.) Null without bm = 8.
  LayoutAttr lxT, lwT, lcT, lxTS, lwTS;
  if (swap_) {
    auto xT = [&](int64_t kw) { return layout(repN + "local(" + str(kw / 16) + ",1)." + mmaB); };
    auto wT = [&](int64_t kw) {
      return layout("spatial(" + str(WN_) + ",1).local(" + str(NW_ / 2) + "," + str(kw / 16) + ")." + mmaA);
    };
    FailureOr<LayoutAttr> x = xT(128), wt = wT(128), xs = xT(KW_), ws = wT(KW_),
                          c = layout("spatial(" + str(WN_) + ",1).local(" + str(NW_ / 2) + ",1)." + mmaC);
    if (failed(x) || failed(wt) || failed(c) || failed(xs) || failed(ws))
      return failure();
    lxT = *x, lwT = *wt, lcT = *c, lxTS = *xs, lwTS = *ws;
  }
  // Scales and offsets are loaded per column of the tile they multiply (bm = 8: as the
  // transpose of a column of y^T).
  LayoutAttr ls = LayoutAttr::get(
      ctx_, swap_ ? lcT.getLayout().reduce(1).permute({1, 0})
                  : scaleWeights_ ? lbS->getLayout().reduce(0) : lc->getLayout().reduce(0));

  RTensorType bytesType = tile({1, W_ / WM_ * NW_, 128 * bits_}, i8, *lw);
  RTensorType sTile = tile({1, BN_}, f16, ls);
  RTensorType sTileF32 = tile({1, BN_}, f32, ls);
  // The mma's operands of a 128-wide step and its product: A [bm, 128] (activations), the
  // codes and B [128, BN] (weights), C [bm, BN]; with bm = 8 instead x as loaded [8, 128]
  // and as the mma's B [128, 8], the codes and weights transposed (the mma's A), C^T
  // [BN, 8] and a scale column [BN, 1]. Only one set is built.
  RTensorType aType, codesType, bType, cType;
  RTensorType xTile, xTType, codesTType, wTType, cTType, sColType;
  if (swap_) {
    xTile = tile({BM_, 128}, f16, transposed(lxT));
    xTType = tile({128, BM_}, f16, lxT);
    codesTType = tile({BN_, 128}, spec_.weightType, transposed(*lq));
    wTType = tile({BN_, 128}, f16, lwT);
    cTType = tile({BN_, BM_}, f32, lcT);
    sColType = tile({BN_, 1}, f32, LayoutAttr::get(ctx_, lcT.getLayout().reduce(1)));
  } else {
    aType = tile({BM_, 128}, f16, *la);
    codesType = tile({128, BN_}, spec_.weightType, *lq);
    bType = tile({128, BN_}, f16, *lb);
    cType = tile({BM_, BN_}, f32, *lc);
  }
  RTensorType accType = swap_ ? cTType : cType;

  SmallVector<Type> args{xType_, wType_, sType_};
  if (!spec_.symmetric)
    args.push_back(sType_);
  args.push_back(yType_);
  b_.setInsertionPointToEnd(module_.getBody());
  auto kernel = KernelOp::create(b_, loc_, spec_.name + "_kernel",
                                 b_.getFunctionType(args, {}), ArrayAttr(), ArrayAttr(),
                                 uint64_t(W_), uint64_t(0),
                                 spec_.schedule.getMinBlocks() > 0
                                     ? b_.getI64IntegerAttr(spec_.schedule.getMinBlocks())
                                     : IntegerAttr());
  // The schedule it was instantiated with, for readers of the module (tests, tools).
  kernel->setAttr("tbvm.schedule", spec_.schedule);
  Block *entry = kernel.addEntryBlock();
  b_.setInsertionPointToEnd(entry);
  Value x = entry->getArgument(0), w = entry->getArgument(1), sc = entry->getArgument(2);
  Value off = spec_.symmetric ? Value() : entry->getArgument(3);
  SmallVector<Value, 2> scaleArgs{sc}; // the scale tensors: sc (, off), scaleTensors_ of them
  if (off)
    scaleArgs.push_back(off);
  Value y = entry->getArguments().back();

  Value c0 = index(0), c1 = index(1);
  Type idx = b_.getIndexType();
  const bool streamK = spec_.schedule.getStreamK();
  // Split-K: grid x is the column tile, grid z the K split.
  Value bn = streamK ? Value() : BlockIdxOp::create(b_, loc_, idx, DimAttr::get(ctx_, Dim::x));
  Value bm = BlockIdxOp::create(b_, loc_, idx, DimAttr::get(ctx_, Dim::y));
  Value bz = streamK ? Value() : BlockIdxOp::create(b_, loc_, idx, DimAttr::get(ctx_, Dim::z));
  Value splits = streamK ? Value() : GridDimOp::create(b_, loc_, idx, DimAttr::get(ctx_, Dim::z));
  Value m0 = muli(bm, index(BM_));
  Value n0 = streamK ? Value() : muli(bn, index(BN_));      // first column
  Value nt0 = streamK ? Value() : muli(bn, index(BN_ / 8)); // first 8-column tile
  Value kdim = DimOp::create(b_, loc_, idx, x, b_.getI64IntegerAttr(1));
  Value chunks = arith::CeilDivUIOp::create(b_, loc_, kdim, index(KI_));
  // One segment of the block's work: the K chunks [begin, end) of ceil(K / k_step) of the
  // column tile from column n0 (8-column tile nt0), added into y where `adds` (made where
  // the segment stores) says so (other blocks share the tile's reduction), else stored;
  // always added without `adds`.
  auto segment = [&](Value n0, Value nt0, Value begin, Value end, llvm::function_ref<Value()> adds) {
    Value groupDiv = index(spec_.groupSize == 0 ? int64_t(1) << 40 : spec_.groupSize);

    Value zero = AllocRegsOp::create(b_, loc_, accType, Value());
    // The scales (and offsets) of chunk c's sub-chunks, appended to `out`.
    auto loadScales = [&](Location l, Value chunk, SmallVectorImpl<Value> &out) {
      Value k0 = muli(chunk, index(KI_));
      for (Value t : scaleArgs) {
        for (int64_t s = 0; s < KS_; ++s) {
          // Group of this sub-chunk: (k0 + 128 s) / group.
          Value group = arith::DivUIOp::create(b_, l, addi(k0, index(128 * s)), groupDiv);
          out.push_back(LoadGlobalOp::create(b_, l, sTile, t, ValueRange{group, n0}, CacheHint::normal));
        }
      }
    };
    Value last = arith::SubIOp::create(b_, loc_, arith::MaxUIOp::create(b_, loc_, end, c1), c1);
    // The main loop over the block's chunks: `body` computes chunk kc from the carried
    // values (the accumulator first), appends the next chunk's to `next` and returns the
    // new accumulator.
    using ChunkBody =
        llvm::function_ref<Value(Location, Value kc, ValueRange carried, SmallVectorImpl<Value> &next)>;
    auto chunkLoop = [&](ArrayRef<Value> initial, ChunkBody body) {
      return scf::ForOp::create(
          b_, loc_, begin, end, c1, initial,
          [&](OpBuilder &nb, Location l, Value kc, ValueRange carried) {
            OpBuilder::InsertionGuard guard(b_);
            b_.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
            SmallVector<Value> next;
            SmallVector<Value> yielded{body(l, kc, carried, next)};
            yielded.append(next.begin(), next.end());
            scf::YieldOp::create(b_, l, yielded);
          });
    };
    // A per-column tile of y (scales, offsets) as a factor of the accumulator.
    auto perColumn = [&](Location l, Value t) -> Value {
      Value t32 = CastOp::create(b_, l, sTileF32, t);
      if (swap_)
        t32 = ViewOp::create(b_, l, sColType, t32);
      return BroadcastOp::create(b_, l, accType, t32);
    };
    // into + (weights' tile) * (activations' tile) on the tensor cores: A * B into C, or
    // with bm = 8 the transposed product, B^T * A^T into C^T.
    auto mma = [&](Location l, Value weights, Value activations, Value into) -> Value {
      return swap_ ? DotOp::create(b_, l, cTType, weights, activations, into)
                   : DotOp::create(b_, l, cType, activations, weights, into);
    };
    scf::ForOp loop;
    Value result; // the accumulator after the main loop
    if (sharedPipe) {
      // Shared-memory pipeline of S stages: the activation tile and the weight bytes of
      // chunk kc + S - 1 are copied (cp.async) while chunk kc is computed, so S - 1 chunks
      // are in flight without holding registers. Group accounting: every iteration commits
      // one group (empty past the block's last chunk), so waiting until S - 2 groups are
      // pending means chunk kc has landed.
      //
      // The weights stay in the mma_k128 order: each lane's 4 * bits bytes of a 128-wide
      // unit are loaded whole (16-byte loads where they align; odd and 6-bit runs are
      // conflict-free as they are), cast 32 of K at a time (tbvm.slice of the codes: whole
      // registers, or funnel shifts for widths that do not divide 32). 8-bit runs (32 bytes)
      // would put lanes l and l + 4 on the same banks: the swizzle swaps the two 16-byte
      // halves of every lane with bit 2 set.
      const int64_t WNW = WN_ * NW_;
      SwizzleAttr wSwizzle;
      if (bits_ == 8)
        wSwizzle = SwizzleAttr::get(ctx_, 1, 4, 3);
      auto xsType = STensorType::get(ctx_, {S, BM_, KI_}, f16, rowSwizzle(KI_));
      auto xsSlice = STensorType::get(ctx_, {BM_, KI_}, f16, rowSwizzle(KI_));
      auto wsType = STensorType::get(ctx_, {S, KS_, WNW, int64_t(128 * bits_)}, i8, wSwizzle);
      auto wsSlice = STensorType::get(ctx_, {KS_, WNW, int64_t(128 * bits_)}, i8, wSwizzle);
      Value xs = AllocSharedOp::create(b_, loc_, xsType, IntegerAttr());
      Value ws = AllocSharedOp::create(b_, loc_, wsType, IntegerAttr());
      // The chunk's scale (and offset) rows ride in the stage too: KS rows from the group of
      // its first column (sub-chunk s reads row (k0 + 128 s) / group - k0 / group < KS), so
      // no scale is loaded into registers and packed there (see build).
      auto ssSlice = STensorType::get(ctx_, {KS_, BN_}, f16, SwizzleAttr());
      Value ss = AllocSharedOp::create(
          b_, loc_, STensorType::get(ctx_, {S, scaleTensors_, KS_, BN_}, f16, SwizzleAttr()), IntegerAttr());
      // Row of sub-chunk s among its chunk's when it does not depend on the chunk: per
      // channel (row 0), groups that divide k_step (k0 a multiple of the group: 128 s /
      // group), or k_step dividing the group (one group per chunk: 0).
      const int64_t g = spec_.groupSize;
      const bool constantRows = g == 0 || KI_ % g == 0 || g % KI_ == 0;
      auto constantRow = [&](int64_t s) { return g == 0 || g % KI_ == 0 ? int64_t(0) : 128 * s / g; };
      auto firstGroup = [&](Location l, Value chunk) {
        return arith::DivUIOp::create(b_, l, muli(chunk, index(KI_)), groupDiv).getResult();
      };
      // Copies chunk `chunk` into stage `stage` when chunk < end; commits a group either way.
      auto issue = [&](Location l, Value chunk, Value stage) {
        Value inRange = arith::CmpIOp::create(b_, l, arith::CmpIPredicate::ult, chunk, end);
        auto guard = scf::IfOp::create(b_, l, inRange, /*withElseRegion=*/false);
        {
          OpBuilder::InsertionGuard g(b_);
          b_.setInsertionPointToStart(guard.thenBlock());
          Value xsl = SharedSliceOp::create(b_, l, xsSlice, xs, ValueRange{stage});
          CopyAsyncOp::create(b_, l, x, ValueRange{m0, muli(chunk, index(KI_))}, xsl, CacheHint::normal);
          Value wsl = SharedSliceOp::create(b_, l, wsSlice, ws, ValueRange{stage});
          CopyAsyncOp::create(b_, l, w, ValueRange{muli(chunk, index(KS_)), nt0, c0}, wsl,
                              CacheHint::evict_first);
          Value g0 = firstGroup(l, chunk);
          for (auto [t, tensor] : llvm::enumerate(scaleArgs))
            CopyAsyncOp::create(b_, l, tensor, ValueRange{g0, n0},
                                SharedSliceOp::create(b_, l, ssSlice, ss, ValueRange{stage, index(int64_t(t))}),
                                CacheHint::normal);
        }
        CopyAsyncCommitOp::create(b_, l);
      };
      // (bm = 8: A is x's slice, transposed after ldmatrix into the mma's B; the codes and
      // weights of the slice transposed, the weights the mma's A.)
      RTensorType aSlice = swap_ ? tile({BM_, KW_}, f16, transposed(lxTS)) : tile({BM_, KW_}, f16, *laS);
      RTensorType xTSlice = swap_ ? tile({KW_, BM_}, f16, lxTS) : RTensorType();
      RTensorType codesSlice = swap_ ? tile({BN_, KW_}, spec_.weightType, transposed(*lqS))
                                     : tile({KW_, BN_}, spec_.weightType, *lqS);
      RTensorType bSlice = swap_ ? tile({BN_, KW_}, f16, lwTS) : tile({KW_, BN_}, f16, *lbS);
      Value onesSlice; // a B slice of 1.0, for the row sums of A that offsets multiply
      if (!spec_.symmetric && !scaleWeights_)
        onesSlice = AllocRegsOp::create(b_, loc_, bSlice,
                                        arith::ConstantOp::create(b_, loc_, f16, b_.getFloatAttr(f16, 1.0)));
      for (int64_t st = 0; st + 1 < S; ++st)
        issue(loc_, addi(begin, index(st)), index(st));
      // Carried: the accumulator and chunk kc's stage (kc - begin) mod S, kept by the loop so
      // no division by a stage count that is not a power of two is left in it.
      SmallVector<Value> initial{zero, c0};
      loop = chunkLoop(initial, [&](Location l, Value kc, ValueRange carried, SmallVectorImpl<Value> &next) {
        Value acc = carried[0];
        Value stage = carried[1];
        auto eq = [&](Value v, int64_t c) {
          return arith::CmpIOp::create(b_, l, arith::CmpIPredicate::eq, v, index(c));
        };
        Value previous = arith::SelectOp::create(b_, l, eq(stage, 0), index(S - 1),
                                                 arith::SubIOp::create(b_, l, stage, c1));
        next.push_back(arith::SelectOp::create(b_, l, eq(stage, S - 1), c0, addi(stage, c1)));
        CopyAsyncWaitOp::create(b_, l, S - 2);
        SyncOp::create(b_, l); // chunk kc is visible; every warp is done with kc - 1
        // Refill the stage chunk kc - 1 used (stage kc + S - 1 mod S).
        issue(l, addi(kc, index(S - 1)), previous);
        Value xsl = SharedSliceOp::create(b_, l, xsSlice, xs, ValueRange{stage});
        Value wsl = SharedSliceOp::create(b_, l, wsSlice, ws, ValueRange{stage});
        Value g0 = constantRows ? Value() : firstGroup(l, kc);
        for (int64_t s = 0; s < KS_; ++s) {
          Value bytes = LoadSharedOp::create(b_, l, bytesType, wsl, ValueRange{index(s), c0, c0});
          Value all = ViewOp::create(b_, l, swap_ ? codesTType : codesType, bytes);
          Value row = constantRows
                          ? index(constantRow(s))
                          : arith::SubIOp::create(
                                b_, l, arith::DivUIOp::create(b_, l, addi(muli(kc, index(KI_)), index(128 * s)), groupDiv), g0)
                                .getResult();
          auto scaleRow = [&](int64_t t) {
            return LoadSharedOp::create(b_, l, sTile, SharedSliceOp::create(b_, l, ssSlice, ss, ValueRange{stage, index(t)}),
                                        ValueRange{row, c0})
                .getResult();
          };
          Value scaleIn = scaleRow(0);
          Value offsetIn = spec_.symmetric ? Value() : scaleRow(1);
          // A and the f16 codes of the 32-wide slice j of this sub-chunk.
          auto operands = [&](int64_t j) {
            Value a = LoadMatrixOp::create(b_, l, aSlice, xsl, ValueRange{c0, index(128 * s + KW_ * j)}, false);
            if (swap_)
              a = ViewOp::create(b_, l, xTSlice, a);
            Value codes = SliceOp::create(b_, l, codesSlice, all,
                                          b_.getDenseI64ArrayAttr(swap_ ? ArrayRef<int64_t>{0, KW_ * j}
                                                                        : ArrayRef<int64_t>{KW_ * j, 0}));
            return std::make_pair(a, CastOp::create(b_, l, bSlice, codes).getResult());
          };
          if (scaleWeights_) {
            // Dequantize in f16 (w = q * s (+ m), rounded once): the scales multiply the
            // weight fragments, which every mma tile of the warp's rows reuses; the
            // accumulator then takes the products directly.
            Value scale = BroadcastOp::create(b_, l, bSlice, scaleIn);
            Value offset = offsetIn ? BroadcastOp::create(b_, l, bSlice, offsetIn).getResult() : Value();
            for (int64_t j = 0; j < 128 / KW_; ++j) {
              auto [a, bf] = operands(j);
              Value bw = offset ? FmaOp::create(b_, l, bSlice, bf, scale, offset).getResult()
                                : BinaryOp::create(b_, l, bSlice, BinaryKind::mul, bf, scale).getResult();
              acc = mma(l, bw, a, acc);
            }
            continue;
          }
          // f32 scaling: D = A * cast(codes) over the 128-deep unit (slice by slice, the
          // same mma order as one product), then acc += D * scale (+ rowsum(A) * offset).
          Value d = zero, sums = zero;
          for (int64_t j = 0; j < 128 / KW_; ++j) {
            auto [a, bf] = operands(j);
            d = mma(l, bf, a, d);
            if (offsetIn)
              sums = mma(l, onesSlice, a, sums);
          }
          acc = FmaOp::create(b_, l, accType, d, perColumn(l, scaleIn), acc);
          if (offsetIn)
            acc = FmaOp::create(b_, l, accType, sums, perColumn(l, offsetIn), acc);
        }
        return acc;
      });
      CopyAsyncWaitOp::create(b_, loc_, 0); // no copy outlives the block
      result = loop.getResult(0);
    } else {
      Value ones; // a B tile (bm = 8: an A tile) of 1.0, for the row sums of A that offsets multiply
      if (!spec_.symmetric) {
        Value one = arith::ConstantOp::create(b_, loc_, f16, b_.getFloatAttr(f16, 1.0));
        ones = AllocRegsOp::create(b_, loc_, swap_ ? wTType : bType, one);
      }
      // One 128-wide sub-chunk: acc += (A * cast(codes)) * scale (+ rowsum(A) * offset);
      // bm = 8: (cast(codes)^T * x^T) * scale (+ ...), `a` being x^T. Per-channel scales
      // (and offsets) are the same for every chunk: the mmas accumulate A * cast(codes)
      // (and the row sums) over the block's whole share of K, scaled once after the loop,
      // so no chunk loads scales or spends fmas on them. `accs` is the accumulator (and,
      // per channel with offsets, the row sums).
      const bool perChannel = spec_.groupSize == 0;
      const bool pairScales = !perChannel && KI_ % spec_.groupSize == 0;
      const int64_t groupsPerChunk = pairScales ? KI_ / spec_.groupSize : 0;
      RTensorType pairScalesType;
      if (pairScales)
        pairScalesType = tile({2 * groupsPerChunk, BN_}, f16,
                              LayoutAttr::get(ctx_, *vm::Layout::local({2 * groupsPerChunk, 1}).compose(ls.getLayout())));
      // `scale` and `offset` are [1, BN] tiles, or (row >= 0) the pair's rows in registers
      // or in shared memory, row `row` of which is taken where it multiplies (a shared one
      // read there, so it holds no registers during the decode).
      auto step = [&](Location l, MutableArrayRef<Value> accs, Value a, Value bytes, Value scale, Value offset,
                      int64_t row = -1) {
        auto rowOf = [&](Value t) -> Value {
          if (row < 0)
            return t;
          if (isa<STensorType>(t.getType()))
            return LoadSharedOp::create(b_, l, sTile, t, ValueRange{index(row), c0});
          return SliceOp::create(b_, l, sTile, t, b_.getDenseI64ArrayAttr({row, 0}));
        };
        Value codes = ViewOp::create(b_, l, swap_ ? codesTType : codesType, bytes);
        Value d = mma(l, CastOp::create(b_, l, swap_ ? wTType : bType, codes), a, perChannel ? accs[0] : zero);
        // sum_k A[m, k] * offset[group, n]: the row sums come from the tensor cores (A times
        // a B tile of ones puts sum_k A[m, k] in every column), so the offset costs one mma
        // per fragment and an fma instead of a cross-thread reduction per step.
        if (perChannel) {
          accs[0] = d;
          if (!spec_.symmetric)
            accs[1] = mma(l, ones, a, accs[1]);
          return;
        }
        accs[0] = FmaOp::create(b_, l, accType, d, perColumn(l, rowOf(scale)), accs[0]);
        if (offset) {
          Value sums = mma(l, ones, a, zero);
          accs[0] = FmaOp::create(b_, l, accType, sums, perColumn(l, rowOf(offset)), accs[0]);
        }
      };
      // The weights of chunk c into registers, one load per 128-wide sub-chunk, then (when
      // neither per channel nor loaded per pair) its scales: KS + KS (+ KS) values of the
      // loop's carried list.
      auto loadWeights = [&](Location l, Value chunk, SmallVectorImpl<Value> &out) {
        for (int64_t s = 0; s < KS_; ++s) {
          Value row = addi(muli(chunk, index(KS_)), index(s));
          out.push_back(LoadGlobalOp::create(b_, l, bytesType, w, ValueRange{row, nt0, c0},
                                             CacheHint::evict_first));
        }
        if (!perChannel && !pairScales)
          loadScales(l, chunk, out);
      };
      // Scales (and offsets) of a pair of chunks, first and first + 1: with groups that
      // divide k_step, 2 k_step / group rows, one load (and one address and bounds
      // computation) per pair instead of per chunk; each chunk slices its rows out.
      auto loadPairScales = [&](Location l, Value first, SmallVectorImpl<Value> &out) {
        for (Value t : scaleArgs)
          out.push_back(LoadGlobalOp::create(b_, l, pairScalesType, t, ValueRange{muli(first, index(groupsPerChunk)), n0},
                                             CacheHint::normal));
      };
      // Register pipeline: the weights of chunk kc + 1 are loaded (into registers carried
      // by the loop) while chunk kc is computed, so DRAM latency hides behind the casts and
      // mmas. The first chunk's weights load before the loop; the last chunk of a pair
      // reloads the block's last chunk (an L2 hit) instead of reading past its share of K.
      // The activations: with stages = 1 the tiles are copied to shared memory (cp.async)
      // ahead into two buffers: one wait and one barrier make the tile copied during the
      // previous chunk(s) visible and free the other buffer (every warp is done with it),
      // which then receives the next tile while the warps read theirs with ldmatrix; no
      // step waits for a copy it has just issued (each had paid an L2 round trip and two
      // barriers). The loop takes two chunks per iteration (an odd last chunk after it), so
      // the next chunk's weights load into the registers the current chunk's free instead
      // of being moved into the loop's carried registers at every step. With 8 rows
      // (2 KiB per chunk) one copy, wait and barrier serve both chunks of an iteration
      // (the buffers alternate per iteration); with 16 rows and more each chunk has its
      // own (buffers 0 and 1, constant addresses: with both chunks' tiles at hand ptxas
      // held 20-40 more registers, 3 blocks per SM instead of 4). With stages = 0 there is
      // no shared memory: each warp loads its A fragments straight from global memory
      // (L1/L2 hits: every block reads the same activations) at the top of the step, so
      // their latency hides behind the weights' decode, with no copy to wait for and no
      // barrier.
      Value smem;
      STensorType smemSlice;
      const int64_t xChunks = swap_ ? 2 : 1; // chunks per activation copy
      if (S == 1) {
        auto swizzle = rowSwizzle(xChunks * KI_);
        smem = AllocSharedOp::create(b_, loc_, STensorType::get(ctx_, {2, BM_, xChunks * KI_}, f16, swizzle),
                                     IntegerAttr());
        smemSlice = STensorType::get(ctx_, {BM_, xChunks * KI_}, f16, swizzle);
      }
      auto buffer = [&](Location l, Value i) {
        return SharedSliceOp::create(b_, l, smemSlice, smem, ValueRange{i}).getResult();
      };
      // The pair's scale (and offset) rows through shared memory (see build): copied with the
      // pair's activations into the same buffer, in the same commit group.
      const bool sharedScales = sharedPairScales_; // (implies pairScales and smem)
      // [2 buffers, scale tensors (sc, off), pair rows, BN]: one base address for both.
      Value scaleSmem;
      STensorType scaleSlice;
      if (sharedScales) {
        scaleSlice = STensorType::get(ctx_, {2 * groupsPerChunk, BN_}, f16, SwizzleAttr());
        scaleSmem = AllocSharedOp::create(
            b_, loc_, STensorType::get(ctx_, {2, scaleTensors_, 2 * groupsPerChunk, BN_}, f16, SwizzleAttr()),
            IntegerAttr());
      }
      auto scaleBuffers = [&](Location l, Value i) {
        SmallVector<Value> out;
        for (int64_t t = 0; t < scaleTensors_; ++t)
          out.push_back(SharedSliceOp::create(b_, l, scaleSlice, scaleSmem, ValueRange{i, index(t)}));
        return out;
      };
      // The pair's scales that chunk() takes: buffer `buf`'s rows, or the carried registers.
      auto pairScalesOf = [&](Location l, Value buf, ValueRange registers) {
        return sharedScales ? scaleBuffers(l, buf) : SmallVector<Value>(registers);
      };
      // The activation tiles of chunks `first` .. `first + xChunks - 1` into buffer `into`
      // (and, with shared scales and `scalesInto`, the scales of the pair starting at
      // `first` into that scale buffer).
      auto copyX = [&](Location l, Value first, Value into, Value scalesInto) {
        CopyAsyncOp::create(b_, l, x, ValueRange{m0, muli(first, index(KI_))}, buffer(l, into),
                            CacheHint::normal);
        if (sharedScales && scalesInto) {
          SmallVector<Value> dest = scaleBuffers(l, scalesInto);
          for (auto [t, tensor] : llvm::enumerate(scaleArgs))
            CopyAsyncOp::create(b_, l, tensor, ValueRange{muli(first, index(groupsPerChunk)), n0}, dest[t],
                                CacheHint::normal);
        }
        CopyAsyncCommitOp::create(b_, l);
      };
      // Waits for the copy into a buffer and returns it (every warp is then done with the
      // other one).
      auto landed = [&](Location l, Value buf) {
        CopyAsyncWaitOp::create(b_, l, 0);
        SyncOp::create(b_, l);
        return buffer(l, buf);
      };
      // Chunk kc, the `half`-th (0 or 1) of its pair, into `accs`: from its weights, the
      // pair's scales when loaded per pair, and (stages = 1) the activation tile (with 8
      // rows the pair's, of which it takes half `half`); with `following`, that chunk's
      // weights are appended to `next`.
      const size_t numAccs = perChannel && !spec_.symmetric ? 2 : 1;
      auto chunk = [&](Location l, Value kc, MutableArrayRef<Value> accs, ValueRange weights, ValueRange pair,
                       Value tile, int64_t half, Value following, SmallVectorImpl<Value> &next) {
        const int64_t column = xChunks == 2 ? KI_ * half : 0; // in the activation tile
        SmallVector<Value> direct;
        if (!tile) {
          Value k0 = muli(kc, index(KI_));
          for (int64_t s = 0; s < KS_; ++s)
            direct.push_back(LoadGlobalOp::create(b_, l, swap_ ? xTile : aType, x,
                                                  ValueRange{m0, addi(k0, index(128 * s))}, CacheHint::normal));
        }
        // The following chunk's weights: all at the start, or (chunks of several
        // sub-chunks whose scales come another way, codes of 2 bits and more) sub-chunk s's
        // right after this chunk's sub-chunk s is computed, into the registers it frees:
        // one sub-chunk in flight more than the registers of one chunk, not two chunks'
        // worth. At k_step 256 (SASS, 2026-11-27) that made ui2 fit 128 registers without
        // spills on sm_80..sm_90 (it spilled 12-16 bytes) and wider codes spill less (sm_90:
        // si4 76 -> 4 bytes, si6 224 -> 12, FP4 48 -> 8); with the ldmatrix addresses that
        // a step's sub-chunks share (EmitCopy.cpp) si3, si4 and FP4 fit too (the defaults:
        // LowBitGemmSchedule.cpp). 1-bit codes, whose chunk is 8 registers, fit either way
        // and take 6% fewer instructions loading it whole.
        const bool staggered = KS_ > 1 && (perChannel || pairScales) && bits_ > 1;
        if (following && !staggered)
          loadWeights(l, following, next);
        for (int64_t s = 0; s < KS_; ++s) {
          Value a = tile ? LoadMatrixOp::create(b_, l, swap_ ? xTile : aType, tile,
                                                ValueRange{c0, index(column + 128 * s)}, false)
                               .getResult()
                         : direct[size_t(s)];
          if (swap_)
            a = ViewOp::create(b_, l, xTType, a);
          if (perChannel) {
            step(l, accs, a, weights[s], Value(), Value());
          } else if (pairScales) {
            // This sub-chunk's group row among the pair's.
            int64_t row = half * groupsPerChunk + 128 * s / spec_.groupSize;
            step(l, accs, a, weights[s], pair[0], spec_.symmetric ? Value() : pair[1], row);
          } else {
            step(l, accs, a, weights[s], weights[KS_ + s], spec_.symmetric ? Value() : weights[2 * KS_ + s]);
          }
          if (following && staggered)
            next.push_back(LoadGlobalOp::create(b_, l, bytesType, w,
                                                ValueRange{addi(muli(following, index(KS_)), index(s)), nt0, c0},
                                                CacheHint::evict_first));
        }
      };
      SmallVector<Value> initial(numAccs, zero);
      if (smem) {
        copyX(loc_, begin, c0, c0);
        if (xChunks == 2 || sharedScales)
          initial.push_back(c0); // the buffer holding the pair's activations (bm = 8) and scales
      }
      const size_t firstScales = initial.size();
      if (pairScales && !sharedScales)
        loadPairScales(loc_, begin, initial);
      const size_t firstWeights = initial.size();
      loadWeights(loc_, begin, initial);
      // Pairs of chunks kc, kc + 1 while kc + 1 <= last.
      loop = scf::ForOp::create(
          b_, loc_, begin, last, index(2), initial,
          [&](OpBuilder &nb, Location l, Value kc, ValueRange carried) {
            OpBuilder::InsertionGuard guard(b_);
            b_.setInsertionPoint(nb.getInsertionBlock(), nb.getInsertionPoint());
            SmallVector<Value> accs(carried.take_front(numAccs)), second, yielded;
            Value kc1 = addi(kc, c1), kc2 = addi(kc, index(2));
            Value following = arith::MinUIOp::create(b_, l, kc2, last);
            Value tile;
            Value otherScales; // with one chunk per copy: the next pair's scale buffer
            if (smem && xChunks == 2) {
              tile = landed(l, carried[numAccs]);
              Value other = arith::SubIOp::create(b_, l, c1, carried[numAccs]);
              yielded.push_back(other);
              copyX(l, kc2, other, other);
            } else if (smem) {
              tile = landed(l, c0);
              copyX(l, kc1, c1, Value());
              if (sharedScales) {
                otherScales = arith::SubIOp::create(b_, l, c1, carried[numAccs]);
                yielded.push_back(otherScales);
              }
            }
            // The block's weights of the pair `prefetch` steps ahead into L2: more bytes
            // in flight than the registers hold (the box is skipped where it would leave
            // the tensor, near the end of K).
            if (int64_t p = spec_.schedule.getPrefetch(); p > 0)
              PrefetchOp::create(b_, l, w, ValueRange{muli(addi(kc, index(p)), index(KS_)), nt0, c0},
                                 b_.getDenseI64ArrayAttr({2 * KS_, BN_ / 8, int64_t(128 * bits_)}));
            ValueRange weights = carried.drop_front(firstWeights);
            SmallVector<Value> pair =
                pairScalesOf(l, carried[numAccs], carried.slice(firstScales, firstWeights - firstScales));
            chunk(l, kc, accs, weights, pair, tile, 0, kc1, second);
            if (pairScales && !sharedScales)
              loadPairScales(l, following, yielded);
            if (smem && xChunks == 1) {
              tile = landed(l, c1);
              copyX(l, following, c0, otherScales);
            }
            SmallVector<Value> next;
            chunk(l, kc1, accs, second, pair, tile, 1, following, next);
            yielded.insert(yielded.begin(), accs.begin(), accs.end());
            yielded.append(next.begin(), next.end());
            scf::YieldOp::create(b_, l, yielded);
          });
      // An odd count leaves the last chunk: its weights carried, its activations the first
      // half of the last buffer copied.
      Value odd = arith::CmpIOp::create(
          b_, loc_, arith::CmpIPredicate::ne,
          arith::AndIOp::create(b_, loc_, arith::SubIOp::create(b_, loc_, end, begin), c1), c0);
      SmallVector<Type> accTypes(numAccs, accType);
      auto tail = scf::IfOp::create(b_, loc_, accTypes, odd, /*withElseRegion=*/true);
      {
        OpBuilder::InsertionGuard guard(b_);
        b_.setInsertionPointToStart(tail.thenBlock());
        SmallVector<Value> none, accs(loop.getResults().take_front(numAccs));
        Value tile = smem ? landed(loc_, xChunks == 2 ? loop.getResult(numAccs) : c0) : Value();
        SmallVector<Value> pair = pairScalesOf(loc_, loop.getResult(numAccs),
                                               loop.getResults().slice(firstScales, firstWeights - firstScales));
        chunk(loc_, last, accs, loop.getResults().drop_front(firstWeights), pair, tile, 0, Value(), none);
        scf::YieldOp::create(b_, loc_, accs);
        b_.setInsertionPointToStart(tail.elseBlock());
        scf::YieldOp::create(b_, loc_, loop.getResults().take_front(numAccs));
      }
      result = tail.getResult(0);
      if (perChannel) {
        // The per-channel scales (and offsets), once.
        auto factor = [&](Value t) {
          return perColumn(loc_, LoadGlobalOp::create(b_, loc_, sTile, t, ValueRange{c0, n0}, CacheHint::normal));
        };
        result = BinaryOp::create(b_, loc_, accType, BinaryKind::mul, result, factor(sc));
        if (!spec_.symmetric)
          result = FmaOp::create(b_, loc_, accType, tail.getResult(1), factor(off), result);
      }
      if (smem)
        CopyAsyncWaitOp::create(b_, loc_, 0); // no copy outlives the block
    }
    Value acc = result;
    if (swap_)
      acc = ViewOp::create(b_, loc_, tile({BM_, BN_}, f32, transposed(lcT)), acc);
    yTile_ = cast<RTensorType>(acc.getType());
    // Blocks that share a tile's reduction add into the output (zeroed by the zero kernel
    // first); a block with the whole reduction stores. The zero kernel may still be running
    // (the launch overlaps it, LowBitGemmHost.cpp): y only after it has ended.
    GridDependencyWaitOp::create(b_, loc_);
    if (!adds) {
      AtomicAddOp::create(b_, loc_, acc, y, ValueRange{m0, n0});
      return;
    }
    auto ifOp = scf::IfOp::create(b_, loc_, adds(), /*withElseRegion=*/true);
    {
      OpBuilder::InsertionGuard guard(b_);
      b_.setInsertionPointToStart(ifOp.thenBlock());
      AtomicAddOp::create(b_, loc_, acc, y, ValueRange{m0, n0});
      b_.setInsertionPointToStart(ifOp.elseBlock());
      StoreGlobalOp::create(b_, loc_, acc, y, ValueRange{m0, n0}, CacheHint::normal);
    }
  };
  if (streamK) {
    // Stream-K: the units (tile t, chunk c), t * chunks + c, in order; block b of G takes
    // [b units / G, (b + 1) units / G). The host makes G at least the tile count, so a
    // share holds at most `chunks` units: the end of tile firstTile and the start of the
    // next. Two segments in straight code (in a loop, what the K loop's prologue and tail
    // keep would stay live across the K loop, and ptxas spilled 36-164 bytes).
    // The share's bounds are computed again where each segment needs them (ptxas keeps
    // what is computed once live across the first segment's K loop: more spills).
    struct Share {
      Value start, stop, firstTile, first, next, mid;
    };
    auto share = [&]() {
      Share sh;
      Value tiles = arith::CeilDivUIOp::create(b_, loc_, DimOp::create(b_, loc_, idx, y, b_.getI64IntegerAttr(1)),
                                               index(BN_));
      Value units = muli(tiles, chunks);
      Value blocks = GridDimOp::create(b_, loc_, idx, DimAttr::get(ctx_, Dim::x));
      Value b = BlockIdxOp::create(b_, loc_, idx, DimAttr::get(ctx_, Dim::x));
      sh.start = arith::DivUIOp::create(b_, loc_, muli(b, units), blocks);
      sh.stop = arith::DivUIOp::create(b_, loc_, muli(addi(b, c1), units), blocks);
      sh.firstTile = arith::DivUIOp::create(b_, loc_, sh.start, chunks);
      sh.first = muli(sh.firstTile, chunks);
      sh.next = addi(sh.first, chunks);
      sh.mid = arith::MinUIOp::create(b_, loc_, sh.stop, sh.next);
      return sh;
    };
    auto ne = [&](Value u, Value v) { return arith::CmpIOp::create(b_, loc_, arith::CmpIPredicate::ne, u, v); };
    auto lt = [&](Value u, Value v) { return arith::CmpIOp::create(b_, loc_, arith::CmpIPredicate::ult, u, v); };
    auto guarded = [&](Value cond) {
      auto guard = scf::IfOp::create(b_, loc_, cond, /*withElseRegion=*/false);
      b_.setInsertionPoint(guard.thenBlock()->getTerminator());
      return guard;
    };
    // Segment 1: [start, mid) of tile firstTile; added unless it is the whole tile.
    Share sh = share();
    auto first = guarded(lt(sh.start, sh.stop));
    Value begin1 = arith::SubIOp::create(b_, loc_, sh.start, sh.first);
    Value end1 = arith::SubIOp::create(b_, loc_, sh.mid, sh.first);
    segment(muli(sh.firstTile, index(BN_)), muli(sh.firstTile, index(BN_ / 8)), begin1, end1, [&] {
      return arith::OrIOp::create(b_, loc_, ne(begin1, c0), ne(end1, chunks)).getResult();
    });
    // Segment 2: [next, stop) of tile firstTile + 1, when the share reaches it: always
    // added, as the share started past tile firstTile's first chunk and holds at most
    // `chunks` units, so it ends before tile firstTile + 1 does. Every warp is done with
    // the shared buffers before its copies refill them.
    b_.setInsertionPointAfter(first);
    sh = share();
    guarded(lt(sh.mid, sh.stop));
    SyncOp::create(b_, loc_);
    Value tile = addi(sh.firstTile, c1);
    segment(muli(tile, index(BN_)), muli(tile, index(BN_ / 8)), c0, arith::SubIOp::create(b_, loc_, sh.stop, sh.next),
            nullptr);
    b_.setInsertionPointAfter(b_.getInsertionBlock()->getParentOp());
  } else {
    // Split-K: the chunks split evenly over grid z.
    Value per = arith::CeilDivUIOp::create(b_, loc_, chunks, splits);
    Value begin = muli(bz, per);
    Value end = arith::MinUIOp::create(b_, loc_, addi(begin, per), chunks);
    begin = arith::MinUIOp::create(b_, loc_, begin, end);
    segment(n0, nt0, begin, end, [&] { return arith::CmpIOp::create(b_, loc_, arith::CmpIPredicate::ugt, splits, c1); });
  }
  ReturnOp::create(b_, loc_, ValueRange{});
  return success();
}
