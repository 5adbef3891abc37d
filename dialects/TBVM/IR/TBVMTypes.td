//===- TBVMTypes.td - tbvm types ---------------------------*- tablegen -*-===//
#ifndef TESSEL_TBVM_TYPES
#define TESSEL_TBVM_TYPES

include "dialects/TBVM/IR/TBVMAttrs.td"
include "mlir/IR/AttrTypeBase.td"

def TBVM_GTensorType : TypeDef<TBVM_Dialect, "GTensor"> {
  let mnemonic = "gtensor";
  let summary = "A tensor in global memory";
  let description = [{
    `!tbvm.gtensor<?x4096xf16>`: a pointer to contiguous row-major global memory with a
    shape (dynamic dimensions are bound when the kernel is launched). Elements narrower
    than a byte are packed (the lowp bit stream, row-major).
  }];
  let parameters = (ins ArrayRefParameter<"int64_t">:$shape, "::mlir::Type":$elementType);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    int64_t getRank() const { return getShape().size(); }
  }];
}

def TBVM_STensorType : TypeDef<TBVM_Dialect, "STensor"> {
  let mnemonic = "stensor";
  let summary = "A tile in the block's shared memory";
  let description = [{
    `!tbvm.stensor<64x32xf16, #tbvm.swizzle<3, 3, 3>>`: a statically shaped row-major
    tile in shared memory, optionally swizzled.
  }];
  let parameters = (ins ArrayRefParameter<"int64_t">:$shape, "::mlir::Type":$elementType,
                        OptionalParameter<"SwizzleAttr">:$swizzle);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    int64_t getRank() const { return getShape().size(); }
    int64_t getNumElements() const;
    /// Bytes the tile occupies (sub-byte elements packed).
    int64_t getSizeInBytes() const;
  }];
}

def TBVM_RTensorType : TypeDef<TBVM_Dialect, "RTensor"> {
  let mnemonic = "rtensor";
  let summary = "A tile in registers, distributed over the block's threads";
  let description = [{
    `!tbvm.rtensor<16x8xf32, #tbvm.layout<"local(2,1).spatial(8,4).local(1,2)">>`: the
    layout's shape is the tile's shape; thread t holds the elements the layout maps to
    it, in its local slots.
  }];
  let parameters = (ins ArrayRefParameter<"int64_t">:$shape, "::mlir::Type":$elementType,
                        "LayoutAttr":$layout);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    int64_t getRank() const { return getShape().size(); }
    /// The same tile with another element type.
    RTensorType withElementType(::mlir::Type type) const {
      return get(getContext(), getShape(), type, getLayout());
    }
  }];
}

#endif // TESSEL_TBVM_TYPES
