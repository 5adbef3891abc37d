"""Round-trips every tbvm module of the test corpus through the bytecode and back, and
checks the printed MLIR is unchanged. Files with expected errors are skipped."""
import glob
import os
import subprocess
import sys

root, work = sys.argv[1], sys.argv[2]
os.makedirs(work, exist_ok=True)
files = sorted(glob.glob(os.path.join(root, "Integration", "*.mlir")) +
               glob.glob(os.path.join(root, "Dialect", "TBVM", "*.mlir")))
checked = 0
failed = False
for path in files:
    text = open(path).read()
    if "expected-error" in text or "tbvm.kernel" not in text and "tbvm.host" not in text:
        continue
    base = os.path.join(work, os.path.basename(path))
    subprocess.run(["tessel-opt", path, "--pass-pipeline=builtin.module(tbvm.kernel(tbvm-plan-shared-memory))",
                    "-o", base + ".orig.mlir"], check=True)
    subprocess.run(["tessel-translate", "--tbvm-to-bytecode", base + ".orig.mlir", "-o", base + ".tslm"], check=True)
    back = subprocess.run(["tessel-translate", "--bytecode-to-tbvm", base + ".tslm"], check=True,
                          capture_output=True, text=True).stdout
    again = subprocess.run(["tessel-opt", "-o", base + ".back.mlir"], input=back, text=True, check=True)
    if open(base + ".orig.mlir").read() != open(base + ".back.mlir").read():
        print("round trip changed", path)
        subprocess.run(["diff", base + ".orig.mlir", base + ".back.mlir"])
        failed = True
    checked += 1
print("round-tripped", checked, "modules")
if checked < 5:
    print("too few modules in the corpus")
    failed = True
sys.exit(1 if failed else 0)
