// Global accesses in a loop use a per-thread pointer from the prologue plus the tile's
// origin, and drop the bounds check of a dimension that a constant origin and a static
// size prove inside (here the 8 columns of x8); a static size that the tile overruns
// (x6: 8 columns read from 6) and dynamic rows keep theirs. Values agree with the CPU,
// zeros outside included.
// RUN: tessel-translate --tbvm-to-bytecode %s -o %t.tslm
// RUN: rm -rf %t.d && mkdir -p %t.d
// RUN: %python -c "import numpy as n; r = n.random.default_rng(1); n.save('%t.d/x8.npy', r.normal(size=(37, 8)).astype(n.float32)); n.save('%t.d/x6.npy', r.normal(size=(37, 6)).astype(n.float32))"
// RUN: tessel-run %t.tslm --device=ptx-sim --compare-with=cpu --input=x8=%t.d/x8.npy --input=x6=%t.d/x6.npy --output-dir=%t.d/out | FileCheck %s
// RUN: %python -c "import numpy as n; d = '%t.d/'; x8, x6 = n.load(d + 'x8.npy'), n.load(d + 'x6.npy'); y8, y6 = n.load(d + 'out/y8.npy'), n.load(d + 'out/y6.npy'); assert (y8 == 2 * x8).all(); e = n.zeros((37, 8), n.float32); e[:, :6] = 2 * x6; assert (y6 == e).all(); print('values ok')" | FileCheck %s --check-prefix=VALUES
// RUN: tessel-translate --tbvm-to-ptx --arch=sm_80 %s | FileCheck %s --check-prefix=PTX
// CHECK: y8: f32 [37, 8]
// CHECK: y6: f32 [37, 8]
// CHECK: compare y8: ptx-sim (sm_80) vs cpu: max abs 0, max rel 0, 0 of 296 beyond tolerance
// CHECK: compare y6: ptx-sim (sm_80) vs cpu: max abs 0, max rel 0, 0 of 296 beyond tolerance
// VALUES: values ok
// x8's loop: one 64-bit row check per access, none for the columns.
// PTX-LABEL: .entry tessel_twice8(
// PTX: $for_head
// PTX-COUNT-1: setp.lo.u64
// PTX-NOT: setp.lo.u64
// PTX: ld.global.v4.b32
// PTX: $for_end

!x8 = !tbvm.gtensor<?x8xf32>
!x6 = !tbvm.gtensor<?x6xf32>
!y = !tbvm.gtensor<?x8xf32>
!t = !tbvm.rtensor<16x8xf32, #tbvm.layout<"spatial(16,2).local(1,4)">>
module {
  tbvm.kernel @twice8(%x: !x8, %y: !y) attributes {warps = 1 : i64} {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c4 = arith.constant 4 : index
    %c16 = arith.constant 16 : index
    %c64 = arith.constant 64 : index
    %b = tbvm.block_idx x
    %r0 = arith.muli %b, %c64 : index
    scf.for %i = %c0 to %c64 step %c16 {
      %r = arith.addi %r0, %i : index
      %v = tbvm.load_global %x[%r, %c0] : !x8 -> !t
      %w = tbvm.binary add %v, %v : !t, !t -> !t
      tbvm.store_global %w, %y[%r, %c0] : !t, !y
    }
    tbvm.return
  }
  tbvm.kernel @twice6(%x: !x6, %y: !y) attributes {warps = 1 : i64} {
    %c0 = arith.constant 0 : index
    %c4 = arith.constant 4 : index
    %c16 = arith.constant 16 : index
    %c64 = arith.constant 64 : index
    %b = tbvm.block_idx x
    %r0 = arith.muli %b, %c64 : index
    scf.for %i = %c0 to %c64 step %c16 {
      %r = arith.addi %r0, %i : index
      %v = tbvm.load_global %x[%r, %c0] : !x6 -> !t
      %w = tbvm.binary add %v, %v : !t, !t -> !t
      tbvm.store_global %w, %y[%r, %c0] : !t, !y
    }
    tbvm.return
  }
  tbvm.host @main(%x8: !x8 {tbvm.name = "x8"}, %x6: !x6 {tbvm.name = "x6"})
      -> (!y {tbvm.name = "y8"}, !y {tbvm.name = "y6"}) {
    %c1 = arith.constant 1 : index
    %c64 = arith.constant 64 : index
    %m = tbvm.dim %x8, 0 : !x8
    %y8 = tbvm.alloc_global(%m) : !y
    %y6 = tbvm.alloc_global(%m) : !y
    %g = arith.ceildivui %m, %c64 : index
    tbvm.launch @twice8 grid(%g, %c1, %c1) (%x8, %y8) : (!x8, !y) -> ()
    tbvm.launch @twice6 grid(%g, %c1, %c1) (%x6, %y6) : (!x6, !y) -> ()
    tbvm.return %y8, %y6 : !y, !y
  }
}
