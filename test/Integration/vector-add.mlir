// z = x + y for f32 vectors of any length: 512 elements per block of 4 warps, four
// contiguous ones per thread (16-byte loads when aligned).
//
// RUN: tessel-translate --tbvm-to-bytecode %s -o %t.tslm
// RUN: rm -rf %t.d && mkdir -p %t.d
// RUN: %python %S/Inputs/reference.py vadd %t.d --n=1001
// RUN: tessel-run %t.tslm --device=cpu --input=x=%t.d/x.npy --input=y=%t.d/y.npy --output-dir=%t.d/out | FileCheck %s
// RUN: %python %S/Inputs/reference.py check %t.d
// RUN: rm -rf %t.d/out
// RUN: tessel-run %t.tslm --device=ptx-sim --input=x=%t.d/x.npy --input=y=%t.d/y.npy --output-dir=%t.d/out | FileCheck %s
// RUN: %python %S/Inputs/reference.py check %t.d
// CHECK: z: f32 [1001]

!v = !tbvm.gtensor<?xf32>
!r = !tbvm.rtensor<512xf32, #tbvm.layout<"spatial(128).local(4)">>
module {
  tbvm.kernel @vadd(%x: !v, %y: !v, %z: !v) attributes {warps = 4 : i64} {
    %b = tbvm.block_idx x
    %c512 = arith.constant 512 : index
    %off = arith.muli %b, %c512 : index
    %a = tbvm.load_global %x[%off] : !v -> !r
    %c = tbvm.load_global %y[%off] : !v -> !r
    %s = tbvm.binary add %a, %c : !r, !r -> !r
    tbvm.store_global %s, %z[%off] : !r, !v
    tbvm.return
  }
  tbvm.host @main(%x: !v {tbvm.name = "x"}, %y: !v {tbvm.name = "y"}) -> (!v {tbvm.name = "z"}) {
    %n = tbvm.dim %x, 0 : !v
    %z = tbvm.alloc_global(%n) : !v
    %c512 = arith.constant 512 : index
    %c1 = arith.constant 1 : index
    %blocks = arith.ceildivui %n, %c512 : index
    tbvm.launch @vadd grid(%blocks, %c1, %c1) (%x, %y, %z) : (!v, !v, !v) -> ()
    tbvm.return %z : !v
  }
}
