// The CUDA backend: runs a program's kernels on one NVIDIA GPU through the driver API
// (CudaDriver.h), with PTX from the PTX emitter (PtxEmitter.h) compiled by the driver's JIT
// and cached on disk (KernelCache.h). DESIGN.md §3 "Semantics and the two executors".
//
// Memory model: one stream per backend, in the device's primary context (the context the
// CUDA runtime, hence cuBLAS, uses too, so benchmarks can share buffers and the stream).
// Every vm::Backend operation is ordered on that stream and returns when it is done;
// the *Async methods below only enqueue, for benchmarks that time work with events.
//
// Lifetime: program constants and loaded kernels belong to the (program, backend) pair.
// They are attached to the program (Program::getOrCreateCache) and freed when the program
// or the backend is destroyed, whichever comes first. Buffers, kernels and program state
// keep the context alive (shared_ptr), so nothing is freed into a dead context.
#ifndef TESSEL_CUDA_CUDABACKEND_H
#define TESSEL_CUDA_CUDABACKEND_H

#include "cuda/BlockCache.h"
#include "cuda/CudaDriver.h"
#include "cuda/KernelCache.h"
#include "cuda/KernelParams.h"
#include "cuda/PtxEmitter.h"
#include "vm/Backend.h"
#include "vm/Program.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace tessel::cuda {

/// What the backend knows about its GPU.
struct DeviceInfo {
  int ordinal = 0;
  /// "NVIDIA H100 80GB HBM3".
  std::string name;
  /// Compute capability.
  int major = 0, minor = 0;
  int multiprocessors = 0;
  int64_t l2CacheBytes = 0;
  int64_t totalMemoryBytes = 0;
  /// The most dynamic shared memory one block may opt into.
  int64_t maxSharedBytesPerBlock = 0;
  /// cuDriverGetVersion (13000 = CUDA 13.0).
  int driverVersion = 0;

  /// The device's own architecture, "sm_90".
  std::string archName() const;
};


/// The driver, device, primary context and stream of a backend (internal; shared by the
/// objects that must free resources in it).
struct CudaContext;

/// Device memory from CudaBackend::allocateBuffer, freed (after the backend's stream has
/// finished) when the buffer is destroyed. Move-only.
class DeviceBuffer {
public:
  DeviceBuffer() = default;
  DeviceBuffer(DeviceBuffer &&other) noexcept;
  DeviceBuffer &operator=(DeviceBuffer &&other) noexcept;
  ~DeviceBuffer();

  vm::DeviceAddress address() const { return address_; }
  uint64_t size() const { return size_; }
  explicit operator bool() const { return address_ != 0; }
  /// Frees the memory now.
  void reset();

private:
  friend class CudaBackend;
  std::shared_ptr<CudaContext> context_;
  vm::DeviceAddress address_ = 0;
  uint64_t size_ = 0;
};

/// A compiled kernel loaded into the backend's context (module + function).
class LoadedKernel {
public:
  ~LoadedKernel();
  LoadedKernel(const LoadedKernel &) = delete;
  LoadedKernel &operator=(const LoadedKernel &) = delete;

  const std::string &entry() const { return entry_; }
  CUfunction function() const { return function_; }
  /// Dynamic shared memory each launch gets.
  int64_t sharedBytes() const { return sharedBytes_; }
  /// The block size it was compiled and checked for.
  int64_t threads() const { return threads_; }
  /// Registers per thread, as the JIT allocated them.
  int registers() const { return registers_; }
  /// Local memory per thread (the emitter's kernels use none but ptxas's register
  /// spills).
  int localBytes() const { return localBytes_; }
  /// Which of the emitter's variants the backend kept because the default spilled
  /// (KernelVariant::name: "scale rows by 16-bit loads", "a register cap 8 lower",
  /// "narrower cast views", "exact casts", ...), or "" for the default.
  const std::string &variant() const { return variant_; }
  /// Whether the cubin came from the on-disk cache (no JIT in this process).
  bool fromCache() const { return fromCache_; }

private:
  friend class CudaBackend;
  LoadedKernel() = default;
  std::shared_ptr<CudaContext> context_;
  CUmodule module_ = nullptr;
  CUfunction function_ = nullptr;
  std::string entry_;
  int64_t sharedBytes_ = 0;
  int64_t threads_ = 0;
  int registers_ = 0;
  int localBytes_ = 0;
  std::string variant_;
  bool fromCache_ = false;
};

