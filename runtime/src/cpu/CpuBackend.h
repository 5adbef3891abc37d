// The CPU reference executor as a Backend: device memory is host memory, constants are
// used in place from the module's bytes, and the blocks of a launch run in parallel on a
// thread pool (one thread: in order, deterministic).
#ifndef TESSEL_CPU_CPUBACKEND_H
#define TESSEL_CPU_CPUBACKEND_H

#include "vm/Backend.h"

#include <memory>

namespace tessel::cpu {

class ThreadPool;

struct CpuBackendOptions {
  /// Worker threads for the blocks of a launch; 0: one per hardware thread; 1: the
  /// calling thread only, blocks in order (deterministic atomics and prints).
  unsigned threads = 0;
};

class CpuBackend : public vm::Backend {
public:
  explicit CpuBackend(CpuBackendOptions options = {});
  ~CpuBackend() override;

  std::string name() const override { return "cpu"; }
  absl::StatusOr<vm::DeviceAddress> allocate(uint64_t bytes) override;
  /// Filled with 0xFF bytes (NaN in f16, bf16 and f32, -1 in signed integers; not NaN in
  /// the codes without one), so that an element a kernel reads before writing, or leaves
  /// unwritten, shows in the results.
  absl::StatusOr<vm::DeviceAddress> allocateUninitialized(uint64_t bytes) override;
  void deallocate(vm::DeviceAddress address) override;
  absl::Status copyToDevice(vm::DeviceAddress dst, const void *src, uint64_t bytes) override;
  absl::Status copyToHost(void *dst, vm::DeviceAddress src, uint64_t bytes) override;
  absl::StatusOr<vm::DeviceAddress> constantAddress(const vm::Program &program,
                                                    uint32_t index) override;
  absl::Status launch(const vm::Program &program, uint32_t kernel, const vm::Grid &grid,
                      const std::vector<vm::KernelArgument> &args) override;
  /// The worker threads (blocks run one per thread).
  absl::StatusOr<int64_t> residentBlocks(const vm::Program &, uint32_t) override {
    return int64_t(threads());
  }

  unsigned threads() const;

private:
  std::unique_ptr<ThreadPool> pool_;
};

} // namespace tessel::cpu

#endif // TESSEL_CPU_CPUBACKEND_H
