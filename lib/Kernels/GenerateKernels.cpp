//===- GenerateKernels.cpp - tessel-generate-lowbit-gemm ------------------===//
#include "tessel/Kernels/LowBitGemm.h"
#include "tessel/Kernels/Passes.h"

#include "dialects/LowP/IR/LowPTypes.h"

namespace tessel::kernels {
#define GEN_PASS_DEF_GENERATELOWBITGEMMPASS
#include "tessel/Kernels/Passes.h.inc"
} // namespace tessel::kernels

using namespace mlir;
using namespace tessel;

namespace {
class GenerateLowBitGemm
    : public kernels::impl::GenerateLowBitGemmPassBase<GenerateLowBitGemm> {
public:
  using GenerateLowBitGemmPassBase::GenerateLowBitGemmPassBase;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = module.getContext();
    auto fail = [&](const std::string &message) {
      emitError(module.getLoc()) << "tessel-generate-lowbit-gemm: " << message;
      signalPassFailure();
    };
    std::optional<vm::DType> d = vm::DType::parse(type);
    if (!d || d->bits() < 1 || d->bits() > 8)
      return fail("option 'type' must name a 1..8-bit integer or float type, got '" + type.getValue() + "'");
    bool sym;
    if (symmetric == "auto")
      sym = !d->isUnsignedInteger();
    else if (symmetric == "true" || symmetric == "false")
      sym = symmetric == "true";
    else
      return fail("option 'symmetric' must be true, false or auto");
    if (int64_t(m) < 1)
      return fail("option 'm' must be positive");
    // The pipeline asked for, if any (a prefetch asks for the register pipeline); the
    // defaults of the other fields follow it where a default has a choice (up to 8 rows;
    // larger M has only the shared pipeline, which a prefetch is refused with).
    int64_t askedStages = int64_t(stages) >= 0 ? int64_t(stages) : int64_t(prefetch) > 0 ? 1 : -1;
    tbvm::ScheduleAttr def = kernels::defaultLowBitGemmSchedule(ctx, m, d->bits(), d->isFloat(), !sym, int64_t(group), askedStages);
    auto pick = [](int64_t v, int64_t fallback) { return v > 0 ? v : fallback; };
    auto emitErrorFn = [&]() { return emitError(module.getLoc()); };
    int64_t nw = pick(nPerWarp, def.getNPerWarp()), wm = pick(warpsM, def.getWarpsM());
    // The default 8-row tile takes n-tiles in pairs and one warp along M; other choices
    // given explicitly get the 16-row tile's defaults. A tile height given explicitly
    // gets the defaults of as many rows (min_blocks differs between 8 and 16 rows, say).
    if (def.getBm() == 8 && int64_t(bm) <= 0 && (nw % 2 != 0 || wm != 1))
      def = kernels::defaultLowBitGemmSchedule(ctx, 16, d->bits(), d->isFloat(), !sym, int64_t(group), askedStages);
    else if (int64_t(bm) > 0 && int64_t(bm) != def.getBm())
      def = kernels::defaultLowBitGemmSchedule(ctx, bm, d->bits(), d->isFloat(), !sym, int64_t(group), askedStages);
    nw = pick(nPerWarp, def.getNPerWarp()), wm = pick(warpsM, def.getWarpsM());
    int64_t bmDefault = def.getBm();
    tbvm::ScheduleAttr schedule = tbvm::ScheduleAttr::getChecked(
        emitErrorFn, ctx, pick(bm, bmDefault), pick(warps, def.getWarps()),
        nw, pick(kStep, def.getKStep()),
        int64_t(splitK) >= 0 ? int64_t(splitK) : def.getSplitK(),
        int64_t(stages) >= 0 ? int64_t(stages) : def.getStages(),
        int64_t(minBlocks) >= 0 ? int64_t(minBlocks) : def.getMinBlocks(),
        wm,
        int64_t(targetBlocks) >= 0 ? int64_t(targetBlocks) : def.getTargetBlocks(),
        int64_t(prefetch) >= 0 ? int64_t(prefetch) : def.getPrefetch(),
        int64_t(streamK) >= 0 ? int64_t(streamK) : def.getStreamK());
    if (!schedule)
      return signalPassFailure();
    kernels::LowBitGemmSpec spec;
    spec.weightType = lowp::fromDType(ctx, *d);
    spec.groupSize = group;
    spec.symmetric = sym;
    spec.schedule = schedule;
    spec.name = name;
    if (failed(kernels::buildLowBitGemm(module, spec, module.getLoc())))
      signalPassFailure();
  }
};
} // namespace
