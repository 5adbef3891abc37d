// A 2:4 sparse f16 GEMM on sparse tensor cores: C[M, N] = A[M, K] * B[K, N], f32 sums,
// with A given as its kept values av [M, K/2] and 4-bit metadata (two per byte, [M, K/8]
// bytes). One warp per 32x16 block tile (2x2 mma.sp m16n8k32 tiles), K steps of 32, the
// operands loaded straight from global memory in the sparse fragment layouts
// (vm/Fragments.h): the metadata as bytes, then viewed as the 4-bit nibbles the
// instruction reads, so the GPU uses mma.sp::ordered_metadata.
// M is a multiple of the block's 32 rows: rows past M would read zero metadata, which
// names no valid 2:4 pattern (the padding of a compressed matrix is the compressor's).
//
// RUN: tessel-translate --tbvm-to-bytecode %s -o %t.tslm
// RUN: rm -rf %t.d && mkdir -p %t.d
// RUN: %python %S/Inputs/reference.py spgemm %t.d --m=64 --n=40 --k=96
// RUN: tessel-run %t.tslm --device=cpu --input=av=%t.d/av.npy --input=meta=%t.d/meta.npy --input=b=%t.d/b.npy --output-dir=%t.d/out | FileCheck %s
// RUN: %python %S/Inputs/reference.py check %t.d
// RUN: rm -rf %t.d/out
// RUN: tessel-run %t.tslm --device=ptx-sim --input=av=%t.d/av.npy --input=meta=%t.d/meta.npy --input=b=%t.d/b.npy --output-dir=%t.d/out | FileCheck %s
// RUN: %python %S/Inputs/reference.py check %t.d
// RUN: tessel-translate --tbvm-to-ptx --arch=sm_80 %s | FileCheck %s --check-prefix=PTX
// The bf16 form (the same kernel on bf16 values) agrees with the CPU exactly:
// RUN: %python -c "import numpy as n; d = '%t.d/'; [n.save(d + k + '32.npy', n.load(d + k + '.npy').astype(n.float32)) for k in ('av', 'b')]"
// RUN: tessel-run %t.tslm --function=main_bf16 --device=ptx-sim --compare-with=cpu --tolerance=0,0 --input=av=%t.d/av32.npy --input=meta=%t.d/meta.npy --input=b=%t.d/b32.npy | FileCheck %s --check-prefix=BF16
// BF16: c: f32 [64, 40]
// BF16: compare c: ptx-sim (sm_80) vs cpu: max abs 0, max rel 0, 0 of 2560 beyond tolerance
// Metadata naming no 2:4 pattern (zeros: both positions 0) is a located error on both.
// RUN: %python -c "import numpy as n; n.save('%t.d/zmeta.npy', n.zeros((64, 12), n.int8))"
// RUN: not tessel-run %t.tslm --device=cpu --input=av=%t.d/av.npy --input=meta=%t.d/zmeta.npy --input=b=%t.d/b.npy 2>&1 | FileCheck %s --check-prefix=BAD-CPU
// RUN: not tessel-run %t.tslm --device=ptx-sim --input=av=%t.d/av.npy --input=meta=%t.d/zmeta.npy --input=b=%t.d/b.npy 2>&1 | FileCheck %s --check-prefix=BAD-SIM
// BAD-CPU: tbvm.dot_sparse{{.*}}metadata of row 0, group 0 is 0: the two kept positions must be i0 < i1
// BAD-SIM: mma.sp::ordered_metadata needs the first index below the second (row 0, group 0: 0)
// CHECK: c: f32 [64, 40]
// PTX: .version 8.5
// PTX-LABEL: .entry tessel_spgemm(
// PTX-COUNT-4: mma.sp::ordered_metadata.sync.aligned.m16n8k32.row.col.f32.f16.f16.f32 {{.*}}, %r{{[0-9]+}}, 0x0;
// PTX-NOT: fma.rn.f32
// PTX-LABEL: .entry tessel_spgemm_bf16(
// PTX-COUNT-4: mma.sp::ordered_metadata.sync.aligned.m16n8k32.row.col.f32.bf16.bf16.f32
// PTX-NOT: fma.rn.f32

!Vg = !tbvm.gtensor<?x?xf16>
!Mg = !tbvm.gtensor<?x?xi8>
!Cg = !tbvm.gtensor<?x?xf32>
!V = !tbvm.rtensor<32x16xf16, #tbvm.layout<"local(2,1).column_local(2,2).spatial(8,4).local(1,2)">>
!Mb = !tbvm.rtensor<32x4xi8, #tbvm.layout<"local(4,1).spatial(8,1).replicate(2).spatial(1,2).local(1,2)">>
!M = !tbvm.rtensor<32x8xui4, #tbvm.layout<"local(4,1).spatial(8,1).replicate(2).spatial(1,2).local(1,4)">>
!B = !tbvm.rtensor<32x16xf16, #tbvm.layout<"local(1,2).local(4,1).column_spatial(4,8).local(2,1)">>
!C = !tbvm.rtensor<32x16xf32, #tbvm.layout<"local(2,2).local(2,1).spatial(8,4).local(1,2)">>
!Wg = !tbvm.gtensor<?x?xbf16>
!W = !tbvm.rtensor<32x16xbf16, #tbvm.layout<"local(2,1).column_local(2,2).spatial(8,4).local(1,2)">>
!Bw = !tbvm.rtensor<32x16xbf16, #tbvm.layout<"local(1,2).local(4,1).column_spatial(4,8).local(2,1)">>

