// The block interpreter's control flow and dispatch; the instructions themselves are in
// MemoryOps.cpp, ElementwiseOps.cpp and TileOps.cpp.
#include "cpu/BlockExecutor.h"

#include "vm/ScalarOps.h"

#include "absl/strings/str_cat.h"

#include <cstring>

namespace tessel::cpu {

using namespace tessel::vm;

BlockExecutor::BlockExecutor(const KernelPlan &plan)
    : plan_(plan), values_(plan.kernel->numValues()), shared_(size_t(plan.kernel->sharedBytes)) {}

absl::Status BlockExecutor::fail(const Instruction &ins, const std::string &message) const {
  return absl::InvalidArgumentError(absl::StrCat(describeInstruction(*plan_.kernel, ins),
                                                 ", block (", block_[0], ", ", block_[1], ", ",
                                                 block_[2], "): ", message));
}

std::vector<uint32_t> &BlockExecutor::resultCells(const Instruction &ins) {
  std::vector<uint32_t> &cells = values_[ins.results[0]].cells;
  cells.resize(size_t(plan_.table(typeOf(ins.results[0])).cells));
  return cells;
}

void BlockExecutor::gatherDense(uint32_t value, std::vector<uint32_t> &out) {
  const LayoutTable &t = plan_.table(typeOf(value));
  const uint32_t *cells = values_[value].cells.data();
  out.resize(size_t(t.elements));
  for (int64_t e = 0; e < t.elements; ++e)
    out[size_t(e)] = cells[t.elementCell[size_t(e)]];
}

void BlockExecutor::scatterDense(const Instruction &ins, const std::vector<uint32_t> &dense) {
  const LayoutTable &t = plan_.table(typeOf(ins.results[0]));
  std::vector<uint32_t> &cells = resultCells(ins);
  for (int64_t c = 0; c < t.cells; ++c)
    cells[size_t(c)] = dense[size_t(t.cellElement[size_t(c)])];
}

absl::Status BlockExecutor::run(const Grid &grid, int64_t x, int64_t y, int64_t z,
                                const std::vector<KernelArgument> &args) {
  grid_ = grid;
  block_[0] = x;
  block_[1] = y;
  block_[2] = z;
  // Shared memory starts zeroed in every block, so that a read before a write is
  // deterministic (the GPU leaves it undefined).
  if (!shared_.empty())
    std::memset(shared_.data(), 0, shared_.size());
  const std::vector<uint32_t> &params = plan_.kernel->arguments();
  for (size_t i = 0; i < params.size(); ++i) {
    Value &v = values_[params[i]];
    const KernelArgument &a = args[i];
    if (a.isTensor) {
      v.base = reinterpret_cast<uint8_t *>(uintptr_t(a.tensor.address));
      v.extent = a.tensor.extent;
      v.readOnly = a.tensor.readOnly;
      for (size_t d = 0; d < a.tensor.shape.size(); ++d)
        v.dims[d] = a.tensor.shape[d];
    } else {
      v.scalar = a.scalar;
    }
  }
  Flow flow = Flow::kNext;
  return runBlock(plan_.kernel->body, flow);
}

absl::Status BlockExecutor::runBlock(const Block &block, Flow &flow) {
  for (const Instruction &ins : block.body) {
    if (absl::Status s = execute(ins, flow); !s.ok())
      return s;
    if (flow == Flow::kExit)
      return absl::OkStatus();
  }
  return absl::OkStatus();
}

absl::Status BlockExecutor::runFor(const Instruction &ins, Flow &flow) {
  int64_t lb = operand(ins, 0).scalar.i, ub = operand(ins, 1).scalar.i,
          step = operand(ins, 2).scalar.i;
  if (step <= 0)
    return fail(ins, absl::StrCat("step ", step, " is not positive"));
  const Block &body = ins.regions[0];
  size_t iters = ins.operands.size() - 3;
  for (size_t i = 0; i < iters; ++i)
    values_[body.arguments[1 + i]] = values_[ins.operands[3 + i]];
  if (loopScratch_.size() <= ins.index)
    loopScratch_.resize(ins.index + 1);
  std::vector<Value> &scratch = loopScratch_[ins.index];
  scratch.resize(iters);
  const Instruction &yield = body.body.back();
  for (int64_t iv = lb; iv < ub;) {
    values_[body.arguments[0]].scalar.i = iv;
    if (absl::Status s = runBlock(body, flow); !s.ok() || flow == Flow::kExit)
      return s;
    // Copy first, then swap in: a yield may permute the region's own arguments.
    for (size_t i = 0; i < iters; ++i)
      scratch[i] = values_[yield.operands[i]];
    for (size_t i = 0; i < iters; ++i)
      std::swap(values_[body.arguments[1 + i]], scratch[i]);
    if (__builtin_add_overflow(iv, step, &iv))
      break;
  }
  for (size_t i = 0; i < iters; ++i)
    values_[ins.results[i]] = values_[body.arguments[1 + i]];
  return absl::OkStatus();
}

absl::Status BlockExecutor::runIf(const Instruction &ins, Flow &flow) {
  const Block &region = ins.regions[operand(ins, 0).scalar.i ? 0 : 1];
  if (absl::Status s = runBlock(region, flow); !s.ok() || flow == Flow::kExit)
    return s;
  if (!ins.results.empty()) {
    const Instruction &yield = region.body.back();
    for (size_t i = 0; i < ins.results.size(); ++i)
      values_[ins.results[i]] = values_[yield.operands[i]];
  }
  return absl::OkStatus();
}

absl::Status BlockExecutor::execute(const Instruction &ins, Flow &flow) {
  if (isScalarOpcode(ins.opcode)) {
    Scalar x[3];
    for (size_t i = 0; i < ins.operands.size() && i < 3; ++i)
      x[i] = operand(ins, i).scalar;
    absl::StatusOr<Scalar> r = evalScalar(*plan_.program, *plan_.kernel, ins, x);
    if (!r.ok())
      return absl::Status(r.status().code(),
                          absl::StrCat(r.status().message(), ", block (", block_[0], ", ",
                                       block_[1], ", ", block_[2], ")"));
    values_[ins.results[0]].scalar = *r;
    return absl::OkStatus();
  }
  switch (ins.opcode) {
  case Opcode::Return:
  case Opcode::Yield: // handled by the enclosing op
    return absl::OkStatus();
  case Opcode::Exit: flow = Flow::kExit; return absl::OkStatus();
  case Opcode::For: return runFor(ins, flow);
  case Opcode::If: return runIf(ins, flow);
  case Opcode::Dim:
    values_[ins.results[0]].scalar.i = operand(ins, 0).dims[ins.attr];
    return absl::OkStatus();
  case Opcode::BlockIdx:
    values_[ins.results[0]].scalar.i = block_[ins.attr];
    return absl::OkStatus();
  case Opcode::GridDim:
    values_[ins.results[0]].scalar.i = ins.attr == 0 ? grid_.x : ins.attr == 1 ? grid_.y : grid_.z;
    return absl::OkStatus();
  case Opcode::AllocShared: {
    Value &v = values_[ins.results[0]];
    v.sharedByte = ins.attr;
    v.sharedStart = 0;
    return absl::OkStatus();
  }
  case Opcode::Sync:
  case Opcode::CopyAsyncCommit:
  case Opcode::CopyAsyncWait:
    // The block runs as one: barriers hold trivially and copies complete at once.
    return absl::OkStatus();
  case Opcode::Prefetch: return absl::OkStatus(); // a cache hint
  case Opcode::LaunchDependents:
  case Opcode::GridDependencyWait:
    return absl::OkStatus(); // the CPU's launches run one after another
  case Opcode::GlobalView: return globalView(ins);
  case Opcode::SharedSlice: return sharedSlice(ins);
  case Opcode::LoadGlobal: return loadGlobal(ins);
  case Opcode::StoreGlobal:
  case Opcode::AtomicAdd: return storeGlobal(ins);
  case Opcode::CopyAsync: return copyAsync(ins);
  case Opcode::LoadShared:
  case Opcode::LoadMatrix: return loadShared(ins);
  case Opcode::StoreShared: return storeShared(ins);
  case Opcode::Lookup: return lookup(ins);
  case Opcode::AllocRegs: return allocRegs(ins);
  case Opcode::Binary: return binary(ins);
  case Opcode::Unary: return unary(ins);
  case Opcode::Fma: return fma(ins);
  case Opcode::Compare: return compare(ins);
  case Opcode::Where: return where(ins);
  case Opcode::Cast: return cast(ins);
  case Opcode::Dot:
  case Opcode::DotSparse: return dot(ins);
  case Opcode::View: return view(ins);
  case Opcode::Iota: return iota(ins);
  case Opcode::Broadcast:
  case Opcode::Slice:
  case Opcode::Shuffle: return gather(ins);
  case Opcode::Reduce: return reduce(ins);
  case Opcode::Print: return print(ins);
  default: return fail(ins, "cannot run in a kernel");
  }
}

} // namespace tessel::cpu
