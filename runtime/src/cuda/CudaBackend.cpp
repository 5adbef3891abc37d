#include "cuda/CudaBackend.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <atomic>
#include <cstdlib>

namespace tessel::cuda {

//===----------------------------------------------------------------------===//
// Shared context, buffers, kernels
//===----------------------------------------------------------------------===//

struct CudaContext {
  const CudaDriver *driver = nullptr;
  CUdevice device = 0;
  CUcontext context = nullptr;
  CUstream stream = nullptr;

  CudaContext() = default;
  CudaContext(const CudaContext &) = delete;
  CudaContext &operator=(const CudaContext &) = delete;

  ~CudaContext() {
    if (stream) {
      ScopedContext scope(*driver, context);
      if (scope.status().ok()) {
        driver->streamSynchronize(stream);
        driver->streamDestroy(stream);
      }
    }
    // The primary context is destroyed when its last holder releases it (other backends
    // of this GPU and the CUDA runtime hold it too).
    if (context)
      driver->devicePrimaryCtxRelease(device);
  }

  /// Frees `address` once the stream's pending work, which may still use it, is done.
  void free(CUdeviceptr address) {
    ScopedContext scope(*driver, context);
    if (!scope.status().ok())
      return;
    driver->streamSynchronize(stream);
    driver->memFree(address);
  }
};

DeviceBuffer::DeviceBuffer(DeviceBuffer &&other) noexcept
    : context_(std::move(other.context_)), address_(other.address_), size_(other.size_) {
  other.address_ = 0;
  other.size_ = 0;
}

DeviceBuffer &DeviceBuffer::operator=(DeviceBuffer &&other) noexcept {
  if (this != &other) {
    reset();
    context_ = std::move(other.context_);
    address_ = other.address_;
    size_ = other.size_;
    other.address_ = 0;
    other.size_ = 0;
  }
  return *this;
}

DeviceBuffer::~DeviceBuffer() { reset(); }

void DeviceBuffer::reset() {
  if (address_ && context_)
    context_->free(CUdeviceptr(address_));
  address_ = 0;
  size_ = 0;
  context_.reset();
}

LoadedKernel::~LoadedKernel() {
  if (!module_)
    return;
  ScopedContext scope(*context_->driver, context_->context);
  if (!scope.status().ok())
    return;
  // Launches of this kernel may still be queued.
  context_->driver->streamSynchronize(context_->stream);
  context_->driver->moduleUnload(module_);
}

/// What a backend keeps for one program: uploaded constants and loaded kernels. Owned by
/// the program's cache (Program::getOrCreateCache); the backend keeps a weak reference to
/// release it first if the backend dies before the program.
struct CudaBackend::ProgramState {
  std::shared_ptr<CudaContext> context;
  std::mutex mutex; // guards what follows; held while a kernel compiles
  bool released = false;
  std::vector<CUdeviceptr> constants; // 0: not uploaded yet
  std::unordered_map<uint32_t, std::shared_ptr<LoadedKernel>> kernels;

  ~ProgramState() { release(); }

