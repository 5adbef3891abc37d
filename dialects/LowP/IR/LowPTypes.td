//===- LowPTypes.td - lowp types ---------------------------*- tablegen -*-===//
#ifndef TESSEL_LOWP_TYPES
#define TESSEL_LOWP_TYPES

include "dialects/LowP/IR/LowPDialect.td"
include "mlir/IR/AttrTypeBase.td"
include "tessel/IR/DTypeInterface.td"

def LowP_LowPFloatType : TypeDef<LowP_Dialect, "LowPFloat",
    [DeclareTypeInterfaceMethods<Tessel_DTypeInterface>]> {
  let mnemonic = "float";
  let summary = "A floating-point number of 1 sign, X exponent and Y mantissa bits";
  let description = [{
    `!lowp.float<eXmY>`: 1 + X + Y <= 8 bits with X >= 1. The exponent bias is
    2^(X-1) - 1; every code is a finite number (no inf, no NaN); subnormals are kept.
    Example: `!lowp.float<e3m2>` has the values of f6E3M2FN.
  }];
  let parameters = (ins "unsigned":$exponentBits, "unsigned":$mantissaBits);
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
  let extraClassDeclaration = [{
    /// Total width in bits: 1 + X + Y.
    unsigned getWidth() const { return 1 + getExponentBits() + getMantissaBits(); }
  }];
}

#endif // TESSEL_LOWP_TYPES
