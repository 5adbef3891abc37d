import os
import subprocess
import sys

inputs, work = sys.argv[1], sys.argv[2]
sys.path.insert(0, inputs)
import lowbit_cases  # noqa: E402

os.makedirs(work, exist_ok=True)
ref = os.path.join(inputs, "reference.py")
gen = os.path.join(inputs, "lowbit_gemm.py")
failed = False
for (kind, bits, extra, m, n, k, group) in lowbit_cases.CASES:
    name = lowbit_cases.case_name(kind, extra, m, n, k, group)
    d = os.path.join(work, name)
    os.makedirs(d, exist_ok=True)
    asym = kind.startswith("ui")
    tslm = os.path.join(d, "gemm.tslm")
    mlir = lowbit_cases.generate(f"type={kind} group={group} m={m}{extra}", tslm)
    args = [sys.executable, gen, d, f"--type={kind}", f"--bits={bits}", f"--m={m}", f"--n={n}",
            f"--k={k}", f"--group={group}"] + (["--asymmetric"] if asym else [])
    if lowbit_cases.f16_dequant(mlir):
        args.append("--f16-dequant")
    subprocess.run(args, check=True)
    inputs_args = [f"--input=x={d}/x.npy", f"--input=w={d}/w.npy", f"--input=s={d}/s.npy"]
    if asym:
        inputs_args.append(f"--input=m={d}/m.npy")
    for device in ["cpu", "ptx-sim"]:
        out = os.path.join(d, "out")
        subprocess.run(["rm", "-rf", out])
        r = subprocess.run(["tessel-run", tslm, f"--device={device}", f"--output-dir={out}"] + inputs_args,
                           capture_output=True, text=True)
        if r.returncode != 0:
            print(name, device, "run failed:", r.stderr)
            failed = True
            continue
        r = subprocess.run([sys.executable, ref, "check", d], capture_output=True, text=True)
        print(name, device, r.stdout.strip())
        if r.returncode != 0:
            failed = True
sys.exit(1 if failed else 0)
