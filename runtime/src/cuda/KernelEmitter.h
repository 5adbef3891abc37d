// The PTX emitter's internals: one KernelEmitter turns one kernel of a program into a
// ptx::Kernel. Split over files by instruction group (EmitMemory.cpp, EmitCompute.cpp,
// EmitCast.cpp, EmitDot.cpp, EmitReduce.cpp); this header is shared by them only.
//
// Value model (the CPU executor's, made concrete):
// - A scalar is one register: b32 for integers of up to 32 bits (sign-extended) and f32,
//   b16 for f16/bf16, b64 for index and i64, a predicate for nothing (i1 scalars are b32
//   0/-1 like the executor's).
// - A register tile is, per thread, the bit array of its slots (slot i at bits
//   [i*b, (i+1)*b), LSB first) held in ceil(localSize*b/32) b32 registers. tbvm.view is
//   therefore free, and a contiguous run of slots in memory is a contiguous run of bits
//   in registers, so loads and stores move it with vector instructions.
// - A thread's part of an element's logical index is threadPart (registers computed once
//   per layout in the prologue) plus slotPart (a compile-time constant per slot).
// - Shared tiles are 32-bit shared-window addresses; global tensors a 64-bit address and
//   one 64-bit register per dimension.
#ifndef TESSEL_CUDA_KERNELEMITTER_H
#define TESSEL_CUDA_KERNELEMITTER_H

#include "cuda/Ptx.h"
#include "cuda/PtxEmitter.h"
#include "vm/Program.h"

#include "absl/status/status.h"

#include <functional>
#include <map>
#include <string>
#include <optional>
#include <vector>

namespace tessel::cuda {

using ptx::Inst;
using ptx::Op;
using ptx::Operand;
using ptx::Reg;
using ptx::RegKind;
using ptx::Type;

/// The emitted form of one value of the kernel.
struct EValue {
  enum class Kind : uint8_t { kNone, kScalar, kTile, kShared, kGlobal };
  Kind kind = Kind::kNone;
  Reg reg;                 // kScalar: the value; kShared: its shared address; kGlobal: address
  std::vector<Reg> regs;   // kTile: packed slot bits; kGlobal: the dimensions (b64)
  /// Known divisibility of an integer scalar (the value is a multiple of it), for
  /// proving vector accesses aligned; 1 when nothing is known.
  int64_t multipleOf = 1;
  /// An integer scalar known at emission time (an arith.constant): its value.
  std::optional<int64_t> constant;
  /// kGlobal: a kernel argument (its address and dimensions are loaded before any code,
  /// so thread-invariant arithmetic on them may go to the prologue).
  bool argument = false;
  /// kGlobal: the address is a multiple of this many bytes.
  int64_t alignment = 1;
  /// The depth of loop nesting where the value is defined (kernel arguments and values
  /// before any loop: 0); unknown (loop-carried values, induction variables) is the
  /// largest. Address arithmetic puts terms of outer values first, so that ptxas can
  /// hoist their partial sum out of inner loops.
  int depth = 1 << 30;
  /// kTile (f16/bf16): the registers hold every element's value plus a constant, or
  /// times a power of two: slot s (half s % 2 of regs[s / 2]) holds its value + bias[s]
  /// (bias: f16/bf16 bits per slot, empty for none), or its value * 2^-scaleExp. A cast
  /// whose only readers are tensor-core dots leaves its magic-number bias and scale there
  /// (EmitCast.cpp): the dot takes it out once per product instead of once per pair of
  /// elements (EmitDot.cpp). Anything else reads exact registers.
  std::vector<uint32_t> bias;
  int scaleExp = 0;
  bool carriesConstant() const { return !bias.empty() || scaleExp != 0; }
  /// Forgets what is known of the registers' contents (bias, scale, zero): for registers
  /// that other values are copied into.
  void forgetContents() {
    bias.clear();
    scaleExp = 0;
    zero = false;
    splat.reset();
  }
  /// kTile: every register holds 0 (tbvm.alloc_regs without a value).
  bool zero = false;
  /// kTile: every register holds this word (tbvm.alloc_regs of a float constant: its
  /// element's bits, twice for 16-bit types). kScalar float constants: their bits.
  std::optional<uint32_t> splat;
};

/// Per-layout data: the thread's part of each dimension's index and the constant slot parts.
struct LayoutInfo {
  std::vector<Reg> threadPart;                 // b32, one per dim
  std::vector<std::vector<int64_t>> slotPart;  // [slot][dim]
  /// Largest power of two dividing every thread part of the last dimension (so vector
  /// groups stay aligned whatever the thread).
  int64_t lastDimThreadMultiple = 1;
};

class KernelEmitter {
public:
  KernelEmitter(const vm::Program &program, uint32_t kernel, const Target &target);
  absl::StatusOr<EmittedKernel> run();
  /// The kernel's structured form (after run()).
  const ptx::Kernel &kernel() const { return kernel_; }

