// What the emitter knows of an index's divisibility decides whether a vector access may
// go without a run-time alignment check. A quotient by a value only known to be a
// multiple of something says nothing (32 / 16 is not a multiple of 32 / 8): the load
// below at 32 / (8 * dim(z)) must be checked at run time (it claimed a multiple of 4 and
// took the unchecked vector path, misaligned for dim(z) = 2, before); a quotient by a
// constant keeps the rest of the multiple (64 / 16: a multiple of 4, no check). Values
// agree with the CPU and numpy.
// RUN: tessel-translate --tbvm-to-ptx --arch=sm_80 %s | FileCheck %s
// RUN: tessel-translate --tbvm-to-bytecode %s -o %t.tslm
// RUN: rm -rf %t.d && mkdir -p %t.d
// RUN: %python -c "import numpy as n; n.save('%t.d/x.npy', n.arange(1024, dtype=n.float32)); n.save('%t.d/z.npy', n.zeros(2, n.float32))"
// RUN: tessel-run %t.tslm --function=dynamic --device=ptx-sim --compare-with=cpu --tolerance=0,0 --input=x=%t.d/x.npy --input=z=%t.d/z.npy --output-dir=%t.d/o | FileCheck %s --check-prefix=CMP
// RUN: %python -c "import numpy as n; y = n.load('%t.d/o/y.npy'); assert (y == n.arange(2, 130)).all(), y[:8]; print('values ok')" | FileCheck %s --check-prefix=VALUES
// CHECK-LABEL: .entry tessel_dyn(
// CHECK: $unaligned
// CHECK-LABEL: .entry tessel_const(
// CHECK-NOT: $unaligned
// CHECK: ret;
// Truncating to 32 bits keeps only the power of two of a multiple (12 * n mod 2^32 need
// not be a multiple of 3), so (12 * n as i32) / 3 proves nothing about alignment; it
// claimed a multiple of 4 before.
// CHECK-LABEL: .entry tessel_trunc(
// CHECK: $unaligned
// CMP: compare y: ptx-sim (sm_80) vs cpu: max abs 0, max rel 0, 0 of 128 beyond tolerance
// VALUES: values ok
!x = !tbvm.gtensor<1024xf32>
!z = !tbvm.gtensor<?xf32>
!y = !tbvm.gtensor<128xf32>
!t = !tbvm.rtensor<128xf32, #tbvm.layout<"spatial(32).local(4)">>
module {
  tbvm.kernel @dyn(%x: !x, %z: !z, %y: !y) attributes {warps = 1 : i64} {
    %c0 = arith.constant 0 : index
    %c8 = arith.constant 8 : index
    %c32 = arith.constant 32 : index
    %n = tbvm.dim %z, 0 : !z
    %d = arith.muli %n, %c8 : index
    %o = arith.divui %c32, %d : index
    %v = tbvm.load_global %x[%o] : !x -> !t
    tbvm.store_global %v, %y[%c0] : !t, !y
    tbvm.return
  }
  tbvm.kernel @const(%x: !x, %y: !y) attributes {warps = 1 : i64} {
    %c0 = arith.constant 0 : index
    %c16 = arith.constant 16 : index
    %c64 = arith.constant 64 : index
    %o = arith.divui %c64, %c16 : index
    %v = tbvm.load_global %x[%o] : !x -> !t
    tbvm.store_global %v, %y[%c0] : !t, !y
    tbvm.return
  }
  tbvm.kernel @trunc(%x: !x, %z: !z, %y: !y) attributes {warps = 1 : i64} {
    %c0 = arith.constant 0 : index
    %c12 = arith.constant 12 : index
    %c3 = arith.constant 3 : i32
    %n = tbvm.dim %z, 0 : !z
    %m = arith.muli %n, %c12 : index
    %t = arith.index_cast %m : index to i32
    %q = arith.divui %t, %c3 : i32
    %o = arith.index_cast %q : i32 to index
    %v = tbvm.load_global %x[%o] : !x -> !t
    tbvm.store_global %v, %y[%c0] : !t, !y
    tbvm.return
  }
  tbvm.host @dynamic(%x: !x {tbvm.name = "x"}, %z: !z {tbvm.name = "z"}) -> (!y {tbvm.name = "y"}) {
    %c1 = arith.constant 1 : index
    %y = tbvm.alloc_global() : !y
    tbvm.launch @dyn grid(%c1, %c1, %c1) (%x, %z, %y) : (!x, !z, !y) -> ()
    tbvm.return %y : !y
  }
}
