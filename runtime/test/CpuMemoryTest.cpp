// The CPU executor's memory spaces, data movement between threads, control flow and
// runtime errors.
#include "TestModules.h"

#include <random>

namespace tessel::test {
namespace {

absl::Status launch(const std::vector<uint8_t> &bytes, const std::string &name, vm::Grid grid,
                    const std::vector<vm::KernelArgument> &args, unsigned threads = 1) {
  auto program = vm::loadProgram(bytes.data(), bytes.size());
  if (!program.ok())
    return program.status();
  cpu::CpuBackend backend(cpu::CpuBackendOptions{threads});
  return backend.launch(**program, *(*program)->findFunction(name), grid, args);
}

template <class T>
vm::KernelArgument tensorArg(std::vector<T> &v, DType d, std::vector<int64_t> shape) {
  vm::KernelArgument a;
  a.isTensor = true;
  a.tensor.address = vm::DeviceAddress(reinterpret_cast<uintptr_t>(v.data()));
  a.tensor.extent = v.size() * sizeof(T);
  a.tensor.dtype = d;
  a.tensor.shape = std::move(shape);
  return a;
}

vm::KernelArgument indexArg(int64_t i) {
  vm::KernelArgument a;
  a.scalar.i = i;
  return a;
}

std::vector<uint16_t> iotaHalves(size_t n) {
  std::vector<uint16_t> v(n);
  for (size_t i = 0; i < n; ++i)
    v[i] = halfCode(float(i));
  return v;
}

TEST(CpuMemory, SharedRoundTripAndSwizzle) {
  ModuleBuilder mb;
  DType f16 = DType::f16();
  vm::Swizzle sw{3, 3, 3};
  uint32_t g = mb.gtensor({32, 64}, f16), gs = mb.gtensor({16, 32}, f16);
  uint32_t s3 = mb.stensor({2, 32, 64}, f16, sw), s2 = mb.stensor({32, 64}, f16, sw),
           plain = mb.stensor({2, 32, 64}, f16);
  uint32_t r1 = mb.rtensor(f16, "spatial(8,4).local(4,16)"),
           r2 = mb.rtensor(f16, "local(4,2).spatial(8,4).local(1,8)"),
           r3 = mb.rtensor(f16, "spatial(8,4).local(2,8)"),
           rFlat = mb.rtensor(f16, "spatial(8,4).local(8,16)");
  FunctionBuilder k = mb.kernel("k", 1, 8192);
  uint32_t x = k.arg(g), y = k.arg(g), sub = k.arg(gs), raw = k.arg(mb.gtensor({64, 64}, f16));
  uint32_t c0 = k.constantIndex(0), c1 = k.constantIndex(1), c16 = k.constantIndex(16),
           c32 = k.constantIndex(32);
  uint32_t s = k.op1(Opcode::AllocShared, {}, s3, {intAttr("offset", 0)});
  uint32_t alias = k.op1(Opcode::AllocShared, {}, plain, {intAttr("offset", 0)});
  uint32_t slice = k.op1(Opcode::SharedSlice, {s, c1}, s2);
  uint32_t t = k.op1(Opcode::LoadGlobal, {x, c0, c0}, r1);
  k.op(Opcode::StoreShared, {t, slice, c0, c0});
  k.op(Opcode::Sync, {});
  uint32_t u = k.op1(Opcode::LoadShared, {slice, c0, c0}, r2);
  k.op(Opcode::StoreGlobal, {u, y, c0, c0});
  uint32_t v = k.op1(Opcode::LoadShared, {slice, c16, c32}, r3);
  k.op(Opcode::StoreGlobal, {v, sub, c0, c0});
  // The same bytes through an unswizzled alias: stage 1 in physical order.
  uint32_t w = k.op1(Opcode::LoadShared, {alias, c1, c0, c0},
                     mb.rtensor(f16, "spatial(1,8,4).local(1,4,16)"));
  (void)rFlat;
  uint32_t wFlat = k.op1(Opcode::View, {w}, r1);
  k.op(Opcode::StoreGlobal, {wFlat, raw, c0, c0});
  k.ret();
  std::vector<uint16_t> xs = iotaHalves(32 * 64), ys(32 * 64), subs(16 * 32), raws(64 * 64);
  ASSERT_TRUE(launch(mb.finish(), "k", {},
                     {tensorArg(xs, f16, {32, 64}), tensorArg(ys, f16, {32, 64}),
                      tensorArg(subs, f16, {16, 32}), tensorArg(raws, f16, {64, 64})})
                  .ok());
  EXPECT_EQ(ys, xs);
  for (int i = 0; i < 16; ++i)
    for (int j = 0; j < 32; ++j)
      ASSERT_EQ(subs[size_t(i * 32 + j)], xs[size_t((16 + i) * 64 + 32 + j)]);
  // raw holds stage 1 as stored: element e of the stage sits at swizzle(2048 + e) - 2048.
  for (int64_t e = 0; e < 32 * 64; ++e) {
    int64_t physical = sw.apply(2048 + e) - 2048;
    ASSERT_EQ(raws[size_t(physical)], xs[size_t(e)]) << e;
  }
}

TEST(CpuMemory, SharedIndexOutOfRangeIsAnError) {
  ModuleBuilder mb;
  uint32_t idx = mb.index();
  uint32_t st = mb.stensor({4, 32}, DType::f32()), row = mb.stensor({32}, DType::f32());
  FunctionBuilder k = mb.kernel("k", 1, 512);
  uint32_t i = k.arg(idx);
  uint32_t s = k.op1(Opcode::AllocShared, {}, st, {intAttr("offset", 0)});
  uint32_t r = k.op1(Opcode::SharedSlice, {s, i}, row);
  uint32_t c0 = k.constantIndex(0);
  k.op1(Opcode::LoadShared, {r, c0}, mb.rtensor(DType::f32(), "spatial(32)"));
  uint32_t t = k.op1(Opcode::LoadShared, {s, i, c0}, mb.rtensor(DType::f32(), "spatial(2,16)"));
  (void)t;
  k.ret();
  std::vector<uint8_t> module = mb.finish();
  EXPECT_TRUE(launch(module, "k", {}, {indexArg(2)}).ok());
  absl::Status s1 = launch(module, "k", {}, {indexArg(4)});
  EXPECT_NE(s1.message().find("outside the shared tile"), std::string::npos) << s1;
  absl::Status s2 = launch(module, "k", {}, {indexArg(3)});
  EXPECT_NE(s2.message().find("reaches outside the shared tile"), std::string::npos) << s2;
}

TEST(CpuMemory, BroadcastShuffleIotaWhere) {
  ModuleBuilder mb;
  DType f32 = DType::f32(), i32 = DType::signlessInt(32);
  vm::Layout l = layoutOf("spatial(4,8).local(1,8)");
  uint32_t g = mb.gtensor({4, 64}, f32);
  uint32_t r = mb.rtensor(f32, l), rr = mb.rtensor(f32, l.reduce(1)),
           other = mb.rtensor(f32, "local(2,1).spatial(2,16).local(1,4)"), ri = mb.rtensor(i32, l),
           bits = mb.rtensor(DType::signlessInt(1), l);
  FunctionBuilder k = mb.kernel("k", 1);
  uint32_t x = k.arg(g), y = k.arg(g), z = k.arg(g), col = k.arg(mb.gtensor({4, 64}, i32));
  uint32_t c0 = k.constantIndex(0);
  uint32_t t = k.op1(Opcode::LoadGlobal, {x, c0, c0}, r);
  uint32_t m = k.op1(Opcode::Reduce, {t}, rr, {intAttr("kind", 1), intAttr("dimension", 1)});
  uint32_t b = k.op1(Opcode::Broadcast, {m}, r);
  uint32_t d = k.op1(Opcode::Binary, {t, b}, r, {intAttr("kind", 1)});
  uint32_t shuffled = k.op1(Opcode::Shuffle, {d}, other);
  k.op(Opcode::StoreGlobal, {shuffled, y, c0, c0});
  uint32_t j = k.op1(Opcode::Iota, {}, ri, {intAttr("dimension", 1)});
  k.op(Opcode::StoreGlobal, {j, col, c0, c0});
  // z = j < 32 ? x : -1
  uint32_t c32 = k.constantInt(mb.scalar(i32), 32);
  uint32_t lt = k.op1(Opcode::Compare, {j, c32}, bits, {intAttr("predicate", 2)});
  uint32_t minus1 = k.constantFloat(mb.scalar(f32), -1.0);
  uint32_t w = k.op1(Opcode::Where, {lt, t, minus1}, r);
  k.op(Opcode::StoreGlobal, {w, z, c0, c0});
  k.ret();
  std::vector<float> xs(256), ys(256), zs(256);
  std::vector<int32_t> cols(256);
  std::mt19937 rng(2);
  for (float &v : xs)
    v = float(rng() % 1000) / 8;
  ASSERT_TRUE(launch(mb.finish(), "k", {},
                     {tensorArg(xs, f32, {4, 64}), tensorArg(ys, f32, {4, 64}),
                      tensorArg(zs, f32, {4, 64}), tensorArg(cols, i32, {4, 64})})
                  .ok());
  for (int i = 0; i < 4; ++i) {
    float mx = *std::max_element(xs.begin() + i * 64, xs.begin() + i * 64 + 64);
    for (int jj = 0; jj < 64; ++jj) {
      size_t e = size_t(i * 64 + jj);
      EXPECT_EQ(ys[e], xs[e] - mx);
      EXPECT_EQ(cols[e], jj);
      EXPECT_EQ(zs[e], jj < 32 ? xs[e] : -1.0f);
    }
  }
}

TEST(CpuMemory, BroadcastFromAnotherThreadIsAnError) {
  ModuleBuilder mb;
  uint32_t src = mb.rtensor(DType::f32(), "replicate(8).spatial(4,1)");
  uint32_t dst = mb.rtensor(DType::f32(), "spatial(4,8).local(1,8)");
  FunctionBuilder k = mb.kernel("k", 1);
  uint32_t a = k.op1(Opcode::AllocRegs, {}, src);
  k.op1(Opcode::Broadcast, {a}, dst);
  k.ret();
  absl::Status s = launch(mb.finish(), "k", {}, {});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("does not hold"), std::string::npos) << s;
}

TEST(CpuMemory, LookupFromRegistersAndShared) {
  ModuleBuilder mb;
  DType f32 = DType::f32(), i8 = DType::signlessInt(8);
  const char *line = "spatial(32).local(8)";
  uint32_t gt = mb.gtensor({16}, f32), gi = mb.gtensor({256}, i8), go = mb.gtensor({256}, f32);
  uint32_t rt = mb.rtensor(f32, "local(16).replicate(32)"),
           rs = mb.rtensor(f32, "spatial(16).replicate(2)"), ri = mb.rtensor(i8, line),
           ro = mb.rtensor(f32, line);
  FunctionBuilder k = mb.kernel("k", 1, 64);
  uint32_t T = k.arg(gt), I = k.arg(gi), O1 = k.arg(go), O2 = k.arg(go);
  uint32_t c0 = k.constantIndex(0);
  uint32_t table = k.op1(Opcode::LoadGlobal, {T, c0}, rt);
  uint32_t indices = k.op1(Opcode::LoadGlobal, {I, c0}, ri);
  k.op(Opcode::StoreGlobal, {k.op1(Opcode::Lookup, {table, indices}, ro), O1, c0});
  uint32_t s = k.op1(Opcode::AllocShared, {}, mb.stensor({16}, f32), {intAttr("offset", 0)});
  k.op(Opcode::StoreShared, {k.op1(Opcode::LoadGlobal, {T, c0}, rs), s, c0});
  k.op(Opcode::StoreGlobal, {k.op1(Opcode::Lookup, {s, indices}, ro), O2, c0});
  k.ret();
  std::vector<float> tv(16), o1(256), o2(256);
  for (int i = 0; i < 16; ++i)
    tv[size_t(i)] = float(i * i) + 0.5f;
  std::vector<int8_t> iv(256);
  for (int i = 0; i < 256; ++i)
    iv[size_t(i)] = int8_t(i % 20 - 2); // -2..17: some out of range
  ASSERT_TRUE(launch(mb.finish(), "k", {},
                     {tensorArg(tv, f32, {16}), tensorArg(iv, i8, {256}), tensorArg(o1, f32, {256}),
                      tensorArg(o2, f32, {256})})
                  .ok());
  for (int i = 0; i < 256; ++i) {
    int j = iv[size_t(i)];
    float expected = j >= 0 && j < 16 ? tv[size_t(j)] : 0.0f;
    EXPECT_EQ(o1[size_t(i)], expected) << i;
    EXPECT_EQ(o2[size_t(i)], expected) << i;
  }
}

TEST(CpuMemory, ControlFlowExitAndScalarErrors) {
  ModuleBuilder mb;
  DType i32 = DType::signlessInt(32);
  uint32_t idx = mb.index(), i1 = mb.scalar(DType::signlessInt(1)), si32 = mb.scalar(i32);
  uint32_t one = mb.rtensor(i32, "spatial(1).replicate(32)");
  FunctionBuilder k = mb.kernel("k", 1);
  uint32_t y = k.arg(mb.gtensor({-1}, i32)), divisor = k.arg(idx);
  uint32_t b = k.op1(Opcode::BlockIdx, {}, idx, {intAttr("dim", 0)});
  uint32_t c0 = k.constantIndex(0), c1 = k.constantIndex(1);
  uint32_t isOne = k.op1(Opcode::CmpI, {b, c1}, i1, {intAttr("predicate", 0)});
  k.beginRegion();
  k.op(Opcode::Exit, {});
  k.op(Opcode::Yield, {});
  TRegion then = k.endRegion();
  k.beginRegion();
  TRegion otherwise = k.endRegion();
  k.op(Opcode::If, {isOne}, {}, {}, {std::move(then), std::move(otherwise)});
  uint32_t q = k.op1(Opcode::DivSI, {b, divisor}, idx);
  uint32_t ub = k.op1(Opcode::AddI, {q, c1}, idx);
  uint32_t iv = k.value(idx), acc = k.value(idx);
  k.beginRegion({iv, acc});
  uint32_t next = k.op1(Opcode::AddI, {acc, iv}, idx);
  k.op(Opcode::Yield, {next});
  TRegion body = k.endRegion();
  uint32_t sum = k.op(Opcode::For, {c0, ub, c1, c0}, {idx}, {}, {std::move(body)})[0];
  uint32_t v = k.op1(Opcode::IndexCast, {sum}, si32);
  uint32_t t = k.op1(Opcode::AllocRegs, {v}, one);
  k.op(Opcode::StoreGlobal, {t, y, b});
  k.ret();
  std::vector<uint8_t> module = mb.finish();
  std::vector<int32_t> ys(4, -7);
  ASSERT_TRUE(launch(module, "k", {4, 1, 1}, {tensorArg(ys, i32, {4}), indexArg(1)}, 2).ok());
  EXPECT_EQ(ys, (std::vector<int32_t>{0, -7, 3, 6}));
  absl::Status s = launch(module, "k", {4, 1, 1}, {tensorArg(ys, i32, {4}), indexArg(0)}, 2);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("arith.divsi): division by zero"), std::string::npos) << s;
  EXPECT_NE(s.message().find("block (0, 0, 0)"), std::string::npos) << s;
}

