// RUN: tessel-opt %s --pass-pipeline="builtin.module(tbvm.kernel(tbvm-plan-shared-memory))" | FileCheck %s
// RUN: not tessel-opt %s --pass-pipeline="builtin.module(tbvm.kernel(tbvm-plan-shared-memory{alignment=48}))" 2>&1 | FileCheck %s --check-prefix=ALIGN

// Tiles live at the same time get disjoint bytes (largest first); a tile whose live
// range ended is reused; a tile used inside the loop lives to the loop's end.
// CHECK-LABEL: tbvm.kernel @plan
// CHECK-SAME: shared_bytes = 5120
// CHECK: %[[A:.*]] = tbvm.alloc_shared {offset = 0 : i64} : !tbvm.stensor<32x32xf32>
// CHECK: %[[B:.*]] = tbvm.alloc_shared {offset = 4096 : i64} : !tbvm.stensor<16x32xf16>
// CHECK: %[[C:.*]] = tbvm.alloc_shared {offset = 0 : i64} : !tbvm.stensor<16x16xf32>
// ALIGN: error: tbvm-plan-shared-memory: alignment must be a power of two, got 48
!r = !tbvm.rtensor<16x32xf16, #tbvm.layout<"spatial(16,2).local(1,16)">>
!rc = !tbvm.rtensor<16x16xf32, #tbvm.layout<"spatial(16,2).local(1,8)">>
!ra = !tbvm.rtensor<32x32xf32, #tbvm.layout<"spatial(16,2).local(2,16)">>
tbvm.kernel @plan() attributes {warps = 1 : i64} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %a = tbvm.alloc_shared : !tbvm.stensor<32x32xf32>
  %b = tbvm.alloc_shared : !tbvm.stensor<16x32xf16>
  scf.for %i = %c0 to %c4 step %c1 {
    %x = tbvm.load_shared %a[%c0, %c0] : !tbvm.stensor<32x32xf32> -> !ra
    %y = tbvm.load_shared %b[%c0, %c0] : !tbvm.stensor<16x32xf16> -> !r
  }
  %c = tbvm.alloc_shared : !tbvm.stensor<16x16xf32>
  %z = tbvm.load_shared %c[%c0, %c0] : !tbvm.stensor<16x16xf32> -> !rc
  tbvm.return
}
