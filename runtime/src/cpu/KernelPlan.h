// What the CPU executor derives once from a kernel before running its blocks: index
// tables of the layouts it uses, gather tables of broadcast and shuffle, conversion
// tables of casts. Immutable once built and shared by all worker threads.
#ifndef TESSEL_CPU_KERNELPLAN_H
#define TESSEL_CPU_KERNELPLAN_H

#include "vm/Program.h"

#include "absl/status/statusor.h"

#include <memory>
#include <vector>

namespace tessel::cpu {

/// A register layout unrolled: cell c = thread * localSize + slot.
struct LayoutTable {
  int64_t threads = 1, localSize = 1, cells = 1, elements = 1;
  int rank = 0;
  std::vector<int64_t> shape;
  /// The row-major element each cell holds.
  std::vector<int32_t> cellElement;
  /// The cell of replica 0 (the smallest holder thread) of each element.
  std::vector<int32_t> elementCell;
  /// The coordinates of each cell's element: cellCoords[c * rank + d].
  std::vector<int32_t> cellCoords;
};

/// Per-instruction data, by Instruction::index.
struct InstructionPlan {
  /// broadcast, shuffle: the source cell each result cell copies.
  std::vector<int32_t> gather;
  /// cast from a type of at most 16 bits: the result code of every source code.
  std::vector<uint32_t> castTable;
  /// lookup from a register table: the slot of each table element.
  std::vector<int32_t> tableSlot;
};

struct KernelPlan {
  const vm::Program *program = nullptr;
  const vm::Function *kernel = nullptr;
  uint32_t kernelIndex = 0;
  /// By layout index; null for layouts the kernel does not use.
  std::vector<std::shared_ptr<const LayoutTable>> layouts;
  /// By Instruction::index (pre-order position in the kernel).
  std::vector<InstructionPlan> instructions;

  const LayoutTable &table(const vm::ValueType &rtensor) const {
    return *layouts[size_t(rtensor.layout)];
  }
};

/// The plan of kernel `kernel` of `program`, built on first use and cached in the
/// program. Fails when an instruction breaks a rule that only shows in the tables (a
/// broadcast whose threads do not hold their source elements).
absl::StatusOr<std::shared_ptr<const KernelPlan>> getKernelPlan(const vm::Program &program,
                                                                uint32_t kernel);

} // namespace tessel::cpu

#endif // TESSEL_CPU_KERNELPLAN_H
