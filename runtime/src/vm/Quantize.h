// Group-wise round-to-nearest quantization of weight rows, shared by the compiler's
// lowp-quantize-weights pass and the runtime's tests.
//
// A weight matrix is quantized row by row (a row is one output channel; its elements run
// along the reduction dimension K). Each row is split into groups of `groupSize`
// consecutive elements (or one group per row), and each group gets a scale s (and, when
// asymmetric, an offset m), both exactly representable in the scale type:
//   symmetric:  w ~ s * q            q a signed integer or a float code
//   asymmetric: w ~ s * q + m        q an unsigned integer code
// The scale is rounded UP and the offset DOWN into the scale type, so every weight of the
// group lies inside the representable range and round-to-nearest guarantees
// |w - dequant(q)| <= s / 2 (integers; for float codes half the local code spacing times s).
// An offset m = -s * z is the zero point z folded into the form the kernels consume.
#ifndef TESSEL_VM_QUANTIZE_H
#define TESSEL_VM_QUANTIZE_H

#include "vm/DType.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tessel::vm {

struct QuantScheme {
  DType storage;               // integer or float of 1..8 bits
  DType scaleType;             // f16, bf16 or f32
  int64_t groupSize = 0;       // elements per group along a row; 0: one group per row
  bool symmetric = true;       // false: per-group offsets (unsigned storage)
};

/// Why `scheme` cannot quantize rows of `rowLength` elements (pass -1 when the length is
/// not known yet), or nullopt when it can.
std::optional<std::string> checkQuantScheme(const QuantScheme &scheme, int64_t rowLength = -1);

struct QuantizedRows {
  int64_t rows = 0;
  int64_t cols = 0;
  int64_t groupsPerRow = 0;
  std::vector<uint8_t> codes;   // rows * cols codes, row-major, one per byte (low bits)
  std::vector<double> scales;   // rows * groupsPerRow, each exact in the scale type
  std::vector<double> offsets;  // like scales; empty when symmetric
};

/// Quantizes the row-major matrix w[rows][cols]. Fails (with the reason) on a non-finite
/// weight or when a group's range does not fit the scale type.
std::optional<std::string> quantizeRows(const double *w, int64_t rows, int64_t cols,
                                        const QuantScheme &scheme, QuantizedRows &out);

/// The code of one weight `w` in a group with `scale` (and `offset` when asymmetric).
uint8_t quantize(const QuantScheme &scheme, double w, double scale, double offset);

/// The value a code stands for: s * decode(q) (+ m when asymmetric).
double dequantize(const QuantScheme &scheme, uint8_t code, double scale, double offset);

/// The largest rounding error RTN allows for an element quantized to `code` with `scale`:
/// s/2 for integers; for floats half the spacing of the neighbouring codes, times s.
double roundingBound(const QuantScheme &scheme, uint8_t code, double scale);

} // namespace tessel::vm

#endif // TESSEL_VM_QUANTIZE_H
