// The CPU executor instruction by instruction: numerics against the codec library and
// plain C++ references, layouts, memory spaces, control flow and runtime errors.
#include "TestModules.h"

#include <cmath>
#include <random>

namespace tessel::test {
namespace {

// Runs kernel `name` of `bytes` directly on the CPU backend.
absl::Status launch(const std::vector<uint8_t> &bytes, const std::string &name, vm::Grid grid,
                    const std::vector<vm::KernelArgument> &args, unsigned threads = 1) {
  auto program = vm::loadProgram(bytes.data(), bytes.size());
  if (!program.ok())
    return program.status();
  std::optional<uint32_t> k = (*program)->findFunction(name);
  if (!k)
    return absl::NotFoundError(name);
  cpu::CpuBackend backend(cpu::CpuBackendOptions{threads});
  return backend.launch(**program, *k, grid, args);
}

template <class T>
vm::KernelArgument tensorArg(std::vector<T> &v, DType d, std::vector<int64_t> shape,
                             bool readOnly = false) {
  vm::KernelArgument a;
  a.isTensor = true;
  a.tensor.address = vm::DeviceAddress(reinterpret_cast<uintptr_t>(v.data()));
  a.tensor.extent = v.size() * sizeof(T);
  a.tensor.dtype = d;
  a.tensor.shape = std::move(shape);
  a.tensor.readOnly = readOnly;
  return a;
}

constexpr const char *kLine = "spatial(32).local(8)"; // 256 elements on one warp

// kernel(x, y, z: gtensor<256>) { z = op(x, y) } for an elementwise opcode with attrs.
std::vector<uint8_t> elementwiseKernel(Opcode opcode, std::vector<TAttr> attrs, DType in, DType out,
                                       int operands = 2) {
  ModuleBuilder mb;
  uint32_t gi = mb.gtensor({256}, in), go = mb.gtensor({256}, out);
  uint32_t ri = mb.rtensor(in, kLine), ro = mb.rtensor(out, kLine);
  FunctionBuilder k = mb.kernel("k", 1);
  std::vector<uint32_t> xs;
  for (int i = 0; i < operands; ++i)
    xs.push_back(k.arg(gi));
  uint32_t z = k.arg(go);
  uint32_t c0 = k.constantIndex(0);
  std::vector<uint32_t> tiles;
  for (uint32_t x : xs)
    tiles.push_back(k.op1(Opcode::LoadGlobal, {x, c0}, ri));
  uint32_t r = k.op1(opcode, tiles, ro, std::move(attrs));
  k.op(Opcode::StoreGlobal, {r, z, c0});
  k.ret();
  return mb.finish();
}

// Interesting f16 codes: zeros, subnormals, normals, max, inf, NaN, and random ones.
std::vector<uint16_t> halfCodes(uint32_t seed) {
  std::vector<uint16_t> v = {0x0000, 0x8000, 0x0001, 0x03FF, 0x0400, 0x3C00, 0xBC00, 0x7BFF,
                             0xFBFF, 0x7C00, 0xFC00, 0x7E00, 0x3555, 0x0200, 0x8001, 0x5BFF};
  std::mt19937 rng(seed);
  while (v.size() < 256)
    v.push_back(uint16_t(rng()));
  return v;
}

// `n` pseudo-random bytes.
std::vector<uint8_t> randomBytes(size_t n, uint32_t seed) {
  std::vector<uint8_t> v(n);
  std::mt19937 rng(seed);
  for (uint8_t &b : v)
    b = uint8_t(rng());
  return v;
}

bool sameHalf(uint16_t a, uint16_t b) {
  bool nanA = vm::isNan(DType::f16(), a), nanB = vm::isNan(DType::f16(), b);
  return nanA || nanB ? nanA == nanB : a == b;
}

TEST(CpuOps, HalfArithmeticRoundsOnce) {
  std::vector<uint16_t> x = halfCodes(1), y = halfCodes(2), z(256);
  for (int kind = 0; kind <= 5; ++kind) {
    ASSERT_TRUE(launch(elementwiseKernel(Opcode::Binary, {intAttr("kind", kind)}, DType::f16(),
                                         DType::f16()),
                       "k", {},
                       {tensorArg(x, DType::f16(), {256}), tensorArg(y, DType::f16(), {256}),
                        tensorArg(z, DType::f16(), {256})})
                    .ok());
    for (size_t i = 0; i < 256; ++i) {
      double a = vm::decode(DType::f16(), x[i]), b = vm::decode(DType::f16(), y[i]);
      double exact = kind == 0       ? a + b
                     : kind == 1     ? a - b
                     : kind == 2     ? a * b
                     : kind == 3     ? a / b
                     : std::isnan(a) ? b
                     : std::isnan(b) ? a
                     : kind == 4     ? std::max(a, b)
                                     : std::min(a, b);
      uint16_t expected = uint16_t(vm::encode(DType::f16(), exact, vm::Overflow::kIeee));
      ASSERT_TRUE(sameHalf(z[i], expected)) << "kind " << kind << ": " << a << ", " << b << " gave "
                                            << std::hex << z[i] << " expected " << expected;
    }
  }
}

TEST(CpuOps, FmaRoundsOnce) {
  ModuleBuilder mb;
  std::vector<uint16_t> x = halfCodes(3), y = halfCodes(4), c = halfCodes(5), z(256);
  ASSERT_TRUE(launch(elementwiseKernel(Opcode::Fma, {}, DType::f16(), DType::f16(), 3), "k", {},
                     {tensorArg(x, DType::f16(), {256}), tensorArg(y, DType::f16(), {256}),
                      tensorArg(c, DType::f16(), {256}), tensorArg(z, DType::f16(), {256})})
                  .ok());
  for (size_t i = 0; i < 256; ++i) {
    double exact = vm::decode(DType::f16(), x[i]) * vm::decode(DType::f16(), y[i]) +
                   vm::decode(DType::f16(), c[i]); // exact in double for f16 inputs
    ASSERT_TRUE(sameHalf(z[i], uint16_t(vm::encode(DType::f16(), exact, vm::Overflow::kIeee))))
        << i;
  }
  std::mt19937 rng(7);
  std::vector<float> a(256), b(256), d(256), out(256);
  for (size_t i = 0; i < 256; ++i) {
    a[i] = std::ldexp(float(rng() % 100000) - 50000, -int(rng() % 20));
    b[i] = std::ldexp(float(rng() % 100000) - 50000, -int(rng() % 20));
    d[i] = std::ldexp(float(rng() % 100000) - 50000, -int(rng() % 30));
  }
  ASSERT_TRUE(launch(elementwiseKernel(Opcode::Fma, {}, DType::f32(), DType::f32(), 3), "k", {},
                     {tensorArg(a, DType::f32(), {256}), tensorArg(b, DType::f32(), {256}),
                      tensorArg(d, DType::f32(), {256}), tensorArg(out, DType::f32(), {256})})
                  .ok());
  for (size_t i = 0; i < 256; ++i)
    ASSERT_EQ(out[i], std::fma(a[i], b[i], d[i])) << i;
}

TEST(CpuOps, IntegerArithmeticWraps) {
  std::mt19937 rng(9);
  for (DType d : {DType::signlessInt(8), DType::unsignedInt(8), DType::signedInt(32)}) {
    std::vector<int32_t> x(256), y(256), z(256);
    unsigned w = d.bits();
    for (size_t i = 0; i < 256; ++i) {
      x[i] = int32_t(vm::intToCode(int64_t(rng()), w));
      y[i] = int32_t(vm::intToCode(int64_t(rng() % 13) - (d.isSignedInteger() ? 6 : 0), w));
      if (vm::intCodeValue(uint32_t(y[i]), w, d.isSignedInteger()) == 0)
        y[i] = 1;
    }
    // Elements of 8-bit types are stored one per byte; widen through i32 tensors is not
    // possible, so store them as bytes.
    for (int kind : {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}) {
      std::vector<uint8_t> bx(256 * w / 8), by(256 * w / 8), bz(256 * w / 8);
      for (size_t i = 0; i < 256; ++i) {
        std::memcpy(&bx[i * w / 8], &x[i], w / 8);
        std::memcpy(&by[i * w / 8], &y[i], w / 8);
      }
      ASSERT_TRUE(
          launch(elementwiseKernel(Opcode::Binary, {intAttr("kind", kind)}, d, d), "k", {},
                 {tensorArg(bx, d, {256}), tensorArg(by, d, {256}), tensorArg(bz, d, {256})})
              .ok());
      bool s = d.isSignedInteger();
      for (size_t i = 0; i < 256; ++i) {
        uint32_t cx = 0, cy = 0, cz = 0;
        std::memcpy(&cx, &bx[i * w / 8], w / 8);
        std::memcpy(&cy, &by[i * w / 8], w / 8);
        std::memcpy(&cz, &bz[i * w / 8], w / 8);
        int64_t a = vm::intCodeValue(cx, w, s), b = vm::intCodeValue(cy, w, s);
        int64_t e;
        switch (kind) {
        case 0: e = a + b; break;
        case 1: e = a - b; break;
        case 2: e = a * b; break;
        case 3: e = a / b; break;
        case 4: e = std::max(a, b); break;
        case 5: e = std::min(a, b); break;
        case 6: e = a % b; break;
        case 7: e = a & b; break;
        case 8: e = a | b; break;
        case 9: e = a ^ b; break;
        case 10: e = cy >= w ? 0 : int64_t(uint64_t(cx) << cy); break;
        default: e = cy >= w ? (a < 0 ? -1 : 0) : a >> cy; break;
        }
        ASSERT_EQ(cz, vm::intToCode(e, w))
            << d.name() << " kind " << kind << ": " << a << ", " << b;
      }
    }
  }
}

TEST(CpuOps, IntegerDivisionByZeroIsAnError) {
  std::vector<int32_t> x(256, 7), y(256, 1), z(256);
  y[100] = 0;
  absl::Status s = launch(elementwiseKernel(Opcode::Binary, {intAttr("kind", 3)},
                                            DType::signlessInt(32), DType::signlessInt(32)),
                          "k", {},
                          {tensorArg(x, DType::signlessInt(32), {256}),
                           tensorArg(y, DType::signlessInt(32), {256}),
                           tensorArg(z, DType::signlessInt(32), {256})});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("division by zero"), std::string::npos) << s;
  EXPECT_NE(s.message().find("block (0, 0, 0)"), std::string::npos) << s;
}

TEST(CpuOps, CastsFollowTheCodecs) {
  std::vector<float> x(256);
  std::mt19937 rng(11);
  for (size_t i = 0; i < 256; ++i)
    x[i] = std::ldexp(float(int(rng() % 2001) - 1000), int(rng() % 40) - 25);
  x[0] = std::numeric_limits<float>::quiet_NaN();
  x[1] = std::numeric_limits<float>::infinity();
  x[2] = 1e30f;
  for (DType to : {DType::f16(), DType::bf16(), DType::namedFloat(vm::FloatName::kF4E2M1FN),
                   DType::namedFloat(vm::FloatName::kF8E4M3FN), DType::signlessInt(8),
                   DType::unsignedInt(4), DType::lowpFloat(3, 2)}) {
    std::vector<uint8_t> z(vm::packedBytes(256, to.bits()));
    ASSERT_TRUE(launch(elementwiseKernel(Opcode::Cast, {}, DType::f32(), to, 1), "k", {},
                       {tensorArg(x, DType::f32(), {256}), tensorArg(z, to, {256})})
                    .ok());
    for (size_t i = 0; i < 256; ++i) {
      uint32_t got = 0;
      if (to.bits() >= 8)
        std::memcpy(&got, &z[i * to.bits() / 8], to.bits() / 8);
      else
        got = vm::readBits(z.data(), i, to.bits());
      ASSERT_EQ(got, vm::encode(to, double(x[i]), vm::Overflow::kIeee)) << to.name() << " " << x[i];
    }
  }
  // Every code of a 16-bit type through the cast table, and i32 -> i8 saturation.
  std::vector<int32_t> ints = {300, -300, 127, -128, 5, 0};
  ints.resize(256, 1);
  std::vector<int8_t> narrow(256);
  ASSERT_TRUE(
      launch(elementwiseKernel(Opcode::Cast, {}, DType::signlessInt(32), DType::signlessInt(8), 1),
             "k", {},
             {tensorArg(ints, DType::signlessInt(32), {256}),
              tensorArg(narrow, DType::signlessInt(8), {256})})
          .ok());
  EXPECT_EQ(std::vector<int8_t>(narrow.begin(), narrow.begin() + 6),
            (std::vector<int8_t>{127, -128, 127, -128, 5, 0}));
}

TEST(CpuOps, UnaryAndCompare) {
  std::vector<float> x = {4.0f, -2.0f, 0.25f, -0.0f, std::numeric_limits<float>::quiet_NaN()};
  x.resize(256, 9.0f);
  std::vector<float> z(256);
  auto run = [&](int kind) {
    ASSERT_TRUE(launch(elementwiseKernel(Opcode::Unary, {intAttr("kind", kind)}, DType::f32(),
                                         DType::f32(), 1),
                       "k", {},
                       {tensorArg(x, DType::f32(), {256}), tensorArg(z, DType::f32(), {256})})
                    .ok());
  };
  run(0);
  EXPECT_EQ(z[1], 2.0f);
  EXPECT_FALSE(std::signbit(z[3]));
  run(1);
  EXPECT_EQ(z[1], 2.0f);
  run(5);
  EXPECT_EQ(z[0], 2.0f);
  EXPECT_EQ(z[2], 0.5f);
  run(11);
  EXPECT_EQ(z[0], 0.25f);
  run(2);
  EXPECT_NEAR(z[0], std::exp(4.0f), 1e-4);
  run(9);
  EXPECT_NEAR(z[0], 1 / (1 + std::exp(-4.0)), 1e-7);
  // compare: lt is ordered (NaN false), ne unordered (NaN true).
  std::vector<float> y(256, 0.25f);
  std::vector<uint8_t> bits(32);
  for (int predicate : {1, 2}) {
    ASSERT_TRUE(launch(elementwiseKernel(Opcode::Compare, {intAttr("predicate", predicate)},
                                         DType::f32(), DType::signlessInt(1)),
                       "k", {},
                       {tensorArg(x, DType::f32(), {256}), tensorArg(y, DType::f32(), {256}),
                        tensorArg(bits, DType::signlessInt(1), {256})})
                    .ok());
    auto bit = [&](size_t i) { return vm::readBits(bits.data(), i, 1); };
    if (predicate == 2) {
      EXPECT_EQ(bit(0), 0);
      EXPECT_EQ(bit(1), 1);
      EXPECT_EQ(bit(2), 0);
      EXPECT_EQ(bit(4), 0);
    } else {
      EXPECT_EQ(bit(2), 0);
      EXPECT_EQ(bit(4), 1);
    }
  }
}

// kernel(x: gtensor<4x64xT>, y: gtensor<4x1xT>) { y = reduce(x, 1) }.
std::vector<uint8_t> reduceKernel(DType d, int kind) {
  ModuleBuilder mb;
  vm::Layout l = layoutOf("spatial(4,8).local(1,8)");
  uint32_t gx = mb.gtensor({4, 64}, d), gy = mb.gtensor({4, 1}, d);
  uint32_t rx = mb.rtensor(d, l), ry = mb.rtensor(d, l.reduce(1));
  FunctionBuilder k = mb.kernel("k", 1);
  uint32_t x = k.arg(gx), y = k.arg(gy);
  uint32_t c0 = k.constantIndex(0);
  uint32_t t = k.op1(Opcode::LoadGlobal, {x, c0, c0}, rx);
  uint32_t r = k.op1(Opcode::Reduce, {t}, ry, {intAttr("kind", kind), intAttr("dimension", 1)});
  k.op(Opcode::StoreGlobal, {r, y, c0, c0});
  k.ret();
  return mb.finish();
}

TEST(CpuOps, ReduceInIndexOrder) {
  std::vector<uint16_t> x = halfCodes(21);
  std::vector<uint16_t> y(4);
  for (int kind : {0, 1, 2}) {
    std::vector<uint16_t> finite(x);
    for (uint16_t &c : finite)
      if ((c & 0x7C00) == 0x7C00)
        c = 0x3C00;
    ASSERT_TRUE(
        launch(reduceKernel(DType::f16(), kind), "k", {},
               {tensorArg(finite, DType::f16(), {4, 64}), tensorArg(y, DType::f16(), {4, 1})})
            .ok());
    for (int row = 0; row < 4; ++row) {
      float acc = halfValue(finite[size_t(row * 64)]);
      for (int j = 1; j < 64; ++j) {
        float v = halfValue(finite[size_t(row * 64 + j)]);
        acc = kind == 0   ? halfValue(halfCode(acc + v))
              : kind == 1 ? std::max(acc, v)
                          : std::min(acc, v);
      }
      EXPECT_EQ(y[size_t(row)], halfCode(acc)) << "kind " << kind << " row " << row;
    }
  }
  std::vector<int32_t> xi(256), yi(4);
  for (size_t i = 0; i < 256; ++i)
    xi[i] = int32_t(i * 2654435761u);
  ASSERT_TRUE(launch(reduceKernel(DType::signlessInt(32), 0), "k", {},
                     {tensorArg(xi, DType::signlessInt(32), {4, 64}),
                      tensorArg(yi, DType::signlessInt(32), {4, 1})})
                  .ok());
  for (int row = 0; row < 4; ++row) {
    uint32_t acc = 0;
    for (int j = 0; j < 64; ++j)
      acc += uint32_t(xi[size_t(row * 64 + j)]);
    EXPECT_EQ(uint32_t(yi[size_t(row)]), acc);
  }
}

// Packed ui3 weights: bytes viewed as 3-bit codes per thread, then cast to f16; and the
// same codes loaded and stored as a packed ui3 tensor.
TEST(CpuOps, ViewPackedBytesAsUi3ThenCast) {
  ModuleBuilder mb;
  DType u8 = DType::unsignedInt(8), u3 = DType::unsignedInt(3);
  uint32_t gBytes = mb.gtensor({96}, u8), gHalf = mb.gtensor({256}, DType::f16()),
           gCodes = mb.gtensor({256}, u3);
  uint32_t rBytes = mb.rtensor(u8, "spatial(32).local(3)"), rCodes = mb.rtensor(u3, kLine),
           rHalf = mb.rtensor(DType::f16(), kLine);
  FunctionBuilder k = mb.kernel("k", 1);
  uint32_t bytes = k.arg(gBytes), out = k.arg(gHalf), packedIn = k.arg(gCodes),
           packedOut = k.arg(gCodes);
  uint32_t c0 = k.constantIndex(0);
  uint32_t b = k.op1(Opcode::LoadGlobal, {bytes, c0}, rBytes);
  uint32_t codes = k.op1(Opcode::View, {b}, rCodes);
  uint32_t h = k.op1(Opcode::Cast, {codes}, rHalf);
  k.op(Opcode::StoreGlobal, {h, out, c0});
  uint32_t direct = k.op1(Opcode::LoadGlobal, {packedIn, c0}, rCodes);
  k.op(Opcode::StoreGlobal, {direct, packedOut, c0});
  k.ret();
  std::vector<uint8_t> data = randomBytes(96, 5);
  std::vector<uint16_t> halves(256);
  std::vector<uint8_t> copy(96);
  ASSERT_TRUE(launch(mb.finish(), "k", {},
                     {tensorArg(data, u8, {96}), tensorArg(halves, DType::f16(), {256}),
                      tensorArg(data, u3, {256}), tensorArg(copy, u3, {256})})
                  .ok());
  for (size_t i = 0; i < 256; ++i)
    ASSERT_EQ(halfValue(halves[i]), float(vm::readBits(data.data(), i, 3))) << i;
  EXPECT_EQ(copy, data);
}

// A cast to a layout that orders each thread's slots differently: packed bytes viewed as
// si4 codes in the order that pairs each result register's codes 16 bits apart (slot
// 4p + i of each 8 holds element 2i + p), cast to f16 in the natural order.
TEST(CpuOps, CastToAnotherSlotOrderOfTheSameThreads) {
  ModuleBuilder mb;
  DType u8 = DType::unsignedInt(8), s4 = DType::signedInt(4);
  uint32_t gBytes = mb.gtensor({256}, u8), gHalf = mb.gtensor({512}, DType::f16());
  uint32_t rBytes = mb.rtensor(u8, "spatial(32).local(8)");
  uint32_t rCodes = mb.rtensor(s4, "layout<shape=[512], modes=[32,2,4,2], spatial=[0], local=[1,3,2]>");
  uint32_t rHalf = mb.rtensor(DType::f16(), "spatial(32).local(16)");
  FunctionBuilder k = mb.kernel("k", 1);
  uint32_t bytes = k.arg(gBytes), out = k.arg(gHalf);
  uint32_t c0 = k.constantIndex(0);
  uint32_t b = k.op1(Opcode::LoadGlobal, {bytes, c0}, rBytes);
  uint32_t codes = k.op1(Opcode::View, {b}, rCodes);
  k.op(Opcode::StoreGlobal, {k.op1(Opcode::Cast, {codes}, rHalf), out, c0});
  k.ret();
  std::vector<uint8_t> data = randomBytes(256, 6);
  std::vector<uint16_t> halves(512);
  ASSERT_TRUE(launch(mb.finish(), "k", {},
                     {tensorArg(data, u8, {256}), tensorArg(halves, DType::f16(), {512})})
                  .ok());
  for (int64_t e = 0; e < 512; ++e) {
    int64_t thread = e / 16, slot = e % 16, word = slot / 8, i = (slot % 8) / 2, p = slot % 2;
    int64_t position = thread * 16 + word * 8 + 4 * p + i; // code index in the bytes
    int64_t code = int64_t(vm::readBits(data.data(), size_t(position), 4));
    ASSERT_EQ(halfValue(halves[size_t(e)]), float(code >= 8 ? code - 16 : code)) << e;
  }
}

TEST(CpuOps, CastFromAnotherThreadIsAnError) {
  ModuleBuilder mb;
  FunctionBuilder k = mb.kernel("k", 1);
  uint32_t a = k.op1(Opcode::AllocRegs, {}, mb.rtensor(DType::signedInt(4), "spatial(32).local(4)"));
  k.op1(Opcode::Cast, {a}, mb.rtensor(DType::f16(), "local(4).spatial(32)"));
  k.ret();
  absl::Status s = launch(mb.finish(), "k", {}, {});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("does not hold"), std::string::npos) << s;
}

