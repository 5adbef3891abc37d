// A loop-carried value that starts as a constant is not a constant inside the loop: the
// load origin %r starts at 0 and grows, and %d (a divisor, starting at 1) doubles; nor is
// an scf.if result whose branches yield constants (%z: 1 in the first iteration, then 2).
// The GPU code must agree with the CPU (a regression test: the emitter once treated them
// as the constants they came from).
// RUN: tessel-translate --tbvm-to-bytecode %s -o %t.tslm
// RUN: %python -c "import numpy as n; n.save('%t.x.npy', n.arange(256, dtype=n.float32))"
// RUN: tessel-run %t.tslm --device=ptx-sim --compare-with=cpu --tolerance=0,0 --input=x=%t.x.npy --output-dir=%t.out | FileCheck %s
// RUN: %python -c "import numpy as n; y = n.load('%t.out/y.npy'); e = n.concatenate([n.arange(32 * i, 32 * i + 32) + (64 // 2 ** i) + (8 if i == 0 else 4) for i in range(4)]); assert (y == e).all(), (y, e); print('values ok')" | FileCheck %s --check-prefix=VALUES
// CHECK: y: f32 [128]
// CHECK: compare y: ptx-sim (sm_80) vs cpu: max abs 0, max rel 0, 0 of 128 beyond tolerance
// VALUES: values ok

!g = !tbvm.gtensor<?xf32>
!r = !tbvm.rtensor<32xf32, #tbvm.layout<"spatial(32)">>
module {
  tbvm.kernel @walk(%x: !g, %y: !g) attributes {warps = 1 : i64} {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c2 = arith.constant 2 : index
    %c4 = arith.constant 4 : index
    %c32 = arith.constant 32 : index
    %c64 = arith.constant 64 : index
    %last:2 = scf.for %i = %c0 to %c4 step %c1 iter_args(%r = %c0, %d = %c1) -> (index, index) {
      %v = tbvm.load_global %x[%r] : !g -> !r
      %q = arith.divui %c64, %d : index
      %qi = arith.index_cast %q : index to i32
      %qf = arith.sitofp %qi : i32 to f32
      %w0 = tbvm.binary add %v, %qf : !r, f32 -> !r
      %first = arith.cmpi eq, %i, %c0 : index
      %z = scf.if %first -> (index) {
        scf.yield %c1 : index
      } else {
        scf.yield %c2 : index
      }
      %c8 = arith.constant 8 : index
      %p = arith.divui %c8, %z : index
      %pi = arith.index_cast %p : index to i32
      %pf = arith.sitofp %pi : i32 to f32
      %w = tbvm.binary add %w0, %pf : !r, f32 -> !r
      %o = arith.muli %i, %c32 : index
      tbvm.store_global %w, %y[%o] : !r, !g
      %r2 = arith.addi %r, %c32 : index
      %d2 = arith.muli %d, %c2 : index
      scf.yield %r2, %d2 : index, index
    }
    tbvm.return
  }
  tbvm.host @main(%x: !g {tbvm.name = "x"}) -> (!g {tbvm.name = "y"}) {
    %c1 = arith.constant 1 : index
    %c128 = arith.constant 128 : index
    %y = tbvm.alloc_global(%c128) : !g
    tbvm.launch @walk grid(%c1, %c1, %c1) (%x, %y) : (!g, !g) -> ()
    tbvm.return %y : !g
  }
}
