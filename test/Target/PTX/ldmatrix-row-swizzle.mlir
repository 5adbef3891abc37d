// In a shared tile whose rows are 2^(base + shift) elements (here 256, swizzle<3, 3, 5>:
// the row's low 3 bits XOR the 16-byte unit, conflict-free), ldmatrix groups a multiple
// of 64 columns apart share one address with immediate offsets: the 8 groups of x4 across
// an 8 x 256 tile compute 2 addresses. Values agree with the CPU, bit for bit.
// RUN: tessel-translate --tbvm-to-ptx --arch=sm_80 %s | FileCheck %s
// RUN: tessel-translate --tbvm-to-bytecode %s -o %t.tslm
// RUN: tessel-run %t.tslm --device=ptx-sim --compare-with=cpu --tolerance=0,0 --random-inputs | FileCheck %s --check-prefix=CMP
// Each lane's matrix in a group (lane / 8) picks its block column from a byte table in
// an immediate (4, 5, 6, 7 for the second group), not a chain of selects.
// CHECK-LABEL: .entry tessel_frag(
// CHECK: ldmatrix.sync.aligned.m8n8.x4.shared.b16 {{{.*}}}, [[[A:%r[0-9]+]]];
// CHECK: shr.u32 %r{{[0-9]+}}, 117835012, %r{{[0-9]+}};
// CHECK-NOT: setp.eq.u32
// CHECK: ldmatrix.sync.aligned.m8n8.x4.shared.b16 {{{.*}}}, [[[B:%r[0-9]+]]];
// CHECK-NEXT: ldmatrix.sync.aligned.m8n8.x4.shared.b16 {{{.*}}}, [[[A]]+128];
// CHECK-NEXT: ldmatrix.sync.aligned.m8n8.x4.shared.b16 {{{.*}}}, [[[B]]+128];
// CHECK-NEXT: ldmatrix.sync.aligned.m8n8.x4.shared.b16 {{{.*}}}, [[[A]]+256];
// CHECK-NEXT: ldmatrix.sync.aligned.m8n8.x4.shared.b16 {{{.*}}}, [[[B]]+256];
// CHECK-NEXT: ldmatrix.sync.aligned.m8n8.x4.shared.b16 {{{.*}}}, [[[A]]+384];
// CHECK-NEXT: ldmatrix.sync.aligned.m8n8.x4.shared.b16 {{{.*}}}, [[[B]]+384];
// CMP: compare y: ptx-sim (sm_80) vs cpu: max abs 0, max rel 0, 0 of 2048 beyond tolerance
!x = !tbvm.gtensor<8x256xf16>
!s = !tbvm.stensor<8x256xf16, #tbvm.swizzle<3, 3, 5>>
!a = !tbvm.rtensor<8x256xf16, #tbvm.layout<"local(1,32).spatial(8,4).local(1,2)">>
!g = !tbvm.rtensor<8x256xf16, #tbvm.layout<"spatial(8,4).local(1,64)">>
module {
  tbvm.kernel @frag(%x: !x, %y: !x) attributes {warps = 1 : i64, shared_bytes = 4096 : i64} {
    %c0 = arith.constant 0 : index
    %smem = tbvm.alloc_shared {offset = 0 : i64} : !s
    %v = tbvm.load_global %x[%c0, %c0] : !x -> !g
    tbvm.store_shared %v, %smem[%c0, %c0] : !g, !s
    tbvm.sync
    %f = tbvm.load_matrix %smem[%c0, %c0] : !s -> !a
    tbvm.store_global %f, %y[%c0, %c0] : !a, !x
    tbvm.return
  }
  tbvm.host @main(%x: !x {tbvm.name = "x"}) -> (!x {tbvm.name = "y"}) {
    %c1 = arith.constant 1 : index
    %y = tbvm.alloc_global() : !x
    tbvm.launch @frag grid(%c1, %c1, %c1) (%x, %y) : (!x, !x) -> ()
    tbvm.return %y : !x
  }
}
