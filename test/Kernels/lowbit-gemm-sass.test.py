import json
import os
import re
import subprocess
import sys

work, ptxas, cuobjdump, inputs, scripts = sys.argv[1:6]
sys.path.insert(0, inputs)
import lowbit_cases  # noqa: E402

# SASS instructions per K step on the loop's steady-state path (scripts/sass-loop-stats.py:
# the shortest path among those issuing the most cp.async copies; before 2026-11-26's
# fifth session the plain shortest path was counted, which skipped the copies of the
# pipelined kernels), sm_90, CUDA 13.0 ptxas; +3% slack. Measured in the fifth session,
# after copy_async took its chunks' offsets from the prologue (one uniform "tile inside"
# check per access, an address addition per chunk), 32-bit division by constants became
# a magic-number multiplication, global tiles spanning several rows per thread got a
# path without per-row checks when one uniform test finds them inside, and tile origins
# sum the terms of outer loops' values first (ptxas hoists them).
#
# The M = 1 decode kernel at the default schedule (bm = 8 since the fifth session: the
# weights as the mma's A operand). Sixth session: the activation tiles of two chunks
# copied an iteration ahead into two buffers (one wait and one barrier per two steps),
# two chunks per loop iteration (no moves of the carried weights), 32-bit shared slice
# addresses, activation tiles swizzled by row (conflict-free ldmatrix), the scales of
# both chunks of an iteration in one load, ldmatrix groups 64 columns apart sharing an
# address; min_blocks 4 unless it spills. Every one must fit 4 blocks of 128 threads per SM (MAX_REGS).
# Seventh session: loop-invariant code moved out of the loops in the emitter (PtxLicm.cpp;
# before: ui1 358, ui2 377, si3 363, si4 296, ui4 362, si5 409, si6 402, si7 425, si8 318,
# e2m1 450, e3m2 592; si7 got worse, 138 -> 154 registers at its min_blocks 3), and
# loop-carried values computed in the registers that carry them (no copies at the
# latch: si4 275 -> 267, e3m2 569 -> 556; ui2 345 -> 349).
# Scales through shared memory (2026-11-27: copied with the activations, read with
# ld.shared, instead of 16-bit global loads packed right after they were issued, which
# waited for DRAM in every pair of steps): a few more instructions (si4 267 -> 272.5, ui1
# 330 -> 342.5), 8-25% less time on an H200 (docs/perf.md). 4-bit codes with offsets take
# the shared pipeline (3 stages, 5 blocks per SM); BUDGET_ST1 keeps their register
# pipeline (scales and offsets in registers).
# Casts read only by the mmas leave their magic-number constants for the dot to take out
# once per product (2026-11-27, later; EmitCast.cpp, EmitDot.cpp): before, ui1 342.5,
# ui2 351.5, si3 349, si4 272.5, ui4 407, si5 393.5, si6 371, si7 415, si8 293, e2m1 428,
# e3m2 563 (504: its folded kernel spills at 128 registers, and the backend keeps the one
# with a cap of 120, which does not).
# Shared loads address their slots as one pointer plus immediates (2026-11-27, tenth
# session; the scale rows were four address computations for four 16-bit loads): from
# ui1 277, ui2 298, si3 304, si4 234, ui4 369, si5 354.5, si6 333.5, si7 369, si8 248,
# e2m1 375, e3m2 504 (which now spills at 120 registers too; the backend keeps 112).
# ptxas's choices move a few the other way (ui1 +3, si8 +1.5; st3 si8 311 -> 326).
# 1-bit codes then took k_step 256 by default (LowBitGemmSchedule.cpp): ui1 280 -> 241;
# and the offsets' row sums came from the correction chain's rows g + 8 (EmitDot.cpp,
# SharedChain; 8 fewer mmas per K step): ui1 241 -> 231, ui2 296.5 -> 284.5, st1 ui4
# 282.5 -> 264.5, st0 ui1 298 -> 291.5, ui4 288 -> 282.5. 2-bit codes then took k_step
# 256 too, their next chunk's weights loaded sub-chunk by sub-chunk (LowBitGemm.cpp):
# ui2 284.5 -> 255.5. Then load_matrix ops of one tile at constant offsets the swizzle
# keeps apart shared their addresses (EmitCopy.cpp; fewer registers) and 3- and 4-bit
# codes without offsets and FP4 took k_step 256 as well: si3 298.5 -> 279.5, si4 218 ->
# 206.25, e2m1 369 -> 339.5, si5 348.5 -> 341.5, si7 362.5 -> 351.5, st3 si8 326 -> 304.
# 1- and 2-bit codes paired 16 bits apart like the 4-bit ones (vm/Repack.h; one lop3 per
# pair from the word or the word shifted, no prmt spreading each byte): ui1 230.5 ->
# 226.75, ui2 253 -> 232.25 (eleventh session). Then the scale (and offset) rows came
# from shared memory by one ldmatrix.trans per row instead of four 16-bit loads
# (EmitCopy.cpp, emitRowPairsByLdmatrix): ui1 -> 221, ui2 -> 228.25, si3 279.5 -> 274.25,
# ui4 364 -> 348, si5 341.5 -> 337, si6 324.5 -> 320, si7 351.5 -> 347, si8 243 -> 238;
# si4 spills with it (12 bytes) and keeps 206.25 through the variant without it; ptxas
# moves e2m1 339.5 -> 341.5 (e3m2 keeps 487: its variants all read the scale rows by
# 16-bit loads).
BUDGET = {"ui1": 221, "ui2": 228.25, "si3": 274.25, "si4": 206.25, "ui4": 348, "si5": 337,
          "si6": 320, "si7": 347, "si8": 238, "e2m1": 341.5, "e3m2": 487}
