"""Random tile copies (tile-copies-random.test): global -> shared (copy_async) -> registers
-> global, and global -> registers -> global, for random element types (f16, f32, i8,
ui4, ui2), tile shapes, warps, register layouts, swizzles, tensor sizes (dynamic or static
last dimension, 2 or 3 dimensions) and tile origins before the tensor; the GPU code path on the PTX
simulator must equal the CPU executor and the input, bit for bit.

  tile-copies-random.test.py WORK_DIR [SEED [COUNT]]"""
import os, random, subprocess, sys, numpy as np

work = sys.argv[1]
seed = int(sys.argv[2]) if len(sys.argv) > 2 else 0
count = int(sys.argv[3]) if len(sys.argv) > 3 else 24
os.makedirs(work, exist_ok=True)
rng = random.Random(seed)
TYPES = [("f16", 16), ("f16", 16), ("f32", 32), ("i8", 8), ("ui4", 4), ("ui2", 2)]
failed = 0
for case in range(count):
    t, bits = rng.choice(TYPES)
    warps = rng.choice([1, 2])
    threads = 32 * warps
    chunk_elems = 128 // bits  # elements of a 16-byte chunk
    cols = rng.choice([c for c in (32, 64, 128, 256) if c % chunk_elems == 0 and c * bits % 32 == 0])
    rows = rng.choice([4, 8, 16, 32])
    # register layout: spatial(a, b).local(rows/a, cols/b), a*b = threads
    options = [(a, threads // a) for a in (1, 2, 4, 8, 16, 32, 64) if threads % a == 0 and rows % a == 0 and cols % (threads // a) == 0]
    options = [(a, b) for a, b in options if (cols // b) * bits % 8 == 0]
    if not options:
        continue
    a, b = rng.choice(options)
    swz = rng.choice(["", ", #tbvm.swizzle<3, 3, 3>"]) if bits == 16 and cols >= 64 and rows * cols % 512 == 0 else ""
    static_last = bits % 8 != 0 or rng.random() < 0.3
    K = rng.choice([c for c in range(cols // 2, 3 * cols) if c % chunk_elems == 0] or [cols])
    M = rng.randint(1, 3 * rows)
    offr = rng.choice([0, 1, 3, rows])
    offc = rng.choice([0, chunk_elems]) if cols > chunk_elems else 0
    last = str(K) if static_last else "?"
    # A third, leading dimension for some: tiles of p slices, origins before the tensor too.
    rank3 = rng.random() < 0.35
    p = rng.choice([1, 2]) if rank3 else 1
    P = rng.randint(1, 3)
    offp = rng.choice([0, 1]) if p > 1 else 0
    lead, tlead, llead = ("?x", f"{p}x", f"local({p},1,1).") if rank3 else ("", "", "")
    ones = "1," if rank3 else ""
    xt = f"!tbvm.gtensor<{lead}?x{last}x{t}>"
    st = f"!tbvm.stensor<{tlead}{rows}x{cols}x{t}{swz}>"
    rt = (f'!tbvm.rtensor<{tlead}{rows}x{cols}x{t}, #tbvm.layout<"{llead}spatial({ones}{a},{b})'
          f'.local({ones}{rows // a},{cols // b})">>')
    shared = (p * rows * cols * bits + 7) // 8
    grid = (M + offr + rows - 1) // rows
    gridz = (P + offp + p - 1) // p
    at = "%p0, %r0, %k0" if rank3 else "%r0, %k0"
    zeros = "%c0, %c0, %c0" if rank3 else "%c0, %c0"
    ndyn = (3 if rank3 else 2) - (1 if static_last else 0)
    dims = "\n    ".join(f"%d{i} = tbvm.dim %x, {i} : !x" for i in range(ndyn))
    sizes = ", ".join(f"%d{i}" for i in range(ndyn))
    mod = f"""
!x = {xt}
!s = {st}
!t = {rt}
module {{
  tbvm.kernel @k(%x: !x, %y: !x, %y2: !x) attributes {{warps = {warps} : i64, shared_bytes = {shared} : i64}} {{
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %cr = arith.constant {rows} : index
    %cc = arith.constant {cols} : index
    %or = arith.constant {offr} : index
    %oc = arith.constant {offc} : index
    %b = tbvm.block_idx x
    %br = arith.muli %b, %cr : index
    %r0 = arith.subi %br, %or : index
    %bz = tbvm.block_idx y
    %cp = arith.constant {p} : index
    %op = arith.constant {offp} : index
    %bp = arith.muli %bz, %cp : index
    %p0 = arith.subi %bp, %op : index
    %k = tbvm.dim %x, {2 if rank3 else 1} : !x
    %ko = arith.addi %k, %oc : index
    %n = arith.ceildivui %ko, %cc : index
    %smem = tbvm.alloc_shared {{offset = 0 : i64}} : !s
    scf.for %kc = %c0 to %n step %c1 {{
      %kk = arith.muli %kc, %cc : index
      %k0 = arith.subi %kk, %oc : index
      tbvm.copy_async %x[{at}], %smem : !x, !s
      tbvm.copy_async_commit
      tbvm.copy_async_wait
      tbvm.sync
      %v = tbvm.load_shared %smem[{zeros}] : !s -> !t
      tbvm.store_global %v, %y[{at}] : !t, !x
      %w = tbvm.load_global %x[{at}] : !x -> !t
      tbvm.store_global %w, %y2[{at}] : !t, !x
      tbvm.sync
    }}
    tbvm.return
  }}
  tbvm.host @main(%x: !x {{tbvm.name = "x"}}) -> (!x {{tbvm.name = "y"}}, !x {{tbvm.name = "y2"}}) {{
    %c1 = arith.constant 1 : index
    %g = arith.constant {grid} : index
    %gz = arith.constant {gridz} : index
    {dims}
    %y = tbvm.alloc_global({sizes}) : !x
    %y2 = tbvm.alloc_global({sizes}) : !x
    tbvm.launch @k grid(%g, %gz, %c1) (%x, %y, %y2) : (!x, !x, !x) -> ()
    tbvm.return %y, %y2 : !x, !x
  }}
}}
"""
    name = f"case{case}"
    mlir, tslm = os.path.join(work, name + ".mlir"), os.path.join(work, name + ".tslm")
    open(mlir, "w").write(mod)
    r = subprocess.run(["tessel-translate", "--tbvm-to-bytecode", mlir, "-o", tslm], capture_output=True, text=True)
    if r.returncode:
        print("FAILED (translate)", name, t, rows, cols, r.stderr[:300]); failed += 1; continue
    npr = np.random.default_rng(case)
    shape = (P, M, K) if rank3 else (M, K)
    if bits in (16, 32):
        x = npr.normal(size=shape).astype(np.float16 if bits == 16 else np.float32)
    else:
        x = npr.integers(0, 1 << bits, size=shape).astype(np.uint8)
    xf = os.path.join(work, name + "-x.npy")
    np.save(xf, x)
    out = os.path.join(work, name + "-out")
    r = subprocess.run(["tessel-run", tslm, "--device=ptx-sim", "--compare-with=cpu", "--tolerance=0,0",
                        "--input=x=" + xf, "--output-dir=" + out], capture_output=True, text=True)
    ok = r.returncode == 0 and r.stdout.count(" 0 of ") == 2
    if ok:
        for o in ("y", "y2"):
            y = np.load(os.path.join(out, o + ".npy"))
            ok = ok and y.shape == x.shape and (y.view(np.uint8) == x.view(np.uint8)).all() if bits in (16, 32) else ok and (y.astype(np.uint8) & ((1 << bits) - 1) == x).all()
    desc = f"{t} tile {tlead}{rows}x{cols} warps {warps} layout ({a},{b}) swizzle {bool(swz)} x {'x'.join(map(str, shape))}{' static' if static_last else ''} origin {'-' + str(offp) + ',' if rank3 else ''}-{offr},-{offc}"
    print(("ok " if ok else "FAILED ") + name + ": " + desc)
    if not ok:
        print(r.stdout[-600:], r.stderr[-600:]); failed += 1
print("FAILED" if failed else "all copies agree")
sys.exit(1 if failed else 0)
