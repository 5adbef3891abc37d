// A global tile whose threads each touch several rows is tested once per access for lying
// inside the tensor: inside, its vectors load and store without per-row checks; at the
// edge (rows past 37; block 0's origin is 3 rows before the tensor) each row is checked
// and reads zeros outside. Values agree with the CPU and numpy.
// RUN: tessel-translate --tbvm-to-bytecode %s -o %t.tslm
// RUN: rm -rf %t.d && mkdir -p %t.d
// RUN: %python -c "import numpy as n; n.save('%t.d/x.npy', n.random.default_rng(3).normal(size=(150, 8)).astype(n.float32))"
// RUN: tessel-run %t.tslm --device=ptx-sim --compare-with=cpu --input=x=%t.d/x.npy --output-dir=%t.d/out | FileCheck %s
// RUN: %python -c "import numpy as n; d = '%t.d/'; x = n.load(d + 'x.npy'); y = n.load(d + 'out/y.npy'); e = n.zeros((153, 8), n.float32); e[3:] = 2 * x; assert (y == e).all(), (y, e); print('values ok')" | FileCheck %s --check-prefix=VALUES
// RUN: tessel-translate --tbvm-to-ptx --arch=sm_80 %s | FileCheck %s --check-prefix=PTX
// CHECK: compare y: ptx-sim (sm_80) vs cpu: max abs 0, max rel 0, 0 of 1224 beyond tolerance
// VALUES: values ok
// The load: inside, four unpredicated 16-byte loads (a thread's 4 rows); at the edge,
// predicated.
// PTX-LABEL: .entry tessel_twice(
// PTX: $for_head
// PTX: @!{{%p[0-9]+}} bra.uni $edge
// PTX-NOT: setp
// PTX-NOT: mov.b32
// PTX: {{^}}  ld.global.v4.b32
// PTX-NEXT: {{^}}  ld.global.v4.b32
// PTX-NEXT: {{^}}  ld.global.v4.b32
// PTX-NEXT: {{^}}  ld.global.v4.b32
// PTX-NEXT: bra.uni $access_done
// PTX: $edge
// PTX-COUNT-16: mov.b32 {{%r[0-9]+}}, 0x0;
// PTX: @{{%p[0-9]+}} ld.global.v4.b32
// PTX: $access_done

!x = !tbvm.gtensor<?x8xf32>
!y = !tbvm.gtensor<?x8xf32>
!t = !tbvm.rtensor<64x8xf32, #tbvm.layout<"local(4,1).spatial(16,2).local(1,4)">>
module {
  tbvm.kernel @twice(%x: !x, %y: !y) attributes {warps = 1 : i64} {
    %c0 = arith.constant 0 : index
    %c3 = arith.constant 3 : index
    %c64 = arith.constant 64 : index
    %c192 = arith.constant 192 : index
    %r0 = arith.subi %c0, %c3 : index
    scf.for %i = %c0 to %c192 step %c64 {
      %r = arith.addi %r0, %i : index
      %v = tbvm.load_global %x[%r, %c0] : !x -> !t
      %w = tbvm.binary add %v, %v : !t, !t -> !t
      %s = arith.addi %r, %c3 : index
      tbvm.store_global %w, %y[%s, %c0] : !t, !y
    }
    tbvm.return
  }
  tbvm.host @main(%x: !x {tbvm.name = "x"}) -> (!y {tbvm.name = "y"}) {
    %c1 = arith.constant 1 : index
    %c153 = arith.constant 153 : index
    %y = tbvm.alloc_global(%c153) : !y
    tbvm.launch @twice grid(%c1, %c1, %c1) (%x, %y) : (!x, !y) -> ()
    tbvm.return %y : !y
  }
}