  void release() {
    std::vector<CUdeviceptr> constantsToFree;
    std::unordered_map<uint32_t, std::shared_ptr<LoadedKernel>> kernelsToUnload;
    {
      std::lock_guard<std::mutex> lock(mutex);
      released = true;
      constantsToFree.swap(constants);
      kernelsToUnload.swap(kernels);
    }
    for (CUdeviceptr address : constantsToFree)
      if (address)
        context->free(address);
    // ~LoadedKernel unloads each module (unless a launch in flight still holds it).
  }
};

//===----------------------------------------------------------------------===//
// Device description
//===----------------------------------------------------------------------===//

std::string DeviceInfo::archName() const { return absl::StrCat("sm_", major, minor); }


namespace {

// Errors after which the context cannot be used any more (the driver returns them from
// every later call too).
bool breaksContext(CUresult result) {
  switch (result) {
  case CUDA_ERROR_ILLEGAL_ADDRESS:
  case CUDA_ERROR_LAUNCH_FAILED:
  case CUDA_ERROR_ILLEGAL_INSTRUCTION:
  case CUDA_ERROR_MISALIGNED_ADDRESS:
  case CUDA_ERROR_INVALID_ADDRESS_SPACE:
  case CUDA_ERROR_INVALID_PC:
  case CUDA_ERROR_HARDWARE_STACK_ERROR:
  case CUDA_ERROR_ASSERT:
  case CUDA_ERROR_LAUNCH_TIMEOUT:
  case CUDA_ERROR_ECC_UNCORRECTABLE:
    return true;
  default:
    return false;
  }
}

absl::Status withContext(const absl::Status &status, const std::string &prefix) {
  if (status.ok())
    return status;
  return absl::Status(status.code(), absl::StrCat(prefix, status.message()));
}

} // namespace

//===----------------------------------------------------------------------===//
// Creation and destruction
//===----------------------------------------------------------------------===//

absl::StatusOr<std::unique_ptr<CudaBackend>> CudaBackend::create(int ordinal,
                                                                 std::string cacheDir) {
  absl::StatusOr<const CudaDriver *> loaded = CudaDriver::get();
  if (!loaded.ok())
    return loaded.status();
  const CudaDriver &driver = **loaded;

  int count = 0;
  if (absl::Status s = driver.check(driver.deviceGetCount(&count), "cuDeviceGetCount"); !s.ok())
    return s;
  if (count == 0)
    return absl::UnavailableError(absl::StrCat("no CUDA GPU: the driver (CUDA ",
                                               driver.versionString(),
                                               ") sees no device; check CUDA_VISIBLE_DEVICES"));
  if (ordinal < 0 || ordinal >= count)
    return absl::NotFoundError(absl::StrCat(
        "no GPU cuda:", ordinal, ": this machine has ", count, " CUDA GPU",
        count == 1 ? " (cuda:0)" : absl::StrCat("s (cuda:0 to cuda:", count - 1, ")")));

  auto context = std::make_shared<CudaContext>();
  context->driver = &driver;
  if (absl::Status s = driver.check(driver.deviceGet(&context->device, ordinal), "cuDeviceGet");
      !s.ok())
    return s;
  CUdevice device = context->device;

  DeviceInfo info;
  info.ordinal = ordinal;
  info.driverVersion = driver.version();
  char name[256] = {};
  if (absl::Status s = driver.check(driver.deviceGetName(name, sizeof(name) - 1, device),
                                    "cuDeviceGetName");
      !s.ok())
    return s;
  info.name = name;
  struct {
    CUdevice_attribute attribute;
    const char *what;
    int value = 0;
  } attributes[] = {
      {CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, "compute capability"},
      {CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, "compute capability"},
      {CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, "multiprocessor count"},
      {CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE, "L2 cache size"},
      {CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN, "shared memory per block"},
  };
  for (auto &a : attributes)
    if (absl::Status s = driver.check(driver.deviceGetAttribute(&a.value, a.attribute, device),
                                      absl::StrCat("cuDeviceGetAttribute (", a.what, ")"));
        !s.ok())
      return s;
  info.major = attributes[0].value;
  info.minor = attributes[1].value;
  info.multiprocessors = attributes[2].value;
  info.l2CacheBytes = attributes[3].value;
  info.maxSharedBytesPerBlock = attributes[4].value;
  size_t totalMemory = 0;
  if (absl::Status s = driver.check(driver.deviceTotalMem(&totalMemory, device),
                                    "cuDeviceTotalMem");
      !s.ok())
    return s;
  info.totalMemoryBytes = int64_t(totalMemory);

  absl::StatusOr<Target> target = targetForComputeCapability(info.major, info.minor);
  if (!target.ok())
    return withContext(target.status(), absl::StrCat("cuda:", ordinal, " (", info.name, "): "));
  if (const char *forced = std::getenv("TESSEL_CUDA_TARGET"); forced && *forced) {
    // An override for debugging the emitter (sm_90 instead of sm_90a, say). It must run
    // here: an architecture no newer than the device's, and sm_90a only on 9.0.
    absl::StatusOr<Target> parsed = Target::parse(forced);
    if (!parsed.ok())
      return withContext(parsed.status(), "TESSEL_CUDA_TARGET: ");
    if (parsed->major * 10 + parsed->minor > info.major * 10 + info.minor ||
        (parsed->archSpecific && (info.major != 9 || info.minor != 0)))
      return absl::InvalidArgumentError(absl::StrCat("TESSEL_CUDA_TARGET=", forced,
                                                     " cannot run on cuda:", ordinal, " (",
                                                     info.name, ", ", info.archName(), ")"));
    target = *parsed;
  }
  // $TESSEL_CUDA_MIN_BLOCKS, $TESSEL_CUDA_EXACT_CASTS: A/B timings.
  if (absl::Status s = applyTargetEnvironment(*target); !s.ok())
    return s;

  if (absl::Status s = driver.check(driver.devicePrimaryCtxRetain(&context->context, device),
                                    absl::StrCat("opening cuda:", ordinal, " (", info.name,
                                                 "): cuDevicePrimaryCtxRetain"));
      !s.ok()) {
    context->context = nullptr;
    return s;
  }

  std::unique_ptr<CudaBackend> backend(new CudaBackend());
  backend->context_ = context;
  backend->info_ = info;
  // Free blocks kept for reuse: up to 1/8 of the GPU's memory (at least 256 MiB).
  backend->blocks_ = BlockCache(std::max<uint64_t>(uint64_t(info.totalMemoryBytes) / 8, uint64_t(256) << 20));
  backend->target_ = *target;
  backend->jitArch_ = jitArchFor(*target, info.archName());
  bool overlap = true;
  if (absl::Status s = readEnvironmentFlag("TESSEL_CUDA_OVERLAP_LAUNCHES", overlap); !s.ok())
    return s;
  backend->overlapLaunches_.store(overlap);
  {
    ScopedContext scope(driver, context->context);
    if (!scope.status().ok())
      return scope.status();
    // Non-blocking: the stream does not serialize with the legacy default stream, which
    // other code in the process (a CUDA runtime user) may be using.
    if (absl::Status s = driver.check(driver.streamCreate(&context->stream, CU_STREAM_NON_BLOCKING),
                                      "cuStreamCreate");
        !s.ok()) {
      context->stream = nullptr;
      return s;
    }
    for (CUevent *event : {&backend->timingStart_, &backend->timingStop_})
      if (absl::Status s = driver.check(driver.eventCreate(event, CU_EVENT_DEFAULT), "cuEventCreate");
          !s.ok()) {
        *event = nullptr;
        return s;
      }
  }
  backend->cache_ = std::make_unique<KernelCache>(std::move(cacheDir));
  static std::atomic<uint64_t> nextBackendId{0};
  backend->programCacheKey_ = absl::StrCat("tessel.cuda.backend.", nextBackendId.fetch_add(1));
  return backend;
}

CudaBackend::~CudaBackend() {
  std::vector<std::shared_ptr<ProgramState>> states;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const std::weak_ptr<ProgramState> &weak : programStates_)
      if (std::shared_ptr<ProgramState> state = weak.lock())
        states.push_back(std::move(state));
    programStates_.clear();
  }
  for (const std::shared_ptr<ProgramState> &state : states)
    state->release();
  states.clear();
  if (!context_)
    return;
  const CudaDriver &d = *context_->driver;
  ScopedContext scope(d, context_->context);
  if (!scope.status().ok())
    return;
  d.streamSynchronize(context_->stream);
  for (const auto &[address, bytes] : allocations_)
    d.memFree(CUdeviceptr(address));
  allocations_.clear();
  for (uint64_t block : blocks_.drain())
    d.memFree(CUdeviceptr(block));
  for (CUevent event : {timingStart_, timingStop_})
    if (event)
      d.eventDestroy(event);
  // context_ goes last: the stream and the primary context are released when nothing
  // else (buffers, kernels of live programs) holds them.
}

