#!/usr/bin/env python3
"""Instruction counts of the loops of a kernel's SASS, for reading what ptxas made of the
emitted PTX without a GPU.

  sass-loop-stats.py FILE.cubin|FILE.sass [--cuobjdump PATH] [--json] [--path]
                    [--through OPCODES]

For each loop (a backward branch), prints the instructions on its shortest path from the
loop head to the back edge (where the body branches, e.g. an aligned vector access or
its scalar fallback, the shorter side: the path a well-aligned input takes) that passes
every cp.async (LDGSTS; --through changes that): a pipelined loop's last iterations skip
their copies, and its steady state is what counts. Also the path's opcodes. cuobjdump comes from the CUDA toolkit or the nvidia-cuda-cuobjdump wheel
(scripts/install-deps.sh installs it under /opt/tessel-tools).
"""
import argparse
import collections
import heapq
import json
import os
import re
import subprocess
import sys

LINE = re.compile(r"^\s+/\*([0-9a-f]{4,})\*/\s+(.*?)\s*;")
BRANCH = re.compile(r"^(@!?U?P[T0-9]\s+)?(BRA|EXIT|RET|BRX|JMP)\b[^0-9x]*(0x[0-9a-f]+)?")


def find_cuobjdump(explicit):
    here = os.path.dirname(os.path.abspath(__file__))
    for c in [explicit, os.path.join(os.environ.get("TESSEL_TOOLS_DIR", "/opt/tessel-tools"), "bin", "cuobjdump"),
              "/usr/local/cuda/bin/cuobjdump"]:
        if c and os.path.exists(c):
            return c
    return "cuobjdump"


def read_sass(path, cuobjdump):
    if path.endswith(".cubin"):
        return subprocess.run([cuobjdump, "-sass", path], check=True, capture_output=True,
                              text=True).stdout
    return open(path).read()


def opcode(text):
    text = re.sub(r"^@!?U?P[T0-9]\s+", "", text)
    return text.split()[0].split(".")[0]


def functions(sass):
    """[(name, [(address, text)])] per function."""
    out = []
    for line in sass.splitlines():
        m = re.match(r"\s+Function : (\S+)", line)
        if m:
            out.append((m.group(1), []))
            continue
        m = LINE.match(line)
        if m and out:
            out[-1][1].append((int(m.group(1), 16), m.group(2)))
    return out


def successors(ins, i, index):
    """Indices control may pass to after instruction i (`index`: address -> index)."""
    text = ins[i][1]
    m = BRANCH.match(text)
    if not m:
        return [i + 1] if i + 1 < len(ins) else []
    guarded, kind, target = m.group(1), m.group(2), m.group(3)
    out = []
    if kind == "BRA" and target and int(target, 16) in index:
        out.append(index[int(target, 16)])
    if guarded and i + 1 < len(ins):
        out.append(i + 1)
    return out


def shortest(ins, index, head, src, dst, back_edge):
    """Indices of the shortest path src -> dst inside [head, back_edge] (Dijkstra on
    instruction counts), or None."""
    dist = {src: 1}
    prev = {}
    queue = [(1, src)]
    while queue:
        d, j = heapq.heappop(queue)
        if j == dst:
            break
        if d > dist.get(j, 1 << 60):
            continue
        for s in successors(ins, j, index):
            if head <= s <= back_edge and d + 1 < dist.get(s, 1 << 60):
                dist[s] = d + 1
                prev[s] = j
                heapq.heappush(queue, (d + 1, s))
    if dst not in dist:
        return None
    path, j = [], dst
    while True:
        path.append(j)
        if j == src:
            break
        j = prev[j]
    path.reverse()
    return path


def loops(ins, through=("LDGSTS",)):
    """Per loop (a backward branch): the shortest path from its head to the back edge
    that passes every instruction whose opcode is in `through` (in address order; the
    steady state of a pipelined loop issues its cp.async copies, which its last
    iterations skip), else the plain shortest path."""
    result = []
    index = {a: j for j, (a, _) in enumerate(ins)}
    for i, (addr, text) in enumerate(ins):
        m = BRANCH.match(text)
        if not m or m.group(2) != "BRA" or not m.group(3):
            continue
        target = int(m.group(3), 16)
        if target >= addr:
            continue
        if target not in index:
            continue
        head = index[target]
        required = [k for k in range(head, i + 1) if opcode(ins[k][1]) in through]
        path, stops = None, [head] + required + [i]
        if required:
            path = []
            for a, b in zip(stops, stops[1:]):
                seg = shortest(ins, index, head, a, b, i)
                if seg is None:
                    path = None
                    break
                path += seg if not path else seg[1:]
        passed = path is not None and bool(required)
        if path is None:
            path = shortest(ins, index, head, head, i, i)
        if path is None:
            continue
        result.append({"head": hex(target), "back_edge": hex(addr), "body": i - head + 1,
                       "shortest_path": len(path), "through": sorted(set(through)) if passed else [],
                       "path": [f"{ins[k][0]:04x}  {ins[k][1]}" for k in path],
                       "opcodes": dict(collections.Counter(opcode(ins[k][1]) for k in path)
                                       .most_common())})
    return result


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("file")
    p.add_argument("--cuobjdump")
    p.add_argument("--json", action="store_true")
    p.add_argument("--through", default="LDGSTS",
                   help="comma-separated opcodes the counted path must pass (default: "
                        "LDGSTS, the cp.async copies of a pipelined loop; '' for none)")
    p.add_argument("--path", action="store_true",
                   help="also print the instructions on each loop's shortest path")
    a = p.parse_args()
    sass = read_sass(a.file, find_cuobjdump(a.cuobjdump))
    through = tuple(t for t in a.through.split(",") if t)
    report = {name: loops(ins, through) for name, ins in functions(sass)}
    if not a.path:
        for ls in report.values():
            for l in ls:
                del l["path"]
    if a.json:
        json.dump(report, sys.stdout, indent=1)
        print()
        return
    for name, ls in report.items():
        print(f"{name}: {len(ls)} loop(s)")
        for l in ls:
            via = f" through every {'/'.join(l['through'])}" if l["through"] else ""
            print(f"  loop {l['head']}..{l['back_edge']}: {l['body']} instructions, "
                  f"{l['shortest_path']} on the shortest path{via}")
            print("    " + ", ".join(f"{k} {v}" for k, v in l["opcodes"].items()))
            if a.path:
                print("\n".join("      " + line for line in l["path"]))


if __name__ == "__main__":
    main()
