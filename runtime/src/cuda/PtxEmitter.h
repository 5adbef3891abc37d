// The PTX emitter: turns a kernel of a loaded program into PTX text for one GPU
// architecture, from the same bytecode the CPU executor runs (DESIGN.md §3, "Semantics and
// the two executors").
//
// Kernel parameter ABI (what the CUDA backend passes to cuLaunchKernel), one entry per
// kernel argument, in order:
//   global tensor  -> .param .u64 address, then one .param .s64 per dimension (all of them)
//   index, i64     -> .param .s64
//   i1, i8, i16, i32 -> .param .s32 (sign-extended)
//   f32            -> .param .f32
//   f16, bf16      -> .param .b16 (the bits)
// The block has 32 * warps threads (x only); the grid is 3-D; dynamic shared memory of the
// kernel's shared_bytes (extern .shared, 128-byte aligned).
#ifndef TESSEL_CUDA_PTXEMITTER_H
#define TESSEL_CUDA_PTXEMITTER_H

#include "cuda/Ptx.h"
#include "vm/Program.h"

#include "absl/status/statusor.h"

#include <memory>
#include <string>

namespace tessel::cuda {

/// A GPU architecture to emit for.
struct Target {
  int major = 8, minor = 0;
  /// sm_90a: architecture-specific instructions (wgmma, setmaxnreg).
  bool archSpecific = false;
  /// Blocks per SM each kernel asks ptxas to fit (.minnctapersm, a register cap): -1
  /// takes the kernel's own request (tbvm.kernel's min_blocks_per_sm), 0 none, N > 0
  /// overrides it (an experiment knob: $TESSEL_CUDA_MIN_BLOCKS).
  int minBlocksPerSm = -1;
  /// A cast that only tensor-core dots read leaves its magic-number constant (or a
  /// power-of-two scale) in the registers for the dot to take out once per product,
  /// instead of once per pair of elements (EValue::bias in KernelEmitter.h). Off: exact
  /// casts everywhere (the variant the CUDA backend falls back to when ptxas spills).
  bool foldCastConstants = true;
  /// Casts of codes paired 16 bits apart mask each pair in its word shifted right by a
  /// multiple of 8 bits (4 for 1-bit codes); on, 1- and 2-bit codes by a multiple of half
  /// that: more shifts, fewer distinct constants, so fewer registers (a spill variant).
  bool narrowCastViews = false;
  /// A load_shared of 16-bit rows whose four lanes of a group hold the same values, in
  /// 8-column blocks (the low-bit GEMM's scale rows: column g of each block, g = lane / 4)
  /// as one ldmatrix.trans instead of a 16-bit load per value (EmitCopy.cpp); off: the
  /// loads (a spill variant: at the register cap ptxas sometimes spills with it, the si4
  /// decode on sm_90 by 12 bytes).
  bool rowPairsByLdmatrix = true;
  /// > 0: a kernel that asks for N blocks per SM gets `.maxnreg` of this many registers
  /// fewer than the cap that N blocks imply (65536 / (N * threads), in steps of 8) instead
  /// of `.minnctapersm N`: the same occupancy, and ptxas, which at exactly the cap
  /// sometimes spills a kernel that needs fewer, allocates within a tighter budget (the
  /// CUDA backend's second try for a kernel that spills).
  int registerSlack = 0;

