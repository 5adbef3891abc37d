// A structured form of the PTX the emitter writes: registers, operands and instructions
// with their types and modifiers as fields. The printer turns it into PTX text for
// ptxas / the driver; the simulator (PtxSimulator.h) executes it on the CPU, so the GPU
// path is tested on machines without a GPU.
//
// The subset is what the emitter needs: uniform control flow (branches on block-uniform
// predicates only), predicated instructions, 16/32/64-bit registers and predicates.
#ifndef TESSEL_CUDA_PTX_H
#define TESSEL_CUDA_PTX_H

#include <cstdint>
#include <string>
#include <vector>

namespace tessel::cuda::ptx {

enum class RegKind : uint8_t { kPred, kB16, kB32, kB64 };

struct Reg {
  RegKind kind = RegKind::kB32;
  uint32_t id = 0;
  bool operator==(const Reg &o) const { return kind == o.kind && id == o.id; }
};

/// Values of the special registers the emitter reads.
enum class Special : uint8_t { kTidX, kCtaIdX, kCtaIdY, kCtaIdZ, kNCtaIdX, kNCtaIdY, kNCtaIdZ };

struct Operand {
  enum class Kind : uint8_t {
    kReg,     // reg
    kImm,     // imm (its bit pattern; printed per the instruction's type)
    kSpecial, // special
    kParam,   // name (a kernel parameter)
    kAddress, // [reg + imm] (reg 64-bit), or [smem + imm] when reg.id == kSmemBase
    kLabel,   // name
    kSymbol,  // name (the shared-memory base `smem`)
    kConst,   // [name + imm]: a word of the kernel's table of constants (Kernel::constants)
  };
  Kind kind = Kind::kImm;
  Reg reg;
  int64_t imm = 0;
  Special special = Special::kTidX;
  std::string name;

