// Row softmax of x [M, 256] (f32): one warp per row, 8 contiguous elements per thread;
// reduce gives each row's max and sum to every thread of the row's warp.
//
// RUN: tessel-translate --tbvm-to-bytecode %s -o %t.tslm
// RUN: rm -rf %t.d && mkdir -p %t.d
// RUN: %python %S/Inputs/reference.py softmax %t.d --m=13
// RUN: tessel-run %t.tslm --device=cpu --input=x=%t.d/x.npy --output-dir=%t.d/out | FileCheck %s
// RUN: %python %S/Inputs/reference.py check %t.d
// RUN: rm -rf %t.d/out
// RUN: tessel-run %t.tslm --device=ptx-sim --input=x=%t.d/x.npy --output-dir=%t.d/out | FileCheck %s
// RUN: %python %S/Inputs/reference.py check %t.d
// CHECK: y: f32 [13, 256]

!G = !tbvm.gtensor<?x256xf32>
!X = !tbvm.rtensor<4x256xf32, #tbvm.layout<"spatial(4,32).local(1,8)">>
!R = !tbvm.rtensor<4x1xf32, #tbvm.layout<"spatial(4,1).replicate(32)">>

module {
  tbvm.kernel @softmax(%x: !G, %y: !G) attributes {warps = 4 : i64} {
    %c0 = arith.constant 0 : index
    %c4 = arith.constant 4 : index
    %b = tbvm.block_idx x
    %row = arith.muli %b, %c4 : index
    %v = tbvm.load_global %x[%row, %c0] : !G -> !X
    %max = tbvm.reduce max %v, 1 : !X -> !R
    %maxb = tbvm.broadcast %max : !R -> !X
    %d = tbvm.binary sub %v, %maxb : !X, !X -> !X
    %e = tbvm.unary exp %d : !X -> !X
    %sum = tbvm.reduce sum %e, 1 : !X -> !R
    %sumb = tbvm.broadcast %sum : !R -> !X
    %o = tbvm.binary div %e, %sumb : !X, !X -> !X
    tbvm.store_global %o, %y[%row, %c0] : !X, !G
    tbvm.return
  }

  tbvm.host @main(%x: !G {tbvm.name = "x"}) -> (!G {tbvm.name = "y"}) {
    %c1 = arith.constant 1 : index
    %c4 = arith.constant 4 : index
    %m = tbvm.dim %x, 0 : !G
    %y = tbvm.alloc_global(%m) : !G
    %blocks = arith.ceildivui %m, %c4 : index
    tbvm.launch @softmax grid(%blocks, %c1, %c1) (%x, %y) : (!G, !G) -> ()
    tbvm.return %y : !G
  }
}