const CudaDriver &CudaBackend::driver() const { return *context_->driver; }
CUcontext CudaBackend::context() const { return context_->context; }
CUstream CudaBackend::stream() const { return context_->stream; }

std::string CudaBackend::name() const {
  return absl::StrCat("cuda:", info_.ordinal, " (", info_.name, ", ", info_.archName(), ")");
}

absl::Status CudaBackend::usable() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (broken_.ok())
    return broken_;
  return absl::FailedPreconditionError(absl::StrCat(
      name(), " is unusable after an earlier error (", broken_.message(),
      "); destroy every device of this GPU and open it again"));
}

absl::Status CudaBackend::check(CUresult result, std::string_view what) {
  absl::Status status = context_->driver->check(result, what);
  if (!status.ok() && breaksContext(result)) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (broken_.ok())
      broken_ = status;
  }
  return status;
}

//===----------------------------------------------------------------------===//
// Memory
//===----------------------------------------------------------------------===//

absl::StatusOr<CUdeviceptr> CudaBackend::memAlloc(uint64_t bytes) {
  if (absl::Status s = usable(); !s.ok())
    return s;
  ScopedContext scope(driver(), context());
  if (!scope.status().ok())
    return scope.status();
  CUdeviceptr address = 0;
  // cuMemAlloc rejects 0 bytes; a 1-byte allocation still gives a unique address.
  CUresult result = driver().memAlloc(&address, std::max<uint64_t>(bytes, 1));
  if (result != CUDA_SUCCESS) {
    // Out of memory, perhaps for the blocks the cache holds: free them and try again.
    std::vector<uint64_t> held;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      held = blocks_.drain();
    }
    for (uint64_t block : held)
      context_->free(CUdeviceptr(block));
    if (!held.empty())
      result = driver().memAlloc(&address, std::max<uint64_t>(bytes, 1));
  }
  if (absl::Status s = check(result, absl::StrCat("allocating ", bytes, " bytes on ", name())); !s.ok())
    return s;
  return address;
}

