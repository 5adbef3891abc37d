// The CUDA backend on a real GPU (cuda/CudaBackend.h). Every test skips when the backend
// cannot be created (no driver, no GPU), so the suite passes on build machines and does
// its work on the GPU machine (test/gpu). Programs run through the PTX emitter and are
// compared with the CPU executor; tests the emitter cannot serve yet are skipped with its
// message.
#include "TestModules.h"

#include "cuda/CudaBackend.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <random>

namespace tessel::cuda {
namespace {

using test::FunctionBuilder;
using test::ModuleBuilder;
using test::intAttr;
using test::symbolAttr;
using vm::DType;
using vm::Opcode;

class CudaGpuTest : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    char pattern[] = "/tmp/tessel-cuda-gpu-test-XXXXXX";
    cacheDir_ = mkdtemp(pattern) ? pattern : "";
    absl::StatusOr<std::unique_ptr<CudaBackend>> created = CudaBackend::create(0, cacheDir_);
    if (created.ok())
      backend_ = std::move(*created);
    else
      status_ = created.status();
  }
  static void TearDownTestSuite() {
    backend_.reset();
    if (!cacheDir_.empty())
      std::system(("rm -rf '" + cacheDir_ + "'").c_str());
  }
  void SetUp() override {
    if (!backend_)
      GTEST_SKIP() << "no GPU: " << status_;
  }

  static std::unique_ptr<CudaBackend> backend_;
  static absl::Status status_;
  static std::string cacheDir_;
};
std::unique_ptr<CudaBackend> CudaGpuTest::backend_;
absl::Status CudaGpuTest::status_;
std::string CudaGpuTest::cacheDir_;

TEST_F(CudaGpuTest, DescribesTheDevice) {
  const DeviceInfo &info = backend_->info();
  EXPECT_EQ(backend_->name().rfind("cuda:0 (", 0), 0u) << backend_->name();
  EXPECT_GE(info.major, 8);
  EXPECT_GT(info.multiprocessors, 0);
  EXPECT_GT(info.l2CacheBytes, 0);
  EXPECT_GT(info.maxSharedBytesPerBlock, 48 * 1024);
  EXPECT_GE(info.driverVersion, 12000);
  std::printf("device: %s, %d SMs, L2 %lld bytes, shared/block %lld, driver %s, target %s\n",
              backend_->name().c_str(), info.multiprocessors,
              static_cast<long long>(info.l2CacheBytes),
              static_cast<long long>(info.maxSharedBytesPerBlock),
              backend_->driver().versionString().c_str(), backend_->target().smName().c_str());
}

TEST_F(CudaGpuTest, MemoryIsZeroedAndRoundTrips) {
  absl::StatusOr<vm::DeviceAddress> address = backend_->allocate(100003);
  ASSERT_TRUE(address.ok()) << address.status();
  EXPECT_EQ(*address % 256, 0u);
  std::vector<uint8_t> host(100003, 0xee);
  ASSERT_TRUE(backend_->copyToHost(host.data(), *address, host.size()).ok());
  EXPECT_TRUE(std::all_of(host.begin(), host.end(), [](uint8_t b) { return b == 0; }));
  for (size_t i = 0; i < host.size(); ++i)
    host[i] = uint8_t(i * 7);
  ASSERT_TRUE(backend_->copyToDevice(*address, host.data(), host.size()).ok());
  std::vector<uint8_t> back(host.size());
  ASSERT_TRUE(backend_->copyToHost(back.data(), *address, back.size()).ok());
  EXPECT_EQ(back, host);
  backend_->deallocate(*address);
  backend_->deallocate(*address); // unknown now: ignored
  absl::StatusOr<vm::DeviceAddress> empty = backend_->allocate(0);
  ASSERT_TRUE(empty.ok());
  backend_->deallocate(*empty);
}