class CudaBackend final : public vm::Backend {
public:
  /// Opens GPU `ordinal` (as the driver numbers them, after CUDA_VISIBLE_DEVICES). Kernels
  /// are cached under `cacheDir` ("" = KernelCache::defaultDirectory()). Errors:
  /// Unavailable "no CUDA driver: ..." (no libcuda), Unavailable (no GPU, driver
  /// problems), NotFound naming how many GPUs exist (bad ordinal), FailedPrecondition (a
  /// GPU older than sm_80).
  static absl::StatusOr<std::unique_ptr<CudaBackend>> create(int ordinal,
                                                             std::string cacheDir = "");
  ~CudaBackend() override;
  CudaBackend(const CudaBackend &) = delete;
  CudaBackend &operator=(const CudaBackend &) = delete;

  //===--- vm::Backend ---===//

  /// "cuda:0 (NVIDIA H100 80GB HBM3, sm_90)".
  std::string name() const override;
  /// Zero-filled (cuMemsetD8Async), so results never depend on stale memory and match
  /// the CPU executor's zeroed buffers. 256-byte aligned. A block deallocated earlier
  /// is reused when one of the size class is free (BlockCache.h), else cuMemAlloc.
  absl::StatusOr<vm::DeviceAddress> allocate(uint64_t bytes) override;
  /// As allocate, without the fill (nothing is enqueued).
  absl::StatusOr<vm::DeviceAddress> allocateUninitialized(uint64_t bytes) override;
  /// Gives memory from allocate() back to the backend's block cache without waiting
  /// (work queued on it still runs first: everything is on the backend's stream); the
  /// cache frees, after pending work, what it cannot keep. Other addresses are ignored.
  void deallocate(vm::DeviceAddress address) override;
  absl::Status copyToDevice(vm::DeviceAddress dst, const void *src, uint64_t bytes) override;
  absl::Status copyToHost(void *dst, vm::DeviceAddress src, uint64_t bytes) override;
  absl::StatusOr<vm::DeviceAddress> constantAddress(const vm::Program &program,
                                                    uint32_t index) override;
  /// launchAsync, then waits; a failing kernel's error names it (and the kernels queued
  /// before it, which the wait covers).
  absl::Status launch(const vm::Program &program, uint32_t kernel, const vm::Grid &grid,
                      const std::vector<vm::KernelArgument> &args) override;
  /// launchAsync, without waiting (the next launch() waits for it).
  absl::Status launchQueued(const vm::Program &program, uint32_t kernel, const vm::Grid &grid,
                            const std::vector<vm::KernelArgument> &args) override;
  /// Multiprocessors x cuOccupancyMaxActiveBlocksPerMultiprocessor of the compiled kernel
  /// (compiling it now if needed).
  absl::StatusOr<int64_t> residentBlocks(const vm::Program &program, uint32_t kernel) override;

  //===--- Beyond vm::Backend: compilation, asynchronous work, timing ---===//

  const DeviceInfo &info() const { return info_; }
  /// Whether launches marked to overlap the one before them do (sm_90 code, not turned
  /// off by $TESSEL_CUDA_OVERLAP_LAUNCHES=0 or a driver that refused them).
  bool overlapsLaunches() const { return target_.major >= 9 && overlapLaunches_.load(); }
  /// The architecture the PTX emitter targets here.
  const Target &target() const { return target_; }
  const CudaDriver &driver() const;
  CUcontext context() const;
  /// The stream every operation of this backend runs on (pass it to cuBLAS).
  CUstream stream() const;
  KernelCache &kernelCache() { return *cache_; }

  /// Compiles (or fetches from the cache) and loads kernel `kernel` of `program` now, so
  /// that the first launch does not pay for it.
  absl::StatusOr<std::shared_ptr<LoadedKernel>> prepareKernel(const vm::Program &program,
                                                              uint32_t kernel);
  /// Checks and enqueues a launch; returns before the kernel finishes.
  absl::Status launchAsync(const vm::Program &program, uint32_t kernel, const vm::Grid &grid,
                           const std::vector<vm::KernelArgument> &args);

  /// Compiles and loads hand-written PTX (benchmark helpers, tests). `sharedBytes` of
  /// dynamic shared memory are requested per launch; `threads` (block size) is checked
  /// against the registers the kernel uses. When `expectedParams` is given, the entry's
  /// .param list must match it.
  absl::StatusOr<std::shared_ptr<LoadedKernel>>
  loadPtx(const std::string &ptx, const std::string &entry, int64_t sharedBytes,
          int64_t threads, const std::vector<ParamKind> *expectedParams = nullptr);
  /// Enqueues `kernel` on `grid` blocks of `threads` threads with `params`.
  absl::Status launchAsync(const LoadedKernel &kernel, const vm::Grid &grid, int64_t threads,
                           KernelParams &params);

