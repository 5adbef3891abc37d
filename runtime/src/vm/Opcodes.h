// The instructions of the .tslm bytecode: one opcode per MLIR operation of the tbvm
// subset (tbvm instructions, the arith scalar operations and scf control flow). The
// serializer maps op names to opcodes with this table; the loader and the executors read
// opcodes. Append new opcodes at the end: numbers are part of the format.
#ifndef TESSEL_VM_OPCODES_H
#define TESSEL_VM_OPCODES_H

#include <cstdint>
#include <optional>
#include <string_view>

namespace tessel::vm {

#define TESSEL_OPCODES(X)                                                                \
  /* functions and host program */                                                      \
  X(Return, "tbvm.return")                                                               \
  X(GetGlobal, "tbvm.get_global")                                                        \
  X(AllocGlobal, "tbvm.alloc_global")                                                    \
  X(Launch, "tbvm.launch")                                                               \
  X(Dim, "tbvm.dim")                                                                     \
  X(BlockIdx, "tbvm.block_idx")                                                          \
  X(GridDim, "tbvm.grid_dim")                                                            \
  /* allocate */                                                                        \
  X(AllocRegs, "tbvm.alloc_regs")                                                        \
  X(AllocShared, "tbvm.alloc_shared")                                                    \
  X(GlobalView, "tbvm.global_view")                                                      \
  X(SharedSlice, "tbvm.shared_slice")                                                    \
  /* move */                                                                            \
  X(LoadGlobal, "tbvm.load_global")                                                      \
  X(StoreGlobal, "tbvm.store_global")                                                    \
  X(CopyAsync, "tbvm.copy_async")                                                        \
  X(CopyAsyncCommit, "tbvm.copy_async_commit")                                           \
  X(CopyAsyncWait, "tbvm.copy_async_wait")                                               \
  X(LoadShared, "tbvm.load_shared")                                                      \
  X(StoreShared, "tbvm.store_shared")                                                    \
  X(LoadMatrix, "tbvm.load_matrix")                                                      \
  /* compute */                                                                         \
  X(Dot, "tbvm.dot")                                                                     \
  X(DotSparse, "tbvm.dot_sparse")                                                        \
  X(Cast, "tbvm.cast")                                                                   \
  X(View, "tbvm.view")                                                                   \
  X(Binary, "tbvm.binary")                                                               \
  X(Unary, "tbvm.unary")                                                                 \
  X(Fma, "tbvm.fma")                                                                     \
  X(Compare, "tbvm.compare")                                                             \
  X(Where, "tbvm.where")                                                                 \
  X(Iota, "tbvm.iota")                                                                   \
  X(Broadcast, "tbvm.broadcast")                                                         \
  X(Reduce, "tbvm.reduce")                                                               \
  X(Lookup, "tbvm.lookup")                                                               \
  X(Shuffle, "tbvm.shuffle")                                                             \
  /* sync and misc */                                                                   \
  X(Sync, "tbvm.sync")                                                                   \
  X(AtomicAdd, "tbvm.atomic_add")                                                        \
  X(Exit, "tbvm.exit")                                                                   \
  X(Print, "tbvm.print")                                                                 \
  /* scalars (arith) */                                                                 \
  X(Constant, "arith.constant")                                                          \
  X(AddI, "arith.addi")                                                                  \
  X(SubI, "arith.subi")                                                                  \
  X(MulI, "arith.muli")                                                                  \
  X(DivSI, "arith.divsi")                                                                \
  X(DivUI, "arith.divui")                                                                \
  X(RemSI, "arith.remsi")                                                                \
  X(RemUI, "arith.remui")                                                                \
  X(CeilDivSI, "arith.ceildivsi")                                                        \
  X(CeilDivUI, "arith.ceildivui")                                                        \
  X(FloorDivSI, "arith.floordivsi")                                                      \
  X(MinSI, "arith.minsi")                                                                \
  X(MinUI, "arith.minui")                                                                \
  X(MaxSI, "arith.maxsi")                                                                \
  X(MaxUI, "arith.maxui")                                                                \
  X(AndI, "arith.andi")                                                                  \
  X(OrI, "arith.ori")                                                                    \
  X(XOrI, "arith.xori")                                                                  \
  X(ShLI, "arith.shli")                                                                  \
  X(ShRSI, "arith.shrsi")                                                                \
  X(ShRUI, "arith.shrui")                                                                \
  X(CmpI, "arith.cmpi")                                                                  \
  X(Select, "arith.select")                                                              \
  X(IndexCast, "arith.index_cast")                                                       \
  X(IndexCastUI, "arith.index_castui")                                                   \
  X(ExtSI, "arith.extsi")                                                                \
  X(ExtUI, "arith.extui")                                                                \
  X(TruncI, "arith.trunci")                                                              \
  X(AddF, "arith.addf")                                                                  \
  X(SubF, "arith.subf")                                                                  \
  X(MulF, "arith.mulf")                                                                  \
  X(DivF, "arith.divf")                                                                  \
  X(MaximumF, "arith.maximumf")                                                          \
  X(MinimumF, "arith.minimumf")                                                          \
  X(NegF, "arith.negf")                                                                  \
  X(CmpF, "arith.cmpf")                                                                  \
  X(SIToFP, "arith.sitofp")                                                              \
  X(UIToFP, "arith.uitofp")                                                              \
  X(FPToSI, "arith.fptosi")                                                              \
  X(FPToUI, "arith.fptoui")                                                              \
  X(ExtF, "arith.extf")                                                                  \
  X(TruncF, "arith.truncf")                                                              \
  /* control flow (scf) */                                                              \
  X(For, "scf.for")                                                                      \
  X(If, "scf.if")                                                                        \
  X(Yield, "scf.yield")                                                                  \
  /* appended: register tiles */                                                        \
  X(Slice, "tbvm.slice")                                                                 \
  /* appended: host */                                                                  \
  X(Check, "tbvm.check")                                                                 \
  X(ResidentBlocks, "tbvm.resident_blocks")                                              \
  /* appended: move */                                                                  \
  X(Prefetch, "tbvm.prefetch")                                                           \
  /* appended: overlapping launches */                                                  \
  X(LaunchDependents, "tbvm.launch_dependents")                                          \
  X(GridDependencyWait, "tbvm.grid_dependency_wait")

enum class Opcode : uint16_t {
#define TESSEL_OPCODE_ENUM(name, text) name,
  TESSEL_OPCODES(TESSEL_OPCODE_ENUM)
#undef TESSEL_OPCODE_ENUM
      kCount
};

/// The MLIR operation name of an opcode ("tbvm.dot"), or "" for an invalid one.
std::string_view opcodeName(Opcode opcode);
/// The opcode of an MLIR operation name, or nullopt when the bytecode cannot hold it.
std::optional<Opcode> opcodeFromName(std::string_view name);

} // namespace tessel::vm

#endif // TESSEL_VM_OPCODES_H