absl::StatusOr<vm::DeviceAddress> CudaBackend::allocate(uint64_t bytes) {
  return allocateBlock(bytes, true);
}

absl::StatusOr<vm::DeviceAddress> CudaBackend::allocateUninitialized(uint64_t bytes) {
  return allocateBlock(bytes, false);
}

absl::StatusOr<vm::DeviceAddress> CudaBackend::allocateBlock(uint64_t bytes, bool zeroed) {
  if (absl::Status s = usable(); !s.ok())
    return s;
  std::optional<uint64_t> cached;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    cached = blocks_.take(bytes);
  }
  CUdeviceptr address = 0;
  if (cached) {
    address = CUdeviceptr(*cached);
  } else {
    // A block of the size class, so that it can serve any request of the class later.
    absl::StatusOr<CUdeviceptr> fresh = memAlloc(BlockCache::sizeClass(bytes));
    if (!fresh.ok())
      return fresh.status();
    address = *fresh;
  }
  if (zeroed)
    if (absl::Status s = fillAsync(vm::DeviceAddress(address), 0, bytes); !s.ok()) {
      context_->free(address);
      return s;
    }
  std::lock_guard<std::mutex> lock(mutex_);
  allocations_[vm::DeviceAddress(address)] = bytes;
  return vm::DeviceAddress(address);
}

void CudaBackend::deallocate(vm::DeviceAddress address) {
  std::vector<uint64_t> dropped;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = allocations_.find(address);
    if (it == allocations_.end())
      return;
    // Every use of the block is on the backend's stream, so the next owner's work runs
    // after the work still queued on it: no wait here (BlockCache.h).
    dropped = blocks_.give(uint64_t(address), it->second);
    allocations_.erase(it);
  }
  for (uint64_t block : dropped)
    context_->free(CUdeviceptr(block));
}

absl::Status CudaBackend::copyToDevice(vm::DeviceAddress dst, const void *src, uint64_t bytes) {
  if (absl::Status s = usable(); !s.ok() || bytes == 0)
    return s;
  ScopedContext scope(driver(), context());
  if (!scope.status().ok())
    return scope.status();
  if (absl::Status s = check(driver().memcpyHtoDAsync(CUdeviceptr(dst), src, bytes, stream()),
                             "copying to the GPU (cuMemcpyHtoDAsync)");
      !s.ok())
    return s;
  // Pageable host memory may still be read after the call returns: wait.
  return check(driver().streamSynchronize(stream()), "copying to the GPU");
}

absl::Status CudaBackend::copyToHost(void *dst, vm::DeviceAddress src, uint64_t bytes) {
  if (absl::Status s = usable(); !s.ok() || bytes == 0)
    return s;
  ScopedContext scope(driver(), context());
  if (!scope.status().ok())
    return scope.status();
  if (absl::Status s = check(driver().memcpyDtoHAsync(dst, CUdeviceptr(src), bytes, stream()),
                             "copying from the GPU (cuMemcpyDtoHAsync)");
      !s.ok())
    return s;
  return check(driver().streamSynchronize(stream()), "copying from the GPU");
}