TEST(CpuMemory, AtomicAddAcrossBlocks) {
  ModuleBuilder mb;
  uint32_t g32 = mb.gtensor({2}, DType::f32()), gi = mb.gtensor({2}, DType::signlessInt(32)),
           g16 = mb.gtensor({2}, DType::f16());
  FunctionBuilder k = mb.kernel("k", 1);
  uint32_t a = k.arg(g32), b = k.arg(gi), c = k.arg(g16);
  uint32_t c0 = k.constantIndex(0);
  const char *layout = "spatial(2).replicate(16)";
  uint32_t fa = k.op1(Opcode::AllocRegs, {k.constantFloat(mb.scalar(DType::f32()), 0.5)},
                      mb.rtensor(DType::f32(), layout));
  uint32_t ia = k.op1(Opcode::AllocRegs, {k.constantInt(mb.scalar(DType::signlessInt(32)), 3)},
                      mb.rtensor(DType::signlessInt(32), layout));
  uint32_t ha = k.op1(Opcode::AllocRegs, {k.constantFloat(mb.scalar(DType::f16()), 1.0)},
                      mb.rtensor(DType::f16(), layout));
  k.op(Opcode::AtomicAdd, {fa, a, c0});
  k.op(Opcode::AtomicAdd, {ia, b, c0});
  k.op(Opcode::AtomicAdd, {ha, c, c0});
  k.ret();
  std::vector<float> fs(2);
  std::vector<int32_t> is(2);
  std::vector<uint16_t> hs(2);
  ASSERT_TRUE(launch(mb.finish(), "k", {100, 3, 1},
                     {tensorArg(fs, DType::f32(), {2}), tensorArg(is, DType::signlessInt(32), {2}),
                      tensorArg(hs, DType::f16(), {2})},
                     2)
                  .ok());
  // Each element once per block, whatever its replication.
  EXPECT_EQ(fs, (std::vector<float>{150.0f, 150.0f}));
  EXPECT_EQ(is, (std::vector<int32_t>{900, 900}));
  EXPECT_EQ(halfValue(hs[0]), 300.0f);
}

