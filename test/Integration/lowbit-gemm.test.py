import os
import sys

inputs, work = sys.argv[1], sys.argv[2]
sys.path.insert(0, inputs)
import lowbit_cases  # noqa: E402

os.makedirs(work, exist_ok=True)
failed = False
# Then the integer-input cases (lowbit_cases.INTEGER_CASES: integer activations, scales 1
# and integer offsets), whose y must be exact on every executor.
for integer, (kind, bits, extra, m, n, k, group) in ([(False, c) for c in lowbit_cases.CASES] +
                                                     [(True, c) for c in lowbit_cases.INTEGER_CASES]):
    name = ("int-" if integer else "") + lowbit_cases.case_name(kind, extra, m, n, k, group)
    d = os.path.join(work, name)
    os.makedirs(d, exist_ok=True)
    tslm = os.path.join(d, "gemm.tslm")
    mlir = lowbit_cases.generate(f"type={kind} group={group} m={m}{extra}", tslm)
    args = lowbit_cases.make_inputs(d, kind, bits, m, n, k, group, lowbit_cases.f16_dequant(mlir),
                                    integer_inputs=integer)
    # The default schedules (and every integer case) also with exact casts (the kernels
    # the CUDA backend keeps where the casts' constants left to the dots make ptxas spill),
    # those of 1- and 2-bit codes with narrower cast views and those of 4-bit codes with
    # scale rows by 16-bit loads (other such variants).
    for device in (["cpu", "ptx-sim"] + (["ptx-sim:sm_90"] if "prefetch" in extra else []) +
                   (["ptx-sim:sm_80:exact-casts"] if extra == "" or integer else []) +
                   (["ptx-sim:sm_80:narrow-cast-views"] if bits <= 2 and (extra == "" or integer) else []) +
                   (["ptx-sim:sm_90:no-row-pair-ldmatrix"] if bits == 4 and extra == "" else [])):
        ok, said = lowbit_cases.run_and_check(d, tslm, args, device)
        print(name, device, said)
        failed |= not ok
sys.exit(1 if failed else 0)
