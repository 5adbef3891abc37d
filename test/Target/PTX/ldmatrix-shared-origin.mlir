// Two load_matrix of one shared tile at constant origins that the swizzle keeps apart
// (columns 0 and 128 of rows of 256 = 2^(base + shift) elements: the XORed 16-byte unit
// is the same) share their ldmatrix addresses, the second with an immediate 256 bytes on:
// the decode loop's sub-chunks of a K step held an address register each. A load at a
// run-time origin computes its own. Values agree with the CPU, bit for bit.
// RUN: tessel-translate --tbvm-to-ptx --arch=sm_80 %s | FileCheck %s
// RUN: tessel-translate --tbvm-to-bytecode %s -o %t.tslm
// RUN: tessel-run %t.tslm --device=ptx-sim --compare-with=cpu --tolerance=0,0 --random-inputs | FileCheck %s --check-prefix=CMP
// CHECK-LABEL: .entry tessel_frag(
// CHECK: ldmatrix.sync.aligned.m8n8.x4.shared.b16 {{{.*}}}, [[[A:%r[0-9]+]]];
// CHECK: ldmatrix.sync.aligned.m8n8.x4.shared.b16 {{{.*}}}, [[[B:%r[0-9]+]]];
// CHECK-NEXT: ldmatrix.sync.aligned.m8n8.x4.shared.b16 {{{.*}}}, [[[A]]+128];
// CHECK-NEXT: ldmatrix.sync.aligned.m8n8.x4.shared.b16 {{{.*}}}, [[[B]]+128];
// CHECK-NOT: ldmatrix
// CHECK: ldmatrix.sync.aligned.m8n8.x4.shared.b16 {{{.*}}}, [[[A]]+256];
// CHECK-NEXT: ldmatrix.sync.aligned.m8n8.x4.shared.b16 {{{.*}}}, [[[B]]+256];
// CHECK-NEXT: ldmatrix.sync.aligned.m8n8.x4.shared.b16 {{{.*}}}, [[[A]]+384];
// CHECK-NEXT: ldmatrix.sync.aligned.m8n8.x4.shared.b16 {{{.*}}}, [[[B]]+384];
// CHECK-NOT: ldmatrix
// CHECK-NOT: ldmatrix
// CHECK: ldmatrix.sync.aligned.m8n8.x4.shared.b16 {{{.*}}}, [{{%r[0-9]+}}];
// CMP: compare y: ptx-sim (sm_80) vs cpu: max abs 0, max rel 0, 0 of 2048 beyond tolerance
// CMP: compare z: ptx-sim (sm_80) vs cpu: max abs 0, max rel 0, 0 of 1024 beyond tolerance
!x = !tbvm.gtensor<8x256xf16>
!z = !tbvm.gtensor<8x128xf16>
!s = !tbvm.stensor<8x256xf16, #tbvm.swizzle<3, 3, 5>>
!a = !tbvm.rtensor<8x128xf16, #tbvm.layout<"local(1,16).spatial(8,4).local(1,2)">>
!g = !tbvm.rtensor<8x256xf16, #tbvm.layout<"spatial(8,4).local(1,64)">>
module {
  tbvm.kernel @frag(%x: !x, %y: !x, %z: !z, %c: index) attributes {warps = 1 : i64, shared_bytes = 4096 : i64} {
    %c0 = arith.constant 0 : index
    %c8 = arith.constant 8 : index
    %c128 = arith.constant 128 : index
    %col = arith.muli %c, %c8 : index
    %smem = tbvm.alloc_shared {offset = 0 : i64} : !s
    %v = tbvm.load_global %x[%c0, %c0] : !x -> !g
    tbvm.store_shared %v, %smem[%c0, %c0] : !g, !s
    tbvm.sync
    %f0 = tbvm.load_matrix %smem[%c0, %c0] : !s -> !a
    %f1 = tbvm.load_matrix %smem[%c0, %c128] : !s -> !a
    %f2 = tbvm.load_matrix %smem[%c0, %col] : !s -> !a
    tbvm.store_global %f0, %y[%c0, %c0] : !a, !x
    tbvm.store_global %f1, %y[%c0, %c128] : !a, !x
    tbvm.store_global %f2, %z[%c0, %c0] : !a, !z
    tbvm.return
  }
  tbvm.host @main(%x: !x {tbvm.name = "x"}) -> (!x {tbvm.name = "y"}, !z {tbvm.name = "z"}) {
    %c1 = arith.constant 1 : index
    %c8 = arith.constant 8 : index
    %y = tbvm.alloc_global() : !x
    %z = tbvm.alloc_global() : !z
    tbvm.launch @frag grid(%c1, %c1, %c1) (%x, %y, %z, %c8) : (!x, !x, !z, index) -> ()
    tbvm.return %y, %z : !x, !z
  }
}
