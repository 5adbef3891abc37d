//===- Passes.td - kernel template generators ----------------*- tablegen -*-===//
#ifndef TESSEL_KERNELS_PASSES
#define TESSEL_KERNELS_PASSES

include "mlir/Pass/PassBase.td"

def GenerateLowBitGemmPass : Pass<"tessel-generate-lowbit-gemm", "::mlir::ModuleOp"> {
  let summary = "Instantiate the low-bit GEMM template into the module";
  let description = [{
    Appends kernels (the GEMM and split-K's zero fill) and a host function computing
    y[M, N] = x[M, K] * dequant(w)^T for
    weights of the given type in the mma_k128 order (lib/Kernels/LowBitGemm.h), so tests
    and benchmarks get modules without a model. The schedule is the default for `m`
    (for `bm` rows when `bm` is given) unless given field by field.

    `tessel-opt --tessel-generate-lowbit-gemm="type=ui3 group=128 m=1" -o gemm.mlir`
  }];
  let options = [
    Option<"type", "type", "std::string", "\"ui4\"",
           "Weight code type: iN/siN/uiN (N = 1..8), eXmY, f4E2M1FN, f6E2M3FN, f6E3M2FN, f8E5M2, f8E4M3FN">,
    Option<"group", "group", "int64_t", "128", "Group size along K (multiple of 128; 0 = per channel)">,
    Option<"symmetric", "symmetric", "std::string", "\"auto\"",
           "true, false (per-group offsets) or auto (false for unsigned integers)">,
    Option<"m", "m", "int64_t", "1", "Rows the schedule is chosen for">,
    Option<"bm", "bm", "int64_t", "0",
           "Schedule: rows per block, 8 (weights as the mma A operand) or a multiple of 16 (0: default; 8 only with an even n-per-warp and warps-m 1)">,
    Option<"warps", "warps", "int64_t", "0", "Schedule: warps per block (0: default)">,
    Option<"warpsM", "warps-m", "int64_t", "0",
           "Schedule: warps splitting the rows, the rest split columns (0: default)">,
    Option<"nPerWarp", "n-per-warp", "int64_t", "0", "Schedule: 8-column tiles per warp (0: default)">,
    Option<"kStep", "k-step", "int64_t", "0", "Schedule: K per main-loop step (0: default)">,
    Option<"splitK", "split-k", "int64_t", "-1", "Schedule: K splits (-1: default, 0: run time)">,
    Option<"stages", "stages", "int64_t", "-1",
           "Schedule: 0 = register pipeline with activations from global memory, 1 = register pipeline, 2..8 = shared-memory stages (-1: default)">,
    Option<"targetBlocks", "target-blocks", "int64_t", "-1",
           "Schedule: grid size that run-time split-K aims for (-1: default, 0: sized to the device's resident blocks)">,
    Option<"prefetch", "prefetch", "int64_t", "-1",
           "Schedule: how many K steps ahead the register pipeline prefetches the weights of each pair of steps into L2 (-1: default, 0: none)">,
    Option<"minBlocks", "min-blocks", "int64_t", "-1",
           "Schedule: blocks per SM to fit, a register cap (-1: default, 0: none)">,
    Option<"streamK", "stream-k", "int64_t", "-1",
           "Schedule: 1 = stream-K (every block an equal share of all column tiles' K chunks; split-k 0), 0 = no (-1: default)">,
    Option<"name", "name", "std::string", "\"main\"", "Name of the host function">,
  ];
  let dependentDialects = ["::tessel::tbvm::TBVMDialect", "::tessel::lowp::LowPDialect",
                           "::mlir::arith::ArithDialect", "::mlir::scf::SCFDialect"];
}

#endif
