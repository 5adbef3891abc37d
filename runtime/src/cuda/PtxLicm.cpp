// Loop-invariant code motion and loop-carried copy coalescing on the structured PTX
// (PtxPasses.h).
//
// The emitter computes every access's address, bounds predicates and lane coordinates
// where the access is, so a loop body recomputes from block and thread indices, tensor
// sizes and constants what is the same in every iteration. ptxas leaves much of it in the
// loop (it rematerializes rather than keeps values live across a loop with branches), so
// the hoisting is done here, where the emitter's conventions make it simple: a loop is a
// label entered from above and from one backward branch; a register written once in the
// whole kernel holds one value (loop-carried values are written before the loop and
// again in it, so they are never invariant).
#include "cuda/PtxPasses.h"

#include <algorithm>
#include <iterator>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>

namespace tessel::cuda::ptx {
namespace {

uint64_t key(const Reg &r) { return (uint64_t(r.kind) << 32) | r.id; }

/// Instructions that compute their destinations from their sources alone: no memory, no
/// synchronization, no side effects, nothing that traps (PTX integer division by zero
/// gives an unspecified value, it does not trap), so running them once before the loop,
/// even where the loop body would have skipped them, changes nothing observable.
bool isPure(const Inst &in) {
  switch (in.op) {
  case Op::kMov: case Op::kAdd: case Op::kSub: case Op::kMul: case Op::kMulHi:
  case Op::kMulWide: case Op::kMad: case Op::kFma: case Op::kDiv: case Op::kRem:
  case Op::kMin: case Op::kMax: case Op::kNeg: case Op::kAbs: case Op::kAnd: case Op::kOr:
  case Op::kXor: case Op::kNot: case Op::kShl: case Op::kShr: case Op::kBfe: case Op::kBfi:
  case Op::kPrmt: case Op::kLop3: case Op::kCvt: case Op::kSetp: case Op::kSelp:
  case Op::kShf: case Op::kSqrt: case Op::kRsqrt: case Op::kRcp: case Op::kEx2:
  case Op::kLg2: case Op::kTanh:
    return true;
  case Op::kLd: // kernel parameters and fixed words of the kernel's constant table
    return !in.src.empty() && (in.src[0].kind == Operand::Kind::kParam ||
                               in.src[0].kind == Operand::Kind::kConst);
  default:
    return false;
  }
}

bool regsOnly(const std::vector<Operand> &dst) {
  return !dst.empty() && std::all_of(dst.begin(), dst.end(), [](const Operand &o) {
    return o.kind == Operand::Kind::kReg;
  });
}

bool readsBase(const Operand &o) { return o.kind == Operand::Kind::kAddress && o.reg.id != kSmemBase; }

/// Registers an operand reads (an address operand reads its base register); `O` is
/// Operand or const Operand, so `f` may rename them.
template <typename O, typename F> void forEachRead(O &o, F &&f) {
  if (o.kind == Operand::Kind::kReg || readsBase(o))
    f(o.reg);
}

/// Every register an instruction reads, its guard and a store's address included.
template <typename I, typename F> void forEachReadOf(I &in, F &&f) {
  for (auto &o : in.src)
    forEachRead(o, f);
  for (auto &o : in.dst)
    if (readsBase(o))
      f(o.reg);
  if (in.guarded)
    f(in.guard);
}

/// The emitter updates some registers in place (`add r, r, 8` after `mov r, x`); a
/// register written more than once is never invariant. Where all of a register's writes
/// are unguarded, lie in one basic block and come before any read, every write but the
/// last gets a fresh register (and the reads up to the next write follow it): the same
/// values, each written once.
void splitRedefinitions(Kernel &kernel) {
  std::vector<Inst> &body = kernel.body;
  struct Info {
    int defs = 0, left = 0; // writes, and writes not yet renamed
    uint32_t block = 0;
    bool seen = false, ok = true;
  };
  std::unordered_map<uint64_t, Info> info;
  uint32_t block = 0;
  for (const Inst &in : body) {
    if (in.op == Op::kLabel)
      ++block;
    forEachReadOf(in, [&](const Reg &r) {
      Info &i = info[key(r)];
      if (!i.seen)
        i.ok = false; // read before written: a value from elsewhere (or a loop)
      i.seen = true;
    });
    for (const Operand &o : in.dst) {
      if (o.kind != Operand::Kind::kReg)
        continue;
      Info &i = info[key(o.reg)];
      if (i.defs == 0)
        i.block = block;
      i.ok = i.ok && !in.guarded && i.block == block;
      i.seen = true;
      ++i.defs;
      ++i.left;
    }
    if (in.op == Op::kBra || in.op == Op::kExit)
      ++block;
  }
  std::unordered_map<uint64_t, Reg> current;
  for (Inst &in : body) {
    auto rename = [&](Reg &r) {
      auto it = current.find(key(r));
      if (it != current.end())
        r = it->second;
    };
    forEachReadOf(in, rename);
    for (Operand &o : in.dst) {
      if (o.kind != Operand::Kind::kReg)
        continue;
      auto it = info.find(key(o.reg));
      if (it == info.end() || it->second.defs < 2 || !it->second.ok)
        continue;
      uint64_t k = key(o.reg);
      if (--it->second.left == 0) {
        current.erase(k); // the last write keeps the register: later reads are unchanged
        continue;
      }
      Reg fresh{o.reg.kind, kernel.numRegs[int(o.reg.kind)]++};
      current[k] = fresh;
      o.reg = fresh;
    }
  }
}

struct Loop {
  size_t head;   // index of the head label
  size_t latch;  // index of the backward branch
};

/// Every loop: a label and an unconditional branch back to it.
std::vector<Loop> findLoops(const std::vector<Inst> &body) {
  std::unordered_map<std::string, size_t> labels;
  for (size_t i = 0; i < body.size(); ++i)
    if (body[i].op == Op::kLabel)
      labels[body[i].text] = i;
  std::vector<Loop> loops;
  for (size_t i = 0; i < body.size(); ++i) {
    const Inst &in = body[i];
    if (in.op != Op::kBra || in.guarded || in.src.empty() ||
        in.src[0].kind != Operand::Kind::kLabel)
      continue;
    auto it = labels.find(in.src[0].name);
    if (it != labels.end() && it->second < i)
      loops.push_back({it->second, i});
  }
  return loops;
}

/// The loop whose head label is `headLabel`, found again each time: the passes move and
/// erase instructions, so indices do not last from one loop to the next.
std::optional<Loop> findLoop(const std::vector<Inst> &body, const std::string &headLabel) {
  for (const Loop &l : findLoops(body))
    if (body[l.head].text == headLabel)
      return l;
  return std::nullopt;
}

/// The loops' head labels, innermost first (shorter before the loops that hold them).
std::vector<std::string> loopHeads(const std::vector<Inst> &body) {
  std::vector<Loop> loops = findLoops(body);
  std::sort(loops.begin(), loops.end(), [](const Loop &a, const Loop &b) {
    return a.latch - a.head < b.latch - b.head;
  });
  std::vector<std::string> heads;
  for (const Loop &l : loops)
    heads.push_back(body[l.head].text);
  return heads;
}

/// Moves the invariant instructions of the loop whose head label is `headLabel` in
/// front of it; returns how many.
size_t hoistOne(std::vector<Inst> &body, const std::string &headLabel,
                const std::unordered_map<uint64_t, int> &defs) {
  std::optional<Loop> loop = findLoop(body, headLabel);
  if (!loop)
    return 0;
  const size_t head = loop->head, latch = loop->latch;
  // Registers written in the loop; a hoisted instruction's destinations leave the set.
  std::unordered_set<uint64_t> written;
  for (size_t i = head + 1; i < latch; ++i)
    for (const Operand &o : body[i].dst)
      if (o.kind == Operand::Kind::kReg)
        written.insert(key(o.reg));
  // Not what a slow path computes: an instruction that an unconditional forward branch
  // jumps over is in the second arm of an if, which the emitter makes the scalar or
  // edge-case fallback of an access (and the else arm of an scf.if); hoisted, its values
  // would stay live across the whole loop for nothing, in registers the loop needs.
  std::unordered_map<std::string, size_t> labels;
  for (size_t i = head + 1; i < latch; ++i)
    if (body[i].op == Op::kLabel)
      labels[body[i].text] = i;
  std::vector<bool> cold(latch - head, false);
  for (size_t j = head + 1; j < latch; ++j) {
    const Inst &in = body[j];
    if (in.op != Op::kBra || in.guarded || in.src.empty() ||
        in.src[0].kind != Operand::Kind::kLabel)
      continue;
    auto it = labels.find(in.src[0].name);
    if (it != labels.end() && it->second > j)
      for (size_t i = j + 1; i < it->second; ++i)
        cold[i - head] = true;
  }
  std::vector<bool> hoist(latch - head, false);
  // In the order they qualify: an instruction qualifies after those that write its
  // sources, so this order computes every value before it is read.
  std::vector<size_t> order;
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t i = head + 1; i < latch; ++i) {
      const Inst &in = body[i];
      if (hoist[i - head] || cold[i - head] || in.guarded || !isPure(in) ||
          !regsOnly(in.dst))
        continue;
      bool ok = true;
      for (const Operand &o : in.dst) {
        auto it = defs.find(key(o.reg));
        ok = ok && it != defs.end() && it->second == 1;
      }
      for (const Operand &o : in.src)
        forEachRead(o, [&](const Reg &r) { ok = ok && !written.count(key(r)); });
      if (!ok)
        continue;
      hoist[i - head] = true;
      order.push_back(i);
      for (const Operand &o : in.dst)
        written.erase(key(o.reg));
      changed = true;
    }
  }
  std::vector<Inst> moved, kept;
  for (size_t i : order)
    moved.push_back(body[i]);
  for (size_t i = head + 1; i < latch; ++i)
    if (!hoist[i - head])
      kept.push_back(std::move(body[i]));
  if (moved.empty()) {
    for (size_t i = head + 1, k = 0; i < latch; ++i, ++k)
      body[i] = std::move(kept[k]);
    return 0;
  }
  std::vector<Inst> out;
  out.reserve(body.size());
  std::move(body.begin(), body.begin() + head, std::back_inserter(out));
  std::move(moved.begin(), moved.end(), std::back_inserter(out));
  out.push_back(std::move(body[head]));
  std::move(kept.begin(), kept.end(), std::back_inserter(out));
  std::move(body.begin() + latch, body.end(), std::back_inserter(out));
  body = std::move(out);
  return moved.size();
}

