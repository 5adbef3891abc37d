#include "tessel/runtime/Tensor.h"

#include "vm/BitPack.h"

#include <cstring>

namespace tessel::runtime {

size_t Tensor::bytesFor(DType dtype, const std::vector<int64_t> &shape) {
  size_t n = 1;
  for (int64_t d : shape)
    n *= size_t(d < 0 ? 0 : d);
  return vm::packedBytes(n, dtype.bits());
}

Tensor Tensor::allocate(DType dtype, std::vector<int64_t> shape) {
  Tensor t;
  t.dtype_ = dtype;
  t.bytes_ = bytesFor(dtype, shape);
  t.shape_ = std::move(shape);
  // Over-allocate to 64 bytes so vectorized readers never step past the end.
  size_t capacity = (t.bytes_ + 63) / 64 * 64 + 64;
  t.owned_ = std::shared_ptr<uint8_t[]>(new uint8_t[capacity]);
  std::memset(t.owned_.get(), 0, capacity);
  t.data_ = t.owned_.get();
  return t;
}

Tensor Tensor::borrow(DType dtype, std::vector<int64_t> shape, void *data, size_t bytes) {
  Tensor t;
  t.dtype_ = dtype;
  t.shape_ = std::move(shape);
  t.data_ = data;
  t.bytes_ = bytes;
  return t;
}

int64_t Tensor::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape_)
    n *= d;
  return n;
}

std::string formatShape(const std::vector<int64_t> &shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i)
      s += ", ";
    s += shape[i] < 0 ? "?" : std::to_string(shape[i]);
  }
  return s + "]";
}

std::string Tensor::describe() const { return dtype_.name() + " " + formatShape(shape_); }

} // namespace tessel::runtime
