//===- TBVMComputeOps.cpp - tbvm compute instructions ---------------------===//
//
// Verifiers of the compute instructions. The layout rules here are what makes a kernel
// implementable on the GPU: each thread must hold the operands of the elements it
// computes (or the tensor-core fragments must line up).
//
//===----------------------------------------------------------------------===//
#include "dialects/TBVM/IR/TBVMOps.h"

#include "vm/Fragments.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

using namespace mlir;
using namespace tessel;
using namespace tessel::tbvm;

//===----------------------------------------------------------------------===//
// Fragment layouts and the layout rules of dot
//===----------------------------------------------------------------------===//

const vm::Layout &tessel::tbvm::mmaALayout() { return vm::mmaALayout(); }
const vm::Layout &tessel::tbvm::mmaBLayout() { return vm::mmaBLayout(); }
const vm::Layout &tessel::tbvm::mmaCLayout() { return vm::mmaCLayout(); }
const vm::Layout &tessel::tbvm::ldmatrixLayout(bool transpose) {
  return vm::ldmatrixLayout(transpose);
}

namespace {
// A set of threads of a block.
using ThreadSet = std::vector<bool>;

ThreadSet holders(const vm::Layout &layout, const int64_t *index) {
  ThreadSet set(size_t(layout.numThreads()), false);
  for (int64_t t : layout.threadsOf(index))
    set[size_t(t)] = true;
  return set;
}

void intersect(ThreadSet &into, const ThreadSet &other) {
  for (size_t i = 0; i < into.size(); ++i)
    into[i] = into[i] && other[i];
}
} // namespace

// The CUDA-core rule: every holder of c[m, n] holds all of a[m, :] and b[:, n].
static std::optional<std::string> checkHoldsOperands(const vm::Layout &a, const vm::Layout &b,
                                                     const vm::Layout &c, StringRef unit) {
  // a may be narrower than b is tall (the kept values and metadata of a sparse product).
  int64_t m = c.shape()[0], n = c.shape()[1], ka = a.shape()[1], kb = b.shape()[0];
  if (a.numThreads() != c.numThreads() || b.numThreads() != c.numThreads())
    return std::string("the operands span different numbers of ") + unit.str() + "s";
  std::vector<ThreadSet> rows(static_cast<size_t>(m)), cols(static_cast<size_t>(n));
  for (int64_t i = 0; i < m; ++i) {
    rows[size_t(i)] = ThreadSet(size_t(c.numThreads()), true);
    for (int64_t kk = 0; kk < ka; ++kk) {
      int64_t idx[2] = {i, kk};
      intersect(rows[size_t(i)], holders(a, idx));
    }
  }
  for (int64_t j = 0; j < n; ++j) {
    cols[size_t(j)] = ThreadSet(size_t(c.numThreads()), true);
    for (int64_t kk = 0; kk < kb; ++kk) {
      int64_t idx[2] = {kk, j};
      intersect(cols[size_t(j)], holders(b, idx));
    }
  }
  for (int64_t i = 0; i < m; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      int64_t idx[2] = {i, j};
      for (int64_t t : c.threadsOf(idx)) {
        if (!rows[size_t(i)][size_t(t)])
          return (unit + " " + Twine(t) + " holds d[" + Twine(i) + ", " + Twine(j) +
                  "] but not the whole row a[" + Twine(i) + ", :]")
              .str();
        if (!cols[size_t(j)][size_t(t)])
          return (unit + " " + Twine(t) + " holds d[" + Twine(i) + ", " + Twine(j) +
                  "] but not the whole column b[:, " + Twine(j) + "]")
              .str();
      }
    }
  }
  return std::nullopt;
}

std::optional<std::string> tessel::tbvm::checkDotLayouts(const vm::Layout &a,
                                                         const vm::Layout &b,
                                                         const vm::Layout &c,
                                                         bool *tensorCores, bool int8Inputs) {
  if (tensorCores)
    *tensorCores = false;
  std::optional<vm::Layout> qa = a.divide(int8Inputs ? vm::mmaA8Layout() : mmaALayout()),
                            qb = b.divide(int8Inputs ? vm::mmaB8Layout() : mmaBLayout()),
                            qc = c.divide(mmaCLayout());
  // Tensor cores: every operand is made of mma fragments, and the warp computing a
  // fragment of d holds the fragments of a and b it needs.
  if (qa && qb && qc && !checkHoldsOperands(*qa, *qb, *qc, "warp")) {
    if (tensorCores)
      *tensorCores = true;
    return std::nullopt;
  }
  std::optional<std::string> why = checkHoldsOperands(a, b, c, "thread");
  if (!why)
    return std::nullopt;
  return std::string("the layouts are not ") +
         (int8Inputs ? "mma.m16n8k32 (8-bit integer)" : "mma.m16n8k16") +
         " fragments and not a CUDA-core product: " + *why;
}

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

