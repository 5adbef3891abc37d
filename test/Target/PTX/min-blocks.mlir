// --min-blocks-per-sm (the runtime's $TESSEL_CUDA_MIN_BLOCKS) adds .minnctapersm to each
// kernel, which ptxas honours by capping registers; without it there is none.
// RUN: tessel-translate --tbvm-to-ptx --arch=sm_90 --min-blocks-per-sm=4 %s | FileCheck %s
// RUN: tessel-translate --tbvm-to-ptx --arch=sm_90 %s | FileCheck %s --check-prefix=NONE
// RUN: not tessel-translate --tbvm-to-ptx --arch=sm_90 --min-blocks-per-sm=40 %s 2>&1 | FileCheck %s --check-prefix=BAD
// CHECK: .maxntid 32, 1, 1
// CHECK-NEXT: .minnctapersm 4
// NONE-NOT: .minnctapersm
// BAD: --min-blocks-per-sm must be 0..32, not 40

!v = !tbvm.gtensor<?xf32>
!r = !tbvm.rtensor<32xf32, #tbvm.layout<"spatial(32)">>
tbvm.kernel @copy(%x: !v, %y: !v) attributes {warps = 1 : i64} {
  %c0 = arith.constant 0 : index
  %a = tbvm.load_global %x[%c0] : !v -> !r
  tbvm.store_global %a, %y[%c0] : !r, !v
  tbvm.return
}