  // ---- shared helpers (KernelEmitter.cpp) ----
  Reg newReg(RegKind kind);
  Inst &emit(Op op, Type type, std::vector<Operand> dst, std::vector<Operand> src);
  Inst &emitTo(std::vector<Inst> &out, Op op, Type type, std::vector<Operand> dst,
               std::vector<Operand> src);
  /// Predicate that a tile of `size` elements at `origin` (b64) lies inside [0, dim)
  /// along one dimension: origin <= origin + size <= dim, unsigned (a negative origin
  /// wraps above its end, or its end above dim).
  Reg tileInside(Reg origin, int64_t size, Reg dim);
  /// Dimension indices ordered by the loop depth where their values are defined, outer
  /// first (stable).
  std::vector<int> outerFirst(const std::vector<int> &depths) const;
  /// a && b, or b when `a` is empty.
  Reg conjoin(std::optional<Reg> a, Reg b);
  /// Run-time predicate that vectors of k elements (`bytes` bytes) of a tile are aligned
  /// and never straddle a row: (offset | dim) % k == 0 and base % bytes == 0, for the
  /// tile's last index `offset` (b64; left out when `offsetMultiple` shows it a multiple
  /// of k, so the check does not depend on a loop's induction variable), the tensor's
  /// last dimension `dim` (b64; none for shared tiles) and the address `base` (b64).
  Reg vectorsAligned(Reg offset, int64_t offsetMultiple, std::optional<Reg> dim, Reg base, int64_t k,
                     int64_t bytes);
  /// The kernel body being emitted (emit's target; emitTo(prologue) hoists instead).
  std::vector<Inst> &body() { return kernel_.body; }
  std::string newLabel(const std::string &hint);
  void label(const std::string &name);
  void branch(const std::string &target, const Reg *predicate = nullptr, bool negated = false);
  absl::Status error(const vm::Instruction &inst, const std::string &message) const;

  Reg imm32(uint32_t value);
  /// A register holding `value` loaded from the kernel's constant table (ld.const; one
  /// table entry per distinct value): for loop-invariant operands that ptxas would
  /// otherwise rematerialize in every iteration as immediate moves.
  Reg constant32(uint32_t value);
  Reg imm64(int64_t value);
  /// The 64-bit form of an index-like scalar value.
  Reg asIndex(const EValue &value, const vm::ValueType &type);
  const vm::ValueType &typeOf(uint32_t value) const;
  EValue &value(uint32_t id) { return values_[id]; }
  const LayoutInfo &layoutInfo(int32_t layout);
  /// Layout data of any layout with `thread` (a b32 register) as its thread index;
  /// the arithmetic goes to the prologue.
  LayoutInfo computeLayoutInfo(const vm::Layout &layout, Reg thread);
  /// Row-major element strides (b64, prologue) of global kernel argument `tensor`.
  const std::vector<Reg> &hoistedStrides(uint32_t tensor);
  /// tid / 32 and tid % 32 (prologue).
  Reg warpId();
  Reg laneId();
  int64_t numRegsOf(const vm::ValueType &tile) const;
  /// A register whose low `len` (<= 32) bits are bits [bit, bit + len) of the packed
  /// `tile` (the bits above unspecified): the register itself when aligned, else a shift,
  /// or a funnel shift across two registers.
  Reg bitsAt(const std::vector<Reg> &tile, int64_t bit, int64_t len);
  /// Slot `slot` of `tile` (b bits) zero-extended into a new b32 register.
  Reg extract(const std::vector<Reg> &tile, int64_t slot, unsigned bits);
  /// Writes the low `bits` of `value` into slot `slot` of `tile`.
  void insert(std::vector<Reg> &tile, int64_t slot, unsigned bits, Reg value);
  /// Fresh zeroed registers for a tile of this type.
  std::vector<Reg> newTile(const vm::ValueType &tile);
  /// Sign-extends the low `bits` of a b32 register in place into a new register.
  Reg signExtend(Reg value, unsigned bits);
  /// Shared scratch bytes at an offset after the kernel's own shared memory.
  int64_t scratch(int64_t bytes);