static bool isArithFloat(Type t) { return isa<Float16Type, BFloat16Type, Float32Type>(t); }

static LogicalResult sameTile(Operation *op, RTensorType a, RTensorType b, StringRef what) {
  if (a.getShape() != b.getShape() || a.getLayout() != b.getLayout())
    return op->emitOpError() << what << " " << a << " and " << b
                             << " need the same shape and layout";
  return success();
}

// An elementwise operand: a tile like the result (with element type `element`), or a
// scalar of a type that converts to it.
static LogicalResult verifyElementwiseOperand(Operation *op, Value operand, RTensorType result,
                                              Type element, StringRef name) {
  Type t = operand.getType();
  if (auto tile = dyn_cast<RTensorType>(t)) {
    if (failed(sameTile(op, tile, result, name)))
      return failure();
    if (tile.getElementType() != element)
      return op->emitOpError() << name << " has elements of " << tile.getElementType()
                               << ", expected " << element;
    return success();
  }
  bool ok = isArithFloat(element) ? isArithFloat(t)
                                  : (isa<IntegerType>(element) &&
                                     (t.isSignlessInteger() || t.isIndex()));
  if (!ok)
    return op->emitOpError() << "scalar " << name << " of type " << t
                             << " does not convert to elements of " << element;
  return success();
}

static Type elementOf(Value v) {
  if (auto tile = dyn_cast<RTensorType>(v.getType()))
    return tile.getElementType();
  return {};
}

//===----------------------------------------------------------------------===//
// Products
//===----------------------------------------------------------------------===//

static LogicalResult verifyProductTypes(Operation *op, Type in, Type acc) {
  bool floatIn = in.isF16() || in.isBF16();
  bool intIn = isa<IntegerType>(in) && cast<IntegerType>(in).getWidth() == 8;
  if (!(floatIn && (acc.isF32() || (in.isF16() && acc.isF16()))) && !(in.isF32() && acc.isF32()) &&
      !(intIn && acc.isSignlessInteger(32)))
    return op->emitOpError() << "multiplies " << in << " into " << acc
                             << "; supported: f16/bf16 into f32 (or f16 into f16), f32 into "
                                "f32, 8-bit integers into i32";
  return success();
}

LogicalResult DotOp::verify() {
  RTensorType a = getA().getType(), b = getB().getType(), c = getC().getType();
  if (getResult().getType() != c)
    return emitOpError() << "result type " << getResult().getType()
                         << " must be the accumulator's " << c;
  if (a.getRank() != 2 || b.getRank() != 2 || c.getRank() != 2)
    return emitOpError() << "multiplies 2-D tiles";
  int64_t m = a.getShape()[0], k = a.getShape()[1], n = b.getShape()[1];
  if (b.getShape()[0] != k || c.getShape()[0] != m || c.getShape()[1] != n)
    return emitOpError() << "shapes a [" << a.getShape() << "], b [" << b.getShape()
                         << "], c [" << c.getShape() << "] do not form [M, K] x [K, N] + [M, N]";
  if (a.getElementType() != b.getElementType())
    return emitOpError() << "a and b need the same element type";
  if (failed(verifyProductTypes(*this, a.getElementType(), c.getElementType())))
    return failure();
  auto intType = dyn_cast<IntegerType>(a.getElementType());
  bool int8 = intType && intType.getWidth() == 8;
  if (std::optional<std::string> why =
          checkDotLayouts(a.getLayout().getLayout(), b.getLayout().getLayout(),
                          c.getLayout().getLayout(), nullptr, int8))
    return emitOpError() << *why;
  return success();
}