// Stores each parameter it receives into out[1..10] (8-byte slots), so the host sees the
// bits the driver delivered.
const char kAbiProbePtx[] = R"(
.version 7.0
.target sm_80
.address_size 64
.visible .entry tessel_abi_probe(
	.param .u64 out, .param .s64 out_d0,
	.param .u64 t, .param .s64 t_d0, .param .s64 t_d1,
	.param .s64 idx, .param .s32 flag, .param .s32 small, .param .f32 f,
	.param .b16 h, .param .b16 bh)
{
	.reg .b64 %rd<8>;
	.reg .b32 %r<3>;
	.reg .f32 %f<2>;
	.reg .b16 %h<3>;
	ld.param.u64 %rd1, [out];
	cvta.to.global.u64 %rd1, %rd1;
	ld.param.s64 %rd2, [out_d0];
	st.global.u64 [%rd1+8], %rd2;
	ld.param.u64 %rd3, [t];
	st.global.u64 [%rd1+16], %rd3;
	ld.param.s64 %rd4, [t_d0];
	st.global.u64 [%rd1+24], %rd4;
	ld.param.s64 %rd5, [t_d1];
	st.global.u64 [%rd1+32], %rd5;
	ld.param.s64 %rd6, [idx];
	st.global.u64 [%rd1+40], %rd6;
	ld.param.s32 %r1, [flag];
	st.global.u32 [%rd1+48], %r1;
	ld.param.s32 %r2, [small];
	st.global.u32 [%rd1+56], %r2;
	ld.param.f32 %f1, [f];
	st.global.f32 [%rd1+64], %f1;
	ld.param.b16 %h1, [h];
	st.global.b16 [%rd1+72], %h1;
	ld.param.b16 %h2, [bh];
	st.global.b16 [%rd1+80], %h2;
	ret;
}
)";

vm::ValueType gtensorType(std::vector<int64_t> shape, DType dtype) {
  vm::ValueType t;
  t.kind = vm::ValueKind::kGTensor;
  t.dtype = dtype;
  t.shape = std::move(shape);
  return t;
}
vm::ValueType scalarType(vm::ValueKind kind, DType dtype) {
  vm::ValueType t;
  t.kind = kind;
  t.dtype = dtype;
  return t;
}

TEST_F(CudaGpuTest, DeallocatedBlocksAreReusedZeroed) {
  // A block given back is handed out again for a request of its size class, without a
  // wait, and zeroed again (the fill is queued on the stream after the earlier copy).
  absl::StatusOr<vm::DeviceAddress> a = backend_->allocate(3000);
  ASSERT_TRUE(a.ok()) << a.status();
  std::vector<uint8_t> ones(3000, 0x5a);
  ASSERT_TRUE(backend_->copyToDevice(*a, ones.data(), ones.size()).ok());
  backend_->deallocate(*a);
  absl::StatusOr<vm::DeviceAddress> b = backend_->allocate(2600); // same 3072-byte class
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(*b, *a);
  std::vector<uint8_t> back(2600, 0xee);
  ASSERT_TRUE(backend_->copyToHost(back.data(), *b, back.size()).ok());
  EXPECT_TRUE(std::all_of(back.begin(), back.end(), [](uint8_t x) { return x == 0; }));
  absl::StatusOr<vm::DeviceAddress> c = backend_->allocate(5000); // another class
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_NE(*c, *b);
  backend_->deallocate(*b);
  backend_->deallocate(*c);
}

