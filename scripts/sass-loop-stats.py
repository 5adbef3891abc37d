#!/usr/bin/env python3
"""Instruction counts of the loops of a kernel's SASS, for reading what ptxas made of the
emitted PTX without a GPU.

  sass-loop-stats.py FILE.cubin|FILE.sass [--cuobjdump PATH] [--json] [--path]
                    [--through OPCODES]

For each loop (a backward branch), prints the instructions on its shortest path from the
loop head to the back edge (where the body branches, e.g. an aligned vector access or
its scalar fallback, the shorter side: the path a well-aligned input takes) among the
paths that issue the most cp.async copies (LDGSTS; --through changes that): a pipelined
loop's last iterations skip their copies, and its steady state is what counts. Also the
path's opcodes. cuobjdump comes from the CUDA toolkit or the nvidia-cuda-cuobjdump wheel
(scripts/install-deps.sh installs it under /opt/tessel-tools).
"""
import argparse
import collections
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


def best_path(ins, index, head, back_edge, through):
    """The path head -> back_edge along forward edges (the loop body is a DAG once inner
    back edges are left out) that passes the most instructions whose opcode is in
    `through`, and among those the shortest: indices, or None."""
    best = {head: (1 if opcode(ins[head][1]) in through else 0, 1)}  # (copies, -length)
    prev = {}
    for j in range(head, back_edge + 1):
        if j not in best or j == back_edge:
            continue
        copies, length = best[j]
        for s in successors(ins, j, index):
            if not (j < s <= back_edge):
                continue
            cand = (copies + (1 if opcode(ins[s][1]) in through else 0), length + 1)
            old = best.get(s)
            if old is None or cand[0] > old[0] or (cand[0] == old[0] and cand[1] < old[1]):
                best[s] = cand
                prev[s] = j
    if back_edge not in best:
        return None
    path, j = [], back_edge
    while True:
        path.append(j)
        if j == head:
            break
        j = prev[j]
    path.reverse()
    return path


def loops(ins, through=("LDGSTS",)):
    """Per loop (a backward branch): the shortest path from its head to the back edge
    among those that pass the most instructions whose opcode is in `through` (the steady
    state of a pipelined loop issues its cp.async copies, which its last iterations skip;
    alternative forms of one copy count once)."""
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
        path = best_path(ins, index, head, i, set(through))
        if path is None:
            continue
        passed = sorted(set(through) & {opcode(ins[k][1]) for k in path})
        result.append({"head": hex(target), "back_edge": hex(addr), "body": i - head + 1,
                       "shortest_path": len(path), "through": passed,
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
                   help="comma-separated opcodes the counted path passes as many of as it "
                        "can (default: LDGSTS, the cp.async copies of a pipelined loop; '' "
                        "for none)")
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
            via = f" through the most {'/'.join(l['through'])}" if l["through"] else ""
            print(f"  loop {l['head']}..{l['back_edge']}: {l['body']} instructions, "
                  f"{l['shortest_path']} on the shortest path{via}")
            print("    " + ", ".join(f"{k} {v}" for k, v in l["opcodes"].items()))
            if a.path:
                print("\n".join("      " + line for line in l["path"]))


if __name__ == "__main__":
    main()