absl::StatusOr<DeviceBuffer> CudaBackend::allocateBuffer(uint64_t bytes) {
  absl::StatusOr<CUdeviceptr> address = memAlloc(bytes);
  if (!address.ok())
    return address.status();
  DeviceBuffer buffer;
  buffer.context_ = context_;
  buffer.address_ = vm::DeviceAddress(*address);
  buffer.size_ = bytes;
  return buffer;
}

absl::Status CudaBackend::fillAsync(vm::DeviceAddress address, uint8_t value, uint64_t bytes) {
  if (absl::Status s = usable(); !s.ok() || bytes == 0)
    return s;
  ScopedContext scope(driver(), context());
  if (!scope.status().ok())
    return scope.status();
  return check(driver().memsetD8Async(CUdeviceptr(address), value, bytes, stream()),
               "cuMemsetD8Async");
}

absl::Status CudaBackend::copyAsync(vm::DeviceAddress dst, vm::DeviceAddress src,
                                    uint64_t bytes) {
  if (absl::Status s = usable(); !s.ok() || bytes == 0)
    return s;
  ScopedContext scope(driver(), context());
  if (!scope.status().ok())
    return scope.status();
  return check(driver().memcpyDtoDAsync(CUdeviceptr(dst), CUdeviceptr(src), bytes, stream()),
               "cuMemcpyDtoDAsync");
}

absl::Status CudaBackend::synchronize() {
  if (absl::Status s = usable(); !s.ok())
    return s;
  ScopedContext scope(driver(), context());
  if (!scope.status().ok())
    return scope.status();
  return check(driver().streamSynchronize(stream()), "cuStreamSynchronize");
}

absl::StatusOr<float> CudaBackend::timeMilliseconds(const std::function<absl::Status()> &enqueue) {
  if (absl::Status s = usable(); !s.ok())
    return s;
  std::lock_guard<std::mutex> lock(timingMutex_); // one pair of events
  ScopedContext scope(driver(), context());
  if (!scope.status().ok())
    return scope.status();
  if (absl::Status s = check(driver().eventRecord(timingStart_, stream()), "cuEventRecord");
      !s.ok())
    return s;
  if (absl::Status s = enqueue(); !s.ok()) {
    driver().streamSynchronize(stream());
    return s;
  }
  if (absl::Status s = check(driver().eventRecord(timingStop_, stream()), "cuEventRecord");
      !s.ok())
    return s;
  if (absl::Status s = check(driver().eventSynchronize(timingStop_), "waiting for timed work");
      !s.ok())
    return s;
  float milliseconds = 0;
  if (absl::Status s = check(driver().eventElapsedTime(&milliseconds, timingStart_, timingStop_),
                             "cuEventElapsedTime");
      !s.ok())
    return s;
  return milliseconds;
}

absl::StatusOr<std::vector<float>>
CudaBackend::timeRuns(int iterations, const std::function<absl::Status(int)> &prepare,
                      const std::function<absl::Status()> &run) {
  if (absl::Status s = usable(); !s.ok())
    return s;
  if (iterations < 1)
    return absl::InvalidArgumentError("timeRuns: at least one iteration");
  ScopedContext scope(driver(), context());
  if (!scope.status().ok())
    return scope.status();
  std::vector<CUevent> events(2 * size_t(iterations), nullptr);
  auto destroyEvents = [&] {
    for (CUevent event : events)
      if (event)
        driver().eventDestroy(event);
  };
  absl::Status status;
  for (CUevent &event : events) {
    status = check(driver().eventCreate(&event, CU_EVENT_DEFAULT), "cuEventCreate");
    if (!status.ok()) {
      event = nullptr;
      destroyEvents();
      return status;
    }
  }
  for (int i = 0; i < iterations && status.ok(); ++i) {
    status = prepare ? prepare(i) : absl::OkStatus();
    if (status.ok())
      status = check(driver().eventRecord(events[2 * i], stream()), "cuEventRecord");
    if (status.ok())
      status = run();
    if (status.ok())
      status = check(driver().eventRecord(events[2 * i + 1], stream()), "cuEventRecord");
  }
  if (status.ok())
    status = check(driver().eventSynchronize(events.back()), "waiting for timed work");
  else
    driver().streamSynchronize(stream()); // leave nothing of ours in flight
  std::vector<float> milliseconds(size_t(iterations), 0.0f);
  for (int i = 0; i < iterations && status.ok(); ++i)
    status = check(driver().eventElapsedTime(&milliseconds[i], events[2 * i], events[2 * i + 1]),
                   "cuEventElapsedTime");
  destroyEvents();
  if (!status.ok())
    return status;
  return milliseconds;
}

