// End-to-end tests of the CPU executor: modules built in C++, run through the host
// interpreter, compared with plain C++ references.
#include "TestModules.h"

#include <chrono>
#include <random>

namespace tessel::test {
namespace {

std::vector<float> randomFloats(size_t n, uint32_t seed, float lo = -1, float hi = 1) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float &x : v)
    x = dist(rng);
  return v;
}

std::vector<uint16_t> randomHalves(size_t n, uint32_t seed) {
  std::vector<float> f = randomFloats(n, seed);
  std::vector<uint16_t> h(n);
  for (size_t i = 0; i < n; ++i)
    h[i] = halfCode(f[i]);
  return h;
}

TEST(CpuExecutor, VectorAdd) {
  std::vector<uint8_t> module = buildVectorAdd();
  for (unsigned threads : {1u, 2u, 3u}) {
    for (int64_t n : {0, 1, 511, 512, 513, 3000}) {
      std::vector<float> x = randomFloats(size_t(n), 1), y = randomFloats(size_t(n), 2);
      auto out =
          runModule(module, "main",
                    {tensorRef(DType::f32(), {n}, x), tensorRef(DType::f32(), {n}, y)}, threads);
      ASSERT_TRUE(out.ok()) << out.status();
      ASSERT_EQ(out->size(), 1u);
      EXPECT_EQ((*out)[0].shape, std::vector<int64_t>{n});
      std::vector<float> z = elementsOf<float>((*out)[0]);
      ASSERT_EQ(z.size(), size_t(n));
      for (int64_t i = 0; i < n; ++i)
        ASSERT_EQ(z[size_t(i)], x[size_t(i)] + y[size_t(i)]) << i;
    }
  }
}

// The CPU backend, noting how the host interpreter launches: launch (L) or launchQueued
// (Q), and whether each launch may overlap the one before (1) or not (0).
struct RecordingBackend : cpu::CpuBackend {
  RecordingBackend() : cpu::CpuBackend(cpu::CpuBackendOptions{1}) {}
  absl::Status launch(const vm::Program &p, uint32_t k, const vm::Grid &g,
                      const std::vector<vm::KernelArgument> &a) override {
    return record("L", p, k, g, a);
  }
  absl::Status launchQueued(const vm::Program &p, uint32_t k, const vm::Grid &g,
                            const std::vector<vm::KernelArgument> &a) override {
    return record("Q", p, k, g, a);
  }
  absl::Status record(const char *how, const vm::Program &p, uint32_t k, const vm::Grid &g,
                      const std::vector<vm::KernelArgument> &a) {
    order += how;
    overlaps += g.overlapPrevious ? "1" : "0";
    return cpu::CpuBackend::launch(p, k, g, a);
  }
  std::string order, overlaps;
};

// A launch directly followed by another is queued (launchQueued): one wait per run of
// launches on a GPU; a launch followed by anything else waits (launch).
TEST(CpuExecutor, LaunchFollowedByALaunchIsQueued) {
  // The second launch waits for the first even when its grid is empty (it runs nothing).
  for (bool emptySecond : {false, true}) {
    std::vector<uint8_t> bytes = buildVectorAddThrice(emptySecond);
    absl::StatusOr<std::shared_ptr<const vm::Program>> program = vm::loadProgram(bytes.data(), bytes.size());
    ASSERT_TRUE(program.ok()) << program.status();
    std::vector<float> x = randomFloats(600, 1), y = randomFloats(600, 2);
    RecordingBackend backend;
    auto out = vm::runHostFunction(**program, *(*program)->findFunction("thrice"), backend,
                                   {tensorRef(DType::f32(), {600}, x), tensorRef(DType::f32(), {600}, y)});
    ASSERT_TRUE(out.ok()) << out.status();
    EXPECT_EQ(backend.order, "QLL") << emptySecond;
    std::vector<float> z = elementsOf<float>((*out)[0]);
    for (size_t i = 0; i < z.size(); ++i)
      ASSERT_EQ(z[i], emptySecond ? (x[i] + y[i]) + y[i] : ((x[i] + y[i]) + y[i]) + y[i]) << i;
  }
}

// A launch marked {overlap} may overlap the launch before it (vm::Grid::overlapPrevious)
// only when that one ran blocks, came directly before, and did not overlap one itself.
TEST(CpuExecutor, OverlapOnlyRightAfterALaunchThatRan) {
  // Launches 1..5 of z += y (z = x + y first): plain; overlap (after 1: yes); overlap (after
  // an overlapping one: no); a constant, then overlap (not directly after: no); an empty
  // grid, then overlap (after one that ran nothing: no).
  ModuleBuilder mb;
  defineVectorAdd(mb);
  uint32_t idx = mb.index();
  uint32_t g = mb.gtensor({-1}, DType::f32());
  FunctionBuilder h = mb.host("overlaps", {g});
  VectorAddHost v = vectorAddHost(h, g, idx);
  uint32_t c0 = h.constantIndex(0);
  auto launch = [&](uint32_t blocks, uint32_t from, bool overlap) {
    std::vector<TAttr> attrs = {symbolAttr("kernel", "vadd")};
    if (overlap)
      attrs.push_back(boolAttr("overlap", true));
    h.op(Opcode::Launch, {blocks, v.c1, v.c1, from, v.y, v.z}, {}, attrs);
  };
  launch(v.blocks, v.x, false);
  launch(v.blocks, v.z, true);
  launch(v.blocks, v.z, true);
  h.constantIndex(2);
  launch(v.blocks, v.z, true);
  launch(c0, v.z, false);
  launch(v.blocks, v.z, true);
  h.ret({v.z});
  std::vector<uint8_t> bytes = mb.finish();
  absl::StatusOr<std::shared_ptr<const vm::Program>> program = vm::loadProgram(bytes.data(), bytes.size());
  ASSERT_TRUE(program.ok()) << program.status();
  std::vector<float> x = randomFloats(600, 1), y = randomFloats(600, 2);
  RecordingBackend backend;
  auto out = vm::runHostFunction(**program, *(*program)->findFunction("overlaps"), backend,
                                 {tensorRef(DType::f32(), {600}, x), tensorRef(DType::f32(), {600}, y)});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(backend.overlaps, "010000"); // (the empty grid still waits for the one before)
  std::vector<float> z = elementsOf<float>((*out)[0]);
  for (size_t i = 0; i < z.size(); ++i)
    ASSERT_EQ(z[i], ((((x[i] + y[i]) + y[i]) + y[i]) + y[i]) + y[i]) << i;
}