// A host function over constants: z = x + w, with w a module constant; and a kernel that
// writes into the constant, which is an error.
TEST(CpuMemory, ConstantsAreReadOnly) {
  ModuleBuilder mb;
  uint32_t idx = mb.index();
  uint32_t g = mb.gtensor({8}, DType::f32());
  uint32_t r = mb.rtensor(DType::f32(), "spatial(8).replicate(4)");
  std::vector<float> w = {1, 2, 3, 4, 5, 6, 7, 8};
  std::vector<uint8_t> wBytes(32);
  std::memcpy(wBytes.data(), w.data(), 32);
  mb.constant("w", g, wBytes);
  for (bool writeConstant : {false, true}) {
    FunctionBuilder k = mb.kernel(writeConstant ? "bad" : "add", 1);
    uint32_t x = k.arg(g), wt = k.arg(g), z = k.arg(g);
    uint32_t c0 = k.constantIndex(0);
    uint32_t s =
        k.op1(Opcode::Binary,
              {k.op1(Opcode::LoadGlobal, {x, c0}, r), k.op1(Opcode::LoadGlobal, {wt, c0}, r)}, r,
              {intAttr("kind", 0)});
    k.op(Opcode::StoreGlobal, {s, writeConstant ? wt : z, c0});
    k.ret();
  }
  for (bool writeConstant : {false, true}) {
    FunctionBuilder h = mb.host(writeConstant ? "bad_main" : "main", {g});
    uint32_t x = h.arg(g, "x");
    uint32_t wt = h.op1(Opcode::GetGlobal, {}, g, {symbolAttr("name", "w")});
    uint32_t z = h.op1(Opcode::AllocGlobal, {}, g);
    uint32_t c1 = h.constantIndex(1);
    h.op(Opcode::Launch, {c1, c1, c1, x, wt, z}, {},
         {symbolAttr("kernel", writeConstant ? "bad" : "add")});
    h.ret({z});
  }
  (void)idx;
  std::vector<uint8_t> module = mb.finish();
  std::vector<float> x = {10, 20, 30, 40, 50, 60, 70, 80};
  auto out = runModule(module, "main", {tensorRef(DType::f32(), {8}, x)});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(elementsOf<float>((*out)[0]), (std::vector<float>{11, 22, 33, 44, 55, 66, 77, 88}));
  auto bad = runModule(module, "bad_main", {tensorRef(DType::f32(), {8}, x)});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("writes a constant"), std::string::npos) << bad.status();
  EXPECT_NE(bad.status().message().find("tbvm.launch) 'bad'"), std::string::npos) << bad.status();
}