//===----------------------------------------------------------------------===//
// Programs: constants and kernels
//===----------------------------------------------------------------------===//

absl::StatusOr<std::shared_ptr<CudaBackend::ProgramState>>
CudaBackend::programState(const vm::Program &program) {
  std::shared_ptr<const void> entry = program.getOrCreateCache(programCacheKey_, [&] {
    auto state = std::make_shared<ProgramState>();
    state->context = context_;
    state->constants.assign(program.constants().size(), 0);
    std::lock_guard<std::mutex> lock(mutex_);
    programStates_.erase(std::remove_if(programStates_.begin(), programStates_.end(),
                                        [](const std::weak_ptr<ProgramState> &weak) {
                                          return weak.expired();
                                        }),
                         programStates_.end());
    programStates_.push_back(state);
    return std::shared_ptr<const void>(state);
  });
  return std::static_pointer_cast<ProgramState>(std::const_pointer_cast<void>(entry));
}

absl::StatusOr<vm::DeviceAddress> CudaBackend::constantAddress(const vm::Program &program,
                                                               uint32_t index) {
  if (absl::Status s = usable(); !s.ok())
    return s;
  if (index >= program.constants().size())
    return absl::InvalidArgumentError(absl::StrCat("the module has no constant ", index));
  absl::StatusOr<std::shared_ptr<ProgramState>> state = programState(program);
  if (!state.ok())
    return state.status();
  std::lock_guard<std::mutex> lock((*state)->mutex);
  if ((*state)->released)
    return absl::FailedPreconditionError(absl::StrCat(name(), " is being destroyed"));
  CUdeviceptr &slot = (*state)->constants[index];
  if (slot)
    return vm::DeviceAddress(slot);
  const vm::Constant &constant = program.constants()[index];
  ScopedContext scope(driver(), context());
  if (!scope.status().ok())
    return scope.status();
  absl::StatusOr<CUdeviceptr> allocated = memAlloc(constant.size);
  if (!allocated.ok())
    return absl::Status(allocated.status().code(),
                        absl::StrCat("constant '", constant.name, "': ", allocated.status().message()));
  CUdeviceptr address = *allocated;
  if (constant.size > 0) {
    absl::Status s = check(driver().memcpyHtoDAsync(address, constant.data, constant.size, stream()),
                           "uploading a constant (cuMemcpyHtoDAsync)");
    if (s.ok())
      s = check(driver().streamSynchronize(stream()), "uploading a constant");
    if (!s.ok()) {
      driver().memFree(address);
      return s;
    }
  }
  slot = address;
  return vm::DeviceAddress(address);
}

