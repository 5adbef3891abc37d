import os
import random
import shutil
import subprocess
import sys

inputs, work, seed, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
sys.path.insert(0, inputs)
import lowbit_cases  # noqa: E402

rng = random.Random(seed)
types = [("ui1", 1), ("ui2", 2), ("si3", 3), ("si4", 4), ("ui4", 4), ("si5", 5), ("ui6", 6),
         ("si7", 7), ("si8", 8), ("e2m1", 4), ("e3m2", 6), ("e2m3", 6)]
ran = failed = refused = 0
while ran < count:
    kind, bits = rng.choice(types)
    warps = rng.choice([1, 2, 4, 8])
    wm = rng.choice([w for w in [1, 2, 4, 8] if warps % w == 0])
    bm = 16 * rng.choice([1, 2, 4]) * wm
    if bm > 256:
        continue
    ks = rng.choice([128, 256])
    k = ks * rng.randint(1, 3)
    m, n = rng.randint(1, 2 * bm), 8 * rng.randint(1, 40)
    group = rng.choice([0, 128])
    split = rng.choice([0, 1, 2])
    # split-K chosen at run time, or half of those times stream-K over a few blocks
    stream = f" stream-k=1 target-blocks={rng.randint(1, 12)}" if split == 0 and rng.random() < 0.5 else ""
    extra = (f" bm={bm} warps={warps} warps-m={wm} n-per-warp={rng.choice([1, 2, 4])} "
             f"k-step={ks} stages={rng.choice([1, 2, 3, 4])} split-k={split} "
             f"min-blocks=0{stream}")
    d = os.path.join(work, str(ran + refused))
    shutil.rmtree(d, ignore_errors=True)  # an earlier run's case of this number, other files
    os.makedirs(d, exist_ok=True)
    try:
        mlir = lowbit_cases.generate(f"type={kind} group={group} m={m}{extra}", os.path.join(d, "g.tslm"))
    except subprocess.CalledProcessError:
        refused += 1  # registers or shared memory the template refuses (tested elsewhere)
        continue
    ran += 1
    tslm = os.path.join(d, "g.tslm")
    args = lowbit_cases.make_inputs(d, kind, bits, m, n, k, group, lowbit_cases.f16_dequant(mlir))
    for device in ["cpu", "ptx-sim"]:
        ok, said = lowbit_cases.run_and_check(d, tslm, args, device)
        if not ok:
            failed += 1
            print("FAILED", kind, f"m={m} n={n} k={k} group={group}{extra}", device, said)
print(f"{ran} schedules run ({refused} refused), {failed} failed")
sys.exit(1 if failed else 0)
