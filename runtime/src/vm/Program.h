// A loaded, verified .tslm module: the in-memory form that the host interpreter and the
// executors run.
//
// loadProgram() reads the FlatBuffers bytecode (runtime/schema/module.fbs) once, checks
// everything an executor relies on (docs/vm.md, "The loader"), and decodes it into plain
// structs: instructions with their operands, results, regions and decoded attributes,
// types with their layouts resolved. Nothing reads FlatBuffers after loading. A module
// that loads can not make an executor crash or read out of bounds; what can only be
// known when it runs (a dynamic index, a division by zero) is a status at run time.
#ifndef TESSEL_VM_PROGRAM_H
#define TESSEL_VM_PROGRAM_H

#include "vm/DType.h"
#include "vm/Layout.h"
#include "vm/Opcodes.h"

#include "absl/status/statusor.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace tessel::vm {

/// The most dimensions a tensor may have.
constexpr int kMaxRank = 8;
/// The most elements (and the most thread*slot cells) of a register or shared tile.
constexpr int64_t kMaxTileElements = int64_t(1) << 24;
/// The most shared memory a kernel may ask for.
constexpr int64_t kMaxSharedBytes = int64_t(1) << 24;

enum class ValueKind : uint8_t {
  kScalar,  // a signless integer (1..64 bits), f16, bf16 or f32
  kIndex,   // a 64-bit integer (MLIR index)
  kRTensor, // a register tile: shape, element type, layout
  kSTensor, // a shared-memory tile: shape, element type, swizzle
  kGTensor, // a global tensor: shape (-1 dynamic), element type
};

struct ValueType {
  ValueKind kind = ValueKind::kIndex;
  /// The scalar's type (Index: i64) or the tensor's element type.
  DType dtype;
  /// Tensors only; GTensor dims may be -1 (dynamic).
  std::vector<int64_t> shape;
  /// RTensor: index into Program::layouts().
  int32_t layout = -1;
  /// STensor: the XOR swizzle of element offsets (identity when bits == 0).
  Swizzle swizzle;
  /// RTensor and STensor: the number of elements; STensor: its packed size in bytes.
  int64_t numElements = 0;
  int64_t sizeInBytes = 0;

  bool isScalarLike() const { return kind == ValueKind::kScalar || kind == ValueKind::kIndex; }
  bool isIntegerScalar() const {
    return kind == ValueKind::kIndex || (kind == ValueKind::kScalar && dtype.isInteger());
  }
  bool isFloatScalar() const { return kind == ValueKind::kScalar && dtype.isFloat(); }
  int rank() const { return int(shape.size()); }
  /// Bits of a scalar integer (Index: 64).
  unsigned scalarBits() const { return kind == ValueKind::kIndex ? 64 : dtype.bits(); }
};

/// "rtensor<16x8xf16, local(2).spatial(8,4)>" and the like, for messages.
std::string typeToString(const ValueType &type, const std::vector<Layout> &layouts);

struct Instruction;

/// A region with one block: its arguments (value ids) and instructions.
struct Block {
  std::vector<uint32_t> arguments;
  std::vector<Instruction> body;
};

struct Instruction {
  Opcode opcode = Opcode::Return;
  /// Position of the instruction in its function, pre-order (for messages).
  uint32_t index = 0;
  std::vector<uint32_t> operands;
  std::vector<uint32_t> results;
  std::vector<Block> regions;

  // Decoded attributes (absent ones hold their default). Which opcode uses which field:
  //   kind:      tbvm.binary/unary/reduce kind, tbvm.compare, arith.cmpi/cmpf predicate
  //   attr:      tbvm.dim index, block_idx/grid_dim dim, alloc_shared offset, iota/reduce
  //              dimension, copy_async_wait pending, load/store/copy cache hint,
  //              alloc_global uninitialized (1), launch overlap (1)
  //   transpose: tbvm.load_matrix
  //   symbol:    tbvm.launch kernel (function index), tbvm.get_global (constant index)
  //   intValue / floatValue: arith.constant (already in the result's type)
  //   label:     tbvm.print, tbvm.check message
  //   offsets:   tbvm.slice offsets, tbvm.prefetch box shape
  int64_t kind = 0;
  int64_t attr = 0;
  bool transpose = false;
  uint32_t symbol = 0;
  int64_t intValue = 0;
  double floatValue = 0;
  std::string label;
  std::vector<int64_t> offsets;
};