/// The emitter passes a loop's yielded values to the next iteration through copies at
/// the latch (`mov t, v` ... `mov c, t`: the temporaries let a yield permute carried
/// values). Where v is computed in the loop after the last read of c, v can live in c
/// itself: v is renamed to c in the loop and both copies go. Conditions, in program
/// order within the body (its own forward branches keep it a topological order; inner
/// loops do not, so a write inside one counts from that loop's head): c is written in
/// the loop only by that copy; t only by its copy, read only by the other, and the copies
/// come in that order after every write of v; v is written and read only inside the
/// loop, never read before its first write nor after the copies, and c is not read after
/// v's first write (except by that writing instruction itself).
size_t coalesceOne(std::vector<Inst> &body, const std::string &headLabel) {
  std::optional<Loop> loop = findLoop(body, headLabel);
  if (!loop)
    return 0;
  const size_t head = loop->head, latch = loop->latch;
  struct Uses {
    std::vector<size_t> writes, reads; // instruction indices
  };
  std::unordered_map<uint64_t, Uses> uses;
  for (size_t i = 0; i < body.size(); ++i) {
    forEachReadOf(body[i], [&](const Reg &r) { uses[key(r)].reads.push_back(i); });
    for (const Operand &o : body[i].dst)
      if (o.kind == Operand::Kind::kReg)
        uses[key(o.reg)].writes.push_back(i);
  }
  auto inLoop = [&](size_t i) { return i > head && i < latch; };
  std::vector<Loop> innerLoops;
  for (const Loop &l : findLoops(body))
    if (l.head > head && l.latch < latch)
      innerLoops.push_back(l);
  auto isCopy = [](const Inst &in) {
    return in.op == Op::kMov && !in.guarded && in.dst.size() == 1 && in.src.size() == 1 &&
           in.dst[0].kind == Operand::Kind::kReg && in.src[0].kind == Operand::Kind::kReg &&
           in.dst[0].reg.kind == in.src[0].reg.kind;
  };
  // Registers that copies in the loop write: a v among them is a carried value passed on
  // (a permutation of the carried values), never renamed.
  std::unordered_set<uint64_t> copied;
  for (size_t j = head + 1; j < latch; ++j)
    if (isCopy(body[j]))
      copied.insert(key(body[j].dst[0].reg));
  std::unordered_map<uint64_t, Reg> rename; // v -> c
  std::vector<size_t> dead;
  for (size_t j = head + 1; j < latch; ++j) {
    if (!isCopy(body[j]))
      continue;
    Reg c = body[j].dst[0].reg, t = body[j].src[0].reg;
    const Uses &uc = uses[key(c)], &ut = uses[key(t)];
    // c: written in the loop by this copy only; t: one write (a copy), read here only.
    if (std::count_if(uc.writes.begin(), uc.writes.end(), inLoop) != 1 || ut.writes.size() != 1 ||
        ut.reads.size() != 1 || !inLoop(ut.writes[0]) || !isCopy(body[ut.writes[0]]))
      continue;
    size_t tCopy = ut.writes[0];
    Reg v = body[tCopy].src[0].reg;
    if (key(v) == key(c) || rename.count(key(v)) || copied.count(key(v)))
      continue;
    const Uses &uv = uses[key(v)];
    // The copies in order (t's, then c's), after every write of v.
    if (tCopy > j || std::any_of(uv.writes.begin(), uv.writes.end(), [&](size_t w) { return w > tCopy; }))
      continue;
    if (uv.writes.empty() || !std::all_of(uv.writes.begin(), uv.writes.end(), inLoop) ||
        !std::all_of(uv.reads.begin(), uv.reads.end(), inLoop))
      continue;
    size_t firstWrite = *std::min_element(uv.writes.begin(), uv.writes.end());
    // Inside a nested loop, everything from that loop's head on runs after the write
    // too (its later iterations): count from the outermost such head.
    size_t after = firstWrite;
    for (const Loop &inner : innerLoops)
      if (inner.head < after && firstWrite < inner.latch)
        after = inner.head;
    if (std::any_of(uv.reads.begin(), uv.reads.end(), [&](size_t r) { return r < firstWrite; }))
      continue;
    // No read of c in the loop after v's first write (that instruction reads first), and
    // none of v after the copies.
    if (std::any_of(uc.reads.begin(), uc.reads.end(), [&](size_t r) { return inLoop(r) && r > after; }) ||
        std::any_of(uv.reads.begin(), uv.reads.end(), [&](size_t r) { return r > tCopy; }))
      continue;
    rename[key(v)] = c;
    dead.push_back(tCopy);
    dead.push_back(j);
  }
  if (rename.empty())
    return 0;
  std::sort(dead.begin(), dead.end());
  for (size_t i = head + 1; i < latch; ++i) {
    Inst &in = body[i];
    auto apply = [&](Reg &r) {
      auto it = rename.find(key(r));
      if (it != rename.end())
        r = it->second;
    };
    forEachReadOf(in, apply);
    for (Operand &o : in.dst)
      if (o.kind == Operand::Kind::kReg)
        apply(o.reg);
  }
  for (size_t k = dead.size(); k-- > 0;)
    body.erase(body.begin() + std::ptrdiff_t(dead[k]));
  return rename.size();
}

} // namespace

size_t hoistLoopInvariants(Kernel &kernel) {
  splitRedefinitions(kernel);
  std::unordered_map<uint64_t, int> defs;
  for (const Inst &in : kernel.body)
    for (const Operand &o : in.dst)
      if (o.kind == Operand::Kind::kReg)
        ++defs[key(o.reg)];
  // Innermost loops first, so what leaves an inner loop can leave its outer loops too.
  size_t total = 0;
  for (const std::string &h : loopHeads(kernel.body))
    total += hoistOne(kernel.body, h, defs);
  return total;
}

size_t coalesceLoopCopies(Kernel &kernel) {
  // By label: each loop's erasures move the indices of the others.
  size_t total = 0;
  for (const std::string &h : loopHeads(kernel.body))
    total += coalesceOne(kernel.body, h);
  return total;
}

} // namespace tessel::cuda::ptx
