import os
import subprocess
import sys

import numpy as np

work = sys.argv[1]
os.makedirs(work, exist_ok=True)
TYPES = [f"{s}i{b}" for b in range(1, 9) for s in "su"] + [
    "!lowp.float<e2m1>", "!lowp.float<e2m3>", "!lowp.float<e3m2>", "f4E2M1FN", "f8E4M3FN",
    "f8E5M2"]
MODULE = """
!q = !tbvm.gtensor<?x{T}>
!h = !tbvm.gtensor<?x{F}>
!rq = !tbvm.rtensor<{E}x{T}, #tbvm.layout<"{L}">>
!rh = !tbvm.rtensor<{E}x{F}, #tbvm.layout<"spatial(32).local({S})">>
module {{
  tbvm.kernel @cast(%x: !q, %y: !h) attributes {{warps = 1 : i64}} {{
    %c512 = arith.constant {E} : index
    %b = tbvm.block_idx x
    %o = arith.muli %b, %c512 : index
    %v = tbvm.load_global %x[%o] : !q -> !rq
    %f = tbvm.cast %v : !rq -> !rh
    tbvm.store_global %f, %y[%o] : !rh, !h
    tbvm.return
  }}
  tbvm.host @main(%x: !q {{tbvm.name = "x"}}) -> (!h {{tbvm.name = "y"}}) {{
    %c1 = arith.constant 1 : index
    %c512 = arith.constant {E} : index
    %n = tbvm.dim %x, 0 : !q
    %y = tbvm.alloc_global(%n) : !h
    %g = arith.ceildivui %n, %c512 : index
    tbvm.launch @cast grid(%g, %c1, %c1) (%x, %y) : (!q, !h) -> ()
    tbvm.return %y : !h
  }}
}}
"""
failed = False
count = 0

def bits_of(t):
    if t[0] in "su":
        return int(t[2:])
    return {"e2m1": 4, "e2m3": 6, "e3m2": 6}.get(
        t.replace("!lowp.float<", "").replace(">", ""), 4 if t.startswith("f4") else 8)


def source_layouts(bits):
    """The codes' layouts: the result's; one whose result pairs (2i, 2i+1) sit 16 bits
    apart in one register (as the low-bit GEMM orders 1-, 2- and 4-bit weights; widths
    that divide 16; 1-bit codes 32 per thread, in blocks of 1024); one whose pairs are
    adjacent but moved between bytes and words (as the GEMM's weights cast to mma A
    fragments are); and the 16 slots transposed (codes gathered into the result's order
    first)."""
    out = {"same": "spatial(32).local(16)"}
    if bits in (2, 4, 8):
        h = 16 // bits  # codes per 16 bits
        out["paired"] = f"layout<shape=[512], modes=[32,{8 // h},{h},2], spatial=[0], local=[1,3,2]>"
    if bits == 1:
        out["paired"] = "layout<shape=[1024], modes=[32,16,2], spatial=[0], local=[2,1]>"
    out["pairs-moved"] = "layout<shape=[512], modes=[32,2,4,2], spatial=[0], local=[2,1,3]>"
    out["transposed"] = "layout<shape=[512], modes=[32,2,8], spatial=[0], local=[2,1]>"
    return out


for t in TYPES:
  for lname, layout in source_layouts(bits_of(t)).items():
    for f in ["f16", "bf16"]:
        name = t.replace("!lowp.float<", "").replace(">", "") + "_" + f + "_" + lname
        mlir = os.path.join(work, name + ".mlir")
        tslm = os.path.join(work, name + ".tslm")
        with open(mlir, "w") as out:
            per_block = 1024 if "1024" in layout else 512
            out.write(MODULE.format(T=t, F=f, L=layout, E=per_block, S=per_block // 32))
        r = subprocess.run(["tessel-translate", "--tbvm-to-bytecode", mlir, "-o", tslm],
                           capture_output=True, text=True)
        if r.returncode != 0:
            print("FAILED", name, r.stderr)
            failed = True
            continue
        # Every code at every position of a 32-bit register (8 / bits codes per byte), in
        # order and shuffled.
        bits = bits_of(t)
        codes = np.arange(4096) % (1 << bits)
        codes = np.concatenate([codes, np.random.default_rng(0).permutation(codes)])
        npy = os.path.join(work, name + ".npy")
        np.save(npy, codes.astype(np.uint8))
        # Paired codes also with narrower cast views (a spill variant: other shifts).
        for device in ["ptx-sim"] + (["ptx-sim:narrow-cast-views"] if lname == "paired" else []):
            r = subprocess.run(["tessel-run", tslm, "--device=" + device, "--compare-with=cpu",
                                "--tolerance=0,0", "--input=x=" + npy],
                               capture_output=True, text=True)
            if r.returncode != 0 or " 0 of 8192 beyond tolerance" not in r.stdout:
                print("FAILED", name, device, r.stdout, r.stderr)
                failed = True
            count += 1
print("FAILED" if failed else f"all casts agree ({count} kernels)")
sys.exit(1 if failed else 0)