  // ---- instruction groups ----
  absl::Status emitBlock(const vm::Block &block);
  absl::Status emitInstruction(const vm::Instruction &inst);
  absl::Status emitScalar(const vm::Instruction &inst);
  absl::Status emitFor(const vm::Instruction &inst);
  absl::Status emitIf(const vm::Instruction &inst);
  absl::Status emitMemory(const vm::Instruction &inst);   // EmitMemory.cpp
  absl::Status emitCompute(const vm::Instruction &inst);  // EmitCompute.cpp
  absl::Status emitCast(const vm::Instruction &inst);     // EmitCast.cpp
  /// `src`: the source's codes in the result's slot order.
  absl::Status emitGenericCast(const vm::Instruction &inst, const std::vector<Reg> &src);
  /// The code of the f32 value in `f` in the small float type `to` (RNE, IEEE overflow).
  Reg encodeSmallFloat(Reg f, vm::DType to);
  absl::Status emitDot(const vm::Instruction &inst);      // EmitDot.cpp
  /// The exact registers of a tile whose registers carry a bias or a scale (EValue::bias).
  std::vector<Reg> unbiased(const EValue &value, const vm::ValueType &type);
  absl::Status emitReduce(const vm::Instruction &inst);   // EmitReduce.cpp (+ broadcast,
  absl::Status emitBroadcast(const vm::Instruction &inst); //  slice, shuffle, lookup)
  absl::Status emitSlice(const vm::Instruction &inst);
  /// Broadcast and slice: each result slot is a slot of the source in the same thread
  /// (the same slot in every thread); toSource maps result coordinates to the source's.
  /// (A cast to another layout reads its codes the same way, EmitCast.cpp.)
  absl::Status emitOwnThreadGather(
      const vm::Instruction &inst, const char *what,
      const std::function<std::vector<int64_t>(std::vector<int64_t>)> &toSource);
  /// The source slot of each result slot (the same in every thread), or an error naming
  /// `what` when it differs per thread.
  absl::Status ownThreadSlotMap(const vm::Instruction &inst, const char *what,
                                const std::function<std::vector<int64_t>(std::vector<int64_t>)> &toSource,
                                std::vector<int64_t> &fromSource);
  /// The packed tile whose slot s is slot fromSource[s] of `src` (`bits` per slot).
  std::vector<Reg> gatherSlots(const std::vector<Reg> &src, int64_t bits,
                               const std::vector<int64_t> &fromSource);
  absl::Status emitShuffle(const vm::Instruction &inst);
  absl::Status emitLookup(const vm::Instruction &inst);
  absl::Status emitLoadMatrix(const vm::Instruction &inst); // EmitCopy.cpp
  /// load_shared of rows of 16-bit pairs as one ldmatrix.trans (EmitCopy.cpp), or
  /// kUnimplemented when the layout is not of that shape (or Target::rowPairsByLdmatrix
  /// is off).
  absl::Status emitRowPairsByLdmatrix(const vm::Instruction &inst);
  absl::Status emitCopyAsync(const vm::Instruction &inst);
  absl::Status emitPrefetch(const vm::Instruction &inst);  // EmitPrefetch.cpp

  /// Moves a whole tile through shared scratch memory into another layout (shuffle, and
  /// the fallback of broadcast and reduce). Ends with a barrier.
  std::vector<Reg> relayoutThroughShared(const std::vector<Reg> &src, const vm::ValueType &from,
                                         const vm::ValueType &to,
                                         const std::vector<int64_t> &sourceIndexOf);

