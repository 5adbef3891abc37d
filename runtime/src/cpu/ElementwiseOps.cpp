// Elementwise instructions. Operands share the result's layout (the loader checks it), so
// they run cell by cell with no index arithmetic; a scalar operand is converted to the
// element type once and broadcast.
#include "cpu/BlockExecutor.h"

#include "vm/Codec.h"
#include "vm/Numerics.h"
#include "vm/ScalarOps.h"

#include "absl/strings/str_cat.h"

#include <cmath>
#include <limits>

namespace tessel::cpu {

using namespace tessel::vm;

namespace {

// A tile's cells (stride 1) or one code repeated (stride 0).
struct Operand {
  const uint32_t *p;
  size_t stride;
  uint32_t at(size_t i) const { return p[i * stride]; }
};

Operand makeOperand(const Value &v, const ValueType &t, DType element, uint32_t &storage) {
  if (t.kind == ValueKind::kRTensor)
    return {v.cells.data(), 1};
  storage = scalarToElementCode(v.scalar, t, element);
  return {&storage, 0};
}

uint32_t codeMask(unsigned bits) { return bits >= 32 ? 0xFFFFFFFFu : (1u << bits) - 1; }

// A double narrowed to f32 without undefined behaviour past its range.
float narrow(double d) {
  if (std::fabs(d) >= 0x1.ffffffp127)
    return std::copysign(std::numeric_limits<float>::infinity(), float(d > 0 ? 1 : -1));
  return float(d);
}

template <ArithFloat T, class Op>
void mapFloat(Operand a, Operand b, uint32_t *out, size_t n, Op op) {
  for (size_t i = 0; i < n; ++i)
    out[i] = floatToCode(op(codeToFloat(a.at(i), T), codeToFloat(b.at(i), T)), T);
}

template <class Op>
void dispatchFloat(ArithFloat t, Operand a, Operand b, uint32_t *out, size_t n, Op op) {
  switch (t) {
  case ArithFloat::kF16: return mapFloat<ArithFloat::kF16>(a, b, out, n, op);
  case ArithFloat::kBF16: return mapFloat<ArithFloat::kBF16>(a, b, out, n, op);
  default: return mapFloat<ArithFloat::kF32>(a, b, out, n, op);
  }
}

bool compareValues(int64_t predicate, double x, double y) {
  switch (predicate) {
  case 0: return x == y;
  case 1: return !(x == y); // unordered: true on NaN
  case 2: return x < y;
  case 3: return x <= y;
  case 4: return x > y;
  default: return x >= y;
  }
}

} // namespace

absl::Status BlockExecutor::allocRegs(const Instruction &ins) {
  const ValueType &rt = typeOf(ins.results[0]);
  uint32_t code = 0;
  if (!ins.operands.empty())
    code = scalarToElementCode(operand(ins, 0).scalar, typeOf(ins.operands[0]), rt.dtype);
  std::vector<uint32_t> &out = resultCells(ins);
  std::fill(out.begin(), out.end(), code);
  return absl::OkStatus();
}

absl::Status BlockExecutor::binary(const Instruction &ins) {
  DType e = typeOf(ins.results[0]).dtype;
  uint32_t sa, sb;
  Operand a = makeOperand(operand(ins, 0), typeOf(ins.operands[0]), e, sa);
  Operand b = makeOperand(operand(ins, 1), typeOf(ins.operands[1]), e, sb);
  std::vector<uint32_t> &cells = resultCells(ins);
  uint32_t *out = cells.data();
  size_t n = cells.size();
  if (e.isFloat()) {
    ArithFloat t = arithFloatOf(e);
    switch (ins.kind) {
    case 0: dispatchFloat(t, a, b, out, n, [](float x, float y) { return x + y; }); break;
    case 1: dispatchFloat(t, a, b, out, n, [](float x, float y) { return x - y; }); break;
    case 2: dispatchFloat(t, a, b, out, n, [](float x, float y) { return x * y; }); break;
    case 3: dispatchFloat(t, a, b, out, n, [](float x, float y) { return x / y; }); break;
    case 4:
      dispatchFloat(t, a, b, out, n, [](float x, float y) { return maxNumber(x, y, true); });
      break;
    default:
      dispatchFloat(t, a, b, out, n, [](float x, float y) { return maxNumber(x, y, false); });
      break;
    }
    return absl::OkStatus();
  }
  unsigned w = e.bits();
  uint32_t mask = codeMask(w);
  bool isSigned = e.isSignedInteger();
  auto value = [&](uint32_t code) { return intCodeValue(code, w, isSigned); };
  switch (ins.kind) {
  case 0:
    for (size_t i = 0; i < n; ++i)
      out[i] = (a.at(i) + b.at(i)) & mask;
    break;
  case 1:
    for (size_t i = 0; i < n; ++i)
      out[i] = (a.at(i) - b.at(i)) & mask;
    break;
  case 2:
    for (size_t i = 0; i < n; ++i)
      out[i] = uint32_t(uint64_t(a.at(i)) * b.at(i)) & mask;
    break;
  case 3:
  case 6: {
    for (size_t i = 0; i < n; ++i)
      if (b.at(i) == 0)
        return fail(ins, "integer division by zero");
    int64_t minValue = isSigned ? -(int64_t(1) << (w - 1)) : 0;
    for (size_t i = 0; i < n; ++i) {
      int64_t x = value(a.at(i)), y = value(b.at(i));
      int64_t r;
      if (isSigned && x == minValue && y == -1)
        r = ins.kind == 3 ? x : 0; // the overflowing quotient wraps
      else
        r = ins.kind == 3 ? x / y : x % y;
      out[i] = intToCode(r, w);
    }
    break;
  }
  case 4:
  case 5:
    for (size_t i = 0; i < n; ++i) {
      bool aGreater = value(a.at(i)) > value(b.at(i));
      out[i] = aGreater == (ins.kind == 4) ? a.at(i) : b.at(i);
    }
    break;
  case 7:
    for (size_t i = 0; i < n; ++i)
      out[i] = a.at(i) & b.at(i);
    break;
  case 8:
    for (size_t i = 0; i < n; ++i)
      out[i] = a.at(i) | b.at(i);
    break;
  case 9:
    for (size_t i = 0; i < n; ++i)
      out[i] = a.at(i) ^ b.at(i);
    break;
  case 10:
    for (size_t i = 0; i < n; ++i)
      out[i] = b.at(i) >= w ? 0 : uint32_t(uint64_t(a.at(i)) << b.at(i)) & mask;
    break;
  default:
    for (size_t i = 0; i < n; ++i) {
      uint32_t amount = b.at(i);
      if (isSigned) {
        int64_t x = value(a.at(i));
        out[i] = intToCode(amount >= w ? (x < 0 ? -1 : 0) : x >> amount, w);
      } else {
        out[i] = amount >= w ? 0 : a.at(i) >> amount;
      }
    }
    break;
  }
  return absl::OkStatus();
}

absl::Status BlockExecutor::unary(const Instruction &ins) {
  DType e = typeOf(ins.results[0]).dtype;
  const std::vector<uint32_t> &src = operand(ins, 0).cells;
  std::vector<uint32_t> &cells = resultCells(ins);
  uint32_t *out = cells.data();
  size_t n = cells.size();
  if (e.isInteger()) {
    unsigned w = e.bits();
    uint32_t mask = codeMask(w);
    for (size_t i = 0; i < n; ++i) {
      uint32_t x = src[i];
      if (ins.kind == 0)
        out[i] = (0u - x) & mask;
      else if (ins.kind == 1)
        out[i] = e.isSignedInteger() && intCodeValue(x, w, true) < 0 ? (0u - x) & mask : x;
      else
        out[i] = ~x & mask;
    }
    return absl::OkStatus();
  }
  ArithFloat t = arithFloatOf(e);
  uint32_t sign = t == ArithFloat::kF32 ? 0x80000000u : 0x8000u;
  if (ins.kind <= 1) { // neg and abs only touch the sign bit, NaNs included (as PTX)
    for (size_t i = 0; i < n; ++i)
      out[i] = ins.kind == 0 ? src[i] ^ sign : src[i] & ~sign;
    return absl::OkStatus();
  }
  for (size_t i = 0; i < n; ++i) {
    float x = codeToFloat(src[i], t);
    double d = x;
    float r;
    switch (ins.kind) {
    case 2: r = narrow(std::exp(d)); break;
    case 3: r = narrow(std::exp2(d)); break;
    case 4: r = narrow(std::log(d)); break;
    case 5: r = std::sqrt(x); break; // correctly rounded in f32, hence in f16/bf16
    case 6: r = narrow(1.0 / std::sqrt(d)); break;
    case 7: r = narrow(std::tanh(d)); break;
    case 8: r = narrow(std::erf(d)); break;
    case 9: r = narrow(1.0 / (1.0 + std::exp(-d))); break;
    default: r = 1.0f / x; break; // recip: correctly rounded
    }
    out[i] = floatToCode(r, t);
  }
  return absl::OkStatus();
}

absl::Status BlockExecutor::fma(const Instruction &ins) {
  DType e = typeOf(ins.results[0]).dtype;
  ArithFloat t = arithFloatOf(e);
  uint32_t s[3];
  Operand op[3];
  for (size_t k = 0; k < 3; ++k)
    op[k] = makeOperand(operand(ins, k), typeOf(ins.operands[k]), e, s[k]);
  std::vector<uint32_t> &cells = resultCells(ins);
  for (size_t i = 0; i < cells.size(); ++i)
    cells[i] = floatToCode(fmaRounded(codeToFloat(op[0].at(i), t), codeToFloat(op[1].at(i), t),
                                      codeToFloat(op[2].at(i), t), t),
                           t);
  return absl::OkStatus();
}

absl::Status BlockExecutor::compare(const Instruction &ins) {
  const ValueType &lt = typeOf(ins.operands[0]);
  DType e = lt.kind == ValueKind::kRTensor ? lt.dtype : typeOf(ins.operands[1]).dtype;
  uint32_t sa, sb;
  Operand a = makeOperand(operand(ins, 0), lt, e, sa);
  Operand b = makeOperand(operand(ins, 1), typeOf(ins.operands[1]), e, sb);
  std::vector<uint32_t> &cells = resultCells(ins);
  if (e.isFloat()) {
    ArithFloat t = arithFloatOf(e);
    for (size_t i = 0; i < cells.size(); ++i)
      cells[i] = compareValues(ins.kind, codeToFloat(a.at(i), t), codeToFloat(b.at(i), t));
  } else {
    unsigned w = e.bits();
    bool isSigned = e.isSignedInteger();
    for (size_t i = 0; i < cells.size(); ++i)
      cells[i] = compareValues(ins.kind, double(intCodeValue(a.at(i), w, isSigned)),
                               double(intCodeValue(b.at(i), w, isSigned)));
  }
  return absl::OkStatus();
}

absl::Status BlockExecutor::where(const Instruction &ins) {
  DType e = typeOf(ins.results[0]).dtype;
  const std::vector<uint32_t> &cond = operand(ins, 0).cells;
  uint32_t sa, sb;
  Operand a = makeOperand(operand(ins, 1), typeOf(ins.operands[1]), e, sa);
  Operand b = makeOperand(operand(ins, 2), typeOf(ins.operands[2]), e, sb);
  std::vector<uint32_t> &cells = resultCells(ins);
  for (size_t i = 0; i < cells.size(); ++i)
    cells[i] = (cond[i] & 1) ? a.at(i) : b.at(i);
  return absl::OkStatus();
}

absl::Status BlockExecutor::cast(const Instruction &ins) {
  DType from = typeOf(ins.operands[0]).dtype, to = typeOf(ins.results[0]).dtype;
  const InstructionPlan &plan = plan_.instructions[ins.index];
  const std::vector<uint32_t> &src = operand(ins, 0).cells;
  std::vector<uint32_t> &out = resultCells(ins);
  // out[i] = convert(the source code of cell i): the same cell, or (a result in another
  // layout) the cell of its own thread the plan's gather names.
  auto each = [&](auto convert) {
    if (plan.gather.empty())
      for (size_t i = 0; i < out.size(); ++i)
        out[i] = convert(src[i]);
    else
      for (size_t i = 0; i < out.size(); ++i)
        out[i] = convert(src[size_t(plan.gather[i])]);
    return absl::OkStatus();
  };
  if (from == to)
    return each([](uint32_t code) { return code; });
  const std::vector<uint32_t> &table = plan.castTable;
  if (!table.empty())
    return each([&](uint32_t code) { return table[code]; });
  ArithFloat t = arithFloatOf(to);
  if (from == DType::f32() && t != ArithFloat::kNone) {
    uint32_t nan = encode(to, std::numeric_limits<double>::quiet_NaN(), Overflow::kIeee);
    return each([&](uint32_t code) {
      float v = bitsToFloat(code);
      return std::isnan(v) ? nan : floatToCode(v, t);
    });
  }
  return each([&](uint32_t code) { return encode(to, decode(from, code), Overflow::kIeee); });
}

} // namespace tessel::cpu
