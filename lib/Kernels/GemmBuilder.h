//===- GemmBuilder.h - the low-bit GEMM template's builder (private) -*- C++ -*-===//
//
// The class behind buildLowBitGemm: build() checks the spec and reads the schedule into
// the fields below, buildKernel() (LowBitGemm.cpp) emits the kernel, buildZeroKernel()
// and buildHost() (LowBitGemmHost.cpp) the zero fill (split-K, stream-K) and the host
// function.
//
//===----------------------------------------------------------------------===//
#ifndef TESSEL_LIB_KERNELS_GEMMBUILDER_H
#define TESSEL_LIB_KERNELS_GEMMBUILDER_H

#include "tessel/Kernels/LowBitGemm.h"

#include "tessel/IR/DType.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/bit.h"

namespace tessel::kernels::detail {

using namespace mlir;
using namespace tessel::tbvm;

/// The most shared memory a block may use on every supported GPU (99 KiB on sm_86 and
/// sm_89; sm_80 allows 163 KiB, sm_90 227 KiB), so a module runs everywhere.
constexpr int64_t kMaxSharedBytes = 99 * 1024;

class GemmBuilder {
public:
  GemmBuilder(ModuleOp module, const kernels::LowBitGemmSpec &spec, Location loc)
      : module_(module), spec_(spec), loc_(loc), ctx_(module.getContext()), b_(ctx_) {}

  LogicalResult build();

private:
  Value index(int64_t v) { return arith::ConstantIndexOp::create(b_, loc_, v); }
  FailureOr<LayoutAttr> layout(const std::string &text) {
    std::string error;
    std::optional<vm::Layout> l = vm::Layout::parse(text, &error);
    if (!l)
      return emitError(loc_) << "kernel template: bad layout " << text << ": " << error;
    return LayoutAttr::get(ctx_, *l);
  }
  RTensorType tile(ArrayRef<int64_t> shape, Type element, LayoutAttr layout) {
    return RTensorType::get(ctx_, shape, element, layout);
  }
  /// The swizzle of a shared f16 tile with rows of `rowElems` elements (a multiple of 128)
  /// that ldmatrix reads 8 rows of 16 bytes at a time: the rows' low 3 bits (the element
  /// offset's bits from log2 of rowElems' power-of-two part) XOR the 16-byte unit, so
  /// those 8 rows fall on 8 different groups of banks. (Bits 6-8, the fixed choice
  /// before, held only 1 or 2 row bits of 128- and 256-element rows: 2- and 4-way
  /// conflicts.)
  SwizzleAttr rowSwizzle(int64_t rowElems) {
    return SwizzleAttr::get(ctx_, 3, 3, llvm::countr_zero(uint64_t(rowElems)) - 3);
  }
  Value muli(Value a, Value b) { return arith::MulIOp::create(b_, loc_, a, b); }
  Value addi(Value a, Value b) { return arith::AddIOp::create(b_, loc_, a, b); }

  LogicalResult buildKernel();
  void buildZeroKernel();
  void buildHost();

  ModuleOp module_;
  const kernels::LowBitGemmSpec &spec_;
  Location loc_;
  MLIRContext *ctx_;
  OpBuilder b_;
  unsigned bits_ = 0;
  int64_t W_ = 0, WM_ = 1, WN_ = 0, NW_ = 0, MT_ = 0, KS_ = 0, BM_ = 0, BN_ = 0, KI_ = 0, KW_ = 128;
  bool scaleWeights_ = false; // f16 dequantization: scales on the weights (see build)
  // bm = 8 register pipeline: the pair's scale rows through shared memory (see build).
  bool sharedPairScales_ = false;
  int64_t scaleTensors_ = 1; // scales, and offsets when not symmetric
  bool swap_ = false;         // bm = 8: y^T = W^T x^T (weights are the mma's A operand)
  GTensorType xType_, wType_, sType_, yType_;
  RTensorType yTile_; // the [BM, BN] f32 tile a block stores (or adds) into y
};

} // namespace tessel::kernels::detail

#endif
