#include "vm/ScalarOps.h"

#include "vm/Codec.h"
#include "vm/Numerics.h"

#include "absl/strings/str_cat.h"

#include <cmath>
#include <cstdio>
#include <limits>

namespace tessel::vm {

float intToFloatType(int64_t value, bool isUnsigned, DType type) {
  bool negative = !isUnsigned && value < 0;
  uint64_t magnitude = negative ? uint64_t(0) - uint64_t(value) : uint64_t(value);
  // Round to odd at 53 bits (keep a sticky bit), so the one rounding to the target is
  // correct even for 64-bit integers that double cannot hold.
  int shift = 0;
  uint64_t sticky = 0;
  while (magnitude >= (uint64_t(1) << 53)) {
    sticky |= magnitude & 1;
    magnitude >>= 1;
    ++shift;
  }
  double d = std::ldexp(double(magnitude | sticky), shift);
  return roundToFloatType(negative ? -d : d, type);
}

uint32_t scalarToElementCode(const Scalar &value, const ValueType &from, DType to) {
  if (to.isFloat()) {
    ArithFloat t = arithFloatOf(to);
    if (t != ArithFloat::kNone)
      return floatToCode(value.f, t);
    return encode(to, double(value.f), Overflow::kIeee);
  }
  (void)from;
  return intToCode(value.i, to.bits());
}

std::string formatNumber(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.9g", value); // enough digits to round-trip f32
  return text;
}

std::string scalarToString(const Scalar &value, const ValueType &type) {
  if (type.isFloatScalar())
    return formatNumber(value.f);
  if (type.scalarBits() == 1)
    return value.i ? "true" : "false";
  return absl::StrCat(value.i);
}

namespace {

// Truncation toward zero with saturation to [lo, hi]; NaN gives 0 (arith.fptosi/fptoui).
int64_t floatToIntSaturating(float f, unsigned bits, bool isUnsigned) {
  if (std::isnan(f))
    return 0;
  double t = std::trunc(double(f));
  if (isUnsigned) {
    double hi = std::ldexp(1.0, int(bits)) - 1; // exact for bits <= 53; saturates above
    if (t <= 0)
      return 0;
    if (bits >= 64 && t >= 0x1p64)
      return -1; // all ones
    if (bits < 64 && t >= hi)
      return wrapToBits(int64_t((uint64_t(1) << bits) - 1), bits);
    return wrapToBits(int64_t(uint64_t(t)), bits);
  }
  double lo = -std::ldexp(1.0, int(bits) - 1), hi = std::ldexp(1.0, int(bits) - 1);
  if (t <= lo)
    return bits >= 64 ? std::numeric_limits<int64_t>::min() : -(int64_t(1) << (bits - 1));
  if (t >= hi)
    return bits >= 64 ? std::numeric_limits<int64_t>::max() : (int64_t(1) << (bits - 1)) - 1;
  return int64_t(t);
}

bool compareInts(int64_t predicate, int64_t a, int64_t b, unsigned bits) {
  uint64_t ua = zeroExtendBits(a, bits), ub = zeroExtendBits(b, bits);
  switch (predicate) {
  case 0: return a == b;
  case 1: return a != b;
  case 2: return a < b;
  case 3: return a <= b;
  case 4: return a > b;
  case 5: return a >= b;
  case 6: return ua < ub;
  case 7: return ua <= ub;
  case 8: return ua > ub;
  default: return ua >= ub;
  }
}

bool compareFloats(int64_t predicate, float a, float b) {
  bool unordered = std::isnan(a) || std::isnan(b);
  bool eq = a == b, lt = a<b, gt = a> b;
  switch (predicate) {
  case 0: return false;
  case 1: return eq;
  case 2: return gt;
  case 3: return gt || eq;
  case 4: return lt;
  case 5: return lt || eq;
  case 6: return !unordered && !eq;
  case 7: return !unordered;
  case 8: return unordered || eq;
  case 9: return unordered || gt;
  case 10: return unordered || gt || eq;
  case 11: return unordered || lt;
  case 12: return unordered || lt || eq;
  case 13: return unordered || !eq;
  case 14: return unordered;
  default: return true;
  }
}

// IEEE 754-2019 maximum/minimum (arith.maximumf/minimumf): NaN propagates, -0 < +0.
float maximumF(float a, float b, bool isMax) {
  if (std::isnan(a) || std::isnan(b))
    return std::numeric_limits<float>::quiet_NaN();
  if (a == b)
    return (std::signbit(a) == isMax) ? b : a;
  return (a > b) == isMax ? a : b;
}

} // namespace

absl::StatusOr<Scalar> evalScalar(const Program &program, const Function &function,
                                  const Instruction &ins, const Scalar *x) {
  const ValueType &rt = program.valueType(function, ins.results[0]);
  const ValueType &at = ins.operands.empty() ? rt : program.valueType(function, ins.operands[0]);
  const unsigned w = at.scalarBits(), rw = rt.scalarBits();
  Scalar r;
  auto divisionByZero = [&] {
    return absl::InvalidArgumentError(describeInstruction(function, ins) + ": division by zero");
  };
  int64_t a = x ? x[0].i : 0, b = ins.operands.size() > 1 ? x[1].i : 0;
  uint64_t ua = zeroExtendBits(a, w), ub = zeroExtendBits(b, w);
  int64_t minValue = wrapToBits(int64_t(uint64_t(1) << (w - 1)), w);
  ArithFloat ft = arithFloatOf(rt.dtype);
  switch (ins.opcode) {
  case Opcode::Constant:
    r.i = ins.intValue;
    r.f = float(ins.floatValue);
    return r;
  case Opcode::AddI: r.i = wrapToBits(int64_t(uint64_t(a) + uint64_t(b)), w); return r;
  case Opcode::SubI: r.i = wrapToBits(int64_t(uint64_t(a) - uint64_t(b)), w); return r;
  case Opcode::MulI: r.i = wrapToBits(int64_t(uint64_t(a) * uint64_t(b)), w); return r;
  case Opcode::DivSI:
  case Opcode::RemSI:
  case Opcode::CeilDivSI:
  case Opcode::FloorDivSI: {
    if (b == 0)
      return divisionByZero();
    if (a == minValue && b == -1) { // the one overflowing quotient: wraps
      r.i = ins.opcode == Opcode::RemSI ? 0 : a;
      return r;
    }
    int64_t q = a / b, rem = a % b;
    if (ins.opcode == Opcode::RemSI)
      q = rem;
    else if (ins.opcode == Opcode::CeilDivSI && rem != 0 && ((a > 0) == (b > 0)))
      q += 1;
    else if (ins.opcode == Opcode::FloorDivSI && rem != 0 && ((a < 0) != (b < 0)))
      q -= 1;
    r.i = wrapToBits(q, w);
    return r;
  }
  case Opcode::DivUI:
  case Opcode::RemUI:
  case Opcode::CeilDivUI:
    if (ub == 0)
      return divisionByZero();
    r.i = wrapToBits(int64_t(ins.opcode == Opcode::RemUI   ? ua % ub
                             : ins.opcode == Opcode::DivUI ? ua / ub
                                                           : ua / ub + (ua % ub != 0)),
                     w);
    return r;
  case Opcode::MinSI: r.i = std::min(a, b); return r;
  case Opcode::MaxSI: r.i = std::max(a, b); return r;
  case Opcode::MinUI: r.i = ua < ub ? a : b; return r;
  case Opcode::MaxUI: r.i = ua > ub ? a : b; return r;
  case Opcode::AndI: r.i = a & b; return r;
  case Opcode::OrI: r.i = a | b; return r;
  case Opcode::XOrI: r.i = a ^ b; return r;
  case Opcode::ShLI: r.i = ub >= w ? 0 : wrapToBits(int64_t(ua << ub), w); return r;
  case Opcode::ShRSI: r.i = ub >= w ? (a < 0 ? -1 : 0) : a >> ub; return r;
  case Opcode::ShRUI: r.i = ub >= w ? 0 : wrapToBits(int64_t(ua >> ub), w); return r;
  case Opcode::CmpI: r.i = compareInts(ins.kind, a, b, w) ? -1 : 0; return r;
  case Opcode::Select: return x[0].i != 0 ? x[1] : x[2];
  case Opcode::IndexCast:
  case Opcode::ExtSI:
  case Opcode::TruncI: r.i = wrapToBits(a, rw); return r;
  case Opcode::IndexCastUI:
  case Opcode::ExtUI: r.i = wrapToBits(int64_t(ua), rw); return r;
  case Opcode::AddF: r.f = roundFloat(x[0].f + x[1].f, ft); return r;
  case Opcode::SubF: r.f = roundFloat(x[0].f - x[1].f, ft); return r;
  case Opcode::MulF: r.f = roundFloat(x[0].f * x[1].f, ft); return r;
  case Opcode::DivF: r.f = roundFloat(x[0].f / x[1].f, ft); return r;
  case Opcode::MaximumF: r.f = maximumF(x[0].f, x[1].f, true); return r;
  case Opcode::MinimumF: r.f = maximumF(x[0].f, x[1].f, false); return r;
  case Opcode::NegF: r.f = -x[0].f; return r;
  case Opcode::CmpF: r.i = compareFloats(ins.kind, x[0].f, x[1].f) ? -1 : 0; return r;
  case Opcode::SIToFP: r.f = intToFloatType(a, false, rt.dtype); return r;
  case Opcode::UIToFP: r.f = intToFloatType(int64_t(ua), true, rt.dtype); return r;
  case Opcode::FPToSI: r.i = floatToIntSaturating(x[0].f, rw, false); return r;
  case Opcode::FPToUI: r.i = floatToIntSaturating(x[0].f, rw, true); return r;
  case Opcode::ExtF:
  case Opcode::TruncF: r.f = roundFloat(x[0].f, ft); return r;
  default:
    return absl::InternalError(describeInstruction(function, ins) + ": not a scalar instruction");
  }
}

} // namespace tessel::vm