TEST(CpuMemory, GlobalViewAndOutOfBoundsTiles) {
  ModuleBuilder mb;
  DType u8 = DType::unsignedInt(8), u4 = DType::unsignedInt(4), f32 = DType::f32();
  uint32_t idx = mb.index();
  FunctionBuilder k = mb.kernel("k", 1);
  uint32_t bytes = k.arg(mb.gtensor({20}, u8)), nibbles = k.arg(mb.gtensor({32}, u4)),
           n = k.arg(idx), x = k.arg(mb.gtensor({8}, f32)), y = k.arg(mb.gtensor({8}, f32)),
           off = k.arg(idx);
  uint32_t c0 = k.constantIndex(0), c4 = k.constantIndex(4);
  uint32_t view = k.op1(Opcode::GlobalView, {bytes, c4, n}, mb.gtensor({-1}, u4));
  uint32_t t = k.op1(Opcode::LoadGlobal, {view, c0}, mb.rtensor(u4, "spatial(32)"));
  k.op(Opcode::StoreGlobal, {t, nibbles, c0});
  uint32_t rf = mb.rtensor(f32, "spatial(8).replicate(4)");
  uint32_t v = k.op1(Opcode::LoadGlobal, {x, off}, rf);
  k.op(Opcode::StoreGlobal, {v, y, off});
  k.ret();
  std::vector<uint8_t> module = mb.finish();
  std::vector<uint8_t> src(20), dst(16);
  for (size_t i = 0; i < 20; ++i)
    src[i] = uint8_t(i * 37 + 1);
  std::vector<float> xs = {1, 2, 3, 4, 5, 6, 7, 8}, ys(8, -1);
  auto args = [&](int64_t count, int64_t offset) {
    return std::vector<vm::KernelArgument>{tensorArg(src, u8, {20}), tensorArg(dst, u4, {32}),
                                           indexArg(count),          tensorArg(xs, f32, {8}),
                                           tensorArg(ys, f32, {8}),  indexArg(offset)};
  };
  ASSERT_TRUE(launch(module, "k", {}, args(32, -3)).ok());
  EXPECT_EQ(dst, std::vector<uint8_t>(src.begin() + 4, src.end()));
  // load x[-3..4] and store it at y[-3..4]: only y[0..4] is written, with x[0..4].
  EXPECT_EQ(ys, (std::vector<float>{1, 2, 3, 4, 5, -1, -1, -1}));
  ASSERT_TRUE(launch(module, "k", {}, args(20, 6)).ok()); // a view of 20 nibbles: the tail reads 0
  EXPECT_EQ(dst[9], src[13]);
  EXPECT_EQ(dst[10], 0);
  EXPECT_EQ(dst[15], 0);
  absl::Status s = launch(module, "k", {}, args(33, 0));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("does not fit in the 20 bytes"), std::string::npos) << s;
}

TEST(CpuMemory, PrintWritesToStderr) {
  ModuleBuilder mb;
  FunctionBuilder k = mb.kernel("k", 1);
  uint32_t c = k.constantIndex(42);
  k.op(Opcode::Print, {c}, {}, {stringAttr("label", "answer")});
  uint32_t t =
      k.op1(Opcode::Iota, {}, mb.rtensor(DType::signlessInt(32), "spatial(4).replicate(8)"),
            {intAttr("dimension", 0)});
  k.op(Opcode::Print, {t}, {}, {stringAttr("label", "iota")});
  k.ret();
  testing::internal::CaptureStderr();
  ASSERT_TRUE(launch(mb.finish(), "k", {}, {}).ok());
  std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("answer (block 0, 0, 0): 42"), std::string::npos) << err;
  EXPECT_NE(err.find("iota (block 0, 0, 0): [0, 1, 2, 3]"), std::string::npos) << err;
}

} // namespace
} // namespace tessel::test
