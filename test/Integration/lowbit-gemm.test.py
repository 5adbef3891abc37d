import os
import sys

inputs, work = sys.argv[1], sys.argv[2]
sys.path.insert(0, inputs)
import lowbit_cases  # noqa: E402

os.makedirs(work, exist_ok=True)
failed = False
for (kind, bits, extra, m, n, k, group) in lowbit_cases.CASES:
    name = lowbit_cases.case_name(kind, extra, m, n, k, group)
    d = os.path.join(work, name)
    os.makedirs(d, exist_ok=True)
    tslm = os.path.join(d, "gemm.tslm")
    mlir = lowbit_cases.generate(f"type={kind} group={group} m={m}{extra}", tslm)
    args = lowbit_cases.make_inputs(d, kind, bits, m, n, k, group, lowbit_cases.f16_dequant(mlir))
    # The default schedules also with exact casts (the kernels the CUDA backend keeps
    # where the casts' constants left to the dots make ptxas spill).
    for device in (["cpu", "ptx-sim"] + (["ptx-sim:sm_90"] if "prefetch" in extra else []) +
                   (["ptx-sim:sm_80:exact-casts"] if extra == "" else [])):
        ok, said = lowbit_cases.run_and_check(d, tslm, args, device)
        print(name, device, said)
        failed |= not ok
# Integer activations, scales 1 and integer offsets: every partial sum of every pipeline is
# a multiple of 2^-4 (an integer for integer codes) that f32 holds exactly, so y must be
# exact on the CPU executor and the simulator, the GPU code path's casts whose constants
# the dots take out (ptx-sim) included: a constant off by one code unit anywhere shows (the
# random cases' bound for that path is a worst case, loose).
INTEGER_CASES = [
    ("ui1", 1, "", 3, 64, 512, 128), ("ui2", 2, "", 3, 64, 512, 128), ("si3", 3, "", 3, 64, 512, 128),
    ("si4", 4, "", 3, 64, 512, 128), ("ui4", 4, "", 3, 64, 512, 0), ("ui5", 5, "", 3, 64, 384, 128),
    ("si6", 6, "", 3, 64, 512, 128), ("ui7", 7, "", 3, 64, 512, 128), ("si8", 8, "", 3, 64, 512, 128),
    ("e2m1", 4, "", 3, 64, 512, 128), ("e3m2", 6, "", 3, 64, 512, 128),
    # 16-row tiles (the codes as the mma's B operand), the shared pipeline (32-wide slices
    # chained: per-fragment correction mmas), per-channel scales (the products add to a
    # running sum), no shared memory, the tensor-core kernel
    ("ui1", 1, " bm=16", 3, 64, 512, 128), ("si8", 8, " bm=16", 3, 64, 512, 128),
    ("si3", 3, " k-step=256 stages=3", 3, 64, 512, 128), ("ui2", 2, " stages=2", 5, 40, 512, 128),
    ("si8", 8, "", 3, 64, 512, 0), ("si5", 5, " stages=0", 3, 64, 512, 0),
    ("si4", 4, "", 20, 64, 512, 256),
]
for (kind, bits, extra, m, n, k, group) in INTEGER_CASES:
    name = "int-" + lowbit_cases.case_name(kind, extra, m, n, k, group)
    d = os.path.join(work, name)
    os.makedirs(d, exist_ok=True)
    tslm = os.path.join(d, "gemm.tslm")
    mlir = lowbit_cases.generate(f"type={kind} group={group} m={m}{extra}", tslm)
    args = lowbit_cases.make_inputs(d, kind, bits, m, n, k, group, lowbit_cases.f16_dequant(mlir),
                                    integer_inputs=True)
    for device in ["cpu", "ptx-sim", "ptx-sim:sm_80:exact-casts"]:
        ok, said = lowbit_cases.run_and_check(d, tslm, args, device)
        print(name, device, said)
        failed |= not ok
sys.exit(1 if failed else 0)
