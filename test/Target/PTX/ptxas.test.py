"""Emits PTX for every tbvm module of the test corpus for sm_80, sm_86, sm_89 and sm_90
and assembles it with ptxas -v; any ptxas error fails the test. Spills are reported.
Every low-bit GEMM template instance of the integration tests (lowbit_cases.CASES:
every schedule form) is assembled for sm_80 and sm_90."""
import glob
import os
import re
import subprocess
import sys

root, work, ptxas = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(work, exist_ok=True)
files = sorted(glob.glob(os.path.join(root, "Integration", "*.mlir")) +
               glob.glob(os.path.join(root, "Dialect", "TBVM", "*.mlir")) +
               glob.glob(os.path.join(root, "Target", "PTX", "*.mlir")))
failed = False
count = 0
for path in files:
    text = open(path).read()
    if "expected-error" in text or "tbvm.kernel" not in text:
        continue
    base = os.path.join(work, os.path.basename(path))
    subprocess.run(["tessel-opt", path,
                    "--pass-pipeline=builtin.module(tbvm.kernel(tbvm-plan-shared-memory))",
                    "-o", base + ".mlir"], check=True)
    for arch in ["sm_80", "sm_86", "sm_89", "sm_90"]:
        ptx = base + "." + arch + ".ptx"
        r = subprocess.run(["tessel-translate", "--tbvm-to-ptx", "--arch=" + arch, base + ".mlir",
                            "-o", ptx], capture_output=True, text=True)
        if r.returncode != 0:
            print("emit failed:", path, arch, r.stderr)
            failed = True
            continue
        r = subprocess.run([ptxas, "-arch=" + arch, "-v", ptx, "-o", os.devnull],
                           capture_output=True, text=True)
        if r.returncode != 0:
            print("ptxas failed:", path, arch, r.stderr[:2000])
            failed = True
            continue
        spills = re.findall(r"(\d+) bytes spill stores", r.stderr)
        if any(int(s) for s in spills):
            print("note: spills in", path, arch, spills)
        count += 1
sys.path.insert(0, os.path.join(root, "Integration", "Inputs"))
import lowbit_cases  # noqa: E402
for (kind, bits, extra, m, n, k, group) in lowbit_cases.CASES:
    name = lowbit_cases.case_name(kind, extra, m, n, k, group)
    mlir = lowbit_cases.generate(f"type={kind} group={group} m={m}{extra}",
                                 os.path.join(work, name + ".tslm"))
    for arch in ["sm_80", "sm_90"]:
        ptx = os.path.join(work, f"{name}.{arch}.ptx")
        r = subprocess.run(["tessel-translate", "--tbvm-to-ptx", "--arch=" + arch, mlir, "-o", ptx],
                           capture_output=True, text=True)
        if r.returncode == 0:
            r = subprocess.run([ptxas, "-arch=" + arch, ptx, "-o", os.devnull],
                               capture_output=True, text=True)
        if r.returncode != 0:
            print("failed:", name, arch, r.stderr[:2000])
            failed = True
        count += 1
print("assembled", count, "modules")
sys.exit(1 if failed or count < 20 else 0)
