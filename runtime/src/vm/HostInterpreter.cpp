#include "vm/HostInterpreter.h"

#include "vm/BitPack.h"
#include "vm/ScalarOps.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

#include <algorithm>

namespace tessel::vm {

uint64_t packedSize(int64_t count, DType dtype) { return packedBytes(size_t(count), dtype.bits()); }

std::string shapeToString(const std::vector<int64_t> &shape, DType dtype) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    absl::StrAppend(&s, i ? ", " : "", shape[i] < 0 ? std::string("?") : std::to_string(shape[i]));
  return s + "] " + dtype.name();
}

namespace {

// The most bytes one tensor may have (guards the size arithmetic, not the memory).
constexpr uint64_t kMaxTensorBytes = uint64_t(1) << 44;

// Element count of fully known dims, or nullopt when negative or too large.
std::optional<int64_t> countElements(const std::vector<int64_t> &shape, DType dtype) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0)
      return std::nullopt;
    if (d != 0 && n > int64_t(kMaxTensorBytes) / d)
      return std::nullopt;
    n *= d;
  }
  if (packedSize(n, dtype) > kMaxTensorBytes)
    return std::nullopt;
  return n;
}

// Whether a tensor of `shape` and `dtype` fits a declared GTensor type.
bool fitsType(const ValueType &type, DType dtype, const std::vector<int64_t> &shape) {
  if (type.dtype != dtype || type.shape.size() != shape.size())
    return false;
  for (size_t d = 0; d < shape.size(); ++d)
    if (type.shape[d] >= 0 && type.shape[d] != shape[d])
      return false;
  return true;
}

struct HostValue {
  Scalar scalar;
  GlobalTensor tensor;
};

class HostRun {
public:
  HostRun(const Program &program, const Function &function, Backend &backend)
      : p_(program), f_(function), backend_(backend), values_(function.numValues()) {}
  ~HostRun() {
    for (DeviceAddress a : allocations_)
      backend_.deallocate(a);
  }

  absl::StatusOr<std::vector<HostTensor>> run(const std::vector<HostTensorRef> &inputs);

private:
  absl::Status bindInputs(const std::vector<HostTensorRef> &inputs);
  absl::Status runBlock(const Block &block, std::vector<HostValue> *yielded);
  absl::Status runInstruction(const Instruction &ins);
  absl::Status allocate(const ValueType &type, std::vector<int64_t> shape, GlobalTensor &out,
                        bool zeroed = true);
  absl::Status fail(const Instruction &ins, const std::string &message) const {
    return absl::InvalidArgumentError(describeInstruction(f_, ins) + ": " + message);
  }
  // A backend's error about the kernel `ins` names (launch, resident_blocks), located.
  absl::Status kernelError(const Instruction &ins, const absl::Status &s) const {
    return absl::Status(s.code(), absl::StrCat(describeInstruction(f_, ins), " '",
                                               p_.functions()[ins.symbol].name, "': ", s.message()));
  }

  const Program &p_;
  const Function &f_;
  Backend &backend_;
  std::vector<HostValue> values_;
  std::vector<DeviceAddress> allocations_;
  bool launchFollows_ = false; // the instruction after the current one is a launch
  bool queued_ = false;        // a queued launch waits for the next launch()
  bool queuedOverlaps_ = false; // ... and it overlaps the launch before it
  std::vector<uint32_t> returned_;
};

absl::Status HostRun::allocate(const ValueType &type, std::vector<int64_t> shape,
                               GlobalTensor &out, bool zeroed) {
  std::optional<int64_t> n = countElements(shape, type.dtype);
  if (!n)
    return absl::InvalidArgumentError("cannot allocate a tensor of shape " +
                                      shapeToString(shape, type.dtype));
  uint64_t bytes = packedSize(*n, type.dtype);
  absl::StatusOr<DeviceAddress> address = zeroed ? backend_.allocate(bytes == 0 ? 1 : bytes)
                                                 : backend_.allocateUninitialized(bytes == 0 ? 1 : bytes);
  if (!address.ok())
    return address.status();
  allocations_.push_back(*address);
  out.address = *address;
  out.extent = bytes;
  out.dtype = type.dtype;
  out.shape = std::move(shape);
  out.readOnly = false;
  return absl::OkStatus();
}

