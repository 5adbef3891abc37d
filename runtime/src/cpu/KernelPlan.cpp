#include "cpu/KernelPlan.h"

#include "vm/Codec.h"

#include "absl/strings/str_cat.h"

#include <algorithm>
#include <functional>

namespace tessel::cpu {

using namespace tessel::vm;

namespace {

std::shared_ptr<const LayoutTable> buildTable(const Layout &layout) {
  auto t = std::make_shared<LayoutTable>();
  t->threads = layout.numThreads();
  t->localSize = layout.localSize();
  t->cells = t->threads * t->localSize;
  t->elements = layout.numElements();
  t->rank = layout.rank();
  t->shape = layout.shape();
  t->cellElement.resize(size_t(t->cells));
  t->elementCell.assign(size_t(t->elements), -1);
  t->cellCoords.resize(size_t(t->cells * t->rank));
  std::vector<int64_t> index(size_t(t->rank));
  for (int64_t thread = 0; thread < t->threads; ++thread) {
    for (int64_t slot = 0; slot < t->localSize; ++slot) {
      int64_t c = thread * t->localSize + slot;
      layout.indexOf(thread, slot, index.data());
      int64_t e = 0;
      for (int d = 0; d < t->rank; ++d) {
        e = e * t->shape[size_t(d)] + index[size_t(d)];
        t->cellCoords[size_t(c * t->rank + d)] = int32_t(index[size_t(d)]);
      }
      t->cellElement[size_t(c)] = int32_t(e);
      // Threads ascend, so the first holder seen is replica 0.
      if (t->elementCell[size_t(e)] < 0)
        t->elementCell[size_t(e)] = int32_t(c);
    }
  }
  return t;
}

class PlanBuilder {
public:
  PlanBuilder(const Program &program, uint32_t kernel) : p_(program) {
    plan_ = std::make_shared<KernelPlan>();
    plan_->program = &program;
    plan_->kernel = &program.functions()[kernel];
    plan_->kernelIndex = kernel;
    plan_->layouts.resize(program.layouts().size());
  }

  absl::StatusOr<std::shared_ptr<const KernelPlan>> build() {
    const Function &f = *plan_->kernel;
    for (uint32_t t : f.valueTypes) {
      const ValueType &type = p_.type(t);
      if (type.kind == ValueKind::kRTensor && !plan_->layouts[size_t(type.layout)])
        plan_->layouts[size_t(type.layout)] = buildTable(p_.layouts()[size_t(type.layout)]);
    }
    if (absl::Status s = visit(f.body); !s.ok())
      return s;
    return std::shared_ptr<const KernelPlan>(plan_);
  }

private:
  const ValueType &typeOf(uint32_t value) const { return p_.valueType(*plan_->kernel, value); }

  absl::Status visit(const Block &block) {
    for (const Instruction &ins : block.body) {
      if (plan_->instructions.size() <= ins.index)
        plan_->instructions.resize(ins.index + 1);
      if (absl::Status s = prepare(ins, plan_->instructions[ins.index]); !s.ok())
        return s;
      for (const Block &r : ins.regions)
        if (absl::Status s = visit(r); !s.ok())
          return s;
    }
    return absl::OkStatus();
  }