module {
  tbvm.kernel @spgemm(%av: !Vg, %meta: !Mg, %b: !Vg, %c: !Cg) attributes {warps = 1 : i64} {
    %c0 = arith.constant 0 : index
    %c2 = arith.constant 2 : index
    %c8 = arith.constant 8 : index
    %c16 = arith.constant 16 : index
    %c32 = arith.constant 32 : index
    %bx = tbvm.block_idx x
    %by = tbvm.block_idx y
    %m0 = arith.muli %bx, %c32 : index
    %n0 = arith.muli %by, %c16 : index
    %kdim = tbvm.dim %b, 0 : !Vg
    %zero = tbvm.alloc_regs -> !C
    %acc = scf.for %k = %c0 to %kdim step %c32 iter_args(%acc_i = %zero) -> (!C) {
      %kv = arith.divui %k, %c2 : index
      %km = arith.divui %k, %c8 : index
      %fa = tbvm.load_global %av[%m0, %kv] : !Vg -> !V
      %fmb = tbvm.load_global %meta[%m0, %km] : !Mg -> !Mb
      %fm = tbvm.view %fmb : !Mb -> !M
      %fb = tbvm.load_global %b[%k, %n0] : !Vg -> !B
      %next = tbvm.dot_sparse %fa, %fm, %fb, %acc_i : !V, !M, !B, !C -> !C
      scf.yield %next : !C
    }
    tbvm.store_global %acc, %c[%m0, %n0] : !C, !Cg
    tbvm.return
  }

  tbvm.host @main(%av: !Vg {tbvm.name = "av"}, %meta: !Mg {tbvm.name = "meta"},
                  %b: !Vg {tbvm.name = "b"}) -> (!Cg {tbvm.name = "c"}) {
    %c1 = arith.constant 1 : index
    %c16 = arith.constant 16 : index
    %c32 = arith.constant 32 : index
    %m = tbvm.dim %av, 0 : !Vg
    %n = tbvm.dim %b, 1 : !Vg
    %c = tbvm.alloc_global(%m, %n) : !Cg
    %gm = arith.ceildivui %m, %c32 : index
    %gn = arith.ceildivui %n, %c16 : index
    tbvm.launch @spgemm grid(%gm, %gn, %c1) (%av, %meta, %b, %c) : (!Vg, !Mg, !Vg, !Cg) -> ()
    tbvm.return %c : !Cg
  }

  tbvm.kernel @spgemm_bf16(%av: !Wg, %meta: !Mg, %b: !Wg, %c: !Cg) attributes {warps = 1 : i64} {
    %c0 = arith.constant 0 : index
    %c2 = arith.constant 2 : index
    %c8 = arith.constant 8 : index
    %c16 = arith.constant 16 : index
    %c32 = arith.constant 32 : index
    %bx = tbvm.block_idx x
    %by = tbvm.block_idx y
    %m0 = arith.muli %bx, %c32 : index
    %n0 = arith.muli %by, %c16 : index
    %kdim = tbvm.dim %b, 0 : !Wg
    %zero = tbvm.alloc_regs -> !C
    %acc = scf.for %k = %c0 to %kdim step %c32 iter_args(%acc_i = %zero) -> (!C) {
      %kv = arith.divui %k, %c2 : index
      %km = arith.divui %k, %c8 : index
      %fa = tbvm.load_global %av[%m0, %kv] : !Wg -> !W
      %fmb = tbvm.load_global %meta[%m0, %km] : !Mg -> !Mb
      %fm = tbvm.view %fmb : !Mb -> !M
      %fb = tbvm.load_global %b[%k, %n0] : !Wg -> !Bw
      %next = tbvm.dot_sparse %fa, %fm, %fb, %acc_i : !W, !M, !Bw, !C -> !C
      scf.yield %next : !C
    }
    tbvm.store_global %acc, %c[%m0, %n0] : !C, !Cg
    tbvm.return
  }

  tbvm.host @main_bf16(%av: !Wg {tbvm.name = "av"}, %meta: !Mg {tbvm.name = "meta"},
                       %b: !Wg {tbvm.name = "b"}) -> (!Cg {tbvm.name = "c"}) {
    %c1 = arith.constant 1 : index
    %c16 = arith.constant 16 : index
    %c32 = arith.constant 32 : index
    %m = tbvm.dim %av, 0 : !Wg
    %n = tbvm.dim %b, 1 : !Wg
    %c = tbvm.alloc_global(%m, %n) : !Cg
    %gm = arith.ceildivui %m, %c32 : index
    %gn = arith.ceildivui %n, %c16 : index
    tbvm.launch @spgemm_bf16 grid(%gm, %gn, %c1) (%av, %meta, %b, %c) : (!Wg, !Mg, !Wg, !Cg) -> ()
    tbvm.return %c : !Cg
  }
}