// A dot whose 2:4 metadata selects positions of a dense A.
TEST(CpuOps, SparseDotExpandsMetadata) {
  ModuleBuilder mb;
  const char *whole = "local(8,8).replicate(32)"; // every thread holds everything
  uint32_t ga = mb.gtensor({8, 4}, DType::f16()), gm = mb.gtensor({8, 2}, DType::unsignedInt(4)),
           gb = mb.gtensor({8, 8}, DType::f16()), gc = mb.gtensor({8, 8}, DType::f32());
  uint32_t ra = mb.rtensor(DType::f16(), "local(8,4).replicate(32)"),
           rm = mb.rtensor(DType::unsignedInt(4), "local(8,2).replicate(32)"),
           rb = mb.rtensor(DType::f16(), whole), rc = mb.rtensor(DType::f32(), whole);
  FunctionBuilder k = mb.kernel("k", 1);
  uint32_t A = k.arg(ga), M = k.arg(gm), B = k.arg(gb), C = k.arg(gc);
  uint32_t c0 = k.constantIndex(0);
  uint32_t a = k.op1(Opcode::LoadGlobal, {A, c0, c0}, ra);
  uint32_t m = k.op1(Opcode::LoadGlobal, {M, c0, c0}, rm);
  uint32_t b = k.op1(Opcode::LoadGlobal, {B, c0, c0}, rb);
  uint32_t z = k.op1(Opcode::AllocRegs, {}, rc);
  uint32_t d = k.op1(Opcode::DotSparse, {a, m, b, z}, rc);
  k.op(Opcode::StoreGlobal, {d, C, c0, c0});
  k.ret();
  std::vector<uint8_t> module = mb.finish();
  std::vector<uint16_t> av(32), bv(64);
  for (size_t i = 0; i < av.size(); ++i)
    av[i] = halfCode(float(i % 7) - 3);
  for (size_t i = 0; i < bv.size(); ++i)
    bv[i] = halfCode(float(i % 5) - 2);
  const uint8_t allowed[] = {0x4, 0x8, 0x9, 0xC, 0xD, 0xE}; // i0 | i1 << 2 with i0 < i1
  std::vector<uint8_t> meta(8);                             // 16 nibbles
  for (size_t g = 0; g < 16; ++g)
    vm::writeBitsAt(meta.data(), g * 4, 4, allowed[g % 6]);
  std::vector<float> c(64);
  ASSERT_TRUE(
      launch(module, "k", {},
             {tensorArg(av, DType::f16(), {8, 4}), tensorArg(meta, DType::unsignedInt(4), {8, 2}),
              tensorArg(bv, DType::f16(), {8, 8}), tensorArg(c, DType::f32(), {8, 8})})
          .ok());
  for (int i = 0; i < 8; ++i)
    for (int j = 0; j < 8; ++j) {
      float dense[8] = {};
      for (int g = 0; g < 2; ++g) {
        uint8_t nibble = vm::readBits(meta.data(), size_t(i * 2 + g), 4);
        dense[4 * g + (nibble & 3)] = halfValue(av[size_t(i * 4 + 2 * g)]);
        dense[4 * g + (nibble >> 2)] = halfValue(av[size_t(i * 4 + 2 * g + 1)]);
      }
      float acc = 0;
      for (int kk = 0; kk < 8; ++kk)
        acc += dense[kk] * halfValue(bv[size_t(kk * 8 + j)]);
      EXPECT_EQ(c[size_t(i * 8 + j)], acc) << i << ", " << j;
    }
  vm::writeBitsAt(meta.data(), 0, 4, 0x5); // i0 = i1 = 1
  absl::Status s =
      launch(module, "k", {},
             {tensorArg(av, DType::f16(), {8, 4}), tensorArg(meta, DType::unsignedInt(4), {8, 2}),
              tensorArg(bv, DType::f16(), {8, 8}), tensorArg(c, DType::f32(), {8, 8})});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("must be i0 < i1"), std::string::npos) << s;
}