LogicalResult DotSparseOp::verify() {
  RTensorType a = getA().getType(), meta = getMeta().getType(), b = getB().getType(),
              c = getC().getType();
  if (getResult().getType() != c)
    return emitOpError() << "result type must be the accumulator's " << c;
  if (a.getRank() != 2 || meta.getRank() != 2 || b.getRank() != 2 || c.getRank() != 2)
    return emitOpError() << "multiplies 2-D tiles";
  int64_t m = c.getShape()[0], n = c.getShape()[1], k = b.getShape()[0];
  if (k % 4 != 0 || b.getShape()[1] != n || a.getShape()[0] != m || a.getShape()[1] != k / 2 ||
      meta.getShape()[0] != m || meta.getShape()[1] != k / 4)
    return emitOpError() << "expects a [M, K/2], meta [M, K/4], b [K, N], c [M, N] with K a "
                            "multiple of 4";
  auto metaType = dyn_cast<IntegerType>(meta.getElementType());
  if (!metaType || metaType.getWidth() != 4 || metaType.isSigned())
    return emitOpError() << "metadata elements are 4-bit unsigned (two 2-bit positions), not "
                         << meta.getElementType();
  if (a.getElementType() != b.getElementType())
    return emitOpError() << "a and b need the same element type";
  if (failed(verifyProductTypes(*this, a.getElementType(), c.getElementType())))
    return failure();
  // Tensor cores (mma.sp m16n8k32, f16/bf16 into f32): the kept values, metadata, B and C
  // are made of the sparse fragments, and the warp computing a fragment of d holds the
  // value, metadata and B fragments it needs.
  const vm::Layout &la = a.getLayout().getLayout(), &lm = meta.getLayout().getLayout(),
                   &lb = b.getLayout().getLayout(), &lc = c.getLayout().getLayout();
  if (c.getElementType().isF32() && !a.getElementType().isF32()) {
    std::optional<vm::Layout> qa = la.divide(vm::mmaALayout()), qm = lm.divide(vm::mmaSpMetaLayout()),
                              qb = lb.divide(vm::mmaSpBLayout()), qc = lc.divide(vm::mmaCLayout());
    if (qa && qm && qb && qc && !checkHoldsOperands(*qa, *qb, *qc, "warp") &&
        !checkHoldsOperands(*qm, *qb, *qc, "warp"))
      return success();
  }
  // CUDA cores: each thread holds the rows of the values and metadata, and the columns of
  // B, of the elements it computes.
  std::optional<std::string> why = checkHoldsOperands(la, lb, lc, "thread");
  if (!why) {
    why = checkHoldsOperands(lm, lb, lc, "thread");
    if (why)
      *why = "metadata: " + *why;
  }
  if (why)
    return emitOpError() << "the layouts are not mma.sp.m16n8k32 fragments and not a CUDA-core "
                            "product: "
                         << *why;
  return success();
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//


LogicalResult ViewOp::verify() {
  RTensorType s = getSource().getType(), r = getResult().getType();
  const vm::Layout &ls = s.getLayout().getLayout(), &lr = r.getLayout().getLayout();
  if (ls.numThreads() != lr.numThreads())
    return emitOpError() << "views " << ls.numThreads() << " threads' bits as "
                         << lr.numThreads() << " threads'";
  int64_t bs = ls.localSize() * getElementBits(s.getElementType());
  int64_t br = lr.localSize() * getElementBits(r.getElementType());
  if (bs != br)
    return emitOpError() << "each thread holds " << bs << " bits of " << s << " but " << br
                         << " bits of " << r;
  return success();
}

LogicalResult BinaryOp::verify() {
  RTensorType result = getResult().getType();
  Type element = result.getElementType();
  if (!elementOf(getLhs()) && !elementOf(getRhs()))
    return emitOpError() << "needs at least one register tile operand";
  bool integerOnly = getKind() >= BinaryKind::rem;
  if (isa<IntegerType>(element) == false && !isArithFloat(element))
    return emitOpError() << "computes on f16, bf16, f32 or integers, not " << element
                         << " (cast first)";
  if (integerOnly && !isa<IntegerType>(element))
    return emitOpError() << "'" << stringifyBinaryKind(getKind())
                         << "' needs integer elements, not " << element;
  if (failed(verifyElementwiseOperand(*this, getLhs(), result, element, "lhs")) ||
      failed(verifyElementwiseOperand(*this, getRhs(), result, element, "rhs")))
    return failure();
  return success();
}

LogicalResult UnaryOp::verify() {
  RTensorType s = getSource().getType(), r = getResult().getType();
  if (s != r)
    return emitOpError() << "result type must be the source's " << s;
  Type e = s.getElementType();
  UnaryKind kind = getKind();
  bool ok = kind == UnaryKind::bit_not ? isa<IntegerType>(e)
            : (kind == UnaryKind::neg || kind == UnaryKind::abs)
                ? (isa<IntegerType>(e) || isArithFloat(e))
                : isArithFloat(e);
  if (!ok)
    return emitOpError() << "'" << stringifyUnaryKind(kind) << "' does not apply to " << e;
  return success();
}

LogicalResult FmaOp::verify() {
  RTensorType result = getResult().getType();
  Type e = result.getElementType();
  if (!isArithFloat(e))
    return emitOpError() << "computes on f16, bf16 or f32 elements, not " << e;
  if (!elementOf(getA()) && !elementOf(getB()) && !elementOf(getC()))
    return emitOpError() << "needs at least one register tile operand";
  if (failed(verifyElementwiseOperand(*this, getA(), result, e, "a")) ||
      failed(verifyElementwiseOperand(*this, getB(), result, e, "b")) ||
      failed(verifyElementwiseOperand(*this, getC(), result, e, "c")))
    return failure();
  return success();
}

LogicalResult CompareOp::verify() {
  RTensorType result = getResult().getType();
  if (!result.getElementType().isInteger(1))
    return emitOpError() << "gives i1 elements, not " << result.getElementType();
  Type element = elementOf(getLhs()) ? elementOf(getLhs()) : elementOf(getRhs());
  if (!element)
    return emitOpError() << "needs at least one register tile operand";
  if (!isa<IntegerType>(element) && !isArithFloat(element))
    return emitOpError() << "compares f16, bf16, f32 or integers, not " << element;
  if (failed(verifyElementwiseOperand(*this, getLhs(), result, element, "lhs")) ||
      failed(verifyElementwiseOperand(*this, getRhs(), result, element, "rhs")))
    return failure();
  return success();
}

LogicalResult WhereOp::verify() {
  RTensorType result = getResult().getType();
  RTensorType cond = getCondition().getType();
  if (!cond.getElementType().isInteger(1))
    return emitOpError() << "needs an i1 condition, not " << cond.getElementType();
  if (failed(sameTile(*this, cond, result, "condition and result")))
    return failure();
  Type e = result.getElementType();
  if (failed(verifyElementwiseOperand(*this, getTrueValue(), result, e, "true value")) ||
      failed(verifyElementwiseOperand(*this, getFalseValue(), result, e, "false value")))
    return failure();
  return success();
}

LogicalResult IotaOp::verify() {
  RTensorType r = getResult().getType();
  if (!r.getElementType().isSignlessInteger(32))
    return emitOpError() << "gives i32 coordinates, not " << r.getElementType();
  int64_t dim = int64_t(getDimension());
  if (dim < 0 || dim >= r.getRank())
    return emitOpError() << "dimension " << dim << " out of range for rank " << r.getRank();
  return success();
}

/// Every thread holding result[x] must hold source[toSource(x)] (broadcast and slice: no
/// data moves between threads).
static LogicalResult verifyHeldByOwnThreads(
    Operation *op, RTensorType s, RTensorType r,
    llvm::function_ref<void(ArrayRef<int64_t>, MutableArrayRef<int64_t>)> toSource) {
  const vm::Layout &ls = s.getLayout().getLayout(), &lr = r.getLayout().getLayout();
  if (ls.numThreads() != lr.numThreads())
    return op->emitOpError() << "source and result span different numbers of threads";
  std::vector<int64_t> index(size_t(r.getRank()), 0), sourceIndex(index.size());
  for (int64_t e = 0; e < lr.numElements(); ++e) {
    int64_t rest = e;
    for (int64_t d = r.getRank() - 1; d >= 0; --d) {
      index[size_t(d)] = rest % r.getShape()[d];
      rest /= r.getShape()[d];
    }
    toSource(index, sourceIndex);
    ThreadSet have = holders(ls, sourceIndex.data());
    for (int64_t t : lr.threadsOf(index.data()))
      if (!have[size_t(t)])
        return op->emitOpError() << "thread " << t << " holds result[" << index
                                 << "] but not source[" << sourceIndex << "]";
  }
  return success();
}

LogicalResult BroadcastOp::verify() {
  RTensorType s = getSource().getType(), r = getResult().getType();
  if (s.getElementType() != r.getElementType() || s.getRank() != r.getRank())
    return emitOpError() << "keeps the element type and rank";
  for (auto [a, b] : llvm::zip(s.getShape(), r.getShape()))
    if (a != b && a != 1)
      return emitOpError() << "can only repeat dimensions of size 1: [" << s.getShape()
                           << "] to [" << r.getShape() << "]";
  ArrayRef<int64_t> sourceShape = s.getShape();
  return verifyHeldByOwnThreads(*this, s, r, [&](ArrayRef<int64_t> x, MutableArrayRef<int64_t> out) {
    for (size_t d = 0; d < x.size(); ++d)
      out[d] = sourceShape[d] == 1 ? 0 : x[d];
  });
}

LogicalResult SliceOp::verify() {
  RTensorType s = getSource().getType(), r = getResult().getType();
  if (s.getElementType() != r.getElementType() || s.getRank() != r.getRank())
    return emitOpError() << "keeps the element type and rank";
  ArrayRef<int64_t> offsets = getOffsets();
  if (int64_t(offsets.size()) != s.getRank())
    return emitOpError() << "needs one offset per dimension (" << s.getRank() << "), got "
                         << offsets.size();
  for (int64_t d = 0; d < s.getRank(); ++d)
    if (offsets[size_t(d)] < 0 || offsets[size_t(d)] + r.getShape()[d] > s.getShape()[d])
      return emitOpError() << "the [" << r.getShape() << "] tile at [" << offsets
                           << "] does not lie inside [" << s.getShape() << "]";
  return verifyHeldByOwnThreads(*this, s, r, [&](ArrayRef<int64_t> x, MutableArrayRef<int64_t> out) {
    for (size_t d = 0; d < x.size(); ++d)
      out[d] = x[d] + offsets[d];
  });
}

LogicalResult CastOp::verify() {
  RTensorType s = getSource().getType(), r = getResult().getType();
  if (s.getShape() != r.getShape())
    return emitOpError() << "cast between " << s << " and " << r << " needs the same shape";
  if (s.getLayout() == r.getLayout())
    return success();
  // Another layout may order each thread's slots differently (a code order that a fast
  // conversion prefers), but no element may move to another thread.
  return verifyHeldByOwnThreads(*this, s, r, [](ArrayRef<int64_t> x, MutableArrayRef<int64_t> out) {
    std::copy(x.begin(), x.end(), out.begin());
  });
}

LogicalResult ReduceOp::verify() {
  RTensorType s = getSource().getType(), r = getResult().getType();
  int64_t dim = int64_t(getDimension());
  if (dim < 0 || dim >= s.getRank())
    return emitOpError() << "dimension " << dim << " out of range for rank " << s.getRank();
  if (s.getElementType() != r.getElementType())
    return emitOpError() << "keeps the element type";
  Type e = s.getElementType();
  if (!isa<IntegerType>(e) && !isArithFloat(e))
    return emitOpError() << "reduces f16, bf16, f32 or integers, not " << e;
  vm::Layout expected = s.getLayout().getLayout().reduce(int(dim));
  if (r.getLayout().getLayout() != expected)
    return emitOpError() << "result layout must be the source's reduced along dimension "
                         << dim << ": #tbvm.layout<\"" << expected.toString() << "\">";
  return success();
}

LogicalResult LookupOp::verify() {
  RTensorType indices = getIndices().getType(), r = getResult().getType();
  if (failed(sameTile(*this, indices, r, "indices and result")))
    return failure();
  if (!isa<IntegerType>(indices.getElementType()))
    return emitOpError() << "indices are integers, not " << indices.getElementType();
  Type tableType = getTable().getType();
  Type tableElement;
  if (auto t = dyn_cast<STensorType>(tableType)) {
    if (t.getRank() != 1)
      return emitOpError() << "needs a 1-D table";
    tableElement = t.getElementType();
  } else {
    auto rt = cast<RTensorType>(tableType);
    const vm::Layout &l = rt.getLayout().getLayout();
    if (rt.getRank() != 1 || l.localSize() != l.numElements() ||
        l.replication() != l.numThreads())
      return emitOpError() << "a register table must be 1-D and held whole by every thread "
                              "(local(n).replicate(threads))";
    tableElement = rt.getElementType();
  }
  if (tableElement != r.getElementType())
    return emitOpError() << "result elements must be the table's " << tableElement;
  return success();
}

LogicalResult ShuffleOp::verify() {
  RTensorType s = getSource().getType(), r = getResult().getType();
  if (s.getShape() != r.getShape() || s.getElementType() != r.getElementType())
    return emitOpError() << "keeps the shape and element type";
  if (s.getLayout().getLayout().numThreads() != r.getLayout().getLayout().numThreads())
    return emitOpError() << "source and result span different numbers of threads";
  return success();
}
