// The CPU interpreter of one thread block. All threads of the block advance together:
// scalars and control flow are uniform in the VM (no instruction yields a per-thread
// scalar), and every register tile is held as the per-thread slot arrays its layout says,
// cell c = thread * localSize + slot, one element code (the type's bits, zero-extended)
// per 32-bit cell. docs/vm.md states the semantics this implements.
#ifndef TESSEL_CPU_BLOCKEXECUTOR_H
#define TESSEL_CPU_BLOCKEXECUTOR_H

#include "cpu/KernelPlan.h"
#include "vm/Backend.h"

#include "absl/status/status.h"

#include <cstdint>
#include <vector>

namespace tessel::cpu {

/// A value of the running block.
struct Value {
  vm::Scalar scalar;
  /// RTensor: thread * localSize + slot -> element code.
  std::vector<uint32_t> cells;
  /// STensor: byte offset of its root allocation in the shared arena, and its first
  /// element within that allocation (swizzles apply to root element offsets).
  int64_t sharedByte = 0;
  int64_t sharedStart = 0;
  /// GTensor.
  uint8_t *base = nullptr;
  uint64_t extent = 0;
  int64_t dims[vm::kMaxRank] = {};
  bool readOnly = false;
};

class BlockExecutor {
public:
  explicit BlockExecutor(const KernelPlan &plan);

  /// Runs block (x, y, z) of `grid` with `args`.
  absl::Status run(const vm::Grid &grid, int64_t x, int64_t y, int64_t z,
                   const std::vector<vm::KernelArgument> &args);

private:
  enum class Flow { kNext, kExit };

  absl::Status runBlock(const vm::Block &block, Flow &flow);
  absl::Status execute(const vm::Instruction &ins, Flow &flow);
  absl::Status runFor(const vm::Instruction &ins, Flow &flow);
  absl::Status runIf(const vm::Instruction &ins, Flow &flow);

  // Memory (MemoryOps.cpp).
  absl::Status globalView(const vm::Instruction &ins);
  absl::Status sharedSlice(const vm::Instruction &ins);
  absl::Status loadGlobal(const vm::Instruction &ins);
  absl::Status storeGlobal(const vm::Instruction &ins);
  absl::Status copyAsync(const vm::Instruction &ins);
  absl::Status loadShared(const vm::Instruction &ins);
  absl::Status storeShared(const vm::Instruction &ins);
  absl::Status lookup(const vm::Instruction &ins);

  // Elementwise (ElementwiseOps.cpp).
  absl::Status allocRegs(const vm::Instruction &ins);
  absl::Status binary(const vm::Instruction &ins);
  absl::Status unary(const vm::Instruction &ins);
  absl::Status fma(const vm::Instruction &ins);
  absl::Status compare(const vm::Instruction &ins);
  absl::Status where(const vm::Instruction &ins);
  absl::Status cast(const vm::Instruction &ins);

  // Whole-tile operations (TileOps.cpp).
  absl::Status dot(const vm::Instruction &ins);
  absl::Status view(const vm::Instruction &ins);
  absl::Status iota(const vm::Instruction &ins);
  absl::Status gather(const vm::Instruction &ins);
  absl::Status reduce(const vm::Instruction &ins);
  absl::Status print(const vm::Instruction &ins);

  const vm::ValueType &typeOf(uint32_t value) const {
    return plan_.program->valueType(*plan_.kernel, value);
  }
  Value &operand(const vm::Instruction &ins, size_t i) { return values_[ins.operands[i]]; }
  /// The result tile's cells, sized for its layout.
  std::vector<uint32_t> &resultCells(const vm::Instruction &ins);
  /// The dense row-major codes of tile `value` (replica 0 of each element).
  void gatherDense(uint32_t value, std::vector<uint32_t> &out);
  /// Writes dense row-major codes into every holder cell of result 0.
  void scatterDense(const vm::Instruction &ins, const std::vector<uint32_t> &dense);
  absl::Status fail(const vm::Instruction &ins, const std::string &message) const;

  const KernelPlan &plan_;
  std::vector<Value> values_;
  std::vector<uint8_t> shared_;
  vm::Grid grid_;
  int64_t block_[3] = {0, 0, 0};
  // Scratch reused across instructions and blocks.
  std::vector<uint32_t> dense_, dense2_;
  std::vector<float> fa_, fb_, fc_;
  std::vector<int32_t> ia_, ib_;
  std::vector<std::vector<Value>> loopScratch_;
};

} // namespace tessel::cpu

#endif // TESSEL_CPU_BLOCKEXECUTOR_H
