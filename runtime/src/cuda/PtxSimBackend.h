// The "ptx-sim" device: the CPU backend's memory with kernels run through the GPU code
// path — the PTX emitter, then the PTX simulator — so emitter bugs show up on machines
// without a GPU (tessel-run --device=ptx-sim, and the integration tests).
#ifndef TESSEL_CUDA_PTXSIMBACKEND_H
#define TESSEL_CUDA_PTXSIMBACKEND_H

#include "cpu/CpuBackend.h"
#include "cuda/PtxEmitter.h"

namespace tessel::cuda {

class PtxSimBackend : public cpu::CpuBackend {
public:
  explicit PtxSimBackend(Target target);
  std::string name() const override { return "ptx-sim (" + target_.smName() + ")"; }
  absl::Status launch(const vm::Program &program, uint32_t kernel, const vm::Grid &grid,
                      const std::vector<vm::KernelArgument> &args) override;

private:
  Target target_;
};

} // namespace tessel::cuda

#endif // TESSEL_CUDA_PTXSIMBACKEND_H
