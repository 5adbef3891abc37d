import os
import re
import subprocess
import sys

work, ptxas, inputs = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, inputs)
import lowbit_cases  # noqa: E402

os.makedirs(work, exist_ok=True)
failed = False
kernels = [(t, "m=1") for t in ["ui1", "ui2", "si3", "si4", "ui4", "si5", "si6", "si7", "si8",
                                 "e2m1", "e3m2", "e2m3", "f4E2M1FN"]]
kernels += [(t, "m=64") for t in ["si4", "si3", "ui4", "ui2", "si8", "e2m1"]]
# 4-bit codes with offsets in the register pipeline (their default is the shared one): the
# pair's scales and offsets in registers
kernels += [("ui4", "m=1 stages=1")]
manifest = []
for kind, options in kernels:
    name = f"{kind}_{options.replace('=', '').replace(' ', '_')}"
    tslm = os.path.join(work, name + ".tslm")
    mlir = lowbit_cases.generate(f"type={kind} group=128 {options}", tslm)
    lo, hi = (1, 16) if options.startswith("m=1") else (17, 1 << 20)
    manifest.append(f"{name} {kind} 128 {lo} {hi} {tslm}")
    for arch in ["sm_80", "sm_86", "sm_90a"]:
        try:
            ptx, _, report, variant = lowbit_cases.compile_as_runtime(
                mlir, arch, ptxas, os.path.join(work, f"{name}.{arch}"))
        except RuntimeError as e:
            print("FAILED", name, arch, e)
            failed = True
            continue
        spills = [int(s) for s in re.findall(r"(\d+) bytes spill (?:stores|loads)", report)]
        if not spills or any(spills):
            print("FAILED", name, arch, report[-1500:])
            failed = True
        elif variant:
            print(f"note: {name} {arch}: the default spills, {variant} does not (the backend "
                  f"keeps that)")
with open(os.path.join(work, "manifest.txt"), "w") as f:
    f.write("\n".join(manifest) + "\n")
for executor in ["cpu", "ptx-sim"]:
    r = subprocess.run(["tessel-bench", "--check-on=" + executor,
                        "--modules=" + os.path.join(work, "manifest.txt"),
                        "--m=1,5,16,40", "--nk=136x1024,64x384"], capture_output=True, text=True)
    print(r.stdout.strip())
    if r.returncode != 0 or "ok tessel" not in r.stdout:
        print("FAILED", executor, r.stderr)
        failed = True
sys.exit(1 if failed else 0)
