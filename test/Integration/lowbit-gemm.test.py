import os
import subprocess
import sys

inputs, work = sys.argv[1], sys.argv[2]
os.makedirs(work, exist_ok=True)
ref = os.path.join(inputs, "reference.py")
gen = os.path.join(inputs, "lowbit_gemm.py")
cases = [
    # type, bits, options of the generator, m, n, k, group
    ("ui1", 1, "", 3, 64, 512, 128),
    ("ui2", 2, "", 3, 64, 512, 128),
    ("si3", 3, "", 3, 64, 512, 128),
    ("ui4", 4, "", 3, 64, 512, 0),
    ("si4", 4, "", 20, 64, 512, 256),
    ("ui5", 5, "", 3, 64, 384, 128),
    ("si6", 6, "", 3, 64, 512, 128),
    ("ui7", 7, "", 3, 64, 512, 128),
    ("si8", 8, "", 3, 64, 512, 128),
    ("e2m1", 4, "", 3, 64, 512, 128),
    ("e3m2", 6, "", 3, 64, 512, 128),
    ("e2m3", 6, "", 70, 32, 256, 128),
    ("f4E2M1FN", 4, "", 3, 64, 512, 128),
    ("si4", 4, " k-step=128 split-k=1 n-per-warp=1", 3, 64, 512, 128),
]
failed = False
for (kind, bits, extra, m, n, k, group) in cases:
    name = f"{kind}_m{m}_g{group}{extra.replace(' ', '_').replace('=', '')}"
    d = os.path.join(work, name)
    os.makedirs(d, exist_ok=True)
    asym = kind.startswith("ui")
    opts = f"type={kind} group={group} m={m}{extra}"
    mlir = os.path.join(d, "gemm.mlir")
    subprocess.run(["tessel-opt", os.devnull,
                    "--pass-pipeline=builtin.module(tessel-generate-lowbit-gemm{" + opts + "},tbvm.kernel(tbvm-plan-shared-memory))",
                    "-o", mlir], check=True)
    tslm = os.path.join(d, "gemm.tslm")
    subprocess.run(["tessel-translate", "--tbvm-to-bytecode", mlir, "-o", tslm], check=True)
    args = [sys.executable, gen, d, f"--type={kind}", f"--bits={bits}", f"--m={m}", f"--n={n}",
            f"--k={k}", f"--group={group}"] + (["--asymmetric"] if asym else [])
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