  static Operand r(Reg reg) {
    Operand o;
    o.kind = Kind::kReg;
    o.reg = reg;
    return o;
  }
  static Operand i(int64_t value) {
    Operand o;
    o.kind = Kind::kImm;
    o.imm = value;
    return o;
  }
  static Operand sp(Special s) {
    Operand o;
    o.kind = Kind::kSpecial;
    o.special = s;
    return o;
  }
  static Operand param(std::string name) {
    Operand o;
    o.kind = Kind::kParam;
    o.name = std::move(name);
    return o;
  }
  /// [base + offset]; base is a 64-bit register holding an address.
  static Operand addr(Reg base, int64_t offset = 0) {
    Operand o;
    o.kind = Kind::kAddress;
    o.reg = base;
    o.imm = offset;
    return o;
  }
  static Operand symbol(std::string name) {
    Operand o;
    o.kind = Kind::kSymbol;
    o.name = std::move(name);
    return o;
  }
  /// Word `index` of the constant table `name` (ld.const).
  static Operand constant(std::string name, int64_t index) {
    Operand o;
    o.kind = Kind::kConst;
    o.name = std::move(name);
    o.imm = 4 * index;
    return o;
  }
  static Operand label(std::string name) {
    Operand o;
    o.kind = Kind::kLabel;
    o.name = std::move(name);
    return o;
  }
};

/// Register id of the base of the kernel's dynamic shared memory in shared-space address
/// operands ([smem + offset] with a 32-bit register offset is written with a B32 register).
constexpr uint32_t kSmemBase = 0xFFFFFFFFu;

enum class Type : uint8_t {
  kNone, kPred, kB8, kB16, kB32, kB64, kU8, kU16, kU32, kU64, kS8, kS16, kS32, kS64,
  kF16, kF16x2, kBF16, kBF16x2, kF32,
};

/// Bits of a value of `type` (f16x2: 32).
unsigned typeBits(Type type);
const char *typeName(Type type);

enum class Op : uint16_t {
  kLabel,   // name: a branch target
  kComment, // name: text
  kMov, kAdd, kSub, kMul, kMulHi, kMulWide, kMad, kFma, kDiv, kRem, kMin, kMax, kNeg, kAbs,
  kAnd, kOr, kXor, kNot, kShl, kShr, kBfe, kBfi, kPrmt, kLop3, kCvt, kSetp, kSelp,
  kShf, // shf.r.wrap.b32 d, lo, hi, n: the 64-bit hi:lo shifted right by n % 32, low word
  kSqrt, kRsqrt, kRcp, kEx2, kLg2, kTanh,
  kLd, kSt, kCpAsync, kCpAsyncCommit, kCpAsyncWait, kLdmatrix, kMma,
  kPrefetch,     // prefetch.global.L2 [addr]: the line holding addr into L2
  kPrefetchBulk, // cp.async.bulk.prefetch.L2.global [addr], size (sm_90; 16-byte aligned, size % 16 == 0)
  kMmaSp, // mma.sp::ordered_metadata m16n8k32: dst d(4); src a(4), b(4), c(4), meta, selector
  kShfl, kBar, kAtomAdd,
  kGridDepLaunch, // griddepcontrol.launch_dependents (sm_90): an overlapping next launch may start
  kGridDepWait,   // griddepcontrol.wait (sm_90): the launch this one overlaps has ended
  kRedAnd, kRedOr, // red.{global,shared}.{and,or}.b32 [addr], value
  kBra, kExit,
};

enum class Space : uint8_t { kNone, kGlobal, kShared, kParam, kConst };
enum class Rounding : uint8_t { kNone, kRn, kRz, kRni, kRzi, kApprox, kSat };
enum class Cmp : uint8_t {
  kEq, kNe, kLt, kLe, kGt, kGe,          // signed integers; ordered floats
  kLo, kLs, kHi, kHs,                    // unsigned integers
  kEqu, kNeu, kLtu, kLeu, kGtu, kGeu,    // unordered floats (true if either is NaN)
  kNan, kNum,
};
/// L2 eviction hint of a global access.
enum class CacheHint : uint8_t { kNone, kEvictFirst, kEvictLast };
enum class ShflMode : uint8_t { kBfly, kIdx, kUp, kDown };

struct Inst {
  Op op = Op::kMov;
  Type type = Type::kNone;
  /// cvt: the source type; mma: the input (A/B) type; setp: unused.
  Type type2 = Type::kNone;
  Rounding rounding = Rounding::kNone;
  Cmp cmp = Cmp::kEq;
  Space space = Space::kNone;
  CacheHint cache = CacheHint::kNone;
  /// ld/st/cp.async: vector width (1, 2, 4) or bytes for cp.async; ldmatrix: matrices
  /// (1, 2, 4); bfe/bfi/shf and friends keep their fields in src operands.
  uint8_t width = 1;
  bool transpose = false; // ldmatrix .trans
  ShflMode shfl = ShflMode::kBfly;
  bool readOnly = false;  // ld.global.nc
  /// A guard predicate: the instruction runs only where it is true (false when negated).
  bool guarded = false;
  bool guardNegated = false;
  Reg guard;
  std::vector<Operand> dst;
  std::vector<Operand> src;
  std::string text; // labels and comments
};

/// A kernel: its parameters (name and PTX type), the registers it declares, its code.
struct Kernel {
  std::string name;
  struct Param {
    std::string name;
    Type type;
  };
  std::vector<Param> params;
  uint32_t numRegs[4] = {0, 0, 0, 0}; // by RegKind
  int64_t sharedBytes = 0;            // dynamic shared memory the kernel uses
  int threads = 32;
  int minBlocksPerSm = 0; // > 0: .minnctapersm
  int maxRegisters = 0;   // > 0: .maxnreg (instead of .minnctapersm)
  std::vector<Inst> body;
  /// 32-bit constants the body reads with ld.const from the table `<name>_consts` (a
  /// module-level .const array): values ptxas keeps in registers or reads from the
  /// constant bank rather than rematerializing them in loops as immediates.
  std::vector<uint32_t> constants;
};

/// The text of one instruction (no indentation, no newline).
std::string printInst(const Inst &inst);
/// A PTX module holding `kernels`, for target `sm` ("sm_80", "sm_90a") with PTX ISA
/// version `version` ("8.0").
std::string printModule(const std::vector<const Kernel *> &kernels, const std::string &sm,
                        const std::string &version);

} // namespace tessel::cuda::ptx

#endif // TESSEL_CUDA_PTX_H
