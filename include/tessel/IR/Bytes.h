//===- Bytes.h - raw bytes held in elements attributes ----------*- C++ -*-===//
#ifndef TESSEL_IR_BYTES_H
#define TESSEL_IR_BYTES_H

#include "mlir/IR/BuiltinAttributeInterfaces.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace tessel {

/// The bytes held by a 1-D i8 elements attribute (dense, splat, or a dense resource
/// blob): packed bit streams and constant buffers. nullopt when the attribute is not
/// one or its data is not available (an elided resource).
std::optional<std::vector<uint8_t>> getBytes(mlir::ElementsAttr attr);

/// A 1-D i8 attribute holding `bytes`: inline dense, or a dense resource blob named
/// `blobName` when larger than `inlineLimit` bytes.
mlir::ElementsAttr makeBytesAttr(mlir::MLIRContext *context, llvm::ArrayRef<uint8_t> bytes,
                                 llvm::StringRef blobName, size_t inlineLimit = 1 << 20);

} // namespace tessel

#endif
