// The CUDA driver loader and the backend's behavior without a GPU (cuda/CudaDriver.h,
// cuda/CudaBackend.h): symbol names and signatures match cuda.h, a missing driver or
// symbol is a clear error (never a crash), the architecture table. Runs anywhere; on a
// machine with a driver the no-driver expectations are skipped.
#include "cuda/Aot.h"
#include "cuda/CudaBackend.h"
#include "cuda/CudaBackendFactory.h"
#include "cuda/CudaDriver.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <type_traits>

#include <dlfcn.h>
#include <unistd.h>

namespace tessel::cuda {
namespace {

// The resolved types are the cuda.h prototypes (decltype); these pin the ones whose
// versioned variants changed parameter types (size_t sizes, 64-bit device pointers).
static_assert(std::is_same_v<decltype(CudaDriver::memAlloc), CUresult (*)(CUdeviceptr *, size_t)>);
static_assert(std::is_same_v<decltype(CudaDriver::memFree), CUresult (*)(CUdeviceptr)>);
static_assert(std::is_same_v<decltype(CudaDriver::memcpyHtoDAsync),
                             CUresult (*)(CUdeviceptr, const void *, size_t, CUstream)>);
static_assert(std::is_same_v<decltype(CudaDriver::memcpyDtoHAsync),
                             CUresult (*)(void *, CUdeviceptr, size_t, CUstream)>);
static_assert(std::is_same_v<decltype(CudaDriver::memcpyDtoDAsync),
                             CUresult (*)(CUdeviceptr, CUdeviceptr, size_t, CUstream)>);
static_assert(std::is_same_v<decltype(CudaDriver::memsetD8Async),
                             CUresult (*)(CUdeviceptr, unsigned char, size_t, CUstream)>);
static_assert(std::is_same_v<decltype(CudaDriver::deviceTotalMem), CUresult (*)(size_t *, CUdevice)>);
static_assert(std::is_same_v<decltype(CudaDriver::linkAddData),
                             CUresult (*)(CUlinkState, CUjitInputType, void *, size_t, const char *,
                                          unsigned int, CUjit_option *, void **)>);
static_assert(std::is_same_v<decltype(CudaDriver::linkComplete), CUresult (*)(CUlinkState, void **, size_t *)>);
static_assert(std::is_same_v<decltype(CudaDriver::launchKernel),
                             CUresult (*)(CUfunction, unsigned int, unsigned int, unsigned int,
                                          unsigned int, unsigned int, unsigned int, unsigned int,
                                          CUstream, void **, void **)>);
static_assert(std::is_same_v<decltype(CudaDriver::launchKernelEx),
                             CUresult (*)(const CUlaunchConfig *, CUfunction, void **, void **)>);
static_assert(std::is_same_v<decltype(CudaDriver::eventElapsedTime), CUresult (*)(float *, CUevent, CUevent)>);
// Device addresses travel as vm::DeviceAddress.
static_assert(sizeof(CUdeviceptr) == sizeof(vm::DeviceAddress));

TEST(CudaDriverTest, EntryPointsUseTheVersionedSymbols) {
  std::map<std::string, std::string> symbols;
  std::set<std::string> unique;
  for (const CudaDriver::EntryPoint &e : CudaDriver::entryPoints()) {
    symbols[e.member] = e.symbol;
    EXPECT_TRUE(unique.insert(e.symbol).second) << "resolved twice: " << e.symbol;
  }
  // What cuda.h (CUDA 13) maps each name to; a header with other mappings changes these.
  std::map<std::string, std::string> expected = {
      {"memAlloc", "cuMemAlloc_v2"},
      {"memFree", "cuMemFree_v2"},
      {"deviceTotalMem", "cuDeviceTotalMem_v2"},
      {"devicePrimaryCtxRelease", "cuDevicePrimaryCtxRelease_v2"},
      {"ctxPushCurrent", "cuCtxPushCurrent_v2"},
      {"ctxPopCurrent", "cuCtxPopCurrent_v2"},
      {"memcpyHtoDAsync", "cuMemcpyHtoDAsync_v2"},
      {"memcpyDtoHAsync", "cuMemcpyDtoHAsync_v2"},
      {"memcpyDtoDAsync", "cuMemcpyDtoDAsync_v2"},
      {"memsetD8Async", "cuMemsetD8Async"},
      {"streamDestroy", "cuStreamDestroy_v2"},
      {"eventDestroy", "cuEventDestroy_v2"},
      {"eventElapsedTime", "cuEventElapsedTime_v2"},
      {"linkCreate", "cuLinkCreate_v2"},
      {"linkAddData", "cuLinkAddData_v2"},
      {"linkComplete", "cuLinkComplete"},
      {"moduleLoadData", "cuModuleLoadData"},
      {"launchKernel", "cuLaunchKernel"},
      {"launchKernelEx", "cuLaunchKernelEx"},
      {"init", "cuInit"},
  };
  for (const auto &[member, symbol] : expected)
    EXPECT_EQ(symbols[member], symbol) << member;
}

TEST(CudaDriverTest, MissingLibraryIsUnavailable) {
  absl::StatusOr<std::unique_ptr<CudaDriver>> driver = CudaDriver::load("/nonexistent/libcuda.so.1");
  ASSERT_FALSE(driver.ok());
  EXPECT_EQ(driver.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(driver.status().message().find("no CUDA driver: /nonexistent/libcuda.so.1 not found ("),
            0u)
      << driver.status();
}

TEST(CudaDriverTest, MissingSymbolsAreNamed) {
  // libc loads fine but has none of the entry points.
  absl::StatusOr<std::unique_ptr<CudaDriver>> driver = CudaDriver::load("libc.so.6");
  ASSERT_FALSE(driver.ok());
  EXPECT_EQ(driver.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(driver.status().message().find("lacks cuGetErrorName"), absl::string_view::npos)
      << driver.status();
  EXPECT_NE(driver.status().message().find("cuMemAlloc_v2"), absl::string_view::npos);
}

TEST(CudaDriverTest, TheToolkitStubResolvesEverythingAndFailsToInitialize) {
  // The link stub exports every driver symbol, so this checks the names against a real
  // libcuda's export list; its cuInit fails as a machine without a GPU would.
  const char *stub = "/usr/local/cuda/lib64/stubs/libcuda.so";
  if (access(stub, R_OK) != 0)
    GTEST_SKIP() << "no CUDA toolkit stub at " << stub;
  absl::StatusOr<std::unique_ptr<CudaDriver>> driver = CudaDriver::load(stub);
  ASSERT_TRUE(driver.ok()) << driver.status();
  absl::Status init = (*driver)->initialize();
  ASSERT_FALSE(init.ok());
  EXPECT_EQ(init.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(init.message().find("cuInit failed"), absl::string_view::npos) << init;
  EXPECT_NE((*driver)->errorText(CUDA_ERROR_OUT_OF_MEMORY), "");
}

bool driverPresent() {
  void *handle = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (handle)
    dlclose(handle);
  return handle != nullptr;
}

TEST(CudaDriverTest, NoDriverOnThisMachineIsAnError) {
  if (driverPresent())
    GTEST_SKIP() << "this machine has a CUDA driver";
  absl::StatusOr<const CudaDriver *> driver = CudaDriver::get();
  ASSERT_FALSE(driver.ok());
  EXPECT_EQ(driver.status().message().find("no CUDA driver: libcuda.so.1 not found ("), 0u)
      << driver.status();
  // The outcome is kept: asking again gives the same answer.
  EXPECT_EQ(CudaDriver::get().status(), driver.status());
}

TEST(CudaBackendTest, CreateWithoutADriverFailsCleanly) {
  if (driverPresent())
    GTEST_SKIP() << "this machine has a CUDA driver";
  absl::StatusOr<std::unique_ptr<CudaBackend>> backend = CudaBackend::create(0, "/tmp/unused");
  ASSERT_FALSE(backend.ok());
  EXPECT_EQ(backend.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(backend.status().message().find("no CUDA driver"), absl::string_view::npos)
      << backend.status();
  absl::StatusOr<std::unique_ptr<vm::Backend>> opened = openCudaBackend(1, "");
  EXPECT_EQ(opened.status(), backend.status());
  EXPECT_EQ(cudaDeviceCount().status(), backend.status());
  EXPECT_TRUE(cudaBackendBuilt());
}

TEST(CudaBackendTest, ArchitectureTable) {
  struct {
    int major, minor;
    const char *expected; // "" for an error
  } cases[] = {{7, 5, ""},         {8, 0, "sm_80"}, {8, 6, "sm_86"},  {8, 7, "sm_86"},
               {8, 9, "sm_89"},    {9, 0, "sm_90a"}, {10, 0, "sm_90"}, {12, 0, "sm_90"}};
  for (const auto &c : cases) {
    absl::StatusOr<Target> target = targetForComputeCapability(c.major, c.minor);
    if (*c.expected == '\0') {
      ASSERT_FALSE(target.ok()) << c.major << "." << c.minor;
      EXPECT_EQ(target.status().code(), absl::StatusCode::kFailedPrecondition);
      continue;
    }
    ASSERT_TRUE(target.ok()) << target.status();
    EXPECT_EQ(target->smName(), c.expected) << c.major << "." << c.minor;
  }
  DeviceInfo info;
  info.major = 9;
  info.minor = 0;
  EXPECT_EQ(info.archName(), "sm_90");
}

// Ahead-of-time cubins are keyed as the backend looks them up: its target and JIT
// architecture for the device (sm_90a on 9.0, else the device's own sm_XY), and never
// under the key of a JIT result (driver version 0, another compiler).
TEST(CudaBackendTest, AheadOfTimeTargetsAndKeys) {
  struct {
    const char *device, *target, *jitArch; // "" target: an error
  } cases[] = {{"sm_75", "", ""},           {"sm_80", "sm_80", "sm_80"},  {"sm_86", "sm_86", "sm_86"},
               {"sm_87", "sm_86", "sm_87"}, {"sm_89", "sm_89", "sm_89"},  {"sm_90", "sm_90a", "sm_90a"},
               {"sm_100", "sm_90", "sm_100"}, {"sm_9", "", ""},          {"gfx90a", "", ""}};
  for (const auto &c : cases) {
    absl::StatusOr<DeviceTarget> device = deviceTarget(c.device);
    if (*c.target == '\0') {
      EXPECT_FALSE(device.ok()) << c.device;
      continue;
    }
    ASSERT_TRUE(device.ok()) << c.device << ": " << device.status();
    EXPECT_EQ(device->target.smName(), c.target) << c.device;
    EXPECT_EQ(device->jitArch, c.jitArch) << c.device;
  }
  KernelCacheKey aot = aotCacheKey(".version 8.0", "sm_90a");
  EXPECT_EQ(aot.driverVersion, 0);
  EXPECT_NE(aot.serialize(), (KernelCacheKey{".version 8.0", "sm_90a", 13000, "cuLink:defaults"}.serialize()));
}

} // namespace
} // namespace tessel::cuda
