// Reading and writing NumPy .npy files (format 1.0/2.0/3.0, little-endian, C order), the
// exchange format of tessel-run.
#ifndef TESSEL_RUNTIME_NPY_H
#define TESSEL_RUNTIME_NPY_H

#include "tessel/runtime/Tensor.h"

#include "absl/status/statusor.h"

#include <string>

namespace tessel::runtime {

/// Reads a .npy file. Supported dtypes: float16/32, int8/16/32, uint8/16/32, bool.
/// Errors (absl::InvalidArgumentError) name the file and what is wrong.
absl::StatusOr<Tensor> readNpy(const std::string &path);

/// Writes `tensor` as .npy. Types numpy has (f16, f32, i8..i32, ui8..ui32, i1 as bool) are
/// written as such; bf16 is written as float32; sub-byte integers and small floats as
/// their codes, one per uint8 (int8 for signed integers).
absl::Status writeNpy(const std::string &path, const Tensor &tensor);

} // namespace tessel::runtime

#endif // TESSEL_RUNTIME_NPY_H
