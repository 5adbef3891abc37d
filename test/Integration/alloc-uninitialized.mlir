// tbvm.alloc_global {uninitialized}: no zero fill. The CPU executor (and the PTX
// simulator, which allocates as it does) fills such a tensor with 0xFF bytes, so what a
// kernel leaves unwritten reads as NaN; a plain alloc_global reads as zeros. Here a kernel
// writes the first 512 elements of each output and leaves the rest.
//
// RUN: tessel-translate --tbvm-to-bytecode %s -o %t.tslm
// RUN: tessel-translate --bytecode-to-tbvm %t.tslm | FileCheck %s --check-prefix=IR
// IR: tbvm.alloc_global(%{{.*}}) {uninitialized} : !tbvm.gtensor<?xf32>
// IR: tbvm.alloc_global(%{{.*}}) : !tbvm.gtensor<?xf32>
// RUN: rm -rf %t.d && mkdir -p %t.d
// RUN: %python -c "import numpy; numpy.save('%t.d/x.npy', numpy.arange(700, dtype=numpy.float32))"
// RUN: tessel-run %t.tslm --device=cpu --input=x=%t.d/x.npy --output-dir=%t.d/cpu
// RUN: %python -c "import numpy as n; u = n.load('%t.d/cpu/u.npy'); z = n.load('%t.d/cpu/z.npy'); x = n.arange(700, dtype=n.float32); assert (u[:512] == x[:512]).all() and n.isnan(u[512:]).all(), u; assert (z[:512] == x[:512]).all() and (z[512:] == 0).all(), z"
// RUN: tessel-run %t.tslm --device=ptx-sim --input=x=%t.d/x.npy --output-dir=%t.d/sim
// RUN: %python -c "import numpy as n; u = n.load('%t.d/sim/u.npy'); z = n.load('%t.d/sim/z.npy'); x = n.arange(700, dtype=n.float32); assert (u[:512] == x[:512]).all() and n.isnan(u[512:]).all(), u; assert (z[:512] == x[:512]).all() and (z[512:] == 0).all(), z"

!v = !tbvm.gtensor<?xf32>
!r = !tbvm.rtensor<512xf32, #tbvm.layout<"spatial(128).local(4)">>
module {
  tbvm.kernel @copy(%x: !v, %u: !v, %z: !v) attributes {warps = 4 : i64} {
    %c0 = arith.constant 0 : index
    %a = tbvm.load_global %x[%c0] : !v -> !r
    tbvm.store_global %a, %u[%c0] : !r, !v
    tbvm.store_global %a, %z[%c0] : !r, !v
    tbvm.return
  }
  tbvm.host @main(%x: !v {tbvm.name = "x"}) -> (!v {tbvm.name = "u"}, !v {tbvm.name = "z"}) {
    %n = tbvm.dim %x, 0 : !v
    %u = tbvm.alloc_global(%n) {uninitialized} : !v
    %z = tbvm.alloc_global(%n) : !v
    %c1 = arith.constant 1 : index
    tbvm.launch @copy grid(%c1, %c1, %c1) (%x, %u, %z) : (!v, !v, !v) -> ()
    tbvm.return %u, %z : !v, !v
  }
}
