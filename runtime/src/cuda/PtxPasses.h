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

/// Lets a loop's yielded values live in the loop-carried registers: where the emitter
/// passes `v` to the next iteration through `mov t, v; mov c, t` at the latch and `v` is
/// computed after the loop's last read of `c` (and used only in the loop, after it is
/// written), `v` becomes `c` and both copies go (ptxas had kept many such moves).
/// Returns how many values.
size_t coalesceLoopCopies(Kernel &kernel);

} // namespace tessel::cuda::ptx

#endif // TESSEL_CUDA_PTXPASSES_H
