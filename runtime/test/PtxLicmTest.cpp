// Loop-invariant code motion and loop-carried copy coalescing on the structured PTX
// (cuda/PtxPasses.h): what leaves a loop and what stays, which copies go, checked on the
// instruction list, and the kernel's results before and after on the PTX simulator.
#include "cuda/PtxPasses.h"
#include "cuda/PtxSimulator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

namespace tessel::cuda::ptx {
namespace {

class Builder {
public:
  Kernel k;
  Builder() {
    k.name = "t";
    k.threads = 32;
  }
  Reg reg(RegKind kind) { return Reg{kind, k.numRegs[int(kind)]++}; }
  Inst &emit(Op op, Type type, std::vector<Operand> dst, std::vector<Operand> src) {
    Inst in;
    in.op = op;
    in.type = type;
    in.dst = std::move(dst);
    in.src = std::move(src);
    k.body.push_back(in);
    return k.body.back();
  }
  void label(const std::string &name) {
    Inst in;
    in.op = Op::kLabel;
    in.text = name;
    k.body.push_back(in);
  }
  void branch(const std::string &target, const Reg *pred = nullptr) {
    Inst &b = emit(Op::kBra, Type::kNone, {}, {Operand::label(target)});
    if (pred) {
      b.guarded = true;
      b.guard = *pred;
    }
  }
  /// `for (i = 0; i < n; ++i)` as the emitter writes it: mov, the head label, the exit
  /// test; endLoop closes it. Returns the exit test's predicate.
  Reg beginLoop(Reg i, Reg n, const std::string &head, const std::string &end) {
    emit(Op::kMov, Type::kB64, {Operand::r(i)}, {Operand::i(0)});
    label(head);
    Reg done = reg(RegKind::kPred);
    emit(Op::kSetp, Type::kS64, {Operand::r(done)}, {Operand::r(i), Operand::r(n)}).cmp = Cmp::kGe;
    branch(end, &done);
    return done;
  }
  void endLoop(Reg i, const std::string &head, const std::string &end) {
    emit(Op::kAdd, Type::kS64, {Operand::r(i)}, {Operand::r(i), Operand::i(1)});
    branch(head);
    label(end);
  }
  /// The parameters run() passes: out (u64), n (s64), x (s32).
  struct Params {
    Reg out, n, x;
  };
  Params params() {
    Reg out = param("out", Type::kU64, RegKind::kB64);
    Reg n = param("n", Type::kS64, RegKind::kB64);
    return {out, n, param("x", Type::kS32, RegKind::kB32)};
  }
  /// out[i * 32 + lane] = value (lane: a b32 register, or none for 0).
  void storeRow(Reg out, Reg i, std::optional<Reg> lane, Reg value) {
    Reg off = reg(RegKind::kB64), bytes = reg(RegKind::kB64), addr = reg(RegKind::kB64);
    if (lane) {
      Reg lane64 = reg(RegKind::kB64);
      emit(Op::kCvt, Type::kU64, {Operand::r(lane64)}, {Operand::r(*lane)}).type2 = Type::kU32;
      emit(Op::kMad, Type::kS64, {Operand::r(off)}, {Operand::r(i), Operand::i(32), Operand::r(lane64)});
    } else {
      emit(Op::kMul, Type::kS64, {Operand::r(off)}, {Operand::r(i), Operand::i(32)});
    }
    emit(Op::kShl, Type::kB64, {Operand::r(bytes)}, {Operand::r(off), Operand::i(2)});
    emit(Op::kAdd, Type::kS64, {Operand::r(addr)}, {Operand::r(out), Operand::r(bytes)});
    emit(Op::kSt, Type::kU32, {Operand::addr(addr)}, {Operand::r(value)}).space = Space::kGlobal;
  }
  /// The emitter's yield: `mov t_k, next_k` for every value, then `mov carried_k, t_k`;
  /// returns the temporaries.
  std::vector<Reg> passOn(const std::vector<Reg> &carried, const std::vector<Reg> &next) {
    std::vector<Reg> temps;
    for (Reg v : next) {
      temps.push_back(reg(RegKind::kB32));
      emit(Op::kMov, Type::kB32, {Operand::r(temps.back())}, {Operand::r(v)});
    }
    for (size_t k = 0; k < carried.size(); ++k)
      emit(Op::kMov, Type::kB32, {Operand::r(carried[k])}, {Operand::r(temps[k])});
    return temps;
  }
  Reg param(const std::string &name, Type type, RegKind kind) {
    k.params.push_back({name, type});
    Reg r = reg(kind);
    emit(Op::kLd, type, {Operand::r(r)}, {Operand::param(name)}).space = Space::kParam;
    return r;
  }
};

/// Index of the first instruction writing register `r`.
size_t defOf(const Kernel &k, Reg r) {
  for (size_t i = 0; i < k.body.size(); ++i)
    for (const Operand &o : k.body[i].dst)
      if (o.kind == Operand::Kind::kReg && o.reg == r)
        return i;
  return k.body.size();
}

size_t labelOf(const Kernel &k, const std::string &name) {
  for (size_t i = 0; i < k.body.size(); ++i)
    if (k.body[i].op == Op::kLabel && k.body[i].text == name)
      return i;
  return k.body.size();
}

/// out[i * 32 + tid] = ((x + 5) * tid + i) for i < n, with an if whose second arm (cold)
/// computes an invariant too, an inner loop that adds an invariant `x * 3` j times, and a
/// loop-carried sum.
struct Example {
  Builder b;
  Reg a0, a, bb, c, cold, inner, carried;
  Example() {
    Reg out = b.param("out", Type::kU64, RegKind::kB64);
    Reg n = b.param("n", Type::kS64, RegKind::kB64);
    Reg x = b.param("x", Type::kS32, RegKind::kB32);
    Reg tid = b.reg(RegKind::kB32);
    b.emit(Op::kMov, Type::kU32, {Operand::r(tid)}, {Operand::sp(Special::kTidX)});
    carried = b.reg(RegKind::kB32);
    b.emit(Op::kMov, Type::kB32, {Operand::r(carried)}, {Operand::i(0)});
    Reg i = b.reg(RegKind::kB64);
    b.beginLoop(i, n, "$head", "$end");
    // Invariant, written in place twice: mov then add.
    a = b.reg(RegKind::kB32);
    b.emit(Op::kMov, Type::kB32, {Operand::r(a)}, {Operand::r(x)});
    b.emit(Op::kAdd, Type::kS32, {Operand::r(a)}, {Operand::r(a), Operand::i(5)});
    bb = b.reg(RegKind::kB32);
    b.emit(Op::kMul, Type::kS32, {Operand::r(bb)}, {Operand::r(a), Operand::r(tid)});
    // Variant.
    Reg i32 = b.reg(RegKind::kB32);
    b.emit(Op::kCvt, Type::kU32, {Operand::r(i32)}, {Operand::r(i)}).type2 = Type::kU64;
    c = b.reg(RegKind::kB32);
    b.emit(Op::kAdd, Type::kS32, {Operand::r(c)}, {Operand::r(bb), Operand::r(i32)});
    // An if: the first arm runs, the second (cold) would compute x * 7.
    Reg never = b.reg(RegKind::kPred);
    b.emit(Op::kSetp, Type::kS32, {Operand::r(never)}, {Operand::r(x), Operand::r(x)}).cmp = Cmp::kNe;
    b.branch("$else", &never);
    b.branch("$join");
    b.label("$else");
    cold = b.reg(RegKind::kB32);
    b.emit(Op::kMul, Type::kS32, {Operand::r(cold)}, {Operand::r(x), Operand::i(7)});
    b.emit(Op::kAdd, Type::kS32, {Operand::r(c)}, {Operand::r(c), Operand::r(cold)});
    b.label("$join");
    // Inner loop: j from 0 to i, carried += x * 3 (invariant in both loops).
    Reg j = b.reg(RegKind::kB64);
    b.beginLoop(j, i, "$inner", "$inner_end");
    inner = b.reg(RegKind::kB32);
    b.emit(Op::kMul, Type::kS32, {Operand::r(inner)}, {Operand::r(x), Operand::i(3)});
    b.emit(Op::kAdd, Type::kS32, {Operand::r(carried)}, {Operand::r(carried), Operand::r(inner)});
    b.endLoop(j, "$inner", "$inner_end");
    // out[i * 32 + tid] = c + carried; the element offset in place: mov, mad, shl.
    Reg tid64 = b.reg(RegKind::kB64);
    b.emit(Op::kCvt, Type::kU64, {Operand::r(tid64)}, {Operand::r(tid)}).type2 = Type::kU32;
    Reg off = b.reg(RegKind::kB64);
    b.emit(Op::kMad, Type::kS64, {Operand::r(off)}, {Operand::r(i), Operand::i(32), Operand::r(tid64)});
    b.emit(Op::kShl, Type::kB64, {Operand::r(off)}, {Operand::r(off), Operand::i(2)});
    Reg addr = b.reg(RegKind::kB64);
    b.emit(Op::kAdd, Type::kS64, {Operand::r(addr)}, {Operand::r(out), Operand::r(off)});
    Reg sum = b.reg(RegKind::kB32);
    b.emit(Op::kAdd, Type::kS32, {Operand::r(sum)}, {Operand::r(c), Operand::r(carried)});
    b.emit(Op::kSt, Type::kU32, {Operand::addr(addr)}, {Operand::r(sum)}).space = Space::kGlobal;
    b.endLoop(i, "$head", "$end");
    b.emit(Op::kExit, Type::kNone, {}, {});
  }
};

std::vector<int32_t> run(const Kernel &k, int64_t n, int32_t x) {
  std::vector<int32_t> out(size_t(n) * 32, -1);
  SimLaunch launch;
  launch.kernel = &k;
  launch.params = {uint64_t(reinterpret_cast<uintptr_t>(out.data())), uint64_t(n), uint64_t(uint32_t(x))};
  uint64_t begin = reinterpret_cast<uintptr_t>(out.data());
  launch.memory.push_back({begin, begin + out.size() * 4, true});
  absl::Status status = simulate(launch);
  EXPECT_TRUE(status.ok()) << status;
  return out;
}

TEST(PtxLicm, MovesInvariantsOutOfLoopsAndKeepsResults) {
  Example e;
  Kernel before = e.b.k;
  Kernel after = e.b.k;
  size_t moved = hoistLoopInvariants(after);
  EXPECT_GT(moved, 0u);
  size_t head = labelOf(after, "$head"), inner = labelOf(after, "$inner");
  // x + 5 (written in place: split into two registers), times tid: before the loop.
  EXPECT_LT(defOf(after, e.bb), head);
  EXPECT_LT(defOf(after, e.a), head);
  // x * 3 leaves the inner loop and the outer one.
  EXPECT_LT(defOf(after, e.inner), head);
  // What changes per iteration stays; so does the cold arm and the carried sum.
  EXPECT_GT(defOf(after, e.c), head);
  EXPECT_GT(defOf(after, e.cold), head);
  size_t carriedWrites = 0;
  for (size_t i = head; i < after.body.size(); ++i)
    for (const Operand &o : after.body[i].dst)
      carriedWrites += o.kind == Operand::Kind::kReg && o.reg == e.carried;
  EXPECT_EQ(carriedWrites, 1u);
  EXPECT_LT(inner, after.body.size());
  for (int64_t n : {0, 1, 5})
    for (int32_t x : {0, 9, -4})
      EXPECT_EQ(run(before, n, x), run(after, n, x)) << "n " << n << " x " << x;
  std::vector<int32_t> got = run(after, 3, 9);
  // i = 2, tid = 7: (9 + 5) * 7 + 2 + carried (27 * (0 + 1 + 2)).
  EXPECT_EQ(got[2 * 32 + 7], 14 * 7 + 2 + 27 * 3);
}

TEST(PtxLicm, LeavesGuardedLoadsAndSharedWritesInPlace) {
  Builder b;
  Reg out = b.param("out", Type::kU64, RegKind::kB64);
  Reg n = b.param("n", Type::kS64, RegKind::kB64);
  Reg i = b.reg(RegKind::kB64);
  Reg done = b.beginLoop(i, n, "$head", "$end");
  Reg loaded = b.reg(RegKind::kB32);
  b.emit(Op::kLd, Type::kU32, {Operand::r(loaded)}, {Operand::addr(out)}).space = Space::kGlobal;
  Reg guarded = b.reg(RegKind::kB32);
  Inst &g = b.emit(Op::kMov, Type::kB32, {Operand::r(guarded)}, {Operand::i(1)});
  g.guarded = true;
  g.guard = done;
  b.endLoop(i, "$head", "$end");
  b.emit(Op::kExit, Type::kNone, {}, {});
  Kernel k = b.k;
  EXPECT_EQ(hoistLoopInvariants(k), 0u);
  EXPECT_GT(defOf(k, loaded), labelOf(k, "$head"));
  EXPECT_GT(defOf(k, guarded), labelOf(k, "$head"));
}

TEST(PtxLicm, MovedCodeComputesValuesBeforeReadingThem) {
  // In the body a reader comes before the (invariant) write of what it reads: both move,
  // the write first (the order they qualify in, not the body's).
  Builder b;
  Reg n = b.param("n", Type::kS64, RegKind::kB64);
  Reg x = b.param("x", Type::kS32, RegKind::kB32);
  Reg i = b.reg(RegKind::kB64);
  b.beginLoop(i, n, "$head", "$end");
  Reg a = b.reg(RegKind::kB32), d = b.reg(RegKind::kB32);
  b.emit(Op::kAdd, Type::kS32, {Operand::r(a)}, {Operand::r(d), Operand::i(1)});
  b.emit(Op::kMul, Type::kS32, {Operand::r(d)}, {Operand::r(x), Operand::i(2)});
  b.endLoop(i, "$head", "$end");
  b.emit(Op::kExit, Type::kNone, {}, {});
  Kernel k = b.k;
  EXPECT_EQ(hoistLoopInvariants(k), 2u);
  EXPECT_LT(defOf(k, d), defOf(k, a));
  EXPECT_LT(defOf(k, a), labelOf(k, "$head"));
}

TEST(PtxLicm, YieldedValuesLiveInTheCarriedRegisters) {
  // Three carried values a, b, c, passed on through temporaries as the emitter does:
  // a' = 3a (computed after a's last read: it may live in a), b' = a (a copy of a: left
  // alone), c' = c + 1 with c read again after it (left alone). out[i * 32 + tid] =
  // a + b + c + c. (With b' read from a at the latch, after a' is computed, a' could not
  // live in a either: see the next test.)
  Builder b;
  auto [out, n, x] = b.params();
  Reg tid = b.reg(RegKind::kB32);
  b.emit(Op::kMov, Type::kU32, {Operand::r(tid)}, {Operand::sp(Special::kTidX)});
  Reg ca = b.reg(RegKind::kB32), cb = b.reg(RegKind::kB32), cc = b.reg(RegKind::kB32);
  b.emit(Op::kMov, Type::kB32, {Operand::r(ca)}, {Operand::i(1)});
  b.emit(Op::kMov, Type::kB32, {Operand::r(cb)}, {Operand::i(2)});
  b.emit(Op::kMov, Type::kB32, {Operand::r(cc)}, {Operand::r(tid)});
  Reg i = b.reg(RegKind::kB64);
  b.beginLoop(i, n, "$head", "$end");
  Reg s1 = b.reg(RegKind::kB32), s2 = b.reg(RegKind::kB32), va = b.reg(RegKind::kB32), vc = b.reg(RegKind::kB32);
  Reg pa = b.reg(RegKind::kB32);
  b.emit(Op::kAdd, Type::kS32, {Operand::r(s1)}, {Operand::r(ca), Operand::r(cb)});
  b.emit(Op::kMov, Type::kB32, {Operand::r(pa)}, {Operand::r(ca)}); // b' = a, kept aside
  b.emit(Op::kMul, Type::kS32, {Operand::r(va)}, {Operand::r(ca), Operand::i(3)});
  b.emit(Op::kAdd, Type::kS32, {Operand::r(vc)}, {Operand::r(cc), Operand::i(1)});
  b.emit(Op::kAdd, Type::kS32, {Operand::r(s2)}, {Operand::r(s1), Operand::r(cc)});
  Reg s3 = b.reg(RegKind::kB32);
  b.emit(Op::kAdd, Type::kS32, {Operand::r(s3)}, {Operand::r(s2), Operand::r(cc)});
  b.storeRow(out, i, tid, s3);
  Reg ta = b.passOn({ca, cb, cc}, {va, pa, vc})[0];
  b.endLoop(i, "$head", "$end");
  b.emit(Op::kExit, Type::kNone, {}, {});
  Kernel before = b.k, after = b.k;
  hoistLoopInvariants(after);
  EXPECT_EQ(coalesceLoopCopies(after), 1u);
  // a' now computed into a: its two copies are gone, the other four stay.
  EXPECT_EQ(defOf(after, ta), after.body.size());
  auto copies = [](const Kernel &k) {
    return std::count_if(k.body.begin(), k.body.end(), [](const Inst &in) {
      return in.op == Op::kMov && in.src[0].kind == Operand::Kind::kReg;
    });
  };
  EXPECT_EQ(copies(before) - copies(after), 2);
  for (int64_t count : {0, 1, 4})
    EXPECT_EQ(run(before, count, 0), run(after, count, 0)) << count;
  std::vector<int32_t> got = run(after, 3, 0);
  // i = 2: a = 9, b = 3 (a of i = 1), c = tid + 2, twice.
  EXPECT_EQ(got[2 * 32 + 5], 9 + 3 + 2 * (5 + 2));
}

TEST(PtxLicm, KeepsCopiesWhenTheCarriedValueIsReadLater) {
  // a' = 3a, b' = a read at the latch (after a' is computed): a' must not live in a.
  Builder b;
  auto [out, n, x] = b.params();
  Reg ca = b.reg(RegKind::kB32), cb = b.reg(RegKind::kB32);
  b.emit(Op::kMov, Type::kB32, {Operand::r(ca)}, {Operand::i(1)});
  b.emit(Op::kMov, Type::kB32, {Operand::r(cb)}, {Operand::i(2)});
  Reg i = b.reg(RegKind::kB64);
  b.beginLoop(i, n, "$head", "$end");
  Reg va = b.reg(RegKind::kB32), sum = b.reg(RegKind::kB32);
  b.emit(Op::kMul, Type::kS32, {Operand::r(va)}, {Operand::r(ca), Operand::i(3)});
  b.emit(Op::kAdd, Type::kS32, {Operand::r(sum)}, {Operand::r(ca), Operand::r(cb)});
  b.storeRow(out, i, std::nullopt, sum);
  Reg ta = b.passOn({ca, cb}, {va, ca})[0];
  b.endLoop(i, "$head", "$end");
  b.emit(Op::kExit, Type::kNone, {}, {});
  Kernel before = b.k, after = b.k;
  hoistLoopInvariants(after);
  EXPECT_EQ(coalesceLoopCopies(after), 0u);
  EXPECT_LT(defOf(after, ta), after.body.size());
  for (int64_t count : {1, 5})
    EXPECT_EQ(run(before, count, 0), run(after, count, 0)) << count;
  // i = 2: a = 9, b = 3.
  EXPECT_EQ(run(after, 3, 0)[2 * 32], 12);
}

TEST(PtxLicm, KeepsCopiesOfValuesWrittenInAnInnerLoopThatReadsTheCarriedOne) {
  // v = c + 10 (+ 0 j) is written in an inner loop that reads c on every inner iteration
  // (its later iterations come after the write): v must not live in c.
  Builder b;
  auto [out, n, x] = b.params();
  Reg c = b.reg(RegKind::kB32), three = b.reg(RegKind::kB64);
  b.emit(Op::kMov, Type::kB32, {Operand::r(c)}, {Operand::i(1)});
  b.emit(Op::kMov, Type::kB64, {Operand::r(three)}, {Operand::i(3)});
  Reg i = b.reg(RegKind::kB64), j = b.reg(RegKind::kB64);
  b.beginLoop(i, n, "$head", "$end");
  Reg sum = b.reg(RegKind::kB32), v = b.reg(RegKind::kB32);
  b.emit(Op::kMov, Type::kB32, {Operand::r(sum)}, {Operand::i(0)});
  b.beginLoop(j, three, "$inner", "$inner_end");
  b.emit(Op::kAdd, Type::kS32, {Operand::r(sum)}, {Operand::r(sum), Operand::r(c)});
  Reg j32 = b.reg(RegKind::kB32); // (v depends on j: it stays in the inner loop)
  b.emit(Op::kCvt, Type::kU32, {Operand::r(j32)}, {Operand::r(j)}).type2 = Type::kU64;
  b.emit(Op::kMad, Type::kS32, {Operand::r(v)}, {Operand::r(j32), Operand::i(0), Operand::r(c)});
  b.emit(Op::kAdd, Type::kS32, {Operand::r(v)}, {Operand::r(v), Operand::i(10)});
  b.endLoop(j, "$inner", "$inner_end");
  b.storeRow(out, i, std::nullopt, sum);
  b.passOn({c}, {v});
  b.endLoop(i, "$head", "$end");
  b.emit(Op::kExit, Type::kNone, {}, {});
  Kernel before = b.k, after = b.k;
  hoistLoopInvariants(after);
  EXPECT_EQ(coalesceLoopCopies(after), 0u);
  EXPECT_EQ(run(before, 3, 0), run(after, 3, 0));
  // Outer iteration 2: c = 21, summed 3 times.
  EXPECT_EQ(run(after, 3, 0)[2 * 32], 63);
}

TEST(PtxLicm, CoalescesInEveryLoopOfAKernel) {
  // Two loops one after the other, the first with 6 carried values that coalesce (12
  // copies erased, more than the second loop's length), then one in the second.
  Builder b;
  auto [out, n, x] = b.params();
  auto loop = [&](int values, const std::string &name, std::vector<Reg> &carried) {
    for (int k = 0; k < values; ++k) {
      carried.push_back(b.reg(RegKind::kB32));
      b.emit(Op::kMov, Type::kB32, {Operand::r(carried.back())}, {Operand::i(k + 1)});
    }
    Reg i = b.reg(RegKind::kB64);
    b.beginLoop(i, n, "$" + name, "$" + name + "_end");
    std::vector<Reg> next;
    for (Reg c : carried) {
      next.push_back(b.reg(RegKind::kB32));
      b.emit(Op::kMul, Type::kS32, {Operand::r(next.back())}, {Operand::r(c), Operand::i(3)});
    }
    b.passOn(carried, next);
    b.endLoop(i, "$" + name, "$" + name + "_end");
  };
  std::vector<Reg> first, second;
  loop(6, "first", first);
  loop(1, "second", second);
  // out[k] = the first loop's values, out[6] = the second's.
  for (size_t k = 0; k < 7; ++k) {
    Reg addr = b.reg(RegKind::kB64);
    b.emit(Op::kAdd, Type::kS64, {Operand::r(addr)}, {Operand::r(out), Operand::i(int64_t(4 * k))});
    b.emit(Op::kSt, Type::kU32, {Operand::addr(addr)}, {Operand::r(k < 6 ? first[k] : second[0])}).space =
        Space::kGlobal;
  }
  b.emit(Op::kExit, Type::kNone, {}, {});
  Kernel before = b.k, after = b.k;
  EXPECT_EQ(coalesceLoopCopies(after), 7u);
  EXPECT_EQ(run(before, 2, 0), run(after, 2, 0));
  EXPECT_EQ(run(after, 2, 0)[6], 9); // 1 * 3 * 3
}

} // namespace
} // namespace tessel::cuda::ptx
