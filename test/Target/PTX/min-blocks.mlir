// A kernel's min_blocks_per_sm becomes .minnctapersm (ptxas then caps registers so that
// many blocks fit on an SM); --min-blocks-per-sm (the runtime's $TESSEL_CUDA_MIN_BLOCKS)
// overrides it for every kernel, 0 meaning none. The attribute survives the bytecode.
// RUN: tessel-translate --tbvm-to-ptx --arch=sm_90 %s | FileCheck %s
// RUN: tessel-translate --tbvm-to-ptx --arch=sm_90 --min-blocks-per-sm=4 %s | FileCheck %s --check-prefix=ALL4
// RUN: tessel-translate --tbvm-to-ptx --arch=sm_90 --min-blocks-per-sm=0 %s | FileCheck %s --check-prefix=NONE
// RUN: not tessel-translate --tbvm-to-ptx --arch=sm_90 --min-blocks-per-sm=40 %s 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: tessel-translate --tbvm-to-bytecode %s | tessel-translate --bytecode-to-tbvm | FileCheck %s --check-prefix=ROUND
// --register-slack=N (the CUDA backend's first retry for a kernel that spills) asks for
// .maxnreg N below the cap instead (65536 / (blocks * threads), in steps of 8, at most
// 255): the same occupancy, a tighter budget for ptxas; never below 64 (--min-blocks=32
// on 32 threads: a cap of 64, no .maxnreg).
// RUN: tessel-translate --tbvm-to-ptx --arch=sm_90 --register-slack=8 %s | FileCheck %s --check-prefix=SLACK
// RUN: tessel-translate --tbvm-to-ptx --arch=sm_90 --register-slack=8 --min-blocks-per-sm=16 %s | FileCheck %s --check-prefix=SLACK16
// RUN: not tessel-translate --tbvm-to-ptx --arch=sm_90 --register-slack=-8 %s 2>&1 | FileCheck %s --check-prefix=BADSLACK
// RUN: tessel-translate --tbvm-to-ptx --arch=sm_90 --register-slack=8 --min-blocks-per-sm=32 %s | FileCheck %s --check-prefix=FLOOR
// The low-bit GEMM template asks for 4 blocks for 4-bit codes at M = 1 unless told otherwise:
// RUN: tessel-opt /dev/null --tessel-generate-lowbit-gemm="type=si4 m=1" | FileCheck %s --check-prefix=GEN
// RUN: tessel-opt /dev/null --tessel-generate-lowbit-gemm="type=si4 m=1 min-blocks=0" | FileCheck %s --check-prefix=GEN0
// CHECK-LABEL: .entry tessel_copy(
// CHECK: .maxntid 32, 1, 1
// CHECK-NOT: .minnctapersm
// CHECK-LABEL: .entry tessel_copy3(
// CHECK: .maxntid 32, 1, 1
// CHECK-NEXT: .minnctapersm 3
// ALL4-COUNT-2: .minnctapersm 4
// NONE-NOT: .minnctapersm
// BAD: --min-blocks-per-sm must be 0..32, not 40
// SLACK-LABEL: .entry tessel_copy(
// SLACK-NOT: .maxnreg
// SLACK-LABEL: .entry tessel_copy3(
// SLACK: .maxntid 32, 1, 1
// SLACK-NEXT: .maxnreg 247
// SLACK-NOT: .minnctapersm
// SLACK16-COUNT-2: .maxnreg 120
// SLACK16-NOT: .minnctapersm
// BADSLACK: --register-slack must be 0..128, not -8
// FLOOR-NOT: .maxnreg
// FLOOR-COUNT-2: .minnctapersm 32
// ROUND: tbvm.kernel @copy3({{.*}} attributes {min_blocks_per_sm = 3 : i64
// GEN: tbvm.kernel @main_kernel({{.*}}min_blocks_per_sm = 4 : i64
// GEN0-NOT: min_blocks_per_sm

!v = !tbvm.gtensor<?xf32>
!r = !tbvm.rtensor<32xf32, #tbvm.layout<"spatial(32)">>
tbvm.kernel @copy(%x: !v, %y: !v) attributes {warps = 1 : i64} {
  %c0 = arith.constant 0 : index
  %a = tbvm.load_global %x[%c0] : !v -> !r
  tbvm.store_global %a, %y[%c0] : !r, !v
  tbvm.return
}
tbvm.kernel @copy3(%x: !v, %y: !v) attributes {warps = 1 : i64, min_blocks_per_sm = 3 : i64} {
  %c0 = arith.constant 0 : index
  %a = tbvm.load_global %x[%c0] : !v -> !r
  tbvm.store_global %a, %y[%c0] : !r, !v
  tbvm.return
}