absl::Status HostRun::bindInputs(const std::vector<HostTensorRef> &inputs) {
  const std::vector<uint32_t> &args = f_.arguments();
  if (inputs.size() != args.size())
    return absl::InvalidArgumentError(absl::StrCat("function '", f_.name, "' takes ", args.size(),
                                                   " inputs, got ", inputs.size()));
  for (size_t i = 0; i < args.size(); ++i) {
    const ValueType &type = p_.valueType(f_, args[i]);
    const HostTensorRef &in = inputs[i];
    std::string name = f_.argumentNames[i].empty()
                           ? absl::StrCat("input ", i)
                           : absl::StrCat("input ", i, " '", f_.argumentNames[i], "'");
    if (!fitsType(type, in.dtype, in.shape))
      return absl::InvalidArgumentError(absl::StrCat(
          "function '", f_.name, "': ", name, " has shape ", shapeToString(in.shape, in.dtype),
          " but the function expects ", shapeToString(type.shape, type.dtype)));
    std::optional<int64_t> n = countElements(in.shape, in.dtype);
    if (!n)
      return absl::InvalidArgumentError(
          absl::StrCat("function '", f_.name, "': ", name, " is too large"));
    uint64_t bytes = packedSize(*n, in.dtype);
    if (in.bytes < bytes || (bytes > 0 && !in.data))
      return absl::InvalidArgumentError(absl::StrCat(
          "function '", f_.name, "': ", name, " of shape ", shapeToString(in.shape, in.dtype),
          " needs ", bytes, " bytes, has ", in.bytes));
    GlobalTensor &t = values_[args[i]].tensor;
    if (absl::Status s = allocate(type, in.shape, t); !s.ok())
      return s;
    if (bytes > 0)
      if (absl::Status s = backend_.copyToDevice(t.address, in.data, bytes); !s.ok())
        return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<HostTensor>> HostRun::run(const std::vector<HostTensorRef> &inputs) {
  if (absl::Status s = bindInputs(inputs); !s.ok())
    return s;
  if (absl::Status s = runBlock(f_.body, nullptr); !s.ok())
    return s;
  std::vector<HostTensor> outputs;
  for (uint32_t v : returned_) {
    const GlobalTensor &t = values_[v].tensor;
    HostTensor out;
    out.dtype = t.dtype;
    out.shape = t.shape;
    out.data.resize(packedSize(t.numElements(), t.dtype));
    if (!out.data.empty())
      if (absl::Status s = backend_.copyToHost(out.data.data(), t.address, out.data.size());
          !s.ok())
        return s;
    outputs.push_back(std::move(out));
  }
  return outputs;
}

absl::Status HostRun::runBlock(const Block &block, std::vector<HostValue> *yielded) {
  for (size_t i = 0; i < block.body.size(); ++i) {
    const Instruction &ins = block.body[i];
    // A launch directly followed by another is queued: the next one's wait covers it.
    launchFollows_ = i + 1 < block.body.size() && block.body[i + 1].opcode == Opcode::Launch;
    if (ins.opcode == Opcode::Yield) {
      if (yielded) {
        yielded->clear();
        for (uint32_t v : ins.operands)
          yielded->push_back(values_[v]);
      }
      return absl::OkStatus();
    }
    if (ins.opcode == Opcode::Return) {
      returned_ = ins.operands;
      return absl::OkStatus();
    }
    if (absl::Status s = runInstruction(ins); !s.ok())
      return s;
  }
  return absl::OkStatus();
}

absl::Status HostRun::runInstruction(const Instruction &ins) {
  if (isScalarOpcode(ins.opcode)) {
    Scalar operands[3];
    for (size_t i = 0; i < ins.operands.size() && i < 3; ++i)
      operands[i] = values_[ins.operands[i]].scalar;
    absl::StatusOr<Scalar> r = evalScalar(p_, f_, ins, operands);
    if (!r.ok())
      return r.status();
    values_[ins.results[0]].scalar = *r;
    return absl::OkStatus();
  }
  switch (ins.opcode) {
  case Opcode::Dim:
    values_[ins.results[0]].scalar.i = values_[ins.operands[0]].tensor.shape[size_t(ins.attr)];
    return absl::OkStatus();
  case Opcode::GetGlobal: {
    const Constant &c = p_.constants()[ins.symbol];
    absl::StatusOr<DeviceAddress> address = backend_.constantAddress(p_, ins.symbol);
    if (!address.ok())
      return address.status();
    GlobalTensor &t = values_[ins.results[0]].tensor;
    t.address = *address;
    t.extent = c.size;
    t.dtype = p_.type(c.type).dtype;
    t.shape = p_.type(c.type).shape;
    t.readOnly = true;
    return absl::OkStatus();
  }
  case Opcode::Check: {
    if (values_[ins.operands[0]].scalar.i & 1)
      return absl::OkStatus();
    std::string message = ins.label;
    if (ins.operands.size() > 1) {
      std::vector<int64_t> shown;
      for (size_t i = 1; i < ins.operands.size(); ++i)
        shown.push_back(values_[ins.operands[i]].scalar.i);
      absl::StrAppend(&message, " [", absl::StrJoin(shown, ", "), "]");
    }
    return absl::InvalidArgumentError(absl::StrCat("'", f_.name, "': ", message));
  }
  case Opcode::AllocGlobal: {
    const ValueType &type = p_.valueType(f_, ins.results[0]);
    std::vector<int64_t> shape = type.shape;
    size_t next = 0;
    for (int64_t &d : shape)
      if (d < 0)
        d = values_[ins.operands[next++]].scalar.i;
    for (int64_t d : shape)
      if (d < 0)
        return fail(ins, "allocates a tensor of shape " + shapeToString(shape, type.dtype));
    if (absl::Status s = allocate(type, shape, values_[ins.results[0]].tensor, ins.attr == 0); !s.ok())
      return fail(ins, std::string(s.message()));
    return absl::OkStatus();
  }
  case Opcode::ResidentBlocks: {
    absl::StatusOr<int64_t> n = backend_.residentBlocks(p_, ins.symbol);
    if (!n.ok())
      return kernelError(ins, n.status());
    values_[ins.results[0]].scalar.i = std::max<int64_t>(*n, 1);
    return absl::OkStatus();
  }
  case Opcode::Launch: {
    Grid grid{values_[ins.operands[0]].scalar.i, values_[ins.operands[1]].scalar.i,
              values_[ins.operands[2]].scalar.i};
    // Overlapping needs the launch just before to have been queued (it ran blocks and
    // nothing came between) and not to overlap one itself: the kernel that launch
    // overlapped may still run, and this one may read what it writes.
    grid.overlapPrevious = ins.attr != 0 && queued_ && !queuedOverlaps_;
    if (grid.x < 0 || grid.y < 0 || grid.z < 0 || grid.x > 0x7FFFFFFF || grid.y > 65535 ||
        grid.z > 65535)
      return fail(ins, absl::StrCat("grid (", grid.x, ", ", grid.y, ", ", grid.z,
                                    ") is out of range (x < 2^31, y and z <= 65535)"));
    // An empty grid runs nothing, but still waits for a queued launch before it.
    if (grid.numBlocks() == 0 && !queued_)
      return absl::OkStatus();
    std::vector<KernelArgument> args(ins.operands.size() - 3);
    for (size_t i = 0; i < args.size(); ++i) {
      const HostValue &v = values_[ins.operands[3 + i]];
      args[i].isTensor = p_.valueType(f_, ins.operands[3 + i]).kind == ValueKind::kGTensor;
      args[i].tensor = v.tensor;
      args[i].scalar = v.scalar;
    }
    if (absl::Status s = checkKernelArguments(p_, ins.symbol, args); !s.ok())
      return fail(ins, std::string(s.message()));
    const bool queue = launchFollows_ && grid.numBlocks() > 0;
    absl::Status s = queue ? backend_.launchQueued(p_, ins.symbol, grid, args)
                           : backend_.launch(p_, ins.symbol, grid, args);
    queued_ = queue && s.ok();
    queuedOverlaps_ = queued_ && grid.overlapPrevious;
    if (!s.ok())
      return kernelError(ins, s);
    return absl::OkStatus();
  }
  case Opcode::For: {
    int64_t lb = values_[ins.operands[0]].scalar.i, ub = values_[ins.operands[1]].scalar.i,
            step = values_[ins.operands[2]].scalar.i;
    if (step <= 0)
      return fail(ins, absl::StrCat("step ", step, " is not positive"));
    const Block &body = ins.regions[0];
    std::vector<HostValue> iters, next;
    for (size_t i = 3; i < ins.operands.size(); ++i)
      iters.push_back(values_[ins.operands[i]]);
    for (int64_t iv = lb; iv < ub;) {
      values_[body.arguments[0]].scalar.i = iv;
      for (size_t i = 0; i < iters.size(); ++i)
        values_[body.arguments[1 + i]] = iters[i];
      if (absl::Status s = runBlock(body, &next); !s.ok())
        return s;
      iters.swap(next);
      if (__builtin_add_overflow(iv, step, &iv))
        break;
    }
    for (size_t i = 0; i < iters.size(); ++i)
      values_[ins.results[i]] = iters[i];
    return absl::OkStatus();
  }
  case Opcode::If: {
    std::vector<HostValue> yielded;
    if (absl::Status s = runBlock(ins.regions[values_[ins.operands[0]].scalar.i ? 0 : 1], &yielded);
        !s.ok())
      return s;
    for (size_t i = 0; i < ins.results.size(); ++i)
      values_[ins.results[i]] = yielded[i];
    return absl::OkStatus();
  }
  default: return fail(ins, "cannot run in a host function");
  }
}

} // namespace

absl::Status checkKernelArguments(const Program &program, uint32_t kernel,
                                  const std::vector<KernelArgument> &args) {
  if (kernel >= program.functions().size() ||
      program.functions()[kernel].kind != FunctionKind::kKernel)
    return absl::InvalidArgumentError(absl::StrCat("function ", kernel, " is not a kernel"));
  const Function &k = program.functions()[kernel];
  if (args.size() != k.arguments().size())
    return absl::InvalidArgumentError(absl::StrCat(
        "kernel '", k.name, "' takes ", k.arguments().size(), " arguments, got ", args.size()));
  for (size_t i = 0; i < args.size(); ++i) {
    const ValueType &type = program.valueType(k, k.arguments()[i]);
    const KernelArgument &a = args[i];
    if ((type.kind == ValueKind::kGTensor) != a.isTensor)
      return absl::InvalidArgumentError(absl::StrCat("argument ", i, " of kernel '", k.name,
                                                     "' must be ",
                                                     a.isTensor ? "a scalar" : "a global tensor"));
    if (!a.isTensor)
      continue;
    const GlobalTensor &t = a.tensor;
    std::optional<int64_t> n = countElements(t.shape, t.dtype);
    if (!fitsType(type, t.dtype, t.shape) || !n)
      return absl::InvalidArgumentError(absl::StrCat(
          "argument ", i, " of kernel '", k.name, "' has shape ", shapeToString(t.shape, t.dtype),
          " but the kernel expects ", shapeToString(type.shape, type.dtype)));
    if (packedSize(*n, t.dtype) > t.extent)
      return absl::InvalidArgumentError(
          absl::StrCat("argument ", i, " of kernel '", k.name, "' extends past its buffer"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<HostTensor>> runHostFunction(const Program &program, uint32_t function,
                                                        Backend &backend,
                                                        const std::vector<HostTensorRef> &inputs) {
  if (function >= program.functions().size() ||
      program.functions()[function].kind != FunctionKind::kHost)
    return absl::InvalidArgumentError(
        absl::StrCat("function ", function, " is not a host function of the module"));
  HostRun run(program, program.functions()[function], backend);
  return run.run(inputs);
}

} // namespace tessel::vm
