import re
import subprocess

SCHEDULES = ["type=si4 m=1", "type=si4 m=16", "type=si4 m=64", "type=si4 m=1 stages=3",
             "type=si4 m=1 k-step=256", "type=ui4 m=16 k-step=384", "type=si3 m=64 k-step=256 stages=2"]
STENSOR = re.compile(r"!tbvm\.stensor<((?:\d+x)+)f16, #tbvm\.swizzle<(\d+), (\d+), (\d+)>>")


def swizzle(offset, bits, base, shift):
    return offset ^ (((offset >> (base + shift)) & ((1 << bits) - 1)) << base)


for options in SCHEDULES:
    mlir = subprocess.run(["tessel-opt", "/dev/null", "--pass-pipeline=builtin.module("
                           f"tessel-generate-lowbit-gemm{{{options}}})"],
                          check=True, capture_output=True, text=True).stdout
    tiles = {(tuple(int(d) for d in m.group(1).rstrip("x").split("x")),) + tuple(int(g) for g in m.group(2, 3, 4))
             for m in STENSOR.finditer(mlir)}
    if not tiles:
        print(f"CONFLICT {options}: no swizzled f16 tile found")
    for shape, bits, base, shift in sorted(tiles):
        rows, cols = shape[-2], shape[-1]
        worst = 1
        for r0 in range(0, rows, 8):
            for c in range(0, cols, 8):  # a 16-byte unit
                groups = {(2 * swizzle((r0 + r) * cols + c, bits, base, shift) // 16) % 8 for r in range(8)}
                worst = max(worst, 8 // len(groups))
        print(f"{options}: {'x'.join(map(str, shape))} swizzle<{bits}, {base}, {shift}>: "
              f"{worst}-way" + (" CONFLICT" if worst > 1 else ""))
print(f"checked {len(SCHEDULES)} kernels")