MAX_REGS = 128
# ... except 7-bit codes, which min_blocks 4 spills (the default asks for 3; ptxas then
# takes 120-155 registers, depending on the rest of the kernel).
MAX_REGS_EXEMPT = {"si7"}
# The 16-row decode tile (the default up to 16 rows; 3 blocks per SM, 155-166 registers:
# 4 would spill).
# (Their scales through shared memory too since 2026-11-27: 118-168 registers instead of
# 155-168, 0-2% more instructions.)
# (Folded casts: from 394, 399.5, 313.5, 386, 341.5, 604.)
# (1-bit codes paired 16 bits apart: ui1 332 -> 317.)
BUDGET_BM16 = {"ui1": 317, "si3": 345, "si4": 265, "ui4": 339, "si8": 290, "e3m2": 549}
# The tensor-core kernel (M = 64 default: 64 x 128 blocks, warps of 64 x 32, 3-stage shared
# pipeline, 32-wide K slices; 128 HMMA per warp per K step): the copies were 40% of its
# loop (si4 857 -> 628); ldmatrix groups a whole number of swizzle periods apart share an
# address (si4 626 -> 599; FP6 965 -> 999, ptxas's register choices); 32-bit shared
# slice addresses (si4 599 -> 574); loop-invariant code motion (si4 573 -> 542).
# Its scale rows through the stages too (si4 542 -> 560, 550 with rows known at compile
# time; M = 64 at 57344 x 8192 on an H200: 249 -> 228 us).
# A slice that only casts read is not made: the casts read its source (EmitCast.cpp), so
# 1- and 2-bit codes paired 16 bits apart across a word wider than the 32-wide slice,
# and the 3-, 7-bit and FP6 byte windows, cost no gathering (eleventh session): ui1 592
# -> 565, ui2 613 -> 573, si3 641 -> 607, si7 717 -> 674, e3m2 860 -> 832. Scale rows
# by ldmatrix then took 5-12 more off each.
BUDGET_TC = {"ui1": 554, "ui2": 561, "si3": 602, "si4": 538, "ui4": 573, "si7": 669,
             "si8": 565, "e2m1": 695, "e3m2": 827}
# The decode candidate in the GPU bundle's variants: the shared pipeline at M = 1 (3 stages,
# 32-wide slices, f32 scaling, min_blocks 4).
# (Folded casts: from 404, 453, 324, 383, 358, 481.)
# (Casts through slices, 1-bit codes paired: ui1 356 -> 315, si3 413 -> 373. Scale rows
# by ldmatrix: ui1 313, si3 370, si4 272, ui4 359 -> 342, e2m1 440; si8 304 -> 327, ptxas
# copying a zero tile into 24 more registers per step.)
BUDGET_ST3 = {"ui1": 313, "si3": 370, "si4": 272, "ui4": 342, "si8": 327, "e2m1": 440}
# The bundle's other decode candidate: activation fragments straight from global memory
# (stages = 0: no shared memory, no barriers; min_blocks 4 since the sixth session).
# (Folded casts: st1 from 322; st0 from 352, 353, 284, 337, 298.)
BUDGET_ST1 = {"ui4": 264.5}
BUDGET_ST0 = {"ui1": 288, "si3": 328, "si4": 236, "ui4": 282.5, "si8": 250}
# Per-channel scales (group 0) at M = 1: the mmas accumulate over the block's whole share
# of K and the scales (and offsets) apply once after the loop (sixth session; before:
# si4 322, ui4 384, si8 343).
# (Folded casts: from 225.5, 276, 250.5.)
BUDGET_PC = {"si4": 186, "ui4": 213, "si8": 219.5}
FORBIDDEN = {"MUFU", "I2F", "F2I", "CALL"}  # generic integer division, subroutine calls

