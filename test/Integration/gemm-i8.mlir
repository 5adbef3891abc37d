// An 8-bit integer GEMM on tensor-core layouts: C[M, N] = A[M, K] * B[K, N] in 32-bit
// integers (exact). One warp per 32x16 block tile (2x2 mma.m16n8k32 tiles), K steps of 32,
// operands loaded straight from global memory in the int8 fragment layouts (PTX ISA
// m16n8k32 .s8), so the GPU uses mma.sync.m16n8k32.s32.s8.s8.s32.
//
// RUN: tessel-translate --tbvm-to-bytecode %s -o %t.tslm
// RUN: rm -rf %t.d && mkdir -p %t.d
// RUN: %python %S/Inputs/reference.py igemm %t.d --m=70 --n=40 --k=96
// RUN: tessel-run %t.tslm --device=cpu --input=a=%t.d/a.npy --input=b=%t.d/b.npy --output-dir=%t.d/out | FileCheck %s
// RUN: %python %S/Inputs/reference.py check %t.d
// RUN: rm -rf %t.d/out
// RUN: tessel-run %t.tslm --device=ptx-sim --input=a=%t.d/a.npy --input=b=%t.d/b.npy --output-dir=%t.d/out | FileCheck %s
// RUN: %python %S/Inputs/reference.py check %t.d
// RUN: tessel-translate --tbvm-to-ptx --arch=sm_80 %s | FileCheck %s --check-prefix=PTX
// CHECK: c: i32 [70, 40]
// PTX-COUNT-4: mma.sync.aligned.m16n8k32.row.col.s32.s8.s8.s32
// PTX-NOT: mma.sync

!Ag = !tbvm.gtensor<?x?xi8>
!Cg = !tbvm.gtensor<?x?xi32>
!A = !tbvm.rtensor<32x32xi8, #tbvm.layout<"local(2,1).column_local(2,2).spatial(8,4).local(1,4)">>
!B = !tbvm.rtensor<32x16xi8, #tbvm.layout<"local(1,2).local(2,1).column_spatial(4,8).local(4,1)">>
!C = !tbvm.rtensor<32x16xi32, #tbvm.layout<"local(2,2).local(2,1).spatial(8,4).local(1,2)">>

module {
  tbvm.kernel @igemm(%a: !Ag, %b: !Ag, %c: !Cg) attributes {warps = 1 : i64} {
    %c0 = arith.constant 0 : index
    %c16 = arith.constant 16 : index
    %c32 = arith.constant 32 : index
    %bx = tbvm.block_idx x
    %by = tbvm.block_idx y
    %m0 = arith.muli %bx, %c32 : index
    %n0 = arith.muli %by, %c16 : index
    %kdim = tbvm.dim %a, 1 : !Ag
    %zero = tbvm.alloc_regs -> !C
    %acc = scf.for %k = %c0 to %kdim step %c32 iter_args(%acc_i = %zero) -> (!C) {
      %fa = tbvm.load_global %a[%m0, %k] : !Ag -> !A
      %fb = tbvm.load_global %b[%k, %n0] : !Ag -> !B
      %next = tbvm.dot %fa, %fb, %acc_i : !A, !B, !C -> !C
      scf.yield %next : !C
    }
    tbvm.store_global %acc, %c[%m0, %n0] : !C, !Cg
    tbvm.return
  }

  tbvm.host @main(%a: !Ag {tbvm.name = "a"}, %b: !Ag {tbvm.name = "b"}) -> (!Cg {tbvm.name = "c"}) {
    %c1 = arith.constant 1 : index
    %c16 = arith.constant 16 : index
    %c32 = arith.constant 32 : index
    %m = tbvm.dim %a, 0 : !Ag
    %n = tbvm.dim %b, 1 : !Ag
    %c = tbvm.alloc_global(%m, %n) : !Cg
    %gm = arith.ceildivui %m, %c32 : index
    %gn = arith.ceildivui %n, %c16 : index
    tbvm.launch @igemm grid(%gm, %gn, %c1) (%a, %b, %c) : (!Ag, !Ag, !Cg) -> ()
    tbvm.return %c : !Cg
  }
}