  /// "sm_80", "sm_90a".
  std::string smName() const;
  /// The PTX ISA version the emitted code declares (".version 8.0", ...).
  std::string ptxVersion() const;
  /// Parses "sm_80", "sm_86", "sm_89", "sm_90", "sm_90a".
  static absl::StatusOr<Target> parse(const std::string &name);
};

/// The PTX target for a device of compute capability major.minor:
///   8.0 -> sm_80; 8.6, 8.7 -> sm_86; 8.9 -> sm_89;
///   9.0 -> sm_90a (the JIT compiles for this very device, so the architecture-specific
///          variant costs nothing and lets kernels use wgmma and setmaxnreg);
///   10.0 and newer -> sm_90 (PTX is forward compatible; the JIT compiles it for the
///          device; no sm_90a features, which exist only on 9.0).
/// Older GPUs are a FailedPrecondition error: kernels need sm_80's mma and cp.async.
/// CudaBackend::create lets $TESSEL_CUDA_TARGET (sm_80, sm_86, sm_89, sm_90, sm_90a)
/// override the choice, for debugging the emitter, when that target can run on the GPU.
absl::StatusOr<Target> targetForComputeCapability(int major, int minor);
/// The architecture the driver's JIT compiles `target`'s PTX for on a device of
/// architecture `deviceArch` ("sm_86"): sm_90a code only as sm_90a, else the device's own
/// (the kernel cache's key; ahead-of-time cubins are compiled for it).
std::string jitArchFor(const Target &target, const std::string &deviceArch);

/// The entry name of kernel `kernel` in the emitted PTX (a sanitized form of its name).
std::string entryName(const vm::Program &program, uint32_t kernel);

/// What a launch needs besides the PTX.
struct EmittedKernel {
  std::string ptx;          // the module: header + one .entry
  std::string entry;        // the .entry's name
  int64_t sharedBytes = 0;  // dynamic shared memory to launch with (the kernel's own plus
                            // the emitter's scratch for cross-warp exchanges)
  int threads = 0;          // block size (x)
  /// The structured form the text was printed from (the PTX simulator runs it).
  std::shared_ptr<const ptx::Kernel> structured;
};

/// The PTX module of kernel `kernel` of `program`. Errors name the instruction the
/// emitter cannot (yet) express for this target.
absl::StatusOr<EmittedKernel> emitKernel(const vm::Program &program, uint32_t kernel,
                                         const Target &target);

/// The experiment knobs of the environment, for A/B timings (the CUDA backend and
/// `tessel-run --precompile` both apply them): $TESSEL_CUDA_MIN_BLOCKS=N sets
/// minBlocksPerSm (0..32, 0: none), $TESSEL_CUDA_EXACT_CASTS=1 turns foldCastConstants
/// off, $TESSEL_CUDA_ROW_PAIR_LDMATRIX=0 rowPairsByLdmatrix. An unreadable value is an
/// error that names the variable.
absl::Status applyTargetEnvironment(Target &target);
/// Sets `value` from $`name` when it is set and not empty: 1 true, 0 false; anything else
/// is an error that names the variable.
absl::Status readEnvironmentFlag(const char *name, bool &value);

/// What the CUDA backend (and `tessel-run --precompile`) tries, in order, for a kernel
/// whose default PTX spills registers: up to seven variants of `target`, (1) scale rows by
/// 16-bit loads (Target::rowPairsByLdmatrix off), then that and (2) a register cap 8 below
/// the one min_blocks_per_sm implies (Target::registerSlack), (3) one 16 below, (4) one
/// 24 below, (5) narrower cast views (Target::narrowCastViews), (6) exact casts
/// (Target::foldCastConstants off), (7) exact casts and a cap 8 below (no cap under 64).
/// The first that does not spill is kept, else the one that spills least. (ptxas spills
/// at one cap and not at a lower one often enough: FP6 decode on sm_90 has spilled at
/// 128 and 120 registers but not at 112, and at 128, 120 and 112 but not at 104.)
std::vector<Target> spillVariants(const Target &target);

/// A spilling kernel's variant: its target, its PTX and a name for logs.
struct KernelVariant {
  Target target;
  EmittedKernel kernel;
  std::string name; // "a register cap 8 lower", "exact casts", ...
};
/// The variants of spillVariants(target) the backend may load in place of `emitted`
/// (kernel `kernel` emitted for `target`), in order: those the emitter emits, with PTX
/// unlike `emitted`'s and every earlier one's, and the same launch shape (threads and
/// shared memory). The backend and --precompile both walk this list.
std::vector<KernelVariant> spillVariantKernels(const vm::Program &program, uint32_t kernel,
                                               const Target &target, const EmittedKernel &emitted);

/// One PTX module with every kernel of `program` (tessel-translate --tbvm-to-ptx and the
/// ptxas gates of the test suite).
absl::StatusOr<std::string> emitModule(const vm::Program &program, const Target &target);

} // namespace tessel::cuda

#endif // TESSEL_CUDA_PTXEMITTER_H