enum class FunctionKind : uint8_t { kKernel, kHost };

struct Function {
  std::string name;
  FunctionKind kind = FunctionKind::kKernel;
  /// Type index (into Program::types()) of every value, by value id.
  std::vector<uint32_t> valueTypes;
  /// The entry block; its arguments are the function's arguments.
  Block body;
  /// Host functions: output types, and input/output names (empty strings when unnamed).
  std::vector<uint32_t> resultTypes;
  std::vector<std::string> argumentNames;
  std::vector<std::string> resultNames;
  /// Kernels: block size in warps and shared memory in bytes.
  int64_t warps = 0;
  int64_t sharedBytes = 0;
  /// Kernels: blocks per SM the GPU code must fit (ptxas caps registers), 0: no request.
  int64_t minBlocksPerSm = 0;

  int64_t numThreads() const { return 32 * warps; }
  size_t numValues() const { return valueTypes.size(); }
  const std::vector<uint32_t> &arguments() const { return body.arguments; }
};

/// A constant global tensor. Its bytes live in the module's buffer (used in place).
struct Constant {
  std::string name;
  uint32_t type = 0; // a GTensor type with a static shape
  const uint8_t *data = nullptr;
  size_t size = 0;
};

class Program {
public:
  Program(const Program &) = delete;
  Program &operator=(const Program &) = delete;

  uint32_t version() const { return version_; }
  const std::string &producer() const { return producer_; }
  const std::vector<ValueType> &types() const { return types_; }
  const std::vector<Layout> &layouts() const { return layouts_; }
  const std::vector<Function> &functions() const { return functions_; }
  const std::vector<Constant> &constants() const { return constants_; }

  const ValueType &type(uint32_t index) const { return types_[index]; }
  /// The type of value `value` of `function`.
  const ValueType &valueType(const Function &function, uint32_t value) const {
    return types_[function.valueTypes[value]];
  }
  const Layout &layoutOf(const ValueType &rtensor) const {
    return layouts_[size_t(rtensor.layout)];
  }
  std::optional<uint32_t> findFunction(std::string_view name) const;
  std::optional<uint32_t> findConstant(std::string_view name) const;
  std::string typeName(uint32_t type) const { return typeToString(types_[type], layouts_); }
  std::string typeName(const ValueType &type) const { return typeToString(type, layouts_); }
  /// Type equality as MLIR means it (layouts compare semantically).
  bool sameType(const ValueType &a, const ValueType &b) const;

  /// Data an executor derives from this program (prepared kernels, tables), created by
  /// `create` on first use under `key` and shared afterwards. Thread-safe: concurrent
  /// callers of one key wait for the one creation; other keys do not wait (so `create`
  /// may use the cache under another key, never under its own).
  std::shared_ptr<const void>
  getOrCreateCache(const std::string &key,
                   const std::function<std::shared_ptr<const void>()> &create) const;

private:
  Program() = default;
  friend class ProgramLoader;

  uint32_t version_ = 0;
  std::string producer_;
  std::vector<ValueType> types_;
  std::vector<Layout> layouts_;
  std::vector<Function> functions_;
  std::vector<Constant> constants_;
  std::unordered_map<std::string, uint32_t> functionByName_;
  std::unordered_map<std::string, uint32_t> constantByName_;

  struct CacheEntry {
    std::mutex mutex;
    std::shared_ptr<const void> value;
  };
  mutable std::mutex cacheMutex_;
  mutable std::map<std::string, std::shared_ptr<CacheEntry>> cache_;
};

/// Loads and verifies a .tslm module. The bytes stay owned by the caller and must outlive
/// the Program (constants are used in place). Errors (InvalidArgument, or
/// FailedPrecondition for a version mismatch) say what is wrong and where.
absl::StatusOr<std::shared_ptr<const Program>> loadProgram(const uint8_t *data, size_t size);

/// "function 'f', instruction 12 (tbvm.dot)": where an instruction is, for messages.
std::string describeInstruction(const Function &function, const Instruction &instruction);

} // namespace tessel::vm

#endif // TESSEL_VM_PROGRAM_H