TEST_F(CudaGpuTest, ParametersArriveAsTheAbiSays) {
  std::vector<vm::ValueType> types = {
      gtensorType({11}, DType::signlessInt(64)), gtensorType({-1, -1}, DType::f16()),
      scalarType(vm::ValueKind::kIndex, DType::signlessInt(64)),
      scalarType(vm::ValueKind::kScalar, DType::signlessInt(1)),
      scalarType(vm::ValueKind::kScalar, DType::signedInt(8)),
      scalarType(vm::ValueKind::kScalar, DType::f32()),
      scalarType(vm::ValueKind::kScalar, DType::f16()),
      scalarType(vm::ValueKind::kScalar, DType::bf16())};
  absl::StatusOr<std::vector<ParamKind>> kinds = paramKindsFor(types);
  ASSERT_TRUE(kinds.ok());
  absl::StatusOr<std::shared_ptr<LoadedKernel>> kernel =
      backend_->loadPtx(kAbiProbePtx, "tessel_abi_probe", 0, 32, &*kinds);
  ASSERT_TRUE(kernel.ok()) << kernel.status();
  absl::StatusOr<vm::DeviceAddress> out = backend_->allocate(11 * 8);
  ASSERT_TRUE(out.ok());
  std::vector<vm::KernelArgument> args(8);
  args[0].isTensor = true;
  args[0].tensor.address = *out;
  args[0].tensor.shape = {11};
  args[1].isTensor = true;
  args[1].tensor.address = 0x123456789a0;
  args[1].tensor.shape = {-3, 4096}; // any bits: the kernel only echoes them
  args[2].scalar.i = -123456789012;
  args[3].scalar.i = -1;
  args[4].scalar.i = -100;
  args[5].scalar.f = -0.375f;
  args[6].scalar.f = 65504.0f;
  args[7].scalar.f = -3.0f;
  absl::StatusOr<KernelParams> params = marshalKernelArguments(types, args);
  ASSERT_TRUE(params.ok()) << params.status();
  ASSERT_TRUE(backend_->launchAsync(**kernel, vm::Grid{}, 32, *params).ok());
  ASSERT_TRUE(backend_->synchronize().ok());
  uint64_t slots[11] = {};
  ASSERT_TRUE(backend_->copyToHost(slots, *out, sizeof(slots)).ok());
  for (size_t i = 1; i < params->size(); ++i)
    EXPECT_EQ(slots[i], params->bits(i)) << "parameter " << i << " ("
                                         << paramKindName(params->kind(i)) << ")";
  EXPECT_EQ(params->bits(9), 0x7bffu); // f16 65504
  backend_->deallocate(*out);
}

// A kernel that lets the next launch begin at once (griddepcontrol.launch_dependents),
// then writes 1 and the time after 200 us; one that notes when it began, waits for the
// first (griddepcontrol.wait) and copies the 1 it must then find. Launched to overlap
// (programmatic dependent launch), the second begins before the first has ended.
const char kOverlapPtx[] = R"(
.version 8.0
.target sm_90
.address_size 64
.visible .entry tessel_slow_write(.param .u64 out, .param .s64 out_d0)
{
	.reg .b64 %rd<5>;
	.reg .b32 %r<2>;
	.reg .pred %p<2>;
	griddepcontrol.launch_dependents;
	ld.param.u64 %rd1, [out];
	cvta.to.global.u64 %rd1, %rd1;
	mov.u64 %rd2, %globaltimer;
	add.u64 %rd3, %rd2, 200000;
$spin:
	mov.u64 %rd4, %globaltimer;
	setp.lt.u64 %p1, %rd4, %rd3;
	@%p1 bra $spin;
	mov.u64 %rd2, 1;
	st.global.u64 [%rd1], %rd2;
	st.global.u64 [%rd1+8], %rd4;
	ret;
}
.visible .entry tessel_read_after(.param .u64 out, .param .s64 out_d0)
{
	.reg .b64 %rd<4>;
	ld.param.u64 %rd1, [out];
	cvta.to.global.u64 %rd1, %rd1;
	mov.u64 %rd2, %globaltimer;
	st.global.u64 [%rd1+24], %rd2;
	griddepcontrol.wait;
	ld.global.u64 %rd3, [%rd1];
	st.global.u64 [%rd1+16], %rd3;
	ret;
}
)";

