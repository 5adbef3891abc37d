#include "cuda/PtxSimBackend.h"

#include "cuda/KernelParams.h"
#include "cuda/PtxSimulator.h"

namespace tessel::cuda {

PtxSimBackend::PtxSimBackend(Target target)
    : cpu::CpuBackend(cpu::CpuBackendOptions{1}), target_(target) {}

absl::Status PtxSimBackend::launch(const vm::Program &program, uint32_t kernel,
                                   const vm::Grid &grid,
                                   const std::vector<vm::KernelArgument> &args) {
  absl::Status ok = vm::checkKernelArguments(program, kernel, args);
  if (!ok.ok())
    return ok;
  // One emission per (program, kernel), shared by later launches.
  std::string key = "ptx-sim/" + target_.smName() + "/" + std::to_string(kernel);
  std::shared_ptr<const void> cached = program.getOrCreateCache(key, [&]() -> std::shared_ptr<const void> {
    auto result = std::make_shared<absl::StatusOr<EmittedKernel>>(emitKernel(program, kernel, target_));
    return result;
  });
  const auto &emitted = *static_cast<const absl::StatusOr<EmittedKernel> *>(cached.get());
  if (!emitted.ok())
    return emitted.status();
  absl::StatusOr<KernelParams> params = marshalKernelArguments(program, kernel, args);
  if (!params.ok())
    return params.status();
  SimLaunch launch;
  launch.kernel = emitted->structured.get();
  for (size_t i = 0; i < params->size(); ++i)
    launch.params.push_back(params->bits(i));
  launch.grid[0] = grid.x;
  launch.grid[1] = grid.y;
  launch.grid[2] = grid.z;
  launch.sharedBytes = emitted->sharedBytes;
  for (const vm::KernelArgument &arg : args)
    if (arg.isTensor)
      launch.memory.push_back({arg.tensor.address, arg.tensor.address + arg.tensor.extent,
                               !arg.tensor.readOnly});
  return simulate(launch);
}

} // namespace tessel::cuda
