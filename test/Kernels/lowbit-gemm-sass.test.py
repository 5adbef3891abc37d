import json
import os
import re
import subprocess
import sys

work, ptxas, cuobjdump, inputs, scripts = sys.argv[1:6]
sys.path.insert(0, inputs)
import lowbit_cases  # noqa: E402

# Shortest-path SASS instructions per K step of the M = 1 decode kernel (sm_90, CUDA 13.0
# ptxas, the default schedule's min_blocks = 3, 4 for 6 bits): since 2026-11-26 (fifth session) the
# default up to 8 rows is bm = 8, the weights as the mma's A operand (half the mmas, no
# 16-row padding); +3% slack.
BUDGET = {"ui1": 414, "ui2": 420, "si3": 424, "si4": 348, "ui4": 415, "si5": 471,
          "si6": 472, "si7": 500, "si8": 406, "e2m1": 506, "e3m2": 660}
# The 16-row decode tile (the default up to 16 rows, and before bm = 8 up to 8), measured
# 2026-11-26 after div/rem by powers of two became shifts, offsets took their row sums
# from the tensor cores and global accesses in loops started from a per-thread pointer;
# 4-bit codes since they are packed in pairs 16 bits apart (cast: one lop3 per pair, no
# prmt), signed 8-bit codes since one xor per word (not per pair) flips their signs, 3, 5,
# 6 and 7-bit codes since each pair is cast from byte windows of the registers that hold
# the codes (FP6 too), and since global tiles check the last dimension once and address
# rows from a pointer per row, and since the casts' position constants come from a
# constant table.
BUDGET_BM16 = {"ui1": 479, "si3": 491, "si4": 416, "ui4": 493, "si8": 466, "e3m2": 720}
# The same for the tensor-core kernel (M = 64 default: 64 x 128 blocks, warps of 64 x 32,
# 3-stage shared pipeline, 32-wide K slices; 128 HMMA per warp per K step), measured
# 2026-11-26 (later session) when it replaced the 32-row register-pipeline schedule (si4:
# 399 instructions per 32 HMMA then, 12.5 per HMMA; now 4.5) and the odd widths took
# their 32-wide slices from whole runs with tbvm.slice (si3: 1033 -> 731).
BUDGET_TC = {"ui1": 580, "ui2": 590, "si3": 611, "si4": 502, "ui4": 540, "si7": 895,
             "si8": 523, "e2m1": 658, "e3m2": 818}
# The decode candidate in the GPU bundle's variants: the shared pipeline at M = 1 (3 stages,
# 32-wide slices, f32 scaling, min_blocks 4), measured 2026-11-26 (later session), with
# bm = 8 since the fifth (si4 313 -> 277).
BUDGET_ST3 = {"ui1": 372, "si3": 391, "si4": 277, "ui4": 336, "si8": 292, "e2m1": 434}
# The bundle's other decode candidate: activation fragments straight from global memory
# (stages = 0: no shared memory, no barriers), measured 2026-11-26 (fourth session), with
# bm = 8 since the fifth.
BUDGET_ST0 = {"ui1": 417, "si3": 434, "si4": 358, "ui4": 420, "si8": 412}
FORBIDDEN = {"MUFU", "I2F", "F2I", "CALL"}  # generic integer division, subroutine calls

os.makedirs(work, exist_ok=True)
failed = False
ST3 = " stages=3 min-blocks=4"
ST0 = " stages=0"
BM16 = " bm=16"
for kind, budget, m, extra in ([(k, b, 1, "") for k, b in BUDGET.items()] +
                               [(k, b, 1, BM16) for k, b in BUDGET_BM16.items()] +
                               [(k, b, 64, "") for k, b in BUDGET_TC.items()] +
                               [(k, b, 1, ST3) for k, b in BUDGET_ST3.items()] +
                               [(k, b, 1, ST0) for k, b in BUDGET_ST0.items()]):
    tag = f"{kind}-m{m}" + {"": "", ST3: "-st3", ST0: "-st0", BM16: "-bm16"}[extra]
    tslm = os.path.join(work, tag + ".tslm")
    mlir = lowbit_cases.generate(f"type={kind} group=128 m={m}{extra}", tslm)
    ptx, cubin = os.path.join(work, tag + ".ptx"), os.path.join(work, tag + ".cubin")
    subprocess.run(["tessel-translate", "--tbvm-to-ptx", "--arch=sm_90", mlir, "-o", ptx], check=True)
    v = subprocess.run([ptxas, "-arch=sm_90", "-v", ptx, "-o", cubin], check=True,
                       capture_output=True, text=True).stderr
    regs = re.search(r"Used (\d+) registers", v)
    r = subprocess.run([sys.executable, os.path.join(scripts, "sass-loop-stats.py"), cubin,
                        "--cuobjdump", cuobjdump, "--json"], check=True, capture_output=True, text=True)
    loops = [l for ls in json.loads(r.stdout).values() for l in ls
             if l["opcodes"].get("HMMA", 0) > 0]
    if len(loops) != 1:
        print(f"FAILED {tag}: expected one loop with mma, found {len(loops)}")
        failed = True
        continue
    loop = loops[0]
    n = loop["shortest_path"]
    bad = sorted(FORBIDDEN & set(loop["opcodes"]))
    hmma = loop["opcodes"]["HMMA"]
    print(f"{tag} {n} instructions per K step ({n / 128:.2f} per weight, {n / hmma:.2f} per "
          f"HMMA), budget "
          f"{int(budget * 1.03)}, {regs.group(1) if regs else '?'} registers; {loop['opcodes']}")
    if n > budget * 1.03 or bad:
        print(f"FAILED {tag}: {n} > {int(budget * 1.03)} or forbidden {bad}")
        failed = True
print("FAILED" if failed else "all within budget")
sys.exit(1 if failed else 0)
