// The register fragment layouts of the tensor-core instructions (PTX ISA, "Matrix
// Fragments for mma.m16n8k16" and "ldmatrix"), in the layout algebra. The compiler's
// verifiers and the PTX emitter both select instructions by dividing tile layouts by
// these.
#ifndef TESSEL_VM_FRAGMENTS_H
#define TESSEL_VM_FRAGMENTS_H

#include "vm/Layout.h"

namespace tessel::vm {

/// mma.m16n8k16 with 16-bit inputs: A (16x16, registers a0..a7 as slots), B (16x8 k x n,
/// b0..b3), C/D (16x8, f32 c0..c3). Checked element by element in LayoutMmaTest.cpp.
const Layout &mmaALayout();
const Layout &mmaBLayout();
const Layout &mmaCLayout();
/// mma.m16n8k32 with 8-bit integer inputs (.s8/.u8, .s32 accumulators): A (16x32,
/// a0..a15 as slots, four per 32-bit register), B (32x8 k x n, b0..b7). C/D is
/// mmaCLayout() with .s32 elements.
const Layout &mmaA8Layout();
const Layout &mmaB8Layout();
/// mma.sp::ordered_metadata m16n8k32 with 16-bit float inputs (2:4 sparse A): the kept
/// values of A (16x16, two of every four along K) use mmaALayout(); B (32x8 k x n,
/// b0..b7) is two m16n8k16 B fragments stacked along K; C/D is mmaCLayout(). The
/// metadata (16x8 4-bit nibbles, one per group of four K columns: position of the first
/// kept value in bits 0-1, of the second in bits 2-3) sits in one 32-bit register per
/// thread: lane 4g + 2r + h holds row g (bits 0-15) and row g + 8 (bits 16-31), nibbles
/// 4h..4h+3, for r = 0, 1 (both pairs hold it, so either sparsity selector reads it).
const Layout &mmaSpBLayout();
const Layout &mmaSpMetaLayout();
/// One 8x8 matrix of 16-bit elements loaded by ldmatrix: lane t holds row t/4, columns
/// 2(t%4) and 2(t%4)+1; with .trans the transpose (lane t holds column t/4).
const Layout &ldmatrixLayout(bool transpose);

} // namespace tessel::vm

#endif // TESSEL_VM_FRAGMENTS_H