TEST_F(CudaGpuTest, OverlappingLaunchWaitsForTheLaunchBefore) {
  if (!backend_->overlapsLaunches()) {
    // Not a skip (run.sh counts those as failures): below sm_90 nothing overlaps.
    std::printf("launches do not overlap on %s\n", backend_->name().c_str());
    return;
  }
  std::vector<vm::ValueType> types = {gtensorType({4}, DType::signlessInt(64))};
  absl::StatusOr<std::vector<ParamKind>> kinds = paramKindsFor(types);
  ASSERT_TRUE(kinds.ok());
  absl::StatusOr<std::shared_ptr<LoadedKernel>> slow =
      backend_->loadPtx(kOverlapPtx, "tessel_slow_write", 0, 32, &*kinds);
  ASSERT_TRUE(slow.ok()) << slow.status();
  absl::StatusOr<std::shared_ptr<LoadedKernel>> after =
      backend_->loadPtx(kOverlapPtx, "tessel_read_after", 0, 32, &*kinds);
  ASSERT_TRUE(after.ok()) << after.status();
  absl::StatusOr<vm::DeviceAddress> out = backend_->allocate(4 * 8);
  ASSERT_TRUE(out.ok());
  std::vector<vm::KernelArgument> args(1);
  args[0].isTensor = true;
  args[0].tensor.address = *out;
  args[0].tensor.shape = {4};
  absl::StatusOr<KernelParams> first = marshalKernelArguments(types, args);
  absl::StatusOr<KernelParams> second = marshalKernelArguments(types, args);
  ASSERT_TRUE(first.ok() && second.ok());
  vm::Grid overlapping;
  overlapping.overlapPrevious = true;
  ASSERT_TRUE(backend_->launchAsync(**slow, vm::Grid{}, 32, *first).ok());
  absl::Status launched = backend_->launchAsync(**after, overlapping, 32, *second);
  ASSERT_TRUE(launched.ok()) << launched;
  ASSERT_TRUE(backend_->synchronize().ok());
  uint64_t slots[4] = {};
  ASSERT_TRUE(backend_->copyToHost(slots, *out, sizeof(slots)).ok());
  EXPECT_EQ(slots[0], 1u);
  EXPECT_EQ(slots[2], 1u) << "the overlapping kernel read before the one it waits for wrote";
  EXPECT_LT(slots[3], slots[1]) << "the second kernel began only after the first had ended";
  EXPECT_TRUE(backend_->overlapsLaunches()) << "the driver refused the overlapping launch";
  backend_->deallocate(*out);
}

TEST_F(CudaGpuTest, SecondLoadComesFromTheDiskCache) {
  // A PTX text no earlier run has cached.
  std::string ptx = std::string(kAbiProbePtx) + "// nonce " + std::to_string(std::random_device{}()) + "\n";
  absl::StatusOr<std::shared_ptr<LoadedKernel>> first = backend_->loadPtx(ptx, "tessel_abi_probe", 0, 32);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE((*first)->fromCache());
  EXPECT_GT((*first)->registers(), 0);
  absl::StatusOr<std::shared_ptr<LoadedKernel>> second = backend_->loadPtx(ptx, "tessel_abi_probe", 0, 32);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_TRUE((*second)->fromCache()) << "cache: " << backend_->kernelCache().directory();
}

TEST_F(CudaGpuTest, JitErrorsCarryTheLog) {
  const char bad[] = ".version 7.0\n.target sm_80\n.address_size 64\n"
                     ".visible .entry broken()\n{\n\tmov.u32 %r1, %nosuchreg;\n\tret;\n}\n";
  absl::StatusOr<std::shared_ptr<LoadedKernel>> kernel = backend_->loadPtx(bad, "broken", 0, 32);
  ASSERT_FALSE(kernel.ok());
  std::string message(kernel.status().message());
  EXPECT_NE(message.find("JIT of kernel 'broken'"), std::string::npos) << message;
  EXPECT_NE(message.find('\n'), std::string::npos) << "no JIT log in: " << message;
  std::printf("JIT error as reported:\n%s\n", message.c_str());
  // The backend is still usable afterwards.
  EXPECT_TRUE(backend_->synchronize().ok());
}

