// copy_async of a kernel argument's tile in a loop: each chunk's offsets in the tensor and
// in the shared tile come from the prologue; one uniform check per access says whether
// the whole tile lies inside, and then each chunk costs an address addition and the copy
// (a round of chunks is a whole number of rows, so chunk i is chunk 0 plus i rows: one
// 64-bit addition of a prologue step, and with 32 rows the shared offsets are immediates).
// Tiles that leave the tensor (rows past 37, a negative row origin for block 0, columns
// past 200) check each chunk and copy zeros outside; the values agree with the CPU and
// numpy.
// RUN: tessel-translate --tbvm-to-bytecode %s -o %t.tslm
// RUN: rm -rf %t.d && mkdir -p %t.d
// RUN: %python -c "import numpy as n; n.save('%t.d/x.npy', n.random.default_rng(2).normal(size=(37, 200)).astype(n.float16))"
// RUN: tessel-run %t.tslm --device=ptx-sim --compare-with=cpu --input=x=%t.d/x.npy --output-dir=%t.d/out | FileCheck %s
// RUN: %python -c "import numpy as n; d = '%t.d/'; x = n.load(d + 'x.npy'); assert (n.load(d + 'out/y.npy') == x).all() and (n.load(d + 'out/y2.npy') == x).all(); print('values ok')" | FileCheck %s --check-prefix=VALUES
// RUN: tessel-translate --tbvm-to-ptx --arch=sm_80 %s | FileCheck %s --check-prefix=PTX
// CHECK: compare y: ptx-sim (sm_80) vs cpu: max abs 0, max rel 0, 0 of 7400 beyond tolerance
// CHECK: compare y2: ptx-sim (sm_80) vs cpu: max abs 0, max rel 0, 0 of 7400 beyond tolerance
// VALUES: values ok
// 16 x 64 tile, one warp: 4 chunks per thread, 4 rows per round (the swizzle's period is 8).
// The shared addresses are the same in every iteration: computed before the loop.
// PTX-LABEL: .entry tessel_copy(
// PTX: add.u32 [[S0:%r[0-9]+]], {{%r[0-9]+}}, {{%r[0-9]+}};
// PTX-NEXT: add.u32 [[S1:%r[0-9]+]]
// PTX: $for_head
// PTX: @!{{%p[0-9]+}} bra.uni $copy_edge
// PTX-NEXT: add.s64 [[G0:%rd[0-9]+]]
// PTX-NEXT: cp.async.cg.shared.global [[[S0]]], [[[G0]]], 16, 16;
// PTX-NEXT: add.s64 [[G1:%rd[0-9]+]], [[G0]], [[STEP:%rd[0-9]+]];
// PTX-NEXT: cp.async.cg.shared.global [[[S1]]], [[[G1]]], 16, 16;
// PTX-NEXT: add.s64 [[G2:%rd[0-9]+]], [[G1]], [[STEP]];
// PTX-NEXT: cp.async
// PTX-NEXT: add.s64 {{%rd[0-9]+}}, [[G2]], [[STEP]];
// PTX-NEXT: cp.async
// PTX-NEXT: bra.uni $copy_joined
// PTX: $copy_edge
// PTX: setp.lo.u64
// PTX: selp.b32
// PTX: $copy_joined
// 32 x 64 tile, two warps: 8 rows per round, the swizzle's period: immediate shared offsets.
// PTX-LABEL: .entry tessel_copy_wide(
// PTX: add.u32 [[W:%r[0-9]+]], {{%r[0-9]+}}, {{%r[0-9]+}};
// PTX: $for_head
// PTX: @!{{%p[0-9]+}} bra.uni $copy_edge
// PTX-NEXT: add.s64 [[H0:%rd[0-9]+]]
// PTX-NEXT: cp.async.cg.shared.global [[[W]]], [[[H0]]], 16, 16;
// PTX-NEXT: add.s64 [[H1:%rd[0-9]+]], [[H0]], {{%rd[0-9]+}};
// PTX-NEXT: cp.async.cg.shared.global [[[W]]+1024], [[[H1]]], 16, 16;

!x = !tbvm.gtensor<?x?xf16>
!s = !tbvm.stensor<16x64xf16, #tbvm.swizzle<3, 3, 3>>
!t = !tbvm.rtensor<16x64xf16, #tbvm.layout<"spatial(8,4).local(2,16)">>
!s2 = !tbvm.stensor<32x64xf16, #tbvm.swizzle<3, 3, 3>>
!t2 = !tbvm.rtensor<32x64xf16, #tbvm.layout<"spatial(16,4).local(2,16)">>
module {
  tbvm.kernel @copy(%x: !x, %y: !x) attributes {warps = 1 : i64, shared_bytes = 2048 : i64} {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c3 = arith.constant 3 : index
    %c16 = arith.constant 16 : index
    %c64 = arith.constant 64 : index
    %b = tbvm.block_idx x
    %b16 = arith.muli %b, %c16 : index
    %m0 = arith.subi %b16, %c3 : index
    %k = tbvm.dim %x, 1 : !x
    %n = arith.ceildivui %k, %c64 : index
    %smem = tbvm.alloc_shared {offset = 0 : i64} : !s
    scf.for %kc = %c0 to %n step %c1 {
      %k0 = arith.muli %kc, %c64 : index
      tbvm.copy_async %x[%m0, %k0], %smem : !x, !s
      tbvm.copy_async_commit
      tbvm.copy_async_wait
      tbvm.sync
      %v = tbvm.load_shared %smem[%c0, %c0] : !s -> !t
      tbvm.store_global %v, %y[%m0, %k0] : !t, !x
      tbvm.sync
    }
    tbvm.return
  }
  tbvm.kernel @copy_wide(%x: !x, %y: !x) attributes {warps = 2 : i64, shared_bytes = 4096 : i64} {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c3 = arith.constant 3 : index
    %c32 = arith.constant 32 : index
    %c64 = arith.constant 64 : index
    %b = tbvm.block_idx x
    %b32 = arith.muli %b, %c32 : index
    %m0 = arith.subi %b32, %c3 : index
    %k = tbvm.dim %x, 1 : !x
    %n = arith.ceildivui %k, %c64 : index
    %smem = tbvm.alloc_shared {offset = 0 : i64} : !s2
    scf.for %kc = %c0 to %n step %c1 {
      %k0 = arith.muli %kc, %c64 : index
      tbvm.copy_async %x[%m0, %k0], %smem : !x, !s2
      tbvm.copy_async_commit
      tbvm.copy_async_wait
      tbvm.sync
      %v = tbvm.load_shared %smem[%c0, %c0] : !s2 -> !t2
      tbvm.store_global %v, %y[%m0, %k0] : !t2, !x
      tbvm.sync
    }
    tbvm.return
  }
  tbvm.host @main(%x: !x {tbvm.name = "x"}) -> (!x {tbvm.name = "y"}, !x {tbvm.name = "y2"}) {
    %c1 = arith.constant 1 : index
    %c2 = arith.constant 2 : index
    %c4 = arith.constant 4 : index
    %m = tbvm.dim %x, 0 : !x
    %k = tbvm.dim %x, 1 : !x
    %y = tbvm.alloc_global(%m, %k) : !x
    %y2 = tbvm.alloc_global(%m, %k) : !x
    tbvm.launch @copy grid(%c4, %c1, %c1) (%x, %y) : (!x, !x) -> ()
    tbvm.launch @copy_wide grid(%c2, %c1, %c1) (%x, %y2) : (!x, !x) -> ()
    tbvm.return %y, %y2 : !x, !x
  }
}