  const vm::Program &program_;
  const vm::Function &fn_;
  uint32_t kernelIndex_;
  Target target_;
  ptx::Kernel kernel_;
  std::vector<Inst> prologue_; // hoisted thread-index arithmetic, emitted first
  std::vector<EValue> values_;
  std::map<int32_t, LayoutInfo> layouts_;
  /// Prologue pointers of global kernel arguments accessed in loops, per (tensor, tile
  /// layout): the tensor's address + sum_d threadPart_d * stride_d * element bytes.
  std::map<std::pair<uint32_t, int32_t>, Reg> threadPointers_;
  std::map<uint32_t, std::vector<Reg>> hoistedStrides_;
  /// Thread-invariant data of a block's cooperative copy (copy_async) from a kernel
  /// argument, computed in the prologue: per chunk of this thread, its byte offset in the
  /// tensor from the tile's origin, its byte offset in the shared tile (swizzled) and its
  /// coordinates in the tile (b32, where a dimension is checked). Keyed by tensor, tile
  /// shape, chunk size and swizzle.
  /// When every round of chunks moves the same number of rows along one dimension (the
  /// rounds' chunks differ by a constant step: a multiple of that dimension's stride
  /// in the tile, within one slice of the dimensions above it, and of the swizzle's
  /// period), only chunk 0's data is kept (`affineDim` >= 0): chunk i is chunk 0 plus
  /// i * `rowStep` rows along `affineDim`, i * `globalStep` bytes in the tensor and
  /// i * `sharedStep` bytes in the shared tile (registers are what a pipelined kernel
  /// lacks).
  struct CopyPlan {
    std::vector<Reg> global;              // b64
    std::vector<Reg> shared;              // b32
    std::vector<std::vector<Reg>> digits; // [chunk][dim] (invalid where unused)
    int affineDim = -1;
    int64_t rowStep = 0, sharedStep = 0;
    Reg globalStep;                       // b64
  };
  const CopyPlan &copyPlan(uint32_t tensor, const vm::ValueType &tile, int64_t k,
                           const std::vector<bool> &checked);
  std::map<std::string, CopyPlan> copyPlans_;
  int loopDepth_ = 0; // scf.for bodies being emitted
  /// Per value: every reader is a tbvm.dot reading it as operand a or b (see EValue::bias).
  std::vector<bool> dotOperandOnly_;
  /// Per value: the b operand of a dot whose a is a constant tile (tbvm.alloc_regs of a
  /// constant) and whose c is zero: the low-bit GEMM's row sums, sum_k x[m, k] times ones.
  std::vector<bool> splatDotOperand_;
  /// Per value: a tbvm.slice whose only reader is one cast in the same block. Its
  /// registers are not made: the cast reads the slice's source through the slot map kept
  /// in slicedFrom_ (a cast finds its codes' pairs where the whole source word holds them;
  /// EmitCast.cpp).
  std::vector<bool> castOnlySlice_;
  struct SlicedFrom {
    uint32_t source = 0;            // the slice's operand (value id)
    std::vector<int64_t> slots;     // result slot -> source slot, this thread's
  };
  std::map<uint32_t, SlicedFrom> slicedFrom_;
  /// Each thread's byte offset for emitRowPairsByLdmatrix, per (layout, row stride).
  std::map<std::pair<int32_t, int64_t>, Reg> rowPairOffsets_;
  /// A correction chain of a dot (EmitDot.cpp) whose A fragments are the same in rows g
  /// and g + 8: its readers take rows g (D registers 0, 1), so rows g + 8 are free for a
  /// later dot of a constant A tile over the same B fragments (splatDotOperand_), which
  /// sets them to its constant and reads D registers 2, 3 instead of its own chain.
  struct SharedChain {
    const vm::Block *block = nullptr; // where it was emitted (it must precede the reader)
    uint32_t b = 0;                   // the B operand (value id)
    std::vector<int64_t> bSlots;      // its fragment per k tile
    std::vector<size_t> mmas;         // the chain's mmas in kernel_.body
    std::vector<Reg> out;             // the last mma's D registers
    std::optional<uint32_t> upper;    // the constant rows g + 8 hold once taken
  };
  std::vector<SharedChain> sharedChains_;
  /// One register per constant word, defined in the prologue (so that instructions
  /// already emitted may be given it: SharedChain).
  Reg prologueWord(uint32_t word);
  std::map<uint32_t, Reg> prologueWords_;
  /// ldmatrix groups of a load_matrix at constant offsets (EmitCopy.cpp): a later one of
  /// the same tile and layout in the same block, offset by what the swizzle maps to the
  /// same offset, reuses their addresses with immediates (the sub-chunks of a K step).
  struct MatrixLoad {
    const vm::Block *block = nullptr;
    uint32_t tile = 0;
    int32_t layout = 0;
    bool transpose = false;
    int64_t row = 0, col = 0;
    std::vector<std::pair<Reg, int64_t>> groups; // per group of matrices: address, bytes
  };
  std::vector<MatrixLoad> matrixLoads_;
  const vm::Block *currentBlock_ = nullptr;
  Reg tid_;
  Reg warp_, lane_;
  bool haveWarp_ = false;
  int labelCounter_ = 0;
  int64_t scratchBytes_ = 0;
  /// The instruction being emitted (for messages).
  const vm::Instruction *current_ = nullptr;
};

/// PTX type of an element type for arithmetic (f16, bf16, f32, s32, ...).
Type arithType(vm::DType dtype);

} // namespace tessel::cuda

#endif // TESSEL_CUDA_KERNELEMITTER_H