TEST_F(CudaGpuTest, MoreThan48KiBOfDynamicSharedMemory) {
  const char ptx[] = R"(
.version 7.0
.target sm_80
.address_size 64
.extern .shared .align 128 .b8 smem[];
.visible .entry tessel_big_shared(.param .u64 out)
{
	.reg .b32 %r<6>;
	.reg .b64 %rd<3>;
	mov.u32 %r1, %tid.x;
	mov.u32 %r2, smem;
	mul.lo.u32 %r3, %r1, 4;
	add.u32 %r3, %r3, 131072;
	add.u32 %r4, %r2, %r3;
	st.shared.u32 [%r4], %r1;
	bar.sync 0;
	xor.b32 %r5, %r1, 1;
	mul.lo.u32 %r5, %r5, 4;
	add.u32 %r5, %r5, 131072;
	add.u32 %r5, %r2, %r5;
	ld.shared.u32 %r5, [%r5];
	ld.param.u64 %rd1, [out];
	cvta.to.global.u64 %rd1, %rd1;
	mul.wide.u32 %rd2, %r1, 4;
	add.u64 %rd1, %rd1, %rd2;
	st.global.u32 [%rd1], %r5;
	ret;
}
)";
  const int64_t shared = 131072 + 32 * 4; // past the 48 KiB default limit
  if (shared > backend_->info().maxSharedBytesPerBlock)
    GTEST_SKIP() << "the GPU allows only " << backend_->info().maxSharedBytesPerBlock;
  absl::StatusOr<std::shared_ptr<LoadedKernel>> kernel =
      backend_->loadPtx(ptx, "tessel_big_shared", shared, 32);
  ASSERT_TRUE(kernel.ok()) << kernel.status();
  absl::StatusOr<vm::DeviceAddress> out = backend_->allocate(32 * 4);
  ASSERT_TRUE(out.ok());
  KernelParams params;
  params.addU64(*out);
  ASSERT_TRUE(backend_->launchAsync(**kernel, vm::Grid{}, 32, params).ok());
  ASSERT_TRUE(backend_->synchronize().ok());
  uint32_t values[32];
  ASSERT_TRUE(backend_->copyToHost(values, *out, sizeof(values)).ok());
  for (uint32_t i = 0; i < 32; ++i)
    EXPECT_EQ(values[i], i ^ 1);
  backend_->deallocate(*out);
}

