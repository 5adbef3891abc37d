//===- DTypeInterface.td - element types with a codec dtype -*- tablegen -*-===//
//
// Lets a dialect's own number types (e.g. !lowp.float<eXmY>) tell the rest of the
// compiler which codec dtype they are, without the rest depending on that dialect.
//
//===----------------------------------------------------------------------===//
#ifndef TESSEL_IR_DTYPEINTERFACE
#define TESSEL_IR_DTYPEINTERFACE

include "mlir/IR/OpBase.td"

def Tessel_DTypeInterface : TypeInterface<"DTypeInterface"> {
  let cppNamespace = "::tessel";
  let description = [{
    A number type whose values the codec library (runtime/src/vm) can encode and decode.
  }];
  let methods = [
    InterfaceMethod<"The codec library's description of this type.",
                    "::tessel::vm::DType", "getDType">,
  ];
}

#endif
