// ldmatrix groups whose matrices lie a whole number of swizzle periods after an earlier
// group's (the four 16-row m-tiles of an A tile in a swizzled 64 x 64 shared tile: 8-row
// period) reuse its address with an immediate offset instead of computing their own.
// Values agree with the CPU.
// RUN: tessel-translate --tbvm-to-ptx --arch=sm_80 %s | FileCheck %s
// RUN: tessel-translate --tbvm-to-bytecode %s -o %t.tslm
// RUN: tessel-run %t.tslm --device=ptx-sim --compare-with=cpu --tolerance=0,0 --random-inputs | FileCheck %s --check-prefix=CMP
// CHECK-LABEL: .entry tessel_frag(
// CHECK: ldmatrix.sync.aligned.m8n8.x4.shared.b16 {{{.*}}}, [[[A:%r[0-9]+]]];
// CHECK-NEXT: ldmatrix.sync.aligned.m8n8.x4.shared.b16 {{{.*}}}, [[[A]]+2048];
// CHECK-NEXT: ldmatrix.sync.aligned.m8n8.x4.shared.b16 {{{.*}}}, [[[A]]+4096];
// CHECK-NEXT: ldmatrix.sync.aligned.m8n8.x4.shared.b16 {{{.*}}}, [[[A]]+6144];
// CMP: compare y: ptx-sim (sm_80) vs cpu: max abs 0, max rel 0, 0 of 1024 beyond tolerance
!x = !tbvm.gtensor<64x64xf16>
!y = !tbvm.gtensor<64x16xf16>
!s = !tbvm.stensor<64x64xf16, #tbvm.swizzle<3, 3, 3>>
!a = !tbvm.rtensor<64x16xf16, #tbvm.layout<"local(4,1).column_local(2,2).spatial(8,4).local(1,2)">>
!g = !tbvm.rtensor<64x64xf16, #tbvm.layout<"spatial(32,1).local(2,64)">>
module {
  tbvm.kernel @frag(%x: !x, %y: !y) attributes {warps = 1 : i64, shared_bytes = 8192 : i64} {
    %c0 = arith.constant 0 : index
    %smem = tbvm.alloc_shared {offset = 0 : i64} : !s
    %v = tbvm.load_global %x[%c0, %c0] : !x -> !g
    tbvm.store_shared %v, %smem[%c0, %c0] : !g, !s
    tbvm.sync
    %f = tbvm.load_matrix %smem[%c0, %c0] : !s -> !a
    tbvm.store_global %f, %y[%c0, %c0] : !a, !y
    tbvm.return
  }
  tbvm.host @main(%x: !x {tbvm.name = "x"}) -> (!y {tbvm.name = "y"}) {
    %c1 = arith.constant 1 : index
    %y = tbvm.alloc_global() : !y
    tbvm.launch @frag grid(%c1, %c1, %c1) (%x, %y) : (!x, !y) -> ()
    tbvm.return %y : !y
  }
}