  /// Waits for everything enqueued so far. Errors of asynchronous work surface here.
  absl::Status synchronize();

  /// Device memory that is not zero-filled and not tracked by allocate/deallocate.
  absl::StatusOr<DeviceBuffer> allocateBuffer(uint64_t bytes);
  /// Enqueues a byte fill of [address, address + bytes).
  absl::Status fillAsync(vm::DeviceAddress address, uint8_t value, uint64_t bytes);
  /// Enqueues a device-to-device copy.
  absl::Status copyAsync(vm::DeviceAddress dst, vm::DeviceAddress src, uint64_t bytes);

  /// GPU time of the work `enqueue` puts on stream(): records an event, calls `enqueue`,
  /// records a second event, waits for it and returns the milliseconds between the two
  /// (resolution about 0.5 us). `enqueue` must only enqueue (no synchronization), or host
  /// time is measured too.
  absl::StatusOr<float> timeMilliseconds(const std::function<absl::Status()> &enqueue);

  /// Times `iterations` runs enqueued back to back, waiting once at the end so that the GPU
  /// never idles on the host between runs: for run i, `prepare(i)` (untimed: an L2 flush,
  /// say), then an event, `run()`, an event. Returns each run's milliseconds. Both
  /// callbacks must only enqueue work on stream().
  absl::StatusOr<std::vector<float>> timeRuns(int iterations,
                                              const std::function<absl::Status(int)> &prepare,
                                              const std::function<absl::Status()> &run);

private:
  absl::StatusOr<vm::DeviceAddress> allocateBlock(uint64_t bytes, bool zeroed);
  struct ProgramState;

  CudaBackend() = default;
  /// OK, or the error that broke the context.
  absl::Status usable();
  /// cuMemAlloc of max(bytes, 1) in the backend's context (when it fails, again after
  /// freeing the blocks the cache holds); errors name the size.
  absl::StatusOr<CUdeviceptr> memAlloc(uint64_t bytes);
  /// driver().check(), remembering errors that break the context (see broken_).
  absl::Status check(CUresult result, std::string_view what);
  absl::StatusOr<std::shared_ptr<ProgramState>> programState(const vm::Program &program);
  absl::StatusOr<std::vector<uint8_t>> jit(const std::string &ptx, const std::string &entry);
  /// Loads a cubin; `origin` (where it came from) is for $TESSEL_CUDA_LOG_KERNELS.
  absl::StatusOr<std::shared_ptr<LoadedKernel>> loadCubin(const std::vector<uint8_t> &cubin,
                                                          const std::string &entry,
                                                          int64_t sharedBytes, int64_t threads,
                                                          const char *origin);

  std::shared_ptr<CudaContext> context_;
  DeviceInfo info_;
  Target target_;
  /// The JIT target in cache keys: "sm_90a" or the device's own architecture.
  std::string jitArch_;
  std::unique_ptr<KernelCache> cache_;
  /// This backend's key in Program::getOrCreateCache (unique per backend, never reused).
  std::string programCacheKey_;
  CUevent timingStart_ = nullptr, timingStop_ = nullptr;
  /// Launches marked to overlap the one before use programmatic dependent launch
  /// (cuLaunchKernelEx): on unless $TESSEL_CUDA_OVERLAP_LAUNCHES=0, or the driver refused
  /// the attribute once (a one-line notice on stderr).
  std::atomic<bool> overlapLaunches_{true};

  std::mutex mutex_; // guards what follows
  /// Kernels launched with launchQueued since the last launch() (named in its errors).
  std::vector<std::string> queued_;
  std::vector<std::weak_ptr<ProgramState>> programStates_;
  std::unordered_map<vm::DeviceAddress, uint64_t> allocations_;
  /// Blocks deallocated for reuse (limit set by create from the GPU's memory).
  BlockCache blocks_{0};
  /// Set after an error that breaks the context (an illegal address in a kernel, ...):
  /// every later operation fails with it.
  absl::Status broken_;
  std::mutex timingMutex_;
};

} // namespace tessel::cuda

#endif // TESSEL_CUDA_CUDABACKEND_H