TEST_F(CudaGpuTest, LaunchShapeChecks) {
  absl::StatusOr<std::shared_ptr<LoadedKernel>> kernel =
      backend_->loadPtx(kAbiProbePtx, "tessel_abi_probe", 0, 32);
  ASSERT_TRUE(kernel.ok());
  KernelParams params;
  vm::Grid none{0, 1, 1};
  EXPECT_TRUE(backend_->launchAsync(**kernel, none, 32, params).ok()) << "an empty grid is a no-op";
  vm::Grid tooTall{1, 70000, 1};
  EXPECT_EQ(backend_->launchAsync(**kernel, tooTall, 32, params).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(backend_->launchAsync(**kernel, vm::Grid{}, 2048, params).code(),
            absl::StatusCode::kInvalidArgument);
  absl::StatusOr<std::shared_ptr<LoadedKernel>> wide =
      backend_->loadPtx(kAbiProbePtx, "tessel_abi_probe", 0, 4096);
  EXPECT_FALSE(wide.ok());
  absl::StatusOr<std::shared_ptr<LoadedKernel>> missing =
      backend_->loadPtx(kAbiProbePtx, "no_such_entry", 0, 32);
  EXPECT_FALSE(missing.ok());
}

TEST_F(CudaGpuTest, EventTiming) {
  absl::StatusOr<DeviceBuffer> buffer = backend_->allocateBuffer(uint64_t(256) << 20);
  ASSERT_TRUE(buffer.ok()) << buffer.status();
  absl::StatusOr<float> ms = backend_->timeMilliseconds(
      [&] { return backend_->fillAsync(buffer->address(), 1, buffer->size()); });
  ASSERT_TRUE(ms.ok()) << ms.status();
  EXPECT_GT(*ms, 0.0f);
  absl::StatusOr<std::vector<float>> runs = backend_->timeRuns(
      5, [&](int i) { return backend_->fillAsync(buffer->address(), uint8_t(i), 1 << 20); },
      [&] { return backend_->fillAsync(buffer->address(), 2, buffer->size()); });
  ASSERT_TRUE(runs.ok()) << runs.status();
  ASSERT_EQ(runs->size(), 5u);
  for (float r : *runs)
    EXPECT_GT(r, 0.0f);
  // 256 MiB written at well over 100 GB/s: a sanity bound on the units (milliseconds).
  EXPECT_LT(*ms, 100.0f);
  std::printf("256 MiB memset: %.3f ms (%.0f GB/s)\n", *ms, 268435456 / (*ms * 1e-3) / 1e9);
}

//===----------------------------------------------------------------------===//
// Programs: the PTX emitter + backend against the CPU executor
//===----------------------------------------------------------------------===//

// Runs host function `name` of `bytes` on the GPU and on the CPU executor.
struct BothRuns {
  absl::Status gpu;
  std::vector<vm::HostTensor> gpuOut, cpuOut;
};
BothRuns runBoth(CudaBackend &backend, const std::vector<uint8_t> &bytes, const std::string &name,
                 const std::vector<vm::HostTensorRef> &inputs) {
  BothRuns r;
  absl::StatusOr<std::shared_ptr<const vm::Program>> program =
      vm::loadProgram(bytes.data(), bytes.size());
  EXPECT_TRUE(program.ok()) << program.status();
  if (!program.ok()) {
    r.gpu = program.status();
    return r;
  }
  uint32_t f = *(*program)->findFunction(name);
  absl::StatusOr<std::vector<vm::HostTensor>> gpu = vm::runHostFunction(**program, f, backend, inputs);
  r.gpu = gpu.status();
  if (gpu.ok())
    r.gpuOut = std::move(*gpu);
  absl::StatusOr<std::vector<vm::HostTensor>> cpu = test::runModule(bytes, name, inputs, 4);
  EXPECT_TRUE(cpu.ok()) << cpu.status();
  if (cpu.ok())
    r.cpuOut = std::move(*cpu);
  return r;
}

#define SKIP_IF_EMITTER_CANNOT(status)                                                        \
  if ((status).code() == absl::StatusCode::kUnimplemented)                                   \
  GTEST_SKIP() << "the PTX emitter cannot yet: " << (status)

// Runs `function` of a vector-add module on n-element x = i * step + base, y = 1 / (i + d).
BothRuns runVectorAdd(CudaBackend &backend, const std::vector<uint8_t> &module, const char *function,
                      int64_t n, float step, float base, int d) {
  std::vector<float> x(n), y(n);
  for (int64_t i = 0; i < n; ++i) {
    x[size_t(i)] = float(i) * step + base;
    y[size_t(i)] = 1.0f / float(i + d);
  }
  return runBoth(backend, module, function,
                 {test::tensorRef(DType::f32(), {n}, x), test::tensorRef(DType::f32(), {n}, y)});
}

TEST_F(CudaGpuTest, VectorAddMatchesTheCpu) {
  const int64_t n = 3000; // not a multiple of the 512 elements per block: masked tail
  BothRuns r = runVectorAdd(*backend_, test::buildVectorAdd(), "main", n, 0.25f, -100, 1);
  SKIP_IF_EMITTER_CANNOT(r.gpu);
  ASSERT_TRUE(r.gpu.ok()) << r.gpu;
  ASSERT_EQ(r.gpuOut.size(), 1u);
  EXPECT_EQ(r.gpuOut[0].shape, std::vector<int64_t>{n});
  EXPECT_EQ(r.gpuOut[0].data, r.cpuOut[0].data) << "f32 adds must be bit-exact";
}

// Two launches directly after one another: the first is queued (launchQueued, no wait),
// the second waits for both; the result is the CPU's.
TEST_F(CudaGpuTest, QueuedLaunchesMatchTheCpu) {
  BothRuns r = runVectorAdd(*backend_, test::buildVectorAddThrice(), "thrice", 1500, 0.5f, -300, 3);
  SKIP_IF_EMITTER_CANNOT(r.gpu);
  ASSERT_TRUE(r.gpu.ok()) << r.gpu;
  ASSERT_EQ(r.gpuOut.size(), 1u);
  EXPECT_EQ(r.gpuOut[0].data, r.cpuOut[0].data) << "f32 adds must be bit-exact";
}

// An uninitialized allocation enqueues no fill: the block a deallocation gave back keeps
// its bytes (everything is on the backend's one stream).
TEST_F(CudaGpuTest, UninitializedAllocationIsNotFilled) {
  absl::StatusOr<vm::DeviceAddress> a = backend_->allocate(4096);
  ASSERT_TRUE(a.ok()) << a.status();
  std::vector<uint8_t> bytes(4096, 0x5A);
  ASSERT_TRUE(backend_->copyToDevice(*a, bytes.data(), bytes.size()).ok());
  backend_->deallocate(*a);
  absl::StatusOr<vm::DeviceAddress> b = backend_->allocateUninitialized(4096);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(*b, *a) << "the same size class comes back from the cache";
  std::vector<uint8_t> back(4096, 0);
  ASSERT_TRUE(backend_->copyToHost(back.data(), *b, back.size()).ok());
  EXPECT_EQ(back, bytes);
  backend_->deallocate(*b);
  absl::StatusOr<vm::DeviceAddress> c = backend_->allocate(4096);
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_TRUE(backend_->copyToHost(back.data(), *c, back.size()).ok());
  EXPECT_EQ(back, std::vector<uint8_t>(4096, 0)) << "allocate still zero-fills";
  backend_->deallocate(*c);
}

TEST_F(CudaGpuTest, ConstantsAreUploadedOnce) {
  ModuleBuilder mb;
  uint32_t idx = mb.index();
  uint32_t g = mb.gtensor({1024}, DType::f32());
  uint32_t r = mb.rtensor(DType::f32(), "spatial(128).local(4)");
  std::vector<float> w(1024);
  for (size_t i = 0; i < w.size(); ++i)
    w[i] = float(i) * 0.5f;
  std::vector<uint8_t> wBytes(4096);
  std::memcpy(wBytes.data(), w.data(), wBytes.size());
  mb.constant("w", g, wBytes);
  {
    FunctionBuilder k = mb.kernel("vadd", 4);
    uint32_t a = k.arg(g), b = k.arg(g), z = k.arg(g);
    uint32_t block = k.op1(Opcode::BlockIdx, {}, idx, {intAttr("dim", 0)});
    uint32_t off = k.op1(Opcode::MulI, {block, k.constantIndex(512)}, idx);
    uint32_t va = k.op1(Opcode::LoadGlobal, {a, off}, r);
    uint32_t vb = k.op1(Opcode::LoadGlobal, {b, off}, r);
    uint32_t s = k.op1(Opcode::Binary, {va, vb}, r, {intAttr("kind", 0)});
    k.op(Opcode::StoreGlobal, {s, z, off});
    k.ret();
  }
  {
    FunctionBuilder h = mb.host("main", {g});
    uint32_t x = h.arg(g, "x");
    uint32_t wv = h.op1(Opcode::GetGlobal, {}, g, {symbolAttr("name", "w")});
    uint32_t z = h.op1(Opcode::AllocGlobal, {}, g);
    uint32_t c1 = h.constantIndex(1), c2 = h.constantIndex(2);
    h.op(Opcode::Launch, {c2, c1, c1, x, wv, z}, {}, {symbolAttr("kernel", "vadd")});
    h.ret({z});
  }
  std::vector<uint8_t> module = mb.finish();
  std::vector<float> x(1024, 1.0f);
  absl::StatusOr<std::shared_ptr<const vm::Program>> program =
      vm::loadProgram(module.data(), module.size());
  ASSERT_TRUE(program.ok()) << program.status();
  // Constant upload needs no emitter.
  absl::StatusOr<vm::DeviceAddress> first = backend_->constantAddress(**program, 0);
  ASSERT_TRUE(first.ok()) << first.status();
  absl::StatusOr<vm::DeviceAddress> again = backend_->constantAddress(**program, 0);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*first, *again);
  std::vector<float> uploaded(1024);
  ASSERT_TRUE(backend_->copyToHost(uploaded.data(), *first, 4096).ok());
  EXPECT_EQ(uploaded, w);
  EXPECT_FALSE(backend_->constantAddress(**program, 1).ok());
  BothRuns both = runBoth(*backend_, module, "main", {test::tensorRef(DType::f32(), {1024}, x)});
  SKIP_IF_EMITTER_CANNOT(both.gpu);
  ASSERT_TRUE(both.gpu.ok()) << both.gpu;
  EXPECT_EQ(both.gpuOut[0].data, both.cpuOut[0].data);
}