absl::StatusOr<std::shared_ptr<LoadedKernel>> CudaBackend::prepareKernel(const vm::Program &program,
                                                                         uint32_t kernel) {
  if (absl::Status s = usable(); !s.ok())
    return s;
  if (kernel >= program.functions().size() ||
      program.functions()[kernel].kind != vm::FunctionKind::kKernel)
    return absl::InvalidArgumentError(absl::StrCat("function ", kernel, " is not a kernel"));
  const vm::Function &function = program.functions()[kernel];
  absl::StatusOr<std::shared_ptr<ProgramState>> state = programState(program);
  if (!state.ok())
    return state.status();
  // Held while compiling: one JIT per kernel even when threads race to launch it.
  std::lock_guard<std::mutex> lock((*state)->mutex);
  if ((*state)->released)
    return absl::FailedPreconditionError(absl::StrCat(name(), " is being destroyed"));
  auto found = (*state)->kernels.find(kernel);
  if (found != (*state)->kernels.end())
    return found->second;

  std::string where = absl::StrCat("kernel '", function.name, "' on ", name(), ": ");
  absl::StatusOr<EmittedKernel> emitted = emitKernel(program, kernel, target_);
  if (!emitted.ok())
    return withContext(emitted.status(),
                       absl::StrCat(where, "emitting PTX for ", target_.smName(), ": "));
  // The emitter decides the launch shape (its scratch may add shared memory).
  if (emitted->threads < 1 || emitted->threads > 1024)
    return absl::InvalidArgumentError(absl::StrCat(where, "a block has 1 to 1024 threads, not ",
                                                   emitted->threads));
  if (emitted->sharedBytes < 0 || emitted->sharedBytes > info_.maxSharedBytesPerBlock)
    return absl::ResourceExhaustedError(absl::StrCat(
        where, "needs ", emitted->sharedBytes, " bytes of shared memory; the GPU allows ",
        info_.maxSharedBytesPerBlock, " per block"));
  absl::StatusOr<std::vector<ParamKind>> params = paramKindsFor(program, kernel);
  if (!params.ok())
    return withContext(params.status(), where);
  absl::StatusOr<std::shared_ptr<LoadedKernel>> loaded = loadPtx(
      emitted->ptx, emitted->entry, emitted->sharedBytes, emitted->threads, &*params);
  if (!loaded.ok())
    return withContext(loaded.status(), where);
  // Register spills (local memory: the emitter's kernels use none otherwise). ptxas at
  // exactly the register cap that min_blocks_per_sm implies sometimes spills a kernel
  // that fits a few registers fewer, and small changes (such as the folded cast
  // constants) tip it either way: try the variants (spillVariants) in order and keep the
  // first without spills, else the one with the least.
  if ((*loaded)->localBytes() > 0)
    for (KernelVariant &variant : spillVariantKernels(program, kernel, target_, *emitted)) {
      absl::StatusOr<std::shared_ptr<LoadedKernel>> alternative =
          loadPtx(variant.kernel.ptx, variant.kernel.entry, variant.kernel.sharedBytes, variant.kernel.threads,
                  &*params);
      if (alternative.ok() && (*alternative)->localBytes() < (*loaded)->localBytes()) {
        (*alternative)->variant_ = variant.name;
        loaded = std::move(alternative);
      }
      if ((*loaded)->localBytes() == 0)
        break;
    }
  if (const char *log = std::getenv("TESSEL_CUDA_LOG_KERNELS");
      log && *log && *log != '0' && !(*loaded)->variant().empty())
    std::fprintf(stderr, "tessel: kept %s with %s: %d bytes of local memory\n", emitted->entry.c_str(),
                 (*loaded)->variant().c_str(), (*loaded)->localBytes());
  (*state)->kernels[kernel] = *loaded;
  return *loaded;
}

//===----------------------------------------------------------------------===//
// Launches
//===----------------------------------------------------------------------===//

absl::Status CudaBackend::launchAsync(const LoadedKernel &kernel, const vm::Grid &grid,
                                      int64_t threads, KernelParams &params) {
  if (absl::Status s = usable(); !s.ok())
    return s;
  if (grid.x < 0 || grid.y < 0 || grid.z < 0)
    return absl::InvalidArgumentError(absl::StrCat("negative grid (", grid.x, ", ", grid.y, ", ",
                                                   grid.z, ") for '", kernel.entry(), "'"));
  if (grid.numBlocks() == 0)
    return absl::OkStatus(); // nothing to do (a dynamic dimension of 0)
  if (grid.x > 0x7fffffff || grid.y > 65535 || grid.z > 65535)
    return absl::InvalidArgumentError(absl::StrCat(
        "grid (", grid.x, ", ", grid.y, ", ", grid.z, ") of '", kernel.entry(),
        "' exceeds the GPU's limits (2^31-1, 65535, 65535)"));
  if (threads < 1 || threads > 1024)
    return absl::InvalidArgumentError(absl::StrCat("a block of '", kernel.entry(), "' has ",
                                                   threads, " threads; the GPU allows 1 to 1024"));
  ScopedContext scope(driver(), context());
  if (!scope.status().ok())
    return scope.status();
  // Programmatic dependent launch: the kernel may start while the one queued before it
  // runs (it waits for it with griddepcontrol.wait, which kernels get from sm_90 on).
  CUresult refused = CUDA_SUCCESS;
  if (grid.overlapPrevious && overlapsLaunches()) {
    CUlaunchAttribute attribute{};
    attribute.id = CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION;
    attribute.value.programmaticStreamSerializationAllowed = 1;
    CUlaunchConfig config{};
    config.gridDimX = unsigned(grid.x);
    config.gridDimY = unsigned(grid.y);
    config.gridDimZ = unsigned(grid.z);
    config.blockDimX = unsigned(threads);
    config.blockDimY = config.blockDimZ = 1;
    config.sharedMemBytes = unsigned(kernel.sharedBytes());
    config.hStream = stream();
    config.attrs = &attribute;
    config.numAttrs = 1;
    CUresult r = driver().launchKernelEx(&config, kernel.function(), params.pointers(), nullptr);
    if (r != CUDA_ERROR_INVALID_VALUE && r != CUDA_ERROR_NOT_SUPPORTED)
      return check(r, absl::StrCat("launching '", kernel.entry(), "' (cuLaunchKernelEx)"));
    refused = r; // retried below without the attribute
  }
  absl::Status s = check(driver().launchKernel(kernel.function(), unsigned(grid.x), unsigned(grid.y),
                                               unsigned(grid.z), unsigned(threads), 1, 1,
                                               unsigned(kernel.sharedBytes()), stream(),
                                               params.pointers(), nullptr),
                         absl::StrCat("launching '", kernel.entry(), "' (cuLaunchKernel)"));
  // Refused with the attribute but launched without: the driver refuses the attribute
  // itself, and launches run one after another from now on.
  if (refused != CUDA_SUCCESS && s.ok() && overlapLaunches_.exchange(false))
    std::fprintf(stderr, "tessel: the CUDA driver refuses programmatic dependent launches (%s); "
                         "launches run one after another\n",
                 driver().errorText(refused).c_str());
  return s;
}

