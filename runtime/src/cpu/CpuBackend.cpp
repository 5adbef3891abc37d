#include "cpu/CpuBackend.h"

#include "cpu/BlockExecutor.h"
#include "cpu/KernelPlan.h"
#include "cpu/ThreadPool.h"

#include "absl/strings/str_cat.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace tessel::cpu {

using namespace tessel::vm;

CpuBackend::CpuBackend(CpuBackendOptions options)
    : pool_(std::make_unique<ThreadPool>(options.threads)) {}

CpuBackend::~CpuBackend() = default;

unsigned CpuBackend::threads() const { return pool_->size(); }

absl::StatusOr<DeviceAddress> CpuBackend::allocate(uint64_t bytes) {
  // Zeroed, and padded so that reads of a few bytes past a sub-byte element stay inside.
  void *p = bytes < (uint64_t(1) << 44) ? std::calloc(size_t(bytes) + 8, 1) : nullptr;
  if (!p)
    return absl::ResourceExhaustedError(absl::StrCat("cannot allocate ", bytes, " bytes"));
  return DeviceAddress(reinterpret_cast<uintptr_t>(p));
}

absl::StatusOr<DeviceAddress> CpuBackend::allocateUninitialized(uint64_t bytes) {
  absl::StatusOr<DeviceAddress> address = allocate(bytes);
  if (address.ok())
    std::memset(reinterpret_cast<void *>(uintptr_t(*address)), 0xFF, size_t(bytes));
  return address;
}

void CpuBackend::deallocate(DeviceAddress address) {
  std::free(reinterpret_cast<void *>(uintptr_t(address)));
}

absl::Status CpuBackend::copyToDevice(DeviceAddress dst, const void *src, uint64_t bytes) {
  if (bytes)
    std::memcpy(reinterpret_cast<void *>(uintptr_t(dst)), src, size_t(bytes));
  return absl::OkStatus();
}

absl::Status CpuBackend::copyToHost(void *dst, DeviceAddress src, uint64_t bytes) {
  if (bytes)
    std::memcpy(dst, reinterpret_cast<const void *>(uintptr_t(src)), size_t(bytes));
  return absl::OkStatus();
}

absl::StatusOr<DeviceAddress> CpuBackend::constantAddress(const Program &program, uint32_t index) {
  if (index >= program.constants().size())
    return absl::InvalidArgumentError(absl::StrCat("no constant ", index));
  // In place: kernels never write constants (stores into them are errors).
  return DeviceAddress(reinterpret_cast<uintptr_t>(program.constants()[index].data));
}

absl::Status CpuBackend::launch(const Program &program, uint32_t kernel, const Grid &grid,
                                const std::vector<KernelArgument> &args) {
  if (absl::Status s = checkKernelArguments(program, kernel, args); !s.ok())
    return s;
  if (grid.x < 0 || grid.y < 0 || grid.z < 0)
    return absl::InvalidArgumentError("negative grid");
  int64_t blocks = grid.numBlocks();
  if (blocks == 0)
    return absl::OkStatus();
  absl::StatusOr<std::shared_ptr<const KernelPlan>> plan = getKernelPlan(program, kernel);
  if (!plan.ok())
    return plan.status();
  std::atomic<int64_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex errorMutex;
  int64_t errorBlock = INT64_MAX;
  absl::Status error;
  // Blocks are handed out in small chunks; after an error no new block starts, and the
  // error of the lowest-numbered failing block is reported.
  const int64_t chunk = std::max<int64_t>(1, std::min<int64_t>(16, blocks / (8 * pool_->size())));
  pool_->runOnAll([&](unsigned) {
    BlockExecutor executor(**plan);
    while (!failed.load(std::memory_order_relaxed)) {
      int64_t first = next.fetch_add(chunk);
      if (first >= blocks)
        return;
      for (int64_t b = first; b < std::min(blocks, first + chunk); ++b) {
        int64_t x = b % grid.x, y = b / grid.x % grid.y, z = b / (grid.x * grid.y);
        absl::Status s = executor.run(grid, x, y, z, args);
        if (!s.ok()) {
          std::lock_guard<std::mutex> lock(errorMutex);
          if (b < errorBlock) {
            errorBlock = b;
            error = s;
          }
          failed = true;
          return;
        }
      }
    }
  });
  return error;
}

} // namespace tessel::cpu