void expectGemmMatches(CudaBackend &backend, bool viaShared) {
  std::vector<uint8_t> module = test::buildGemm(32, viaShared);
  const int64_t m = 128, n = 64, k = 96;
  std::vector<uint16_t> a(size_t(m * k)), b(size_t(k * n));
  std::mt19937 random(7);
  std::uniform_real_distribution<float> uniform(-1, 1);
  for (uint16_t &v : a)
    v = test::halfCode(uniform(random));
  for (uint16_t &v : b)
    v = test::halfCode(uniform(random));
  BothRuns r = runBoth(backend, module, "gemm",
                       {test::tensorRef(DType::f16(), {m, k}, a), test::tensorRef(DType::f16(), {k, n}, b)});
  SKIP_IF_EMITTER_CANNOT(r.gpu);
  ASSERT_TRUE(r.gpu.ok()) << r.gpu;
  std::vector<float> gpu = test::elementsOf<float>(r.gpuOut[0]), cpu = test::elementsOf<float>(r.cpuOut[0]);
  ASSERT_EQ(gpu.size(), cpu.size());
  size_t mismatches = 0;
  for (size_t i = 0; i < gpu.size(); ++i)
    if (!(std::fabs(gpu[i] - cpu[i]) <= 1e-5f * (1 + std::fabs(cpu[i]))) && mismatches++ < 5)
      ADD_FAILURE() << "C[" << i / n << "," << i % n << "] gpu " << gpu[i] << " cpu " << cpu[i];
  EXPECT_EQ(mismatches, 0u);
}

