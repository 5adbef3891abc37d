//===- TBVMAttrs.cpp - tbvm attributes ------------------------------------===//
#include "dialects/TBVM/IR/TBVMAttrs.h"

#include "dialects/TBVM/IR/TBVMDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace tessel;
using namespace tessel::tbvm;

#include "dialects/TBVM/IR/TBVMEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/TBVM/IR/TBVMAttrs.cpp.inc"

void TBVMDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/TBVM/IR/TBVMAttrs.cpp.inc"
      >();
}

// #tbvm.layout<"local(2,1).spatial(8,4).local(1,2)">: the text is the layout algebra's
// (a quoted string, since MLIR's lexer has no token for the composition dot).
Attribute LayoutAttr::parse(AsmParser &parser, Type) {
  std::string text;
  if (parser.parseLess())
    return {};
  SMLoc loc = parser.getCurrentLocation();
  if (parser.parseString(&text) || parser.parseGreater())
    return {};
  std::string error;
  std::optional<vm::Layout> layout = vm::Layout::parse(text, &error);
  if (!layout) {
    parser.emitError(loc) << "invalid layout \"" << text << "\": " << error;
    return {};
  }
  return LayoutAttr::get(parser.getContext(), *layout);
}

void LayoutAttr::print(AsmPrinter &printer) const {
  printer << "<\"" << getValue().toString() << "\">";
}

LogicalResult SwizzleAttr::verify(function_ref<InFlightDiagnostic()> emitError, int64_t bits,
                                  int64_t base, int64_t shift) {
  // Bounded one by one first: the sum of hostile values must not overflow.
  if (bits < 0 || base < 0 || shift < 0 || bits > 24 || base > 24 || shift > 24 ||
      bits + base + shift > 24)
    return emitError() << "swizzle<" << bits << ", " << base << ", " << shift
                       << "> needs non-negative fields spanning at most 24 bits";
  if (shift < bits)
    return emitError() << "swizzle<" << bits << ", " << base << ", " << shift
                       << "> is not a bijection: shift must be >= bits";
  return success();
}

LogicalResult ScheduleAttr::verify(function_ref<InFlightDiagnostic()> emitError, int64_t bm,
                                   int64_t warps, int64_t nPerWarp, int64_t kStep,
                                   int64_t splitK, int64_t stages, int64_t minBlocks,
                                   int64_t warpsM, int64_t targetBlocks, int64_t prefetch,
                                   int64_t streamK) {
  if (bm != 8 && (bm < 16 || bm % 16 != 0 || bm > 256))
    return emitError() << "schedule bm must be 8 or a multiple of 16 in 16..256, got " << bm;
  if (warps < 1 || warps > 32)
    return emitError() << "schedule warps must be in 1..32, got " << warps;
  if (nPerWarp < 1 || nPerWarp > 16)
    return emitError() << "schedule n_per_warp must be in 1..16, got " << nPerWarp;
  if (kStep < 128 || kStep % 128 != 0 || kStep > 2048)
    return emitError() << "schedule k_step must be a multiple of 128 up to 2048, got " << kStep;
  if (splitK < 0)
    return emitError() << "schedule split_k must be >= 0, got " << splitK;
  if (stages < 0 || stages > 8)
    return emitError() << "schedule stages must be in 0..8, got " << stages;
  if (minBlocks < 0 || minBlocks > 32)
    return emitError() << "schedule min_blocks must be in 0..32, got " << minBlocks;
  if (warpsM < 1 || warps % warpsM != 0 || (bm == 8 ? warpsM != 1 : bm % (16 * warpsM) != 0))
    return emitError() << "schedule warps_m must divide warps (" << warps
                       << ") and leave each warp a multiple of 16 of bm (" << bm
                       << "; 1 when bm = 8), got " << warpsM;
  if (targetBlocks < 0 || targetBlocks > 65536)
    return emitError() << "schedule target_blocks must be in 0..65536, got " << targetBlocks;
  if (prefetch < 0 || prefetch > 16)
    return emitError() << "schedule prefetch must be in 0..16 steps, got " << prefetch;
  if (prefetch > 0 && stages >= 2)
    return emitError() << "schedule prefetch is for the register pipeline (stages 0 or 1), "
                          "not " << stages << " shared-memory stages";
  if (streamK != 0 && streamK != 1)
    return emitError() << "schedule stream_k must be 0 or 1, got " << streamK;
  if (streamK == 1 && splitK != 0)
    return emitError() << "schedule stream_k = 1 sizes its grid at run time: split_k must be 0, "
                          "got " << splitK;
  return success();
}
