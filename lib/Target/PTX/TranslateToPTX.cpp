//===- TranslateToPTX.cpp - tbvm module -> PTX ----------------------------===//
//
// tessel-translate --tbvm-to-ptx --arch=sm_90: the PTX the runtime would JIT for this
// module's kernels. The module goes through the same path as at run time: bytecode, the
// runtime's loader (all its checks), then the runtime's emitter.
//
//===----------------------------------------------------------------------===//
#include "tessel/Target/Bytecode.h"
#include "tessel/Target/PTX.h"

#include "tessel/InitAll.h"

#include "cuda/PtxEmitter.h"
#include "vm/Program.h"

#include "absl/strings/string_view.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/Support/CommandLine.h"

using namespace mlir;

/// A runtime status message as text for a diagnostic (streamed as a string_view, MLIR
/// would print it as a range of characters).
static StringRef toStringRef(absl::string_view s) { return StringRef(s.data(), s.size()); }

static llvm::cl::opt<std::string>
    archOption("arch", llvm::cl::desc("GPU architecture for --tbvm-to-ptx: sm_80, sm_86, "
                                      "sm_89, sm_90 or sm_90a"),
               llvm::cl::init("sm_80"));
static llvm::cl::opt<int> minBlocksOption(
    "min-blocks-per-sm",
    llvm::cl::desc("for --tbvm-to-ptx: ask ptxas to fit this many blocks per SM "
                   "(.minnctapersm, a register cap; 0: none; default: each kernel's "
                   "min_blocks_per_sm; the runtime's $TESSEL_CUDA_MIN_BLOCKS)"),
    llvm::cl::init(-1));
static llvm::cl::opt<bool> exactCastsOption(
    "exact-casts",
    llvm::cl::desc("for --tbvm-to-ptx: casts read only by tensor-core dots finish their "
                   "values too (the variant the CUDA backend falls back to when ptxas "
                   "spills; default: the dot takes out their constants)"),
    llvm::cl::init(false));
static llvm::cl::opt<bool> narrowCastViewsOption(
    "narrow-cast-views",
    llvm::cl::desc("for --tbvm-to-ptx: casts of 1- and 2-bit codes paired 16 bits apart "
                   "shift their words in steps of half the default (fewer registers; a "
                   "variant the CUDA backend tries when ptxas spills)"),
    llvm::cl::init(false));
static llvm::cl::opt<bool> noRowPairLdmatrixOption(
    "no-row-pair-ldmatrix",
    llvm::cl::desc("for --tbvm-to-ptx: rows of 16-bit pairs (the low-bit GEMM's scale rows) "
                   "read from shared memory with a 16-bit load per value instead of one "
                   "ldmatrix.trans (a variant the CUDA backend tries when ptxas spills)"),
    llvm::cl::init(false));
static llvm::cl::opt<int> registerSlackOption(
    "register-slack",
    llvm::cl::desc("for --tbvm-to-ptx: a kernel that asks for N blocks per SM gets .maxnreg "
                   "this many registers below the cap N blocks imply, instead of "
                   ".minnctapersm N (the CUDA backend's first try for a kernel that spills)"),
    llvm::cl::init(0));

LogicalResult tessel::writePTX(ModuleOp module, const std::string &arch, raw_ostream &os) {
  absl::StatusOr<cuda::Target> target = cuda::Target::parse(arch);
  if (!target.ok())
    return module.emitError() << toStringRef(target.status().message());
  if (minBlocksOption < -1 || minBlocksOption > 32)
    return module.emitError() << "--min-blocks-per-sm must be 0..32, not " << int(minBlocksOption);
  target->minBlocksPerSm = minBlocksOption;
  target->foldCastConstants = !exactCastsOption;
  target->narrowCastViews = narrowCastViewsOption;
  target->rowPairsByLdmatrix = !noRowPairLdmatrixOption;
  if (registerSlackOption < 0 || registerSlackOption > 128)
    return module.emitError() << "--register-slack must be 0..128, not " << int(registerSlackOption);
  target->registerSlack = registerSlackOption;
  std::string bytes;
  llvm::raw_string_ostream bytesStream(bytes);
  if (failed(writeBytecode(module, bytesStream)))
    return failure();
  bytesStream.flush();
  absl::StatusOr<std::shared_ptr<const vm::Program>> program =
      vm::loadProgram(reinterpret_cast<const uint8_t *>(bytes.data()), bytes.size());
  if (!program.ok())
    return module.emitError() << "the runtime's loader rejects the module: "
                              << toStringRef(program.status().message());
  absl::StatusOr<std::string> ptx = cuda::emitModule(**program, *target);
  if (!ptx.ok())
    return module.emitError() << toStringRef(ptx.status().message());
  os << *ptx;
  return success();
}

void tessel::registerPTXTranslation() {
  static TranslateFromMLIRRegistration toPTX(
      "tbvm-to-ptx", "emit PTX for a tbvm module's kernels (--arch=sm_XX)",
      [](Operation *op, raw_ostream &os) -> LogicalResult {
        auto module = dyn_cast<ModuleOp>(op);
        if (!module)
          return op->emitError() << "expected a builtin.module";
        return writePTX(module, archOption, os);
      },
      [](DialectRegistry &registry) { registerAllDialects(registry); });
}