TEST(CpuExecutor, InputMismatchIsAnError) {
  std::vector<uint8_t> module = buildVectorAdd();
  std::vector<float> x(8), y(8);
  auto wrongType =
      runModule(module, "main", {tensorRef(DType::f16(), {8}, x), tensorRef(DType::f32(), {8}, y)});
  ASSERT_FALSE(wrongType.ok());
  EXPECT_EQ(wrongType.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(wrongType.status().message().find("input 0 'x'"), std::string::npos)
      << wrongType.status();
  EXPECT_NE(wrongType.status().message().find("[?] f32"), std::string::npos);
  auto wrongRank = runModule(module, "main",
                             {tensorRef(DType::f32(), {2, 4}, x), tensorRef(DType::f32(), {8}, y)});
  EXPECT_FALSE(wrongRank.ok());
  auto tooFewBytes =
      runModule(module, "main", {tensorRef(DType::f32(), {9}, x), tensorRef(DType::f32(), {8}, y)});
  EXPECT_FALSE(tooFewBytes.ok());
  auto wrongCount = runModule(module, "main", {tensorRef(DType::f32(), {8}, x)});
  EXPECT_FALSE(wrongCount.ok());
}

// The reference of the GEMM modules: f32 accumulation in k order of exact products.
std::vector<float> referenceGemm(const std::vector<uint16_t> &a, const std::vector<uint16_t> &b,
                                 int64_t m, int64_t n, int64_t k) {
  std::vector<float> c(size_t(m * n), 0.0f);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      float acc = 0;
      for (int64_t kk = 0; kk < k; ++kk)
        acc = acc + halfValue(a[size_t(i * k + kk)]) * halfValue(b[size_t(kk * n + j)]);
      c[size_t(i * n + j)] = acc;
    }
  return c;
}

void checkGemm(int64_t bk, bool viaShared, int64_t m, int64_t n, int64_t k, unsigned threads) {
  std::vector<uint8_t> module = buildGemm(bk, viaShared);
  std::vector<uint16_t> a = randomHalves(size_t(m * k), 3), b = randomHalves(size_t(k * n), 4);
  auto out =
      runModule(module, "gemm",
                {tensorRef(DType::f16(), {m, k}, a), tensorRef(DType::f16(), {k, n}, b)}, threads);
  ASSERT_TRUE(out.ok()) << out.status();
  std::vector<float> c = elementsOf<float>((*out)[0]);
  std::vector<float> ref = referenceGemm(a, b, m, n, k);
  ASSERT_EQ(c.size(), ref.size());
  for (size_t i = 0; i < c.size(); ++i)
    ASSERT_EQ(c[i], ref[i]) << "element " << i;
}

TEST(CpuExecutor, GemmFromGlobal) { checkGemm(32, false, 128, 64, 96, 2); }
TEST(CpuExecutor, GemmPartialTiles) { checkGemm(16, false, 70, 100, 48, 1); }
TEST(CpuExecutor, GemmThroughSwizzledShared) { checkGemm(32, true, 64, 128, 64, 2); }

// Times the GEMM module on one thread; reports GFLOP/s (checked loosely, machines vary).
TEST(CpuExecutor, GemmSpeed) {
  const int64_t m = 256, n = 256, k = 256;
  std::vector<uint8_t> module = buildGemm(32, false);
  std::vector<uint16_t> a = randomHalves(size_t(m * k), 5), b = randomHalves(size_t(k * n), 6);
  auto program = vm::loadProgram(module.data(), module.size());
  ASSERT_TRUE(program.ok());
  cpu::CpuBackend backend(cpu::CpuBackendOptions{1});
  std::vector<vm::HostTensorRef> inputs = {tensorRef(DType::f16(), {m, k}, a),
                                           tensorRef(DType::f16(), {k, n}, b)};
  ASSERT_TRUE(
      vm::runHostFunction(**program, 0 + *(*program)->findFunction("gemm"), backend, inputs).ok());
  auto start = std::chrono::steady_clock::now();
  int runs = 3;
  for (int i = 0; i < runs; ++i)
    ASSERT_TRUE(
        vm::runHostFunction(**program, *(*program)->findFunction("gemm"), backend, inputs).ok());
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  double gflops = 2.0 * m * n * k * runs / seconds / 1e9;
  std::printf("f16 GEMM %ldx%ldx%ld (64x64x32 tiles, 4 warps), 1 thread: %.2f GFLOP/s\n", long(m),
              long(n), long(k), gflops);
  EXPECT_GT(gflops, 0.05);
}

} // namespace
} // namespace tessel::test