  absl::Status prepare(const Instruction &ins, InstructionPlan &out) {
    switch (ins.opcode) {
    case Opcode::Shuffle: {
      const LayoutTable &src = plan_->table(typeOf(ins.operands[0]));
      const LayoutTable &dst = plan_->table(typeOf(ins.results[0]));
      out.gather.resize(size_t(dst.cells));
      for (int64_t c = 0; c < dst.cells; ++c)
        out.gather[size_t(c)] = src.elementCell[size_t(dst.cellElement[size_t(c)])];
      return absl::OkStatus();
    }
    case Opcode::Broadcast: {
      const ValueType &st = typeOf(ins.operands[0]);
      return prepareOwnThreadGather(ins, out, [&](int d, int64_t x) {
        return st.shape[size_t(d)] == 1 ? 0 : x;
      });
    }
    case Opcode::Slice:
      return prepareOwnThreadGather(ins, out, [&](int d, int64_t x) { return x + ins.offsets[size_t(d)]; });
    case Opcode::Cast: {
      const ValueType &st = typeOf(ins.operands[0]), &rt = typeOf(ins.results[0]);
      // A result in another layout reads each element from its own thread's cells.
      if (st.layout != rt.layout)
        if (absl::Status s = prepareOwnThreadGather(ins, out, [](int, int64_t x) { return x; }); !s.ok())
          return s;
      DType from = st.dtype, to = rt.dtype;
      if (from.bits() > 16 || from == to)
        return absl::OkStatus();
      out.castTable.resize(size_t(1) << from.bits());
      for (uint32_t code = 0; code < out.castTable.size(); ++code)
        out.castTable[code] = encode(to, decode(from, code), Overflow::kIeee);
      return absl::OkStatus();
    }
    case Opcode::Lookup: {
      const ValueType &table = typeOf(ins.operands[0]);
      if (table.kind != ValueKind::kRTensor)
        return absl::OkStatus();
      const Layout &l = p_.layoutOf(table);
      out.tableSlot.resize(size_t(table.numElements));
      for (int64_t j = 0; j < table.numElements; ++j)
        out.tableSlot[size_t(j)] = int32_t(l.slotOf(&j));
      return absl::OkStatus();
    }
    default: return absl::OkStatus();
    }
  }

  // Each result cell reads source element toSource(its coordinates) (broadcast: the
  // broadcast dims at 0; slice: plus the offsets; cast to another layout: the same
  // element) from its own thread.
  template <typename ToSource>
  absl::Status prepareOwnThreadGather(const Instruction &ins, InstructionPlan &out, ToSource toSource) {
    const ValueType &st = typeOf(ins.operands[0]), &rt = typeOf(ins.results[0]);
    const Layout &sl = p_.layoutOf(st);
    const LayoutTable &dst = plan_->table(rt);
    const LayoutTable &src = plan_->table(st);
    int rank = dst.rank;
    out.gather.resize(size_t(dst.cells));
    auto index = std::vector<int64_t>(size_t(rank));
    for (int64_t c = 0; c < dst.cells; ++c) {
      int64_t thread = c / dst.localSize;
      int64_t e = 0;
      for (int d = 0; d < rank; ++d) {
        index[size_t(d)] = toSource(d, dst.cellCoords[size_t(c * rank + d)]);
        e = e * st.shape[size_t(d)] + index[size_t(d)];
      }
      int64_t slot = sl.slotOf(index.data());
      int64_t candidate = thread * src.localSize + slot;
      if (src.cellElement[size_t(candidate)] != e)
        return absl::InvalidArgumentError(
            absl::StrCat(describeInstruction(*plan_->kernel, ins), ": thread ", thread,
                         " holds a result element whose source element it does not hold"));
      out.gather[size_t(c)] = int32_t(candidate);
    }
    return absl::OkStatus();
  }

  const Program &p_;
  std::shared_ptr<KernelPlan> plan_;
};

// What the program's cache holds: the plan or why there is none.
struct CachedPlan {
  absl::StatusOr<std::shared_ptr<const KernelPlan>> plan;
};

} // namespace

absl::StatusOr<std::shared_ptr<const KernelPlan>> getKernelPlan(const Program &program,
                                                                uint32_t kernel) {
  std::shared_ptr<const void> cached =
      program.getOrCreateCache(absl::StrCat("cpu.plan.", kernel), [&] {
        auto entry = std::make_shared<CachedPlan>();
        entry->plan = PlanBuilder(program, kernel).build();
        return std::shared_ptr<const void>(entry);
      });
  return static_cast<const CachedPlan *>(cached.get())->plan;
}

} // namespace tessel::cpu
