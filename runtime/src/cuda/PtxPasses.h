// Passes over the structured PTX (Ptx.h) that the emitter runs before printing and
// simulating a kernel.
#ifndef TESSEL_CUDA_PTXPASSES_H
#define TESSEL_CUDA_PTXPASSES_H

#include "Ptx.h"

#include <cstddef>

namespace tessel::cuda::ptx {

/// Moves the pure instructions of each loop (a label and a backward branch to it) whose
/// results are the same in every iteration in front of the loop: instructions with no
/// memory access, synchronization or guard predicate, whose destination registers are
/// written nowhere else in the kernel and whose sources are not written in the loop (or
/// only by instructions moved out). Inner loops first. Returns how many moved.
size_t hoistLoopInvariants(Kernel &kernel);

} // namespace tessel::cuda::ptx

#endif // TESSEL_CUDA_PTXPASSES_H