os.makedirs(work, exist_ok=True)
failed = False
ST3 = " stages=3 min-blocks=4"
ST0 = " stages=0"
ST1 = " stages=1"
BM16 = " bm=16"
PC = " per-channel"
for kind, budget, m, extra in ([(k, b, 1, "") for k, b in BUDGET.items()] +
                               [(k, b, 1, BM16) for k, b in BUDGET_BM16.items()] +
                               [(k, b, 64, "") for k, b in BUDGET_TC.items()] +
                               [(k, b, 1, ST3) for k, b in BUDGET_ST3.items()] +
                               [(k, b, 1, ST0) for k, b in BUDGET_ST0.items()] +
                               [(k, b, 1, ST1) for k, b in BUDGET_ST1.items()] +
                               [(k, b, 1, PC) for k, b in BUDGET_PC.items()]):
    tag = f"{kind}-m{m}" + {"": "", ST3: "-st3", ST0: "-st0", ST1: "-st1", BM16: "-bm16", PC: "-g0"}[extra]
    tslm = os.path.join(work, tag + ".tslm")
    options = f"type={kind} group=0 m={m}" if extra == PC else f"type={kind} group=128 m={m}{extra}"
    mlir = lowbit_cases.generate(options, tslm)
    # The variant the CUDA backend keeps (another where the default spills).
    ptx, cubin, v, variant = lowbit_cases.compile_as_runtime(mlir, "sm_90", ptxas, os.path.join(work, tag))
    # The main kernel's registers (the module also has the split-K zero kernel).
    regs = re.search(r"entry function '\w+_kernel'.*?Used (\d+) registers", v, re.S)
    r = subprocess.run([sys.executable, os.path.join(scripts, "sass-loop-stats.py"), cubin,
                        "--cuobjdump", cuobjdump, "--json"], check=True, capture_output=True, text=True)
    loops = [l for ls in json.loads(r.stdout).values() for l in ls
             if l["opcodes"].get("HMMA", 0) > 0]
    if len(loops) != 1:
        print(f"FAILED {tag}: expected one loop with mma, found {len(loops)}")
        failed = True
        continue
    loop = loops[0]
    # The register pipeline (the decode kernel's stages = 0 and 1) takes two K steps per
    # loop iteration (an odd last one after the loop); the shared one (stages >= 2) one.
    # Counted per 128 of K (128 weights per thread) whatever the schedule's k_step.
    text = open(mlir).read()
    stages = int(re.search(r"stages = (\d+)", text).group(1))
    k_step = int(re.search(r"k_step = (\d+)", text).group(1))
    steps = (2 if stages <= 1 else 1) * k_step // 128
    n = loop["shortest_path"] / steps
    bad = sorted(FORBIDDEN & set(loop["opcodes"]))
    hmma = loop["opcodes"]["HMMA"] / steps
    print(f"{tag} {n:g} instructions per K step ({n / 128:.2f} per weight, {n / hmma:.2f} per "
          f"HMMA), budget "
          f"{int(budget * 1.03)}, {regs.group(1) if regs else '?'} registers"
          f"{f' ({variant}: the default spills)' if variant else ''}; {loop['opcodes']}")
    if n > budget * 1.03 or bad:
        print(f"FAILED {tag}: {n:g} > {int(budget * 1.03)} or forbidden {bad}")
        failed = True
    if m == 1 and extra in ("", ST1) and kind not in MAX_REGS_EXEMPT and (not regs or int(regs.group(1)) > MAX_REGS):
        print(f"FAILED {tag}: more than {MAX_REGS} registers (fewer than 4 blocks per SM)")
        failed = True
print("FAILED" if failed else "all within budget")
sys.exit(1 if failed else 0)