absl::Status CudaBackend::launchAsync(const vm::Program &program, uint32_t kernel,
                                      const vm::Grid &grid,
                                      const std::vector<vm::KernelArgument> &args) {
  if (absl::Status s = vm::checkKernelArguments(program, kernel, args); !s.ok())
    return s;
  absl::StatusOr<std::shared_ptr<LoadedKernel>> loaded = prepareKernel(program, kernel);
  if (!loaded.ok())
    return loaded.status();
  absl::StatusOr<KernelParams> params = marshalKernelArguments(program, kernel, args);
  if (!params.ok())
    return params.status();
  return launchAsync(**loaded, grid, (*loaded)->threads(), *params);
}

absl::Status CudaBackend::launch(const vm::Program &program, uint32_t kernel, const vm::Grid &grid,
                                 const std::vector<vm::KernelArgument> &args) {
  std::vector<std::string> queued;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queued.swap(queued_);
  }
  if (absl::Status s = launchAsync(program, kernel, grid, args); !s.ok()) {
    synchronize().IgnoreError(); // leave nothing queued in flight
    return s;
  }
  std::string which = absl::StrCat("kernel '", program.functions()[kernel].name, "'");
  for (const std::string &name : queued)
    absl::StrAppend(&which, " (or '", name, "', launched before it)");
  return withContext(synchronize(), absl::StrCat(which, " failed: "));
}

absl::Status CudaBackend::launchQueued(const vm::Program &program, uint32_t kernel,
                                       const vm::Grid &grid,
                                       const std::vector<vm::KernelArgument> &args) {
  if (absl::Status s = launchAsync(program, kernel, grid, args); !s.ok())
    return s;
  std::lock_guard<std::mutex> lock(mutex_);
  queued_.push_back(program.functions()[kernel].name);
  return absl::OkStatus();
}

absl::StatusOr<int64_t> CudaBackend::residentBlocks(const vm::Program &program, uint32_t kernel) {
  absl::StatusOr<std::shared_ptr<LoadedKernel>> loaded = prepareKernel(program, kernel);
  if (!loaded.ok())
    return loaded.status();
  ScopedContext scope(driver(), context());
  if (!scope.status().ok())
    return scope.status();
  int perSm = 0;
  if (absl::Status s = check(driver().occupancyMaxActiveBlocksPerMultiprocessor(
                                 &perSm, (*loaded)->function(), int((*loaded)->threads()),
                                 size_t((*loaded)->sharedBytes())),
                             "cuOccupancyMaxActiveBlocksPerMultiprocessor");
      !s.ok())
    return s;
  return int64_t(std::max(perSm, 1)) * info_.multiprocessors;
}

} // namespace tessel::cuda
