// A tiled f16 GEMM on tensor-core layouts: C[M, N] = A[M, K] * B[K, N], f32 accumulation.
// 64x64 block tiles, 4 warps (2 x 2, each 32x32 = 2x4 mma.m16n8k16 tiles), K steps of 16
// staged through swizzled shared memory with copy_async and read with load_matrix.
//
// RUN: tessel-opt %s --tbvm-plan-shared-memory -o %t.mlir
// RUN: tessel-translate --tbvm-to-bytecode %t.mlir -o %t.tslm
// RUN: rm -rf %t.d && mkdir -p %t.d
// RUN: %python %S/Inputs/reference.py gemm %t.d --m=100 --n=72 --k=48
// RUN: tessel-run %t.tslm --device=cpu --input=a=%t.d/a.npy --input=b=%t.d/b.npy --output-dir=%t.d/out | FileCheck %s
// RUN: %python %S/Inputs/reference.py check %t.d
// RUN: rm -rf %t.d/out
// RUN: tessel-run %t.tslm --device=ptx-sim --input=a=%t.d/a.npy --input=b=%t.d/b.npy --output-dir=%t.d/out | FileCheck %s
// RUN: %python %S/Inputs/reference.py check %t.d
// CHECK: c: f32 [100, 72]

!Ag = !tbvm.gtensor<?x?xf16>
!Cg = !tbvm.gtensor<?x?xf32>
!Sa = !tbvm.stensor<64x16xf16, #tbvm.swizzle<2, 3, 3>>
!Sb = !tbvm.stensor<16x64xf16, #tbvm.swizzle<2, 3, 3>>
// Warp (wm, wn) = thread / 32 owns rows 32 wm.. and columns 32 wn..; the mma fragments
// are the innermost factors (PTX ISA m16n8k16 layouts).
!A = !tbvm.rtensor<64x16xf16, #tbvm.layout<"spatial(2,1).replicate(2).local(2,1).column_local(2,2).spatial(8,4).local(1,2)">>
!B = !tbvm.rtensor<16x64xf16, #tbvm.layout<"replicate(2).spatial(1,2).local(1,4).local(2,1).column_spatial(4,8).local(2,1)">>
!C = !tbvm.rtensor<64x64xf32, #tbvm.layout<"spatial(2,2).local(2,4).local(2,1).spatial(8,4).local(1,2)">>

module {
  tbvm.kernel @gemm(%a: !Ag, %b: !Ag, %c: !Cg) attributes {warps = 4 : i64} {
    %c0 = arith.constant 0 : index
    %c16 = arith.constant 16 : index
    %c64 = arith.constant 64 : index
    %bx = tbvm.block_idx x
    %by = tbvm.block_idx y
    %m0 = arith.muli %bx, %c64 : index
    %n0 = arith.muli %by, %c64 : index
    %kdim = tbvm.dim %a, 1 : !Ag
    %sa = tbvm.alloc_shared : !Sa
    %sb = tbvm.alloc_shared : !Sb
    %zero = tbvm.alloc_regs -> !C
    %acc = scf.for %k = %c0 to %kdim step %c16 iter_args(%acc_i = %zero) -> (!C) {
      tbvm.copy_async %a[%m0, %k], %sa : !Ag, !Sa
      tbvm.copy_async %b[%k, %n0], %sb : !Ag, !Sb
      tbvm.copy_async_commit
      tbvm.copy_async_wait {pending = 0 : i64}
      tbvm.sync
      %fa = tbvm.load_matrix %sa[%c0, %c0] : !Sa -> !A
      %fb = tbvm.load_matrix %sb[%c0, %c0] {transpose = true} : !Sb -> !B
      tbvm.sync
      %next = tbvm.dot %fa, %fb, %acc_i : !A, !B, !C -> !C
      scf.yield %next : !C
    }
    tbvm.store_global %acc, %c[%m0, %n0] : !C, !Cg
    tbvm.return
  }

  tbvm.host @main(%a: !Ag {tbvm.name = "a"}, %b: !Ag {tbvm.name = "b"}) -> (!Cg {tbvm.name = "c"}) {
    %c1 = arith.constant 1 : index
    %c64 = arith.constant 64 : index
    %m = tbvm.dim %a, 0 : !Ag
    %n = tbvm.dim %b, 1 : !Ag
    %c = tbvm.alloc_global(%m, %n) : !Cg
    %gm = arith.ceildivui %m, %c64 : index
    %gn = arith.ceildivui %n, %c64 : index
    tbvm.launch @gemm grid(%gm, %gn, %c1) (%a, %b, %c) : (!Ag, !Ag, !Cg) -> ()
    tbvm.return %c : !Cg
  }
}
