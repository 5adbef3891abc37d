//===- Bytes.cpp - raw bytes held in elements attributes ------------------===//
#include "tessel/IR/Bytes.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectResourceBlobManager.h"

using namespace mlir;

std::optional<std::vector<uint8_t>> tessel::getBytes(ElementsAttr attr) {
  auto type = dyn_cast<RankedTensorType>(attr.getType());
  if (!type || type.getRank() != 1 || !type.getElementType().isInteger(8))
    return std::nullopt;
  size_t n = size_t(type.getNumElements());
  if (auto dense = dyn_cast<DenseIntElementsAttr>(attr)) {
    if (dense.isSplat())
      return std::vector<uint8_t>(n, uint8_t(dense.getSplatValue<APInt>().getZExtValue()));
    ArrayRef<char> raw = dense.getRawData();
    return std::vector<uint8_t>(raw.begin(), raw.end());
  }
  if (auto resource = dyn_cast<DenseI8ResourceElementsAttr>(attr)) {
    std::optional<ArrayRef<int8_t>> data = resource.tryGetAsArrayRef();
    if (!data || data->size() != n)
      return std::nullopt;
    return std::vector<uint8_t>(data->begin(), data->end());
  }
  return std::nullopt;
}

ElementsAttr tessel::makeBytesAttr(MLIRContext *context, ArrayRef<uint8_t> bytes,
                                   StringRef blobName, size_t inlineLimit) {
  auto type = RankedTensorType::get({int64_t(bytes.size())}, IntegerType::get(context, 8));
  ArrayRef<int8_t> data(reinterpret_cast<const int8_t *>(bytes.data()), bytes.size());
  if (bytes.size() > inlineLimit)
    return DenseResourceElementsAttr::get(type, blobName,
                                          HeapAsmResourceBlob::allocateAndCopyInferAlign(data));
  return DenseElementsAttr::get(type, data);
}