TEST_F(CudaGpuTest, MmaGemmMatchesTheCpu) { expectGemmMatches(*backend_, false); }
TEST_F(CudaGpuTest, SharedMemoryGemmMatchesTheCpu) { expectGemmMatches(*backend_, true); }

TEST_F(CudaGpuTest, ProgramAndBackendMayDieInEitherOrder) {
  std::vector<uint8_t> module = test::buildVectorAdd();
  std::vector<float> x(512, 1.0f);
  for (bool programFirst : {true, false}) {
    absl::StatusOr<std::unique_ptr<CudaBackend>> other = CudaBackend::create(0, cacheDir_);
    ASSERT_TRUE(other.ok()) << other.status();
    absl::StatusOr<std::shared_ptr<const vm::Program>> program =
        vm::loadProgram(module.data(), module.size());
    ASSERT_TRUE(program.ok());
    absl::StatusOr<std::vector<vm::HostTensor>> out = vm::runHostFunction(
        **program, *(*program)->findFunction("main"), **other,
        {test::tensorRef(DType::f32(), {512}, x), test::tensorRef(DType::f32(), {512}, x)});
    SKIP_IF_EMITTER_CANNOT(out.status());
    ASSERT_TRUE(out.ok()) << out.status();
    if (programFirst) {
      program->reset();
      other->reset();
    } else {
      other->reset();
      program->reset(); // its state was released with the backend
    }
  }
  EXPECT_TRUE(backend_->synchronize().ok()) << "other backends of the GPU are unaffected";
}

// Last: a kernel that faults breaks the (process-wide) primary context for good.
TEST_F(CudaGpuTest, ZzFaultingKernelIsReportedAndSticks) {
  const char ptx[] = ".version 7.0\n.target sm_80\n.address_size 64\n"
                     ".visible .entry tessel_fault()\n{\n\t.reg .b64 %rd<2>;\n"
                     "\tmov.u64 %rd1, 8;\n\tst.global.u32 [%rd1], 1;\n\tret;\n}\n";
  absl::StatusOr<std::shared_ptr<LoadedKernel>> kernel = backend_->loadPtx(ptx, "tessel_fault", 0, 32);
  ASSERT_TRUE(kernel.ok()) << kernel.status();
  KernelParams params;
  ASSERT_TRUE(backend_->launchAsync(**kernel, vm::Grid{}, 32, params).ok());
  absl::Status failed = backend_->synchronize();
  ASSERT_FALSE(failed.ok());
  std::printf("fault as reported: %s\n", std::string(failed.message()).c_str());
  absl::Status after = backend_->allocate(16).status();
  EXPECT_EQ(after.code(), absl::StatusCode::kFailedPrecondition) << after;
  EXPECT_NE(after.message().find("unusable"), absl::string_view::npos) << after;
}

} // namespace
} // namespace tessel::cuda
