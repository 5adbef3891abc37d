// Host tensors: what Function::invoke takes and returns.
#ifndef TESSEL_RUNTIME_TENSOR_H
#define TESSEL_RUNTIME_TENSOR_H

#include "tessel/runtime/DType.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace tessel::runtime {

using vm::DType;

/// A tensor in host memory: an element type, a shape, and row-major bytes (elements
/// narrower than a byte packed LSB-first, the lowp bit stream). It either owns its bytes
/// (allocate) or borrows the caller's (borrow; the caller keeps them alive). Copies share
/// the bytes.
class Tensor {
public:
  Tensor() = default;

  /// A zero-filled tensor that owns its bytes.
  static Tensor allocate(DType dtype, std::vector<int64_t> shape);
  /// A tensor over the caller's `bytes` bytes at `data` (which must be at least
  /// bytesFor(dtype, shape) long; checked by Function::invoke).
  static Tensor borrow(DType dtype, std::vector<int64_t> shape, void *data, size_t bytes);

  /// Bytes of a row-major tensor of this type and shape.
  static size_t bytesFor(DType dtype, const std::vector<int64_t> &shape);

  DType dtype() const { return dtype_; }
  const std::vector<int64_t> &shape() const { return shape_; }
  int rank() const { return int(shape_.size()); }
  int64_t numElements() const;
  size_t sizeInBytes() const { return bytes_; }
  bool isValid() const { return dtype_.isValid(); }

  void *data() { return data_; }
  const void *data() const { return data_; }
  template <typename T> T *dataAs() { return static_cast<T *>(data_); }
  template <typename T> const T *dataAs() const { return static_cast<const T *>(data_); }

  /// "f16 [2, 3]".
  std::string describe() const;

private:
  DType dtype_;
  std::vector<int64_t> shape_;
  std::shared_ptr<uint8_t[]> owned_;
  void *data_ = nullptr;
  size_t bytes_ = 0;
};

/// A shape as "[2, 3]"; -1 prints as "?".
std::string formatShape(const std::vector<int64_t> &shape);

} // namespace tessel::runtime

#endif // TESSEL_RUNTIME_TENSOR_H
