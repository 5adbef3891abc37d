//===- RepackForKernel.cpp - lowp-repack-for-kernel -----------------------===//
//
// Rewrites the packed bit stream of a lowp.constant weight from the plain (row-major)
// order into the fragment order a kernel template loads (today mma_k128, the low-bit
// GEMM's: runtime/src/vm/Repack.h), and records the order in the tensor's #lowp.quant
// encoding. Done once at compile time, so the kernel's per-thread loads are contiguous.
// Only weights whose every user is a lowp.matmul (as its weights) are rewritten: other
// users would see the same logical tensor, but only the matmul's kernel gains from it.
//
//===----------------------------------------------------------------------===//
#include "dialects/LowP/Transforms/Passes.h"

#include "tessel/IR/Bytes.h"
#include "vm/BitPack.h"

#include "mlir/IR/Builders.h"

namespace tessel::lowp {
#define GEN_PASS_DEF_REPACKFORKERNELPASS
#include "dialects/LowP/Transforms/Passes.h.inc"
} // namespace tessel::lowp

using namespace mlir;
using namespace tessel;
using namespace tessel::lowp;

namespace {

class RepackForKernel : public lowp::impl::RepackForKernelPassBase<RepackForKernel> {
public:
  using RepackForKernelPassBase::RepackForKernelPassBase;

  void runOnOperation() override {
    std::optional<PackedOrder> target = symbolizePackedOrder(order);
    if (!target || *target == PackedOrder::plain) {
      emitError(getOperation()->getLoc())
          << "lowp-repack-for-kernel: option 'order' must name a kernel order (mma_k128), "
             "got '"
          << order << "'";
      return signalPassFailure();
    }
    SmallVector<ConstantOp> constants;
    getOperation()->walk([&](ConstantOp op) { constants.push_back(op); });
    for (ConstantOp op : constants)
      if (failed(repack(op, *target)))
        return signalPassFailure();
  }

private:
  LogicalResult repack(ConstantOp op, PackedOrder target) {
    auto type = cast<RankedTensorType>(op.getResult().getType());
    QuantAttr encoding = getQuantEncoding(type);
    if (!encoding || encoding.getOrder() != PackedOrder::plain)
      return success();
    bool onlyMatmuls = !op->use_empty() && llvm::all_of(op->getUses(), [](OpOperand &use) {
      auto matmul = dyn_cast<MatmulOp>(use.getOwner());
      return matmul && use.get() == matmul.getWeights();
    });
    if (!onlyMatmuls)
      return success();
    WeightShape shape = getWeightShape(type.getShape());
    if (type.getRank() != 2 || shape.rows % 8 != 0 || shape.reduction % 128 != 0) {
      op->emitRemark() << "lowp-repack-for-kernel: left in the plain order: the "
                       << stringifyPackedOrder(target)
                       << " order needs a [N, K] weight with N % 8 == 0 and K % 128 == 0";
      return success();
    }
    std::optional<std::vector<uint8_t>> bytes = getBytes(op.getPacked());
    if (!bytes)
      return op->emitError() << "lowp-repack-for-kernel: cannot read the packed bytes";
    std::vector<uint8_t> codes(size_t(shape.rows * shape.reduction));
    unpackCodes(encoding, shape, bytes->data(), codes.data());
    auto repacked = QuantAttr::get(op.getContext(), encoding.getStorageType(),
                                   encoding.getScaleType(), encoding.getGroupSize(),
                                   encoding.getSymmetric(), target);
    std::vector<uint8_t> out(bytes->size(), 0);
    packCodes(repacked, shape, codes.data(), out.data());
    auto newType = RankedTensorType::get(type.getShape(), type.getElementType(), repacked);
    OpBuilder b(op);
    auto newOp = ConstantOp::create(b, op.getLoc(), newType,
                                    makeBytesAttr(op.getContext(), out, "weights_mma_k128"));
    op.getResult().replaceAllUsesWith(newOp.getResult());
    op.erase();
    return success();
  }
};

} // namespace
