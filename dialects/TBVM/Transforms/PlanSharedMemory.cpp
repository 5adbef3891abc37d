//===- PlanSharedMemory.cpp - tbvm-plan-shared-memory ---------------------===//
#include "dialects/TBVM/Transforms/Passes.h"

#include "llvm/ADT/STLExtras.h"

namespace tessel::tbvm {
#define GEN_PASS_DEF_PLANSHAREDMEMORYPASS
#include "dialects/TBVM/Transforms/Passes.h.inc"
} // namespace tessel::tbvm

using namespace mlir;
using namespace tessel;
using namespace tessel::tbvm;

namespace {

struct Tile {
  AllocSharedOp op;
  int64_t size;
  int64_t begin, end; // live range in program-order positions, inclusive
  int64_t offset = -1;
};

class PlanSharedMemory : public tbvm::impl::PlanSharedMemoryPassBase<PlanSharedMemory> {
public:
  using PlanSharedMemoryPassBase::PlanSharedMemoryPassBase;

  void runOnOperation() override {
    KernelOp kernel = getOperation();
    int64_t align = alignment;
    if (align < 1 || (align & (align - 1)) != 0) {
      emitError(kernel.getLoc()) << "tbvm-plan-shared-memory: alignment must be a power of "
                                    "two, got "
                                 << align;
      return signalPassFailure();
    }
    // Program-order (pre-order) positions of every op.
    llvm::DenseMap<Operation *, int64_t> first;
    int64_t counter = 0;
    kernel.getBody().walk<WalkOrder::PreOrder>([&](Operation *op) { first[op] = counter++; });
    std::vector<Tile> tiles;
    kernel.getBody().walk([&](AllocSharedOp alloc) {
      Tile tile{alloc, alloc.getResult().getType().getSizeInBytes(), first[alloc],
                first[alloc]};
      SmallVector<Value> worklist{alloc.getResult()};
      while (!worklist.empty()) {
        Value v = worklist.pop_back_val();
        for (OpOperand &use : v.getUses()) {
          Operation *user = use.getOwner();
          if (auto slice = dyn_cast<SharedSliceOp>(user))
            worklist.push_back(slice.getResult());
          // A use inside a loop nested deeper than the allocation lives until the end
          // of the outermost such loop (the next iteration reads the tile again).
          int64_t end = first[user];
          for (Operation *p = user->getParentOp(); p && p != alloc->getParentOp();
               p = p->getParentOp())
            if (isa<scf::ForOp>(p))
              end = std::max(end, subtreeEnd(p, first));
          tile.end = std::max(tile.end, end);
        }
      }
      tiles.push_back(tile);
    });
    // First fit, largest tiles first.
    std::vector<Tile *> order;
    for (Tile &t : tiles)
      order.push_back(&t);
    llvm::stable_sort(order, [](Tile *a, Tile *b) { return a->size > b->size; });
    int64_t total = 0;
    for (Tile *tile : order) {
      int64_t offset = 0;
      bool moved = true;
      while (moved) {
        moved = false;
        for (Tile *other : order) {
          if (other->offset < 0 || other == tile || other->end < tile->begin ||
              tile->end < other->begin)
            continue;
          if (offset < other->offset + other->size && other->offset < offset + tile->size) {
            offset = llvm::alignTo(other->offset + other->size, uint64_t(align));
            moved = true;
          }
        }
      }
      tile->offset = offset;
      total = std::max(total, offset + tile->size);
    }
    Builder b(kernel.getContext());
    for (Tile &tile : tiles)
      tile.op.setOffsetAttr(b.getI64IntegerAttr(tile.offset));
    kernel.setSharedBytes(uint64_t(llvm::alignTo(total, uint64_t(align))));
  }

private:
  // The largest pre-order position inside `op` (its last nested op).
  static int64_t subtreeEnd(Operation *op, llvm::DenseMap<Operation *, int64_t> &first) {
    int64_t end = first[op];
    op->walk([&](Operation *nested) { end = std::max(end, first[nested]); });
    return end;
  }
};

} // namespace
