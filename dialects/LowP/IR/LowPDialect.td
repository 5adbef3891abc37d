//===- LowPDialect.td - the lowp dialect -------------------*- tablegen -*-===//
//
// lowp: numbers of any width from 1 to 8 bits (integer or float) and the quantized
// weight tensors and operations built on them.
//
//===----------------------------------------------------------------------===//
#ifndef TESSEL_LOWP_DIALECT
#define TESSEL_LOWP_DIALECT

include "mlir/IR/OpBase.td"

def LowP_Dialect : Dialect {
  let name = "lowp";
  let cppNamespace = "::tessel::lowp";
  let summary = "Arbitrary-bit-width numbers and quantized weight tensors";
  let description = [{
    Element types: builtin `iN`/`siN`/`uiN` (N = 1..8, and 16, 32), the builtin small
    floats (f4E2M1FN, f6E2M3FN, f6E3M2FN, f8E4M3FN, f8E5M2) and `!lowp.float<eXmY>` for any
    1 + X + Y <= 8 with X >= 1 (bias 2^(X-1) - 1, no inf or NaN, subnormals kept).

    A quantized weight is a tensor whose element type is its storage type and whose
    encoding is a `#lowp.quant<...>`: the scale type, the group size along the reduction
    dimension, symmetric or with per-group offsets, and the packed order. Its storage is
    a little-endian bit stream, element i at bits [i*n, (i+1)*n).
  }];
  let useDefaultTypePrinterParser = 1;
  let useDefaultAttributePrinterParser = 1;
  let hasConstantMaterializer = 1;
  let dependentDialects = ["::mlir::arith::ArithDialect"];
  let extraClassDeclaration = [{
    void registerTypes();
    void registerAttributes();
  }];
}

class LowP_Op<string mnemonic, list<Trait> traits = []>
    : Op<LowP_Dialect, mnemonic, traits>;

#endif // TESSEL_LOWP_DIALECT
