// Layer normalization of x [M, 256] (f32) with gamma, beta [1, 256] and eps:
// y = (x - mean) / sqrt(var + eps) * gamma + beta, one warp per row.
//
// RUN: tessel-translate --tbvm-to-bytecode %s -o %t.tslm
// RUN: rm -rf %t.d && mkdir -p %t.d
// RUN: %python %S/Inputs/reference.py layernorm %t.d --m=10
// RUN: tessel-run %t.tslm --device=cpu --input=x=%t.d/x.npy --input=gamma=%t.d/gamma.npy --input=beta=%t.d/beta.npy --output-dir=%t.d/out | FileCheck %s
// RUN: %python %S/Inputs/reference.py check %t.d
// RUN: rm -rf %t.d/out
// RUN: tessel-run %t.tslm --device=ptx-sim --input=x=%t.d/x.npy --input=gamma=%t.d/gamma.npy --input=beta=%t.d/beta.npy --output-dir=%t.d/out | FileCheck %s
// RUN: %python %S/Inputs/reference.py check %t.d
// CHECK: y: f32 [10, 256]

!G = !tbvm.gtensor<?x256xf32>
!P = !tbvm.gtensor<1x256xf32>
!X = !tbvm.rtensor<4x256xf32, #tbvm.layout<"spatial(4,32).local(1,8)">>
!R = !tbvm.rtensor<4x1xf32, #tbvm.layout<"spatial(4,1).replicate(32)">>
// gamma and beta: one row, held by every warp (the row layout of !X reduced over rows).
!V = !tbvm.rtensor<1x256xf32, #tbvm.layout<"replicate(4).spatial(1,32).local(1,8)">>

module {
  tbvm.kernel @layernorm(%x: !G, %gamma: !P, %beta: !P, %y: !G, %eps: f32) attributes {warps = 4 : i64} {
    %c0 = arith.constant 0 : index
    %c4 = arith.constant 4 : index
    %n = arith.constant 256.0 : f32
    %b = tbvm.block_idx x
    %row = arith.muli %b, %c4 : index
    %v = tbvm.load_global %x[%row, %c0] : !G -> !X
    %sum = tbvm.reduce sum %v, 1 : !X -> !R
    %mean = tbvm.binary div %sum, %n : !R, f32 -> !R
    %meanb = tbvm.broadcast %mean : !R -> !X
    %d = tbvm.binary sub %v, %meanb : !X, !X -> !X
    %sq = tbvm.binary mul %d, %d : !X, !X -> !X
    %ssq = tbvm.reduce sum %sq, 1 : !X -> !R
    %var = tbvm.binary div %ssq, %n : !R, f32 -> !R
    %vareps = tbvm.binary add %var, %eps : !R, f32 -> !R
    %rstd = tbvm.unary rsqrt %vareps : !R -> !R
    %rstdb = tbvm.broadcast %rstd : !R -> !X
    %norm = tbvm.binary mul %d, %rstdb : !X, !X -> !X
    %g = tbvm.load_global %gamma[%c0, %c0] : !P -> !V
    %be = tbvm.load_global %beta[%c0, %c0] : !P -> !V
    %gb = tbvm.broadcast %g : !V -> !X
    %bb = tbvm.broadcast %be : !V -> !X
    %o = tbvm.fma %norm, %gb, %bb : !X, !X, !X -> !X
    tbvm.store_global %o, %y[%row, %c0] : !X, !G
    tbvm.return
  }

  tbvm.host @main(%x: !G {tbvm.name = "x"}, %gamma: !P {tbvm.name = "gamma"}, %beta: !P {tbvm.name = "beta"}) -> (!G {tbvm.name = "y"}) {
    %c1 = arith.constant 1 : index
    %c4 = arith.constant 4 : index
    %eps = arith.constant 1.0e-5 : f32
    %m = tbvm.dim %x, 0 : !G
    %y = tbvm.alloc_global(%m) : !G
    %blocks = arith.ceildivui %m, %c4 : index
    tbvm.launch @layernorm grid(%blocks, %c1, %c1) (%x, %gamma, %beta, %y, %eps) : (!G, !P, !P, !G, f32) -> ()
    tbvm.return %y : !G
  }
}
