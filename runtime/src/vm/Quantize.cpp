#include "vm/Quantize.h"

#include "vm/Codec.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace tessel::vm {
namespace {

bool isScaleType(DType t) {
  return t == DType::f16() || t == DType::bf16() || t == DType::f32();
}

std::string fmtDouble(double v) {
  std::ostringstream os;
  os.precision(9);
  os << v;
  return os.str();
}

// The largest magnitude q such that both q and -q are codes (symmetric schemes).
double symmetricMax(DType storage) {
  return storage.isFloat() ? storage.maxFinite() : double(storage.intMax());
}

} // namespace

std::optional<std::string> checkQuantScheme(const QuantScheme &scheme, int64_t rowLength) {
  const DType &t = scheme.storage;
  if (!t.isValid() || t.bits() < 1 || t.bits() > 8)
    return "storage type " + t.name() + " is not a 1..8-bit integer or float type";
  if (!isScaleType(scheme.scaleType))
    return "scale type must be f16, bf16 or f32, not " + scheme.scaleType.name();
  if (scheme.groupSize < 0)
    return "group size must be positive (or 0 for one group per row), not " +
           std::to_string(scheme.groupSize);
  if (scheme.symmetric) {
    if (t.isUnsignedInteger())
      return "symmetric quantization needs a signed integer or float storage type; " +
             t.name() + " is unsigned (use asymmetric quantization, or si" +
             std::to_string(t.bits()) + ")";
    if (t.isInteger() && t.intMax() < 1)
      return "symmetric quantization to " + t.name() +
             " has no positive code; use at least 2 bits or an asymmetric unsigned type";
  } else if (!t.isUnsignedInteger()) {
    return "asymmetric quantization (with offsets) stores unsigned integer codes; " +
           t.name() + " is not one (use ui" + std::to_string(t.bits()) + ")";
  }
  if (rowLength >= 0 && scheme.groupSize > 0 && rowLength % scheme.groupSize != 0)
    return "group size " + std::to_string(scheme.groupSize) +
           " does not divide the reduction length " + std::to_string(rowLength);
  return std::nullopt;
}

std::optional<std::string> quantizeRows(const double *w, int64_t rows, int64_t cols,
                                        const QuantScheme &scheme, QuantizedRows &out) {
  if (auto error = checkQuantScheme(scheme, cols))
    return error;
  const int64_t group = scheme.groupSize > 0 ? scheme.groupSize : cols;
  out.rows = rows;
  out.cols = cols;
  out.groupsPerRow = cols == 0 ? 0 : cols / group;
  out.codes.assign(size_t(rows * cols), 0);
  out.scales.assign(size_t(rows * out.groupsPerRow), 1.0);
  out.offsets.assign(scheme.symmetric ? 0 : size_t(rows * out.groupsPerRow), 0.0);
  const DType storage = scheme.storage, scaleType = scheme.scaleType;

  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t g = 0; g < out.groupsPerRow; ++g) {
      const double *x = w + r * cols + g * group;
      uint8_t *q = out.codes.data() + r * cols + g * group;
      double lo = x[0], hi = x[0];
      for (int64_t i = 0; i < group; ++i) {
        if (!std::isfinite(x[i]))
          return "weight [" + std::to_string(r) + ", " + std::to_string(g * group + i) +
                 "] is not finite (" + fmtDouble(x[i]) + ")";
        lo = std::min(lo, x[i]);
        hi = std::max(hi, x[i]);
      }
      const size_t groupIndex = size_t(r * out.groupsPerRow + g);
      if (scheme.symmetric) {
        double absMax = std::max(std::fabs(lo), std::fabs(hi));
        double qMax = symmetricMax(storage);
        double s = absMax == 0 ? 1.0 : roundDirected(scaleType, absMax / qMax, Direction::kUp);
        if (s * qMax < absMax)
          return "row " + std::to_string(r) + " group " + std::to_string(g) +
                 " has |w| up to " + fmtDouble(absMax) + ", which needs a scale beyond the largest " +
                 scaleType.name() + "; use a wider scale type";
        out.scales[groupIndex] = s;
        for (int64_t i = 0; i < group; ++i)
          q[i] = quantize(scheme, x[i], s, 0.0);
      } else {
        double qMax = double(storage.intMax());
        double m = roundDirected(scaleType, lo, Direction::kDown);
        double s = hi == m ? 1.0 : roundDirected(scaleType, (hi - m) / qMax, Direction::kUp);
        if (m > lo || s * qMax + m < hi)
          return "row " + std::to_string(r) + " group " + std::to_string(g) + " spans [" +
                 fmtDouble(lo) + ", " + fmtDouble(hi) + "], beyond what " + scaleType.name() +
                 " scales and offsets can cover; use a wider scale type";
        out.scales[groupIndex] = s;
        out.offsets[groupIndex] = m;
        for (int64_t i = 0; i < group; ++i)
          q[i] = quantize(scheme, x[i], s, m);
      }
    }
  }
  return std::nullopt;
}

uint8_t quantize(const QuantScheme &scheme, double w, double scale, double offset) {
  double x = scheme.symmetric ? w / scale : (w - offset) / scale;
  return uint8_t(encode(scheme.storage, x));
}

double dequantize(const QuantScheme &scheme, uint8_t code, double scale, double offset) {
  double v = scale * decode(scheme.storage, code);
  return scheme.symmetric ? v : v + offset;
}

double roundingBound(const QuantScheme &scheme, uint8_t code, double scale) {
  if (!scheme.storage.isFloat())
    return scale / 2;
  // Half the larger gap to the neighbouring finite codes of the same sign side.
  double v = decode(scheme.storage, code);
  double up = roundDirected(scheme.storage, std::nextafter(v, INFINITY), Direction::kUp);
  double down = roundDirected(scheme.storage, std::nextafter(v, -INFINITY), Direction::kDown);
  double gap = std::max(up - v, v - down);
  return scale * gap / 2;
}

} // namespace tessel::vm