TEST(CpuOps, Int8DotWrapsInI32) {
  ModuleBuilder mb;
  DType i8 = DType::signlessInt(8), i32 = DType::signlessInt(32);
  uint32_t ga = mb.gtensor({4, 64}, i8), gb = mb.gtensor({64, 8}, i8), gc = mb.gtensor({4, 8}, i32);
  uint32_t ra = mb.rtensor(i8, "local(4,64).replicate(32)"),
           rb = mb.rtensor(i8, "local(64,8).replicate(32)"), rc = mb.rtensor(i32, "spatial(4,8)");
  FunctionBuilder k = mb.kernel("k", 1);
  uint32_t A = k.arg(ga), B = k.arg(gb), C = k.arg(gc);
  uint32_t c0 = k.constantIndex(0);
  uint32_t i32s = mb.scalar(i32);
  uint32_t big = k.constantInt(i32s, 2147483000);
  uint32_t a = k.op1(Opcode::LoadGlobal, {A, c0, c0}, ra);
  uint32_t b = k.op1(Opcode::LoadGlobal, {B, c0, c0}, rb);
  uint32_t z = k.op1(Opcode::AllocRegs, {big}, rc);
  uint32_t d = k.op1(Opcode::Dot, {a, b, z}, rc);
  k.op(Opcode::StoreGlobal, {d, C, c0, c0});
  k.ret();
  std::vector<int8_t> av(256), bv(512);
  std::mt19937 rng(3);
  for (int8_t &v : av)
    v = int8_t(rng());
  for (int8_t &v : bv)
    v = int8_t(rng());
  std::vector<int32_t> c(32);
  ASSERT_TRUE(
      launch(mb.finish(), "k", {},
             {tensorArg(av, i8, {4, 64}), tensorArg(bv, i8, {64, 8}), tensorArg(c, i32, {4, 8})})
          .ok());
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 8; ++j) {
      uint32_t acc = 2147483000u;
      for (int kk = 0; kk < 64; ++kk)
        acc += uint32_t(int32_t(av[size_t(i * 64 + kk)]) * int32_t(bv[size_t(kk * 8 + j)]));
      EXPECT_EQ(uint32_t(c[size_t(i * 8 + j)]), acc);
    }
}

} // namespace
} // namespace tessel::test
